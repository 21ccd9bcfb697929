"""Short-lived access tokens (JWT, EdDSA) for administrators and organisations' scripts.

Signed with a dedicated platform key from the keystore; audience, issuer, expiry and scopes are
checked on every request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from credential_service.core.clock import utcnow
from credential_service.core.errors import Unauthorized
from credential_service.crypto.keystore import FileKeyStore

TOKEN_KEY_ID = "platform.access-tokens"  # noqa: S105 - a key id, not a secret


class Role(StrEnum):
    ADMIN = "admin"
    ORGANISATION = "organisation"


@dataclass(frozen=True)
class Principal:
    """Who is calling: a role, and for an organisation its issuer code."""

    role: Role
    subject: str
    scopes: frozenset[str]
    org_code: str | None = None


def ensure_token_key(keystore: FileKeyStore) -> None:
    """Create the token-signing key on first initialisation."""
    if not keystore.has(TOKEN_KEY_ID):
        keystore.generate(TOKEN_KEY_ID)


def _token_key(keystore: FileKeyStore) -> Ed25519PrivateKey:
    return keystore.ed25519_private_key(TOKEN_KEY_ID)


def mint_token(
    keystore: FileKeyStore,
    *,
    issuer: str,
    audience: str,
    principal: Principal,
    minutes: int,
    now: datetime | None = None,
) -> str:
    now = now or utcnow()
    claims = {
        "iss": issuer,
        "aud": audience,
        "sub": principal.subject,
        "role": principal.role.value,
        "scope": " ".join(sorted(principal.scopes)),
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=minutes)).timestamp()),
    }
    if principal.org_code is not None:
        claims["org"] = principal.org_code
    return jwt.encode(claims, _token_key(keystore), algorithm="EdDSA", headers={"kid": TOKEN_KEY_ID})


def read_token(keystore: FileKeyStore, token: str, *, issuer: str, audience: str) -> Principal:
    """The principal of a valid token; raises Unauthorized for anything else."""
    public: Ed25519PublicKey = _token_key(keystore).public_key()
    try:
        claims = jwt.decode(
            token,
            public,
            algorithms=["EdDSA"],
            audience=audience,
            issuer=issuer,
            options={"require": ["exp", "iat", "sub", "aud", "iss"]},
        )
        role = Role(claims["role"])
    except (jwt.PyJWTError, KeyError, ValueError) as exc:
        raise Unauthorized("访问令牌无效或已过期 / the access token is invalid or expired") from exc
    org = claims.get("org")
    if role is Role.ORGANISATION and not isinstance(org, str):
        raise Unauthorized("访问令牌缺少机构 / the token names no organisation")
    return Principal(
        role=role,
        subject=str(claims["sub"]),
        scopes=frozenset(str(claims.get("scope", "")).split()),
        org_code=org if isinstance(org, str) else None,
    )
