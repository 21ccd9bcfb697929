"""Evaluation organisations over HTTP: registration (备案) with scope, status, the signed endorsement,
OAuth 2 client credentials (secret and private_key_jwt), isolation, and the occupation catalogue.

Real HTTP through the ASGI app on SQLite and PostgreSQL.
"""

from __future__ import annotations

import base64
import json
import random
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from credential_service.assessment.occupations import service as occupations
from credential_service.assessment.occupations.models import Occupation
from credential_service.assessment.organisations import clients as org_clients
from credential_service.assessment.organisations import service as organisations
from credential_service.assessment.organisations.models import (
    Endorsement,
    Organisation,
    ScopeRow,
    StatusPeriod,
)
from credential_service.assessment.organisations.rules import endorsed_for, endorsed_registration
from credential_service.assessment.organisations.schemas import ScopeRowIn
from credential_service.audit import service as audit
from credential_service.cli import app as cli
from credential_service.core.clock import beijing_date, utcnow
from credential_service.core.config import Settings
from credential_service.core.errors import Conflict, InvalidInput
from credential_service.identity.clients import errors as client_errors
from credential_service.identity.clients import oauth
from credential_service.identity.clients.models import OrganisationClient
from credential_service.identity.credit_code import ALPHABET, credit_code_check_char
from credential_service.issuers import service as issuers
from credential_service.issuers.models import Issuer
from credential_service.platform.tokens import Principal, Role, mint_token
from credential_service.runtime import Runtime
from credential_service.verification.trust import BundleTrust, DatabaseTrust
from credential_service.verification.verifier import verify_credential
from tests.conftest import BASE_URL, ORG_CODE

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_CSV = ROOT / "tests" / "fixtures" / "occupations-sample.csv"
# The 1,639 occupations of the 2022 classification (copied from ../shared/data: the project stands alone).
FULL_CATALOGUE = ROOT / "tests" / "fixtures" / "occupations-2022.json"
TOKEN_URL = f"{BASE_URL}/oauth/token"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
CODE_A, CODE_B = "Y000014010002", "S123414000077"
NAME_A, NAME_B = "山西焊接技术有限公司", "太原职业技能评价中心"
WELDING = {
    "occupation_code": "6-18-02-04",
    "subtype": "电焊工",
    "levels": [5, 4, 3],
    "valid_from": "2026-01-01",
    "valid_to": "2028-12-31",
}
TURNING = {
    "occupation_code": "6-18-01-01",
    "subtype": None,
    "levels": [3, 2],
    "valid_from": "2026-01-01",
    "valid_to": "2026-12-31",
}


@pytest.fixture
def fixture_organisation_registered() -> bool:
    return False  # ORG_CODE stays a bare issuer here: these tests register organisations themselves


def credit_code(seed: int) -> str:
    rng = random.Random(seed)
    first17 = "91140100" + "".join(rng.choice(ALPHABET) for _ in range(9))
    return first17 + credit_code_check_char(first17)


CREDIT_A, CREDIT_B = credit_code(1), credit_code(2)


@pytest.fixture(autouse=True)
def catalogue(runtime: Runtime) -> None:
    with runtime.session() as session:
        occupations.ensure_builtin_occupations(session)


def bearer(runtime: Runtime, principal: Principal) -> dict[str, str]:
    token = mint_token(runtime.keystore, issuer=BASE_URL, audience=BASE_URL, principal=principal, minutes=5)
    return {"Authorization": f"Bearer {token}"}


def registration(**changes: Any) -> dict[str, Any]:
    return {
        "org_type": "Y",
        "credit_code": CREDIT_A,
        "name": NAME_A,
        "mohrss_code": "0000",
        "site_serial": "010002",
        "scope": [WELDING, TURNING],
        **changes,
    }


def register_b(client: TestClient, admin_headers: dict[str, str]) -> httpx.Response:
    body = registration(
        org_type="S", credit_code=CREDIT_B, name=NAME_B, mohrss_code="1234", site_serial="000077"
    )
    return client.post("/api/v1/organisations", json=body, headers=admin_headers)


@pytest.fixture
def org_a(client: TestClient, admin_headers: dict[str, str]) -> dict[str, Any]:
    answer = client.post("/api/v1/organisations", json=registration(), headers=admin_headers)
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def counts(runtime: Runtime) -> dict[str, int]:
    with runtime.session() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Organisation, ScopeRow, StatusPeriod, Endorsement, Issuer, OrganisationClient)
        }


