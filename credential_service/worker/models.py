"""The links a worker gives out to share certificates from their own file."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from credential_service.core.db import Base, UTCDateTime


class ShareLink(Base):
    """A link a worker gives out (e.g. to an employer) for one certificate or all of them.

    Only a hash of the token is stored: a database reader cannot rebuild the link.
    """

    __tablename__ = "share_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True)  # for withdrawing it
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    certificate_number: Mapped[str | None] = mapped_column(
        String(22), default=None
    )  # None: every certificate
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
