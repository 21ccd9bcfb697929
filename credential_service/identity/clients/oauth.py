"""Client authentication at the token endpoint (RFC 6749 §2.3, RFC 7523): a secret (Argon2 hash
kept) or a ``private_key_jwt`` assertion signed with a key the organisation holds itself, or with
its DID key. The DID key lives with the issuers, above identity: the caller passes ``did_key``.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any
from urllib.parse import unquote_plus

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from credential_service.crypto.multibase import decode_ed25519_public_key
from credential_service.identity.clients.errors import OAuthError, bad_client
from credential_service.identity.clients.models import (
    ClientAuthMethod,
    OrganisationClient,
    OrganisationClientKey,
    UsedClientAssertion,
)
from credential_service.identity.clients.rules import CLOCK_LEEWAY, JWT_BEARER, MAX_ASSERTION_LIFETIME

# Argon2id with argon2-cffi's defaults (RFC 9106 low-memory profile). One hasher per process.
_hasher = PasswordHasher()

# The organisation's DID key for an assertion: (session, organisation id, the assertion's kid) ->
# its public key multibase, None when the organisation has no usable key; raises OAuthError for a
# kid that names no current key.
DidKey = Callable[[Session, int, object], str | None]


def hash_secret(secret: str) -> str:
    """The Argon2id hash kept in place of a client secret."""
    return _hasher.hash(secret)


@dataclass(frozen=True)
class TokenRequest:
    """The token request as posted (form fields) plus the Authorization header."""

    grant_type: str | None = None
    scope: str | None = None
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    client_assertion_type: str | None = None
    client_assertion: str | None = field(default=None, repr=False)
    authorization: str | None = field(default=None, repr=False)


def _basic_credentials(header: str) -> tuple[str, str]:
    """RFC 6749 §2.3.1: ``Basic base64(urlencode(id) ":" urlencode(secret))``."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        raise bad_client("认证头应为 HTTP Basic", "the Authorization header must use HTTP Basic", basic=True)
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise bad_client("客户端凭据格式不正确", "malformed Basic credentials", basic=True) from None
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise bad_client("客户端凭据格式不正确", "malformed Basic credentials", basic=True)
    return unquote_plus(client_id), unquote_plus(secret)


@cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def _active_client(session: Session, client_id: str, method: ClientAuthMethod) -> OrganisationClient | None:
    client = session.scalar(select(OrganisationClient).where(OrganisationClient.client_id == client_id))
    if client is None or client.revoked_at is not None or client.auth_method != method.value:
        return None
    return client


def _by_secret(session: Session, client_id: str, secret: str, *, basic: bool) -> OrganisationClient:
    client = _active_client(session, client_id, ClientAuthMethod.CLIENT_SECRET)
    stored = client.secret_hash if client is not None and client.secret_hash else _dummy_hash()
    try:
        _hasher.verify(stored, secret)  # also for unknown clients: the answer takes as long
        ok = client is not None
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or client is None:
        raise bad_client(
            "客户端身份验证失败（编号或密钥错误，或已吊销）", "client authentication failed", basic=basic
        )
    if client.secret_hash and _hasher.check_needs_rehash(client.secret_hash):
        client.secret_hash = _hasher.hash(secret)
    return client


def _client_held_key(session: Session, organisation_id: int, kid: object) -> OrganisationClientKey | None:
    """The organisation's registered own key named ``kid`` (revoked or not), if there is one."""
    if not isinstance(kid, str):
        return None
    return session.scalar(
        select(OrganisationClientKey).where(
            OrganisationClientKey.organisation_id == organisation_id, OrganisationClientKey.kid == kid
        )
    )


def _assertion_public_key(
    session: Session, client: OrganisationClient, kid: object, refused: OAuthError, did_key: DidKey
) -> Ed25519PublicKey:
    """The key an assertion must verify with: the organisation's own registered key named ``kid``
    (docs/decisions/016), else its DID key (named by ``kid``, or the current one)."""
    held = _client_held_key(session, client.organisation_id, kid)
    if held is not None:
        if held.revoked_at is not None:
            raise bad_client("断言所用的机构公钥已吊销", "the assertion key was revoked", basic=False)
        multibase: str | None = held.public_key_multibase
    else:
        multibase = did_key(session, client.organisation_id, kid)
    if multibase is None:
        raise refused
    return Ed25519PublicKey.from_public_bytes(decode_ed25519_public_key(multibase))


