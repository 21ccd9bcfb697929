"""The evaluation workflow end to end over HTTP: plan, 1,000 results by Excel with bad rows, fix,
publicity, an objection, issuance; the certificates verify and their numbers are national."""

from __future__ import annotations

import io
import random
from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import select, update

from credential_service.assessment.organisations import service as organisations
from credential_service.assessment.organisations.rules import ScopeRowInput
from credential_service.assessment.workflow.models import Candidate, ResultSubmission
from credential_service.audit import service as audit
from credential_service.certificates.rules import CERTIFICATE_NUMBER, parse_number
from credential_service.demo import demo_id_number, demo_name
from credential_service.platform.tokens import Principal, Role, mint_token
from credential_service.runtime import Runtime
from tests.conftest import BASE_URL

SCOPE = ScopeRowInput("6-18-02-04", "电焊工", (5, 4, 3), date(2026, 1, 1), date(2028, 12, 31))


def _register(runtime: Runtime, site: str, credit_code: str) -> tuple[str, dict[str, str]]:
    with runtime.session() as session:
        out = organisations.register_organisation(
            session,
            runtime.keystore,
            runtime.settings,
            org_type="S",
            credit_code=credit_code,
            name=f"山西省焊接技能评价站{site}",
            mohrss_code="0000",
            site_serial=site,
            scope=[SCOPE],
            actor="admin:test",
        )
    token = mint_token(
        runtime.keystore,
        issuer=BASE_URL,
        audience=BASE_URL,
        minutes=30,
        # what /oauth/token grants by default: every organisation scope
        principal=Principal(
            Role.ORGANISATION, f"org:{out.code}", frozenset({"plans", "results", "certificates"}), out.code
        ),
    )
    return out.code, {"Authorization": f"Bearer {token}"}


def _credit_code(seed: int) -> str:
    from credential_service.demo import demo_credit_code

    return demo_credit_code(random.Random(seed), "140100")


