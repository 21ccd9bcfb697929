"""Interop, both directions, offline: our credentials in @digitalbazaar/vc, and theirs in ours."""

from __future__ import annotations

import copy
import json
import os
from typing import Any

import pytest
from fastapi.testclient import TestClient

from credential_service.certificates import service as certificates
from credential_service.core.clock import to_xsd, utcnow
from credential_service.crypto.multibase import ED25519_PRIV_HEADER, encode_base58btc
from credential_service.issuers.models import Issuer
from credential_service.runtime import Runtime
from tests.conftest import BASE_URL
from tests.factories import issue_certificate
from tests.interop import nodevc

pytestmark = pytest.mark.node
SUITES = ("eddsa-rdfc-2022", "eddsa-jcs-2022")


@pytest.fixture(autouse=True)
def _require_node() -> None:
    reason = nodevc.node_available()
    if reason is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but the node interop oracle is not ready: {reason}")
    pytest.skip(reason)


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the interop half is about formats, not storage


def _documents(client: TestClient, vc: dict[str, Any], issuer: Issuer) -> dict[str, Any]:
    """What a verifier fetches: the issuer's DID document and the signed status lists."""
    docs: dict[str, Any] = {issuer.did: client.get(f"/orgs/{issuer.code}/did.json").json()}
    for entry in vc.get("credentialStatus", []):
        url = entry["statusListCredential"]
        docs[url] = client.get(url.removeprefix(BASE_URL)).json()
    return docs


@pytest.mark.parametrize("cryptosuite", SUITES)
def test_our_certificate_verifies_in_digital_bazaar(
    client: TestClient, runtime: Runtime, organisation: Issuer, cryptosuite: certificates.Cryptosuite
) -> None:
    record = issue_certificate(runtime, organisation, cryptosuite=cryptosuite)
    vc = json.loads(record.credential_json)
    result = nodevc.node_verify(vc, _documents(client, vc, organisation), full=True, check_status=True)
    assert result["verified"] is True, result["error"]
    assert {s["statusPurpose"] for s in result["statusResults"]} == {"revocation", "suspension"}

    tampered = copy.deepcopy(vc)
    tampered["credentialSubject"]["achievement"]["name"] = "焊工（一级/高级技师）"
    assert nodevc.node_verify(tampered, _documents(client, vc, organisation))["verified"] is False

    with runtime.session() as session:
        certificates.set_credential_status(session, record.credential_id, "revocation", True)
    revoked = nodevc.node_verify(vc, _documents(client, vc, organisation))
    assert revoked["verified"] is False and "revoked" in (revoked["error"] or "")


@pytest.mark.parametrize("cryptosuite", SUITES)
def test_a_credential_signed_by_digital_bazaar_verifies_in_ours(
    client: TestClient, runtime: Runtime, organisation: Issuer, cryptosuite: str
) -> None:
    key = organisation.keys[0]
    seed = bytes(runtime.keystore.signer(key.keystore_id)._signing_key)
    unsigned = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:2f3a6c1e-8d4b-4f5a-9c2e-1b7d3e9a0f11",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": organisation.did, "type": ["Profile"], "name": organisation.name},
        "validFrom": "2026-01-01T00:00:00Z",
        "name": "职业技能等级证书",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "name": "赵六",
            "achievement": {
                "id": f"{BASE_URL}/occupations/6-31-01-03/levels/4",
                "type": ["Achievement"],
                "name": "电工（四级/中级工）",
                "description": "职业技能等级证书",
                "criteria": {"narrative": "理论知识、技能操作各项成绩均达到 60 分及以上。"},
            },
        },
    }
    signed = nodevc.node_sign(
        unsigned,
        cryptosuite=cryptosuite,
        key={
            "id": f"{organisation.did}#{key.fragment}",
            "controller": organisation.did,
            "publicKeyMultibase": key.public_key_multibase,
            "secretKeyMultibase": encode_base58btc(ED25519_PRIV_HEADER + seed),
        },
        date=to_xsd(utcnow()),  # after the key was created, as a real signature would be
        documents={organisation.did: client.get(f"/orgs/{organisation.code}/did.json").json()},
    )["signed"]
    assert signed["proof"]["cryptosuite"] == cryptosuite
    ours = client.post("/credentials/verify", json={"verifiableCredential": signed}).json()
    checks = {c["check"]: (c["outcome"], c["code"]) for c in ours["checks"]}
    assert checks["proof"] == ("valid", "signature_valid"), ours  # Digital Bazaar's proof verifies here ...
    # ... but a certificate the registry never issued is not genuine, whoever holds the key (decision 022).
    assert checks["record"] == ("invalid", "not_in_registry") and ours["conclusion"] == "not_genuine"
    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["name"] = "钱七"
    assert client.post("/credentials/verify", json={"verifiableCredential": tampered}).status_code == 422
    assert (
        nodevc.node_verify(
            tampered, {organisation.did: client.get(f"/orgs/{organisation.code}/did.json").json()}
        )["verified"]
        is False
    )


