"""The occupation catalogue (职业分类大典), organisations' OAuth clients, and the signed endorsements
of their registration (备案). The organisation, its scope and status history are in ``models.py``.
"""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from credential_service.assessment.models import Organisation
from credential_service.core.db import Base, UTCDateTime


class ClientAuthMethod(StrEnum):
    """How a client proves itself at ``POST /oauth/token`` (RFC 7591 names, grouped)."""

    CLIENT_SECRET = "client_secret"  # noqa: S105 - client_secret_basic or client_secret_post (RFC 6749 §2.3.1)
    # RFC 7523 §2.2: signed with a registered organisation-held key, or the organisation's DID key
    PRIVATE_KEY_JWT = "private_key_jwt"


class Occupation(Base):
    """One occupation (职业, 细类) of the imported catalogue, with its 工种 and markers."""

    __tablename__ = "occupations"

    code: Mapped[str] = mapped_column(String(10), primary_key=True)  # D-DD-DD-DD, e.g. 6-18-02-04
    name: Mapped[str] = mapped_column(String(100))
    major_class: Mapped[str | None] = mapped_column(String(100), default=None)  # 大类
    middle_class: Mapped[str | None] = mapped_column(String(100), default=None)  # 中类
    minor_class: Mapped[str | None] = mapped_column(String(100), default=None)  # 小类
    digital: Mapped[bool] = mapped_column(Boolean, default=False)  # S 数字职业
    green: Mapped[bool] = mapped_column(Boolean, default=False)  # L 绿色职业
    # 工种 as a JSON list of names (text, so that it can be searched the same way on every database).
    subtypes_json: Mapped[str] = mapped_column(Text, default="[]")
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @property
    def subtypes(self) -> list[str]:
        loaded = json.loads(self.subtypes_json or "[]")
        return [str(s) for s in loaded] if isinstance(loaded, list) else []


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

    organisation: Mapped[Organisation] = relationship()


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

    organisation: Mapped[Organisation] = relationship()


class UsedClientAssertion(Base):
    """``jti`` of accepted private_key_jwt assertions, kept until they expire (RFC 7523 §3 item 7)."""

    __tablename__ = "used_client_assertions"
    __table_args__ = (UniqueConstraint("client_id", "jti"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    jti: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class Endorsement(Base):
    """The platform-signed OB 3.0 EndorsementCredential of one version of a registration.

    A new version is signed whenever the scope or the status changes; old versions stay.
    """

    __tablename__ = "organisation_endorsements"
    __table_args__ = (UniqueConstraint("organisation_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    credential_json: Mapped[str] = mapped_column(Text)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime())
