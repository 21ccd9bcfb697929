"""Short-lived access tokens (JWT, EdDSA) for administrators and organisations' scripts, and the
one-time sign-in links of administrators, auditors and training institutions' officers.

Signed with a dedicated platform key from the keystore. Every request checks the signature (EdDSA
only), the issuer, the audience, the expiry and the role's tenant (``read_token``); each route names
the roles it admits and, for an organisation's token, the scope it needs (``http.allow``).
A sign-in link's token has its own audience, so it is never accepted as an access token and an
access token is never accepted as a sign-in link.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from credential_service.core.clock import utcnow
from credential_service.core.errors import Forbidden, Unauthorized
from credential_service.crypto.keystore import FileKeyStore

TOKEN_KEY_ID = "platform.access-tokens"  # noqa: S105 - a key id, not a secret


class Role(StrEnum):
    WORKER = "worker"  # 劳动者: sees only their own file
    INSTITUTION = "institution"  # 培训机构: posts trainings
    ORGANISATION = "organisation"  # 评价机构: issues certificates in its own name
    ADMIN = "admin"  # 人社部门
    AUDITOR = "auditor"  # read-only


TENANT_ROLES = frozenset({Role.WORKER, Role.INSTITUTION, Role.ORGANISATION})
STAFF_ROLES = frozenset({Role.ADMIN, Role.AUDITOR})

# RFC 6749 §3.3 scopes of an organisation's token: a client may ask for fewer than all three, and
# each organisation route needs one (the same set as assessment.organisations.ORGANISATION_SCOPES).
SCOPE_PLANS, SCOPE_RESULTS, SCOPE_CERTIFICATES = "plans", "results", "certificates"
ORGANISATION_SCOPES = frozenset({SCOPE_PLANS, SCOPE_RESULTS, SCOPE_CERTIFICATES})
# Staff tokens carry one fixed scope naming what they are for.
STAFF_SCOPES = {Role.ADMIN: frozenset({"admin"}), Role.AUDITOR: frozenset({"audit"})}
INSTITUTION_SCOPES = frozenset({"train"})  # a training institution's scripts and pages
# Who signs in to the pages with a one-time link from the command line (an institution's link names it).
LINK_ROLES = STAFF_ROLES | {Role.INSTITUTION}


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


ACCESS_CLAIMS = ["exp", "iat", "sub", "aud", "iss"]  # every token must carry these


@lru_cache(maxsize=16)
def _public_key(raw: bytes) -> Ed25519PublicKey:
    """The verifying key as a ``cryptography`` object, built once per key (by its bytes), not on every
    request: rebuilding the private key and deriving its public half cost a tenth of a millisecond."""
    return Ed25519PublicKey.from_public_bytes(raw)


def _decode(
    keystore: FileKeyStore, token: str, *, issuer: str, audience: str, required: list[str]
) -> dict[str, Any]:
    """The claims of a token signed with the token key (EdDSA only), for this issuer and audience."""
    public = _public_key(keystore.signer(TOKEN_KEY_ID).public_key)
    claims: dict[str, Any] = jwt.decode(
        token, public, algorithms=["EdDSA"], audience=audience, issuer=issuer, options={"require": required}
    )
    return claims


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
    try:
        claims = _decode(
            keystore, token, issuer=issuer, audience=audience, required=["exp", "iat", "sub", "aud", "iss"]
        )
        role = Role(claims["role"])
    except (jwt.PyJWTError, KeyError, ValueError) as exc:
        raise Unauthorized("访问令牌无效或已过期 / the access token is invalid or expired") from exc
    tenant, scope, subject = claims.get("tenant"), claims.get("scope", ""), claims["sub"]
    if role in TENANT_ROLES and not (isinstance(tenant, str) and tenant):
        raise Unauthorized("访问令牌缺少所属主体 / the token names no tenant")
    if not isinstance(scope, str) or not isinstance(subject, str):
        raise Unauthorized("访问令牌格式有误 / the access token is malformed")
    return Principal(
        role=role,
        subject=subject,
        scopes=frozenset(scope.split()),
        tenant=tenant if isinstance(tenant, str) else None,
    )


# --- one-time sign-in links of administrators, auditors and institutions ------------------------


@dataclass(frozen=True)
class SignInClaims:
    """What a valid sign-in link says: who, in which role (for an institution: which one), and its
    single-use id."""

    jti: str
    role: Role
    subject: str
    expires_at: datetime
    tenant: str | None = None


def mint_signin_token(
    keystore: FileKeyStore,
    *,
    issuer: str,
    audience: str,
    role: Role,
    subject: str,
    jti: str,
    minutes: int,
    tenant: str | None = None,
    now: datetime | None = None,
) -> str:
    """A short-lived token for a sign-in link (``audience`` is the sign-in page, never the API); an
    institution's link names the institution as ``tenant``."""
    if role not in LINK_ROLES:
        raise ValueError("sign-in links are for administrators, auditors and institutions only")
    if (role in TENANT_ROLES) != bool(tenant):
        raise ValueError("an institution's sign-in link names the institution; a staff link names none")
    now = now or utcnow()
    claims = {
        "iss": issuer,
        "aud": audience,
        "sub": subject,
        "role": role.value,
        "jti": jti,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=minutes)).timestamp()),
    }
    if tenant:
        claims["tenant"] = tenant
    headers = {"kid": TOKEN_KEY_ID, "typ": "signin+jwt"}
    return jwt.encode(claims, _token_key(keystore), algorithm="EdDSA", headers=headers)