def refused(answer: httpx.Response, status: int, *locs: str, chinese: bool = True) -> list[dict[str, str]]:
    """A problem answer with ``status`` naming each ``loc`` (in Chinese first, for the service's rules)."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    errors: list[dict[str, str]] = answer.json().get("errors", [])
    named = {e["loc"] for e in errors}
    for loc in locs:
        assert loc in named, (loc, errors)
    for error in errors:
        if chinese and error["loc"] in locs:
            assert not error["reason"].removeprefix("Value error, ")[0].isascii(), error
    return errors


# --- registration ---


def test_register_read_and_list(
    client: TestClient, runtime: Runtime, admin_headers: dict[str, str], org_a: dict[str, Any]
) -> None:
    assert org_a["code"] == CODE_A and org_a["did"] == f"did:web:skills.test:orgs:{CODE_A}"
    assert (org_a["org_type_name"], org_a["mohrss_code"], org_a["province_code"], org_a["site_serial"]) == (
        "用人单位",
        "0000",
        "14",
        "010002",
    )
    assert org_a["status"] == "active" and org_a["endorsement_version"] == 1
    assert org_a["endorsement_url"] == f"{BASE_URL}/orgs/{CODE_A}/endorsement.json"
    welding = org_a["scope"][0]
    assert (welding["occupation_name"], welding["subtype"], welding["levels"]) == (
        "焊工",
        "电焊工",
        [5, 4, 3],
    )
    assert org_a["scope"][1]["subtype"] is None
    assert [p["status"] for p in org_a["status_history"]] == ["active"]
    # its issuer: did:web document with a key, ready to sign certificates
    did = client.get(f"/orgs/{CODE_A}/did.json").json()
    assert did["id"] == org_a["did"] and len(did["assertionMethod"]) == 1

    auditor = bearer(runtime, Principal(Role.AUDITOR, "auditor:test", frozenset()))
    assert client.get(f"/api/v1/organisations/{CODE_A}", headers=auditor).json() == org_a
    assert (
        client.get(f"/api/v1/organisations/{CODE_A.lower()}", headers=admin_headers).json()["code"] == CODE_A
    )
    assert register_b(client, admin_headers).status_code == 201
    listing = client.get("/api/v1/organisations", headers=auditor).json()
    assert [o["code"] for o in listing["organisations"]] == [CODE_B, CODE_A] and listing["total"] == 2
    assert client.get("/api/v1/organisations?q=评价中心", headers=auditor).json()["total"] == 1
    assert client.get("/api/v1/organisations?status=suspended", headers=auditor).json()["total"] == 0
    page = client.get("/api/v1/organisations?limit=1&offset=1", headers=auditor).json()
    assert [o["code"] for o in page["organisations"]] == [CODE_A] and page["total"] == 2
    with runtime.session() as session:
        events = audit.events(session, action="organisation.register")
        assert [e.subject for e in events] == [f"organisation:{CODE_A}", f"organisation:{CODE_B}"]
        assert events[0].actor == "admin:test" and audit.check(audit.events(session)) == []


def test_only_administrators_register(
    client: TestClient, runtime: Runtime, org_headers: dict[str, str]
) -> None:
    auditor = bearer(runtime, Principal(Role.AUDITOR, "auditor:test", frozenset()))
    for headers, status in ((org_headers, 403), (auditor, 403), ({}, 401)):
        assert (
            client.post("/api/v1/organisations", json=registration(), headers=headers).status_code == status
        )
    assert client.get("/api/v1/organisations", headers=org_headers).status_code == 403


def test_every_bad_field_is_named_and_nothing_is_written(
    client: TestClient, runtime: Runtime, admin_headers: dict[str, str]
) -> None:
    before = counts(runtime)
    bad = registration(
        org_type="X",
        credit_code=CREDIT_A[:-1] + ("0" if CREDIT_A[-1] != "0" else "1"),
        name="  ",
        mohrss_code="12a4",
        site_serial="1234",
        scope=[
            {**WELDING, "occupation_code": "6-18-2-04"},
            {**WELDING, "occupation_code": "9-99-99-99"},
            {**WELDING, "subtype": "不存在的工种"},
            {**TURNING, "levels": []},
            {**TURNING, "levels": [6]},
            {**TURNING, "valid_from": "2027-01-01", "valid_to": "2026-01-01"},
        ],
    )
    errors = refused(
        client.post("/api/v1/organisations", json=bad, headers=admin_headers),
        422,
        "org_type",
        "credit_code",
        "name",
        "mohrss_code",
        "site_serial",
        "scope.0.occupation_code",
        "scope.1.occupation_code",
        "scope.2.subtype",
        "scope.3.levels",
        "scope.4.levels",
        "scope.5.valid_to",
    )
    credit = next(e for e in errors if e["loc"] == "credit_code")["reason"]
    assert credit.startswith("统一社会信用代码校验位不正确")
    assert counts(runtime) == before


def test_overlapping_and_empty_scopes_are_refused(
    client: TestClient, runtime: Runtime, admin_headers: dict[str, str]
) -> None:
    before = counts(runtime)
    overlap = registration(scope=[WELDING, {**WELDING, "levels": [3, 2], "valid_from": "2028-12-31"}])
    errors = refused(
        client.post("/api/v1/organisations", json=overlap, headers=admin_headers), 422, "scope.1"
    )
    assert "重叠" in errors[0]["reason"]
    refused(
        client.post("/api/v1/organisations", json=registration(scope=[]), headers=admin_headers), 422, "scope"
    )
    bad_date = registration(scope=[{**WELDING, "valid_to": "2028-13-01"}])
    errors = refused(
        client.post("/api/v1/organisations", json=bad_date, headers=admin_headers), 422, "scope.0.valid_to"
    )
    assert "YYYY-MM-DD" in errors[0]["reason"]
    unknown_field = registration(status="active")
    refused(
        client.post("/api/v1/organisations", json=unknown_field, headers=admin_headers),
        422,
        "status",
        chinese=False,
    )
    assert counts(runtime) == before


def test_duplicates_are_conflicts(
    client: TestClient, runtime: Runtime, admin_headers: dict[str, str], org_a: dict[str, Any]
) -> None:
    before = counts(runtime)
    again = client.post(
        "/api/v1/organisations", json=registration(credit_code=CREDIT_B), headers=admin_headers
    )
    assert again.status_code == 409 and again.json()["code"] == "organisation_exists"
    same_credit = client.post(
        "/api/v1/organisations", json=registration(site_serial="010099"), headers=admin_headers
    )
    assert same_credit.status_code == 409 and same_credit.json()["code"] == "credit_code_registered"
    assert counts(runtime) == before


def test_concurrent_registrations_of_one_code_register_once(runtime: Runtime) -> None:
    def attempt(i: int) -> str:
        try:
            with runtime.session() as session:
                organisations.register_organisation(
                    session,
                    runtime.keystore,
                    runtime.settings,
                    org_type="Y",
                    credit_code=CREDIT_A,
                    name=NAME_A,
                    mohrss_code="0000",
                    site_serial="010002",
                    scope=organisations.scope_inputs([ScopeRowIn.model_validate(WELDING)]),
                    actor=f"admin:{i}",
                )
        except Conflict as exc:
            return exc.code
        return "registered"

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(attempt, range(4)))
    assert sorted(outcomes) == ["organisation_exists"] * 3 + ["registered"]
    assert counts(runtime)["organisations"] == 1


def test_an_issuer_created_before_registration_is_taken_over(
    client: TestClient, runtime: Runtime, admin_headers: dict[str, str]
) -> None:
    """conftest's Y000014010001 was created as a bare issuer (as `orgs add` used to): it keeps its keys."""
    with runtime.session() as session:
        keys_before = [k.fragment for k in issuers.get_issuer(session, ORG_CODE).keys]
    body = registration(site_serial="010001", name="太原重型机械集团有限公司（备案名称）")
    answer = client.post("/api/v1/organisations", json=body, headers=admin_headers)
    assert answer.status_code == 201, answer.text
    with runtime.session() as session:
        issuer = issuers.get_issuer(session, ORG_CODE)
        assert [k.fragment for k in issuer.keys] == keys_before and issuer.name == body["name"]


