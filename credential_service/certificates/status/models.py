"""Certificate status changes: one row per revocation, suspension, reinstatement or correction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from credential_service.core.db import Base, UTCDateTime


class CertificateStatusChange(Base):
    """Append-only: the live bits in the status lists say *what* a certificate's status is, these
    rows say who changed it, when, why and on what authority."""

    __tablename__ = "certificate_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[str] = mapped_column(ForeignKey("issued_credentials.credential_id"), index=True)
    certificate_number: Mapped[str] = mapped_column(String(22), index=True)
    action: Mapped[str] = mapped_column(String(12))  # revoke / suspend / reinstate / supersede
    reason_code: Mapped[str | None] = mapped_column(String(20), default=None)
    evidence: Mapped[str] = mapped_column(String(200))  # e.g. an inspection report's reference
    authority: Mapped[str] = mapped_column(String(200))  # e.g. "山西省人社厅 晋人社鉴〔2026〕12号"
    actor: Mapped[str] = mapped_column(String(100))  # "admin:wang", "org:Y000014010001", "cli:root"
    actor_role: Mapped[str] = mapped_column(String(12))  # admin / organisation
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    superseded_by: Mapped[str | None] = mapped_column(String(22), default=None)  # the new number
    batch_id: Mapped[str | None] = mapped_column(String(36), default=None)  # a batch revocation's submission
