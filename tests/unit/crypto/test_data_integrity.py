"""eddsa-rdfc-2022 and eddsa-jcs-2022: published vectors byte for byte, rejections, properties."""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credential_service.crypto import data_integrity as di
from credential_service.crypto import jsonld
from credential_service.crypto.data_integrity import (
    ErrorCode,
    FailureReason,
    ProofGenerationError,
    ProofVerificationError,
    VerifiedProof,
    create_proof,
    hash_data,
    proof_configuration,
    transform,
    verify_proof,
    verify_proof_set,
)
from credential_service.crypto.jsonld import DataLossError
from credential_service.crypto.multibase import (
    MultibaseError,
    encode_base58btc,
    encode_base64url,
)

from .conftest import (
    NEGATIVE,
    OB_CREATED,
    OB_SEED,
    OB_VM,
    TEST_SEED,
    TEST_VM,
    VECTORS,
    W3C_CREATED,
    W3C_SEED,
    W3C_VM,
    UnknownVerificationMethod,
    public_key_for,
    realistic_ob3_credential,
    text_vector,
    vector,
)

UPSTREAM = VECTORS / "upstream"


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def upstream(path: str) -> str:
    return (UPSTREAM / path).read_text(encoding="utf-8")


# --- W3C vc-di-eddsa vectors ---------------------------------------------------------------------


def test_w3c_eddsa_jcs_2022_intermediates() -> None:
    expected = vector("jcs-2022-expected.json")
    unsigned = vector("jcs-2022-unsigned.json")
    options = vector("jcs-2022-proof-config.json")

    canonical_doc = transform(unsigned, "eddsa-jcs-2022")
    assert canonical_doc == expected["canonicalDocument"] == upstream("eddsa-jcs-2022/canonDocJCS.txt")
    assert (
        sha256_hex(canonical_doc) == expected["documentHashHex"] == upstream("eddsa-jcs-2022/docHashJCS.txt")
    )

    canonical_config = proof_configuration(options, unsigned, "eddsa-jcs-2022")
    assert (
        canonical_config == expected["canonicalProofConfig"] == upstream("eddsa-jcs-2022/proofCanonJCS.txt")
    )
    assert (
        sha256_hex(canonical_config)
        == expected["proofConfigHashHex"]
        == upstream("eddsa-jcs-2022/proofHashJCS.txt")
    )

    data = hash_data(canonical_config, canonical_doc)
    assert (
        data.hex()
        == expected["hashDataHex (proofConfigHash || documentHash)"]
        == upstream("eddsa-jcs-2022/combinedHashJCS.txt")
    )

    signature = di.ed25519_signer(W3C_SEED)(data)
    assert signature.hex() == expected["signatureHex"] == upstream("eddsa-jcs-2022/sigHexJCS.txt")
    assert encode_base58btc(signature) == expected["proofValue"] == upstream("eddsa-jcs-2022/sigBTC58JCS.txt")


def test_w3c_eddsa_rdfc_2022_intermediates() -> None:
    expected = vector("rdfc-2022-expected.json")
    unsigned = vector("rdfc-2022-unsigned.json")
    options = vector("rdfc-2022-proof-config.json")

    canonical_doc = transform(unsigned, "eddsa-rdfc-2022")
    assert canonical_doc == expected["canonicalDocument (N-Quads, note trailing newline)"]
    assert canonical_doc == upstream("eddsa-rdfc-2022/canonDocDataInt.txt")
    assert (
        sha256_hex(canonical_doc)
        == expected["documentHashHex"]
        == upstream("eddsa-rdfc-2022/docHashDataInt.txt")
    )

    canonical_config = proof_configuration(options, unsigned, "eddsa-rdfc-2022")
    assert (
        canonical_config
        == expected["canonicalProofConfig (N-Quads)"]
        == upstream("eddsa-rdfc-2022/proofCanonDataInt.txt")
    )
    assert (
        sha256_hex(canonical_config)
        == expected["proofConfigHashHex"]
        == upstream("eddsa-rdfc-2022/proofHashDataInt.txt")
    )

    data = hash_data(canonical_config, canonical_doc)
    assert (
        data.hex()
        == expected["hashDataHex (proofConfigHash || documentHash)"]
        == upstream("eddsa-rdfc-2022/combinedHashDataInt.txt")
    )

    signature = di.ed25519_signer(W3C_SEED)(data)
    assert signature.hex() == expected["signatureHex"] == upstream("eddsa-rdfc-2022/sigHexDataInt.txt")
    assert (
        encode_base58btc(signature)
        == expected["proofValue"]
        == upstream("eddsa-rdfc-2022/sigBTC58DataInt.txt")
    )