# --- status and scope changes ---


def test_status_changes_sign_new_endorsements_and_exit_is_final(
    client: TestClient, runtime: Runtime, admin_headers: dict[str, str], org_a: dict[str, Any]
) -> None:
    url = f"/api/v1/organisations/{CODE_A}/status"
    suspended = client.put(
        url, json={"status": "suspended", "reason": "年度检查不合格"}, headers=admin_headers
    )
    assert suspended.status_code == 200 and suspended.json()["status"] == "suspended"
    assert suspended.json()["endorsement_version"] == 2
    same = client.put(url, json={"status": "suspended", "reason": "再次"}, headers=admin_headers).json()
    assert same["endorsement_version"] == 2 and len(same["status_history"]) == 2  # no change, no new version
    active = client.put(url, json={"status": "active", "reason": "整改完成"}, headers=admin_headers).json()
    assert [p["status"] for p in active["status_history"]] == ["active", "suspended", "active"]
    assert active["status_history"][1]["reason"] == "年度检查不合格"
    refused(client.put(url, json={"status": "suspended", "reason": ""}, headers=admin_headers), 422, "reason")
    closed = client.put(url, json={"status": "closed", "reason": "x"}, headers=admin_headers)
    refused(closed, 422, "status", chinese=False)
    exited = client.put(url, json={"status": "exited", "reason": "主动退出"}, headers=admin_headers).json()
    assert exited["status"] == "exited" and exited["endorsement_version"] == 4
    back = client.put(url, json={"status": "active", "reason": "想回来"}, headers=admin_headers)
    assert back.status_code == 409 and back.json()["code"] == "organisation_exited"
    scope = client.put(
        f"/api/v1/organisations/{CODE_A}/scope", json={"scope": [WELDING]}, headers=admin_headers
    )
    assert scope.status_code == 409
    missing = client.put(
        "/api/v1/organisations/Y000014999999/status",
        json={"status": "active", "reason": "x"},
        headers=admin_headers,
    )
    assert missing.status_code == 404 and missing.json()["code"] == "organisation_not_found"
    endorsement = client.get(f"/orgs/{CODE_A}/endorsement.json").json()
    assert "当前状态：已退出" in endorsement["credentialSubject"]["endorsementComment"]


