"""The verification log: who checked a certificate, when, with what result (no employer's personal data)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from credential_service.core.db import Base, UTCDateTime


class VerificationEvent(Base):
    __tablename__ = "verification_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[str] = mapped_column(String(255), index=True)
    verified_at: Mapped[datetime] = mapped_column(UTCDateTime())
    verdict: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20))  # api / page / query / bulk / share
    client: Mapped[str] = mapped_column(String(20))  # coarse: mobile / desktop / script
