"""What a worker does with their own file: read it, share certificates, see who verified, take it away.

Every function takes the signed-in person: nothing here can reach another person's data.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from credential_service.certificates import holders, printable, qr_codes
from credential_service.certificates import service as certificates
from credential_service.core.clock import to_xsd, utcnow
from credential_service.core.errors import FieldError, InvalidInput, NotFound
from credential_service.crypto.keystore import KeyStore
from credential_service.identity import service as identity
from credential_service.identity.models import Person
from credential_service.platform.metrics import VERIFICATIONS
from credential_service.records import service as records
from credential_service.verification import service as verification
from credential_service.verification.log_queue import VerificationLogQueue
from credential_service.worker.errors import ShareLinkGone
from credential_service.worker.models import ShareLink

MAX_SHARE_DAYS = 365
SHARE_TOKEN_BYTES = 24


@dataclass(frozen=True)
class Profile:
    public_id: str
    name: str
    id_number_masked: str
    document_type: str
    sex: str | None
    birth_date: date | None
    cards: list[dict[str, Any]]


def profile(person: Person) -> Profile:
    return Profile(
        public_id=person.public_id,
        name=person.name,
        id_number_masked=person.id_number_masked,
        document_type=person.document_type,
        sex=person.sex,
        birth_date=person.birth_date,
        cards=[
            {
                "cardNumber": c.card_number,
                "validFrom": c.valid_from.isoformat(),
                "replacedOn": c.replaced_on.isoformat() if c.replaced_on else None,
            }
            for c in person.cards
        ],
    )


def my_file(session: Session, person: Person) -> list[records.TimelineEntry]:
    return records.timeline(session, person)


def file_of(session: Session, public_id: str) -> list[records.TimelineEntry]:
    """The whole file of the worker ``public_id`` (from their token): two indexed reads, the person's
    id then the entries, and no Person entity built (GET /api/v1/me/file, decision 045). Raises
    PersonNotFound."""
    return records.timeline_of(session, identity.person_id_of(session, public_id))


def my_certificates(session: Session, person: Person) -> list[holders.CertificateSummary]:
    return holders.holder_summaries(session, person.id_blind_index)


def my_credential(session: Session, person: Person, certificate_number: str) -> dict[str, Any]:
    """The signed credential of one of the person's own certificates; NotFound for anyone else's."""
    for record in holders.certificates_of_holder(session, person.id_blind_index):
        if record.certificate_number == certificate_number:
            loaded: dict[str, Any] = json.loads(record.credential_json)
            return loaded
    raise NotFound("您没有这个证书 / you hold no such certificate", code="certificate_not_found")


@dataclass(frozen=True)
class Verification:
    certificate_number: str
    verified_at: datetime
    verdict: str
    channel: str
    client: str


def my_verifications(session: Session, person: Person) -> list[Verification]:
    """Who checked the person's certificates and when (channel and device class only)."""
    numbers = {
        r.credential_id: r.certificate_number or ""
        for r in holders.certificates_of_holder(session, person.id_blind_index)
    }
    return [
        Verification(numbers[e.credential_id], e.verified_at, e.verdict, e.channel, e.client)
        for e in verification.verifications_of(session, list(numbers))
    ]


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class CreatedShareLink:
    link: ShareLink
    token: str  # shown once, to the worker who created it