def test_replacing_the_scope(
    client: TestClient, runtime: Runtime, admin_headers: dict[str, str], org_a: dict[str, Any]
) -> None:
    url = f"/api/v1/organisations/{CODE_A}/scope"
    ended = {**TURNING, "valid_to": "2026-06-30"}
    welder_2 = {**WELDING, "levels": [2], "valid_from": "2027-01-01"}
    changed = client.put(url, json={"scope": [WELDING, ended, welder_2]}, headers=admin_headers)
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["endorsement_version"] == 2 and len(body["scope"]) == 3
    assert body["scope"][1]["valid_to"] == "2026-06-30" and body["scope"][2]["levels"] == [2]
    before = counts(runtime)
    refused(
        client.put(url, json={"scope": [WELDING, {**WELDING, "levels": [3]}]}, headers=admin_headers),
        422,
        "scope.1",
    )
    assert counts(runtime) == before
    auditor = bearer(runtime, Principal(Role.AUDITOR, "auditor:test", frozenset()))
    assert client.put(url, json={"scope": [WELDING]}, headers=auditor).status_code == 403


# --- the endorsement ---


def test_the_endorsement_verifies_and_a_tampered_copy_does_not(
    client: TestClient, runtime: Runtime, admin_headers: dict[str, str], org_a: dict[str, Any]
) -> None:
    answer = client.get(f"/orgs/{CODE_A}/endorsement.json")  # public: no token
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/vc+ld+json")
    endorsement = answer.json()
    assert endorsement["type"] == ["VerifiableCredential", "EndorsementCredential"]
    assert endorsement["issuer"]["id"] == "did:web:skills.test"
    subject = endorsement["credentialSubject"]
    assert subject["type"] == ["EndorsementSubject"] and subject["id"] == org_a["did"]
    assert subject["name"] == NAME_A
    assert subject["endorsementComment"].startswith(f"{NAME_A}（用人单位，统一社会信用代码 {CREDIT_A}）")
    assert (
        "6-18-02-04 焊工（电焊工）：五级/初级工、四级/中级工、三级/高级工，2026-01-01 至 2028-12-31"
        in (subject["endorsementComment"])
    )
    assert endorsement["proof"]["cryptosuite"] == "eddsa-rdfc-2022"

    with runtime.session() as session:
        report = verify_credential(endorsement, DatabaseTrust(session, runtime.verification))
    assert report.verified, report.as_dict()
    offline = verify_credential(endorsement, BundleTrust(client.get("/api/v1/trust-bundle").json()))
    assert offline.verified, offline.as_dict()

    registration_read = endorsed_registration(endorsement)
    assert registration_read.organisation_code == CODE_A and registration_read.version == 1
    tomorrow = beijing_date(utcnow()) + timedelta(days=1)  # registered today: wholly active from tomorrow on
    assert endorsed_for(
        registration_read, "6-18-02-04", "电焊工", 3, max(tomorrow, registration_read.scope[0].valid_from)
    )
    assert not endorsed_for(registration_read, "6-18-02-04", "电焊工", 2, tomorrow)
    assert not endorsed_for(
        registration_read, "6-18-02-04", "电焊工", 3, beijing_date(utcnow()) - timedelta(days=1)
    )

    tampered = json.loads(json.dumps(endorsement))
    tampered["credentialSubject"]["endorsementComment"] = subject["endorsementComment"].replace(
        '"levels":[5,4,3]', '"levels":[5,4,3,2,1]'
    )
    assert tampered != endorsement
    with runtime.session() as session:
        bad = verify_credential(tampered, DatabaseTrust(session, runtime.verification))
    assert not bad.verified and bad.checks[0].check == "proof" and bad.checks[0].outcome == "invalid"
    other_subject = {
        **endorsement,
        "credentialSubject": {**subject, "id": "did:web:skills.test:orgs:Y000014999999"},
    }
    assert not verify_credential(
        other_subject, BundleTrust(client.get("/api/v1/trust-bundle").json())
    ).verified


def test_endorsement_versions(
    client: TestClient, runtime: Runtime, admin_headers: dict[str, str], org_a: dict[str, Any]
) -> None:
    client.put(f"/api/v1/organisations/{CODE_A}/scope", json={"scope": [WELDING]}, headers=admin_headers)
    latest = client.get(f"/orgs/{CODE_A}/endorsement.json").json()
    first = client.get(f"/orgs/{CODE_A}/endorsement.json?version=1")
    assert first.headers["cache-control"].endswith("immutable")
    assert endorsed_registration(latest).version == 2 and len(endorsed_registration(latest).scope) == 1
    assert (
        endorsed_registration(first.json()).version == 1
        and len(endorsed_registration(first.json()).scope) == 2
    )
    assert latest["id"].endswith("?version=2") and first.json()["id"].endswith("?version=1")
    with runtime.session() as session:
        assert verify_credential(first.json(), DatabaseTrust(session, runtime.verification)).verified
    assert client.get(f"/orgs/{CODE_A}/endorsement.json?version=3").status_code == 404
    assert client.get("/orgs/Y000014999999/endorsement.json").status_code == 404
    assert client.get(f"/orgs/{ORG_CODE}/endorsement.json").status_code == 404  # an issuer, not registered


# --- client credentials and the token endpoint ---


def new_client(
    client: TestClient, admin_headers: dict[str, str], code: str, method: str = "client_secret"
) -> Any:
    answer = client.post(
        f"/api/v1/organisations/{code}/clients", json={"auth_method": method}, headers=admin_headers
    )
    assert answer.status_code == 201, answer.text
    assert answer.headers["cache-control"] == "no-store"
    return answer.json()