@pytest.mark.parametrize(
    ("suite", "signed_file"),
    [
        ("eddsa-jcs-2022", "jcs-2022-signed.json"),
        ("eddsa-rdfc-2022", "rdfc-2022-signed.json"),
    ],
)
def test_w3c_create_proof_reproduces_the_signed_vector(suite: di.Cryptosuite, signed_file: str) -> None:
    unsigned = vector("unsigned.json")
    before = copy.deepcopy(unsigned)
    signed = create_proof(
        unsigned,
        cryptosuite=suite,
        verification_method=W3C_VM,
        created=W3C_CREATED,
        sign=di.ed25519_signer(W3C_SEED),
    )
    expected = vector(signed_file)
    assert signed == expected
    # Same members in the same order as the published file.
    assert json.dumps(signed, indent=2) == json.dumps(expected, indent=2)
    assert unsigned == before  # a new document; the input is untouched
    assert ("@context" in signed["proof"]) is (suite == "eddsa-jcs-2022")


@pytest.mark.parametrize(
    "signed_file",
    [
        "jcs-2022-signed.json",
        "rdfc-2022-signed.json",
        "upstream/eddsa-jcs-2022/signedJCS.json",
        "upstream/eddsa-rdfc-2022/signedDataInt.json",
    ],
)
def test_w3c_signed_vectors_verify(signed_file: str) -> None:
    result = verify_proof(
        vector(signed_file), public_key_for=public_key_for, expected_proof_purpose="assertionMethod"
    )
    assert result.verification_method == W3C_VM
    assert result.created == W3C_CREATED
    assert result.proof_purpose == "assertionMethod"
    assert result.cryptosuite in di.CRYPTOSUITES


# --- 1EdTech Open Badges 3.0 and CLR 2.0 vectors -------------------------------------------------


@pytest.mark.parametrize("name", ["ob3", "clr2"])
def test_1edtech_intermediates_and_signature(name: str) -> None:
    expected = vector(f"ob3/{name}-expected.json")
    unsigned = vector(f"ob3/{name}-unsigned.json")
    proof = expected["proof"][0] if isinstance(expected["proof"], list) else expected["proof"]
    options = {k: v for k, v in proof.items() if k != "proofValue"}

    canonical_doc = transform(unsigned, "eddsa-rdfc-2022")
    assert canonical_doc == text_vector(f"ob3/{name}-document-canon.txt")
    assert sha256_hex(canonical_doc) == expected["document-hash"]
    canonical_config = proof_configuration(options, unsigned, "eddsa-rdfc-2022")
    assert canonical_config == text_vector(f"ob3/{name}-proof-canon.txt")
    assert sha256_hex(canonical_config) == expected["proof-hash"]
    data = hash_data(canonical_config, canonical_doc)
    assert data.hex() == expected["data"]
    signature = di.ed25519_signer(OB_SEED)(data)
    assert signature.hex() == expected["signature"]
    assert encode_base58btc(signature) == expected["proof-value"] == proof["proofValue"]
    assert di.ed25519_public_key(OB_SEED).hex() == expected["publicKeyHex"]

    signed = create_proof(
        unsigned,
        cryptosuite="eddsa-rdfc-2022",
        verification_method=OB_VM,
        created=OB_CREATED,
        sign=di.ed25519_signer(OB_SEED),
    )
    assert signed["proof"] == proof
    published = vector(f"ob3/{name}-rdfc-2022-signed.json")
    assert {k: v for k, v in signed.items() if k != "proof"} == {
        k: v for k, v in published.items() if k != "proof"
    }


@pytest.mark.parametrize(
    "signed_file",
    [
        "ob3/ob3-rdfc-2022-signed.json",
        "ob3/clr2-rdfc-2022-signed.json",  # proof is an array (a proof set of one)
        "ob3/clr2-embedded-achievementcredential-signed.json",
    ],
)
def test_1edtech_signed_vectors_verify(signed_file: str) -> None:
    document = vector(signed_file)
    results = verify_proof_set(document, public_key_for=public_key_for)
    assert len(results) == 1
    assert results[0] == VerifiedProof(
        verification_method=OB_VM,
        cryptosuite="eddsa-rdfc-2022",
        created=OB_CREATED,
        proof_purpose="assertionMethod",
    )
    assert verify_proof(document, public_key_for=public_key_for) == results[0]


