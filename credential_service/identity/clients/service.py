"""Organisations' OAuth clients and the public keys they hold themselves (administrators create,
list and revoke them), and the check of the detached content signature an organisation may send
with a result sheet (``X-Content-Signature``).

The organisation keeps the private key; the platform stores the public key only. A registered key
signs the organisation's ``private_key_jwt`` assertions (``oauth``) and its result sheets. Formats:
``rules`` and docs/decisions/016-organisation-keys.md. Whose clients and keys these are is the
assessment registry's business: it passes the ``ClientOwner`` it has checked.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from credential_service.audit import service as audit
from credential_service.core.clock import utcnow
from credential_service.core.errors import Conflict, FieldError, InvalidInput
from credential_service.crypto.multibase import decode_ed25519_public_key
from credential_service.identity.clients.errors import (
    ClientKeyNotFound,
    ClientNotFound,
    ContentSignatureRejected,
)
from credential_service.identity.clients.models import (
    ClientAuthMethod,
    OrganisationClient,
    OrganisationClientKey,
)
from credential_service.identity.clients.oauth import hash_secret
from credential_service.identity.clients.rules import (
    ClientKeyError,
    ContentSignatureError,
    parse_client_key,
    public_jwk,
    read_content_signature,
    token_endpoint,
    verify_content_signature,
)
from credential_service.identity.clients.schemas import (
    ClientCreated,
    ClientKeyList,
    ClientKeyOut,
    ClientList,
    ClientOut,
)


@dataclass(frozen=True)
class ClientOwner:
    """The organisation a client or key belongs to (its registry id and code), checked by the caller."""

    id: int
    code: str


def _view(key: OrganisationClientKey, organisation_code: str) -> ClientKeyOut:
    return ClientKeyOut(
        kid=key.kid,
        organisation_code=organisation_code,
        public_key_multibase=key.public_key_multibase,
        jwk=public_jwk(decode_ed25519_public_key(key.public_key_multibase), key.kid),
        created_at=key.created_at,
        created_by=key.created_by,
        revoked_at=key.revoked_at,
        revocation_reason=key.revocation_reason,
    )


def register_client_key(
    session: Session,
    owner: ClientOwner,
    *,
    jwk: Mapping[str, Any] | None = None,
    public_key_multibase: str | None = None,
    kid: str | None = None,
    actor: str,
    now: datetime | None = None,
) -> ClientKeyOut:
    """Register an organisation-held Ed25519 public key (a JWK or a Multikey).

    Raises InvalidInput for a key that is not an Ed25519 public key (a private JWK is refused);
    Conflict when the kid is taken in the organisation, or the key is already registered (to it or
    to another organisation).
    """
    try:
        key = parse_client_key(jwk=jwk, multibase=public_key_multibase, kid=kid)
    except ClientKeyError as exc:
        raise InvalidInput(
            "公钥无效 / the public key is invalid", [FieldError(exc.loc, exc.reason)], "invalid_client_key"
        ) from None
    if session.scalar(
        select(OrganisationClientKey.id).where(
            OrganisationClientKey.organisation_id == owner.id, OrganisationClientKey.kid == key.kid
        )
    ):
        raise Conflict(f"密钥编号 {key.kid} 已在使用 / this kid is taken", code="client_key_kid_taken")
    taken = Conflict(
        "该公钥已登记（同一公钥只能属于一个机构）/ this public key is already registered",
        code="client_key_registered",
    )
    if session.scalar(
        select(OrganisationClientKey.id).where(OrganisationClientKey.public_key_multibase == key.multibase)
    ):
        raise taken
    record = OrganisationClientKey(
        organisation_id=owner.id,
        kid=key.kid,
        public_key_multibase=key.multibase,
        created_at=now or utcnow(),
        created_by=actor[:100],
    )
    try:
        with session.begin_nested():  # a concurrent registration of the same key or kid loses here
            session.add(record)
    except IntegrityError:
        raise taken from None
    audit.record(
        session,
        actor=actor,
        action="organisation.client_key.add",
        subject=f"organisation:{owner.code}",
        detail={"kid": key.kid, "publicKeyMultibase": key.multibase},
    )
    return _view(record, owner.code)


def list_client_keys(session: Session, owner: ClientOwner) -> ClientKeyList:
    """Every key ever registered for the organisation (revoked ones too), oldest first."""
    keys = session.scalars(
        select(OrganisationClientKey)
        .where(OrganisationClientKey.organisation_id == owner.id)
        .order_by(OrganisationClientKey.id)
    )
    return ClientKeyList(keys=[_view(k, owner.code) for k in keys])


def revoke_client_key(
    session: Session,
    owner: ClientOwner,
    kid: str,
    *,
    actor: str,
    reason: str | None = None,
    now: datetime | None = None,
) -> ClientKeyOut:
    """Revoke a key: from now on it neither authenticates nor signs sheets (evidence kept stays).

    Revoking twice changes nothing. Raises ClientKeyNotFound.
    """
    key = session.scalar(
        select(OrganisationClientKey).where(
            OrganisationClientKey.organisation_id == owner.id, OrganisationClientKey.kid == kid
        )
    )
    if key is None:
        raise ClientKeyNotFound()
    if key.revoked_at is None:
        key.revoked_at, key.revoked_by = now or utcnow(), actor[:100]
        key.revocation_reason = (reason or "").strip()[:500] or None
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="organisation.client_key.revoke",
            subject=f"organisation:{owner.code}",
            detail={"kid": key.kid, "reason": key.revocation_reason},
        )
    return _view(key, owner.code)


def check_content_signature(
    session: Session, organisation_id: int, header_value: str, content_sha256: str
) -> OrganisationClientKey:
    """The registered, unrevoked key of the organisation whose signature over the exact bytes
    (their SHA-256) is ``header_value``; raises ContentSignatureRejected otherwise."""
    try:
        signature = read_content_signature(header_value)
    except ContentSignatureError as exc:
        raise ContentSignatureRejected("content_signature_malformed", exc.reason) from None
    key = session.scalar(
        select(OrganisationClientKey).where(
            OrganisationClientKey.organisation_id == organisation_id,
            OrganisationClientKey.kid == signature.kid,
        )
    )
    if key is None:
        raise ContentSignatureRejected(
            "content_signature_unknown_key",
            f"密钥 {signature.kid} 不是本机构登记的公钥 / kid {signature.kid} is not a registered key "
            "of your organisation",
        )
    if key.revoked_at is not None:
        raise ContentSignatureRejected(
            "content_signature_revoked_key",
            f"密钥 {signature.kid} 已于 {key.revoked_at:%Y-%m-%d} 吊销 / kid {signature.kid} was revoked",
        )
    try:
        verify_content_signature(
            signature, decode_ed25519_public_key(key.public_key_multibase), content_sha256
        )
    except ContentSignatureError as exc:
        raise ContentSignatureRejected("content_signature_mismatch", exc.reason) from None
    return key


def _client_view(client: OrganisationClient, organisation_code: str) -> ClientOut:
    return ClientOut(
        client_id=client.client_id,
        organisation_code=organisation_code,
        auth_method=ClientAuthMethod(client.auth_method),
        created_at=client.created_at,
        revoked_at=client.revoked_at,
    )


def create_client(
    session: Session,
    owner: ClientOwner,
    auth_method: ClientAuthMethod,
    *,
    public_base_url: str,
    actor: str,
    now: datetime | None = None,
) -> ClientCreated:
    """New client credentials; a secret is returned this once and only its Argon2 hash is kept."""
    secret = secrets.token_urlsafe(32) if auth_method is ClientAuthMethod.CLIENT_SECRET else None
    client = OrganisationClient(
        organisation_id=owner.id,
        client_id=f"{owner.code}-{secrets.token_hex(6)}",
        auth_method=auth_method.value,
        secret_hash=hash_secret(secret) if secret is not None else None,
        created_at=now or utcnow(),
        created_by=actor[:100],
    )
    session.add(client)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="organisation.client.create",
        subject=f"organisation:{owner.code}",
        detail={"clientId": client.client_id, "authMethod": auth_method.value},
    )
    return ClientCreated(
        **_client_view(client, owner.code).model_dump(),
        client_secret=secret,
        token_endpoint=token_endpoint(public_base_url),
    )


def list_clients(session: Session, owner: ClientOwner) -> ClientList:
    clients = session.scalars(
        select(OrganisationClient)
        .where(OrganisationClient.organisation_id == owner.id)
        .order_by(OrganisationClient.id)
    )
    return ClientList(clients=[_client_view(c, owner.code) for c in clients])


def revoke_client(
    session: Session, owner: ClientOwner, client_id: str, *, actor: str, now: datetime | None = None
) -> ClientOut:
    """Revoke client credentials (tokens already issued run out within their short lifetime)."""
    client = session.scalar(
        select(OrganisationClient).where(
            OrganisationClient.organisation_id == owner.id, OrganisationClient.client_id == client_id
        )
    )
    if client is None:
        raise ClientNotFound()
    if client.revoked_at is None:
        client.revoked_at = now or utcnow()
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="organisation.client.revoke",
            subject=f"organisation:{owner.code}",
            detail={"clientId": client.client_id},
        )
    return _client_view(client, owner.code)


def key_kid(session: Session, key_id: int | None) -> str | None:
    """The kid of a registered client key (what a submission names its signing key by)."""
    if key_id is None:
        return None
    return session.scalar(select(OrganisationClientKey.kid).where(OrganisationClientKey.id == key_id))