def token_by_secret(client: TestClient, client_id: str, secret: str, **extra: str) -> httpx.Response:
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret, **extra}
    return client.post("/oauth/token", data=form)


def basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def oauth_error(answer: httpx.Response, status: int, error: str) -> dict[str, str]:
    assert answer.status_code == status, answer.text
    assert answer.headers["cache-control"] == "no-store"
    body: dict[str, str] = answer.json()
    assert body["error"] == error and body["error_description"].isascii()
    assert not body["message"][0].isascii()  # Chinese first
    return body


def test_client_secret_post_and_basic(
    client: TestClient, runtime: Runtime, admin_headers: dict[str, str], org_a: dict[str, Any]
) -> None:
    created = new_client(client, admin_headers, CODE_A)
    assert created["client_id"].startswith(f"{CODE_A}-") and len(created["client_secret"]) >= 40
    assert created["token_endpoint"] == TOKEN_URL
    with runtime.session() as session:
        stored = session.scalar(select(OrganisationClient.secret_hash))
        assert (
            stored is not None and stored.startswith("$argon2id$") and created["client_secret"] not in stored
        )
    listed = client.get(f"/api/v1/organisations/{CODE_A}/clients", headers=admin_headers).json()
    assert created["client_secret"] not in json.dumps(listed) and "secret_hash" not in json.dumps(listed)
    assert listed["clients"][0]["client_id"] == created["client_id"]

    answer = token_by_secret(client, created["client_id"], created["client_secret"])
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    token = answer.json()
    assert token["token_type"] == "Bearer" and token["expires_in"] == 15 * 60
    assert token["scope"] == "certificates plans results"
    claims = jwt.decode(token["access_token"], options={"verify_signature": False})
    assert (claims["role"], claims["tenant"]) == ("organisation", CODE_A)
    own = client.get(
        f"/api/v1/organisations/{CODE_A}", headers={"Authorization": f"Bearer {token['access_token']}"}
    )
    assert own.status_code == 200 and own.json()["code"] == CODE_A

    by_basic = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "plans"},
        headers=basic(created["client_id"], created["client_secret"]),
    )
    assert by_basic.status_code == 200 and by_basic.json()["scope"] == "plans"


