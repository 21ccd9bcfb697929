"""Data Integrity proofs with the EdDSA cryptosuites ``eddsa-rdfc-2022`` and ``eddsa-jcs-2022``.

Spec references are to W3C vc-di-eddsa v1.0 (§3.2 eddsa-rdfc-2022, §3.3 eddsa-jcs-2022) and
vc-data-integrity v1.0 (§4 Algorithms, §"Securing Data Losslessly", §"Processing Errors").

The intermediate steps are exposed as pure functions so they can be compared byte for byte with
the published vectors: :func:`transform`, :func:`proof_configuration`, :func:`hash_data`.
Ed25519 is PyNaCl's (libsodium); nothing cryptographic is implemented here.
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final, Literal, get_args

import nacl.exceptions
import nacl.signing
import orjson

from . import jsonld, jsonld_rdf
from .jcs import JcsError, canonical_json
from .multibase import MultibaseError, decode_base58btc, encode_base58btc

Cryptosuite = Literal["eddsa-rdfc-2022", "eddsa-jcs-2022"]
CRYPTOSUITES: Final[tuple[Cryptosuite, ...]] = get_args(Cryptosuite)
PROOF_TYPE: Final = "DataIntegrityProof"
ED25519_SIGNATURE_LENGTH: Final = 64
ED25519_PUBLIC_KEY_LENGTH: Final = 32


class ErrorCode(StrEnum):
    """Error types of vc-data-integrity §"Processing Errors" (URL prefix ``https://w3id.org/security#``)."""

    PARSING_ERROR = "PARSING_ERROR"
    PROOF_GENERATION_ERROR = "PROOF_GENERATION_ERROR"
    PROOF_VERIFICATION_ERROR = "PROOF_VERIFICATION_ERROR"
    PROOF_TRANSFORMATION_ERROR = "PROOF_TRANSFORMATION_ERROR"
    DATA_LOSS_DETECTION_ERROR = "DATA_LOSS_DETECTION_ERROR"


class FailureReason(StrEnum):
    """Why verification failed, finer than :class:`ErrorCode` (for logs, tests and callers)."""

    MALFORMED_DOCUMENT = "malformed-document"
    MISSING_PROOF = "missing-proof"
    MALFORMED_PROOF = "malformed-proof"
    UNSUPPORTED_TYPE = "unsupported-proof-type"
    UNSUPPORTED_CRYPTOSUITE = "unsupported-cryptosuite"
    PROOF_PURPOSE_MISMATCH = "proof-purpose-mismatch"
    INVALID_CREATED = "invalid-created"
    PROOF_VALUE_ENCODING = "proof-value-encoding"
    PREVIOUS_PROOF_MISSING = "previous-proof-missing"
    CONTEXT_MISMATCH = "context-mismatch"
    INVALID_PUBLIC_KEY = "invalid-public-key"
    DATA_LOSS = "data-loss"
    TRANSFORMATION_FAILED = "transformation-failed"
    BAD_SIGNATURE = "bad-signature"


class ProofVerificationError(Exception):
    """A proof did not verify; ``code`` is the vc-data-integrity error type."""

    def __init__(
        self, code: ErrorCode, message: str, *, reason: FailureReason = FailureReason.BAD_SIGNATURE
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.reason = reason


class ProofGenerationError(ValueError):
    """A proof could not be created from these options (PROOF_GENERATION_ERROR)."""

    code: Final = ErrorCode.PROOF_GENERATION_ERROR


class TransformationError(ValueError):
    """JCS (RFC 8785) cannot canonicalise the document (PROOF_TRANSFORMATION_ERROR)."""

    code: Final = ErrorCode.PROOF_TRANSFORMATION_ERROR


@dataclass(frozen=True, slots=True)
class VerifiedProof:
    """What a verified proof asserts (the signature over the document checked out)."""

    verification_method: str
    cryptosuite: Cryptosuite
    created: str | None
    proof_purpose: str
    challenge: Any = None  # as the proof states them: a presentation's verifier compares them
    domain: Any = None


# XML Schema 1.1 Part 2 §3.3.7 dateTime lexical space; dateTimeStamp additionally needs the zone.
_DATETIME: Final = re.compile(
    r"^-?([1-9][0-9]{3,}|0[0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T(([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?|24:00:00(\.0+)?)"
    r"(Z|[+-]((0[0-9]|1[0-3]):[0-5][0-9]|14:00))?$"
)


def is_xsd_datetime(value: object, *, require_timezone: bool = False) -> bool:
    """True if ``value`` is an XML Schema ``dateTime`` (``dateTimeStamp`` if ``require_timezone``)."""
    if not isinstance(value, str):
        return False
    m = _DATETIME.match(value)
    if m is None or (require_timezone and m.group(8) is None):
        return False
    year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if 1 <= year <= 9999 and not value.startswith("-"):
        try:
            datetime(year, month, day)  # day-of-month must exist (no 30 February)
        except ValueError:
            return False
    return True


def _check_suite(cryptosuite: str) -> Cryptosuite:
    if cryptosuite not in CRYPTOSUITES:
        raise ValueError(f"unsupported cryptosuite {cryptosuite!r}")
    return cryptosuite


def transform(document: Mapping[str, Any], cryptosuite: Cryptosuite) -> str:
    """Transformation (vc-di-eddsa §3.2.3 / §3.3.3): the canonical form of ``document``.

    eddsa-rdfc-2022: RDFC-1.0 canonical N-Quads (safe mode, ending in LF); eddsa-jcs-2022: the
    JCS (RFC 8785) text. Raises :class:`.jsonld.JsonLdError` (rdfc) or
    :class:`TransformationError` (jcs); ``ValueError`` for an unknown cryptosuite.
    """
    if _check_suite(cryptosuite) == "eddsa-rdfc-2022":
        return jsonld_rdf.canonicalize(document)
    try:
        return canonical_json(document).decode("utf-8")
    except JcsError as exc:
        raise TransformationError(f"JCS: {exc}") from exc


def proof_configuration(
    proof_options: Mapping[str, Any], document: Mapping[str, Any], cryptosuite: Cryptosuite
) -> str:
    """Proof Configuration (vc-di-eddsa §3.2.5 / §3.3.5): the canonical proof configuration.

    ``proof_options`` is the proof without ``proofValue``. For eddsa-rdfc-2022 its ``@context`` is
    replaced by the document's (step 4) and the result is RDFC-1.0 canonicalised; for
    eddsa-jcs-2022 the options are JCS-canonicalised as given (Create Proof step 2 has already
    copied the document's ``@context`` into them). Raises :class:`ProofGenerationError` for a
    wrong type/cryptosuite or an invalid ``created``, and as :func:`transform` otherwise.
    """
    suite = _check_suite(cryptosuite)
    config = dict(proof_options)  # Step 1: clone
    # Step 2: type and cryptosuite.
    if config.get("type") != PROOF_TYPE or config.get("cryptosuite") != suite:
        raise ProofGenerationError(f"proof options must have type {PROOF_TYPE} and cryptosuite {suite}")
    # Step 3: created, if present, is an XML Schema dateTime.
    if "created" in config and not is_xsd_datetime(config["created"]):
        raise ProofGenerationError(f"created is not an XML Schema dateTime: {config['created']!r}")
    if suite == "eddsa-rdfc-2022":
        # Step 4: the document's @context, so the proof's terms expand as the document's do.
        if "@context" in document:
            config["@context"] = document["@context"]
        else:
            config.pop("@context", None)
        return jsonld_rdf.canonicalize(config)  # Step 5
    return transform(config, suite)  # Step 4 (jcs): JCS


def hash_data(canonical_proof_config: str, transformed_document: str) -> bytes:
    """Hashing (vc-di-eddsa §3.2.4 / §3.3.4): SHA-256(proof config) ‖ SHA-256(document), 64 bytes."""
    return (
        hashlib.sha256(canonical_proof_config.encode("utf-8")).digest()
        + hashlib.sha256(transformed_document.encode("utf-8")).digest()
    )


def ed25519_signer(seed: bytes) -> Callable[[bytes], bytes]:
    """Return ``sign(message) -> 64-byte signature`` for the Ed25519 key with this 32-byte seed."""
    key = nacl.signing.SigningKey(seed)

    def sign(message: bytes) -> bytes:
        return bytes(key.sign(message).signature)

    return sign


def ed25519_public_key(seed: bytes) -> bytes:
    """The 32-byte Ed25519 public key of a 32-byte seed."""
    return bytes(nacl.signing.SigningKey(seed).verify_key)


def _format_created(created: datetime | str) -> str:
    if isinstance(created, datetime):
        if created.tzinfo is None:
            raise ProofGenerationError("created must be timezone-aware")
        return created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if not is_xsd_datetime(created, require_timezone=True):
        raise ProofGenerationError(f"created is not an XML Schema dateTimeStamp: {created!r}")
    return created


def create_proof(
    document: Mapping[str, Any],
    *,
    cryptosuite: Cryptosuite,
    verification_method: str,
    created: datetime | str,
    sign: Callable[[bytes], bytes],
    proof_purpose: str = "assertionMethod",
    challenge: str | None = None,
    domain: str | None = None,
) -> dict[str, Any]:
    """Create Proof (vc-di-eddsa §3.2.1 / §3.3.1) and return a new document carrying it.

    ``sign`` receives the 64-byte hash data and returns the Ed25519 signature. With eddsa-jcs-2022
    the proof carries the document's ``@context`` (step 2); with eddsa-rdfc-2022 it does not. A
    document that already has proofs gets one more (a proof set; vc-data-integrity §4.3).
    ``challenge`` and ``domain`` (a presentation's proof, vc-data-integrity §2.1) are signed with it.
    Both suites refuse documents that lose data in JSON-LD (undefined terms, relative IRIs…):
    raises :class:`.jsonld.DataLossError`, :class:`.jsonld.UnsafeValueError` and other
    :class:`.jsonld.JsonLdError`; :class:`ProofGenerationError` for bad options or signature.
    """
    to_sign = proof_to_sign(
        document,
        cryptosuite=cryptosuite,
        verification_method=verification_method,
        created=created,
        proof_purpose=proof_purpose,
        challenge=challenge,
        domain=domain,
    )
    return attach_proof(document, to_sign, sign(to_sign.hash_data))  # Step 6 (rdfc step 5)


@dataclass(frozen=True, slots=True)
class ProofToSign:
    """Create Proof up to the signature: the proof without ``proofValue`` and the 64-byte hash data."""

    proof: dict[str, Any]
    hash_data: bytes


def proof_to_sign(
    document: Mapping[str, Any],
    *,
    cryptosuite: Cryptosuite,
    verification_method: str,
    created: datetime | str,
    proof_purpose: str = "assertionMethod",
    challenge: str | None = None,
    domain: str | None = None,
) -> ProofToSign:
    """Create Proof steps 1–5 (rdfc 1–4): all of its cost but the signature, and no key needed, so
    batch issuance runs it in worker processes (crypto/proof_pool.py). Raises as :func:`create_proof`."""
    suite = _check_suite(cryptosuite)
    if not isinstance(document, Mapping):
        raise ProofGenerationError("the document must be a JSON object")
    if not isinstance(verification_method, str) or not verification_method:
        raise ProofGenerationError("verification_method must be a non-empty URL")
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    options: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": suite,
        "created": _format_created(created),
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
    }
    options.update({k: v for k, v in (("challenge", challenge), ("domain", domain)) if v is not None})
    proof = dict(options)  # Step 1
    if suite == "eddsa-jcs-2022":
        if "@context" in unsecured:  # Step 2
            proof["@context"] = copy.deepcopy(unsecured["@context"])
        # JCS itself signs every byte, but a term the JSON-LD reading drops would still be
        # meaningless to verifiers: refuse it as eddsa-rdfc-2022 does.
        jsonld.expand_safe(unsecured)
    canonical_config = proof_configuration(proof, unsecured, suite)  # Step 3 (rdfc step 2)
    transformed = transform(unsecured, suite)  # Step 4 (rdfc step 3)
    return ProofToSign(proof, hash_data(canonical_config, transformed))  # Step 5 (rdfc step 4)


def attach_proof(document: Mapping[str, Any], to_sign: ProofToSign, signature: bytes) -> dict[str, Any]:
    """Create Proof steps 6–8: a copy of ``document`` carrying the proof with ``signature`` (the
    Ed25519 signature of ``to_sign.hash_data``). Raises ProofGenerationError for a wrong length."""
    if not isinstance(signature, bytes) or len(signature) != ED25519_SIGNATURE_LENGTH:
        raise ProofGenerationError("sign() must return a 64-byte Ed25519 signature")
    proof = {**to_sign.proof, "proofValue": encode_base58btc(signature)}  # Step 7 (rdfc step 6)
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    secured = _copy_with(document, unsecured)
    existing = secured.get("proof")
    if existing is None:
        secured["proof"] = proof
    else:
        secured["proof"] = [*(existing if isinstance(existing, list) else [existing]), proof]
    return secured


def _copy_with(document: Mapping[str, Any], unsecured: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of ``document``. Its members but ``proof`` were just canonicalised, so they are
    plain JSON and a JSON round trip copies them (ten times faster than ``copy.deepcopy``)."""
    try:
        copied: dict[str, Any] = orjson.loads(orjson.dumps(unsecured))
    except TypeError:  # e.g. keys that are not strings (eddsa-jcs-2022 refuses those anyway)
        copied = copy.deepcopy(dict(unsecured))
    return {k: copy.deepcopy(v) if k == "proof" else copied[k] for k, v in document.items()}


def _fail(code: ErrorCode, reason: FailureReason, message: str) -> ProofVerificationError:
    return ProofVerificationError(code, message, reason=reason)


def _context_list(value: object) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _verify_one(
    unsecured: dict[str, Any],
    proof: object,
    public_key_for: Callable[[str], bytes],
    expected_proof_purpose: str | None,
) -> VerifiedProof:
    """vc-data-integrity §4.4 Verify Proof steps 3–8 with the cryptosuite's Verify Proof."""
    proof, suite = _checked_proof_shape(proof, expected_proof_purpose)
    # Verify Proof (§3.2.2 / §3.3.2) step 2: proof options = proof without proofValue.
    proof_options = {k: v for k, v in proof.items() if k != "proofValue"}
    proof_bytes = _signature_bytes(proof["proofValue"])
    if suite == "eddsa-jcs-2022" and "@context" in proof_options:
        unsecured = _with_proof_context(unsecured, proof_options["@context"])
    # Proof Verification step 1: the public key of the verification method (errors propagate).
    public_key = public_key_for(proof["verificationMethod"])
    if not isinstance(public_key, bytes) or len(public_key) != ED25519_PUBLIC_KEY_LENGTH:
        raise _fail(
            ErrorCode.PROOF_VERIFICATION_ERROR,
            FailureReason.INVALID_PUBLIC_KEY,
            "the verification method does not give a 32-byte Ed25519 public key",
        )
    data = _hash_to_verify(unsecured, proof_options, suite)
    # Proof Verification step 2: Ed25519 (RFC 8032, pure) with libsodium.
    try:
        nacl.signing.VerifyKey(public_key).verify(data, proof_bytes)
    except nacl.exceptions.BadSignatureError as exc:
        raise _fail(
            ErrorCode.PROOF_VERIFICATION_ERROR, FailureReason.BAD_SIGNATURE, "the signature does not verify"
        ) from exc
    return VerifiedProof(
        verification_method=proof["verificationMethod"],
        cryptosuite=suite,
        created=proof.get("created"),
        proof_purpose=proof["proofPurpose"],
        challenge=proof.get("challenge"),
        domain=proof.get("domain"),
    )


def _checked_proof_shape(
    proof: object, expected_proof_purpose: str | None
) -> tuple[Mapping[str, Any], Cryptosuite]:
    """DI §4.4 steps 4–5: the proof's members, type, cryptosuite, purpose and ``created``."""
    code = ErrorCode.PROOF_VERIFICATION_ERROR
    if not isinstance(proof, Mapping):
        raise _fail(ErrorCode.PARSING_ERROR, FailureReason.MALFORMED_PROOF, "proof is not a JSON object")
    for member in ("type", "verificationMethod", "proofPurpose", "proofValue"):
        if not isinstance(proof.get(member), str) or not proof[member]:
            raise _fail(code, FailureReason.MALFORMED_PROOF, f"proof.{member} is missing or not a string")
    if proof["type"] != PROOF_TYPE:
        raise _fail(code, FailureReason.UNSUPPORTED_TYPE, f"unsupported proof type {proof['type']!r}")
    if proof.get("cryptosuite") not in CRYPTOSUITES:
        raise _fail(
            code,
            FailureReason.UNSUPPORTED_CRYPTOSUITE,
            f"unsupported cryptosuite {proof.get('cryptosuite')!r}",
        )
    if expected_proof_purpose is not None and proof["proofPurpose"] != expected_proof_purpose:
        raise _fail(
            code,
            FailureReason.PROOF_PURPOSE_MISMATCH,
            f"proofPurpose is {proof['proofPurpose']!r}, expected {expected_proof_purpose!r}",
        )
    created = proof.get("created")
    if created is not None and not is_xsd_datetime(created):
        raise _fail(code, FailureReason.INVALID_CREATED, "proof.created is not a dateTime")
    suite: Cryptosuite = proof["cryptosuite"]
    return proof, suite


def _signature_bytes(proof_value: str) -> bytes:
    """Verify Proof step 3: base58-btc multibase ("Any other encoding MUST NOT be allowed"), 64 bytes."""
    code = ErrorCode.PROOF_VERIFICATION_ERROR
    try:
        proof_bytes = decode_base58btc(proof_value)
    except MultibaseError as exc:
        raise _fail(
            code, FailureReason.PROOF_VALUE_ENCODING, f"proofValue must be base58-btc multibase ('z'): {exc}"
        ) from exc
    if len(proof_bytes) != ED25519_SIGNATURE_LENGTH:
        raise _fail(
            code, FailureReason.PROOF_VALUE_ENCODING, "proofValue does not hold a 64-byte Ed25519 signature"
        )
    return proof_bytes


def _with_proof_context(unsecured: dict[str, Any], proof_context_value: Any) -> dict[str, Any]:
    """eddsa-jcs-2022 §3.3.2 step 4: the document's @context starts with the proof's, in order; the
    proof's then stands for the document's."""
    proof_context = _context_list(proof_context_value)
    document_context = _context_list(unsecured["@context"]) if "@context" in unsecured else []
    if document_context[: len(proof_context)] != proof_context:
        raise _fail(
            ErrorCode.PROOF_VERIFICATION_ERROR,
            FailureReason.CONTEXT_MISMATCH,
            "the document @context does not start with the proof @context",
        )
    return {**unsecured, "@context": proof_context_value}


def _hash_to_verify(unsecured: dict[str, Any], proof_options: dict[str, Any], suite: Cryptosuite) -> bytes:
    """Transform, configure and hash (rdfc steps 4–6, jcs steps 5–7), every failure typed."""
    try:
        transformed = transform(unsecured, suite)
        canonical_config = proof_configuration(proof_options, unsecured, suite)
    except jsonld.DataLossError as exc:
        raise _fail(ErrorCode.DATA_LOSS_DETECTION_ERROR, FailureReason.DATA_LOSS, str(exc)) from exc
    except ProofGenerationError as exc:
        raise _fail(ErrorCode.PROOF_VERIFICATION_ERROR, FailureReason.MALFORMED_PROOF, str(exc)) from exc
    except (jsonld.JsonLdError, TransformationError) as exc:
        raise _fail(
            ErrorCode.PROOF_TRANSFORMATION_ERROR, FailureReason.TRANSFORMATION_FAILED, str(exc)
        ) from exc
    except Exception as exc:  # malformed input must be a typed rejection, never a crash
        raise _fail(
            ErrorCode.PROOF_TRANSFORMATION_ERROR,
            FailureReason.TRANSFORMATION_FAILED,
            f"cannot canonicalise the document: {type(exc).__name__}: {exc}",
        ) from exc
    return hash_data(canonical_config, transformed)


def verify_proof_set(
    document: Mapping[str, Any],
    *,
    public_key_for: Callable[[str], bytes],
    expected_proof_purpose: str | None = None,
) -> tuple[VerifiedProof, ...]:
    """Verify every proof of ``document`` (one proof, a proof set, or a chain); all must pass.

    Follows vc-data-integrity §4.5 (Verify Proof Sets and Chains): each proof is checked against
    the document without ``proof``, plus the proofs its ``previousProof`` names. Returns one
    :class:`VerifiedProof` per proof, in document order. Raises :class:`ProofVerificationError`;
    exceptions from ``public_key_for(verification_method_url)`` propagate unchanged.
    """
    if not isinstance(document, Mapping):
        raise _fail(
            ErrorCode.PARSING_ERROR,
            FailureReason.MALFORMED_DOCUMENT,
            "the secured document is not a JSON object",
        )
    all_proofs = document.get("proof")
    if isinstance(all_proofs, Mapping):
        all_proofs = [all_proofs]
    if not isinstance(all_proofs, list) or not all_proofs:
        raise _fail(ErrorCode.PARSING_ERROR, FailureReason.MISSING_PROOF, "the document has no proof")
    base = {k: v for k, v in document.items() if k != "proof"}
    results = []
    for proof in all_proofs:  # §4.5 step 3
        matching = _previous_proofs(proof, all_proofs)  # step 3.1–3.2
        unsecured = {**base, "proof": matching} if matching else dict(base)  # step 3.3
        results.append(_verify_one(unsecured, proof, public_key_for, expected_proof_purpose))
    return tuple(results)


def _previous_proofs(proof: object, all_proofs: Sequence[Any]) -> list[Any]:
    if not isinstance(proof, Mapping) or "previousProof" not in proof:
        return []
    wanted = proof["previousProof"]
    ids = [wanted] if isinstance(wanted, str) else wanted
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise _fail(
            ErrorCode.PROOF_VERIFICATION_ERROR,
            FailureReason.MALFORMED_PROOF,
            "previousProof must be a string or a list of strings",
        )
    matching = []
    for wanted_id in ids:
        found = [p for p in all_proofs if isinstance(p, Mapping) and p.get("id") == wanted_id]
        if not found:
            raise _fail(
                ErrorCode.PROOF_VERIFICATION_ERROR,
                FailureReason.PREVIOUS_PROOF_MISSING,
                f"previousProof {wanted_id!r} is not in the proof set",
            )
        matching.extend(found)
    return matching


def verify_proof(
    document: Mapping[str, Any],
    *,
    public_key_for: Callable[[str], bytes],
    expected_proof_purpose: str | None = None,
) -> VerifiedProof:
    """Verify the proof (or every proof of a proof set) of ``document``.

    Returns the :class:`VerifiedProof` of the first proof. Raises :class:`ProofVerificationError`
    for a missing or malformed proof, an unsupported type or cryptosuite, a proofValue that is not
    base58-btc (``z``), a jcs ``@context`` that is not a prefix of the document's, a public key
    that is not 32 bytes, a failed canonicalisation or data loss, or a bad signature. Exceptions
    raised by ``public_key_for`` propagate unchanged.
    """
    return verify_proof_set(
        document, public_key_for=public_key_for, expected_proof_purpose=expected_proof_purpose
    )[0]


__all__ = [
    "CRYPTOSUITES",
    "PROOF_TYPE",
    "Cryptosuite",
    "ErrorCode",
    "FailureReason",
    "ProofGenerationError",
    "ProofVerificationError",
    "TransformationError",
    "VerifiedProof",
    "create_proof",
    "ed25519_public_key",
    "ed25519_signer",
    "hash_data",
    "is_xsd_datetime",
    "proof_configuration",
    "transform",
    "verify_proof",
    "verify_proof_set",
]
