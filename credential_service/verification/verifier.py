"""The credential verifier (a library: used by the API, the QR paths, the pages and the CLI).

It never answers with a bare boolean: each check gives valid / invalid / cannot tell, with a plain
message in Chinese and English (``rules.MESSAGES``). A bad proof is fatal; a status list that cannot
be fetched is "cannot tell", never "invalid" (DESIGN §2.5). Steps follow VC Data Model 2.0 §7.1 and
Bitstring Status List §3.2; the transparency-log check follows RFC 9162 §2.1.3.2 and C2SP
tlog-checkpoint. The validity and status checks are public: the offline QR check runs them too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import jsonschema

from credential_service.core.clock import beijing_text, parse_xsd, utcnow
from credential_service.core.lru import BoundedLRU
from credential_service.crypto import merkle
from credential_service.crypto import status_list as bits_codec
from credential_service.crypto.checkpoint import (
    CheckpointError,
    OpenedCheckpoint,
    open_checkpoint,
    platform_did_for_origin,
)
from credential_service.crypto.data_integrity import (
    ProofVerificationError,
    VerifiedProof,
    verify_proof,
)
from credential_service.crypto.jcs import JcsError, canonical_json
from credential_service.crypto.jsonld import pinned_bytes
from credential_service.crypto.vcdm import (
    RELATED_RESOURCE,
    credential_problems,
    related_resource_problems,
    too_deep,
)
from credential_service.verification.rules import (
    STATUS_PURPOSES,
    Check,
    CheckList,
    Code,
    Outcome,
    Verdict,
    Wording,
    proof_binding,
    verdict_of,
)
from credential_service.verification.sources import (
    KnownKey,
    LogEvidence,
    RegistryAnswer,
    TrustSource,
    TrustSourceUnavailable,
)


@dataclass
class VerificationReport(CheckList):
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

    @property
    def checked(self) -> list[str]:
        """The checks that ran, in the order they first reported (``options.checks`` narrows them)."""
        return list(dict.fromkeys(c.check.value for c in self.checks))

    def as_dict(self) -> dict[str, Any]:
        return {
            "verified": self.verified,
            "verdict": self.verdict.value,
            "conclusion": self.conclusion.value,
            "checked": self.checked,
            "checks": [c.as_dict() for c in self.checks],
        }


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _issuer_id(credential: dict[str, Any]) -> Any:
    issuer = credential.get("issuer")
    return issuer.get("id") if isinstance(issuer, dict) else issuer


def _parse_or_none(text: Any) -> datetime | None:
    try:
        return parse_xsd(text)
    except ValueError:
        return None


class _UnknownKey(Exception):
    pass


# Proofs already verified, by credential digest, with the keys they verified against: the same bytes
# under the same keys verify the same, so RDFC runs once per certificate per process. Nothing a key
# event changes is held: the keys' bytes are compared, their lifecycle read afresh, on every use.
_PROOFS: BoundedLRU[str, tuple[VerifiedProof, tuple[tuple[str, bytes], ...]]] = BoundedLRU(4096)


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
            _PROOFS.put(digest, (report.proof, tuple((m, k.public_key) for m, k in found.items())))
    except _UnknownKey:
        report.add(Check.PROOF, Outcome.INVALID, Code.UNKNOWN_KEY)
        return None
    except TrustSourceUnavailable:
        report.add(Check.PROOF, Outcome.CANNOT_TELL, Code.KEY_UNREACHABLE)
        return None
    except ProofVerificationError as exc:
        report.add(Check.PROOF, Outcome.INVALID, exc.reason, detail=exc.message)
        return None
    report.add(Check.PROOF, Outcome.VALID, Code.SIGNATURE_VALID)
    return found.get(report.proof.verification_method)


_KEY_FAILURES = {
    "compromised": Code.KEY_COMPROMISED,
    "retired": Code.KEY_RETIRED,
    "before_created": Code.KEY_BEFORE_CREATED,
}


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
        report.add(Check.ISSUER_KEY, Outcome.CANNOT_TELL, Code.NO_SIGNING_TIME)
        return
    compromised = key.lifecycle.compromised_since
    if compromised is not None and logged_at is None and recorded is None and signed_at < compromised:
        # Whoever holds a stolen key can write any date into the proof: only the log proves when.
        report.add(Check.ISSUER_KEY, Outcome.CANNOT_TELL, Code.COMPROMISE_TIME_UNPROVEN)
        return
    ok, reason = key.lifecycle.valid_at(signed_at)
    if ok:
        report.add(Check.ISSUER_KEY, Outcome.VALID, Code.KEY_VALID_AT_ISSUANCE)
    else:
        report.add(Check.ISSUER_KEY, Outcome.INVALID, _KEY_FAILURES[reason])


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


def _log_evidence(credential_id: str, trust: TrustSource, report: VerificationReport) -> LogEvidence | None:
    """The leaf, its audit path and its checkpoint, when the source has all three to show."""
    try:
        evidence = trust.log_evidence(credential_id)
    except TrustSourceUnavailable:
        report.add(Check.LOGGED, Outcome.CANNOT_TELL, Code.LOG_UNREACHABLE)
        return None
    if evidence is None:
        return None
    if evidence.leaf_index is None:
        report.add(Check.LOGGED, Outcome.INVALID, Code.NOT_IN_LOG)
        return None
    if evidence.checkpoint is None:
        report.add(Check.LOGGED, Outcome.CANNOT_TELL, Code.AWAITING_CHECKPOINT)
        return None
    return evidence


def _open_platform_checkpoint(
    credential: dict[str, Any], evidence: LogEvidence, trust: TrustSource, report: VerificationReport
) -> OpenedCheckpoint | None:
    """The checkpoint, signed by the platform whose log it is, with a key valid at its time."""
    note = evidence.checkpoint or ""
    try:
        platform = platform_did_for_origin(note.split("\n", 1)[0])
    except CheckpointError:
        platform = None
    issuer = str(_issuer_id(credential))
    if platform is None or (issuer != platform and not issuer.startswith(platform + ":")):
        report.add(Check.LOGGED, Outcome.INVALID, Code.LOG_OF_ANOTHER_SERVICE)
        return None
    key = trust.key(evidence.checkpoint_key) if evidence.checkpoint_key else None
    if key is None or key.controller != platform:
        report.add(Check.LOGGED, Outcome.CANNOT_TELL, Code.CHECKPOINT_KEY_UNKNOWN)
        return None
    try:
        opened = open_checkpoint(note, {evidence.checkpoint_key or "": key.public_key})
    except CheckpointError as exc:
        report.add(Check.LOGGED, Outcome.INVALID, Code.CHECKPOINT_INVALID, detail=f"({exc})")
        return None
    if not key.lifecycle.valid_at(opened.timestamp)[0]:
        report.add(Check.LOGGED, Outcome.INVALID, Code.CHECKPOINT_KEY_INVALID)
        return None
    return opened


def _check_logged(
    credential: dict[str, Any], digest: str, trust: TrustSource, report: VerificationReport
) -> datetime | None:
    """The credential is in the transparency log, under a checkpoint the platform signed.

    Returns the logged-at time the log proves (None when it proves nothing).
    """
    credential_id = credential.get("id")
    evidence = _log_evidence(credential_id, trust, report) if isinstance(credential_id, str) else None
    if evidence is None or evidence.leaf_index is None:
        return None
    # The leaf records this very credential: its id and the digest of exactly these bytes.
    logged_at = _logged_leaf(credential, digest, evidence)
    if logged_at is None:
        report.add(Check.LOGGED, Outcome.INVALID, Code.LOG_MISMATCH)
        return None
    opened = _open_platform_checkpoint(credential, evidence, trust, report)
    if opened is None:
        return None
    # The audit path leads from the leaf to the checkpoint's root (RFC 9162 §2.1.3.2).
    try:
        if opened.checkpoint.size != evidence.tree_size:
            raise merkle.ProofError("the proof is for another tree size than the checkpoint")
        leaf = merkle.leaf_hash(evidence.leaf_data)
        root = opened.checkpoint.root_hash
        merkle.verify_inclusion(evidence.leaf_index, evidence.tree_size, leaf, evidence.audit_path, root)
    except merkle.ProofError as exc:
        report.add(Check.LOGGED, Outcome.INVALID, Code.INCLUSION_PROOF_INVALID, detail=f"({exc})")
        return None
    report.add(
        Check.LOGGED,
        Outcome.VALID,
        Code.LOGGED,
        logged_at=beijing_text(logged_at, minutes=True),
        signed_at=beijing_text(opened.timestamp, minutes=True),
        index=evidence.leaf_index,  # the log's own numbering (leafIndex, from 0), in both languages
    )
    return logged_at


def _check_controller(credential: dict[str, Any], key: KnownKey, report: VerificationReport) -> None:
    if _issuer_id(credential) == key.controller:
        report.add(Check.ISSUER, Outcome.VALID, Code.ISSUER_CONTROLS_KEY)
    else:
        report.add(Check.ISSUER, Outcome.INVALID, Code.ISSUER_MISMATCH)


def check_validity(
    report: CheckList, now: datetime, valid_from: Any, valid_until: Any, start: datetime | None = None
) -> None:
    """``validFrom`` ≤ now ≤ ``validUntil`` (VC 2.0 §4.9); ``start``: the first instant ``valid_from``
    stands for, when it is not a dateTimeStamp itself (the QR token carries a Beijing date)."""
    if start is None and valid_from is not None:
        start = _parse_or_none(valid_from)
    end = _parse_or_none(valid_until) if valid_until is not None else None
    if start is not None and now < start:
        report.add(
            Check.VALIDITY_PERIOD,
            Outcome.INVALID,
            Code.NOT_YET_VALID,
            since=beijing_text(start, minutes=True),
        )
    elif end is not None and now > end:
        report.add(
            Check.VALIDITY_PERIOD, Outcome.INVALID, Code.EXPIRED, until=beijing_text(end, minutes=True)
        )
    else:
        report.add(Check.VALIDITY_PERIOD, Outcome.VALID, Code.WITHIN_VALIDITY_PERIOD)


def check_status_entry(
    report: CheckList,
    trust: TrustSource,
    entry: dict[str, Any],
    issuer: Any,
    wording: Wording = Wording.CREDENTIAL,
) -> None:
    """One ``BitstringStatusListEntry``: its bit, from a list of the credential's issuer for that
    purpose; a list that cannot be had is "cannot tell", one that is not the issuer's is invalid."""
    purpose = str(entry.get("statusPurpose"))
    if purpose not in STATUS_PURPOSES:
        report.add(Check.STATUS, Outcome.CANNOT_TELL, Code.STATUS_PURPOSE_UNSUPPORTED, purpose=purpose)
        return
    check, flagged_code, clear_code = STATUS_PURPOSES[purpose]
    try:
        index = int(str(entry.get("statusListIndex")))
        listing = trust.status_flag(str(entry.get("statusListCredential")), index)
        if purpose not in listing.purposes:
            raise bits_codec.StatusListError("status purpose does not match the list")
        if listing.issuer != issuer:
            raise bits_codec.StatusListError("status list issued by someone else")
    except TrustSourceUnavailable:
        report.add(check, Outcome.CANNOT_TELL, Code.STATUS_UNREACHABLE, wording)
        return
    except (ValueError, bits_codec.StatusListError) as exc:
        report.add(check, Outcome.INVALID, Code.STATUS_LIST_INVALID, wording, detail=exc)
        return
    if listing.flagged:
        report.add(check, Outcome.INVALID, flagged_code, wording)
    else:
        report.add(check, Outcome.VALID, clear_code, wording)


