"""Certificate status changes over real HTTP (SQLite and PostgreSQL): revoke, suspend, reinstate,
supersede, batch revoke; the signed status list, the worker's file, the audit trail, the CLI."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from credential_service.assessment.organisations import service as organisations
from credential_service.assessment.organisations.rules import ScopeRowInput
from credential_service.assessment.workflow.models import ResultSubmission
from credential_service.audit import service as audit
from credential_service.certificates import service as certificates
from credential_service.certificates.models import IssuedCredential
from credential_service.certificates.rules import SkillLevel, parse_number
from credential_service.certificates.status import service as status_changes
from credential_service.certificates.status.models import CertificateStatusChange
from credential_service.core.config import Settings
from credential_service.crypto.status_list import decode_list, get_bit
from credential_service.demo import demo_credit_code, demo_id_number, demo_name
from credential_service.identity import service as identity
from credential_service.identity.signin.assertions import AssertedIdentity, dev_assertion
from credential_service.issuers import service as issuers
from credential_service.issuers.models import Issuer, IssuerKind
from credential_service.platform.tokens import ORGANISATION_SCOPES, Principal, Role, mint_token
from credential_service.records.rules import EntryKind
from credential_service.runtime import Runtime
from tests.conftest import BASE_URL
from tests.factories import holder, issue_certificate
from tests.integration.test_admin_pages import _signed_in
from tests.integration.test_assessment_workflow import PLAN

OTHER_ORG = "Y000014040002"
GROUNDS = {
    "reason_code": "fraud",
    "evidence": "晋人社稽〔2026〕3号 稽查报告",
    "authority": "山西省人社厅 晋人社鉴〔2026〕12号",
}


def _headers(runtime: Runtime, principal: Principal) -> dict[str, str]:
    token = mint_token(runtime.keystore, issuer=BASE_URL, audience=BASE_URL, principal=principal, minutes=10)
    return {"Authorization": f"Bearer {token}"}


def _org(runtime: Runtime, code: str) -> dict[str, str]:
    return _headers(runtime, Principal(Role.ORGANISATION, f"org:{code}", ORGANISATION_SCOPES, tenant=code))


def _sign_in(client: TestClient, runtime: Runtime, who: certificates.Holder) -> dict[str, str]:
    assertion = dev_assertion(
        runtime.keystore,
        audience=BASE_URL,
        identity=AssertedIdentity(who.document_type.value, who.id_number, who.name, "L2"),
    )
    response = client.post("/api/v1/auth/assertion", json={"assertion": assertion})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _bit(client: TestClient, vc: dict[str, Any], purpose: str) -> bool:
    """The credential's bit, decoded from the signed list a verifier downloads."""
    entry = next(e for e in vc["credentialStatus"] if e["statusPurpose"] == purpose)
    listing = client.get(entry["statusListCredential"].removeprefix(BASE_URL))
    assert listing.status_code == 200 and listing.json()["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    return get_bit(
        decode_list(listing.json()["credentialSubject"]["encodedList"]), int(entry["statusListIndex"])
    )


def _view(runtime: Runtime, number: str) -> status_changes.StatusView:
    with runtime.session() as session:
        return status_changes.status_view(session, certificates.get_by_number(session, number))


def _post(client: TestClient, number: str, action: str, headers: dict[str, str], body: Any = None) -> Any:
    return client.post(f"/api/v1/certificates/{number}/{action}", json=body or GROUNDS, headers=headers)


