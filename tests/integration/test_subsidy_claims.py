"""Subsidy claims (issue 13, decision 032), on SQLite and PostgreSQL: certificate → claim → approval →
payment → revocation → recovery; a repeated claim answers with the first; a hard rule refuses, a
source that cannot tell makes the claim wait; access (a worker only for their own certificate, an
institution only for its own class); the recovery register and its downloads; the staff's unchecked
subsidy posting is gone."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select

from credential_service.audit import service as audit
from credential_service.certificates import service as certificates
from credential_service.core.clock import beijing_date, utcnow
from credential_service.identity import service as identity
from credential_service.identity.models import Person
from credential_service.issuers.models import Issuer
from credential_service.platform.tokens import Principal, Role, mint_token
from credential_service.records import service as records
from credential_service.runtime import Runtime
from credential_service.subsidies import service as rule_sets
from credential_service.subsidies.models import SubsidyClaim, SubsidyPayment
from credential_service.subsidies.rules import Employment
from credential_service.subsidies.social_insurance import record_demo_facts
from credential_service.transparency.models import LogLeaf
from tests.conftest import BASE_URL
from tests.factories import holder, issue_certificate

ACCOUNT = "6217000010001234567"  # the card's financial account, as the demo source gives it
REVOKE = {"reason_code": "fraud", "evidence": "晋人社稽〔2026〕3号", "authority": "山西省人社厅"}


def _token(runtime: Runtime, principal: Principal) -> dict[str, str]:
    token = mint_token(runtime.keystore, issuer=BASE_URL, audience=BASE_URL, principal=principal, minutes=5)
    return {"Authorization": f"Bearer {token}"}


def _worker(runtime: Runtime, who: certificates.Holder) -> tuple[dict[str, str], Person]:
    """The worker's token, their file opened (as the first sign-in opens it)."""
    with runtime.session() as session:
        person = identity.register_person(
            session,
            runtime.settings.data_key_bytes,
            identity.identify(who.document_type.value, who.id_number),
            who.name,
        )
    principal = Principal(
        Role.WORKER, f"worker:{person.public_id}", frozenset({"file:read", "L2"}), person.public_id
    )
    return _token(runtime, principal), person


def _facts(runtime: Runtime, person: Person, **facts: Any) -> None:
    with runtime.session() as session:
        record_demo_facts(session, runtime.settings.data_key_bytes, person, **facts)


@pytest.fixture
def rules_loaded(runtime: Runtime) -> None:
    with runtime.session() as session:
        rule_sets.ensure_shipped_rule_sets(session, actor="test")


def _insured(runtime: Runtime, person: Person) -> None:
    _facts(
        runtime,
        person,
        insured_months=24,
        employment=Employment.ENTERPRISE_EMPLOYEE,
        card_account=ACCOUNT,
    )


def _file_kinds(runtime: Runtime, person: Person) -> list[str]:
    with runtime.session() as session:
        return [e.kind for e in records.timeline(session, session.get_one(Person, person.id))]


