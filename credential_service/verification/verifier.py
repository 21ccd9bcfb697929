"""The credential verifier (a library: used by the API, the pages and the CLI).

It never answers with a bare boolean: each check gives valid / invalid / cannot tell, with a plain
message in Chinese and English. A bad proof is fatal; a status list that cannot be fetched is
"cannot tell", never "invalid" (DESIGN §2.5). Steps follow VC Data Model 2.0 §7.1 and Bitstring
Status List §3.2.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

import jsonschema

from credential_service.core.clock import parse_xsd, utcnow
from credential_service.crypto import status_list as bits_codec
from credential_service.crypto.data_integrity import (
    ProofVerificationError,
    VerifiedProof,
    verify_proof,
)
from credential_service.crypto.vcdm import credential_problems, too_deep
from credential_service.issuers.rules import KeyLifecycle


class Outcome(StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    CANNOT_TELL = "cannot_tell"


@dataclass(frozen=True)
class CheckResult:
    check: str
    outcome: Outcome
    code: str
    message_zh: str
    message_en: str

    def as_dict(self) -> dict[str, str]:
        return {
            "check": self.check,
            "outcome": self.outcome.value,
            "code": self.code,
            "message": self.message_zh,
            "message_en": self.message_en,
        }


@dataclass(frozen=True)
class KnownKey:
    controller: str
    public_key: bytes
    lifecycle: KeyLifecycle


@dataclass(frozen=True)
class StatusBits:
    bits: bytes
    issuer: str
    purposes: tuple[str, ...]


class TrustSourceUnavailable(Exception):
    """The source that would answer (a status list, a DID document) cannot be reached now."""


class TrustSource(Protocol):
    """Where the verifier learns keys, status bits and schemas: the database, or an offline bundle."""

    def key(self, verification_method: str) -> KnownKey | None:
        """The key, or None if nobody serves it; raises TrustSourceUnavailable."""
        ...

    def status_bits(self, status_list_url: str) -> StatusBits:
        """The list's bits (after checking its signature); raises TrustSourceUnavailable."""
        ...

    def schema(self, url: str) -> dict[str, Any] | None: ...

    def recorded_issuance(self, credential_id: str) -> datetime | None:
        """When the service recorded issuing this credential (None if it cannot tell)."""
        ...


@dataclass
class VerificationReport:
    checks: list[CheckResult] = field(default_factory=list)
    proof: VerifiedProof | None = None

    @property
    def verdict(self) -> Outcome:
        outcomes = {c.outcome for c in self.checks}
        if Outcome.INVALID in outcomes:
            return Outcome.INVALID
        if Outcome.CANNOT_TELL in outcomes:
            return Outcome.CANNOT_TELL
        return Outcome.VALID

    @property
    def verified(self) -> bool:
        return self.verdict is Outcome.VALID

    def add(self, check: str, outcome: Outcome, code: str, zh: str, en: str) -> None:
        self.checks.append(CheckResult(check, outcome, code, zh, en))

    def as_dict(self) -> dict[str, Any]:
        return {
            "verified": self.verified,
            "verdict": self.verdict.value,
            "checks": [c.as_dict() for c in self.checks],
        }


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _issuer_id(credential: dict[str, Any]) -> Any:
    issuer = credential.get("issuer")
    return issuer.get("id") if isinstance(issuer, dict) else issuer


class _UnknownKey(Exception):
    pass