def create_share_link(
    session: Session, person: Person, *, certificate_number: str | None, days: int
) -> CreatedShareLink:
    """A link to one certificate (or all), valid for ``days``; only the token's hash is stored."""
    if not 1 <= days <= MAX_SHARE_DAYS:
        raise InvalidInput(
            "有效期不正确 / invalid lifetime", [FieldError("days", f"must be 1 to {MAX_SHARE_DAYS}")]
        )
    if certificate_number is not None:
        my_credential(session, person, certificate_number)  # NotFound unless it is theirs
    token = secrets.token_urlsafe(SHARE_TOKEN_BYTES)
    now = utcnow()
    link = ShareLink(
        public_id=str(uuid.uuid4()),
        person_id=person.id,
        token_hash=_token_hash(token),
        certificate_number=certificate_number,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(link)
    session.flush()
    return CreatedShareLink(link, token)


def my_share_links(session: Session, person: Person) -> list[ShareLink]:
    return list(
        session.scalars(
            select(ShareLink).where(ShareLink.person_id == person.id).order_by(ShareLink.created_at.desc())
        )
    )


def withdraw_share_link(session: Session, person: Person, public_id: str) -> ShareLink:
    link = session.scalar(
        select(ShareLink).where(ShareLink.public_id == public_id, ShareLink.person_id == person.id)
    )
    if link is None:
        raise NotFound("没有这个分享链接 / no such share link", code="share_link_not_found")
    if link.withdrawn_at is None:
        link.withdrawn_at = utcnow()
    return link


def share_link_state(link: ShareLink, now: datetime | None = None) -> str:
    now = now or utcnow()
    if link.withdrawn_at is not None:
        return "withdrawn"
    return "expired" if link.expires_at <= now else "active"


@dataclass(frozen=True)
class SharedView:
    holder_name: str
    certificates: list[holders.CertificateSummary]
    credentials: dict[str, dict[str, Any]]
    expires_at: datetime
    qr_tokens: dict[str, str]  # certificate number → its QR token: the verification page /v/{token}


def open_share_link(session: Session, token: str, log: VerificationLogQueue) -> SharedView:
    """What an employer sees through a share link; ShareLinkGone when expired or withdrawn.
    Read-only: the look-up goes to the verification log behind the request."""
    link = session.scalar(select(ShareLink).where(ShareLink.token_hash == _token_hash(token)))
    if link is None or share_link_state(link) != "active":
        raise ShareLinkGone()
    person = session.get_one(Person, link.person_id)
    summaries = [
        s
        for s in my_certificates(session, person)
        if link.certificate_number is None or s.certificate_number == link.certificate_number
    ]
    credentials = {
        s.certificate_number: my_credential(session, person, s.certificate_number) for s in summaries
    }
    for summary in summaries:
        log.put(summary.credential_id, summary.status, channel="share", client="-")
        VERIFICATIONS.labels(verdict=summary.status, channel="share").inc()
    qr_tokens = {}
    for summary in summaries:
        found = qr_codes.find_with_token(session, summary.certificate_number)
        if found is not None and found[1] is not None:  # a certificate from before QR codes has none yet
            qr_tokens[summary.certificate_number] = found[1]
    return SharedView(person.name, summaries, credentials, link.expires_at, qr_tokens)


def shared_certificate_pdf(
    session: Session,
    keystore: KeyStore,
    token: str,
    certificate_number: str,
    log: VerificationLogQueue,
    *,
    public_base_url: str,
    font_path: Path | None,
) -> bytes:
    """The printable certificate of one certificate a share link shows (the ID number masked, as on
    the holder's own printout). Raises ShareLinkGone when the link is gone or does not show it, and
    PrintingUnavailable (503) without a CJK font."""
    view = open_share_link(session, token, log)
    if certificate_number not in view.credentials:
        raise ShareLinkGone()
    record = certificates.get_by_number(session, certificate_number)
    return printable.certificate_pdf(
        session, keystore, record, public_base_url=public_base_url, font_path=font_path
    )


def data_export(session: Session, person: Person) -> dict[str, Any]:
    """Everything the service holds about the person, as plain JSON (PIPL right of access)."""
    return {
        "exportedAt": to_xsd(utcnow()),
        "person": {
            **{k: v for k, v in profile(person).__dict__.items() if k != "birth_date"},
            "birthDate": person.birth_date.isoformat() if person.birth_date else None,
            "note": "证件号码仅显示脱敏形式；完整号码以您的证件为准 / the ID number is shown masked",
        },
        "file": [
            {
                "seq": e.seq,
                "kind": e.kind,
                "occurredAt": to_xsd(e.occurred_at),
                "recordedAt": to_xsd(e.recorded_at),
                "source": e.source,
                "facts": e.facts,
                "supersedes": e.supersedes_seq,
                "reason": e.reason,
                "supersededBy": e.superseded_by,
                "entryHash": e.entry_hash,
            }
            for e in my_file(session, person)
        ],
        "certificates": [
            {**s.__dict__, "issued_at": to_xsd(s.issued_at)} for s in my_certificates(session, person)
        ],
        "shareLinks": [
            {
                "id": link.public_id,
                "certificateNumber": link.certificate_number,
                "createdAt": to_xsd(link.created_at),
                "expiresAt": to_xsd(link.expires_at),
                "state": share_link_state(link),
            }
            for link in my_share_links(session, person)
        ],
        "verifications": [
            {
                "certificateNumber": v.certificate_number,
                "verifiedAt": to_xsd(v.verified_at),
                "verdict": v.verdict,
                "channel": v.channel,
                "client": v.client,
            }
            for v in my_verifications(session, person)
        ],
    }
