"""Status lists and key lifecycle, through the service and over HTTP."""

from __future__ import annotations

import json
from datetime import timedelta

from fastapi.testclient import TestClient

from credential_service.certificates import service as certificates
from credential_service.core.clock import utcnow
from credential_service.crypto.status_list import MINIMUM_ENTRIES, decode_list, get_bit
from credential_service.issuers import service as issuers
from credential_service.issuers.models import Issuer
from credential_service.runtime import Runtime
from tests.factories import issue_certificate, register_organisation


def _verify(client: TestClient, vc: dict[str, object]) -> dict[str, str]:
    response = client.post("/credentials/verify", json={"verifiableCredential": vc})
    return {c["check"]: c["code"] for c in response.json()["checks"]} | {"_status": str(response.status_code)}


def test_status_list_is_signed_large_and_cacheable(
    client: TestClient, runtime: Runtime, organisation: Issuer
) -> None:
    record = issue_certificate(runtime, organisation)
    vc = json.loads(record.credential_json)
    revocation = vc["credentialStatus"][0]
    url = revocation["statusListCredential"]
    response = client.get(url.removeprefix("https://skills.test"))
    assert response.status_code == 200
    assert "max-age" in response.headers["cache-control"] and response.headers["etag"]
    listing = response.json()
    assert listing["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert listing["issuer"] == organisation.did  # same issuer as the credentials it covers
    assert listing["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    bits = decode_list(listing["credentialSubject"]["encodedList"])
    assert len(bits) * 8 >= MINIMUM_ENTRIES
    assert not get_bit(bits, int(revocation["statusListIndex"]))
    again = client.get(
        url.removeprefix("https://skills.test"), headers={"If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304
    assert client.get("/status/nope").status_code == 404


def test_revocation_and_suspension_show_immediately(
    client: TestClient, runtime: Runtime, organisation: Issuer
) -> None:
    record = issue_certificate(runtime, organisation)
    vc = json.loads(record.credential_json)
    list_path = vc["credentialStatus"][0]["statusListCredential"].removeprefix("https://skills.test")
    etag_before = client.get(list_path).headers["etag"]
    with runtime.session() as session:
        certificates.set_credential_status(session, record.credential_id, "suspension", True)
    assert _verify(client, vc)["status_suspension"] == "suspension"
    with runtime.session() as session:
        certificates.set_credential_status(session, record.credential_id, "suspension", False)
        certificates.set_credential_status(session, record.credential_id, "revocation", True)
    result = _verify(client, vc)
    assert result["status_revocation"] == "revocation" and result["_status"] == "422"
    signed = client.get(list_path)
    assert signed.headers["etag"] != etag_before
    bits = decode_list(signed.json()["credentialSubject"]["encodedList"])
    assert get_bit(bits, int(vc["credentialStatus"][0]["statusListIndex"]))


def test_random_indexes_never_repeat(runtime: Runtime, organisation: Issuer) -> None:
    seen = set()
    for _ in range(30):
        vc = json.loads(issue_certificate(runtime, organisation).credential_json)
        for entry in vc["credentialStatus"]:
            seen.add((entry["statusListCredential"], entry["statusListIndex"]))
    assert len(seen) == 60


def test_rotation_keeps_old_credentials_valid(
    client: TestClient, runtime: Runtime, organisation: Issuer
) -> None:
    old = json.loads(issue_certificate(runtime, organisation).credential_json)
    with runtime.session() as session:
        new_key = issuers.rotate_key(
            session, runtime.keystore, issuers.get_issuer(session, organisation.code)
        )
        new_method = new_key.verification_method
    new = json.loads(issue_certificate(runtime, organisation).credential_json)
    assert new["proof"]["verificationMethod"] == new_method != old["proof"]["verificationMethod"]
    assert _verify(client, old)["_status"] == "200"
    assert _verify(client, new)["_status"] == "200"
    doc = client.get(f"/orgs/{organisation.code}/did.json").json()
    assert len(doc["verificationMethod"]) == 2  # every key ever used stays listed


def test_signature_after_retirement_fails_the_key_check(
    client: TestClient, runtime: Runtime, organisation: Issuer
) -> None:
    before = json.loads(issue_certificate(runtime, organisation).credential_json)
    fragment = before["proof"]["verificationMethod"].split("#")[1]
    with runtime.session() as session:
        retired = issuers.retire_key(issuers.get_issuer(session, organisation.code), fragment).retired_at
    assert retired is not None
    # A credential made with the retired key after its retirement (e.g. by a stolen backup):
    from credential_service.core.clock import to_xsd
    from credential_service.crypto.data_integrity import create_proof

    forged = {k: v for k, v in before.items() if k != "proof"}
    forged["id"] = "urn:uuid:00000000-0000-4000-8000-000000000001"
    signer = runtime.keystore.signer(f"{organisation.code}.{fragment}")
    forged = create_proof(
        forged,
        cryptosuite="eddsa-rdfc-2022",
        verification_method=before["proof"]["verificationMethod"],
        created=to_xsd(retired + timedelta(minutes=1)),
        sign=signer.sign,
    )
    assert _verify(client, before)["issuer_key"] == "key_valid_at_issuance"
    result = _verify(client, forged)
    assert result["proof"] == "signature_valid" and result["issuer_key"] == "key_retired"
    assert result["_status"] == "422"


def test_compromised_key_fails_from_since_on(client: TestClient, runtime: Runtime) -> None:
    organisation = register_organisation(
        runtime, "S000014990001", "山西省某评价组织", now=utcnow() - timedelta(days=3)
    )
    early = json.loads(
        issue_certificate(runtime, organisation, now=utcnow() - timedelta(days=2)).credential_json
    )
    late = json.loads(issue_certificate(runtime, organisation).credential_json)
    fragment = late["proof"]["verificationMethod"].split("#")[1]
    with runtime.session() as session:
        issuers.compromise_key(
            issuers.get_issuer(session, organisation.code), fragment, utcnow() - timedelta(days=1)
        )
    assert _verify(client, early)["_status"] == "200"
    assert _verify(client, late)["issuer_key"] == "key_compromised"
    doc = client.get(f"/orgs/{organisation.code}/did.json").json()
    assert "revoked" in doc["verificationMethod"][0]
    # The issuer can no longer sign until it rotates to a fresh key.
    with runtime.session() as session:
        issuers.rotate_key(session, runtime.keystore, issuers.get_issuer(session, organisation.code))
    assert (
        _verify(client, json.loads(issue_certificate(runtime, organisation).credential_json))["_status"]
        == "200"
    )
