"""VC DM 2.0 over the VC API: ``relatedResource`` (§5.3) at issuance and verification, and the VC
API verify options (``checks``, ``challenge``, ``domain``) of ``POST /credentials/verify``."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from fastapi.testclient import TestClient

from credential_service.crypto import data_integrity as di
from tests.factories import plain_credential
from tests.integration.test_vcdm2_presentations import HOLDER, HOLDER_SECRET, HOLDER_VM

V2 = "https://www.w3.org/ns/credentials/v2"
# Digests of the VC 2.0 context as this service pins it (the Recommendation's bytes, sha256 59955ced…):
# the spec's own examples 25 and 26, and the bare SHA2-256 the W3C test suite writes.
V2_SRI = "sha384-l/HrjlBCNWyAX91hr6LFV2Y3heB5Tcr6IeE4/Tje8YyzYBM8IhqjHWiWpr8+ZbYU"
V2_MULTIHASH = "uEiBZlVztZpfWHgPyslVv6-UwirFoQoRvW1htfx963sknNA"
V2_BARE_SHA256 = "uWZVc7WaX1h4D8rJVb-vlMIqxaEKEb1tYbX8fet7JJzQ"

ACCEPTED = {
    "an object with digestSRI": {"id": V2, "digestSRI": V2_SRI},
    "an object with digestMultibase": {"id": V2, "digestMultibase": V2_BARE_SHA256},
    "a list with mediaType": [{"id": V2, "mediaType": "application/ld+json", "digestSRI": V2_SRI}],
    "the spec's multihash": [{"id": V2, "digestMultibase": V2_MULTIHASH}],
    "a resource not held here": [
        {"id": "https://example.org/logo.png", "digestSRI": "sha256-" + "A" * 43 + "="}
    ],
}
REFUSED = {  # the field named, and the start of its reason (Chinese first)
    "an array of strings": ([V2], "relatedResource[0]", "每项须是"),
    "no id": ([{"digestMultibase": V2_BARE_SHA256}], "relatedResource[0].id", "必填"),
    "a repeated id": (
        [{"id": V2, "digestSRI": V2_SRI}, {"id": V2, "digestMultibase": V2_BARE_SHA256}],
        "relatedResource[1].id",
        "与前面重复",
    ),
    "no digest": ([{"id": V2}], "relatedResource[0]", "须有 digestSRI"),
    "a wrong digestMultibase": (
        [{"id": V2, "digestMultibase": "uM4RgWQc3RUDtjJCSgTJtTfvpZ7SPEg_LNO0ESlovQC0"}],
        "relatedResource[0].digestMultibase",
        "与本平台保存的",
    ),
    "the July 2024 context's SRI": (
        [{"id": V2, "digestSRI": "sha384-NSOcNpmdIVUxIJGvGUoe22FjTWrXiaXlsZ8q6912LdnR3KraQO2n75Ica4wK4Qeg"}],
        "relatedResource[0].digestSRI",
        "与本平台保存的",
    ),
    "an SRI in base64url": (
        [{"id": V2, "digestSRI": "sha384-_rCVIV7fSXXTNIvpiq26jRDyj8JG8TDjij-tD0ewLk4JpnXEz6a5AeeY_1qQ0d0P"}],
        "relatedResource[0].digestSRI",
        "“sha384-",
    ),
    "an SRI of md5": ([{"id": V2, "digestSRI": "md5-AAAA"}], "relatedResource[0].digestSRI", "须使用 sha256"),
    "an empty list": ([], "relatedResource", "不能为空"),
}


def issue(client: TestClient, headers: dict[str, str], related: Any) -> Any:
    credential = plain_credential(relatedResource=related)
    return client.post("/credentials/issue", json={"credential": credential}, headers=headers)


@pytest.mark.parametrize("name", ACCEPTED)
def test_related_resources_the_model_allows_are_signed(
    client: TestClient, admin_headers: dict[str, str], name: str
) -> None:
    response = issue(client, admin_headers, ACCEPTED[name])
    assert response.status_code == 201, response.text
    vc = response.json()["verifiableCredential"]
    verified = client.post("/credentials/verify", json={"verifiableCredential": vc}).json()
    checks = {c["check"]: c for c in verified["checks"]}
    assert verified["verified"] is True and checks["related_resource"]["code"] == "related_resources_match"
    held = 0 if name == "a resource not held here" else 1
    assert checks["related_resource"]["message"].endswith(f"本平台保存的 {held} 项与其摘要一致。")


def test_related_resources_the_model_forbids_are_refused_naming_the_field(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    for name, (related, field, reason) in REFUSED.items():
        response = issue(client, admin_headers, related)
        assert response.status_code == 422, (name, response.text)
        errors = {e["loc"]: e["reason"] for e in response.json()["errors"]}
        assert field in errors and errors[field].startswith(reason), (name, errors)


def _signed_by_did_key(**members: Any) -> dict[str, Any]:
    """A credential signed elsewhere (the W3C suite's did:key): this service never issued it."""
    from credential_service.crypto.multibase import decode_ed25519_secret_key

    credential = {
        "@context": [V2],
        "type": ["VerifiableCredential"],
        "issuer": HOLDER,
        "credentialSubject": {"name": "Alice"},
        **members,
    }
    return di.create_proof(
        credential,
        cryptosuite="eddsa-rdfc-2022",
        verification_method=HOLDER_VM,
        created="2026-01-10T00:00:00Z",
        sign=di.ed25519_signer(decode_ed25519_secret_key(HOLDER_SECRET)),
    )


def test_a_signed_credential_with_a_wrong_digest_is_refused_at_verification(client: TestClient) -> None:
    wrong = _signed_by_did_key(relatedResource=[{"id": V2, "digestMultibase": "u" + "A" * 43}])
    response = client.post(
        "/credentials/verify", json={"verifiableCredential": wrong, "options": {"checks": ["proof"]}}
    )
    assert response.status_code == 422
    body = response.json()
    assert body["checked"] == ["proof", "related_resource"]  # asked for the proof; the model always
    mismatch = body["checks"][-1]
    assert mismatch["code"] == "related_resource_mismatch" and V2 in mismatch["message"]
    assert body["problemDetails"][0]["type"].endswith("#MALFORMED_VALUE_ERROR")
    right = _signed_by_did_key(relatedResource=[{"id": V2, "digestMultibase": V2_MULTIHASH}])
    ok = client.post(
        "/credentials/verify", json={"verifiableCredential": right, "options": {"checks": ["proof"]}}
    )
    assert ok.status_code == 200, ok.text


def test_verify_options_choose_the_checks_and_say_which_ran(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    vc = client.post(
        "/credentials/issue", json={"credential": plain_credential()}, headers=admin_headers
    ).json()["verifiableCredential"]
    everything = client.post("/credentials/verify", json={"verifiableCredential": vc}).json()
    assert {"proof", "issuer_key", "issuer", "record", "validity_period", "schema"} <= set(
        everything["checked"]
    )

    def checked(checks: list[str], document: dict[str, Any] = vc) -> Any:
        return client.post(
            "/credentials/verify", json={"verifiableCredential": document, "options": {"checks": checks}}
        )

    proof_only = checked(["proof"])  # what the W3C VC 2.0 test suite sends
    assert proof_only.status_code == 200 and proof_only.json()["checked"] == ["proof"]
    assert [c["check"] for c in proof_only.json()["checks"]] == ["proof"]
    assert checked(["status"]).json()["checked"] == ["proof", "status_revocation", "status_suspension"]
    assert checked(["validity_period", "schema"]).json()["checked"] == ["proof", "validity_period", "schema"]
    assert checked([]).json()["checked"] == ["proof"]  # the proof whatever is asked (decision 033)

    # A signature from elsewhere passes the proof check, and is "cannot tell" for every check.
    elsewhere = _signed_by_did_key()
    assert checked(["proof"], elsewhere).status_code == 200
    full = client.post("/credentials/verify", json={"verifiableCredential": elsewhere})
    assert full.status_code == 422 and full.json()["conclusion"] == "cannot_tell"

    # The data model is checked whatever is asked (VC DM 2.0 §7.1), and so is a broken proof.
    assert checked(["proof"], {"type": ["NonconformingDocument"]}).status_code == 422
    tampered = copy.deepcopy(vc)
    tampered["credentialSubject"]["name"] = "李四"
    assert checked(["proof"], tampered).status_code == 422


def test_challenge_and_domain_are_compared_with_the_proofs(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    vc = client.post(
        "/credentials/issue", json={"credential": plain_credential()}, headers=admin_headers
    ).json()["verifiableCredential"]
    response = client.post(
        "/credentials/verify",
        json={
            "verifiableCredential": vc,
            "options": {"checks": ["proof"], "challenge": "abc", "domain": "x.test"},
        },
    )
    assert response.status_code == 422  # an issuer's proof carries neither
    codes = [c["code"] for c in response.json()["checks"]]
    assert codes == ["signature_valid", "challenge_mismatch", "domain_mismatch"]


def test_unknown_options_and_checks_are_refused_clearly(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    vc = client.post(
        "/credentials/issue", json={"credential": plain_credential()}, headers=admin_headers
    ).json()["verifiableCredential"]
    unknown = client.post(
        "/credentials/verify", json={"verifiableCredential": vc, "options": {"verbose": True}}
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"] == [
        {"loc": "options.verbose", "reason": "unknown field (not allowed here)"}
    ]
    bad = client.post(
        "/credentials/verify", json={"verifiableCredential": vc, "options": {"checks": ["expiry"]}}
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == "options.checks[0]"
    not_a_list = client.post(
        "/credentials/verify", json={"verifiableCredential": vc, "options": {"checks": "proof"}}
    )
    assert not_a_list.status_code == 422 and not_a_list.json()["errors"][0]["loc"] == "options.checks"