def _status_entries(credential: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for entry in _as_list(credential.get("credentialStatus")):
        if isinstance(entry, dict) and entry.get("type") == "BitstringStatusListEntry":
            yield entry


def _check_status(credential: dict[str, Any], trust: TrustSource, report: VerificationReport) -> None:
    entries = list(_status_entries(credential))
    if not entries:
        report.add(Check.STATUS, Outcome.VALID, Code.NO_STATUS_ENTRY)
    for entry in entries:
        check_status_entry(report, trust, entry, _issuer_id(credential))


def _registry_record(answer: RegistryAnswer, digest: str) -> Code:
    """The record check's code: what the registry holds under the credential's id."""
    if not answer.ours:
        return Code.NOT_OUR_ISSUER
    if answer.recorded_digest is None:
        return Code.NOT_IN_REGISTRY
    if answer.recorded_digest != digest:
        return Code.DIGEST_MISMATCH
    return Code.UNNUMBERED_CERTIFICATE if answer.unnumbered else Code.REGISTERED


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
    code = _registry_record(answer, digest)
    if code is not Code.REGISTERED:
        outcome = Outcome.CANNOT_TELL if code is Code.NOT_OUR_ISSUER else Outcome.INVALID
        report.add(Check.RECORD, outcome, code)
        return
    report.add(Check.RECORD, Outcome.VALID, code)
    if not answer.scope_applies:
        return
    if answer.refusals:
        refusals = "; ".join(answer.refusals)
        report.add(Check.SCOPE, Outcome.INVALID, Code.OUTSIDE_REGISTERED_SCOPE, refusals=refusals)
    else:
        report.add(Check.SCOPE, Outcome.VALID, Code.WITHIN_REGISTERED_SCOPE)


@lru_cache(maxsize=64)
def _validator(schema_json: str) -> jsonschema.protocols.Validator:
    """A validator per schema, built (and the schema checked against its meta-schema) once:
    ``jsonschema.validate`` does both on every call, two thirds of a verification's time."""
    schema = json.loads(schema_json)
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)  # as jsonschema.validate builds it: formats annotate, not assert