def test_embedded_achievement_credential_in_clr_verifies_on_its_own() -> None:
    clr = vector("ob3/clr2-rdfc-2022-signed.json")
    embedded = clr["credentialSubject"]["verifiableCredential"][0]
    assert embedded == vector("ob3/clr2-embedded-achievementcredential-signed.json")
    verify_proof(embedded, public_key_for=public_key_for)
    embedded["name"] = "Changed Degree"
    with pytest.raises(ProofVerificationError):
        verify_proof(embedded, public_key_for=public_key_for)


# --- Negative vectors and rejections ---------------------------------------------------------------

NEGATIVE_REASONS = {
    "jcs-neg-doc-context-not-prefixed.json": FailureReason.CONTEXT_MISMATCH,
    "jcs-neg-proof-context-mismatch.json": FailureReason.BAD_SIGNATURE,
    "jcs-neg-tampered-subject.json": FailureReason.BAD_SIGNATURE,
    "rdfc-neg-created-changed.json": FailureReason.BAD_SIGNATURE,
    "rdfc-neg-other-key.json": FailureReason.BAD_SIGNATURE,
    "rdfc-neg-proofvalue-base64url.json": FailureReason.PROOF_VALUE_ENCODING,
    "rdfc-neg-validfrom-changed.json": FailureReason.BAD_SIGNATURE,
    "rdfc-neg-wrong-cryptosuite.json": FailureReason.BAD_SIGNATURE,
}


def test_every_negative_vector_is_listed() -> None:
    assert {p.name for p in NEGATIVE.glob("*.json")} == set(NEGATIVE_REASONS)


@pytest.mark.parametrize("path", sorted(NEGATIVE.glob("*.json")), ids=lambda p: p.name)
def test_negative_vectors_are_rejected(path: Path) -> None:
    with pytest.raises(ProofVerificationError) as caught:
        verify_proof(json.loads(path.read_text()), public_key_for=public_key_for)
    assert caught.value.code == ErrorCode.PROOF_VERIFICATION_ERROR
    assert caught.value.reason == NEGATIVE_REASONS[path.name]


def signed_w3c(suite: di.Cryptosuite = "eddsa-rdfc-2022") -> dict[str, Any]:
    document: dict[str, Any] = vector(
        "rdfc-2022-signed.json" if suite == "eddsa-rdfc-2022" else "jcs-2022-signed.json"
    )
    return document


def rejection(document: Any, **kwargs: Any) -> ProofVerificationError:
    with pytest.raises(ProofVerificationError) as caught:
        verify_proof(document, public_key_for=kwargs.pop("public_key_for", public_key_for), **kwargs)
    return caught.value


def test_missing_or_malformed_proof() -> None:
    doc = signed_w3c()
    del doc["proof"]
    assert rejection(doc).reason == FailureReason.MISSING_PROOF
    assert rejection(doc).code == ErrorCode.PARSING_ERROR
    assert rejection({**doc, "proof": []}).reason == FailureReason.MISSING_PROOF
    assert rejection({**doc, "proof": "z123"}).reason == FailureReason.MISSING_PROOF
    assert rejection({**doc, "proof": ["z123"]}).reason == FailureReason.MALFORMED_PROOF
    assert rejection(["not", "an", "object"]).code == ErrorCode.PARSING_ERROR
    for member in ("type", "verificationMethod", "proofPurpose", "proofValue"):
        doc = signed_w3c()
        del doc["proof"][member]
        assert rejection(doc).reason == FailureReason.MALFORMED_PROOF
        doc["proof"][member] = 42
        assert rejection(doc).reason == FailureReason.MALFORMED_PROOF


def test_unsupported_type_and_cryptosuite() -> None:
    doc = signed_w3c()
    doc["proof"]["type"] = "Ed25519Signature2020"
    assert rejection(doc).reason == FailureReason.UNSUPPORTED_TYPE
    for suite in ("ecdsa-rdfc-2019", "eddsa-2022", None):
        doc = signed_w3c()
        doc["proof"]["cryptosuite"] = suite
        assert rejection(doc).reason == FailureReason.UNSUPPORTED_CRYPTOSUITE


