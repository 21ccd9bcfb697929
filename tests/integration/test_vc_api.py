"""The W3C VC API over real HTTP (ASGI): issue, verify, and every kind of bad input."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from credential_service.certificates.models import IssuedCredential, StatusEntry
from credential_service.issuers.models import Issuer
from credential_service.runtime import Runtime
from tests.conftest import ORG_CODE, VECTORS
from tests.factories import PLATFORM_DID, issue_certificate, plain_credential


def _count(runtime: Runtime) -> tuple[int, int]:
    with runtime.session() as session:
        return (
            session.scalar(select(func.count()).select_from(IssuedCredential)) or 0,
            session.scalar(select(func.count()).select_from(StatusEntry)) or 0,
        )


@pytest.mark.parametrize("cryptosuite", ["eddsa-rdfc-2022", "eddsa-jcs-2022"])
def test_issue_then_verify_round_trip(
    client: TestClient, admin_headers: dict[str, str], organisation: Issuer, cryptosuite: str
) -> None:
    response = client.post(
        "/credentials/issue",
        json={"credential": plain_credential(), "options": {"cryptosuite": cryptosuite}},
        headers=admin_headers,
    )
    assert response.status_code == 201, response.text
    vc = response.json()["verifiableCredential"]
    assert vc["issuer"] == PLATFORM_DID
    assert vc["proof"]["cryptosuite"] == cryptosuite
    assert [s["statusPurpose"] for s in vc["credentialStatus"]] == ["revocation", "suspension"]

    verified = client.post("/credentials/verify", json={"verifiableCredential": vc})
    assert verified.status_code == 200, verified.text
    body = verified.json()
    assert body["verified"] is True
    assert {c["check"] for c in body["checks"]} >= {
        "proof",
        "issuer_key",
        "issuer",
        "validity_period",
        "status_revocation",
        "status_suspension",
        "schema",
    }

    tampered = copy.deepcopy(vc)
    tampered["credentialSubject"]["name"] = "李四"
    refused = client.post("/credentials/verify", json={"verifiableCredential": tampered})
    assert refused.status_code == 422
    proof = next(c for c in refused.json()["checks"] if c["check"] == "proof")
    assert proof["outcome"] == "invalid"


def test_skill_certificate_verifies_and_hides_the_id_number(
    runtime: Runtime, client: TestClient, organisation: Issuer, admin_headers: dict[str, str]
) -> None:
    from tests.factories import holder

    worker = holder(name="王小明")
    record = issue_certificate(runtime, organisation, who=worker)
    text = record.credential_json
    assert worker.id_number not in text
    vc = json.loads(text)
    subject = vc["credentialSubject"]
    assert subject["name"] == "王小明"
    assert subject["licenseNumber"] == record.certificate_number
    # Nothing derived from the ID number (decision 022): a random subject id, no identifier.
    assert "identifier" not in subject and subject["id"].startswith("urn:uuid:")
    assert subject["achievement"]["humanCode"] == "6-18-02-04"
    assert subject["achievement"]["specialization"] == "电焊工"
    assert vc["issuer"]["name"] == "太原重型机械集团有限公司"
    response = client.post("/credentials/verify", json={"verifiableCredential": vc})
    assert response.status_code == 200, response.text
    schema_check = next(c for c in response.json()["checks"] if c["check"] == "schema")
    assert schema_check["code"] == "schema_valid"
    fetched = client.get(
        f"/api/v1/certificates/{record.certificate_number}/credential.json", headers=admin_headers
    )
    assert fetched.status_code == 200 and fetched.json() == vc


BAD_REQUESTS: list[tuple[str, Any, int, str]] = [
    (
        "missing type",
        {"credential": {**plain_credential(), "type": ["ExampleAchievementCredential"]}},
        422,
        "type",
    ),
    ("bad validFrom", {"credential": plain_credential(validFrom="2026-13-01")}, 422, "validFrom"),
    (
        "validUntil before validFrom",
        {"credential": plain_credential(validFrom="2026-02-01T00:00:00Z", validUntil="2026-01-01T00:00:00Z")},
        422,
        "validUntil",
    ),
    (
        "context order",
        {"credential": {**plain_credential(), "@context": list(reversed(plain_credential()["@context"]))}},
        422,
        "@context",
    ),
    (
        "unknown context",
        {
            "credential": {
                **plain_credential(),
                "@context": ["https://www.w3.org/ns/credentials/v2", "https://evil.example/ctx"],
            }
        },
        422,
        "@context",
    ),
    (
        "undefined term",
        {
            "credential": {
                **plain_credential(),
                "@context": ["https://www.w3.org/ns/credentials/v2"],
                "type": ["VerifiableCredential"],
                "credentialSubject": {"id": "did:example:x", "invalidTerm": 1},
            }
        },
        422,
        "invalidTerm",
    ),
    (
        "undefined type",
        {
            "credential": {
                **plain_credential(),
                "@context": ["https://www.w3.org/ns/credentials/v2"],
                "type": ["VerifiableCredential", "InvalidType"],
            }
        },
        422,
        "InvalidType",
    ),
    ("someone else's issuer", {"credential": plain_credential("did:web:other.example")}, 422, "issuer"),
    (
        "unknown option",
        {"credential": plain_credential(), "options": {"mandatoryPointers": ["/x"]}},
        422,
        "mandatoryPointers",
    ),
    ("wrong type", {"credential": "not an object"}, 422, "credential"),
    ("unknown field", {"credential": plain_credential(), "extra": 1}, 422, "extra"),
    (
        "undefined status type",
        {
            "credential": plain_credential(
                credentialStatus={"type": "UndefinedStatus"},
                type=["VerifiableCredential"],
                **{"@context": ["https://www.w3.org/ns/credentials/v2"]},
            )
        },
        422,
        "UndefinedStatus",
    ),
]


@pytest.mark.parametrize(("why", "body", "status", "field"), BAD_REQUESTS, ids=[b[0] for b in BAD_REQUESTS])
def test_bad_issue_requests_are_refused_and_change_nothing(
    client: TestClient,
    runtime: Runtime,
    admin_headers: dict[str, str],
    why: str,
    body: Any,
    status: int,
    field: str,
) -> None:
    before = _count(runtime)
    response = client.post("/credentials/issue", json=body, headers=admin_headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in response.text, response.text
    assert _count(runtime) == before


def test_malformed_json_oversized_and_unauthenticated(
    client: TestClient, runtime: Runtime, admin_headers: dict[str, str]
) -> None:
    before = _count(runtime)
    malformed = client.post(
        "/credentials/issue",
        content=b'{"credential": {',
        headers={**admin_headers, "content-type": "application/json"},
    )
    assert malformed.status_code == 400 and malformed.json()["code"] == "malformed_json"
    huge = {"credential": plain_credential(description="x" * 2_000_000)}
    assert client.post("/credentials/issue", json=huge, headers=admin_headers).status_code == 413
    assert client.post("/credentials/issue", json={"credential": plain_credential()}).status_code == 401
    bad_token = {"Authorization": "Bearer abc.def.ghi"}
    assert (
        client.post(
            "/credentials/issue", json={"credential": plain_credential()}, headers=bad_token
        ).status_code
        == 401
    )
    assert _count(runtime) == before


def test_verify_refuses_credentials_from_dids_we_do_not_serve(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    vc = client.post(
        "/credentials/issue", json={"credential": plain_credential()}, headers=admin_headers
    ).json()["verifiableCredential"]
    foreign = copy.deepcopy(vc)
    foreign["proof"]["verificationMethod"] = "did:web:elsewhere.example#key-1"
    response = client.post("/credentials/verify", json={"verifiableCredential": foreign})
    assert response.status_code == 422
    assert response.json()["checks"][0]["code"] == "unknown_key"
    assert client.post("/credentials/verify", json={"verifiableCredential": []}).status_code == 422
    assert client.post("/credentials/verify", json={}).status_code == 422


def test_idempotent_issue(client: TestClient, runtime: Runtime, admin_headers: dict[str, str]) -> None:
    body = {"credential": plain_credential(), "options": {"credentialId": "batch-7-row-3"}}
    first = client.post("/credentials/issue", json=body, headers=admin_headers).json()
    before = _count(runtime)
    second = client.post("/credentials/issue", json=body, headers=admin_headers).json()
    assert first == second
    assert _count(runtime) == before


def test_a_credential_id_is_issued_once(
    client: TestClient, runtime: Runtime, admin_headers: dict[str, str]
) -> None:
    body = {"credential": plain_credential(id="urn:uuid:6e1f2a3b-0000-4000-8000-00000000abcd")}
    assert client.post("/credentials/issue", json=body, headers=admin_headers).status_code == 201
    before = _count(runtime)
    again = client.post("/credentials/issue", json=body, headers=admin_headers)
    assert again.status_code == 409 and again.json()["code"] == "credential_id_taken"
    assert _count(runtime) == before


def test_did_documents_and_schemas_are_served(client: TestClient, organisation: Issuer) -> None:
    doc = client.get(f"/orgs/{ORG_CODE}/did.json").json()
    assert doc["id"] == organisation.did
    method = doc["verificationMethod"][0]
    assert method["type"] == "Multikey" and method["publicKeyMultibase"].startswith("z6Mk")
    assert doc["assertionMethod"] == [method["id"]]
    assert client.get("/.well-known/did.json").json()["id"] == "did:web:skills.test"
    assert client.get("/orgs/Y999914999999/did.json").status_code == 404
    assert client.get("/schemas/skill-certificate-v1.json").status_code == 200
    assert client.get("/schemas/../pyproject.toml").status_code == 404
    assert client.get("/contexts/ob-context-3.0.3.json").json()["@context"]
    assert client.get("/healthz").json() == {"status": "ok"}
    openapi = client.get("/openapi.json").json()
    assert {"/credentials/issue", "/credentials/verify", "/status/{list_id}"} <= set(openapi["paths"])


VCDM2_INPUTS = sorted((VECTORS / "vcdm2-test-suite-inputs").glob("credential-*.json"))


def _as_test_suite_sends_it(path: Path, issuer_did: str) -> dict[str, Any]:
    """Fill the placeholders the W3C VCDM 2.0 test suite fills before POSTing to /credentials/issue."""
    credential = json.loads(path.read_text(encoding="utf-8"))
    if "no-issuer" not in path.name:
        if isinstance(credential.get("issuer"), dict) and not credential["issuer"]:
            credential["issuer"]["id"] = issuer_did
        elif "issuer" not in credential:
            credential["issuer"] = issuer_did
    placeholders = {"PAST DATE": "2025-01-01T00:00:00Z", "FUTURE DATE": "2035-01-01T00:00:00Z"}
    for key in ("validFrom", "validUntil"):
        if credential.get(key) in placeholders:
            credential[key] = placeholders[credential[key]]
    return credential


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("path", VCDM2_INPUTS, ids=[p.stem for p in VCDM2_INPUTS])
def test_w3c_vcdm2_test_suite_inputs(
    client: TestClient, admin_headers: dict[str, str], organisation: Issuer, path: Path
) -> None:
    """``*-ok`` inputs are issued (201) and verify; ``*-fail`` inputs are refused with 400/422."""
    credential = _as_test_suite_sends_it(path, PLATFORM_DID)
    response = client.post("/credentials/issue", json={"credential": credential}, headers=admin_headers)
    if path.stem.endswith("-ok"):
        assert response.status_code == 201, response.text
        vc = response.json()["verifiableCredential"]
        checks = client.post("/credentials/verify", json={"verifiableCredential": vc}).json()["checks"]
        ours = [c for c in checks if c["check"] in ("proof", "issuer_key", "issuer")]
        if "proof" not in credential:  # an input proof (e.g. Ed25519Signature2020) cannot verify here
            assert all(c["outcome"] == "valid" for c in ours), ours
    else:
        assert response.status_code in (400, 422), response.text
        assert response.json()["errors"] or response.json()["title"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("depth", [60, 900, 5000])
def test_deeply_nested_input_is_a_clear_4xx(
    client: TestClient, runtime: Runtime, admin_headers: dict[str, str], depth: int
) -> None:
    before = _count(runtime)
    nested = '{"a":' * depth + "1" + "}" * depth
    credential = (
        '{"@context":["https://www.w3.org/ns/credentials/v2","https://www.w3.org/ns/credentials/examples/v2"],'
        f'"type":["VerifiableCredential"],"issuer":"{PLATFORM_DID}","credentialSubject":{nested}'
    )
    headers = {**admin_headers, "content-type": "application/json"}
    issued = client.post("/credentials/issue", content=f'{{"credential":{credential}}}}}', headers=headers)
    assert issued.status_code in (400, 422), issued.text
    proof = '"proof":{"type":"DataIntegrityProof","cryptosuite":"eddsa-rdfc-2022","proofValue":"z1"}'
    verified = client.post(
        "/credentials/verify", content=f'{{"verifiableCredential":{credential},{proof}}}}}', headers=headers
    )
    assert verified.status_code in (400, 422), verified.text
    assert _count(runtime) == before