def _asserting_client(request: TokenRequest, refused: OAuthError) -> tuple[str, Any]:
    """The client an assertion names (read before its signature is checked) and its ``kid``."""
    if request.client_assertion_type != JWT_BEARER:
        raise OAuthError(
            "invalid_request",
            "客户端断言类型（client_assertion_type）应为 jwt-bearer",
            f"client_assertion_type must be {JWT_BEARER}",
        )
    assertion = request.client_assertion or ""
    try:
        header = jwt.get_unverified_header(assertion)
        unverified = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise refused from None
    client_id = unverified.get("iss")
    if header.get("alg") != "EdDSA" or not isinstance(client_id, str) or unverified.get("sub") != client_id:
        raise refused
    if request.client_id is not None and request.client_id != client_id:
        raise refused
    return client_id, header.get("kid")


def _verified_claims(
    assertion: str, public: Ed25519PublicKey, *, client_id: str, audience: str, refused: OAuthError
) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            assertion,
            public,
            algorithms=["EdDSA"],
            audience=audience,
            issuer=client_id,
            leeway=CLOCK_LEEWAY,
            options={"require": ["exp", "iss", "sub", "aud", "jti"]},
        )
    except jwt.ExpiredSignatureError:
        raise bad_client("客户端断言已过期", "the client assertion has expired", basic=False) from None
    except jwt.InvalidAudienceError:
        raise bad_client(
            "客户端断言的 aud 应为令牌端点地址", f"aud must be {audience}", basic=False
        ) from None
    except jwt.PyJWTError:
        raise refused from None
    return claims


def _use_once(
    session: Session, client_id: str, claims: dict[str, Any], refused: OAuthError, now: datetime
) -> None:
    """RFC 7523 §3 items 4 and 7: a short lifetime, and a ``jti`` never seen before."""
    expires = datetime.fromtimestamp(int(claims["exp"]), tz=now.tzinfo)
    if expires - now > MAX_ASSERTION_LIFETIME + CLOCK_LEEWAY:
        raise bad_client(
            "客户端断言有效期过长（最多 5 分钟）", "the assertion must expire within 5 minutes", basic=False
        )
    jti = str(claims["jti"])
    if not jti or len(jti) > 200:
        raise refused
    session.execute(delete(UsedClientAssertion).where(UsedClientAssertion.expires_at < now - CLOCK_LEEWAY))
    try:
        with session.begin_nested():
            session.add(UsedClientAssertion(client_id=client_id, jti=jti, expires_at=expires + CLOCK_LEEWAY))
    except IntegrityError:
        raise bad_client(
            "客户端断言已使用过（jti 重复）", "the assertion was already used (jti)", basic=False
        ) from None


def _by_assertion(
    session: Session, request: TokenRequest, *, audience: str, now: datetime, did_key: DidKey
) -> OrganisationClient:
    """RFC 7523 §3: check a private_key_jwt client assertion, and that its jti was never used."""
    refused = bad_client("客户端断言无效", "the client assertion is invalid", basic=False)
    client_id, kid = _asserting_client(request, refused)
    client = _active_client(session, client_id, ClientAuthMethod.PRIVATE_KEY_JWT)
    if client is None:
        raise bad_client("客户端不存在或已吊销", "unknown or revoked client", basic=False)
    public = _assertion_public_key(session, client, kid, refused, did_key)
    assertion = request.client_assertion or ""
    claims = _verified_claims(assertion, public, client_id=client_id, audience=audience, refused=refused)
    _use_once(session, client_id, claims, refused, now)
    return client


def authenticate_client(
    session: Session, request: TokenRequest, *, audience: str, now: datetime, did_key: DidKey
) -> OrganisationClient:
    """RFC 6749 §2.3: exactly one client authentication method per request; raises OAuthError."""
    used = [
        name
        for name, present in (
            ("basic", request.authorization is not None),
            ("post", request.client_secret is not None),
            ("jwt", request.client_assertion is not None or request.client_assertion_type is not None),
        )
        if present
    ]
    if len(used) > 1:
        raise OAuthError(
            "invalid_request",
            "一次请求只能使用一种客户端认证方式",
            "use exactly one client authentication method",
        )
    if not used:
        raise bad_client("缺少客户端凭据", "client authentication is required", basic=False)
    if used == ["basic"]:
        client_id, secret = _basic_credentials(request.authorization or "")
        if request.client_id is not None and request.client_id != client_id:
            raise OAuthError(
                "invalid_request", "client_id 与认证头不一致", "client_id differs from the Basic credentials"
            )
        return _by_secret(session, client_id, secret, basic=True)
    if used == ["post"]:
        if not request.client_id:
            raise OAuthError("invalid_request", "缺少 client_id", "client_id is required with client_secret")
        return _by_secret(session, request.client_id, request.client_secret or "", basic=False)
    return _by_assertion(session, request, audience=audience, now=now, did_key=did_key)
