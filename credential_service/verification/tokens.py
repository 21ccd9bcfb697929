"""Verify a scanned QR token: the employer's question "is this certificate genuine and still valid?".

Order matters. The token's signature is checked first, with keys held in memory, so a forged,
altered or guessed token costs no database read. Only then is the registry asked, in a read-only
transaction: the certificate recorded under that number, the credential's own signature, the key's
validity when it signed, the organisation's registered scope on the issue date, and the live
status bits (never a cached list: a revocation shows at once).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from credential_service.certificates import qr_codes
from credential_service.certificates import service as certificates
from credential_service.certificates.fields import CertificateFields, certificate_fields
from credential_service.certificates.models import IssuedCredential
from credential_service.certificates.status.rules import CertificateState
from credential_service.certificates.status.service import StatusView, status_view
from credential_service.core.clock import china_day_bounds, utcnow
from credential_service.core.db import OpenSession
from credential_service.crypto.qr_token import SignedToken, TokenError, read_token
from credential_service.crypto.status_list import StatusListError
from credential_service.identity.rules import mask_name
from credential_service.issuers.rules import KeyLifecycle
from credential_service.verification.keys import DirectoryKey, KeyDirectory
from credential_service.verification.trust import BundleTrust, DatabaseTrust
from credential_service.verification.verifier import (
    CheckResult,
    Outcome,
    TrustSourceUnavailable,
    Verdict,
    verdict_of,
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
class TokenVerification:
    checks: list[CheckResult] = field(default_factory=list)
    certificate: PublicCertificate | None = None
    status: StatusView | None = None
    credential_id: str | None = None  # for the verification log (never shown)

    def add(self, check: str, outcome: Outcome, code: str, zh: str, en: str) -> None:
        self.checks.append(CheckResult(check, outcome, code, zh, en))

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
        result.add(
            "token",
            Outcome.INVALID,
            "token_invalid",
            "二维码不是本平台签发的，或已被改动：证书不可信。",
            "This QR code was not issued by this service or has been altered: not genuine.",
        )
        return None
    result.add(
        "token",
        Outcome.VALID,
        "token_signed",
        "二维码由签发机构的密钥签名，未被改动。",
        "The QR code is signed by the issuer's key and unaltered.",
    )
    return token, key


def verify_token(
    token_text: str,
    directory: KeyDirectory,
    open_session: OpenSession,
    *,
    public_base_url: str,
    now: datetime | None = None,
) -> TokenVerification:
    result = TokenVerification()
    checked = check_token(token_text, directory, result)
    if checked is None:
        return result
    token, _key = checked
    with open_session() as session:
        _check_recorded(session, token, result, now or utcnow(), public_base_url)
    return result


def _record_mismatch(result: TokenVerification, code: str, zh: str, en: str) -> None:
    result.add("record", Outcome.INVALID, code, zh, en)


def _check_recorded(
    session: Session, token: SignedToken, result: TokenVerification, now: datetime, public_base_url: str
) -> None:
    found = qr_codes.find_with_token(session, token.claims.certificate_number)
    if found is None or found[1] != token.text:
        _record_mismatch(
            result,
            "not_in_registry",
            "登记库中没有与此二维码对应的证书：证书不可信。",
            "The registry holds no certificate for this QR code: not genuine.",
        )
        return
    record = found[0]
    if record.digest != token.claims.credential_digest:
        _record_mismatch(
            result,
            "digest_mismatch",
            "二维码与登记的证书内容不一致：证书不可信。",
            "The QR code does not match the registered certificate: not genuine.",
        )
        return
    _check_certificate(session, record, result, now=now, public_base_url=public_base_url)


def verify_record(
    session: Session, record: IssuedCredential, *, public_base_url: str, now: datetime | None = None
) -> TokenVerification:
    """The registry's checks of a certificate found by number (the query and bulk look-ups)."""
    result = TokenVerification()
    _check_certificate(session, record, result, now=now or utcnow(), public_base_url=public_base_url)
    return result


def _check_certificate(
    session: Session,
    record: IssuedCredential,
    result: TokenVerification,
    *,
    now: datetime,
    public_base_url: str,
) -> None:
    """The registry's copy through the one verifier that ``/credentials/verify`` runs (decision 022)."""
    credential = json.loads(record.credential_json)
    if certificates.credential_digest(credential) != record.digest:
        result.add(
            "record",
            Outcome.CANNOT_TELL,
            "record_damaged",
            "登记库中的证书记录异常，请联系发证机构核实。",
            "The registry's copy of this certificate is damaged; ask the issuer.",
        )
        return
    result.credential_id = record.credential_id
    result.certificate = PublicCertificate.of(certificate_fields(credential))
    report = verify_credential(credential, DatabaseTrust(session, public_base_url), now=now)
    result.checks.extend(report.checks)
    state = report.registry.state if report.registry else "valid"
    # The registry explains a flagged certificate: when, why, and the corrected one's number.
    result.status = status_view(session, record) if state != "valid" else _VALID