def read_signin_token(keystore: FileKeyStore, token: str, *, issuer: str, audience: str) -> SignInClaims:
    """The claims of a valid, unexpired sign-in link token; raises Unauthorized for anything else
    (whether it was used already is the caller's to check, against its store of used ``jti``)."""
    try:
        if jwt.get_unverified_header(token).get("typ") != "signin+jwt":
            raise jwt.InvalidTokenError("not a sign-in token")
        claims = _decode(
            keystore,
            token,
            issuer=issuer,
            audience=audience,
            required=["exp", "iat", "sub", "aud", "iss", "jti"],
        )
        role = Role(claims["role"])
    except (jwt.PyJWTError, KeyError, ValueError) as exc:
        raise Unauthorized(
            "登录链接无效或已过期，请重新生成 / the sign-in link is invalid or expired: make a new one",
            "signin_link_invalid",
        ) from exc
    jti, subject, tenant = claims["jti"], claims["sub"], claims.get("tenant")
    named = isinstance(tenant, str) and bool(tenant)
    if (
        role not in LINK_ROLES
        or not isinstance(jti, str)
        or not isinstance(subject, str)
        or (role in TENANT_ROLES) != named
    ):
        raise Unauthorized("登录链接无效 / the sign-in link is invalid", "signin_link_invalid")
    return SignInClaims(
        jti=jti,
        role=role,
        subject=subject,
        expires_at=datetime.fromtimestamp(int(claims["exp"]), tz=UTC),
        tenant=tenant if named else None,
    )


def allow(principal: Principal, *roles: Role, scope: str | None = None) -> None:
    """Every endpoint names the roles that may call it; anyone else gets 403.

    ``scope``: what an organisation's token must have been granted for this endpoint (RFC 6749 §3.3;
    a client may ask ``/oauth/token`` for fewer scopes). Other roles' tokens carry one fixed scope.
    """
    if principal.role not in roles:
        raise Forbidden()
    if scope is not None and principal.role is Role.ORGANISATION and scope not in principal.scopes:
        raise Forbidden(
            f"访问令牌未获授权“{scope}”，请申请包含该范围的令牌 / the token's scope does not include "
            f"{scope}: ask for a token with it",
            "insufficient_scope",
        )