def test_token_refusals(
    client: TestClient, runtime: Runtime, admin_headers: dict[str, str], org_a: dict[str, Any]
) -> None:
    created = new_client(client, admin_headers, CODE_A)
    client_id, secret = created["client_id"], created["client_secret"]
    oauth_error(token_by_secret(client, client_id, secret + "x"), 400, "invalid_client")
    oauth_error(token_by_secret(client, f"{CODE_A}-000000000000", secret), 400, "invalid_client")
    wrong_basic = client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(client_id, "no")
    )
    oauth_error(wrong_basic, 401, "invalid_client")
    assert wrong_basic.headers["www-authenticate"].startswith("Basic")
    oauth_error(client.post("/oauth/token", data={"grant_type": "client_credentials"}), 400, "invalid_client")
    both = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
        headers=basic(client_id, secret),
    )
    oauth_error(both, 400, "invalid_request")
    oauth_error(
        token_by_secret(client, client_id, secret, grant_type="password"), 400, "unsupported_grant_type"
    )
    oauth_error(
        client.post("/oauth/token", data={"client_id": client_id, "client_secret": secret}),
        400,
        "invalid_request",
    )
    oauth_error(token_by_secret(client, client_id, secret, scope="plans admin"), 400, "invalid_scope")
    as_json = client.post(
        "/oauth/token",
        json={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    oauth_error(as_json, 400, "invalid_request")  # RFC 6749 §3.2: form-encoded only

    revoked = client.delete(f"/api/v1/organisations/{CODE_A}/clients/{client_id}", headers=admin_headers)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    oauth_error(token_by_secret(client, client_id, secret), 400, "invalid_client")
    missing = client.delete(f"/api/v1/organisations/{CODE_A}/clients/nope", headers=admin_headers)
    assert missing.status_code == 404


def test_suspended_and_exited_organisations_get_no_token(
    client: TestClient, runtime: Runtime, admin_headers: dict[str, str], org_a: dict[str, Any]
) -> None:
    created = new_client(client, admin_headers, CODE_A)
    url = f"/api/v1/organisations/{CODE_A}/status"
    client.put(url, json={"status": "suspended", "reason": "检查"}, headers=admin_headers)
    body = oauth_error(
        token_by_secret(client, created["client_id"], created["client_secret"]), 400, "invalid_client"
    )
    assert "暂停" in body["message"] and "suspended" in body["error_description"]
    client.put(url, json={"status": "active", "reason": "恢复"}, headers=admin_headers)
    assert token_by_secret(client, created["client_id"], created["client_secret"]).status_code == 200
    client.put(url, json={"status": "exited", "reason": "退出"}, headers=admin_headers)
    oauth_error(
        token_by_secret(client, created["client_id"], created["client_secret"]), 400, "invalid_client"
    )
    assert (
        client.post(f"/api/v1/organisations/{CODE_A}/clients", json={}, headers=admin_headers).status_code
        == 409
    )


def org_key(runtime: Runtime, code: str) -> tuple[str, Ed25519PrivateKey]:
    with runtime.session() as session:
        key = issuers.active_key(issuers.get_issuer(session, code))
        return key.verification_method, runtime.keystore.ed25519_private_key(key.keystore_id)


def assertion(
    client_id: str,
    key: Ed25519PrivateKey,
    *,
    kid: str | None = None,
    aud: str = TOKEN_URL,
    lifetime: timedelta = timedelta(minutes=2),
    jti: str | None = None,
    **claims: Any,
) -> str:
    now = utcnow()
    body = {
        "iss": client_id,
        "sub": client_id,
        "aud": aud,
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
        "jti": jti or str(uuid.uuid4()),
        **claims,
    }
    return jwt.encode(body, key, algorithm="EdDSA", headers={"kid": kid} if kid else None)


def token_by_jwt(client: TestClient, signed: str, **extra: str) -> httpx.Response:
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": JWT_BEARER,
        "client_assertion": signed,
    }
    return client.post("/oauth/token", data={**form, **extra})


def test_private_key_jwt(
    client: TestClient, runtime: Runtime, admin_headers: dict[str, str], org_a: dict[str, Any]
) -> None:
    created = new_client(client, admin_headers, CODE_A, "private_key_jwt")
    client_id = created["client_id"]
    assert created["client_secret"] is None
    method, key = org_key(runtime, CODE_A)

    ok = token_by_jwt(client, assertion(client_id, key, kid=method))
    assert ok.status_code == 200, ok.text
    assert jwt.decode(ok.json()["access_token"], options={"verify_signature": False})["tenant"] == CODE_A
    assert token_by_jwt(client, assertion(client_id, key)).status_code == 200  # no kid: the current key
    assert (
        token_by_jwt(
            client, assertion(client_id, key, kid=method.split("#")[1]), client_id=client_id
        ).status_code
        == 200
    )

    forged = Ed25519PrivateKey.generate()
    oauth_error(token_by_jwt(client, assertion(client_id, forged, kid=method)), 400, "invalid_client")
    expired = assertion(client_id, key, lifetime=-timedelta(minutes=2))
    assert "expired" in oauth_error(token_by_jwt(client, expired), 400, "invalid_client")["error_description"]
    too_long = assertion(client_id, key, lifetime=timedelta(hours=1))
    oauth_error(token_by_jwt(client, too_long), 400, "invalid_client")
    oauth_error(token_by_jwt(client, assertion(client_id, key, aud=BASE_URL)), 400, "invalid_client")
    oauth_error(token_by_jwt(client, assertion(client_id, key, sub="someone-else")), 400, "invalid_client")
    oauth_error(token_by_jwt(client, assertion(client_id, key, jti=None) + "x"), 400, "invalid_client")
    oauth_error(token_by_jwt(client, "not.a.jwt"), 400, "invalid_client")
    oauth_error(token_by_jwt(client, assertion(client_id, key), client_id="other"), 400, "invalid_client")
    no_jti = jwt.encode(
        {
            "iss": client_id,
            "sub": client_id,
            "aud": TOKEN_URL,
            "exp": int((utcnow() + timedelta(minutes=1)).timestamp()),
        },
        key,
        algorithm="EdDSA",
    )
    oauth_error(token_by_jwt(client, no_jti), 400, "invalid_client")
    oauth_error(
        token_by_jwt(client, assertion(client_id, key), client_assertion_type="urn:x"), 400, "invalid_request"
    )

    once = assertion(client_id, key, kid=method)
    assert token_by_jwt(client, once).status_code == 200
    replayed = oauth_error(token_by_jwt(client, once), 400, "invalid_client")
    assert "jti" in replayed["error_description"]

    # After a rotation the old key is retired: it no longer authenticates, the new one does.
    with runtime.session() as session:
        issuers.rotate_key(session, runtime.keystore, issuers.get_issuer(session, CODE_A))
    oauth_error(token_by_jwt(client, assertion(client_id, key, kid=method)), 400, "invalid_client")
    new_method, new_key = org_key(runtime, CODE_A)
    assert token_by_jwt(client, assertion(client_id, new_key, kid=new_method)).status_code == 200

    # Another organisation's key, and a secret client presenting an assertion, are refused.
    assert register_b(client, admin_headers).status_code == 201
    _, key_b = org_key(runtime, CODE_B)
    oauth_error(token_by_jwt(client, assertion(client_id, key_b)), 400, "invalid_client")
    secret_client = new_client(client, admin_headers, CODE_A)
    oauth_error(token_by_jwt(client, assertion(secret_client["client_id"], new_key)), 400, "invalid_client")


def test_a_replayed_assertion_wins_once_under_concurrency(
    client: TestClient, runtime: Runtime, admin_headers: dict[str, str], org_a: dict[str, Any]
) -> None:
    client_id = new_client(client, admin_headers, CODE_A, "private_key_jwt")["client_id"]
    method, key = org_key(runtime, CODE_A)
    request = oauth.TokenRequest(
        grant_type="client_credentials",
        client_assertion_type=JWT_BEARER,
        client_assertion=assertion(client_id, key, kid=method),
    )

    def attempt(_: int) -> str:
        try:
            with runtime.session() as session:
                org_clients.issue_client_token(session, runtime.keystore, runtime.settings, request)
        except client_errors.OAuthError as exc:
            return exc.error
        return "ok"

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(attempt, range(6)))
    assert sorted(outcomes) == ["invalid_client"] * 5 + ["ok"]