def _check_schema(
    credential: dict[str, Any], trust: TrustSource, report: VerificationReport, *, json_schema: bool = True
) -> None:
    """The data model (VC 2.0 §4), always: a failure is reported whichever checks were asked for
    (§7.1: a verifier reports a non-conforming document); then the declared JSON Schemas."""
    problems = [p for p in credential_problems(credential) if not p.loc.startswith(RELATED_RESOURCE)]
    if problems:
        where = "; ".join(f"{p.loc}: {p.reason}" for p in problems[:5])
        report.add(Check.SCHEMA, Outcome.INVALID, Code.DATA_MODEL, detail=where)
        return
    if not json_schema:
        return
    for declared in (s for s in _as_list(credential.get("credentialSchema")) if isinstance(s, dict)):
        schema = trust.schema(str(declared.get("id")))
        if schema is None or declared.get("type") != "JsonSchema":
            report.add(Check.SCHEMA, Outcome.CANNOT_TELL, Code.SCHEMA_UNKNOWN, schema=declared.get("id"))
            return
        try:
            _validator(json.dumps(schema, sort_keys=True)).validate(credential)
        except jsonschema.ValidationError as exc:
            path = ".".join(str(p) for p in exc.absolute_path) or "credential"
            report.add(Check.SCHEMA, Outcome.INVALID, Code.SCHEMA_MISMATCH, detail=f"{path}: {exc.message}")
            return
    report.add(Check.SCHEMA, Outcome.VALID, Code.SCHEMA_VALID)