def test_certificate_claim_approval_payment_revocation_recovery(
    client: TestClient,
    runtime: Runtime,
    organisation: Issuer,
    admin_headers: dict[str, str],
    rules_loaded: None,
) -> None:
    who = holder()
    number = issue_certificate(runtime, organisation, who=who).certificate_number or ""
    worker, person = _worker(runtime, who)
    _insured(runtime, person)
    claimed = client.post("/api/v1/me/subsidy-claims", json={"certificate_number": number}, headers=worker)
    assert claimed.status_code == 201, claimed.text
    claim = claimed.json()
    assert claim["state"] == "eligible" and claim["state_name"] == "符合条件，待审批"
    assert claim["subsidy_type_name"] == "技能提升补贴" and claim["amount_yuan"] == "2000.00"
    assert claim["rule_set_version"] == "2025.1" and len(claim["rule_set_sha256"]) == 64
    assert {r["outcome"] for r in claim["rules"]} == {"passed"} and len(claim["rules"]) == 9
    assert who.id_number not in claimed.text and claim["id_number_masked"] == person.id_number_masked
    # The same claim again: the first one, never a second.
    again = client.post("/api/v1/me/subsidy-claims", json={"certificate_number": number}, headers=worker)
    assert again.status_code == 200 and again.json()["claim_id"] == claim["claim_id"]
    path = f"/api/v1/subsidy-claims/{claim['claim_id']}"
    assert client.get(path, headers=worker).json()["state"] == "eligible"
    other, _ = _worker(runtime, holder())
    assert client.get(path, headers=other).status_code == 404
    # A reason is needed, and never an ID number in it.
    decision = f"/api/v1/admin/subsidy-claims/{claim['claim_id']}/decision"
    bad = client.post(
        decision, json={"decision": "approve", "reason": f"核对 {who.id_number}"}, headers=admin_headers
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == "reason"
    approved = client.post(
        decision, json={"decision": "approve", "reason": "材料齐全，予以发放"}, headers=admin_headers
    )
    assert approved.status_code == 200, approved.text
    paid = approved.json()
    assert paid["state"] == "paid" and paid["decided_approved"] is True
    assert (
        paid["payment"]["account_masked"] == "****4567" and paid["payment"]["paid_to"] == "社会保障卡金融账户"
    )
    assert ACCOUNT not in approved.text
    twice = client.post(decision, json={"decision": "refuse", "reason": "重复审核"}, headers=admin_headers)
    assert twice.status_code == 409 and twice.json()["code"] == "subsidy_claim_decided"
    # Revoking the certificate flags the payment, in the same transaction.
    revoked = client.post(f"/api/v1/certificates/{number}/revoke", json=REVOKE, headers=admin_headers)
    assert revoked.status_code == 200, revoked.text
    assert len(revoked.json()["subsidies_to_recover"]) == 1
    register = client.get("/api/v1/admin/subsidy-recoveries", headers=admin_headers).json()
    assert register["to_recover_yuan"] == "2000.00"
    (item,) = register["items"]
    assert item["claim_id"] == claim["claim_id"] and item["state"] == "to_recover"
    assert item["cause"] == "revoke" and item["account_masked"] == "****4567"
    assert client.get(path, headers=admin_headers).json()["recovery_state"] == "to_recover"
    # The worker's file holds every step, in order.
    assert _file_kinds(runtime, person)[-4:] == [
        "subsidy_claim",
        "subsidy_paid",
        "certificate_status",
        "subsidy_recovery",
    ]
    # Downloads: masked, formula-safe.
    sheet = client.get("/api/v1/admin/subsidy-recoveries.csv", headers=admin_headers)
    assert sheet.status_code == 200 and sheet.headers["cache-control"] == "private, no-store"
    text = sheet.content.decode("utf-8-sig")
    assert number in text and "2000.00" in text and "待追回" in text and ACCOUNT not in text
    assert who.id_number not in text
    book = client.get("/api/v1/admin/subsidy-recoveries.xlsx", headers=admin_headers)
    rows = list(load_workbook(io.BytesIO(book.content), read_only=True).active.iter_rows(values_only=True))
    assert rows[0][0] == "申领编号" and rows[1][1] == number
    # Waived, with a note; a second resolution is refused.
    resolve = f"/api/v1/admin/subsidy-recoveries/{claim['claim_id']}"
    waived = client.post(
        resolve, json={"state": "waived", "note": "持证人已去世，经批准免于追回"}, headers=admin_headers
    )
    assert waived.status_code == 200 and waived.json()["state_name"] == "免于追回"
    assert (
        client.post(resolve, json={"state": "recovered", "note": "已追回"}, headers=admin_headers).status_code
        == 409
    )
    # The audit trail and the public log hold each step; the log names no person and no certificate.
    with runtime.session() as session:
        actions = [e.action for e in audit.events(session) if e.action.startswith("subsidy.")]
        leaves = session.scalars(select(LogLeaf.leaf_data).where(LogLeaf.kind == "subsidy.step")).all()
    assert actions == ["subsidy.claim", "subsidy.pay", "subsidy.recovery", "subsidy.waived"]
    assert [json.loads(leaf)["step"] for leaf in leaves] == ["claim", "pay", "recovery", "waived"]
    assert not any(number in leaf or who.name in leaf for leaf in leaves)


def test_a_hard_rule_refuses_and_names_itself(
    client: TestClient,
    runtime: Runtime,
    organisation: Issuer,
    admin_headers: dict[str, str],
    rules_loaded: None,
) -> None:
    who = holder()
    number = issue_certificate(runtime, organisation, who=who).certificate_number or ""
    worker, person = _worker(runtime, who)
    _facts(runtime, person, insured_months=6, employment=Employment.ENTERPRISE_EMPLOYEE, card_account=ACCOUNT)
    claim = client.post(
        "/api/v1/me/subsidy-claims", json={"certificate_number": number}, headers=worker
    ).json()
    assert claim["state"] == "refused"
    failed = [r for r in claim["rules"] if r["outcome"] == "failed"]
    assert [r["rule"] for r in failed] == ["insured_months_enough"]
    assert failed[0]["title_zh"] == "失业保险参保月数" and "不足 12 个月" in failed[0]["reason"]
    decision = f"/api/v1/admin/subsidy-claims/{claim['claim_id']}/decision"
    answer = client.post(decision, json={"decision": "approve", "reason": "人工复核"}, headers=admin_headers)
    assert answer.status_code == 409
    with runtime.session() as session:
        assert session.scalar(select(func.count()).select_from(SubsidyPayment)) == 0


def test_a_source_that_cannot_tell_makes_the_claim_wait_never_pass(
    client: TestClient,
    runtime: Runtime,
    organisation: Issuer,
    admin_headers: dict[str, str],
    rules_loaded: None,
) -> None:
    who = holder()
    number = issue_certificate(runtime, organisation, who=who).certificate_number or ""
    worker, _ = _worker(runtime, who)  # no demo facts: the source cannot tell
    claim = client.post(
        "/api/v1/me/subsidy-claims", json={"certificate_number": number}, headers=worker
    ).json()
    assert claim["state"] == "waiting"
    cannot = {r["rule"] for r in claim["rules"] if r["outcome"] == "cannot_tell"}
    assert cannot == {"insured_months_enough", "employment_eligible"}
    decision = f"/api/v1/admin/subsidy-claims/{claim['claim_id']}/decision"
    # Without the card account nothing can be paid: 503 and nothing changes.
    answer = client.post(
        decision, json={"decision": "approve", "reason": "已人工核实参保"}, headers=admin_headers
    )
    assert answer.status_code == 503 and answer.json()["code"] == "social_insurance_unavailable"
    assert (
        client.get(f"/api/v1/subsidy-claims/{claim['claim_id']}", headers=worker).json()["state"] == "waiting"
    )
    refused = client.post(
        decision, json={"decision": "refuse", "reason": "无法核实参保情况"}, headers=admin_headers
    )
    assert refused.status_code == 200 and refused.json()["state"] == "refused"
    assert refused.json()["decided_reason"] == "无法核实参保情况"


def test_an_approval_after_revocation_names_the_failing_rule(
    client: TestClient,
    runtime: Runtime,
    organisation: Issuer,
    admin_headers: dict[str, str],
    rules_loaded: None,
) -> None:
    who = holder()
    number = issue_certificate(runtime, organisation, who=who).certificate_number or ""
    worker, person = _worker(runtime, who)
    _insured(runtime, person)
    claim = client.post(
        "/api/v1/me/subsidy-claims", json={"certificate_number": number}, headers=worker
    ).json()
    assert (
        client.post(f"/api/v1/certificates/{number}/revoke", json=REVOKE, headers=admin_headers).status_code
        == 200
    )
    decision = f"/api/v1/admin/subsidy-claims/{claim['claim_id']}/decision"
    answer = client.post(decision, json={"decision": "approve", "reason": "材料齐全"}, headers=admin_headers)
    assert answer.status_code == 409 and answer.json()["code"] == "subsidy_claim_fails_rules"
    assert (
        "证书有效" in answer.json()["title"] and "certificate valid in the registry" in answer.json()["title"]
    )


def test_a_worker_claims_only_for_their_own_certificate(
    client: TestClient, runtime: Runtime, organisation: Issuer, rules_loaded: None
) -> None:
    owner = holder()
    number = issue_certificate(runtime, organisation, who=owner).certificate_number or ""
    stranger, _ = _worker(runtime, holder())
    mine = client.post("/api/v1/me/subsidy-claims", json={"certificate_number": number}, headers=stranger)
    unknown = client.post(
        "/api/v1/me/subsidy-claims", json={"certificate_number": "Y000014010001263000999"}, headers=stranger
    )
    assert mine.status_code == unknown.status_code == 404
    assert mine.json()["code"] == unknown.json()["code"] == "certificate_not_found"
    with runtime.session() as session:
        assert session.scalar(select(func.count()).select_from(SubsidyClaim)) == 0


def test_the_yearly_cap_counts_claims_by_the_database(
    runtime: Runtime, organisation: Issuer, rules_loaded: None
) -> None:
    """Two certificates of occupations off the shortage list (cap 1 in 2025): the second claim of the
    year is refused by the cap, and holds no place."""
    from credential_service.subsidies import claims

    who = holder()
    first = issue_certificate(
        runtime, organisation, who=who, occupation="6-18-02-04", level=certificates.SkillLevel.LEVEL_5
    )
    second = issue_certificate(
        runtime, organisation, who=who, occupation="6-18-02-04", level=certificates.SkillLevel.LEVEL_4
    )
    _, person = _worker(runtime, who)
    _insured(runtime, person)
    with runtime.session() as session:
        me = session.get_one(Person, person.id)
        a = claims.claim_skill_upgrade(
            session,
            runtime.social_insurance,
            data_key=runtime.settings.data_key_bytes,
            person=me,
            certificate_number=first.certificate_number or "",
            actor="test",
        )
        b = claims.claim_skill_upgrade(
            session,
            runtime.social_insurance,
            data_key=runtime.settings.data_key_bytes,
            person=me,
            certificate_number=second.certificate_number or "",
            actor="test",
        )
        assert a.claim.yearly_slot and a.claim.yearly_slot.endswith("#1")
        assert b.claim.yearly_slot and b.claim.yearly_slot.endswith("#2")  # a shortage occupation: 3 a year


def test_staff_can_no_longer_post_a_subsidy(
    client: TestClient, runtime: Runtime, admin_headers: dict[str, str]
) -> None:
    _, person = _worker(runtime, holder())
    answer = client.post(
        f"/api/v1/admin/persons/{person.public_id}/entries",
        json={
            "subsidy_paid": {
                "subsidy_type": "技能提升补贴",
                "amount_yuan": "99999",
                "fund": "失业保险基金",
                "paid_on": "2026-10-08",
                "certificate_number": "NOSUCHCERT",
            }
        },
        headers=admin_headers,
    )
    assert answer.status_code == 422
    assert _file_kinds(runtime, person) == []


def trainee(who: certificates.Holder) -> dict[str, str]:
    return {"document_type": who.document_type.value, "id_number": who.id_number, "name": who.name}


def _institution(runtime: Runtime, code: str) -> dict[str, str]:
    return _token(
        runtime, Principal(Role.INSTITUTION, f"institution:{code}", frozenset({"train"}), tenant=code)
    )


def test_an_institution_claims_for_its_own_ended_class(
    client: TestClient, runtime: Runtime, admin_headers: dict[str, str], rules_loaded: None
) -> None:
    from tests.integration.test_training_institutions import CODE_A, CODE_B, register

    assert register(client, admin_headers, CODE_A, "太原市技能培训学校").status_code == 201
    assert register(client, admin_headers, CODE_B.lower(), "晋中市职业培训中心").status_code == 201
    school, other = _institution(runtime, CODE_A), _institution(runtime, CODE_B)
    done, unfinished = holder(), holder()
    today = date.today()
    body = {
        "class_ref": "HG-2026-11",
        "occupation_code": "6-31-01-03",
        "training_type": "employment_skills",
        "start_date": (today - timedelta(days=30)).isoformat(),
        "end_date": (today - timedelta(days=2)).isoformat(),
        "planned_hours": 80,
        "roster": [trainee(done), trainee(unfinished)],
    }
    assert client.post("/api/v1/classes", json=body, headers=school).status_code == 201
    enrolled = (today - timedelta(days=30)).isoformat()
    enrolments = {"enrolments": [{**trainee(p), "enrolled_on": enrolled} for p in (done, unfinished)]}
    assert (
        client.post("/api/v1/classes/HG-2026-11/enrolments", json=enrolments, headers=school).status_code
        == 201
    )
    completion = {
        **trainee(done),
        "attended_hours": 76,
        "result": "pass",
        "score": 85,
        "completed_on": (today - timedelta(days=2)).isoformat(),
    }
    posted = client.post(
        "/api/v1/classes/HG-2026-11/completions", json={"completions": [completion]}, headers=school
    )
    assert posted.status_code == 201, posted.text
    with runtime.session() as session:
        person = identity.find_person(
            session, runtime.settings.data_key_bytes, identity.identify("resident_id", done.id_number)
        )
        assert person is not None
        record_demo_facts(
            session,
            runtime.settings.data_key_bytes,
            person,
            insured_months=None,
            employment=None,
            groups=frozenset({"rural_migrant"}),
            card_account=ACCOUNT,
        )
    assert (
        client.post("/api/v1/subsidy-claims", json={"class_ref": "HG-2026-11"}, headers=other).status_code
        == 404
    )
    filed = client.post("/api/v1/subsidy-claims", json={"class_ref": "HG-2026-11"}, headers=school)
    assert filed.status_code == 201, filed.text
    (claim,) = filed.json()["claims"]
    assert claim["state"] == "eligible" and claim["amount_yuan"] == "1350.00"  # 9 days × 150
    assert claim["class_ref"] == "HG-2026-11" and claim["subsidy_type_name"] == "职业培训补贴"
    assert filed.json()["skipped"] == [{"member": 2, "reason": "尚无结业记录 / no completion is recorded"}]
    again = client.post("/api/v1/subsidy-claims", json={"class_ref": "HG-2026-11"}, headers=school)
    assert again.status_code == 200 and again.json()["claims"][0]["claim_id"] == claim["claim_id"]
    path = f"/api/v1/subsidy-claims/{claim['claim_id']}"
    assert client.get(path, headers=school).status_code == 200
    assert client.get(path, headers=other).status_code == 404


def test_the_claims_migration_upgrades_and_downgrades(runtime: Runtime) -> None:
    from alembic import command
    from sqlalchemy import inspect

    from credential_service.core.migrations import alembic_config, current_revision, head_revision, upgrade

    tables = {"subsidy_claims", "subsidy_claim_decisions", "subsidy_payments", "subsidy_recoveries"}
    assert tables <= set(inspect(runtime.engine).get_table_names())
    command.downgrade(alembic_config(runtime.engine), "0013")
    assert current_revision(runtime.engine) == "0013"
    assert not tables & set(inspect(runtime.engine).get_table_names())
    upgrade(runtime.engine)
    assert current_revision(runtime.engine) == head_revision(runtime.engine)  # 0014 and those after
    assert tables <= set(inspect(runtime.engine).get_table_names())


def test_a_provincial_system_that_does_not_answer_makes_the_claim_wait(
    client: TestClient, runtime: Runtime, organisation: Issuer, rules_loaded: None
) -> None:
    from credential_service.subsidies.social_insurance import HttpSource

    who = holder()
    number = issue_certificate(runtime, organisation, who=who).certificate_number or ""
    worker, person = _worker(runtime, who)
    _insured(runtime, person)  # the demo would say yes: the provincial system is the source now
    runtime.social_insurance = HttpSource("http://127.0.0.1:9", timeout_seconds=0.5)
    claim = client.post(
        "/api/v1/me/subsidy-claims", json={"certificate_number": number}, headers=worker
    ).json()
    assert claim["state"] == "waiting"
    assert {r["rule"]: r["outcome"] for r in claim["rules"]}["insured_months_enough"] == "cannot_tell"


def test_a_place_freed_by_a_refusal_is_taken_again(
    runtime: Runtime, organisation: Issuer, rules_loaded: None
) -> None:
    """A refused claim frees its yearly place; the next claim takes the first free one, never a
    place still held (which would only ever collide)."""
    from credential_service.subsidies import claims, decisions

    who = holder()
    numbers = [
        issue_certificate(runtime, organisation, who=who, level=level).certificate_number or ""
        for level in (
            certificates.SkillLevel.LEVEL_5,
            certificates.SkillLevel.LEVEL_4,
            certificates.SkillLevel.LEVEL_3,
        )
    ]
    _, person = _worker(runtime, who)
    _insured(runtime, person)
    key = runtime.settings.data_key_bytes

    def claim(number: str) -> SubsidyClaim:
        with runtime.session() as session:
            me = session.get_one(Person, person.id)
            return claims.claim_skill_upgrade(
                session,
                runtime.social_insurance,
                data_key=key,
                person=me,
                certificate_number=number,
                actor="t",
            ).claim

    first, second = claim(numbers[0]), claim(numbers[1])
    with runtime.session() as session:
        decisions.decide(
            session,
            runtime.social_insurance,
            data_key=key,
            claim_id=first.public_id,
            approve=False,
            reason="材料不全",
            officer="admin:test",
        )
    third = claim(numbers[2])
    year = beijing_date(utcnow()).year  # claims count by the Beijing year
    assert (second.yearly_slot, third.yearly_slot) == (f"{year}#2", f"{year}#1")
    assert third.state == "eligible"
