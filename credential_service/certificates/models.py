"""Issued credentials, certificate-number counters and status lists."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from credential_service.core.db import Base, UTCDateTime


class IssuedCredential(Base):
    """One signed credential, stored exactly as issued (the bytes the holder received)."""

    __tablename__ = "issued_credentials"
    __table_args__ = (UniqueConstraint("issuer_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[str] = mapped_column(String(255), unique=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("issuers.id"), index=True)
    certificate_number: Mapped[str | None] = mapped_column(String(22), unique=True, default=None)
    idempotency_key: Mapped[str | None] = mapped_column(String(128), default=None)
    # Keyed hash of (document type, ID number): links a certificate to a person without the number.
    holder_index: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    credential_json: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(64))  # SHA-256 hex of the JCS form of the signed credential
    verification_method: Mapped[str] = mapped_column(String(255))
    cryptosuite: Mapped[str] = mapped_column(String(32))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revocation_list_id: Mapped[str | None] = mapped_column(ForeignKey("status_lists.list_id"), default=None)
    revocation_index: Mapped[int | None] = mapped_column(Integer, default=None)
    suspension_list_id: Mapped[str | None] = mapped_column(ForeignKey("status_lists.list_id"), default=None)
    suspension_index: Mapped[int | None] = mapped_column(Integer, default=None)


class CertificateNumberCounter(Base):
    """Last serial used per 16-character number prefix ([YS] + org + province + site + year + level)."""

    __tablename__ = "certificate_number_counters"

    prefix: Mapped[str] = mapped_column(String(16), primary_key=True)
    last_serial: Mapped[int] = mapped_column(Integer)


class StatusList(Base):
    """A Bitstring Status List of one issuer for one purpose (revocation or suspension)."""

    __tablename__ = "status_lists"

    list_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("issuers.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    size: Mapped[int] = mapped_column(Integer)
    used: Mapped[int] = mapped_column(Integer, default=0)
    bits: Mapped[bytes] = mapped_column(LargeBinary)
    version: Mapped[int] = mapped_column(Integer, default=1)  # bumped on every bit change
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The last signed BitstringStatusListCredential and the version it was signed at (a cache).
    signed_json: Mapped[str | None] = mapped_column(Text, default=None)
    signed_version: Mapped[int] = mapped_column(Integer, default=0)


class StatusEntry(Base):
    """An index handed out in a list: unique, so two issuances can never share one."""

    __tablename__ = "status_entries"
    __table_args__ = (UniqueConstraint("list_id", "index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[str] = mapped_column(ForeignKey("status_lists.list_id"))
    index: Mapped[int] = mapped_column(Integer)
    credential_id: Mapped[str] = mapped_column(String(255), index=True)


class CertificateQRCode(Base):
    """The QR code of a certificate: its token, signed at issuance, and the images, drawn on the
    first request for them and kept (None until then: decision 044)."""

    __tablename__ = "certificate_qr_codes"

    credential_id: Mapped[str] = mapped_column(
        ForeignKey("issued_credentials.credential_id"), primary_key=True
    )
    token: Mapped[str] = mapped_column(String(300), unique=True)
    png: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    svg: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
