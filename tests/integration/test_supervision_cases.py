"""Supervision cases (issue 14, decision 036), on SQLite and PostgreSQL: a posting runs its checks in
its own transaction and opens one case per finding; the full scan opens no second one however often
it runs; the case moves open → investigating → closed with a reason, each step in the audit trail;
auditors read and may not move; every bad input is refused and changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from credential_service.audit import service as audit
from credential_service.issuers.models import Issuer
from credential_service.platform.tokens import Principal, Role
from credential_service.runtime import Runtime
from credential_service.supervision import service as supervision
from credential_service.supervision.models import CaseStep, SupervisionCase
from credential_service.supervision.rules.registry import CHECKS
from tests.factories import holder, issue_certificate
from tests.integration.test_training_institutions import (
    CODE_A,
    START,
    _bearer,
    at,
    class_body,
    event,
    institution_headers,
    register,
    trainee,
)


@pytest.fixture
def auditor_headers(runtime: Runtime) -> dict[str, str]:
    return _bearer(runtime, Principal(Role.AUDITOR, "auditor:zhao", frozenset({"audit"})))


@pytest.fixture
def school(client: TestClient, runtime: Runtime, admin_headers: dict[str, str]) -> dict[str, str]:
    assert register(client, admin_headers, CODE_A, "太原市技能培训学校").status_code == 201
    return institution_headers(runtime, CODE_A)


def _class_with(
    client: TestClient, school: dict[str, str], people: list[Any], ref: str, **changes: Any
) -> str:
    created = client.post("/api/v1/classes", json=class_body(people, ref, **changes), headers=school)
    assert created.status_code == 201, created.text
    enrolled = client.post(
        f"/api/v1/classes/{ref}/enrolments",
        json={"enrolments": [{**trainee(p), "enrolled_on": START.isoformat()} for p in people]},
        headers=school,
    )
    assert enrolled.status_code == 201, enrolled.text
    return ref


def _cases(runtime: Runtime) -> list[SupervisionCase]:
    with runtime.session() as session:
        return list(session.scalars(select(SupervisionCase).order_by(SupervisionCase.id)))


def _same_second(client: TestClient, school: dict[str, str], people: list[Any], ref: str) -> None:
    when = at(START, 8, 30).replace(":30:00", ":30:05")  # a device's time, to the second
    events = [event(p, when, photo_sha256=f"{i:064x}") for i, p in enumerate(people)]
    posted = client.post(f"/api/v1/classes/{ref}/attendance", json={"events": events}, headers=school)
    assert posted.status_code == 201, posted.text


def test_a_posting_opens_one_case_and_the_scan_no_second(
    client: TestClient, runtime: Runtime, school: dict[str, str], admin_headers: dict[str, str]
) -> None:
    people = [holder(), holder(), holder()]
    ref = _class_with(client, school, people, "2026-SUP-001")
    _same_second(client, school, people, ref)
    cases = _cases(runtime)
    assert [c.check_code for c in cases] == ["class_identical_checkin_times"]
    assert cases[0].opened_by == "scan:posting" and cases[0].city_code == "140100"
    for _ in range(2):
        with runtime.session() as session:
            reports = supervision.run_checks(
                session,
                data_key=runtime.settings.data_key_bytes,
                specs=list(CHECKS.values()),
                scope=None,
                opened_by="cli:test",
            )
        assert {r.code: r.opened for r in reports}["class_identical_checkin_times"] == 0
    assert len(_cases(runtime)) == 1
    listed = client.get(
        "/api/v1/admin/cases", params={"kind": "class_identical_checkin_times"}, headers=admin_headers
    )
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["total"] == 1
    case = body["cases"][0]
    assert case["status"] == "open" and case["status_name"] == "待处理" and case["check_version"] == 1
    assert {"type": "class", "ref": f"{CODE_A}/{ref}"} in case["subjects"]
    assert len(case["evidence"]) == 3 and all(e["kind"] == "entry" for e in case["evidence"])
    for who in people:
        assert who.id_number not in listed.text


def test_a_case_moves_with_reasons_each_step_audited(
    client: TestClient,
    runtime: Runtime,
    school: dict[str, str],
    admin_headers: dict[str, str],
    auditor_headers: dict[str, str],
) -> None:
    people = [holder(), holder(), holder()]
    _same_second(client, school, people, _class_with(client, school, people, "2026-SUP-002"))
    case_id = _cases(runtime)[0].public_id
    path = f"/api/v1/admin/cases/{case_id}"
    assert client.get(path, headers=auditor_headers).status_code == 200
    step = {"status": "investigating", "reason": "调取现场视频核查"}
    assert client.post(f"{path}/transition", json=step, headers=auditor_headers).status_code == 403
    bad = [
        ({"status": "closed", "reason": "查实"}, 409),  # closing needs an outcome
        ({"status": "investigating", "outcome": "confirmed", "reason": "核查"}, 409),
        ({"status": "investigating", "reason": ""}, 422),
        ({"status": "investigating", "reason": f"核对 {people[0].id_number}"}, 422),
        ({"status": "reopened", "reason": "核查"}, 422),
        ({"status": "investigating", "reason": "核查", "extra": 1}, 422),
    ]
    for body, status in bad:
        answer = client.post(f"{path}/transition", json=body, headers=admin_headers)
        assert answer.status_code == status, (body, answer.text)
        assert people[0].id_number not in answer.text
    with runtime.session() as session:
        assert session.scalar(select(func.count()).select_from(CaseStep)) == 0
    moved = client.post(f"{path}/transition", json=step, headers=admin_headers)
    assert moved.status_code == 200, moved.text
    closed = client.post(
        f"{path}/transition",
        json={"status": "closed", "outcome": "confirmed", "reason": "机构承认批量代签"},
        headers=admin_headers,
    )
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert body["status"] == "closed" and body["outcome"] == "confirmed" and body["outcome_name"] == "查实"
    assert [(s["from_status"], s["to_status"]) for s in body["steps"]] == [
        ("open", "investigating"),
        ("investigating", "closed"),
    ]
    again = client.post(f"{path}/transition", json=step, headers=admin_headers)
    assert again.status_code == 409
    assert client.get("/api/v1/admin/cases/nope", headers=admin_headers).status_code == 404
    with runtime.session() as session:
        trail = [(e.action, e.actor) for e in audit.events(session) if e.action.startswith("case.")]
        assert audit.check(audit.events(session)) == []
    assert trail == [
        ("case.open", "scan:posting"),
        ("case.transition", "admin:test"),
        ("case.transition", "admin:test"),
    ]


def test_the_list_filters_and_refuses_unknown_filters(
    client: TestClient, runtime: Runtime, school: dict[str, str], admin_headers: dict[str, str]
) -> None:
    people = [holder(), holder(), holder()]
    _same_second(client, school, people, _class_with(client, school, people, "2026-SUP-003"))
    get = client.get
    assert get("/api/v1/admin/cases", params={"status": "closed"}, headers=admin_headers).json()["total"] == 0
    assert get("/api/v1/admin/cases", params={"city": "140100"}, headers=admin_headers).json()["total"] == 1
    assert get("/api/v1/admin/cases", params={"city": "140200"}, headers=admin_headers).json()["total"] == 0
    for params, loc in [
        ({"kind": "nope"}, "kind"),
        ({"status": "done"}, "status"),
        ({"city": "999999"}, "city"),
    ]:
        refused = get("/api/v1/admin/cases", params=params, headers=admin_headers)
        assert refused.status_code == 422 and refused.json()["errors"][0]["loc"] == loc
    assert get("/api/v1/admin/cases").status_code == 401


def test_postings_take_the_optional_facts_the_checks_read(
    client: TestClient, runtime: Runtime, school: dict[str, str]
) -> None:
    people = [holder(), holder()]
    extra = {"teacher": "王建国", "venue_capacity": 40, "approved_on": START.isoformat()}
    ref = _class_with(client, school, people, "2026-SUP-004", **extra)
    shown = client.get(f"/api/v1/classes/{ref}", headers=school).json()
    assert {k: shown[k] for k in extra} == extra
    device = "AB" * 32
    located = event(people[0], at(START, 9), device_sha256=device, latitude=37.87, longitude=112.55)
    posted = client.post(f"/api/v1/classes/{ref}/attendance", json={"events": [located]}, headers=school)
    assert posted.status_code == 201, posted.text
    from credential_service.records.training.models import AttendanceEvent

    with runtime.session() as session:
        row = session.scalars(select(AttendanceEvent)).one()
        assert (row.device_sha256, row.latitude, row.longitude) == (device.lower(), 37.87, 112.55)
    bad = [
        ({"device_sha256": "phone-123"}, "events.0.device_sha256"),
        ({"latitude": 91, "longitude": 112.5}, "events.0.latitude"),
        ({"latitude": 37.8}, "events.0"),
    ]
    for changes, loc in bad:
        refused = client.post(
            f"/api/v1/classes/{ref}/attendance",
            json={"events": [event(people[1], at(START, 10), **changes)]},
            headers=school,
        )
        assert refused.status_code == 422, refused.text
        assert any(e["loc"] == loc for e in refused.json()["errors"]), refused.json()
    refused = client.post(
        "/api/v1/classes", json=class_body(people, "2026-SUP-005", venue_capacity=0), headers=school
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["loc"] == "venue_capacity"
    with runtime.session() as session:
        assert session.scalar(select(func.count()).select_from(AttendanceEvent)) == 1


def test_a_second_certificate_for_the_same_level_opens_a_case_at_issuance(
    client: TestClient, runtime: Runtime, organisation: Issuer, admin_headers: dict[str, str]
) -> None:
    who = holder()
    first = issue_certificate(runtime, organisation, who=who)
    assert not _cases(runtime)
    second = issue_certificate(runtime, organisation, who=who)
    (case,) = _cases(runtime)
    assert case.check_code == "certificate_duplicate" and case.opened_by == "scan:posting"
    body = client.get(f"/api/v1/admin/cases/{case.public_id}", headers=admin_headers).json()
    numbers = {s["ref"] for s in body["subjects"] if s["type"] == "certificate"}
    assert numbers == {first.certificate_number, second.certificate_number}
    assert who.id_number not in str(body)


def test_the_commands_list_the_checks_and_scan_idempotently(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from credential_service.cli import app as cli

    monkeypatch.setenv("CS_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("CS_KEYSTORE_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("CS_KEYSTORE_PASSPHRASE", "cli test")
    runner = CliRunner()
    assert runner.invoke(cli, ["init"]).exit_code == 0
    listed = runner.invoke(cli, ["supervise", "checks"])
    assert listed.exit_code == 0 and "pass_rate_outlier" in listed.output and "一机多签" in listed.output
    for _ in range(2):
        scanned = runner.invoke(cli, ["supervise", "run", "--full"])
        assert scanned.exit_code == 0, scanned.output
        assert "volume_spike" in scanned.output and "新开案件 0 件" in scanned.output
    nightly = runner.invoke(cli, ["supervise", "run"])
    assert nightly.exit_code == 0 and "person_overlapping_classes" not in nightly.output
    assert runner.invoke(cli, ["supervise", "run", "--check", "nope"]).exit_code == 1