# --- isolation ---


def test_an_organisation_sees_only_itself(
    client: TestClient, runtime: Runtime, admin_headers: dict[str, str], org_a: dict[str, Any]
) -> None:
    assert register_b(client, admin_headers).status_code == 201
    created = new_client(client, admin_headers, CODE_A)
    token = token_by_secret(client, created["client_id"], created["client_secret"]).json()["access_token"]
    headers_a = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/api/v1/organisations/{CODE_A}", headers=headers_a).status_code == 200
    other = client.get(f"/api/v1/organisations/{CODE_B}", headers=headers_a)
    nobody = client.get("/api/v1/organisations/Y000014999999", headers=headers_a)
    assert other.status_code == nobody.status_code == 404 and other.json() == nobody.json()
    assert client.get("/api/v1/organisations", headers=headers_a).status_code == 403
    for method, url, body in (
        ("PUT", f"/api/v1/organisations/{CODE_A}/status", {"status": "active", "reason": "x"}),
        ("PUT", f"/api/v1/organisations/{CODE_B}/scope", {"scope": [WELDING]}),
        ("POST", f"/api/v1/organisations/{CODE_A}/clients", {}),
        ("GET", f"/api/v1/organisations/{CODE_A}/clients", None),
        ("DELETE", f"/api/v1/organisations/{CODE_A}/clients/{created['client_id']}", None),
    ):
        assert client.request(method, url, json=body, headers=headers_a).status_code == 403, url
    worker = bearer(runtime, Principal(Role.WORKER, "person:x", frozenset(), tenant="x"))
    assert client.get(f"/api/v1/organisations/{CODE_A}", headers=worker).status_code == 403


# --- occupations ---


def test_occupation_search(client: TestClient) -> None:
    everything = client.get("/api/v1/occupations").json()
    assert everything["total"] == 10 and everything["occupations"][0]["code"] == "4-01-06-02"
    welders = client.get("/api/v1/occupations", params={"q": "电焊"}).json()  # by 工种
    assert [o["code"] for o in welders["occupations"]] == ["6-18-02-04"]
    assert welders["occupations"][0]["subtypes"] == ["电焊工"]
    care = client.get("/api/v1/occupations", params={"code": "4-10"}).json()
    assert [o["name"] for o in care["occupations"]] == ["养老护理员", "家政服务员"]
    page = client.get("/api/v1/occupations", params={"limit": 3, "offset": 9}).json()
    assert len(page["occupations"]) == 1 and page["total"] == 10 and page["offset"] == 9
    assert client.get("/api/v1/occupations", params={"q": "%"}).json()["total"] == 0  # LIKE is escaped
    assert client.get("/api/v1/occupations", params={"limit": 0}).status_code == 422


def test_import_the_sample_csv(client: TestClient, runtime: Runtime, admin_headers: dict[str, str]) -> None:
    with runtime.session() as session:
        rows, ignored = occupations.read_occupation_file(SAMPLE_CSV)
        report = occupations.import_occupations(session, rows, ignored_columns=ignored)
    # 人工智能训练师, 互联网营销师, 焊工, 电工 were built in; 碳排放管理员 and 光伏发电运维值班员 are new.
    assert (report.rows, report.created, report.updated, report.unchanged) == (6, 2, 4, 0)
    assert report.ignored_columns == ["备注"]
    ai = client.get("/api/v1/occupations", params={"code": "4-04-05-05"}).json()["occupations"][0]
    assert (ai["digital"], ai["green"], ai["subtypes"]) == (True, False, ["数据标注员", "人工智能训练师"])
    assert ai["major_class"] == "社会生产服务和生活服务人员" and ai["minor_class"] == "软件和信息技术服务人员"
    carbon = client.get("/api/v1/occupations", params={"code": "4-09-07-04"}).json()["occupations"][0]
    assert (carbon["digital"], carbon["green"]) == (False, True)
    with runtime.session() as session:
        again = occupations.import_occupations(session, rows)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 6)

    # The imported 工种 now bound the scope: 气焊工 is a 工种 of 焊工, 水下焊工 is not.
    body = registration(scope=[{**WELDING, "subtype": "气焊工"}])
    assert client.post("/api/v1/organisations", json=body, headers=admin_headers).status_code == 201
    bad = registration(credit_code=CREDIT_B, site_serial="010003", scope=[{**WELDING, "subtype": "水下焊工"}])
    errors = refused(
        client.post("/api/v1/organisations", json=bad, headers=admin_headers), 422, "scope.0.subtype"
    )
    assert "电焊工、气焊工、钎焊工、焊接设备操作工" in errors[0]["reason"]