def _check_proof(
    credential: dict[str, Any], trust: TrustSource, report: VerificationReport
) -> KnownKey | None:
    found: dict[str, KnownKey] = {}

    def public_key_for(verification_method: str) -> bytes:
        known = trust.key(verification_method)
        if known is None:
            raise _UnknownKey(verification_method)
        found[verification_method] = known
        return known.public_key

    try:
        report.proof = verify_proof(credential, public_key_for=public_key_for)
    except _UnknownKey:
        report.add(
            "proof",
            Outcome.INVALID,
            "unknown_key",
            "签名所用的密钥不属于任何已登记的签发机构，证书不可信。",
            "The signing key belongs to no issuer we know: the credential cannot be trusted.",
        )
        return None
    except TrustSourceUnavailable:
        report.add(
            "proof",
            Outcome.CANNOT_TELL,
            "key_unreachable",
            "暂时无法取得签发机构的公钥，请稍后再试。",
            "The issuer's public key cannot be fetched now; try again later.",
        )
        return None
    except ProofVerificationError as exc:
        report.add(
            "proof",
            Outcome.INVALID,
            exc.reason.value,
            "数字签名不正确：证书内容被改动过，或不是由签发机构签发的。",
            f"The digital signature does not match ({exc.message}): the content was changed "
            "or it was not signed by the issuer.",
        )
        return None
    report.add(
        "proof",
        Outcome.VALID,
        "signature_valid",
        "数字签名正确，内容未被改动。",
        "The digital signature is valid; nothing was changed.",
    )
    return found.get(report.proof.verification_method)


def _check_key(
    credential: dict[str, Any], key: KnownKey, trust: TrustSource, report: VerificationReport
) -> None:
    assert report.proof is not None
    signed_at = trust.recorded_issuance(str(credential.get("id"))) or _parse_or_none(report.proof.created)
    if signed_at is None:
        report.add(
            "issuer_key",
            Outcome.CANNOT_TELL,
            "no_signing_time",
            "无法确定签名时间，不能判断当时密钥是否有效。",
            "The signing time is unknown, so the key's validity then cannot be told.",
        )
        return
    ok, reason = key.lifecycle.valid_at(signed_at)
    if ok:
        report.add(
            "issuer_key",
            Outcome.VALID,
            "key_valid_at_issuance",
            "签名时该密钥有效。",
            "The key was valid when the credential was signed.",
        )
        return
    zh, en = {
        "compromised": (
            "该密钥在签名时已被登记为泄露，证书不可信。",
            "The key was marked compromised before this signature: not trustworthy.",
        ),
        "retired": (
            "签名时该密钥已停用，证书不可信。",
            "The key had been retired before this signature: not trustworthy.",
        ),
        "before_created": (
            "签名时间早于密钥的启用时间，证书不可信。",
            "The signature claims a time before the key existed: not trustworthy.",
        ),
    }[reason]
    report.add("issuer_key", Outcome.INVALID, f"key_{reason}", zh, en)


def _check_controller(credential: dict[str, Any], key: KnownKey, report: VerificationReport) -> None:
    if _issuer_id(credential) == key.controller:
        report.add(
            "issuer",
            Outcome.VALID,
            "issuer_controls_key",
            "签名密钥属于证书上写明的签发机构。",
            "The signing key belongs to the issuer named on the credential.",
        )
    else:
        report.add(
            "issuer",
            Outcome.INVALID,
            "issuer_mismatch",
            "签名密钥不属于证书上写明的签发机构，证书不可信。",
            "The signing key does not belong to the issuer named on the credential.",
        )


def _parse_or_none(text: Any) -> datetime | None:
    try:
        return parse_xsd(text)
    except ValueError:
        return None


def _check_validity(credential: dict[str, Any], now: datetime, report: VerificationReport) -> None:
    valid_from = credential.get("validFrom")
    valid_until = credential.get("validUntil")
    start = _parse_or_none(valid_from) if valid_from is not None else None
    end = _parse_or_none(valid_until) if valid_until is not None else None
    if start is not None and now < start:
        report.add(
            "validity_period",
            Outcome.INVALID,
            "not_yet_valid",
            f"证书自 {valid_from} 起才生效。",
            f"The credential is only valid from {valid_from}.",
        )
    elif end is not None and now > end:
        report.add(
            "validity_period",
            Outcome.INVALID,
            "expired",
            f"证书已于 {valid_until} 过期。",
            f"The credential expired on {valid_until}.",
        )
    else:
        report.add(
            "validity_period",
            Outcome.VALID,
            "within_validity_period",
            "证书在有效期内。",
            "The credential is within its validity period.",
        )


_STATUS_WORDS = {
    "revocation": ("已被撤销", "revoked"),
    "suspension": ("已被暂停", "suspended"),
}