def test_revocation_shows_in_the_signed_list_the_file_the_audit_trail_and_the_verifier(
    client: TestClient, runtime: Runtime, organisation: Issuer, admin_headers: dict[str, str]
) -> None:
    who = holder()
    record = issue_certificate(runtime, organisation, who=who)
    number, vc = record.certificate_number or "", json.loads(record.credential_json)
    assert not _bit(client, vc, "revocation")  # the signed list is now cached at this version
    assert _view(runtime, number) == status_changes.StatusView("valid", None, None, None)

    response = _post(client, number, "revoke", admin_headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"]["state"] == "revoked" and body["status"]["reason_code"] == "fraud"
    assert body["status"]["reason_zh"].startswith("弄虚作假")
    assert body["change"]["actor"] == "admin:test" and body["change"]["authority"] == GROUNDS["authority"]

    assert _bit(client, vc, "revocation")  # re-signed at the new version, not the cached one
    assert not _bit(client, vc, "suspension")
    verdict = client.post("/credentials/verify", json={"verifiableCredential": vc})
    assert verdict.status_code == 422
    assert {c["check"]: c["code"] for c in verdict.json()["checks"]}["status_revocation"] == "revocation"
    view = _view(runtime, number)
    assert view.state == "revoked" and view.reason_code == "fraud" and view.changed_at is not None

    file = client.get("/api/v1/me/file", headers=_sign_in(client, runtime, who)).json()
    changes = [e["facts"] for e in file if e["kind"] == EntryKind.CERTIFICATE_STATUS.value]
    assert changes == [
        {
            "certificateNumber": number,
            "purpose": "revocation",
            "flagged": True,
            "action": "revoke",
            "reasonCode": "fraud",
            "reason": changes[0]["reason"],
            "evidence": GROUNDS["evidence"],
            "authority": GROUNDS["authority"],
        }
    ]
    mine = client.get("/api/v1/me/certificates", headers=_sign_in(client, runtime, who)).json()
    assert [c["status"] for c in mine] == ["revoked"]

    with runtime.session() as session:
        events = audit.events(session, action="certificate.revoke")
        assert [e.subject for e in events] == [f"certificate:{number}"]
        assert json.loads(events[0].detail)["authority"] == GROUNDS["authority"]
        assert audit.check(audit.events(session)) == []  # the chain holds
    history = client.get(f"/api/v1/certificates/{number}/status-history", headers=admin_headers).json()
    assert history["status"]["state"] == "revoked" and [c["action"] for c in history["changes"]] == ["revoke"]


def test_suspension_reinstatement_and_the_forbidden_transitions(
    client: TestClient, runtime: Runtime, organisation: Issuer, admin_headers: dict[str, str]
) -> None:
    record = issue_certificate(runtime, organisation)
    number, vc = record.certificate_number or "", json.loads(record.credential_json)
    reinstating = {"evidence": "复查结论 2026-07", "authority": "山西省人社厅"}
    suspending = {**GROUNDS, "reason_code": "inspection_order"}

    assert _post(client, number, "reinstate", admin_headers, reinstating).status_code == 409  # not suspended
    assert (
        _post(client, number, "suspend", admin_headers, suspending).json()["status"]["state"] == "suspended"
    )
    assert _bit(client, vc, "suspension") and not _bit(client, vc, "revocation")
    again = _post(client, number, "suspend", admin_headers, suspending)
    assert again.status_code == 409 and again.json()["code"] == "status_transition_refused"
    assert (
        _post(client, number, "supersede", admin_headers, {**reinstating, "holder_name": "新名"}).status_code
        == 409
    )
    lifted = _post(client, number, "reinstate", admin_headers, reinstating)
    assert lifted.status_code == 200 and lifted.json()["status"]["state"] == "valid"
    assert not _bit(client, vc, "suspension")
    assert client.post("/credentials/verify", json={"verifiableCredential": vc}).status_code == 200

    # Revocation outranks suspension: a suspended certificate revoked reads "revoked" for good.
    assert _post(client, number, "suspend", admin_headers, suspending).status_code == 200
    assert _post(client, number, "revoke", admin_headers).status_code == 200
    assert _bit(client, vc, "suspension") and _bit(client, vc, "revocation")
    assert _view(runtime, number).state == "revoked"
    for action, body in (
        ("reinstate", reinstating),
        ("suspend", suspending),
        ("revoke", GROUNDS),
        ("supersede", {**reinstating, "holder_name": "新名"}),
    ):
        refused = _post(client, number, action, admin_headers, body)
        assert refused.status_code == 409, (action, refused.text)
        assert "撤销" in refused.json()["title"]
    history = client.get(f"/api/v1/certificates/{number}/status-history", headers=admin_headers).json()
    assert [c["action"] for c in history["changes"]] == ["suspend", "reinstate", "suspend", "revoke"]
    assert history["status"]["state"] == "revoked"


def test_who_may_change_a_certificate(
    client: TestClient, runtime: Runtime, organisation: Issuer, admin_headers: dict[str, str]
) -> None:
    with runtime.session() as session:
        issuers.register_issuer(
            session,
            runtime.keystore,
            public_base_url=BASE_URL,
            code=OTHER_ORG,
            name="潞安化工集团有限公司",
            kind=IssuerKind.ORGANISATION,
        )
    who = holder()
    number = issue_certificate(runtime, organisation, who=who).certificate_number or ""
    own, other = _org(runtime, organisation.code), _org(runtime, OTHER_ORG)
    worker = _sign_in(client, runtime, who)
    auditor = _headers(runtime, Principal(Role.AUDITOR, "auditor:test", frozenset()))
    institution = _headers(runtime, Principal(Role.INSTITUTION, "institution:x", frozenset(), tenant="x"))
    suspending = {**GROUNDS, "reason_code": "inspection_order"}
    for headers, refused in ((other, 404), (worker, 403), (auditor, 403), (institution, 403)):
        for action in ("revoke", "suspend"):  # another organisation's: not found, as an unknown number
            assert _post(client, number, action, headers, suspending).status_code == refused
    assert client.post(f"/api/v1/certificates/{number}/revoke", json=GROUNDS).status_code == 401
    assert _post(client, "Y000014010001263999999", "revoke", admin_headers).status_code == 404
    assert _view(runtime, number).state == "valid"  # nothing changed

    # The department's suspension is lifted by the department only; the organisation's by itself.
    lift = {"evidence": "复查结论 2026-07", "authority": "太原重型机械集团有限公司"}
    assert _post(client, number, "suspend", admin_headers, suspending).status_code == 200
    refused = _post(client, number, "reinstate", own, lift)
    assert refused.status_code == 403 and refused.json()["code"] == "suspension_imposed_by_department"
    assert _post(client, number, "reinstate", admin_headers, lift).status_code == 200
    assert _post(client, number, "suspend", own, suspending).status_code == 200
    assert _post(client, number, "reinstate", own, lift).status_code == 200
    assert _post(client, number, "revoke", own).json()["change"]["actor"] == f"org:{organisation.code}"

    # The history is for the holder, the issuing organisation and staff.
    path = f"/api/v1/certificates/{number}/status-history"
    assert client.get(path, headers=worker).status_code == 200
    assert client.get(path, headers=auditor).status_code == 200
    assert client.get(path, headers=other).status_code == 404


def test_bad_bodies_name_the_field_and_change_nothing(
    client: TestClient, runtime: Runtime, organisation: Issuer, admin_headers: dict[str, str]
) -> None:
    number = issue_certificate(runtime, organisation).certificate_number or ""
    id_number = demo_id_number(random.Random(5))
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("revoke", {k: v for k, v in GROUNDS.items() if k != "reason_code"}, "reason_code"),
        ("revoke", {**GROUNDS, "reason_code": "superseded"}, "reason_code"),  # only a correction sets it
        ("revoke", {**GROUNDS, "reason_code": "because"}, "reason_code"),
        ("suspend", {**GROUNDS, "evidence": ""}, "evidence"),
        ("suspend", {**GROUNDS, "authority": "x" * 201}, "authority"),
        ("revoke", {**GROUNDS, "evidence": f"举报人 {id_number}"}, "evidence"),
        ("revoke", {**GROUNDS, "note": "extra"}, "note"),
        ("reinstate", {"evidence": "复查 2026"}, "authority"),
        ("supersede", {"evidence": "户籍证明", "authority": "山西省人社厅"}, "holder_name"),
        (
            "supersede",
            {"evidence": "户籍证明", "authority": "山西省人社厅", "holder_name": ""},
            "holder_name",
        ),
    ]
    for action, body, field in cases:
        response = _post(client, number, action, admin_headers, body)
        assert response.status_code == 422, (action, body, response.text)
        assert field in {e["loc"] for e in response.json()["errors"]}, (action, response.json())
        assert id_number not in response.text
    not_json = client.post(
        f"/api/v1/certificates/{number}/revoke",
        content=b"{not json",
        headers={**admin_headers, "Content-Type": "application/json"},
    )
    assert not_json.status_code == 400
    same_name = json.loads(_credential(runtime, number))["credentialSubject"]["name"]
    unchanged = _post(
        client,
        number,
        "supersede",
        admin_headers,
        {"evidence": "户籍证明", "authority": "山西省人社厅", "holder_name": same_name},
    )
    assert unchanged.status_code == 422 and unchanged.json()["errors"][0]["loc"] == "holder_name"
    assert _view(runtime, number).state == "valid"
    with runtime.session() as session:
        assert session.scalar(select(func.count()).select_from(CertificateStatusChange)) == 0
    openapi = client.get("/openapi.json").json()["paths"]
    for action in ("revoke", "suspend", "reinstate", "supersede"):
        documented = openapi[f"/api/v1/certificates/{{certificate_number}}/{action}"]["post"]["responses"]
        assert {"403", "404", "409", "422"} <= set(documented)
    assert "/api/v1/batches/{batch_id}/revoke" in openapi
    assert "/api/v1/certificates/{certificate_number}/status-history" in openapi


