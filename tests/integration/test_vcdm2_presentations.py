"""``POST /presentations/verify`` over real HTTP: a presentation's own proof, challenge, domain,
holder and data model (VC DM 2.0 §4.13), each credential through the credential verifier, and
the W3C VC 2.0 test suite's presentation inputs signed as the suite signs them."""

from __future__ import annotations

import copy
import json
from typing import Any

from fastapi.testclient import TestClient

from credential_service.crypto import data_integrity as di
from credential_service.crypto.multibase import decode_ed25519_secret_key
from tests.conftest import VECTORS
from tests.factories import plain_credential

SUITE_INPUTS = VECTORS / "vcdm2-test-suite"
# The suite's own holder and issuer key (its tests/data-generator.js: a public test key, never a real one).
HOLDER_MULTIBASE = "z6MkpJySvETLnxhQG9DzEdmKJtysBDjuuTeDfUj1uNNCUqcj"
HOLDER_SECRET = "zrv1a6V2qqSGkBz7QPw4yJedKc8X9dEdug7c3MEzNUDVEmkyVcXtTWNLQLArgKXzN7LbGMTVjqE2CbdrqpnxqtxmY1M"
HOLDER = f"did:key:{HOLDER_MULTIBASE}"
HOLDER_VM = f"{HOLDER}#{HOLDER_MULTIBASE}"
CHALLENGE, DOMAIN = "u3q7dsrVjgZxhXTtCi0fNUw", "github.com/w3c/vc-data-model-2.0-test-suite"
CREATED = "2026-01-10T00:00:00Z"


def _sign(document: dict[str, Any], **proof: Any) -> dict[str, Any]:
    return di.create_proof(
        document,
        cryptosuite="eddsa-rdfc-2022",
        verification_method=HOLDER_VM,
        created=CREATED,
        sign=di.ed25519_signer(decode_ed25519_secret_key(HOLDER_SECRET)),
        **proof,
    )


def sign_as_the_suite(presentation: dict[str, Any], **proof: Any) -> dict[str, Any]:
    """As the suite's ``createLocalVp``: each unsigned credential issued by the holder's did:key,
    then the presentation signed for authentication with the suite's challenge and domain."""
    signed = copy.deepcopy(presentation)
    if isinstance(signed.get("verifiableCredential"), list):
        signed["verifiableCredential"] = [
            _sign({**c, "issuer": HOLDER})
            if isinstance(c, dict) and "proof" not in c and "issuer" in c
            else c
            for c in signed["verifiableCredential"]
        ]
    options = {"proof_purpose": "authentication", "challenge": CHALLENGE, "domain": DOMAIN, **proof}
    return _sign(signed, **options)


def suite_input(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SUITE_INPUTS / name).read_text(encoding="utf-8"))
    return loaded


def verify(client: TestClient, presentation: Any, **options: Any) -> Any:
    return client.post(
        "/presentations/verify",
        json={
            "verifiablePresentation": presentation,
            "options": {"challenge": CHALLENGE, "domain": DOMAIN, **options},
        },
    )


def _issued(client: TestClient, admin_headers: dict[str, str]) -> dict[str, Any]:
    response = client.post(
        "/credentials/issue", json={"credential": plain_credential()}, headers=admin_headers
    )
    assert response.status_code == 201, response.text
    credential: dict[str, Any] = response.json()["verifiableCredential"]
    return credential


def _presentation(*credentials: dict[str, Any], **members: Any) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": HOLDER,
        "verifiableCredential": list(credentials),
        **members,
    }


