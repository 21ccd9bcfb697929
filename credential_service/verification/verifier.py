"""The credential verifier (a library: used by the API, the pages and the CLI).

It never answers with a bare boolean: each check gives valid / invalid / cannot tell, with a plain
message in Chinese and English. A bad proof is fatal; a status list that cannot be fetched is
"cannot tell", never "invalid" (DESIGN §2.5). Steps follow VC Data Model 2.0 §7.1 and Bitstring
Status List §3.2; the transparency-log check follows RFC 9162 §2.1.3.2 and C2SP tlog-checkpoint.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any, Protocol

import jsonschema

from credential_service.core.clock import parse_xsd, to_xsd, utcnow
from credential_service.crypto import merkle
from credential_service.crypto import status_list as bits_codec
from credential_service.crypto.checkpoint import (
    CheckpointError,
    open_checkpoint,
    platform_did_for_origin,
)
from credential_service.crypto.data_integrity import (
    ProofVerificationError,
    VerifiedProof,
    verify_proof,
)
from credential_service.crypto.jcs import JcsError, canonical_json
from credential_service.crypto.key_lifecycle import KeyLifecycle
from credential_service.crypto.vcdm import credential_problems, too_deep


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
class StatusFlag:
    """One credential's bit in a status list, with the list's issuer and purposes (checked, not trusted)."""

    flagged: bool
    issuer: str
    purposes: tuple[str, ...]


@dataclass(frozen=True)
class RegistryAnswer:
    """What the registry of the credential's issuer says of it (decision 022).

    ``recorded_digest``: the digest recorded under the credential's id (None: it never issued it);
    ``refusals``: why the issuer could not issue it then (empty: it could); ``scope_applies``: False
    for the platform, which no registered scope binds; ``state``: the registry's reading of the
    status bits (valid / revoked / suspended / superseded).
    """

    ours: bool  # the issuer is one of this registry's; False: nothing else here was checked
    recorded_digest: str | None = None
    unnumbered: bool = False  # an organisation's credential without a registry number (decision 022)
    refusals: tuple[str, ...] = ()
    scope_applies: bool = False
    state: str = "valid"


@dataclass(frozen=True)
class LogEvidence:
    """What a trust source holds about a credential in the transparency log: the leaf, its audit
    path and the signed checkpoint it leads to. The verifier checks all of it itself."""

    leaf_index: int | None  # None: the credential should be in the log and is not
    leaf_data: bytes = b""  # the leaf exactly as logged (canonical JSON)
    tree_size: int = 0
    audit_path: tuple[bytes, ...] = ()
    checkpoint: str | None = None  # the signed note (C2SP checkpoint); None: not in one yet
    checkpoint_key: str | None = None  # the verification method said to sign it (checked, not trusted)


class TrustSourceUnavailable(Exception):
    """The source that would answer (a status list, a DID document) cannot be reached now."""


class TrustSource(Protocol):
    """Where the verifier learns keys, status bits and schemas: the database, or an offline bundle."""

    def key(self, verification_method: str) -> KnownKey | None:
        """The key, or None if nobody serves it; raises TrustSourceUnavailable."""
        ...

    def status_flag(self, status_list_url: str, index: int) -> StatusFlag:
        """The entry's bit (from a list whose signature was checked, or the live registry); raises
        TrustSourceUnavailable, or StatusListError for an index outside the list."""
        ...

    def registry(self, credential: dict[str, Any], digest: str) -> RegistryAnswer | None:
        """The registry's answer, or None when this source has no registry (an offline bundle):
        then the record and scope checks are left out."""
        ...

    def schema(self, url: str) -> dict[str, Any] | None: ...

    def recorded_issuance(self, credential_id: str) -> datetime | None:
        """When the service recorded issuing this credential (None if it cannot tell)."""
        ...

    def log_evidence(self, credential_id: str) -> LogEvidence | None:
        """The credential's inclusion proof, or None when the source has nothing to say about it
        (then the "logged" check is left out); raises TrustSourceUnavailable."""
        ...


class Verdict(StrEnum):
    """The employer's answer, the same for a QR scan and for ``/credentials/verify``."""

    GENUINE = "genuine"
    REVOKED = "revoked"
    SUSPENDED = "suspended"
    SUPERSEDED = "superseded"
    EXPIRED = "expired"
    NOT_GENUINE = "not_genuine"
    CANNOT_TELL = "cannot_tell"


# A failure of any of these means the certificate is not what it claims to be.
AUTHENTICITY_CHECKS = frozenset({"token", "record", "logged", "proof", "issuer_key", "issuer", "scope"})


