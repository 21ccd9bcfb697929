"""Organisations' OAuth 2 clients, the public keys they hold themselves, and the ``jti`` of used
client assertions. ``organisation_id`` names a row of the assessment registry (``organisations``)
by its table only: identity sits below assessment and does not import it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from credential_service.core.db import Base, UTCDateTime


class ClientAuthMethod(StrEnum):
    """How a client proves itself at ``POST /oauth/token`` (RFC 7591 names, grouped)."""

    CLIENT_SECRET = "client_secret"  # noqa: S105 - client_secret_basic or client_secret_post (RFC 6749 §2.3.1)
    # RFC 7523 §2.2: signed with a registered organisation-held key, or the organisation's DID key
    PRIVATE_KEY_JWT = "private_key_jwt"


class OrganisationClient(Base):
    """OAuth 2 client credentials of an organisation. Only an Argon2 hash of a secret is kept."""

    __tablename__ = "organisation_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    auth_method: Mapped[str] = mapped_column(String(32))  # ClientAuthMethod
    secret_hash: Mapped[str | None] = mapped_column(String(200), default=None)  # Argon2id (PHC string)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(100))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class OrganisationClientKey(Base):
    """An Ed25519 public key the organisation holds the private half of (never sent to us).

    It signs the organisation's ``private_key_jwt`` assertions and the detached content signatures
    of its result sheets (``X-Content-Signature``); see docs/decisions/016-organisation-keys.md.
    A revoked key stays listed so that evidence signed before the revocation can still be read.
    """

    __tablename__ = "organisation_client_keys"
    __table_args__ = (UniqueConstraint("organisation_id", "kid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    kid: Mapped[str] = mapped_column(String(128))  # given, or the RFC 7638 thumbprint
    # One key, one organisation: the same public key cannot be registered twice anywhere.
    public_key_multibase: Mapped[str] = mapped_column(String(64), unique=True)  # z6Mk…
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(100))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    revoked_by: Mapped[str | None] = mapped_column(String(100), default=None)
    revocation_reason: Mapped[str | None] = mapped_column(String(500), default=None)


class UsedClientAssertion(Base):
    """``jti`` of accepted private_key_jwt assertions, kept until they expire (RFC 7523 §3 item 7)."""

    __tablename__ = "used_client_assertions"
    __table_args__ = (UniqueConstraint("client_id", "jti"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    jti: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