_VALID = StatusView(state="valid", reason_code=None, changed_at=None, superseded_by=None)


_OFFLINE_STATE_WORDS = {
    "revoked": ("证书已被撤销", "The certificate has been revoked"),
    "suspended": ("证书已被暂停使用", "The certificate is suspended"),
}


def verify_token_offline(token_text: str, bundle: BundleTrust) -> TokenVerification:
    """Check a token with a downloaded trust bundle only: the signature, the key's lifecycle and the
    bundle's signed status lists. What needs the registry (the certificate's contents) is "cannot
    tell", and the status is as of the bundle's download."""
    result = TokenVerification()
    directory = KeyDirectory(
        lambda: [DirectoryKey(m, k.controller, k.public_key) for m, k in bundle.known_keys().items()]
    )
    checked = check_token(token_text, directory, result)
    if checked is None:
        return result
    token, key = checked
    known = bundle.known_keys()[key.verification_method]
    _check_key_on_day(known.lifecycle, token.claims.issued_on, result)
    result.add(
        "record",
        Outcome.CANNOT_TELL,
        "offline",
        f"离线核验：二维码确认了证书编号 {token.claims.certificate_number} 与发证日期 "
        f"{token.claims.issued_on}；持证人姓名等内容需联网核验。",
        f"Offline: the QR code proves certificate {token.claims.certificate_number} issued on "
        f"{token.claims.issued_on}; the holder's name and details need an online check.",
    )
    state: CertificateState = "valid"
    for purpose, ref in (("revocation", token.claims.revocation), ("suspension", token.claims.suspension)):
        if ref is None:
            continue
        url = bundle.status_list_url(ref.list_id)
        try:
            if url is None:
                raise TrustSourceUnavailable(ref.list_id)
            listing = bundle.status_flag(url, ref.index)
        except (TrustSourceUnavailable, StatusListError):
            result.add(
                f"status_{purpose}",
                Outcome.CANNOT_TELL,
                "status_unavailable",
                "离线资料中没有该证书的状态列表，无法判断是否被撤销或暂停。",
                "The bundle lacks this certificate's status list: revocation/suspension cannot be told.",
            )
            continue
        if listing.issuer != key.controller or purpose not in listing.purposes:
            result.add(
                f"status_{purpose}",
                Outcome.INVALID,
                "status_list_mismatch",
                "状态列表不属于该签发机构。",
                "The status list is not the issuer's.",
            )
        elif listing.flagged:
            state = "revoked" if purpose == "revocation" else ("suspended" if state == "valid" else state)
            zh, en = _OFFLINE_STATE_WORDS[state]
            result.add(
                f"status_{purpose}",
                Outcome.INVALID,
                purpose,
                f"{zh}（以离线资料为准）。",
                f"{en} (as of the bundle).",
            )
        else:
            result.add(
                f"status_{purpose}",
                Outcome.VALID,
                f"not_{purpose}",
                "截至离线资料下载时，证书未被撤销或暂停。",
                "Neither revoked nor suspended as of the bundle's download.",
            )
    if state != "valid":
        result.status = StatusView(state=state, reason_code=None, changed_at=None, superseded_by=None)
    return result


def _check_key_on_day(lifecycle: KeyLifecycle, day: date, result: TokenVerification) -> None:
    """The token carries a date, not a time: a key that changed state that very day cannot tell."""
    start, end = china_day_bounds(day)
    stops = [t for t in (lifecycle.retired, lifecycle.compromised_since) if t is not None]
    stopped = min(stops) if stops else None
    if lifecycle.created >= end or (stopped is not None and stopped <= start):
        result.add(
            "issuer_key",
            Outcome.INVALID,
            "key_invalid_at_issuance",
            "发证当日该密钥尚未启用、已停用或已泄露：证书不可信。",
            "The key did not exist, was retired or was compromised on the issue date: not trustworthy.",
        )
    elif stopped is not None and stopped < end:
        result.add(
            "issuer_key",
            Outcome.CANNOT_TELL,
            "key_changed_that_day",
            "该密钥在发证当日停用或泄露，离线无法判断签名在前还是在后。",
            "The key was retired or compromised on the issue date: offline, this cannot be told.",
        )
    else:
        result.add(
            "issuer_key",
            Outcome.VALID,
            "key_valid_at_issuance",
            "发证当日该密钥有效。",
            "The key was valid on the issue date.",
        )
