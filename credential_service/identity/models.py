"""People (keyed by 证件类型 + 证件号码, the number only sealed) and their social-security cards."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from credential_service.core.db import Base, UTCDateTime


class Person(Base):
    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Opaque id for tokens and URLs: never the ID number, never a sequential database id.
    public_id: Mapped[str] = mapped_column(String(36), unique=True)
    document_type: Mapped[str] = mapped_column(String(24))
    # HMAC of (type, number) under the data key: look-ups and duplicate detection without the number.
    id_blind_index: Mapped[str] = mapped_column(String(64), unique=True)
    id_number_sealed: Mapped[bytes] = mapped_column(LargeBinary)  # AES-GCM, key outside the database
    id_number_masked: Mapped[str] = mapped_column(String(40))  # 140***********1234
    name: Mapped[str] = mapped_column(String(100))
    sex: Mapped[str | None] = mapped_column(String(1), default=None)  # derived: M / F
    birth_date: Mapped[date | None] = mapped_column(Date, default=None)  # derived from the number
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    cards: Mapped[list[SocialSecurityCard]] = relationship(
        back_populates="person",
        order_by="(SocialSecurityCard.valid_from, SocialSecurityCard.id)",
        lazy="selectin",
    )


class SocialSecurityCard(Base):
    """社会保障卡 numbers change when a card is reissued: an attribute with history, never a key."""

    __tablename__ = "social_security_cards"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    card_number: Mapped[str] = mapped_column(String(20))
    valid_from: Mapped[date] = mapped_column(Date)
    replaced_on: Mapped[date | None] = mapped_column(Date, default=None)

    person: Mapped[Person] = relationship(back_populates="cards")
