"""Interop oracle self-tests: published vectors through Digital Bazaar's @digitalbazaar/vc.

These prove the offline Node oracle (tests/interop/node/oracle.mjs, wrapped by nodevc.py)
accepts what it must and rejects what it must, so that the service's own interop tests can
rely on it. Skipped when node or node_modules are missing, except under CI=true where a
missing harness is a failure.
"""

from __future__ import annotations

import base64
import copy
import gzip
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

try:
    from tests.interop import nodevc
except ImportError:  # run with tests/interop (not the repo root) on sys.path
    import nodevc  # type: ignore[no-redef,import-not-found]

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
OB3 = VECTORS / "ob3"
DATE = "2026-01-01T00:00:00Z"
SUITES = ("eddsa-rdfc-2022", "eddsa-jcs-2022")
OB3_SIGNED = (
    "ob3-rdfc-2022-signed.json",
    "clr2-rdfc-2022-signed.json",
    "clr2-embedded-achievementcredential-signed.json",
)

pytestmark = pytest.mark.node

_UNAVAILABLE = nodevc.node_available()


@pytest.fixture(autouse=True, scope="module")
def _require_node() -> None:
    if _UNAVAILABLE is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but the node interop oracle is not ready: {_UNAVAILABLE}")
    pytest.skip(_UNAVAILABLE)


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _tamper(credential: dict[str, Any]) -> dict[str, Any]:
    bad = copy.deepcopy(credential)
    subject = bad["credentialSubject"]
    if "alumniOf" in subject:
        subject["alumniOf"] = "The School of Forgeries"
    else:
        subject["id"] = "did:example:someone-else"
    return bad


def _keypair() -> dict[str, str]:
    kp = _load(VECTORS / "keypair.json")
    pk = kp["publicKeyMultibase"]
    did = f"did:key:{pk}"
    return {
        "id": f"{did}#{pk}",
        "controller": did,
        "publicKeyMultibase": pk,
        "secretKeyMultibase": kp["privateKeyMultibase"],
    }


def _unsigned_for(issuer: str) -> dict[str, Any]:
    credential: dict[str, Any] = _load(VECTORS / "unsigned.json")
    credential["issuer"] = issuer
    return credential


