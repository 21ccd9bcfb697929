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
    WORKER = "worker"  # 劳动者: sees only their own file
    INSTITUTION = "institution"  # 培训机构: posts trainings
    ORGANISATION = "organisation"  # 评价机构: issues certificates in its own name
    ADMIN = "admin"  # 人社部门
    AUDITOR = "auditor"  # read-only


TENANT_ROLES = frozenset({Role.WORKER, Role.INSTITUTION, Role.ORGANISATION})


@dataclass(frozen=True)
class Principal:
    """Who is calling: a role, and for a tenant role whose data it is.

    ``tenant`` is the organisation code, the institution's credit code, or the worker's opaque
    person id; administrators and auditors have none.
    """

    role: Role
    subject: str
    scopes: frozenset[str]
    tenant: str | None = None


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
    if principal.tenant is not None:
        claims["tenant"] = principal.tenant
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
    tenant = claims.get("tenant")
    if role in TENANT_ROLES and not isinstance(tenant, str):
        raise Unauthorized("访问令牌缺少所属主体 / the token names no tenant")
    return Principal(
        role=role,
        subject=str(claims["sub"]),
        scopes=frozenset(str(claims.get("scope", "")).split()),
        tenant=tenant if isinstance(tenant, str) else None,
    )
