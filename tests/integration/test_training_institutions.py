"""Training institutions post through the API: classes, enrolments, attendance, completions.

Real HTTP through the ASGI app on SQLite and PostgreSQL. Every refusal is checked to change no row
and to keep the ID number out of the answer.
"""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from credential_service.core.clock import BEIJING, beijing_date, utcnow
from credential_service.identity import service as identity
from credential_service.identity.credit_code import ALPHABET, credit_code_check_char
from credential_service.identity.models import Person
from credential_service.platform.tokens import Principal, Role, mint_token
from credential_service.records import service as records
from credential_service.records.models import FileEntry
from credential_service.records.rules import EntryKind
from credential_service.records.training import postings
from credential_service.records.training import rules as training_rules
from credential_service.records.training import service as training
from credential_service.records.training.models import (
    ApprovedProject,
    AttendanceEvent,
    Completion,
    Enrolment,
    Institution,
    InstitutionRequest,
    RosterMember,
    TrainingClass,
)
from credential_service.records.training.rules import InstitutionStatus
from credential_service.records.training.schemas import MAX_EVENTS, EnrolmentPosting
from credential_service.runtime import Runtime
from tests.conftest import BASE_URL
from tests.factories import holder

CHINA = BEIJING
TODAY = beijing_date(utcnow())
START, END = TODAY - timedelta(days=40), TODAY - timedelta(days=5)
PHOTO = "ab" * 32
JPEG_BASE64 = "/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQoHBwYICAoJCQoM"


def credit_code(seed: int) -> str:
    rng = random.Random(seed)
    first17 = "52140100" + "".join(rng.choice(ALPHABET) for _ in range(9))
    return first17 + credit_code_check_char(first17)


CODE_A, CODE_B = credit_code(1), credit_code(2)
TABLES = (
    Institution,
    ApprovedProject,
    TrainingClass,
    RosterMember,
    Enrolment,
    AttendanceEvent,
    Completion,
    InstitutionRequest,
    Person,
    FileEntry,
)


def _bearer(runtime: Runtime, principal: Principal) -> dict[str, str]:
    token = mint_token(runtime.keystore, issuer=BASE_URL, audience=BASE_URL, principal=principal, minutes=5)
    return {"Authorization": f"Bearer {token}"}


def institution_headers(runtime: Runtime, code: str) -> dict[str, str]:
    return _bearer(runtime, Principal(Role.INSTITUTION, f"institution:{code}", frozenset({"train"}), code))


def counts(runtime: Runtime) -> dict[str, int]:
    with runtime.session() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in TABLES
        }


def trainee(who: Any, **changes: Any) -> dict[str, Any]:
    return {"document_type": who.document_type.value, "id_number": who.id_number, "name": who.name, **changes}


def at(day: date, hour: int = 8, minute: int = 30) -> str:
    return datetime.combine(day, time(hour, minute), CHINA).isoformat()


def event(who: Any, when: str, **changes: Any) -> dict[str, Any]:
    return {
        **trainee(who),
        "occurred_at": when,
        "place": "太原市小店区培训基地 3 号教室",
        "method": "face",
        "match_score": 0.93,
        "photo_sha256": PHOTO,
        **changes,
    }


def class_body(people: list[Any], class_ref: str = "2026-HG-001", **changes: Any) -> dict[str, Any]:
    return {
        "class_ref": class_ref,
        "occupation_code": "6-18-02-04",
        "subtype": "电焊工",
        "target_level": 4,
        "training_type": "skill_upgrade",
        "start_date": START.isoformat(),
        "end_date": END.isoformat(),
        "planned_hours": 120,
        "roster": [trainee(p) for p in people],
        **changes,
    }


def register(client: TestClient, admin_headers: dict[str, str], code: str, name: str) -> httpx.Response:
    return client.post(
        "/api/v1/institutions",
        json={
            "credit_code": code,
            "name": name,
            "city_code": "140100",
            "approved_projects": [
                {"occupation_code": "6-18-02-04", "training_type": "skill_upgrade"},
                {"occupation_code": "6-31-01-03"},
            ],
        },
        headers=admin_headers,
    )


@pytest.fixture
def school(client: TestClient, runtime: Runtime, admin_headers: dict[str, str]) -> dict[str, str]:
    """Institution A (active) and its token; B is registered too."""
    assert register(client, admin_headers, CODE_A, "太原市技能培训学校").status_code == 201
    assert register(client, admin_headers, CODE_B.lower(), "晋中市职业培训中心").status_code == 201
    return institution_headers(runtime, CODE_A)


