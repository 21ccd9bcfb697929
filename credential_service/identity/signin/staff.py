"""Administrators' and auditors' sign-in for the pages: a one-time link from the command line.
Training institutions' officers sign in the same way (``link_for`` and ``spend_link`` with their
own page, in ``records.training.signin``).

There is no password table. ``credential-service token admin --link`` (or ``token auditor --link``)
prints ``{public_base_url}/admin/signin?token=…``: a 5-minute, single-use token for the sign-in page
(its own audience, so it is no access token). The page's form posts it back; ``redeem_signin_link``
records its ``jti`` (a second use is refused, even by a racing request), writes the sign-in to the
audit trail and answers with a 15-minute access token for the session cookie.
See docs/decisions/018-staff-sign-in-and-pages.md.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from credential_service.audit import service as audit
from credential_service.core.clock import utcnow
from credential_service.core.config import Settings
from credential_service.core.errors import FieldError, InvalidInput, Unauthorized
from credential_service.crypto.keystore import FileKeyStore
from credential_service.identity.signin.models import UsedSignInLink
from credential_service.platform.tokens import (
    STAFF_ROLES,
    STAFF_SCOPES,
    Principal,
    Role,
    SignInClaims,
    mint_signin_token,
    mint_token,
    read_signin_token,
)

SIGNIN_PATH = "/admin/signin"
LINK_MINUTES = 5  # long enough to open the link, short enough that a leaked one is soon useless
SESSION_MINUTES = 15
_STAFF_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")


@dataclass(frozen=True)
class StaffSession:
    access_token: str
    expires_in: int  # seconds
    principal: Principal


def signin_audience(public_base_url: str, path: str = SIGNIN_PATH) -> str:
    """The audience of sign-in link tokens: the sign-in page, never the API's base URL (so a link
    for one sign-in page is refused by another)."""
    return public_base_url.rstrip("/") + path


def staff_subject(role: Role, name: str) -> str:
    """``admin:wang`` / ``auditor:li``: who the audit trail names. Raises InvalidInput for a bad name."""
    if role not in STAFF_ROLES:
        raise InvalidInput("只有管理员和审计员使用登录链接 / sign-in links are for staff only")
    if not _STAFF_NAME.match(name):
        raise InvalidInput(
            "姓名标识应为 1–40 个字母、数字或 . _ - / the name is 1-40 letters, digits, '.', '_' or '-'",
            [FieldError("--name", name[:40])],
        )
    return f"{role.value}:{name}"


def signin_link(
    keystore: FileKeyStore, settings: Settings, role: Role, name: str, *, now: datetime | None = None
) -> str:
    """A one-time sign-in URL for an administrator or auditor, valid for ``LINK_MINUTES``."""
    subject = staff_subject(role, name)
    return link_for(keystore, settings, path=SIGNIN_PATH, role=role, subject=subject, now=now)


def link_for(
    keystore: FileKeyStore,
    settings: Settings,
    *,
    path: str,
    role: Role,
    subject: str,
    tenant: str | None = None,
    now: datetime | None = None,
) -> str:
    """A one-time sign-in URL for the sign-in page at ``path``, valid for ``LINK_MINUTES``."""
    base = settings.public_base_url
    token = mint_signin_token(
        keystore,
        issuer=base,
        audience=signin_audience(base, path),
        role=role,
        subject=subject,
        jti=secrets.token_urlsafe(24),
        minutes=LINK_MINUTES,
        tenant=tenant,
        now=now,
    )
    return f"{base.rstrip('/')}{path}?token={token}"


def redeem_signin_link(
    session: Session, keystore: FileKeyStore, settings: Settings, token: str, *, now: datetime | None = None
) -> StaffSession:
    """Exchange a sign-in link's token, once, for a short-lived staff access token.

    Raises Unauthorized for a forged, expired or already used link (nothing is recorded then).
    """
    now = now or utcnow()
    claims = spend_link(session, keystore, settings, token, path=SIGNIN_PATH, roles=STAFF_ROLES, now=now)
    audit.record(
        session,
        actor=claims.subject,
        action="staff.sign_in",
        subject=claims.subject,
        detail={"role": claims.role.value, "link": claims.jti},
    )
    principal = Principal(claims.role, claims.subject, STAFF_SCOPES[claims.role])
    base = settings.public_base_url
    access = mint_token(
        keystore, issuer=base, audience=base, principal=principal, minutes=SESSION_MINUTES, now=now
    )
    return StaffSession(access, SESSION_MINUTES * 60, principal)


def spend_link(
    session: Session,
    keystore: FileKeyStore,
    settings: Settings,
    token: str,
    *,
    path: str,
    roles: frozenset[Role],
    now: datetime,
) -> SignInClaims:
    """The claims of a valid link for the sign-in page at ``path`` and one of ``roles``, recorded as
    used. Raises Unauthorized for a forged, expired, misdirected or already used link."""
    base = settings.public_base_url
    claims = read_signin_token(keystore, token, issuer=base, audience=signin_audience(base, path))
    if claims.role not in roles:
        raise Unauthorized("登录链接无效 / the sign-in link is invalid", "signin_link_invalid")
    used = Unauthorized(
        "该登录链接已使用过，请重新生成 / this sign-in link was already used: make a new one",
        "signin_link_used",
    )
    if session.scalar(select(UsedSignInLink.jti).where(UsedSignInLink.jti == claims.jti)) is not None:
        raise used
    session.add(
        UsedSignInLink(jti=claims.jti, subject=claims.subject, used_at=now, expires_at=claims.expires_at)
    )
    try:
        session.flush()  # a racing second use fails here (PostgreSQL) or waited for ours (SQLite)
    except IntegrityError:
        raise used from None
    # Expired links are refused by their expiry already: their jti need not be kept.
    session.execute(delete(UsedSignInLink).where(UsedSignInLink.expires_at < now))
    return claims