def test_a_workers_presentation_of_our_certificate_verifies(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    signed = sign_as_the_suite(_presentation(_issued(client, admin_headers)))
    response = verify(client, signed, returnPresentation=True)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["verified"] is True and body["verdict"] == "valid"
    assert body["checked"] == ["presentation", "proof", "challenge", "domain", "holder", "credential"]
    assert body["problemDetails"] == [] and body["verifiablePresentation"] == signed
    (result,) = body["credentialResults"]
    assert result["verified"] is True and result["conclusion"] == "genuine"
    assert {"proof", "issuer_key", "record", "status_revocation", "schema"} <= set(result["checked"])
    messages = {c["check"]: c["message"] for c in body["checks"]}
    assert messages["holder"] == f"出示文件由其声明的持有人 {HOLDER} 签名。"
    assert messages["credential"] == "第 1 份证书核验通过。"

    quiet = verify(client, signed, returnResults=False, returnProblemDetails=False).json()
    assert "checks" not in quiet and "checks" not in quiet["credentialResults"][0]
    assert "problemDetails" not in quiet and quiet["verified"] is True


def test_what_a_presentation_must_be(client: TestClient, admin_headers: dict[str, str]) -> None:
    ours = _issued(client, admin_headers)
    good = sign_as_the_suite(_presentation(ours))

    def refused(presentation: Any, check: str, code: str, **options: Any) -> None:
        response = verify(client, presentation, **options)
        assert response.status_code == 422, response.text
        found = {(c["check"], c["code"]) for c in response.json()["checks"]}
        assert (check, code) in found, found

    refused(good, "challenge", "challenge_mismatch", challenge="an-older-challenge")
    refused(good, "domain", "domain_mismatch", domain="elsewhere.example")
    refused({**good, "holder": "did:example:someone"}, "proof", "presentation_signature_invalid")
    refused({k: v for k, v in good.items() if k != "proof"}, "proof", "presentation_unsigned")
    refused(
        sign_as_the_suite(_presentation(ours), proof_purpose="assertionMethod"),
        "proof",
        "not_for_authentication",
    )
    refused(sign_as_the_suite(_presentation(ours, holder="did:example:alice")), "holder", "holder_mismatch")
    wrong_signer = _sign(
        _presentation(ours), proof_purpose="authentication", challenge=CHALLENGE, domain=DOMAIN
    )
    wrong_signer["proof"]["verificationMethod"] = "did:web:elsewhere.example#key-1"
    refused(wrong_signer, "proof", "holder_key_unknown")
    tampered = copy.deepcopy(ours)
    tampered["credentialSubject"]["name"] = "李四"
    refused(sign_as_the_suite(_presentation(tampered)), "credential", "credential_not_verified")
    enveloped = suite_input("presentation-enveloped-vc-ok.json")["verifiableCredential"][0]
    refused(sign_as_the_suite(_presentation(enveloped)), "credential", "enveloped_unsupported")


def test_unknown_options_and_checks_are_refused_by_name(client: TestClient) -> None:
    signed = sign_as_the_suite(suite_input("presentation-ok.json"))
    unknown = client.post(
        "/presentations/verify", json={"verifiablePresentation": signed, "options": {"expectedHolder": "x"}}
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["loc"] == "options.expectedHolder"
    bad_check = verify(client, signed, checks=["proof", "signature"])
    assert bad_check.status_code == 422
    (error,) = bad_check.json()["errors"]
    assert error["loc"] == "options.checks[1]" and error["reason"].startswith("没有“signature”这一核验项")
    assert client.post("/presentations/verify", json={"verifiablePresentation": []}).status_code == 422
    assert client.post("/presentations/verify", json={}).status_code == 422


INPUTS = sorted(p.name for p in SUITE_INPUTS.glob("presentation-*.json"))
OK_INPUTS = [name for name in INPUTS if name.endswith("ok.json")]
REFUSED_INPUTS = [name for name in INPUTS if name not in OK_INPUTS]


def test_the_suites_presentations_verify_with_the_suites_checks(client: TestClient) -> None:
    """Each ``-ok`` input, signed as the suite signs it, verifies with the checks the suite asks of
    its credentials (``["proof"]``: their issuer is the suite's did:key, which no registry knows),
    except the enveloped credential: this service cannot verify a JWT, and says so."""
    assert len(OK_INPUTS) == 10
    for name in OK_INPUTS:
        response = verify(client, sign_as_the_suite(suite_input(name)), checks=["proof"])
        if name == "presentation-enveloped-vc-ok.json":
            assert response.status_code == 422, name
            assert response.json()["checks"][-1]["code"] == "enveloped_unsupported"
            continue
        assert response.status_code == 200, (name, response.text)
        for result in response.json()["credentialResults"]:
            assert result["checked"] == ["proof"], name
    # Without the suite's narrowing, a credential no registry knows is "cannot tell", not verified.
    full = verify(client, sign_as_the_suite(suite_input("presentation-vc-ok.json")))
    assert full.status_code == 422 and full.json()["credentialResults"][0]["conclusion"] == "cannot_tell"


def test_the_suites_refused_presentations_are_refused(client: TestClient) -> None:
    """Each ``-fail`` input is refused, signed (as the suite does where it can) or as it comes."""
    assert len(REFUSED_INPUTS) == len(INPUTS) - 10 == 12
    for name in REFUSED_INPUTS:
        unsigned = suite_input(name)
        try:
            signed = sign_as_the_suite(unsigned)
        except Exception:
            signed = unsigned
        for presentation in (signed, unsigned):
            response = verify(client, presentation, checks=["proof"])
            assert response.status_code == 422, (name, response.text)
            assert response.json()["verified"] is False


def test_the_suites_context_and_type_rules(client: TestClient) -> None:
    """4.03 and 7: the VC 2.0 context first, URLs or objects after it; a broken proof value."""
    signed = sign_as_the_suite(suite_input("presentation-vc-ok.json"))
    for bad in ("https ://not-a-url/contexts/example/v1", 123192875):
        changed = copy.deepcopy(signed)
        changed["@context"] = [changed["@context"][0], bad]
        assert verify(client, changed, checks=["proof"]).status_code == 422, bad
    reordered = {**signed, "@context": ["https://www.w3.org/ns/credentials/examples/v2", *signed["@context"]]}
    assert verify(client, reordered, checks=["proof"]).status_code == 422
    broken = copy.deepcopy(signed)
    broken["proof"]["proofValue"] = "z5nmMBw2u9TGKd9NxxHJtyZKgjN2Eh"
    assert verify(client, broken, checks=["proof"]).status_code == 422
    nonconforming = verify(client, {"type": ["NonconformingDocument"]})
    assert nonconforming.status_code == 422
