"""The presentation verifier: a presentation's own proof and rules, then each credential it carries
through the one credential verifier (``verifier.verify_credential``), never a second one.

Steps follow VC Data Model 2.0 §7.1 (verification of a presentation) and the VC API "verify
presentation" operation: the data model of the presentation (§4.13), its Data Integrity proof with
proof purpose ``authentication`` and, when the verifier gives them, its ``challenge`` and
``domain``; the holder, when named, is the controller of the key that signed; then every
credential, with the checks the caller asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from credential_service.crypto.data_integrity import ProofVerificationError, VerifiedProof, verify_proof
from credential_service.crypto.vcdm import (
    ENVELOPED_CREDENTIAL,
    ENVELOPED_PRESENTATION,
    is_enveloped,
    presentation_problems,
    too_deep,
)
from credential_service.verification.rules import Check, Code, Outcome, holder_id
from credential_service.verification.sources import KnownKey, TrustSource, TrustSourceUnavailable
from credential_service.verification.verifier import VerificationReport, check_binding, verify_credential

AUTHENTICATION = "authentication"  # the proof purpose of a presentation (VC DM 2.0 §4.13, DI §2.1)


@dataclass(frozen=True)
class PresentedCredential:
    credential: dict[str, Any]
    report: VerificationReport | None  # None: an enveloped credential, not verified here


@dataclass
class PresentationReport(VerificationReport):
    """The presentation's own checks, then each credential it carries with its own report."""

    credentials: list[PresentedCredential] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "verified": self.verified,
            "verdict": self.verdict.value,
            "checked": self.checked,
            "checks": [c.as_dict() for c in self.checks],
            "credentialResults": [p.report.as_dict() if p.report else None for p in self.credentials],
        }


class _UnknownHolderKey(Exception):
    pass


def _check_proof(
    presentation: dict[str, Any], trust: TrustSource, report: PresentationReport
) -> KnownKey | None:
    """The presentation's proof: signed, by a key known here, for authentication."""
    if "proof" not in presentation:
        report.add(Check.PROOF, Outcome.INVALID, Code.PRESENTATION_UNSIGNED)
        return None
    found: dict[str, KnownKey] = {}

    def public_key_for(verification_method: str) -> bytes:
        known = trust.key(verification_method)
        if known is None:
            raise _UnknownHolderKey(verification_method)
        found[verification_method] = known
        return known.public_key

    try:
        proof: VerifiedProof = verify_proof(presentation, public_key_for=public_key_for)
    except (_UnknownHolderKey, TrustSourceUnavailable):
        report.add(Check.PROOF, Outcome.CANNOT_TELL, Code.HOLDER_KEY_UNKNOWN)
        return None
    except ProofVerificationError as exc:
        report.add(Check.PROOF, Outcome.INVALID, Code.PRESENTATION_SIGNATURE_INVALID, detail=exc.message)
        return None
    if proof.proof_purpose != AUTHENTICATION:
        report.add(Check.PROOF, Outcome.INVALID, Code.NOT_FOR_AUTHENTICATION, purpose=proof.proof_purpose)
        return None
    report.proof = proof
    report.add(Check.PROOF, Outcome.VALID, Code.PRESENTATION_SIGNED)
    return found[proof.verification_method]


def _check_holder(holder: Any, key: KnownKey, report: PresentationReport) -> None:
    """VC API: the holder named in the presentation is the one whose key signed it."""
    named = holder_id(holder)
    if named == key.controller:
        report.add(Check.HOLDER, Outcome.VALID, Code.HOLDER_SIGNED, holder=named)
    else:
        report.add(Check.HOLDER, Outcome.INVALID, Code.HOLDER_MISMATCH, holder=named, signer=key.controller)


def _check_credentials(
    presented: Any,
    trust: TrustSource,
    report: PresentationReport,
    now: datetime | None,
    only: frozenset[Check] | None,
) -> None:
    """Each credential through the credential verifier; one summary line each (numbered from 1)."""
    for number, credential in enumerate(presented if isinstance(presented, list) else [presented], start=1):
        if not isinstance(credential, dict):
            continue  # the data-model check has said what is wrong with it
        if is_enveloped(credential, ENVELOPED_CREDENTIAL):
            report.credentials.append(PresentedCredential(credential, None))
            report.add(Check.CREDENTIAL, Outcome.CANNOT_TELL, Code.ENVELOPED_UNSUPPORTED)
            continue
        result = verify_credential(credential, trust, now=now, only=only)
        report.credentials.append(PresentedCredential(credential, result))
        code = {
            Outcome.VALID: Code.CREDENTIAL_VERIFIED,
            Outcome.INVALID: Code.CREDENTIAL_NOT_VERIFIED,
            Outcome.CANNOT_TELL: Code.CREDENTIAL_CANNOT_TELL,
        }[result.verdict]
        report.add(Check.CREDENTIAL, result.verdict, code, number=number)


def verify_presentation(
    presentation: Any,
    trust: TrustSource,
    *,
    challenge: str | None = None,
    domain: str | None = None,
    only: frozenset[Check] | None = None,
    now: datetime | None = None,
) -> PresentationReport:
    """Run the presentation's checks and its credentials' (``only``: the credentials' checks asked
    for; None: all). Never raises for bad input."""
    report = PresentationReport()
    if not isinstance(presentation, dict) or too_deep(presentation):
        report.add(Check.PRESENTATION, Outcome.INVALID, Code.PRESENTATION_DATA_MODEL, detail="not an object")
        return report
    problems = presentation_problems(presentation)
    if problems:
        where = "; ".join(f"{p.loc}: {p.reason}" for p in problems[:5])
        report.add(Check.PRESENTATION, Outcome.INVALID, Code.PRESENTATION_DATA_MODEL, detail=where)
    else:
        report.add(Check.PRESENTATION, Outcome.VALID, Code.PRESENTATION_WELL_FORMED)
    if is_enveloped(presentation, ENVELOPED_PRESENTATION):
        report.add(Check.PROOF, Outcome.CANNOT_TELL, Code.ENVELOPED_UNSUPPORTED)
        return report
    key = _check_proof(presentation, trust, report)
    if key is not None and report.proof is not None:
        check_binding(report, report.proof, challenge, domain)
        if "holder" in presentation:
            _check_holder(presentation["holder"], key, report)
    if "verifiableCredential" in presentation:
        _check_credentials(presentation["verifiableCredential"], trust, report, now, only)
    return report