@pytest.mark.parametrize("suite", di.CRYPTOSUITES)
def test_proof_value_must_be_base58btc_of_64_bytes(suite: di.Cryptosuite) -> None:
    doc = signed_w3c(suite)
    signature = di.ed25519_signer(W3C_SEED)(bytes(64))
    for bad in (
        encode_base64url(signature),
        "z",
        "z0OIl",
        encode_base58btc(signature[:63]),
        encode_base58btc(signature + b"\x00"),
        "Z" + encode_base58btc(signature)[1:],
    ):
        doc["proof"]["proofValue"] = bad
        assert rejection(doc).reason == FailureReason.PROOF_VALUE_ENCODING, bad


def test_bad_signature() -> None:
    doc = signed_w3c()
    doc["proof"]["proofValue"] = encode_base58btc(bytes(64))
    error = rejection(doc)
    assert (error.code, error.reason) == (ErrorCode.PROOF_VERIFICATION_ERROR, FailureReason.BAD_SIGNATURE)


def test_public_key_errors() -> None:
    for key in (bytes(31), bytes(33), "not-bytes"):
        error = rejection(signed_w3c(), public_key_for=lambda _vm, k=key: k)
        assert error.reason == FailureReason.INVALID_PUBLIC_KEY
    # The resolver's own exception reaches the caller unchanged.
    doc = signed_w3c()
    doc["proof"]["verificationMethod"] = "did:key:z6MkUnknown#other"
    with pytest.raises(UnknownVerificationMethod):
        verify_proof(doc, public_key_for=public_key_for)


def test_expected_proof_purpose() -> None:
    assert rejection(signed_w3c(), expected_proof_purpose="authentication").reason == (
        FailureReason.PROOF_PURPOSE_MISMATCH
    )


def test_invalid_created_is_rejected() -> None:
    doc = signed_w3c()
    doc["proof"]["created"] = "2023-02-30T00:00:00Z"
    assert rejection(doc).reason == FailureReason.INVALID_CREATED


def test_jcs_context_prefix() -> None:
    doc = signed_w3c("eddsa-jcs-2022")
    doc["@context"] = doc["@context"][:1]
    assert rejection(doc).reason == FailureReason.CONTEXT_MISMATCH
    doc = signed_w3c("eddsa-jcs-2022")
    del doc["@context"]
    assert rejection(doc).reason == FailureReason.CONTEXT_MISMATCH
    # A longer document context that starts with the proof's is a prefix match; the hash then
    # covers the proof's @context only, so the extra entry changes nothing here.
    doc = signed_w3c("eddsa-jcs-2022")
    doc["@context"] = [*doc["@context"], "https://www.w3.org/ns/credentials/status/v1"]
    verify_proof(doc, public_key_for=public_key_for)


def test_verification_reports_data_loss_and_transformation_failures() -> None:
    doc = vector("ob3/ob3-rdfc-2022-signed.json")
    doc["credentialSubject"]["undefinedTerm"] = "x"
    error = rejection(doc)
    assert (error.code, error.reason) == (ErrorCode.DATA_LOSS_DETECTION_ERROR, FailureReason.DATA_LOSS)
    doc = vector("ob3/ob3-rdfc-2022-signed.json")
    doc["@context"].append("https://unpinned.example/context.json")
    error = rejection(doc)
    assert (error.code, error.reason) == (
        ErrorCode.PROOF_TRANSFORMATION_ERROR,
        FailureReason.TRANSFORMATION_FAILED,
    )
    doc = signed_w3c("eddsa-jcs-2022")
    doc["credentialSubject"]["big"] = 2**60
    error = rejection(doc)
    assert (error.code, error.reason) == (
        ErrorCode.PROOF_TRANSFORMATION_ERROR,
        FailureReason.TRANSFORMATION_FAILED,
    )


def test_proof_fields_outside_the_vocabulary_are_data_loss() -> None:
    doc = vector("ob3/ob3-rdfc-2022-signed.json")
    doc["proof"]["inventedField"] = "x"
    assert rejection(doc).reason == FailureReason.DATA_LOSS
    # With the examples context's catch-all @vocab the field is defined, so it is signed data.
    doc = signed_w3c()
    doc["proof"]["inventedField"] = "x"
    assert rejection(doc).reason == FailureReason.BAD_SIGNATURE


