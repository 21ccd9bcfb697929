"""Verify a scanned QR token: the employer's question "is this certificate genuine and still valid?".

Order matters. The token's signature is checked first, with keys held in memory, so a forged,
altered or guessed token costs no database read. Only then is the registry asked, in a read-only
transaction, for the certificate recorded under that number, which goes through the one verifier
(``verifier.verify_credential``: its signature, the key's validity when it signed, the registry's
record and scope, the validity period and the live status bits, never a cached list). What that
found for a genuine certificate is kept per process (``Settled``): a token scanned again costs one
statement, the trust generation and the status bits read live (decision 040). Offline, the token is
checked against a trust bundle with the verifier's own validity and status checks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from credential_service.certificates import qr_codes
from credential_service.certificates import service as certificates
from credential_service.certificates.fields import CertificateFields, certificate_fields
from credential_service.certificates.models import IssuedCredential
from credential_service.certificates.status import lists as status_lists
from credential_service.certificates.status.rules import CertificateState
from credential_service.certificates.status.service import StatusView, status_view
from credential_service.core.clock import china_day_bounds, utcnow
from credential_service.core.db import OpenConnection, OpenSession
from credential_service.core.lru import BoundedLRU
from credential_service.crypto.key_lifecycle import KeyLifecycle
from credential_service.crypto.qr_token import SignedToken, TokenError, read_token
from credential_service.crypto.status_list import StatusPurpose
from credential_service.identity.rules import mask_name
from credential_service.platform import generations
from credential_service.verification.keys import DirectoryKey, KeyDirectory
from credential_service.verification.rules import (
    Check,
    CheckList,
    CheckResult,
    Code,
    Outcome,
    Verdict,
    Wording,
    flagged_state,
    verdict_of,
)
from credential_service.verification.sources import OfflineTrust, TrustSource
from credential_service.verification.trust import DatabaseTrust, VerificationSettings
from credential_service.verification.verifier import (
    VerificationReport,
    check_status_entry,
    check_validity,
    verify_credential,
)


@dataclass(frozen=True)
class PublicCertificate:
    """What a stranger holding the certificate may see: the name masked, no ID number."""

    certificate_number: str
    masked_name: str
    occupation_code: str
    occupation_name: str
    subtype: str
    level_zh: str
    level_en: str
    issuer_name: str
    issued_on: date

    @classmethod
    def of(cls, fields: CertificateFields) -> PublicCertificate:
        return cls(
            certificate_number=fields.certificate_number,
            masked_name=mask_name(fields.holder_name),
            occupation_code=fields.occupation_code,
            occupation_name=fields.occupation_name,
            subtype=fields.subtype,
            level_zh=fields.level.title_zh,
            level_en=fields.level.title_en,
            issuer_name=fields.issuer_name,
            issued_on=fields.issued_on,
        )

    def as_dict(self) -> dict[str, str]:
        return {
            "certificateNumber": self.certificate_number,
            "name": self.masked_name,
            "occupationCode": self.occupation_code,
            "occupationName": self.occupation_name,
            "subtype": self.subtype,
            "level": self.level_zh,
            "levelEn": self.level_en,
            "issuer": self.issuer_name,
            "issuedOn": self.issued_on.isoformat(),
        }


@dataclass
class TokenVerification(CheckList):
    certificate: PublicCertificate | None = None
    status: StatusView | None = None
    credential_id: str | None = None  # for the verification log (never shown)

    @property
    def verdict(self) -> Verdict:
        return verdict_of(self.checks, self.status.state if self.status else None)

    def as_dict(self) -> dict[str, Any]:
        status = self.status
        return {
            "verdict": self.verdict.value,
            "certificate": self.certificate.as_dict() if self.certificate else None,
            "status": None
            if status is None
            else {
                "state": status.state,
                "reason": status.reason_code,
                "changedAt": status.changed_at.isoformat() if status.changed_at else None,
                "supersededBy": status.superseded_by,
            },
            "checks": [c.as_dict() for c in self.checks],
        }


def _signed_by(token: SignedToken, directory: KeyDirectory) -> DirectoryKey | None:
    for key in directory.candidates(token.claims.key_fingerprint):
        if token.signature_valid(key.public_key):
            return key
    return None


def check_token(
    token_text: str, directory: KeyDirectory, result: TokenVerification
) -> tuple[SignedToken, DirectoryKey] | None:
    """The signature alone: no database. Returns the token and the key of ours that signed it."""
    try:
        token = read_token(token_text)
    except TokenError:
        token = None
    key = _signed_by(token, directory) if token is not None else None
    if token is None or key is None:
        result.add(Check.TOKEN, Outcome.INVALID, Code.TOKEN_INVALID)
        return None
    result.add(Check.TOKEN, Outcome.VALID, Code.TOKEN_SIGNED)
    return token, key


@dataclass(frozen=True)
class Settled:
    """A genuine token's verification that holds as long as the trust generation it was worked out
    at stands and the certificate's status bits stay clear: its proof, its log inclusion at a
    checkpoint, its scope on the issue date, its printed fields. The validity period is checked
    again at each request (decision 040)."""

    generation: int
    checks: tuple[CheckResult, ...]
    certificate: PublicCertificate
    credential_id: str
    status_bits: tuple[tuple[str, int], ...]  # (list id, index) of each bit that must stay clear
    valid_from: Any
    valid_until: Any

    def verification(self, now: datetime) -> TokenVerification:
        validity = CheckList()
        check_validity(validity, now, self.valid_from, self.valid_until)
        checks = [validity.checks[0] if c.check in _LIVE_CHECKS else c for c in self.checks]
        return TokenVerification(checks, self.certificate, _VALID, self.credential_id)


class SettledTokens:
    """Per process, bounded: genuine tokens' settled verifications by the token's text, and the
    one statement that tells whether one still stands (run without the ORM: half the cost)."""

    def __init__(self, size: int, open_connection: OpenConnection) -> None:
        self._kept: BoundedLRU[str, Settled] = BoundedLRU(size)
        self._open_connection = open_connection

    def __len__(self) -> int:
        return len(self._kept)

    def answer(self, token_text: str, now: datetime) -> TokenVerification | None:
        """The verification of a token kept before, if the trust generation it was worked out at
        stands and every status bit of the certificate is still clear (read live, now)."""
        known = self._kept.get(token_text)
        if known is None:
            return None
        try:
            with self._open_connection() as connection:
                read = connection.execute(
                    _settled_read(len(known.status_bits)), status_lists.bit_parameters(known.status_bits)
                ).one()
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            return None  # a connection the server dropped (a restart, a failover): the long way
        bits = zip(read[1:], known.status_bits, strict=True)
        if generations.value_of(read[0]) == known.generation and all(
            status_lists.bit_of(byte, index) is False for byte, (_, index) in bits
        ):
            return known.verification(now)
        self._kept.discard(token_text)  # worked out again by the caller, and kept again if it may be
        return None

    def keep(self, token_text: str, settled: Settled) -> None:
        self._kept.put(token_text, settled)


def verify_token(
    token_text: str,
    directory: KeyDirectory,
    open_session: OpenSession,
    *,
    settings: VerificationSettings,
    now: datetime | None = None,
    settled: SettledTokens | None = None,
) -> TokenVerification:
    """The verdict on a scanned token. With ``settled``, a token verified before costs one
    statement: the trust generation and the certificate's status bits, read live, so a revocation
    or a key event committed by any process shows on the next request."""
    now = now or utcnow()
    answer = settled.answer(token_text, now) if settled is not None else None
    if answer is not None:
        return answer
    result = TokenVerification()
    checked = check_token(token_text, directory, result)
    if checked is None:
        return result
    token, _key = checked
    with open_session() as session:
        generation = generations.current(session)  # read first: what follows is at least as new
        recorded = _check_recorded(session, token, result, now, settings)
    if settled is not None and recorded is not None and _settles(result):
        settled.keep(token_text, _settled(generation, result, *recorded))
    return result


@lru_cache(maxsize=4)
def _settled_read(bits: int) -> Select[Any]:
    """The statement of a settled scan, built once per number of status bits (building it per
    request cost more than running it)."""
    return select(generations.column(), *(status_lists.bit_column(n) for n in range(bits)))


_LIVE_CHECKS = frozenset({Check.VALIDITY_PERIOD})  # worked out again at each request


def _settles(result: TokenVerification) -> bool:
    """Worth keeping: the registry's copy was verified, its status is clear, and nothing is
    uncertain but perhaps the validity period (e.g. awaiting a checkpoint is asked again)."""
    return (
        result.certificate is not None
        and result.status is _VALID
        and all(c.outcome is not Outcome.CANNOT_TELL for c in result.checks if c.check not in _LIVE_CHECKS)
    )


def _settled(
    generation: int, result: TokenVerification, record: IssuedCredential, credential: dict[str, Any]
) -> Settled:
    assert result.certificate is not None and result.credential_id is not None
    bits = (
        (record.revocation_list_id, record.revocation_index),
        (record.suspension_list_id, record.suspension_index),
    )
    return Settled(
        generation=generation,
        checks=tuple(result.checks),
        certificate=result.certificate,
        credential_id=result.credential_id,
        status_bits=tuple((i, n) for i, n in bits if i is not None and n is not None),
        valid_from=credential.get("validFrom"),
        valid_until=credential.get("validUntil"),
    )


def _check_recorded(
    session: Session,
    token: SignedToken,
    result: TokenVerification,
    now: datetime,
    settings: VerificationSettings,
) -> tuple[IssuedCredential, dict[str, Any]] | None:
    """The registry's record of the token's certificate, checked; returns it and the credential
    when the verifier ran on it."""
    found = qr_codes.find_with_token(session, token.claims.certificate_number)
    if found is None or found[1] != token.text:
        result.add(Check.RECORD, Outcome.INVALID, Code.NOT_IN_REGISTRY, Wording.SCANNED)
        return None
    record = found[0]
    if record.digest != token.claims.credential_digest:
        result.add(Check.RECORD, Outcome.INVALID, Code.DIGEST_MISMATCH, Wording.SCANNED)
        return None
    credential = _check_certificate(session, record, result, now=now, settings=settings)
    return None if credential is None else (record, credential)


def verify_record(
    session: Session, record: IssuedCredential, *, settings: VerificationSettings, now: datetime | None = None
) -> TokenVerification:
    """The registry's checks of a certificate found by number (the query and bulk look-ups)."""
    result = TokenVerification()
    _check_certificate(session, record, result, now=now or utcnow(), settings=settings)
    return result


