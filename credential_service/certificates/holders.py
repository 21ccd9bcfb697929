"""A holder's certificates: listed for their file and the national query, and who holds a valid one
(the workflow's rule against a second certificate of the same occupation and level)."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from credential_service.certificates import service
from credential_service.certificates.credential import NO_SUBTYPE
from credential_service.certificates.fields import certificate_fields
from credential_service.certificates.models import IssuedCredential
from credential_service.certificates.rules import SkillLevel
from credential_service.certificates.status.rules import CertificateState


@dataclass(frozen=True)
class CertificateSummary:
    """A certificate as its holder sees it in the file."""

    certificate_number: str
    credential_id: str
    name: str
    occupation_code: str
    occupation_name: str
    subtype: str
    level: str
    issuer_name: str
    issued_at: datetime
    status: CertificateState
    superseded_by: str | None = None  # the corrected certificate's number when superseded


def _summary(session: Session, record: IssuedCredential) -> CertificateSummary:
    credential = json.loads(record.credential_json)
    fields = certificate_fields(credential)
    status = service.current_status(session, record)
    return CertificateSummary(
        certificate_number=record.certificate_number or "",
        credential_id=record.credential_id,
        name=credential.get("name", ""),
        occupation_code=fields.occupation_code,
        occupation_name=fields.occupation_name,
        subtype=fields.subtype,
        level=fields.level.title_zh,
        issuer_name=fields.issuer_name or fields.issuer_did,
        issued_at=record.issued_at,
        status=status,
        superseded_by=service.superseded_by(session, record)
        if status == CertificateState.SUPERSEDED
        else None,
    )


def certificates_of_holder(session: Session, holder_index: str) -> list[IssuedCredential]:
    return list(
        session.scalars(
            select(IssuedCredential)
            .where(
                IssuedCredential.holder_index == holder_index,
                IssuedCredential.certificate_number.is_not(None),
            )
            .order_by(IssuedCredential.issued_at)
        )
    )


def holder_summaries(session: Session, holder_index: str) -> list[CertificateSummary]:
    """Every skill certificate issued to the holder, with its current status."""
    return [_summary(session, record) for record in certificates_of_holder(session, holder_index)]


def holders_of_valid_certificate(
    session: Session,
    holder_indexes: Collection[str],
    *,
    occupation_code: str,
    subtype: str | None,
    level: SkillLevel,
) -> set[str]:
    """Which of ``holder_indexes`` hold a valid certificate for this occupation, 工种 and level.

    One query for a whole batch of holders; only certificates whose number carries this level
    (character 16 of the national number) are opened and their status read.
    """
    if not holder_indexes:
        return set()
    records_found = session.scalars(
        select(IssuedCredential).where(
            IssuedCredential.holder_index.in_(list(holder_indexes)),
            IssuedCredential.certificate_number.is_not(None),
            func.substr(IssuedCredential.certificate_number, 16, 1) == str(int(level)),
        )
    )
    held: set[str] = set()
    for record in records_found:
        if record.holder_index is None or record.holder_index in held:
            continue
        summary = _summary(session, record)
        if (
            summary.occupation_code == occupation_code
            and summary.subtype == (subtype or NO_SUBTYPE)
            and summary.level == level.title_zh
            and summary.status == CertificateState.VALID
        ):
            held.add(record.holder_index)
    return held