def verdict_of(checks: list[CheckResult], state: str | None) -> Verdict:
    """Not genuine > revoked/superseded > suspended > expired > cannot tell > genuine.

    ``state``: the registry's reading of the status bits, which tells a correction (superseded)
    from a revocation; without a registry the failed status checks say it.
    """
    failed = [c for c in checks if c.outcome is Outcome.INVALID]
    if any(c.check in AUTHENTICITY_CHECKS for c in failed):
        return Verdict.NOT_GENUINE
    if state is None:
        flagged = {c.code for c in failed if c.check.startswith("status_")}
        state = next((s for p, s in _FLAGGED_STATES if p in flagged), "valid")
    if state != "valid":
        return Verdict(state)
    if any(c.check == "validity_period" and c.code == "expired" for c in failed):
        return Verdict.EXPIRED
    if any(c.outcome is not Outcome.VALID for c in checks):
        return Verdict.CANNOT_TELL
    return Verdict.GENUINE


_FLAGGED_STATES = (("revocation", "revoked"), ("suspension", "suspended"))


@dataclass
class VerificationReport:
    checks: list[CheckResult] = field(default_factory=list)
    proof: VerifiedProof | None = None
    registry: RegistryAnswer | None = None

    @property
    def conclusion(self) -> Verdict:
        return verdict_of(self.checks, self.registry.state if self.registry else None)

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
            "conclusion": self.conclusion.value,
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


class _ProofCache:
    """Proofs already verified, by credential digest, with the keys they verified against: the same
    bytes under the same keys verify the same, so RDFC runs once per certificate per process."""

    def __init__(self, size: int) -> None:
        self._size, self._lock = size, threading.Lock()
        self._entries: OrderedDict[str, tuple[VerifiedProof, tuple[tuple[str, bytes], ...]]] = OrderedDict()

    def get(self, digest: str) -> tuple[VerifiedProof, tuple[tuple[str, bytes], ...]] | None:
        with self._lock:
            found = self._entries.get(digest)
            if found is not None:
                self._entries.move_to_end(digest)
            return found

    def put(self, digest: str, proof: VerifiedProof, keys: dict[str, KnownKey]) -> None:
        with self._lock:
            self._entries[digest] = (proof, tuple((m, k.public_key) for m, k in keys.items()))
            if len(self._entries) > self._size:
                self._entries.popitem(last=False)


_PROOFS = _ProofCache(4096)