def check_copy(
    credential: dict[str, Any],
    recorded_digest: str,
    trust: TrustSource,
    result: TokenVerification,
    now: datetime,
) -> VerificationReport | None:
    """The registry's copy of a certificate through the one verifier that ``/credentials/verify``
    runs (decision 022); None when the copy is not what the registry recorded signing."""
    if certificates.credential_digest(credential) != recorded_digest:
        result.add(Check.RECORD, Outcome.CANNOT_TELL, Code.RECORD_DAMAGED)
        return None
    report = verify_credential(credential, trust, now=now)
    result.checks.extend(report.checks)
    return report


def _check_certificate(
    session: Session,
    record: IssuedCredential,
    result: TokenVerification,
    *,
    now: datetime,
    settings: VerificationSettings,
) -> dict[str, Any] | None:
    """Returns the registry's copy when the verifier ran on it."""
    credential: dict[str, Any] = json.loads(record.credential_json)
    report = check_copy(credential, record.digest, DatabaseTrust(session, settings), result, now)
    if report is None:
        return None
    result.credential_id = record.credential_id
    result.certificate = PublicCertificate.of(certificate_fields(credential))
    state = report.registry.state if report.registry else CertificateState.VALID
    # The registry explains a flagged certificate: when, why, and the corrected one's number.
    result.status = status_view(session, record) if state != CertificateState.VALID else _VALID
    return credential