# --- Proof sets and chains ---------------------------------------------------------------------------


def test_proof_set_of_both_suites(test_signer: Callable[[bytes], bytes]) -> None:
    credential = realistic_ob3_credential()
    one = create_proof(
        credential,
        cryptosuite="eddsa-rdfc-2022",
        verification_method=TEST_VM,
        created="2025-03-01T08:30:00Z",
        sign=test_signer,
    )
    both = create_proof(
        one,
        cryptosuite="eddsa-jcs-2022",
        verification_method=W3C_VM,
        created="2025-03-01T08:31:00Z",
        sign=di.ed25519_signer(W3C_SEED),
    )
    assert isinstance(both["proof"], list)
    assert len(both["proof"]) == 2
    results = verify_proof_set(both, public_key_for=public_key_for)
    assert [r.cryptosuite for r in results] == ["eddsa-rdfc-2022", "eddsa-jcs-2022"]
    assert [r.verification_method for r in results] == [TEST_VM, W3C_VM]
    both["proof"][1]["proofValue"] = one["proof"]["proofValue"]
    assert rejection(both).reason == FailureReason.BAD_SIGNATURE


def test_proof_chain(test_signer: Callable[[bytes], bytes]) -> None:
    # vc-data-integrity §4.3: a chained proof signs the document together with the proofs its
    # previousProof names. Built here from the pure functions, then checked by verify_proof_set.
    document = realistic_ob3_credential()
    first = create_proof(
        document,
        cryptosuite="eddsa-rdfc-2022",
        verification_method=TEST_VM,
        created="2025-03-01T08:30:00Z",
        sign=test_signer,
    )["proof"]
    first_id = "urn:uuid:1c3d8fce-6c4a-4d0f-9a1c-000000000001"
    first = {"id": first_id, **{k: v for k, v in first.items() if k != "proofValue"}}
    first["proofValue"] = encode_base58btc(
        test_signer(
            hash_data(
                proof_configuration(first, document, "eddsa-rdfc-2022"),
                transform(document, "eddsa-rdfc-2022"),
            )
        )
    )
    second: dict[str, Any] = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": "2025-03-02T08:30:00Z",
        "verificationMethod": W3C_VM,
        "proofPurpose": "assertionMethod",
        "previousProof": first_id,
    }
    with_previous = {**document, "proof": [first]}
    second["proofValue"] = encode_base58btc(
        di.ed25519_signer(W3C_SEED)(
            hash_data(
                proof_configuration(second, with_previous, "eddsa-rdfc-2022"),
                transform(with_previous, "eddsa-rdfc-2022"),
            )
        )
    )

    chained = {**document, "proof": [first, second]}
    results = verify_proof_set(chained, public_key_for=public_key_for)
    assert [r.verification_method for r in results] == [TEST_VM, W3C_VM]

    # The chained proof covers the first: changing the first proof breaks both.
    broken = copy.deepcopy(chained)
    broken["proof"][0]["created"] = "2025-03-01T08:30:01Z"
    assert rejection(broken).reason == FailureReason.BAD_SIGNATURE
    # Dropping the chained-to proof leaves a dangling previousProof.
    dangling = {**document, "proof": [second]}
    assert rejection(dangling).reason == FailureReason.PREVIOUS_PROOF_MISSING
    odd = copy.deepcopy(chained)
    odd["proof"][1]["previousProof"] = {"id": first_id}
    assert rejection(odd).reason == FailureReason.MALFORMED_PROOF


# --- Creation --------------------------------------------------------------------------------------


@pytest.mark.parametrize("suite", di.CRYPTOSUITES)
def test_create_proof_refuses_undefined_terms(
    suite: di.Cryptosuite, test_signer: Callable[[bytes], bytes]
) -> None:
    doc = realistic_ob3_credential()
    doc["credentialSubject"]["notInAnyContext"] = "x"
    with pytest.raises(DataLossError) as caught:
        create_proof(
            doc,
            cryptosuite=suite,
            verification_method=TEST_VM,
            created="2025-03-01T08:30:00Z",
            sign=test_signer,
        )
    assert caught.value.term == "notInAnyContext"
    doc = realistic_ob3_credential()
    doc["type"].append("UndefinedCredentialType")
    with pytest.raises(DataLossError):
        create_proof(
            doc,
            cryptosuite=suite,
            verification_method=TEST_VM,
            created="2025-03-01T08:30:00Z",
            sign=test_signer,
        )


