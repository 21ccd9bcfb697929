"""Claims for a class (issue 13, decision 035): the 生活费补贴 beside the 职业培训补贴, and one
certificate never drawing both a training subsidy and a 技能提升补贴 — whichever is claimed first, and
whether the training claim was filed before or after the certificate existed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from credential_service.certificates import service as certificates
from credential_service.core.clock import beijing_today
from credential_service.identity import service as identity
from credential_service.identity.models import Person
from credential_service.issuers.models import Issuer
from credential_service.runtime import Runtime
from credential_service.subsidies.rules import Employment
from credential_service.subsidies.social_insurance import record_demo_facts
from tests.factories import holder, issue_certificate
from tests.integration.test_subsidy_claims import ACCOUNT, _institution, _worker, rules_loaded, trainee
from tests.integration.test_training_institutions import CODE_A, register

__all__ = ["rules_loaded"]  # the fixture, shared

WELDER = "6-18-02-04"  # the certificates' occupation (tests.factories), an approved skill_upgrade project
OTHER = "6-31-01-03"


@pytest.fixture
def school(client: TestClient, runtime: Runtime, admin_headers: dict[str, str]) -> dict[str, str]:
    assert register(client, admin_headers, CODE_A, "太原市技能培训学校").status_code == 201
    return _institution(runtime, CODE_A)


def _completed_class(
    client: TestClient,
    school: dict[str, str],
    ref: str,
    people: list[certificates.Holder],
    *,
    occupation: str,
) -> None:
    """A class of ``occupation`` that ended two days ago, every trainee completed and passed."""
    today = beijing_today()
    start, end = today - timedelta(days=30), today - timedelta(days=2)
    body = {
        "class_ref": ref,
        "occupation_code": occupation,
        "training_type": "skill_upgrade" if occupation == WELDER else "employment_skills",
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "planned_hours": 80,
        "roster": [trainee(p) for p in people],
    }
    assert client.post("/api/v1/classes", json=body, headers=school).status_code == 201
    enrolments = [{**trainee(p), "enrolled_on": start.isoformat()} for p in people]
    posted = client.post(f"/api/v1/classes/{ref}/enrolments", json={"enrolments": enrolments}, headers=school)
    assert posted.status_code == 201, posted.text
    completions = [
        {**trainee(p), "attended_hours": 76, "result": "pass", "score": 85, "completed_on": end.isoformat()}
        for p in people
    ]
    posted = client.post(
        f"/api/v1/classes/{ref}/completions", json={"completions": completions}, headers=school
    )
    assert posted.status_code == 201, posted.text


def _person(runtime: Runtime, who: certificates.Holder) -> Person:
    with runtime.session() as session:
        found = identity.find_person(
            session, runtime.settings.data_key_bytes, identity.identify("resident_id", who.id_number)
        )
        assert found is not None
        return found


def _facts(runtime: Runtime, person: Person, *groups: str) -> None:
    with runtime.session() as session:
        record_demo_facts(
            session,
            runtime.settings.data_key_bytes,
            person,
            insured_months=24,
            employment=Employment.ENTERPRISE_EMPLOYEE,
            groups=frozenset(groups),
            card_account=ACCOUNT,
        )


def _claim_class(client: TestClient, school: dict[str, str], ref: str, kind: str = "training") -> Any:
    answer = client.post(
        "/api/v1/subsidy-claims", json={"class_ref": ref, "subsidy_type": kind}, headers=school
    )
    assert answer.status_code in (200, 201), answer.text
    return answer.json()["claims"]


def _outcomes(claim: dict[str, Any]) -> dict[str, str]:
    return {r["rule"]: r["outcome"] for r in claim["rules"]}


def test_the_living_allowance_is_claimed_for_the_eligible_groups_once_a_year(
    client: TestClient, runtime: Runtime, school: dict[str, str], rules_loaded: None
) -> None:
    poor, other = holder(), holder()
    _completed_class(client, school, "SH-2026-01", [poor, other], occupation=OTHER)
    _facts(runtime, _person(runtime, poor), "poverty_alleviated")
    _facts(runtime, _person(runtime, other))  # in no eligible group
    first, second = _claim_class(client, school, "SH-2026-01", "living_allowance")
    assert first["subsidy_type_name"] == "生活费补贴" and first["state"] == "eligible"
    # The shipped version cites no Shanxi amount, so it states none: nothing can be paid under it.
    assert first["amount_yuan"] is None and first["amount_basis"].startswith("本版本规则未规定金额")
    assert _outcomes(first)["once_a_year"] == "passed"
    assert second["state"] == "refused" and _outcomes(second)["in_eligible_group"] == "failed"
    # The same claim again answers with the first; the training subsidy is a claim of its own.
    again = _claim_class(client, school, "SH-2026-01", "living_allowance")
    assert [c["claim_id"] for c in again] == [first["claim_id"], second["claim_id"]]
    training = _claim_class(client, school, "SH-2026-01")
    assert {c["subsidy_type_name"] for c in training} == {"职业培训补贴"}
    # A second class the same year: the living allowance is once a year.
    _completed_class(client, school, "SH-2026-02", [poor], occupation=OTHER)
    (later,) = _claim_class(client, school, "SH-2026-02", "living_allowance")
    assert later["state"] == "refused" and _outcomes(later)["once_a_year"] == "failed"
    unknown = client.post(
        "/api/v1/subsidy-claims",
        json={"class_ref": "SH-2026-02", "subsidy_type": "skill_upgrade"},
        headers=school,
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["loc"] == "subsidy_type"


def test_a_training_claim_takes_the_certificate_its_class_led_to(
    client: TestClient, runtime: Runtime, organisation: Issuer, school: dict[str, str], rules_loaded: None
) -> None:
    who = holder()
    _completed_class(client, school, "HG-2026-21", [who], occupation=WELDER)
    number = issue_certificate(runtime, organisation, who=who).certificate_number or ""
    worker, person = _worker(runtime, who)
    _facts(runtime, person, "rural_migrant")
    (training,) = _claim_class(client, school, "HG-2026-21")
    assert training["certificate_number"] == number and training["state"] == "eligible"
    upgrade = client.post("/api/v1/me/subsidy-claims", json={"certificate_number": number}, headers=worker)
    claim = upgrade.json()
    assert claim["state"] == "refused", claim
    assert _outcomes(claim)["not_paid_with_excluded_subsidy"] == "failed"
    failed = next(r for r in claim["rules"] if r["rule"] == "not_paid_with_excluded_subsidy")
    assert "已享受职业培训补贴" in failed["reason"]


def test_a_training_claim_filed_before_the_certificate_still_counts_against_it(
    client: TestClient, runtime: Runtime, organisation: Issuer, school: dict[str, str], rules_loaded: None
) -> None:
    who = holder()
    _completed_class(client, school, "HG-2026-22", [who], occupation=WELDER)
    worker, person = _worker(runtime, who)
    _facts(runtime, person, "rural_migrant")
    (training,) = _claim_class(client, school, "HG-2026-22")
    assert training["certificate_number"] is None  # no certificate yet
    welder = issue_certificate(runtime, organisation, who=who).certificate_number or ""
    cook = issue_certificate(runtime, organisation, who=who, occupation="4-03-02-01").certificate_number or ""
    refused = client.post(
        "/api/v1/me/subsidy-claims", json={"certificate_number": welder}, headers=worker
    ).json()
    assert _outcomes(refused)["not_paid_with_excluded_subsidy"] == "failed"
    # Another occupation's certificate was not what the class led to: its claim is not refused for it.
    near_miss = client.post(
        "/api/v1/me/subsidy-claims", json={"certificate_number": cook}, headers=worker
    ).json()
    assert _outcomes(near_miss)["not_paid_with_excluded_subsidy"] == "passed"


def test_a_certificate_that_drew_the_skill_upgrade_subsidy_draws_no_training_subsidy(
    client: TestClient, runtime: Runtime, organisation: Issuer, school: dict[str, str], rules_loaded: None
) -> None:
    who = holder()
    _completed_class(client, school, "HG-2026-23", [who], occupation=WELDER)
    number = issue_certificate(runtime, organisation, who=who).certificate_number or ""
    worker, person = _worker(runtime, who)
    _facts(runtime, person, "rural_migrant")
    upgrade = client.post("/api/v1/me/subsidy-claims", json={"certificate_number": number}, headers=worker)
    assert upgrade.json()["state"] == "eligible"
    (training,) = _claim_class(client, school, "HG-2026-23")
    assert training["certificate_number"] == number
    assert (
        training["state"] == "refused" and _outcomes(training)["not_paid_with_excluded_subsidy"] == "failed"
    )
