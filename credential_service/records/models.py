"""The lifelong training file (职业技能培训电子档案): append-only, hash-chained entries per person."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from credential_service.core.db import Base, UTCDateTime


class FileEntry(Base):
    """One fact in a person's file. Never updated or deleted: corrections supersede."""

    __tablename__ = "file_entries"
    __table_args__ = (
        UniqueConstraint("person_id", "seq"),
        UniqueConstraint("source", "idempotency_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, 3 … per person
    kind: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    source: Mapped[str] = mapped_column(String(64))  # who posted it: institution / organisation / platform
    payload: Mapped[str] = mapped_column(Text)  # canonical JSON (RFC 8785) of the entry's facts
    supersedes_seq: Mapped[int | None] = mapped_column(Integer, default=None)
    reason: Mapped[str | None] = mapped_column(String(500), default=None)
    idempotency_key: Mapped[str | None] = mapped_column(String(128), default=None)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))