@pytest.fixture
def people() -> list[Any]:
    return [holder(name="李明"), holder(name="王芳"), holder(name="赵小军")]


@pytest.fixture
def opened(client: TestClient, school: dict[str, str], people: list[Any]) -> str:
    """A class with all three on the roster; the first two enrolled."""
    response = client.post("/api/v1/classes", json=class_body(people), headers=school)
    assert response.status_code == 201, response.text
    enrol = client.post(
        "/api/v1/classes/2026-HG-001/enrolments",
        json={"enrolments": [{**trainee(p), "enrolled_on": START.isoformat()} for p in people[:2]]},
        headers=school,
    )
    assert enrol.status_code == 201, enrol.text
    return "2026-HG-001"


def refused(response: httpx.Response, status: int, *locs: str, secrets: list[Any] | None = None) -> None:
    """The answer is a problem with ``status``, names each ``loc``, and repeats no ID number."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    named = {e["loc"] for e in body.get("errors", [])}
    for loc in locs:
        assert loc in named, (loc, body)
    assert " / " in body["title"] or (status in (401, 403) and body["title"])
    for who in secrets or []:
        assert who.id_number not in response.text


def person_of(runtime: Runtime, who: Any) -> Person:
    with runtime.session() as session:
        person = identity.find_person(
            session, runtime.settings.data_key_bytes, identity.identify("resident_id", who.id_number)
        )
        assert person is not None
        return person


# --- the whole way through ---


def test_class_enrol_attend_complete_lands_in_each_file_in_order(
    client: TestClient, runtime: Runtime, school: dict[str, str], people: list[Any]
) -> None:
    li, wang, zhao = people
    created = client.post("/api/v1/classes", json=class_body(people), headers=school)
    assert created.status_code == 201, created.text
    detail = created.json()
    assert detail["roster_size"] == 3 and detail["enrolled"] == 0
    assert [m["name"] for m in detail["roster"]] == ["李明", "王芳", "赵小军"]
    assert all("*" in m["id_number_masked"] for m in detail["roster"])

    enrol = client.post(
        "/api/v1/classes/2026-HG-001/enrolments",
        json={"enrolments": [{**trainee(p), "enrolled_on": START.isoformat()} for p in (li, wang)]},
        headers=school,
    )
    assert enrol.status_code == 201 and enrol.json() == {"class_ref": "2026-HG-001", "recorded": 2}
    # Out of time order in the batch: the file gets them in time order.
    times = [at(START + timedelta(days=d)) for d in (2, 0, 1)]
    attend = client.post(
        "/api/v1/classes/2026-HG-001/attendance",
        json={
            "events": [event(li, t) for t in times]
            + [event(wang, times[1], method="e_card", match_score=None, photo_sha256=None)]
        },
        headers=school,
    )
    assert attend.status_code == 201 and attend.json()["recorded"] == 4, attend.text
    complete = client.post(
        "/api/v1/classes/2026-HG-001/completions",
        json={
            "completions": [
                {
                    **trainee(li),
                    "attended_hours": 118,
                    "result": "pass",
                    "score": 86.5,
                    "completed_on": END.isoformat(),
                },
                {**trainee(wang), "attended_hours": 40, "result": "fail", "completed_on": END.isoformat()},
            ]
        },
        headers=school,
    )
    assert complete.status_code == 201, complete.text

    listing = client.get("/api/v1/classes", headers=school).json()["classes"]
    assert [(c["class_ref"], c["roster_size"], c["enrolled"], c["completed"]) for c in listing] == [
        ("2026-HG-001", 3, 2, 2)
    ]
    shown = client.get("/api/v1/classes/2026-HG-001", headers=school)
    assert [m["attendance_events"] for m in shown.json()["roster"]] == [3, 1, 0]
    for who in people:
        for response in (created, enrol, attend, complete, shown):
            assert who.id_number not in response.text

    li_id, wang_id = person_of(runtime, li).public_id, person_of(runtime, wang).public_id
    with runtime.session() as session:
        person = identity.get_person(session, li_id)
        timeline = records.timeline(session, person)
        assert [e.kind for e in timeline] == [
            EntryKind.ENROLMENT,
            EntryKind.ATTENDANCE,
            EntryKind.ATTENDANCE,
            EntryKind.ATTENDANCE,
            EntryKind.COMPLETION,
        ]
        assert {e.source for e in timeline} == {f"institution:{CODE_A}"}
        enrolment, first, *_, completion = timeline
        assert enrolment.facts["classRef"] == "2026-HG-001"
        assert enrolment.facts["institution"] == "太原市技能培训学校"
        assert enrolment.facts["occupationCode"] == "6-18-02-04" and enrolment.facts["subtype"] == "电焊工"
        assert (
            enrolment.facts["plannedHours"] == 120
            and enrolment.facts["trainingTypeName"] == "岗位技能提升培训"
        )
        assert [e.occurred_at for e in timeline[1:4]] == sorted(e.occurred_at for e in timeline[1:4])
        assert first.facts["photoSha256"] == PHOTO and first.facts["method"] == "face"
        assert completion.facts["attendedHours"] == 118 and completion.facts["result"] == "pass"
        assert completion.facts["attendanceEvents"] == 3 and completion.facts["score"] == 86.5
        assert records.verify_file(session, person) == []
        payloads = " ".join(session.scalars(select(FileEntry.payload)))
        for who in people:
            assert who.id_number not in payloads
        assert records.verify_file(session, identity.get_person(session, wang_id)) == []
    assert len(records_of(runtime, zhao)) == 0  # on the roster, never enrolled: nothing in the file


def records_of(runtime: Runtime, who: Any) -> list[Any]:
    public_id = person_of(runtime, who).public_id
    with runtime.session() as session:
        return records.timeline(session, identity.get_person(session, public_id))


# --- refusals: each a clear 4xx that changes nothing ---


def test_every_refused_posting_changes_nothing(
    client: TestClient, runtime: Runtime, school: dict[str, str], people: list[Any], opened: str
) -> None:
    li, wang, zhao = people
    stranger = holder(name="陌生人")  # never on any roster: not known at all
    other = holder(name="孙丽")  # known (on another class's roster), but not on this one
    body = class_body([other], class_ref="2026-DG-002", occupation_code="6-31-01-03", subtype=None)
    assert client.post("/api/v1/classes", json=body, headers=school).status_code == 201
    bad_number = li.id_number[:17] + ("0" if li.id_number[17] != "0" else "1")
    url = f"/api/v1/classes/{opened}"
    ok_event = event(li, at(START + timedelta(days=3)))
    client.post(f"{url}/attendance", json={"events": [ok_event]}, headers=school).raise_for_status()
    client.post(
        f"{url}/completions",
        json={
            "completions": [
                {**trainee(wang), "attended_hours": 1, "result": "pass", "completed_on": END.isoformat()}
            ]
        },
        headers=school,
    ).raise_for_status()
    completion = {"attended_hours": 100, "result": "pass", "completed_on": END.isoformat()}

    cases: list[tuple[str, dict[str, Any], int, tuple[str, ...]]] = [
        # unknown person, or known but not on this roster: the same answer
        (
            "enrolments",
            {"enrolments": [{**trainee(stranger), "enrolled_on": START.isoformat()}]},
            422,
            ("enrolments.0.id_number",),
        ),
        (
            "enrolments",
            {"enrolments": [{**trainee(other), "enrolled_on": START.isoformat()}]},
            422,
            ("enrolments.0.id_number",),
        ),
        ("attendance", {"events": [event(stranger, at(START))]}, 422, ("events.0.id_number",)),
        (
            "completions",
            {"completions": [{**trainee(other), **completion}]},
            422,
            ("completions.0.id_number",),
        ),
        # an ID number that fails its check digit
        (
            "enrolments",
            {"enrolments": [{**trainee(zhao, id_number=bad_number), "enrolled_on": START.isoformat()}]},
            422,
            ("enrolments.0.id_number",),
        ),
        # the name differs from the person's file
        (
            "enrolments",
            {"enrolments": [{**trainee(zhao, name="赵晓军"), "enrolled_on": START.isoformat()}]},
            422,
            ("enrolments.0.name",),
        ),
        ("attendance", {"events": [event(li, at(START), name="李敏")]}, 422, ("events.0.name",)),
        # attendance outside the class dates (Beijing dates)
        ("attendance", {"events": [event(li, at(END + timedelta(days=1)))]}, 422, ("events.0.occurred_at",)),
        (
            "attendance",
            {"events": [event(li, at(START - timedelta(days=1), 23, 59))]},
            422,
            ("events.0.occurred_at",),
        ),
        # on the roster but not enrolled
        ("attendance", {"events": [event(zhao, at(START))]}, 422, ("events.0",)),
        ("completions", {"completions": [{**trainee(zhao), **completion}]}, 422, ("completions.0",)),
        # one good row and one bad row: all or nothing
        (
            "attendance",
            {"events": [event(li, at(START + timedelta(days=4))), event(stranger, at(START))]},
            422,
            ("events.1.id_number",),
        ),
        # images are refused, by name
        (
            "attendance",
            {"events": [event(li, at(START), photo_sha256=JPEG_BASE64)]},
            422,
            ("events.0.photo_sha256",),
        ),
        (
            "attendance",
            {"events": [event(li, at(START), photo_sha256="data:image/png;base64,iVBORw0KGgo=")]},
            422,
            ("events.0.photo_sha256",),
        ),
        (
            "attendance",
            {"events": [{**event(li, at(START)), "photo": JPEG_BASE64}]},
            422,
            ("events.0.photo",),
        ),
        ("attendance", {"events": [event(li, at(START))] * (MAX_EVENTS + 1)}, 422, ("events",)),
        ("attendance", {"events": [event(li, "2026-01-01T08:00:00")]}, 422, ("events.0.occurred_at",)),
        # duplicates: 409
        (
            "enrolments",
            {"enrolments": [{**trainee(li), "enrolled_on": START.isoformat()}]},
            409,
            ("enrolments.0",),
        ),
        ("attendance", {"events": [ok_event]}, 409, ("events.0",)),
        ("attendance", {"events": [event(li, at(START, 9)), event(li, at(START, 9))]}, 409, ("events.1",)),
        ("completions", {"completions": [{**trainee(wang), **completion}]}, 409, ("completions.0",)),
    ]
    for path, payload, status, locs in cases:
        before = counts(runtime)
        response = client.post(f"{url}/{path}", json=payload, headers=school)
        refused(response, status, *locs, secrets=[li, wang, zhao, stranger, other])
        assert counts(runtime) == before, (path, locs)

    # Just after midnight in Beijing is inside the class although the UTC date is the day before.
    early = datetime.combine(START, time(0, 10), CHINA).astimezone(UTC).isoformat()
    assert (
        client.post(f"{url}/attendance", json={"events": [event(li, early)]}, headers=school).status_code
        == 201
    )
    # 同一人、同一秒 in another time zone spelling is the same check-in.
    same_moment = datetime.fromisoformat(ok_event["occurred_at"]).astimezone(UTC).isoformat()
    refused(
        client.post(f"{url}/attendance", json={"events": [event(li, same_moment)]}, headers=school),
        409,
        "events.0",
    )


def test_refused_classes_change_nothing(
    client: TestClient, runtime: Runtime, school: dict[str, str], people: list[Any], opened: str
) -> None:
    li, wang, _zhao = people
    newcomer = holder(name="周杰")
    cases: list[tuple[dict[str, Any], int, tuple[str, ...]]] = [
        (class_body([newcomer], "C-1", end_date=(START - timedelta(days=1)).isoformat()), 422, ("end_date",)),
        (class_body([newcomer], "C-2", occupation_code="4-10-01-05"), 422, ("occupation_code",)),
        (class_body([newcomer], "C-3", training_type="entrepreneurship"), 422, ("occupation_code",)),
        (class_body([newcomer], "C-4", occupation_code="6-18-2-04"), 422, ("occupation_code",)),
        (class_body([newcomer, li, newcomer], "C-5"), 422, ("roster.2.id_number",)),
        (
            class_body([newcomer, wang], "C-6") | {"roster": [trainee(newcomer), trainee(wang, name="王芬")]},
            422,
            ("roster.1.name",),
        ),
        (class_body([newcomer], "C-7", target_level=6), 422, ("target_level",)),
        (class_body([newcomer], "C-8", roster=[]), 422, ("roster",)),
        (class_body([newcomer], "C/9"), 422, ("class_ref",)),
        (class_body([newcomer], opened), 409, ()),
    ]
    for payload, status, locs in cases:
        before = counts(runtime)
        refused(
            client.post("/api/v1/classes", json=payload, headers=school),
            status,
            *locs,
            secrets=[li, newcomer],
        )
        assert counts(runtime) == before, payload["class_ref"]


def test_suspended_or_closed_institution_cannot_post(
    client: TestClient,
    runtime: Runtime,
    school: dict[str, str],
    admin_headers: dict[str, str],
    people: list[Any],
    opened: str,
) -> None:
    status_url = f"/api/v1/institutions/{CODE_A}/status"
    posting = {"events": [event(people[0], at(START))]}
    suspended = client.put(
        status_url, json={"status": "suspended", "reason": "专项检查"}, headers=admin_headers
    )
    assert suspended.status_code == 200 and suspended.json()["status"] == "suspended"
    for path, body in (
        ("/api/v1/classes", class_body([holder()], "NEW-1")),
        (f"/api/v1/classes/{opened}/attendance", posting),
    ):
        before = counts(runtime)
        refused(client.post(path, json=body, headers=school), 403)
        assert counts(runtime) == before
    assert client.get("/api/v1/classes", headers=school).status_code == 200  # still reads its own
    client.put(
        status_url, json={"status": "active", "reason": "整改完成"}, headers=admin_headers
    ).raise_for_status()
    assert (
        client.post(f"/api/v1/classes/{opened}/attendance", json=posting, headers=school).status_code == 201
    )
    client.put(
        status_url, json={"status": "closed", "reason": "退出"}, headers=admin_headers
    ).raise_for_status()
    refused(client.post("/api/v1/classes", json=class_body([holder()], "NEW-2"), headers=school), 403)
    refused(client.put(status_url, json={"status": "active", "reason": "x"}, headers=admin_headers), 409)


# --- idempotency ---


def test_retries_with_one_idempotency_key_answer_once(
    client: TestClient, runtime: Runtime, school: dict[str, str], people: list[Any], opened: str
) -> None:
    li, wang, zhao = people
    url = f"/api/v1/classes/{opened}"
    key = {**school, "Idempotency-Key": '"a7c1e8a2-0d4f-4a9e-9b1b-2f6c3d9e1a11"'}
    body = {"events": [event(li, at(START, 10)), event(wang, at(START, 10))]}
    first = client.post(f"{url}/attendance", json=body, headers=key)
    assert first.status_code == 201 and "idempotent-replayed" not in first.headers
    after_first = counts(runtime)
    again = client.post(f"{url}/attendance", json=body, headers=key)
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert counts(runtime) == after_first
    # The same key with another body, or on another endpoint: refused, nothing changes.
    other = {"events": [event(li, at(START, 11))]}
    refused(client.post(f"{url}/attendance", json=other, headers=key), 422, "header.Idempotency-Key")
    refused(
        client.post(
            f"{url}/enrolments",
            json={"enrolments": [{**trainee(zhao), "enrolled_on": START.isoformat()}]},
            headers=key,
        ),
        422,
        "header.Idempotency-Key",
    )
    refused(
        client.post(f"{url}/attendance", json=body, headers={**school, "Idempotency-Key": "has a space"}),
        422,
        "header.Idempotency-Key",
    )
    assert counts(runtime) == after_first
    # A refused posting stores nothing: its key can be used again once the body is fixed.
    key2 = {**school, "Idempotency-Key": "enrol-zhao-1"}
    wrong = {"enrolments": [{**trainee(zhao, name="赵晓军"), "enrolled_on": START.isoformat()}]}
    refused(client.post(f"{url}/enrolments", json=wrong, headers=key2), 422, "enrolments.0.name")
    right = {"enrolments": [{**trainee(zhao), "enrolled_on": START.isoformat()}]}
    assert client.post(f"{url}/enrolments", json=right, headers=key2).status_code == 201
    assert client.post(f"{url}/enrolments", json=right, headers=key2).status_code == 201  # replayed
    # Without a key a repeat is a duplicate.
    refused(client.post(f"{url}/enrolments", json=right, headers=school), 409, "enrolments.0")
    # Opening a class is idempotent too.
    key3 = {**school, "Idempotency-Key": "open-2026-HG-009"}
    opened_once = client.post("/api/v1/classes", json=class_body([holder()], "2026-HG-009"), headers=key3)
    before = counts(runtime)
    replay = client.post("/api/v1/classes", json=class_body([holder()], "2026-HG-009"), headers=key3)
    assert replay.status_code == 422  # same key, other roster: not the same request
    assert counts(runtime) == before
    assert opened_once.status_code == 201


def test_concurrent_retries_record_once(
    runtime: Runtime, school: dict[str, str], people: list[Any], opened: str
) -> None:
    posting = EnrolmentPosting.model_validate(
        {"enrolments": [{**trainee(people[2]), "enrolled_on": START.isoformat()}]}
    )

    def post(_: int) -> training.Answer:
        with runtime.session() as session:
            return postings.post(
                session,
                runtime.settings.data_key_bytes,
                credit_code=CODE_A,
                class_ref=opened,
                posting=posting,
                raw_idempotency_key="same-key",
            )

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(post, range(6)))
    assert {(a.status, a.body["recorded"]) for a in answers} == {(201, 1)}
    assert sum(not a.replayed for a in answers) == 1
    assert len(records_of(runtime, people[2])) == 1


# --- who may do what ---


def test_one_institution_cannot_see_or_post_to_anothers_class(
    client: TestClient, runtime: Runtime, school: dict[str, str], people: list[Any], opened: str
) -> None:
    other = institution_headers(runtime, CODE_B)
    url = f"/api/v1/classes/{opened}"
    before = counts(runtime)
    refused(client.get(url, headers=other), 404)
    for path, body in (
        ("enrolments", {"enrolments": [{**trainee(people[2]), "enrolled_on": START.isoformat()}]}),
        ("attendance", {"events": [event(people[0], at(START))]}),
        (
            "completions",
            {
                "completions": [
                    {
                        **trainee(people[0]),
                        "attended_hours": 1,
                        "result": "pass",
                        "completed_on": END.isoformat(),
                    }
                ]
            },
        ),
    ):
        response = client.post(f"{url}/{path}", json=body, headers=other)
        refused(response, 404, secrets=people)
        assert response.json()["code"] == "class_not_found"
    missing = client.get("/api/v1/classes/NO-SUCH-CLASS", headers=other)
    assert missing.json() == client.get(url, headers=other).json()  # existence is not confirmed
    assert client.get("/api/v1/classes", headers=other).json() == {"classes": []}
    assert counts(runtime) == before
    # B may use the same class reference for its own class.
    mine = client.post(
        "/api/v1/classes", json=class_body([holder()], opened, occupation_code="6-31-01-03"), headers=other
    )
    assert mine.status_code == 201, mine.text


def test_roles_and_authentication(
    client: TestClient,
    runtime: Runtime,
    school: dict[str, str],
    admin_headers: dict[str, str],
    org_headers: dict[str, str],
    people: list[Any],
    opened: str,
) -> None:
    worker = _bearer(runtime, Principal(Role.WORKER, "worker:x", frozenset(), tenant="x"))
    auditor = _bearer(runtime, Principal(Role.AUDITOR, "auditor:x", frozenset()))
    unregistered = institution_headers(runtime, credit_code(3))
    posting = {"events": [event(people[0], at(START))]}
    before = counts(runtime)
    for headers in (worker, org_headers, admin_headers, auditor):
        refused(client.post(f"/api/v1/classes/{opened}/attendance", json=posting, headers=headers), 403)
        refused(client.get("/api/v1/classes", headers=headers), 403)
    refused(client.post(f"/api/v1/classes/{opened}/attendance", json=posting), 401)
    refused(
        client.post(
            f"/api/v1/classes/{opened}/attendance",
            json=posting,
            headers={"Authorization": "Bearer not-a-token"},
        ),
        401,
    )
    refused(client.get("/api/v1/classes"), 401)
    refused(client.post(f"/api/v1/classes/{opened}/attendance", json=posting, headers=unregistered), 403)
    for headers in (school, worker, org_headers):
        refused(client.get("/api/v1/institutions", headers=headers), 403)
        refused(register(client, headers, credit_code(4), "某机构"), 403)
    refused(client.get("/api/v1/institutions"), 401)
    assert client.get("/api/v1/institutions", headers=auditor).status_code == 200
    assert counts(runtime) == before


def test_the_directory(
    client: TestClient, runtime: Runtime, admin_headers: dict[str, str], school: dict[str, str]
) -> None:
    listing = client.get("/api/v1/institutions", headers=admin_headers).json()["institutions"]
    assert [i["credit_code"] for i in listing] == sorted([CODE_A, CODE_B])  # B was given in lower case
    a = client.get(f"/api/v1/institutions/{CODE_A}", headers=admin_headers).json()
    assert a["city_name"] == "太原市" and a["status"] == "active"
    assert a["approved_projects"] == [
        {"occupation_code": "6-18-02-04", "training_type": "skill_upgrade"},
        {"occupation_code": "6-31-01-03", "training_type": None},
    ]
    before = counts(runtime)
    refused(register(client, admin_headers, CODE_A, "重复登记"), 409)
    wrong_check = CODE_A[:17] + ("0" if CODE_A[17] != "0" else "1")
    bad = register(client, admin_headers, wrong_check, "校验位错误")
    refused(bad, 422, "credit_code")
    assert "校验位" in bad.text
    refused(
        client.post(
            "/api/v1/institutions",
            json={
                "credit_code": credit_code(5),
                "name": "外省机构",
                "city_code": "110100",
                "approved_projects": [{"occupation_code": "6-18-02-04"}],
            },
            headers=admin_headers,
        ),
        422,
        "city_code",
    )
    refused(client.get(f"/api/v1/institutions/{credit_code(6)}", headers=admin_headers), 404)
    assert counts(runtime) == before
    client.put(
        f"/api/v1/institutions/{CODE_B}/status",
        json={"status": "suspended", "reason": "检查"},
        headers=admin_headers,
    ).raise_for_status()
    suspended = client.get(
        "/api/v1/institutions", params={"status": "suspended"}, headers=admin_headers
    ).json()
    assert [i["credit_code"] for i in suspended["institutions"]] == [CODE_B]
    assert suspended["institutions"][0]["status_reason"] == "检查"


def test_cli_adds_lists_and_mints_institution_tokens(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from credential_service.cli import app as cli

    monkeypatch.setenv("CS_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("CS_KEYSTORE_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("CS_KEYSTORE_PASSPHRASE", "cli test")
    runner = CliRunner()
    assert runner.invoke(cli, ["init"]).exit_code == 0
    added = runner.invoke(
        cli,
        [
            "institutions",
            "add",
            CODE_A,
            "太原市技能培训学校",
            "--city",
            "140100",
            "--project",
            "6-18-02-04:skill_upgrade",
            "--project",
            "6-31-01-03",
        ],
    )
    assert added.exit_code == 0, added.output
    assert (
        runner.invoke(
            cli, ["institutions", "add", CODE_A, "again", "--city", "140100", "--project", "6-18-02-04"]
        ).exit_code
        == 1
    )
    bad_type = runner.invoke(
        cli, ["institutions", "add", CODE_B, "x", "--city", "140100", "--project", "6-18-02-04:nonsense"]
    )
    assert bad_type.exit_code == 1
    listing = runner.invoke(cli, ["institutions", "list"])
    assert listing.exit_code == 0 and CODE_A in listing.stdout
    token = runner.invoke(cli, ["token", "institution", CODE_A.lower()])
    assert token.exit_code == 0 and token.stdout.strip().count(".") == 2
    assert runner.invoke(cli, ["token", "institution", CODE_B]).exit_code == 1
    for command in (
        ["institutions", "--help"],
        ["institutions", "add", "--help"],
        ["token", "institution", "--help"],
    ):
        assert runner.invoke(cli, command).exit_code == 0


def test_idempotency_key_rule() -> None:
    assert training_rules.idempotency_key(None) is None
    assert training_rules.idempotency_key(' "abc-1" ') == "abc-1"
    assert training_rules.idempotency_key("abc-1") == "abc-1"
    for bad in ("", '""', "a b", "x" * 129):
        with pytest.raises(Exception, match="Idempotency-Key"):
            training_rules.idempotency_key(bad)


def test_pure_rules() -> None:
    projects = [("6-18-02-04", "skill_upgrade"), ("6-31-01-03", None)]
    assert training_rules.project_approved(projects, "6-18-02-04", "skill_upgrade")
    assert not training_rules.project_approved(projects, "6-18-02-04", "employment_skills")
    assert training_rules.project_approved(projects, "6-31-01-03", "other")
    assert not training_rules.project_approved([], "6-31-01-03", "other")
    late_utc = datetime(2026, 9, 1, 16, 30, tzinfo=UTC)  # 00:30 on 2 September in Beijing
    assert beijing_date(late_utc) == date(2026, 9, 2)
    closed, active = InstitutionStatus.CLOSED, InstitutionStatus.ACTIVE
    assert training_rules.status_change_allowed(InstitutionStatus.SUSPENDED, active)
    assert not training_rules.status_change_allowed(closed, active)
    assert training_rules.request_fingerprint("a", {"x": 1, "y": 2}) == training_rules.request_fingerprint(
        "a", {"y": 2, "x": 1}
    )