def test_the_clr_export_verifies_in_digital_bazaar(
    client: TestClient, runtime: Runtime, organisation: Issuer
) -> None:
    from credential_service.identity import service as identity
    from credential_service.worker.clr import export_clr
    from tests.factories import holder

    worker = holder(name="周建国")
    issue_certificate(runtime, organisation, who=worker)
    issue_certificate(runtime, organisation, who=worker, occupation="6-31-01-03")
    with runtime.session() as session:
        person = identity.find_person(
            session, runtime.settings.data_key_bytes, identity.identify("resident_id", worker.id_number)
        )
        assert person is not None
        clr = export_clr(session, runtime.keystore, runtime.issuance, person)
    assert len(clr["credentialSubject"]["verifiableCredential"]) == 2
    platform_did = clr["issuer"]["id"]
    documents = {platform_did: client.get("/.well-known/did.json").json()}
    for entry in clr["credentialStatus"]:  # issued like any credential: with its status entries
        url = entry["statusListCredential"]
        documents[url] = client.get(url.removeprefix(BASE_URL)).json()
    result = nodevc.node_verify(clr, documents, full=True, check_status=True)
    assert result["verified"] is True, result["error"]
    embedded = clr["credentialSubject"]["verifiableCredential"][0]
    assert nodevc.node_verify(embedded, _documents(client, embedded, organisation))["verified"] is True
    tampered = copy.deepcopy(clr)
    tampered["credentialSubject"]["verifiableCredential"][1]["credentialSubject"]["name"] = "冒名"
    assert nodevc.node_verify(tampered, documents)["verified"] is False


def test_certificates_issued_by_the_evaluation_workflow_verify_in_digital_bazaar(
    client: TestClient, runtime: Runtime
) -> None:
    import random
    from datetime import date, timedelta

    from sqlalchemy import select, update

    from credential_service.assessment.workflow.models import Candidate, ResultSubmission
    from credential_service.demo import demo_id_number, demo_name
    from credential_service.issuers import service as issuers
    from tests.integration.test_assessment_workflow import _credit_code, _plan, _register

    code, headers = _register(runtime, "990006", _credit_code(6))
    assert _plan(client, headers).status_code == 201
    rng = random.Random(13)
    rows = [
        {
            "document_type": "resident_id",
            "id_number": demo_id_number(rng),
            "name": demo_name(rng),
            "theory": 80,
            "skill": 80,
        }
        for _ in range(3)
    ]
    submission = client.post("/api/v1/plans/HJ-2026-11/results", json={"rows": rows}, headers=headers).json()
    with runtime.session() as session:
        session.execute(update(ResultSubmission).values(publicity_ends_on=date.today() - timedelta(days=1)))
    assert (
        client.post(f"/api/v1/submissions/{submission['public_id']}/issue", headers=headers).status_code
        == 200
    )
    with runtime.session() as session:
        numbers = [n for n in session.scalars(select(Candidate.certificate_number)) if n]
        organisation = issuers.get_issuer(session, code)
    admin = {"Authorization": headers["Authorization"]}
    jobs = []
    for number in numbers:
        vc = client.get(f"/api/v1/certificates/{number}/credential.json", headers=admin).json()
        jobs.append(
            nodevc.make_verify_job(vc, _documents(client, vc, organisation), full=True, check_status=True)
        )
    results = nodevc.node_verify_many(jobs)
    assert len(results) == 3 and all(r["verified"] for r in results), [r["error"] for r in results]