_VALID = StatusView(state=CertificateState.VALID, reason_code=None, changed_at=None, superseded_by=None)


def verify_token_offline(
    token_text: str, bundle: OfflineTrust, *, now: datetime | None = None
) -> TokenVerification:
    """Check a token with a downloaded trust bundle only: the signature, the key's lifecycle, the
    validity period from the issue date and the bundle's signed status lists (the verifier's own
    checks). What needs the registry (the certificate's contents) is "cannot tell", and the status
    is as of the bundle's download."""
    result = TokenVerification()
    known = bundle.known_keys()
    directory = KeyDirectory(
        lambda: (0, [DirectoryKey(m, k.controller, k.public_key) for m, k in known.items()])
    )
    checked = check_token(token_text, directory, result)
    if checked is None:
        return result
    token, key = checked
    claims = token.claims
    _check_key_on_day(known[key.verification_method].lifecycle, claims.issued_on, result)
    result.add(
        Check.RECORD,
        Outcome.CANNOT_TELL,
        Code.OFFLINE,
        number=claims.certificate_number,
        issued_on=claims.issued_on,
    )
    start, _ = china_day_bounds(claims.issued_on)
    check_validity(result, now or utcnow(), claims.issued_on.isoformat(), None, start=start)
    for purpose, ref in (
        (StatusPurpose.REVOCATION, claims.revocation),
        (StatusPurpose.SUSPENSION, claims.suspension),
    ):
        if ref is not None:
            entry = {
                "statusPurpose": purpose,
                "statusListIndex": ref.index,
                "statusListCredential": bundle.status_list_url(ref.list_id),
            }
            check_status_entry(result, bundle, entry, key.controller, Wording.OFFLINE)
    state = flagged_state(result.checks)
    if state != CertificateState.VALID:
        result.status = StatusView(state=state, reason_code=None, changed_at=None, superseded_by=None)
    return result


def _check_key_on_day(lifecycle: KeyLifecycle, day: date, result: TokenVerification) -> None:
    """The token carries a date, not a time: a key that changed state that very day cannot tell."""
    start, end = china_day_bounds(day)
    stops = [t for t in (lifecycle.retired, lifecycle.compromised_since) if t is not None]
    stopped = min(stops) if stops else None
    if lifecycle.created >= end or (stopped is not None and stopped <= start):
        result.add(Check.ISSUER_KEY, Outcome.INVALID, Code.KEY_INVALID_AT_ISSUANCE)
    elif stopped is not None and stopped < end:
        result.add(Check.ISSUER_KEY, Outcome.CANNOT_TELL, Code.KEY_CHANGED_THAT_DAY)
    else:
        result.add(Check.ISSUER_KEY, Outcome.VALID, Code.KEY_VALID_AT_ISSUANCE, Wording.OFFLINE)
