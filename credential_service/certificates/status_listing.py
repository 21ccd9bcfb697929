"""Recent status changes of every certificate (the staff's view; one certificate's history is in
``status_changes.history``)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from credential_service.certificates.status_changes import StatusChange
from credential_service.certificates.status_models import CertificateStatusChange


def recent_changes(session: Session, *, limit: int = 50, offset: int = 0) -> tuple[list[StatusChange], int]:
    """One page of status changes, newest first, and how many there are in all."""
    total = session.scalar(select(func.count()).select_from(CertificateStatusChange)) or 0
    rows = session.scalars(
        select(CertificateStatusChange)
        .order_by(CertificateStatusChange.changed_at.desc(), CertificateStatusChange.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [StatusChange.of(row) for row in rows], total