def _credential(runtime: Runtime, number: str) -> str:
    with runtime.session() as session:
        return certificates.get_by_number(session, number).credential_json


def test_a_correction_issues_a_new_certificate_naming_the_old_one(
    client: TestClient, runtime: Runtime, organisation: Issuer
) -> None:
    who = holder(name="王建国")
    old = issue_certificate(runtime, organisation, who=who)
    old_number, old_vc = old.certificate_number or "", json.loads(old.credential_json)
    own = _org(runtime, organisation.code)
    response = _post(
        client,
        old_number,
        "supersede",
        own,
        {"holder_name": "汪建国", "evidence": "户籍证明 2026-0417", "authority": "太原重型机械集团有限公司"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    new_number = body["new_certificate"]["certificate_number"]
    assert body["status"] == {
        "state": "superseded",
        "reason_code": "superseded",
        "changed_at": body["status"]["changed_at"],
        "superseded_by": new_number,
        "reason_zh": body["status"]["reason_zh"],
        "reason_en": body["status"]["reason_en"],
    }
    assert new_number != old_number
    assert parse_number(new_number).organisation_code == parse_number(old_number).organisation_code

    new_vc = client.get(body["new_certificate"]["credential_url"].removeprefix(BASE_URL), headers=own).json()
    assert new_vc["credentialSubject"]["name"] == "汪建国"
    assert new_vc["credentialSubject"]["licenseNumber"] == new_number
    (evidence,) = new_vc["evidence"]
    assert evidence["id"] == old_vc["id"] and evidence["type"] == ["Evidence"]
    assert old_number in evidence["description"] and old_vc["id"] in evidence["description"]
    achievement = new_vc["credentialSubject"]["achievement"]
    assert achievement["id"] == old_vc["credentialSubject"]["achievement"]["id"]  # same occupation, level
    assert new_vc["credentialSubject"]["activityEndDate"] == old_vc["credentialSubject"]["activityEndDate"]
    # The new one verifies (JSON-LD safe mode accepts the evidence); the old one is revoked.
    assert client.post("/credentials/verify", json={"verifiableCredential": new_vc}).status_code == 200
    old_check = client.post("/credentials/verify", json={"verifiableCredential": old_vc})
    assert old_check.status_code == 422 and _bit(client, old_vc, "revocation")

    assert _view(runtime, old_number).state == "superseded"
    assert _view(runtime, old_number).superseded_by == new_number
    assert _view(runtime, new_number).state == "valid"
    worker = _sign_in(client, runtime, who)
    mine = {c["certificate_number"]: c for c in client.get("/api/v1/me/certificates", headers=worker).json()}
    assert mine[old_number]["status"] == "superseded" and mine[old_number]["superseded_by"] == new_number
    assert mine[new_number]["status"] == "valid"
    file = client.get("/api/v1/me/file", headers=worker).json()
    issued = [e["facts"] for e in file if e["kind"] == EntryKind.CERTIFICATE_ISSUED.value]
    assert issued[-1]["certificateNumber"] == new_number and issued[-1]["supersedes"] == old_number
    status = [e["facts"] for e in file if e["kind"] == EntryKind.CERTIFICATE_STATUS.value]
    assert status[-1]["action"] == "supersede" and status[-1]["supersededBy"] == new_number
    client.cookies.set("cs_session", worker["Authorization"].split()[1])
    page = client.get("/me")
    client.cookies.clear()
    assert page.status_code == 200 and "已更正换发" in page.text  # the word, not a blank

    again = _post(
        client,
        old_number,
        "supersede",
        own,
        {"holder_name": "汪建国", "evidence": "户籍证明", "authority": "太原重机"},
    )
    assert again.status_code == 409
    with runtime.session() as session:
        assert [e.subject for e in audit.events(session, action="certificate.supersede")] == [
            f"certificate:{old_number}"
        ]


def _issued_batch(client: TestClient, runtime: Runtime, size: int = 3) -> tuple[str, str, list[str]]:
    """An organisation registered for 电焊工 level 4, with one batch of ``size`` issued certificates."""
    site = "990031"
    with runtime.session() as session:
        code = organisations.register_organisation(
            session,
            runtime.keystore,
            runtime.settings,
            org_type="S",
            credit_code=demo_credit_code(random.Random(31), "140100"),
            name="山西省焊接技能评价站",
            mohrss_code="0000",
            site_serial=site,
            scope=[ScopeRowInput("6-18-02-04", "电焊工", (5, 4, 3), date(2026, 1, 1), date(2028, 12, 31))],
            actor="admin:test",
        ).code
    headers = _org(runtime, code)
    assert client.post("/api/v1/plans", json=PLAN, headers=headers).status_code == 201
    rng = random.Random(32)
    rows = [
        {
            "document_type": "resident_id",
            "id_number": demo_id_number(rng),
            "name": demo_name(rng),
            "theory": 80,
            "skill": 80,
        }
        for _ in range(size)
    ]
    submitted = client.post("/api/v1/plans/HJ-2026-11/results", json={"rows": rows}, headers=headers)
    assert submitted.status_code == 201, submitted.text
    batch = submitted.json()["public_id"]
    with runtime.session() as session:
        session.execute(update(ResultSubmission).values(publicity_ends_on=date.today() - timedelta(days=1)))
    issued = client.post(f"/api/v1/submissions/{batch}/issue", headers=headers)
    assert issued.status_code == 200 and issued.json()["issued"] == size
    with runtime.session() as session:
        numbers = sorted(
            n
            for n in session.scalars(select(IssuedCredential.certificate_number))
            if n and n.startswith(code)
        )
    return code, batch, numbers


def test_batch_revocation_is_one_transaction_with_one_audit_event(
    client: TestClient, runtime: Runtime, admin_headers: dict[str, str]
) -> None:
    code, batch, numbers = _issued_batch(client, runtime)
    headers = _org(runtime, code)
    path = f"/api/v1/batches/{batch}/revoke"
    # One certificate was corrected before: the batch revocation reaches its replacement too.
    corrected = _post(
        client,
        numbers[0],
        "supersede",
        headers,
        {"holder_name": "更正名", "evidence": "户籍证明", "authority": "评价站"},
    ).json()["new_certificate"]["certificate_number"]
    assert client.post(path, json=GROUNDS, headers=_org(runtime, OTHER_ORG)).status_code == 404
    assert (
        client.post(
            path, json=GROUNDS, headers=_headers(runtime, Principal(Role.AUDITOR, "a", frozenset()))
        ).status_code
        == 403
    )
    assert client.post("/api/v1/batches/nope/revoke", json=GROUNDS, headers=admin_headers).status_code == 404
    assert client.post(path, json={**GROUNDS, "reason_code": "oops"}, headers=headers).status_code == 422

    response = client.post(path, json={**GROUNDS, "reason_code": "altered_scores"}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["batch_id"] == batch
    assert sorted(body["revoked"]) == sorted([*numbers[1:], corrected])
    assert body["already_revoked"] == [numbers[0]]
    for number in [*numbers[1:], corrected]:
        view = _view(runtime, number)
        assert view.state == "revoked" and view.reason_code == "altered_scores"
        vc = json.loads(_credential(runtime, number))
        assert _bit(client, vc, "revocation")
    assert _view(runtime, numbers[0]).state == "superseded"
    with runtime.session() as session:
        rows = list(
            session.scalars(select(CertificateStatusChange).where(CertificateStatusChange.batch_id == batch))
        )
        assert sorted(r.certificate_number for r in rows) == sorted(body["revoked"])
        (event,) = audit.events(session, action="batch.revoke")
        assert (
            event.subject == f"submission:{batch}" and json.loads(event.detail)["revoked"] == body["revoked"]
        )
        assert audit.events(session, action="certificate.revoke") == []  # one event for the batch
    again = client.post(path, json=GROUNDS, headers=admin_headers)
    assert again.status_code == 409 and again.json()["code"] == "batch_revoked"


def test_a_failing_batch_revocation_changes_nothing(
    client: TestClient, runtime: Runtime, admin_headers: dict[str, str]
) -> None:
    """All in one transaction: a failure half-way leaves every certificate as it was."""
    _code, batch, numbers = _issued_batch(client, runtime, size=2)
    with runtime.session() as session:  # break the second certificate's status entry
        session.execute(
            update(IssuedCredential)
            .where(IssuedCredential.certificate_number == numbers[1])
            .values(revocation_list_id=None, revocation_index=None)
        )
    response = client.post(f"/api/v1/batches/{batch}/revoke", json=GROUNDS, headers=admin_headers)
    assert response.status_code == 404 and response.json()["code"] == "status_entry_not_found"
    assert _view(runtime, numbers[0]).state == "valid"
    with runtime.session() as session:
        assert session.scalar(select(func.count()).select_from(CertificateStatusChange)) == 0
        assert audit.events(session, action="batch.revoke") == []


def test_revoking_flags_subsidies_paid_on_the_certificate(
    client: TestClient, runtime: Runtime, organisation: Issuer, admin_headers: dict[str, str]
) -> None:
    from credential_service.subsidies import service as rule_sets
    from credential_service.subsidies.rules import Employment
    from credential_service.subsidies.social_insurance import record_demo_facts

    who = holder()
    number = (
        issue_certificate(runtime, organisation, who=who, level=SkillLevel.LEVEL_4).certificate_number or ""
    )
    worker = _sign_in(client, runtime, who)
    person_id = client.get("/api/v1/me", headers=worker).json()["public_id"]
    with runtime.session() as session:
        rule_sets.ensure_shipped_rule_sets(session, actor="test")
        record_demo_facts(
            session,
            runtime.settings.data_key_bytes,
            identity.get_person(session, person_id),
            insured_months=24,
            employment=Employment.ENTERPRISE_EMPLOYEE,
            card_account="6217000010001234567",
        )
    claim = client.post("/api/v1/me/subsidy-claims", json={"certificate_number": number}, headers=worker)
    decision = f"/api/v1/admin/subsidy-claims/{claim.json()['claim_id']}/decision"
    paid = client.post(decision, json={"decision": "approve", "reason": "材料齐全"}, headers=admin_headers)
    assert paid.status_code == 200, paid.text
    file = client.get(f"/api/v1/admin/persons/{person_id}/file", headers=admin_headers).json()
    paid_seq = next(e["seq"] for e in file["entries"] if e["kind"] == "subsidy_paid")
    revoked = _post(client, number, "revoke", admin_headers).json()
    assert revoked["subsidies_to_recover"] == [paid_seq]
    # Officers and auditors see the amount to recover on a page, in words and yuan.
    page = _signed_in(client, runtime, Role.AUDITOR).get("/admin/recoveries")
    assert page.status_code == 200
    assert f'data-number="{number}"' in page.text and "¥1,500.00" in page.text and "技能提升补贴" in page.text
    assert "合计 1 笔，¥1,500.00" in page.text and who.id_number not in page.text


def test_cli_revoke_suspend_reinstate(
    runtime: Runtime, organisation: Issuer, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from credential_service.cli import app as cli

    for name, value in (
        ("CS_ENVIRONMENT", settings.environment),
        ("CS_DATABASE_URL", settings.database_url),
        ("CS_KEYSTORE_DIR", str(settings.keystore_dir)),
        ("CS_KEYSTORE_PASSPHRASE", settings.keystore_passphrase or ""),
        ("CS_PUBLIC_BASE_URL", settings.public_base_url),
    ):
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("USER", "operator")
    runner = CliRunner()
    number = issue_certificate(runtime, organisation).certificate_number or ""
    grounds = ["--evidence", "晋人社稽〔2026〕3号", "--authority", "山西省人社厅 晋人社鉴〔2026〕12号"]
    bad = runner.invoke(cli, ["revoke", number, "--reason", "because", *grounds])
    assert bad.exit_code == 1 and "reason_code" in bad.stdout
    suspended = runner.invoke(cli, ["suspend", number, "--reason", "inspection_order", *grounds])
    assert suspended.exit_code == 0, suspended.stdout
    assert _view(runtime, number).state == "suspended"
    assert runner.invoke(cli, ["reinstate", number, *grounds]).exit_code == 0
    revoked = runner.invoke(cli, ["revoke", number, "--reason", "fraud", *grounds])
    assert revoked.exit_code == 0 and "revoked" in revoked.stdout
    final = runner.invoke(cli, ["revoke", number, "--reason", "fraud", *grounds])
    assert final.exit_code == 1 and "final" in final.stdout
    assert runner.invoke(cli, ["revoke", "--help"]).exit_code == 0
    with runtime.session() as session:
        actors = {r.actor for r in session.scalars(select(CertificateStatusChange))}
    assert actors == {"cli:operator"}
    assert _view(runtime, number).reason_code == "fraud"