@pytest.mark.parametrize("suite", di.CRYPTOSUITES)
def test_created_accepts_aware_datetimes(
    suite: di.Cryptosuite, test_signer: Callable[[bytes], bytes]
) -> None:
    when = datetime(2025, 3, 1, 16, 30, 5, 123, tzinfo=timezone(timedelta(hours=8)))
    signed = create_proof(
        realistic_ob3_credential(),
        cryptosuite=suite,
        verification_method=TEST_VM,
        created=when,
        sign=test_signer,
    )
    assert signed["proof"]["created"] == "2025-03-01T08:30:05Z"
    assert verify_proof(signed, public_key_for=public_key_for).created == "2025-03-01T08:30:05Z"
    with pytest.raises(ProofGenerationError):
        create_proof(
            realistic_ob3_credential(),
            cryptosuite=suite,
            verification_method=TEST_VM,
            created=datetime(2025, 3, 1),
            sign=test_signer,
        )
    for bad in ("2025-03-01", "2025-03-01T08:30:00", "yesterday", "2025-02-29T00:00:00Z"):
        with pytest.raises(ProofGenerationError):
            create_proof(
                realistic_ob3_credential(),
                cryptosuite=suite,
                verification_method=TEST_VM,
                created=bad,
                sign=test_signer,
            )
    assert datetime.now(UTC).tzinfo is UTC


def test_create_proof_checks_its_inputs(test_signer: Callable[[bytes], bytes]) -> None:
    doc = realistic_ob3_credential()
    with pytest.raises(ProofGenerationError):
        create_proof(
            doc,
            cryptosuite="eddsa-rdfc-2022",
            verification_method="",
            created="2025-03-01T08:30:00Z",
            sign=test_signer,
        )
    with pytest.raises(ProofGenerationError):
        create_proof(
            doc,
            cryptosuite="eddsa-rdfc-2022",
            verification_method=TEST_VM,
            created="2025-03-01T08:30:00Z",
            sign=lambda data: data[:10],
        )
    with pytest.raises(ValueError, match="cryptosuite"):
        create_proof(
            doc,
            cryptosuite="eddsa-2022",  # type: ignore[arg-type]
            verification_method=TEST_VM,
            created="2025-03-01T08:30:00Z",
            sign=test_signer,
        )
    with pytest.raises(ProofGenerationError):
        proof_configuration(
            {"type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022"}, doc, "eddsa-rdfc-2022"
        )


@pytest.mark.parametrize(
    "value",
    [
        "2023-02-24T23:36:38Z",
        "2023-02-24T23:36:38.5+08:00",
        "2024-02-29T24:00:00Z",
        "12023-01-01T00:00:00-14:00",
    ],
)
def test_xsd_datetime_accepts(value: str) -> None:
    assert di.is_xsd_datetime(value, require_timezone=True)


@pytest.mark.parametrize(
    "value",
    [
        "2023-02-24",
        "2023-02-24 23:36:38Z",
        "2023-13-01T00:00:00Z",
        "2023-02-29T00:00:00Z",
        "2023-02-24T23:60:00Z",
        "2023-02-24T23:36:38+15:00",
        20230224,
    ],
)
def test_xsd_datetime_rejects(value: object) -> None:
    assert not di.is_xsd_datetime(value)


# --- Property: any change to a signed credential is rejected ----------------------------------------

Path_ = tuple[str | int, ...]

_CONTAINERS: dict[di.Cryptosuite, dict[str, Any]] = {}


def _signed(suite: di.Cryptosuite) -> dict[str, Any]:
    if suite not in _CONTAINERS:
        _CONTAINERS[suite] = create_proof(
            realistic_ob3_credential(),
            cryptosuite=suite,
            verification_method=TEST_VM,
            created="2025-03-01T08:30:00Z",
            sign=di.ed25519_signer(TEST_SEED),
        )
    return copy.deepcopy(_CONTAINERS[suite])