def _status_entries(credential: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for entry in _as_list(credential.get("credentialStatus")):
        if isinstance(entry, dict) and entry.get("type") == "BitstringStatusListEntry":
            yield entry


def _check_status(credential: dict[str, Any], trust: TrustSource, report: VerificationReport) -> None:
    entries = list(_status_entries(credential))
    if not entries:
        report.add(
            "status",
            Outcome.VALID,
            "no_status_entry",
            "证书未声明状态列表。",
            "The credential declares no status list.",
        )
        return
    for entry in entries:
        purpose = str(entry.get("statusPurpose"))
        check = f"status_{purpose}"
        zh_word, en_word = _STATUS_WORDS.get(purpose, ("状态异常", "flagged"))
        try:
            index = int(str(entry.get("statusListIndex")))
            listing = trust.status_bits(str(entry.get("statusListCredential")))
            if purpose not in listing.purposes:
                raise bits_codec.StatusListError("status purpose does not match the list")
            if listing.issuer != _issuer_id(credential):
                raise bits_codec.StatusListError("status list issued by someone else")
            flagged = bits_codec.get_bit(listing.bits, index)
        except TrustSourceUnavailable:
            report.add(
                check,
                Outcome.CANNOT_TELL,
                "status_unreachable",
                "暂时无法查询证书状态（撤销/暂停），请稍后再试。",
                "The status list cannot be fetched now; try again later.",
            )
            continue
        except (ValueError, bits_codec.StatusListError) as exc:
            report.add(
                check,
                Outcome.INVALID,
                "status_list_invalid",
                "证书的状态信息无效。",
                f"The credential's status entry is invalid: {exc}",
            )
            continue
        if flagged:
            report.add(
                check, Outcome.INVALID, purpose, f"证书{zh_word}。", f"The credential has been {en_word}."
            )
        else:
            report.add(
                check,
                Outcome.VALID,
                f"not_{purpose}",
                f"证书未{zh_word[1:]}。",
                f"The credential is not {en_word}.",
            )


def _check_schema(credential: dict[str, Any], trust: TrustSource, report: VerificationReport) -> None:
    problems = credential_problems(credential)
    if problems:
        where = "; ".join(f"{p.loc}: {p.reason}" for p in problems[:5])
        report.add(
            "schema",
            Outcome.INVALID,
            "data_model",
            "证书数据格式不符合标准。",
            f"The credential breaks the VC 2.0 data model: {where}",
        )
        return
    schemas = [s for s in _as_list(credential.get("credentialSchema")) if isinstance(s, dict)]
    for declared in schemas:
        schema = trust.schema(str(declared.get("id")))
        if schema is None or declared.get("type") != "JsonSchema":
            report.add(
                "schema",
                Outcome.CANNOT_TELL,
                "schema_unknown",
                "无法取得证书声明的数据格式。",
                f"The declared schema {declared.get('id')} is unknown.",
            )
            return
        try:
            jsonschema.validate(credential, schema)
        except jsonschema.ValidationError as exc:
            path = ".".join(str(p) for p in exc.absolute_path) or "credential"
            report.add(
                "schema",
                Outcome.INVALID,
                "schema_mismatch",
                "证书数据不符合其声明的格式。",
                f"{path}: {exc.message}",
            )
            return
    report.add(
        "schema",
        Outcome.VALID,
        "schema_valid",
        "证书数据格式正确。",
        "The credential matches its data model and schema.",
    )


def verify_credential(
    credential: Any, trust: TrustSource, *, now: datetime | None = None
) -> VerificationReport:
    """Run every check on ``credential`` and return the per-check report (never raises for bad input)."""
    report = VerificationReport()
    if not isinstance(credential, dict) or too_deep(credential):
        report.add(
            "proof",
            Outcome.INVALID,
            "not_a_credential",
            "这不是一份证书数据。",
            "This is not a credential (a JSON object, nested at most a few dozen levels, is expected).",
        )
        return report
    now = now or utcnow()
    key = _check_proof(credential, trust, report)
    if key is not None:
        _check_key(credential, key, trust, report)
        _check_controller(credential, key, report)
    _check_validity(credential, now, report)
    _check_status(credential, trust, report)
    _check_schema(credential, trust, report)
    return report