def _check_related_resources(related: Any, report: VerificationReport) -> None:
    """VC 2.0 §5.3: well formed, and the digest of each resource held here (a pinned context) is
    the digest of its bytes. Nothing is fetched: other resources are checked by whoever uses them."""
    malformed = related_resource_problems(related, held=lambda _url: None)
    if malformed:
        where = "; ".join(f"{p.loc}: {p.reason}" for p in malformed[:5])
        report.add(Check.RELATED_RESOURCE, Outcome.INVALID, Code.RELATED_RESOURCE_MALFORMED, detail=where)
        return
    mismatches = related_resource_problems(related)
    if mismatches:
        first = mismatches[0]
        index = int(first.loc.partition("[")[2].partition("]")[0] or 0)
        resource = (related if isinstance(related, list) else [related])[index]["id"]
        report.add(
            Check.RELATED_RESOURCE,
            Outcome.INVALID,
            Code.RELATED_RESOURCE_MISMATCH,
            resource=resource,
            detail=first.loc,
        )
        return
    items = related if isinstance(related, list) else [related]
    held = sum(1 for item in items if pinned_bytes(item["id"]) is not None)
    report.add(Check.RELATED_RESOURCE, Outcome.VALID, Code.RELATED_RESOURCES_MATCH, held=held)