def _paths(node: Any, prefix: Path_ = ()) -> list[tuple[Path_, Any]]:
    found: list[tuple[Path_, Any]] = [(prefix, node)]
    if isinstance(node, dict):
        for key, value in node.items():
            found.extend(_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_paths(value, (*prefix, index)))
    return found


def _parent(doc: Any, path: Path_) -> Any:
    for step in path[:-1]:
        doc = doc[step]
    return doc


_TERMS = [
    "name",
    "description",
    "id",
    "type",
    "validUntil",
    "narrative",
    "url",
    "email",
    "caption",
    "targetCode",
    "image",
    "tag",
    "proofValue",
    "created",
    "domain",
    "challenge",
    "nonce",
    "expires",
    "previousProof",
    "proofPurpose",
]


@st.composite
def _mutations(draw: st.DrawFn, suite: di.Cryptosuite) -> dict[str, Any]:
    doc = _signed(suite)
    nodes = _paths(doc)
    kind = draw(st.sampled_from(["replace", "delete", "add"]))
    if kind == "replace":
        strings = [(p, v) for p, v in nodes if isinstance(v, str)]
        path, old = draw(st.sampled_from(strings))
        new = draw(st.text(min_size=1, max_size=12).filter(lambda s: s != old))
        _parent(doc, path)[path[-1]] = new
    elif kind == "delete":
        members = [p for p, _ in nodes if p and isinstance(p[-1], str)]
        path = draw(st.sampled_from(members))
        del _parent(doc, path)[path[-1]]
    else:
        objects = [v for _, v in nodes if isinstance(v, dict)]
        target = draw(st.sampled_from(objects))
        # Keywords and @context are excluded: JSON-LD ignores @index, and re-stating an active
        # context changes no statement (nor is it meant to).
        key = draw(
            st.one_of(
                st.sampled_from(_TERMS),
                st.text(min_size=1, max_size=8).filter(lambda s: not s.startswith("@")),
            )
        )
        value = draw(st.text(min_size=1, max_size=12))
        if target.get(key) == value:
            value += "!"
        target[key] = value
    return doc


def _assert_rejected(document: dict[str, Any]) -> None:
    # Only our typed error, or the key resolver's own (unknown method, bad did:key multibase).
    with pytest.raises((ProofVerificationError, UnknownVerificationMethod, MultibaseError)):
        verify_proof(document, public_key_for=public_key_for)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(_mutations("eddsa-rdfc-2022"))
def test_any_change_to_an_rdfc_signed_credential_is_rejected(document: dict[str, Any]) -> None:
    _assert_rejected(document)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(_mutations("eddsa-jcs-2022"))
def test_any_change_to_a_jcs_signed_credential_is_rejected(document: dict[str, Any]) -> None:
    _assert_rejected(document)


@pytest.mark.parametrize("suite", di.CRYPTOSUITES)
def test_unchanged_signed_credential_verifies(suite: di.Cryptosuite) -> None:
    assert verify_proof(_signed(suite), public_key_for=public_key_for).cryptosuite == suite


_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
    | st.sampled_from(
        ["@id", "@type", "@value", "@list", "@context", "id", "https://www.w3.org/ns/credentials/v2", "_:b0"]
    ),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "@id",
                    "@type",
                    "@value",
                    "@list",
                    "@graph",
                    "@context",
                    "@language",
                    "@reverse",
                    "@set",
                    "@index",
                    "@vocab",
                    "id",
                    "type",
                    "name",
                    "proof",
                    "x",
                ]
            )
            | st.text(max_size=4),
            children,
            max_size=3,
        )
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["credentialSubject", "issuer", "@context", "proof", "name", "type"]), _json_values)
def test_malformed_documents_give_typed_errors_only(member: str, value: Any) -> None:
    document = _signed("eddsa-rdfc-2022")
    document[member] = value
    with pytest.raises((ProofVerificationError, UnknownVerificationMethod, MultibaseError)):
        verify_proof(document, public_key_for=public_key_for)
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    # Signing either works or refuses with a typed error.
    with contextlib.suppress(jsonld.JsonLdError, ProofGenerationError, di.TransformationError):
        create_proof(
            unsigned,
            cryptosuite="eddsa-jcs-2022",
            verification_method=TEST_VM,
            created="2025-03-01T08:30:00Z",
            sign=di.ed25519_signer(TEST_SEED),
        )
