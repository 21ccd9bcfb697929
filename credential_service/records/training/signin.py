"""A training institution's officer signs in to the pages with a one-time link from the command line
(``credential-service token institution CODE --link``), as administrators do: the link opens
``/institution/signin?token=…``, its form posts the token back once, and the officer gets a
15-minute session for that institution. Institutions have no client credentials (decision 026).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from credential_service.audit import service as audit
from credential_service.core.clock import utcnow
from credential_service.core.config import Settings
from credential_service.core.errors import Unauthorized
from credential_service.crypto.keystore import FileKeyStore
from credential_service.identity.signin import staff as links
from credential_service.platform.tokens import INSTITUTION_SCOPES, Principal, Role, mint_token
from credential_service.records.training.errors import InstitutionNotActive
from credential_service.records.training.institutions import find_institution
from credential_service.records.training.rules import InstitutionStatus
from credential_service.records.training.service import tenant

SIGNIN_PATH = "/institution/signin"


def institution_subject(credit_code: str) -> str:
    """Who the audit trail names for the institution's scripts and officers."""
    return f"institution:{credit_code}"


def signin_link(
    session: Session,
    keystore: FileKeyStore,
    settings: Settings,
    credit_code: str,
    *,
    now: datetime | None = None,
) -> str:
    """A one-time sign-in URL for an officer of a registered institution (a suspended one may still
    look at its classes; a closed one gets no link). Raises InstitutionNotRegistered, InstitutionNotActive."""
    institution = tenant(session, credit_code)
    if institution.status == InstitutionStatus.CLOSED:
        raise InstitutionNotActive(institution.status)
    code = institution.credit_code
    return links.link_for(
        keystore,
        settings,
        path=SIGNIN_PATH,
        role=Role.INSTITUTION,
        subject=institution_subject(code),
        tenant=code,
        now=now,
    )


def redeem_signin_link(
    session: Session, keystore: FileKeyStore, settings: Settings, token: str, *, now: datetime | None = None
) -> links.StaffSession:
    """Exchange an institution's sign-in link, once, for a short-lived access token of the institution.

    Raises Unauthorized for a forged, expired or already used link, or one whose institution has
    been closed since (nothing is recorded then).
    """
    now = now or utcnow()
    claims = links.spend_link(
        session, keystore, settings, token, path=SIGNIN_PATH, roles=frozenset({Role.INSTITUTION}), now=now
    )
    institution = find_institution(session, claims.tenant or "")
    if institution is None or institution.status == InstitutionStatus.CLOSED:
        raise Unauthorized(
            "该机构已不在培训机构目录中，不能登录 / the institution is no longer registered",
            "signin_link_invalid",
        )
    audit.record(
        session,
        actor=claims.subject,
        action="institution.sign_in",
        subject=institution_subject(institution.credit_code),
        detail={"link": claims.jti},
    )
    code = institution.credit_code
    principal = Principal(Role.INSTITUTION, claims.subject, INSTITUTION_SCOPES, tenant=code)
    base = settings.public_base_url
    minutes = links.SESSION_MINUTES
    access = mint_token(keystore, issuer=base, audience=base, principal=principal, minutes=minutes, now=now)
    return links.StaffSession(access, minutes * 60, principal)