def test_a_bad_catalogue_file_imports_nothing(runtime: Runtime, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "职业编码,职业名称,标识,S\n"
        "6-18-01-01,车工,,\n"
        "6-18-1-01,坏编码,,\n"
        "6-18-01-02,,,\n"
        "6-18-01-03,铣工,X,\n"
        "6-18-01-04,刨插工,,maybe\n"
        "6-18-01-01,车工,,\n",
        encoding="utf-8",
    )
    with runtime.session() as session:
        before = session.scalar(select(func.count()).select_from(Occupation))
        with pytest.raises(InvalidInput) as refused_rows:
            occupations.import_occupations(session, occupations.read_occupation_file(bad)[0])
    assert {e.loc for e in refused_rows.value.errors} == {
        "row 3.code",
        "row 4.name",
        "row 5.markers",
        "row 6.digital",
    }
    ok_but_duplicated = tmp_path / "dup.json"
    ok_but_duplicated.write_text(json.dumps([{"code": "6-18-01-01", "name": "车工"}] * 2), encoding="utf-8")
    with runtime.session() as session:
        with pytest.raises(InvalidInput) as duplicated:
            occupations.import_occupations(session, occupations.read_occupation_file(ok_but_duplicated)[0])
        assert duplicated.value.errors[0].loc == "occupations.1.code"
        twice_in_csv = tmp_path / "dup.csv"
        twice_in_csv.write_text("code,name\n6-18-01-01,车工\n\n6-18-01-01,车工\n", encoding="utf-8")
        with pytest.raises(InvalidInput) as duplicated:
            occupations.import_occupations(session, occupations.read_occupation_file(twice_in_csv)[0])
        assert duplicated.value.errors[0].loc == "row 4.code" and "row 2" in duplicated.value.errors[0].reason
        assert session.scalar(select(func.count()).select_from(Occupation)) == before
    no_name = tmp_path / "no-name.csv"
    no_name.write_text("code,subtypes\n6-18-01-01,\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as missing:
        occupations.read_occupation_file(no_name)
    assert missing.value.errors[0].loc == "header.name"


def test_import_the_full_2022_catalogue(client: TestClient, runtime: Runtime) -> None:
    with runtime.session() as session:
        rows, _ = occupations.read_occupation_file(FULL_CATALOGUE)
        report = occupations.import_occupations(session, rows)
    assert report.rows == 1639 and report.created + report.updated + report.unchanged == 1639
    assert report.updated == 10  # the built-in set gains its classes
    assert client.get("/api/v1/occupations", params={"limit": 1}).json()["total"] == 1639
    welder = client.get("/api/v1/occupations", params={"code": "6-18-02-04"}).json()["occupations"][0]
    assert welder["minor_class"] == "机械热加工人员" and welder["subtypes"] == [
        "电焊工"
    ]  # kept: the file has no 工种
    with runtime.session() as session:
        assert occupations.import_occupations(session, rows).unchanged == 1639


# --- command line ---


@pytest.fixture
def cli_env(settings: Settings, runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CS_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CS_KEYSTORE_DIR", str(settings.keystore_dir))
    monkeypatch.setenv("CS_KEYSTORE_PASSPHRASE", "test passphrase")
    monkeypatch.setenv("CS_PUBLIC_BASE_URL", BASE_URL)


def test_command_line(cli_env: None, client: TestClient) -> None:
    runner = CliRunner()
    imported = runner.invoke(cli, ["occupations", "import", str(SAMPLE_CSV)])
    assert imported.exit_code == 0 and "2 new" in imported.stdout, imported.output
    scope = [
        "--scope",
        "6-18-02-04:电焊工:5,4,3:2026-01-01:2028-12-31",
        "--scope",
        "6-18-01-01:--:3:2026-01-01:2026-12-31",
    ]
    added = runner.invoke(cli, ["orgs", "add", "Y", CREDIT_A, NAME_A, "0000", "010002", *scope])
    assert added.exit_code == 0 and CODE_A in added.stdout, added.output
    bad = runner.invoke(
        cli, ["orgs", "add", "Y", CREDIT_B, NAME_B, "0000", "010003", "--scope", "6-18-02-04:电焊工:5"]
    )
    assert bad.exit_code == 1 and "--scope" in bad.stdout
    listed = runner.invoke(cli, ["orgs", "list"])
    assert (
        listed.exit_code == 0 and CODE_A in listed.stdout and "未备案" in listed.stdout
    )  # conftest's bare issuer
    minted = runner.invoke(cli, ["orgs", "client", CODE_A])
    assert minted.exit_code == 0, minted.output
    credentials = json.loads(minted.stdout)
    assert token_by_secret(client, credentials["client_id"], credentials["client_secret"]).status_code == 200
    suspended = runner.invoke(cli, ["orgs", "status", CODE_A, "suspended", "--reason", "检查"])
    assert suspended.exit_code == 0 and "suspended" in suspended.stdout
    assert token_by_secret(client, credentials["client_id"], credentials["client_secret"]).status_code == 400
    revoked = runner.invoke(cli, ["orgs", "revoke-client", CODE_A, credentials["client_id"]])
    assert revoked.exit_code == 0
    assert runner.invoke(cli, ["orgs", "client", "Y000014999999"]).exit_code == 1
    assert runner.invoke(cli, ["occupations", "import", "/nonexistent.csv"]).exit_code == 1
