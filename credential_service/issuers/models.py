"""Issuers (the platform and each evaluation organisation) and their signing keys' public half."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from credential_service.core.db import Base, UTCDateTime


class IssuerKind(StrEnum):
    PLATFORM = "platform"
    ORGANISATION = "organisation"  # 评价机构


class Issuer(Base):
    __tablename__ = "issuers"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    # Organisation code used in URLs and in the certificate-number prefix, e.g. "Y000014000123";
    # "platform" for the platform itself.
    code: Mapped[str] = mapped_column(String(32), unique=True)
    did: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str] = mapped_column(String(200))  # exactly as registered (备案名称)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    keys: Mapped[list[IssuerKey]] = relationship(
        back_populates="issuer", order_by="IssuerKey.created_at", lazy="selectin"
    )


class IssuerKey(Base):
    """The public half and lifecycle of one key. Every key ever used stays here and in the DID document."""

    __tablename__ = "issuer_keys"
    __table_args__ = (UniqueConstraint("issuer_id", "fragment"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("issuers.id"), index=True)
    fragment: Mapped[str] = mapped_column(String(64))  # "key-20261127-1a2b3c"
    keystore_id: Mapped[str] = mapped_column(String(128), unique=True)
    public_key_multibase: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    compromised_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    issuer: Mapped[Issuer] = relationship(back_populates="keys")

    @property
    def verification_method(self) -> str:
        return f"{self.issuer.did}#{self.fragment}"
