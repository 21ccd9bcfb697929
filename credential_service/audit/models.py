"""The audit trail's table: append-only, hash-chained, written in the same transaction as the change."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from credential_service.core.db import Base, UTCDateTime


class AuditEvent(Base):
    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(100))  # "admin:wang", "org:Y0000…", "system"
    action: Mapped[str] = mapped_column(String(60))  # "person.reveal_id_number", …
    subject: Mapped[str] = mapped_column(String(100))  # what it is about (never a clear ID number)
    detail: Mapped[str] = mapped_column(Text)  # canonical JSON
    prev_hash: Mapped[str] = mapped_column(String(64))
    event_hash: Mapped[str] = mapped_column(String(64))