def check_binding(report: CheckList, proof: VerifiedProof, challenge: str | None, domain: str | None) -> None:
    """The proof's ``challenge`` and ``domain`` are those the verifier gave (VC API verify options;
    Data Integrity §2.1), each checked only when given."""
    for check, expected, claimed, codes in (
        (Check.CHALLENGE, challenge, proof.challenge, (Code.CHALLENGE_MATCHES, Code.CHALLENGE_MISMATCH)),
        (Check.DOMAIN, domain, proof.domain, (Code.DOMAIN_MATCHES, Code.DOMAIN_MISMATCH)),
    ):
        matches = proof_binding(expected, claimed)
        if matches is not None:
            outcome, code = (Outcome.VALID, codes[0]) if matches else (Outcome.INVALID, codes[1])
            report.add(check, outcome, code)


def _digest(credential: Any, report: VerificationReport) -> str | None:
    """The SHA-256 of the credential's JCS form, or None (and why) when it is no credential."""
    if not isinstance(credential, dict) or too_deep(credential):
        report.add(Check.PROOF, Outcome.INVALID, Code.NOT_A_CREDENTIAL)
        return None
    try:
        return hashlib.sha256(canonical_json(credential)).hexdigest()
    except JcsError:
        report.add(Check.PROOF, Outcome.INVALID, Code.NOT_CANONICALISABLE)
        return None


def verify_credential(
    credential: Any,
    trust: TrustSource,
    *,
    now: datetime | None = None,
    only: frozenset[Check] | None = None,
    challenge: str | None = None,
    domain: str | None = None,
) -> VerificationReport:
    """Run the checks on ``credential`` and return the per-check report (never raises for bad input).

    The one set of checks: ``/credentials/verify``, each credential of ``/presentations/verify``,
    the QR code's page and API, the query and bulk look-ups and the CLI all come here, so they
    cannot drift. ``only``: the checks asked for (VC API ``options.checks``; None: every one) —
    a check another needs runs too, and the proof and the data model are always checked (VC DM
    2.0 §7.1; decision 033). ``challenge`` and ``domain``: compared with the proof's when given.
    """
    report = VerificationReport()
    digest = _digest(credential, report)
    if digest is None:
        return report

    def runs(*checks: Check) -> bool:
        return only is None or not only.isdisjoint(checks)

    key = _check_proof(credential, digest, trust, report)  # always: no selection skips the proof
    log_report = VerificationReport()  # run first: the key check needs the time it proves
    logged_at = None
    if runs(Check.LOGGED, Check.ISSUER_KEY):
        logged_at = _check_logged(credential, digest, trust, log_report)
    if key is not None and runs(Check.ISSUER_KEY):
        _check_key(credential, key, trust, report, logged_at)
    if key is not None and runs(Check.ISSUER):
        _check_controller(credential, key, report)
    if report.proof is not None:
        check_binding(report, report.proof, challenge, domain)
    report.checks.extend(log_report.checks)
    if runs(Check.RECORD, Check.SCOPE):
        _check_registry(credential, digest, trust, report)
    if runs(Check.VALIDITY_PERIOD):
        check_validity(report, now or utcnow(), credential.get("validFrom"), credential.get("validUntil"))
    if runs(Check.STATUS, Check.STATUS_REVOCATION, Check.STATUS_SUSPENSION):
        _check_status(credential, trust, report)
    _check_schema(credential, trust, report, json_schema=runs(Check.SCHEMA))
    if RELATED_RESOURCE in credential:  # part of the data model: checked whatever was asked
        _check_related_resources(credential[RELATED_RESOURCE], report)
    return report
