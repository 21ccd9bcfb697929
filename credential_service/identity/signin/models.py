"""Used one-time sign-in links of administrators and auditors (each ``jti`` is accepted once)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from credential_service.core.db import Base, UTCDateTime


class UsedSignInLink(Base):
    """The ``jti`` of a redeemed staff sign-in link, kept until the link would have expired anyway.

    The primary key makes the link single-use even when two requests race: only one insert commits.
    """

    __tablename__ = "used_signin_links"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject: Mapped[str] = mapped_column(String(100))  # "admin:wang", "auditor:li"
    used_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