def _encoded_list(set_bits: set[int], size_bits: int = 131072) -> str:
    raw = bytearray(size_bits // 8)
    for i in set_bits:
        raw[i // 8] |= 0x80 >> (i % 8)  # index 0 = most significant bit of byte 0
    return "u" + base64.urlsafe_b64encode(gzip.compress(bytes(raw))).decode().rstrip("=")


# ------------------------------------------------------------------ W3C vc-di-eddsa


@pytest.mark.parametrize("name", ["jcs-2022-signed.json", "rdfc-2022-signed.json"])
def test_w3c_vector_proof_verifies(name: str) -> None:
    result = nodevc.node_verify(_load(VECTORS / name), full=False)
    assert result["verified"] is True, result["error"]
    assert result["error"] is None
    assert len(result["proofResults"]) == 1


@pytest.mark.parametrize("name", ["jcs-2022-signed.json", "rdfc-2022-signed.json"])
def test_w3c_vector_tampered_fails(name: str) -> None:
    result = nodevc.node_verify(_tamper(_load(VECTORS / name)), full=False)
    assert result["verified"] is False
    assert "signature" in result["error"].lower()


def test_w3c_vector_full_check_needs_issuer_to_be_controller() -> None:
    # issuer https://vc.example/issuers/5678 is not the did:key controller of the VM
    result = nodevc.node_verify(_load(VECTORS / "rdfc-2022-signed.json"), full=True)
    assert result["verified"] is False
    assert "issuer must match the verification method controller" in result["error"]


# ---------------------------------------------------------------- 1EdTech OB 3.0 / CLR 2.0


@pytest.mark.parametrize("name", OB3_SIGNED)
def test_1edtech_vector_full_verify(name: str) -> None:
    documents = _load(OB3 / "https-controller-document-fixture.json")
    result = nodevc.node_verify(_load(OB3 / name), documents, full=True)
    assert result["verified"] is True, result["error"]


@pytest.mark.parametrize("name", OB3_SIGNED)
def test_1edtech_vector_tampered_fails(name: str) -> None:
    documents = _load(OB3 / "https-controller-document-fixture.json")
    result = nodevc.node_verify(_tamper(_load(OB3 / name)), documents, full=True)
    assert result["verified"] is False
    assert result["error"]


def test_1edtech_vector_without_controller_document_is_refused() -> None:
    result = nodevc.node_verify(_load(OB3 / "ob3-rdfc-2022-signed.json"), {}, full=True)
    assert result["verified"] is False
    assert "refused: https://example.edu/issuers/565049" in result["error"]
    assert "is not pinned" in result["error"]


# ------------------------------------------------------------------------ round trips


@pytest.mark.parametrize("suite", SUITES)
def test_node_signing_reproduces_w3c_vectors(suite: str) -> None:
    # Ed25519 is deterministic: same key, same document, same created -> same proofValue
    expected = _load(VECTORS / f"{suite.removeprefix('eddsa-')}-signed.json")
    signed = nodevc.node_sign(
        _load(VECTORS / "unsigned.json"),
        cryptosuite=suite,
        key=_keypair(),
        date=expected["proof"]["created"],
    )["signed"]
    assert signed == expected


@pytest.mark.parametrize("suite", SUITES)
def test_round_trip_did_key(suite: str) -> None:
    key = _keypair()
    signed = nodevc.node_sign(_unsigned_for(key["controller"]), cryptosuite=suite, key=key, date=DATE)[
        "signed"
    ]
    assert signed["proof"]["cryptosuite"] == suite
    assert signed["proof"]["created"] == DATE
    for full in (True, False):
        result = nodevc.node_verify(signed, full=full)
        assert result["verified"] is True, result["error"]
    assert nodevc.node_verify(_tamper(signed))["verified"] is False


def _did_web_document(did: str, public_key: str, **vm_extra: str) -> dict[str, Any]:
    vm = {
        "id": f"{did}#key-1",
        "type": "Multikey",
        "controller": did,
        "publicKeyMultibase": public_key,
        **vm_extra,
    }
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": [vm],
        "assertionMethod": [vm["id"]],
    }


@pytest.mark.parametrize("suite", SUITES)
def test_round_trip_did_web_from_job_documents(suite: str) -> None:
    did = "did:web:127.0.0.1%3A8000:orgs:Y0000"
    key = {**_keypair(), "id": f"{did}#key-1", "controller": did}
    documents = {did: _did_web_document(did, key["publicKeyMultibase"])}
    signed = nodevc.node_sign(_unsigned_for(did), cryptosuite=suite, key=key, date=DATE)["signed"]
    result = nodevc.node_verify(signed, documents)
    assert result["verified"] is True, result["error"]
    assert result["proofResults"][0]["controller"] == did
    # did:web is never resolved over the network
    missing = nodevc.node_verify(signed, {})
    assert missing["verified"] is False
    assert f"refused: {did}#key-1 is not pinned" in missing["error"]
    # a VM that is not listed under assertionMethod is not authorised
    unlisted = copy.deepcopy(documents)
    unlisted[did]["assertionMethod"] = []
    result = nodevc.node_verify(signed, unlisted)
    assert result["verified"] is False
    assert "not authorized" in result["error"]


def test_verification_method_revoked_is_ignored_by_library_but_checkable() -> None:
    did = "did:web:example.org"
    key = {**_keypair(), "id": f"{did}#key-1", "controller": did}
    documents = {did: _did_web_document(did, key["publicKeyMultibase"], revoked="2025-06-01T00:00:00Z")}
    signed = nodevc.node_sign(_unsigned_for(did), cryptosuite="eddsa-rdfc-2022", key=key, date=DATE)["signed"]
    library = nodevc.node_verify(signed, documents)
    assert library["verified"] is True, library["error"]
    assert library["proofResults"][0]["vmRevoked"] == "2025-06-01T00:00:00Z"
    strict = nodevc.node_verify(signed, documents, vm_date_check="created")
    assert strict["verified"] is False
    assert "revoked" in strict["error"]


def test_proof_set_every_proof_must_verify() -> None:
    key = _keypair()
    once = nodevc.node_sign(
        _unsigned_for(key["controller"]), cryptosuite="eddsa-rdfc-2022", key=key, date=DATE
    )["signed"]
    twice = nodevc.node_sign(once, cryptosuite="eddsa-jcs-2022", key=key, date=DATE)["signed"]
    assert isinstance(twice["proof"], list)
    assert len(twice["proof"]) == 2
    result = nodevc.node_verify(twice)
    assert result["verified"] is True, result["error"]
    assert [p["verified"] for p in result["proofResults"]] == [True, True]

    broken = copy.deepcopy(twice)
    broken["proof"][1]["proofValue"] = once["proof"]["proofValue"]
    result = nodevc.node_verify(broken)
    # jsonld-signatures alone accepts the set because one proof verifies
    assert result["libraryVerified"] is True
    assert result["verified"] is False
    assert "proof set" in result["error"]


# ----------------------------------------------------------------------- status lists


def _status_fixture(
    *, set_bits: set[int], purpose: str = "revocation", other_list_issuer: bool = False
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A did:key-signed credential with a BitstringStatusListEntry, and its documents.

    With ``other_list_issuer`` the (validly signed) status list is issued by a did:web DID.
    """
    key = _keypair()
    issuer = key["controller"]
    list_key = key
    extra_documents: dict[str, Any] = {}
    if other_list_issuer:
        did = "did:web:status.example"
        list_key = {**key, "id": f"{did}#key-1", "controller": did}
        extra_documents[did] = _did_web_document(did, key["publicKeyMultibase"])
    list_url = "https://status.example/lists/1"
    status_list = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": list_key["controller"],
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": _encoded_list(set_bits),
        },
    }
    credential = _unsigned_for(issuer)
    credential["credentialStatus"] = {
        "id": f"{list_url}#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": "94567",
        "statusListCredential": list_url,
    }
    jobs = [
        {"op": "sign", "credential": c, "cryptosuite": "eddsa-rdfc-2022", "key": k, "date": DATE}
        for c, k in ((status_list, list_key), (credential, key))
    ]
    signed_list, signed_credential = (r["signed"] for r in nodevc.node_verify_many(jobs))
    assert signed_list and signed_credential
    return signed_credential, {list_url: signed_list, **extra_documents}


def test_status_bit_clear_verifies() -> None:
    credential, documents = _status_fixture(set_bits={94566, 94568})
    result = nodevc.node_verify(credential, documents)
    assert result["verified"] is True, result["error"]
    assert result["statusResults"] == [
        {
            "statusPurpose": "revocation",
            "statusListCredential": "https://status.example/lists/1",
            "statusListIndex": "94567",
            "status": False,
            "verified": True,
        }
    ]


@pytest.mark.parametrize(("purpose", "word"), [("revocation", "revoked"), ("suspension", "suspended")])
def test_status_bit_set_fails(purpose: str, word: str) -> None:
    credential, documents = _status_fixture(set_bits={94567}, purpose=purpose)
    result = nodevc.node_verify(credential, documents)
    assert result["verified"] is False
    assert f"credential is {word}" in result["error"]
    assert result["statusResults"][0]["status"] is True
    # without the status check the proof itself is fine
    unchecked = nodevc.node_verify(credential, documents, check_status=False)
    assert unchecked["verified"] is True, unchecked["error"]


def test_status_list_must_be_reachable_and_from_the_same_issuer() -> None:
    credential, documents = _status_fixture(set_bits=set())
    missing = nodevc.node_verify(credential, {})
    assert missing["verified"] is False
    assert "refused: https://status.example/lists/1 is not pinned" in missing["error"]

    # a tampered list does not verify
    tampered = copy.deepcopy(documents)
    tampered_subject = tampered["https://status.example/lists/1"]["credentialSubject"]
    tampered_subject["encodedList"] = _encoded_list({1})
    result = nodevc.node_verify(credential, tampered)
    assert result["verified"] is False
    assert '"BitstringStatusListCredential" not verified' in result["error"]

    # a validly signed list from another issuer is not accepted
    other_credential, other_documents = _status_fixture(set_bits=set(), other_list_issuer=True)
    result = nodevc.node_verify(other_credential, other_documents)
    assert result["verified"] is False
    assert "Issuers of the status list credential and verifiable credential" in result["error"]


# --------------------------------------------------------------------------- harness


def test_batch_keeps_order() -> None:
    jobs = [
        nodevc.make_verify_job(_load(VECTORS / "rdfc-2022-signed.json"), full=False),
        nodevc.make_verify_job(_tamper(_load(VECTORS / "jcs-2022-signed.json")), full=False),
        {"credential": _load(VECTORS / "jcs-2022-signed.json"), "full": False},
    ]
    results = nodevc.node_verify_many(jobs)
    assert [r["verified"] for r in results] == [True, False, True]


def test_harness_error_raises() -> None:
    with pytest.raises(nodevc.NodeOracleError, match="unknown op"):
        nodevc.run_oracle({"op": "frobnicate"})
    with pytest.raises(nodevc.NodeOracleError, match="must not override the pinned context"):
        nodevc.node_verify(
            _load(VECTORS / "rdfc-2022-signed.json"),
            {"https://www.w3.org/ns/credentials/v2": {"@context": {}}},
        )


def test_unsigned_undefined_term_is_rejected_when_signing() -> None:
    key = _keypair()
    credential = _unsigned_for(key["controller"])
    credential["@context"] = ["https://www.w3.org/ns/credentials/v2"]  # drops examples/v2
    result = nodevc.node_sign(credential, cryptosuite="eddsa-rdfc-2022", key=key, date=DATE, check=False)
    assert result["signed"] is None
    assert "alumniOf" in result["error"]


def _can_unshare() -> bool:
    unshare = shutil.which("unshare")
    if unshare is None:
        return False
    probe = subprocess.run([unshare, "-rn", "true"], capture_output=True, check=False)
    return probe.returncode == 0


@pytest.mark.skipif(not _can_unshare(), reason="unshare -rn (no-network namespace) unavailable")
def test_oracle_runs_without_network() -> None:
    documents = _load(OB3 / "https-controller-document-fixture.json")
    jobs = [
        nodevc.make_verify_job(_load(OB3 / "ob3-rdfc-2022-signed.json"), documents),
        nodevc.make_verify_job(_load(VECTORS / "jcs-2022-signed.json"), full=False),
    ]
    results = nodevc.run_oracle(jobs, argv_prefix=["unshare", "-rn"])
    assert [r["verified"] for r in results] == [True, True], results