def _sheet(rows: list[tuple[Any, ...]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["证件类型", "证件号码", "姓名", "理论知识成绩", "技能操作成绩", "综合评审成绩"])
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


PLAN: dict[str, Any] = {
    "plan_ref": "HJ-2026-11",
    "occupation_code": "6-18-02-04",
    "subtype": "电焊工",
    "level": 4,
    "exam_start": "2026-11-10",
    "exam_end": "2026-11-12",
    "examiners": [{"name": "赵考评", "certificate_number": "KP1400012345"}],
}


def _plan(client: TestClient, headers: dict[str, str], **changes: Any) -> Any:
    return client.post("/api/v1/plans", json={**PLAN, **changes}, headers=headers)


@pytest.mark.slow
def test_from_plan_to_issued_certificates(
    client: TestClient, runtime: Runtime, admin_headers: dict[str, str]
) -> None:
    code, headers = _register(runtime, "990001", _credit_code(1))
    other_code, other_headers = _register(runtime, "990002", _credit_code(2))

    # Plans outside the scope are refused, with the field that is wrong.
    assert _plan(client, headers, level=2).status_code == 422
    assert "exam_start" in _plan(client, headers, subtype="氩弧焊工").text
    assert "exam_end" in _plan(client, headers, exam_start="2028-12-30", exam_end="2029-01-02").text
    assert _plan(client, headers).status_code == 201
    assert _plan(client, headers).status_code == 409

    rng = random.Random(7)
    people = [(demo_id_number(rng), demo_name(rng)) for _ in range(1000)]
    people = list({number: (number, name) for number, name in people}.values())
    rows = [("居民身份证", n, name, rng.randint(40, 99), rng.randint(50, 99), "") for n, name in people]
    bad = list(rows)
    bad[10] = (
        "居民身份证",
        rows[10][1][:-1] + ("0" if rows[10][1][-1] != "0" else "1"),
        rows[10][2],
        80,
        80,
        "",
    )
    bad[20] = (*rows[20][:3], 101, 80, "")
    bad.append(rows[30])  # the same candidate twice
    upload = client.post(
        "/api/v1/plans/HJ-2026-11/results/upload",
        headers=headers,
        files={"file": ("results.xlsx", _sheet(bad), "application/octet-stream")},
    )
    assert upload.status_code == 422, upload.text
    locs = {e["loc"] for e in upload.json()["errors"]}
    assert {"row 12: 证件号码", "row 22: 理论知识成绩", f"row {len(bad) + 1}: 证件号码"} <= locs
    assert rows[10][1] not in upload.text
    with runtime.session() as session:
        assert session.scalar(select(ResultSubmission.id)) is None  # nothing recorded

    good = _sheet(rows)
    first = client.post(
        "/api/v1/plans/HJ-2026-11/results/upload",
        headers=headers,
        files={"file": ("results.xlsx", good, "application/octet-stream")},
    )
    assert first.status_code == 201, first.text
    report = first.json()
    again = client.post(
        "/api/v1/plans/HJ-2026-11/results/upload",
        headers=headers,
        files={"file": ("results.xlsx", good, "application/octet-stream")},
    )
    assert again.json()["public_id"] == report["public_id"]  # identical content is recorded once
    assert report["accepted"] == len(rows) and report["passed"] + report["failed"] == len(rows)
    submission_id = report["public_id"]
    assert client.get(f"/api/v1/submissions/{submission_id}", headers=other_headers).status_code == 404

    listed = client.get("/api/v1/publicity", params={"limit": 500}).json()
    assert listed and all("*" in c["id_number_masked"] for c in listed)
    target = listed[0]["candidate_id"]
    objection = client.post(
        f"/api/v1/publicity/{target}/objections", json={"reason": "该考生考试时有他人替考的情况"}
    )
    assert objection.status_code == 201
    assert client.post(f"/api/v1/submissions/{submission_id}/issue", headers=headers).status_code == 409

    with runtime.session() as session:  # the five working days pass
        session.execute(
            update(ResultSubmission).values(
                published_on=date.today() - timedelta(days=10),
                publicity_ends_on=date.today() - timedelta(days=3),
            )
        )
    issued = client.post(f"/api/v1/submissions/{submission_id}/issue", headers=headers).json()
    assert issued["held"] == 1 and issued["issued"] == issued["passed"] - 1

    resolved = client.post(
        f"/api/v1/admin/objections/{objection.json()['objection_id']}/resolve",
        json={"upheld": True, "resolution": "经核查属实，不予发证"},
        headers=admin_headers,
    )
    assert resolved.json()["status"] == "upheld"
    final = client.post(f"/api/v1/submissions/{submission_id}/issue", headers=headers).json()
    assert final["issued_now"] == 0 and final["withdrawn"] == 1 and final["state"] == "issued"

    with runtime.session() as session:
        numbers = sorted(n for n in session.scalars(select(Candidate.certificate_number)) if n)
    assert len(numbers) == final["issued"]
    assert all(CERTIFICATE_NUMBER.match(n) for n in numbers)
    serials = [parse_number(n).serial for n in numbers]
    assert serials == list(range(1, len(numbers) + 1))  # unique and consecutive
    assert all(parse_number(n).organisation_code == code for n in numbers)
    vc = client.get(f"/api/v1/certificates/{numbers[0]}/credential.json", headers=admin_headers).json()
    assert (
        vc["issuer"]["id"].endswith(code)
        and vc["credentialSubject"]["achievement"]["specialization"] == "电焊工"
    )
    assert client.post("/credentials/verify", json={"verifiableCredential": vc}).status_code == 200
    assert other_code != code

    # Every step entered the hash-chained audit trail, with who did it.
    with runtime.session() as session:
        trail = audit.events(session)
        assert audit.check(trail) == []
    actions = Counter((e.action, e.actor.split(":")[0]) for e in trail)
    assert actions[("plan.file", "org")] >= 1 and actions[("submission.record", "org")] >= 1
    assert actions[("objection.lodge", "public")] == 1 and actions[("objection.resolve", "admin")] == 1
    assert actions[("credential.issue", "org")] == len(numbers)


def test_rules_each_with_a_failing_case(
    client: TestClient, runtime: Runtime, admin_headers: dict[str, str]
) -> None:
    from credential_service.assessment.organisations.rules import OrganisationStatus

    code, headers = _register(runtime, "990003", _credit_code(3))
    _, other_headers = _register(runtime, "990004", _credit_code(4))
    assert _plan(client, headers, occupation_code="6-18-01-01", subtype=None).status_code == 422  # occupation
    assert _plan(client, headers).status_code == 201
    rng = random.Random(11)
    rows = [
        {
            "document_type": "resident_id",
            "id_number": demo_id_number(rng),
            "name": demo_name(rng),
            "theory": 75,
            "skill": s,
        }
        for s in (59, 60, 88)
    ]
    path = "/api/v1/plans/HJ-2026-11/results"
    assert client.post(path, json={"rows": rows}, headers=other_headers).status_code == 404  # not their plan
    first = client.post(path, json={"rows": rows}, headers={**headers, "Idempotency-Key": "batch-1"})
    assert first.status_code == 201 and (first.json()["passed"], first.json()["failed"]) == (2, 1)  # 59 fails
    again = client.post(path, json={"rows": rows[:2]}, headers={**headers, "Idempotency-Key": "batch-1"})
    assert again.json()["public_id"] == first.json()["public_id"]  # the key, not the body, decides
    partial = client.post(
        path,
        params={"accept_valid_rows": "true"},
        headers=headers,
        json={"rows": [*rows[:1], {**rows[1], "name": "别人"}, {**rows[2], "theory": None}]},
    )
    assert partial.status_code == 201, partial.text
    assert partial.json()["accepted"] == 1
    assert {r["loc"] for r in partial.json()["rejected_rows"]} == {"row 2: 姓名", "row 3: 理论知识成绩"}
    with runtime.session() as session:
        organisations.change_status(
            session,
            runtime.keystore,
            runtime.settings,
            code,
            OrganisationStatus.SUSPENDED,
            reason="检查发现问题，暂停评价",
            actor="admin:test",
        )
    assert _plan(client, headers, plan_ref="HJ-2026-12").status_code == 403  # status
    suspended = client.post(path, json={"rows": rows[2:]}, headers={**headers, "Idempotency-Key": "batch-2"})
    assert suspended.status_code == 403
    submission = first.json()["public_id"]
    with runtime.session() as session:
        session.execute(update(ResultSubmission).values(publicity_ends_on=date.today() - timedelta(days=1)))
    assert client.post(f"/api/v1/submissions/{submission}/issue", headers=headers).status_code == 403


def test_national_export_lists_issued_certificates_and_is_audited(
    client: TestClient, runtime: Runtime
) -> None:
    from openpyxl import load_workbook

    from credential_service.audit import service as audit

    _code, headers = _register(runtime, "990005", _credit_code(5))
    assert _plan(client, headers).status_code == 201
    rng = random.Random(12)
    people = [(demo_id_number(rng), demo_name(rng)) for _ in range(3)]
    rows = [
        {"document_type": "resident_id", "id_number": n, "name": name, "theory": 80, "skill": 80}
        for n, name in people
    ]
    submission = client.post("/api/v1/plans/HJ-2026-11/results", json={"rows": rows}, headers=headers).json()
    with runtime.session() as session:
        session.execute(update(ResultSubmission).values(publicity_ends_on=date.today() - timedelta(days=1)))
    assert (
        client.post(f"/api/v1/submissions/{submission['public_id']}/issue", headers=headers).status_code
        == 200
    )
    csv_text = client.get(
        f"/api/v1/submissions/{submission['public_id']}/national-export.csv", headers=headers
    )
    lines = csv_text.content.decode("utf-8-sig").splitlines()
    assert lines[0].split(",")[:3] == ["姓名", "证件类型", "证件号码"] and len(lines) == 4
    assert {line.split(",")[2] for line in lines[1:]} == {n for n, _ in people}
    xlsx = client.get(f"/api/v1/submissions/{submission['public_id']}/national-export.xlsx", headers=headers)
    sheet = load_workbook(io.BytesIO(xlsx.content), read_only=True).worksheets[0]
    assert [r[7] for r in sheet.iter_rows(min_row=2, values_only=True)] == [
        line.split(",")[7] for line in lines[1:]
    ]
    with runtime.session() as session:
        assert [e.action for e in audit.events(session)].count("submission.national_export") == 2