def _check_proof(
    credential: dict[str, Any], digest: str, trust: TrustSource, report: VerificationReport
) -> KnownKey | None:
    found: dict[str, KnownKey] = {}

    def public_key_for(verification_method: str) -> bytes:
        known = trust.key(verification_method)
        if known is None:
            raise _UnknownKey(verification_method)
        found[verification_method] = known
        return known.public_key

    try:
        cached = _PROOFS.get(digest)
        if cached is not None and all(public_key_for(m) == key for m, key in cached[1]):
            report.proof = cached[0]
        else:
            found.clear()
            report.proof = verify_proof(credential, public_key_for=public_key_for)
            _PROOFS.put(digest, report.proof, found)
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
    credential: dict[str, Any],
    key: KnownKey,
    trust: TrustSource,
    report: VerificationReport,
    logged_at: datetime | None,
) -> None:
    """The key was valid when the credential was signed: by the time the transparency log proves
    it was logged (``logged_at``), else the issuer's record, else the proof's own claim — which is
    not enough once the key is known to be compromised."""
    assert report.proof is not None
    recorded = trust.recorded_issuance(str(credential.get("id")))
    signed_at = logged_at or recorded or _parse_or_none(report.proof.created)
    if signed_at is None:
        report.add(
            "issuer_key",
            Outcome.CANNOT_TELL,
            "no_signing_time",
            "无法确定签名时间，不能判断当时密钥是否有效。",
            "The signing time is unknown, so the key's validity then cannot be told.",
        )
        return
    compromised = key.lifecycle.compromised_since
    if compromised is not None and logged_at is None and recorded is None and signed_at < compromised:
        # Whoever holds a stolen key can write any date into the proof: only the log proves when.
        report.add(
            "issuer_key",
            Outcome.CANNOT_TELL,
            "compromise_time_unproven",
            "签名密钥已被登记为泄露，而透明日志不能证明这份证书是在泄露之前签发的。",
            "The signing key was later marked compromised, and the transparency log does not prove "
            "this credential was logged before that.",
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


_LOG_FAILURES = {
    "not_in_log": (
        "签发记录显示已签发，但公开的透明日志中没有这份证书，证书不可信。",
        "The issuer's records list this credential, but the public transparency log does not: "
        "not trustworthy.",
    ),
    "log_mismatch": (
        "透明日志中记录的不是这份证书（内容不一致），证书不可信。",
        "The transparency log recorded a different credential under this id: not trustworthy.",
    ),
    "checkpoint_invalid": (
        "透明日志检查点的签名无效。",
        "The transparency log checkpoint's signature does not verify.",
    ),
    "checkpoint_key_invalid": (
        "透明日志检查点是用当时无效的平台密钥签名的。",
        "The transparency log checkpoint was signed with a platform key that was not valid then.",
    ),
    "log_of_another_service": (
        "透明日志不属于签发这份证书的服务。",
        "The transparency log belongs to another service than the credential's issuer.",
    ),
    "inclusion_proof_invalid": (
        "透明日志的包含证明不成立，证书不可信。",
        "The transparency log's inclusion proof does not verify: not trustworthy.",
    ),
}


def _log_failure(report: VerificationReport, code: str, detail: str = "") -> None:
    zh, en = _LOG_FAILURES[code]
    report.add("logged", Outcome.INVALID, code, zh, f"{en} {detail}".strip())


def _logged_leaf(credential: dict[str, Any], digest: str, evidence: LogEvidence) -> datetime | None:
    """The leaf's logged-at time if the leaf records exactly this credential, else None."""
    try:
        leaf = json.loads(evidence.leaf_data)
        if (
            leaf.get("kind") == "credential.issued"
            and leaf.get("credentialId") == credential.get("id")
            and leaf.get("digest") == digest
        ):
            return parse_xsd(leaf.get("loggedAt"))
    except (ValueError, TypeError, AttributeError):
        return None
    return None


def _check_logged(
    credential: dict[str, Any], digest: str, trust: TrustSource, report: VerificationReport
) -> datetime | None:
    """The credential is in the transparency log, under a checkpoint the platform signed.

    Returns the logged-at time the log proves (None when it proves nothing).
    """
    credential_id = credential.get("id")
    if not isinstance(credential_id, str):
        return None
    # 1. Ask the trust source for the leaf, its audit path and the checkpoint.
    try:
        evidence = trust.log_evidence(credential_id)
    except TrustSourceUnavailable:
        report.add(
            "logged",
            Outcome.CANNOT_TELL,
            "log_unreachable",
            "暂时无法取得透明日志的证明，请稍后再试。",
            "The transparency log's proof cannot be fetched now; try again later.",
        )
        return None
    if evidence is None:
        return None
    if evidence.leaf_index is None:
        _log_failure(report, "not_in_log")
        return None
    if evidence.checkpoint is None:
        report.add(
            "logged",
            Outcome.CANNOT_TELL,
            "awaiting_checkpoint",
            "证书已写入透明日志，但尚未进入已签名的检查点，请稍后再试。",
            "The credential is in the transparency log but not yet in a signed checkpoint; try again later.",
        )
        return None
    # 2. The leaf records this very credential: its id and the digest of exactly these bytes.
    logged_at = _logged_leaf(credential, digest, evidence)
    if logged_at is None:
        _log_failure(report, "log_mismatch")
        return None
    # 3. The checkpoint is signed by the platform whose log it is, with a key valid at its time.
    origin = evidence.checkpoint.split("\n", 1)[0]
    try:
        platform = platform_did_for_origin(origin)
    except CheckpointError:
        _log_failure(report, "log_of_another_service")
        return None
    issuer = str(_issuer_id(credential))
    if issuer != platform and not issuer.startswith(platform + ":"):
        _log_failure(report, "log_of_another_service")
        return None
    key = trust.key(evidence.checkpoint_key) if evidence.checkpoint_key else None
    if key is None or key.controller != platform:
        report.add(
            "logged",
            Outcome.CANNOT_TELL,
            "checkpoint_key_unknown",
            "无法取得签署透明日志检查点的平台公钥。",
            "The platform key that signed the transparency log checkpoint is not known here.",
        )
        return None
    try:
        opened = open_checkpoint(evidence.checkpoint, {evidence.checkpoint_key or "": key.public_key})
    except CheckpointError as exc:
        _log_failure(report, "checkpoint_invalid", f"({exc})")
        return None
    if not key.lifecycle.valid_at(opened.timestamp)[0]:
        _log_failure(report, "checkpoint_key_invalid")
        return None
    # 4. The audit path leads from the leaf to the checkpoint's root (RFC 9162 §2.1.3.2).
    try:
        if opened.checkpoint.size != evidence.tree_size:
            raise merkle.ProofError("the proof is for another tree size than the checkpoint")
        merkle.verify_inclusion(
            evidence.leaf_index,
            evidence.tree_size,
            merkle.leaf_hash(evidence.leaf_data),
            evidence.audit_path,
            opened.checkpoint.root_hash,
        )
    except merkle.ProofError as exc:
        _log_failure(report, "inclusion_proof_invalid", f"({exc})")
        return None
    report.add(
        "logged",
        Outcome.VALID,
        "logged",
        f"证书已于 {to_xsd(logged_at)} 记入公开透明日志（第 {evidence.leaf_index + 1} 条），"
        f"平台于 {to_xsd(opened.timestamp)} 签署的检查点证明了这一点。",
        f"The credential was logged in the public transparency log at {to_xsd(logged_at)} (entry "
        f"{evidence.leaf_index}), as the checkpoint the platform signed at {to_xsd(opened.timestamp)} "
        "proves.",
    )
    return logged_at


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
            listing = trust.status_flag(str(entry.get("statusListCredential")), index)
            if purpose not in listing.purposes:
                raise bits_codec.StatusListError("status purpose does not match the list")
            if listing.issuer != _issuer_id(credential):
                raise bits_codec.StatusListError("status list issued by someone else")
            flagged = listing.flagged
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


def _check_registry(
    credential: dict[str, Any], digest: str, trust: TrustSource, report: VerificationReport
) -> None:
    """The registry issued this very credential, and its issuer could issue it then (decision 022):
    a credential signed with a registered key but never issued, or issued outside the registered
    scope or while suspended, is not genuine. For the QR code and for this check alike."""
    answer = trust.registry(credential, digest)
    report.registry = answer
    if answer is None:
        return  # an offline bundle: no registry to ask
    if not answer.ours:
        report.add(
            "record",
            Outcome.CANNOT_TELL,
            "not_our_issuer",
            "签发者不是本平台登记的机构：本平台只能核对签名，无法核对登记记录、备案范围和状态。",
            "The issuer is not one registered here: only the signature could be checked here, "
            "not the registry record, the registered scope or the status.",
        )
        return
    if answer.recorded_digest is None:
        report.add(
            "record",
            Outcome.INVALID,
            "not_in_registry",
            "登记库中没有这份证书的签发记录：证书不可信。",
            "The registry never issued this credential: not genuine.",
        )
        return
    if answer.recorded_digest != digest:
        report.add(
            "record",
            Outcome.INVALID,
            "digest_mismatch",
            "证书内容与登记库中签发的不一致：证书不可信。",
            "The credential differs from the one the registry issued under this id: not genuine.",
        )
        return
    if answer.unnumbered:
        report.add(
            "record",
            Outcome.INVALID,
            "unnumbered_certificate",
            "这份凭证没有登记库编号，不是登记库签发的职业技能等级证书：不能作为证书使用。",
            "The registry gave this credential no number: it is not a skill certificate the registry "
            "issued, and cannot stand for one.",
        )
        return
    report.add(
        "record",
        Outcome.VALID,
        "registered",
        "证书已在登记库中登记，内容与签发时一致。",
        "The registry issued this credential, exactly as presented.",
    )
    if not answer.scope_applies:
        return
    if answer.refusals:
        report.add(
            "scope",
            Outcome.INVALID,
            "outside_registered_scope",
            "发证时评价机构未备案该职业（工种）和等级，或未处于备案有效状态：证书无效。",
            "The organisation was not registered (or not active) for this occupation and level "
            f"when it issued: not valid. ({'; '.join(answer.refusals)})",
        )
        return
    report.add(
        "scope",
        Outcome.VALID,
        "within_registered_scope",
        "发证时评价机构已备案且状态有效，备案范围包含该职业（工种）和等级。",
        "The organisation was registered and active for this occupation and level when it issued.",
    )


@lru_cache(maxsize=64)
def _validator(schema_json: str) -> jsonschema.protocols.Validator:
    """A validator per schema, built (and the schema checked against its meta-schema) once:
    ``jsonschema.validate`` does both on every call, two thirds of a verification's time."""
    schema = json.loads(schema_json)
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)  # as jsonschema.validate builds it: formats annotate, not assert


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
            _validator(json.dumps(schema, sort_keys=True)).validate(credential)
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
    """Run every check on ``credential`` and return the per-check report (never raises for bad input).

    The one set of checks: ``/credentials/verify``, the QR code's page and API, the query and bulk
    look-ups and the CLI all come here, so they cannot drift.
    """
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
    try:
        digest = hashlib.sha256(canonical_json(credential)).hexdigest()
    except JcsError:
        report.add(
            "proof",
            Outcome.INVALID,
            "not_canonicalisable",
            "证书数据含有超出范围的数值，无法核验。",
            "The credential holds a number outside JSON's safe range: it cannot be verified.",
        )
        return report
    key = _check_proof(credential, digest, trust, report)
    log_report = VerificationReport()  # run first: the key check needs the time it proves
    logged_at = _check_logged(credential, digest, trust, log_report)
    if key is not None:
        _check_key(credential, key, trust, report, logged_at)
        _check_controller(credential, key, report)
    report.checks.extend(log_report.checks)
    _check_registry(credential, digest, trust, report)
    _check_validity(credential, now, report)
    _check_status(credential, trust, report)
    _check_schema(credential, trust, report)
    return report
