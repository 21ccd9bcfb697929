"""Organisations' side of OAuth 2: their clients and own keys (kept by ``identity.clients``, checked
here against the registry), the client-credentials grant at ``POST /oauth/token``, and the standing
of an organisation's token on every request.

These stay in assessment because each needs the registry: an organisation that has exited gets no
new client or key, a suspended one no token, and a ``private_key_jwt`` assertion may be signed with
the organisation's DID key, which the issuers hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from credential_service.assessment.organisations.errors import OrganisationExited, OrganisationNotActive
from credential_service.assessment.organisations.models import Organisation
from credential_service.assessment.organisations.rules import STATUS_NAMES, OrganisationStatus
from credential_service.assessment.organisations.service import get_organisation
from credential_service.core.clock import utcnow
from credential_service.core.config import Settings
from credential_service.core.errors import Unauthorized
from credential_service.crypto.keystore import FileKeyStore
from credential_service.identity.clients import service as clients
from credential_service.identity.clients.errors import OAuthError, bad_client
from credential_service.identity.clients.models import ClientAuthMethod, OrganisationClient
from credential_service.identity.clients.oauth import TokenRequest, authenticate_client
from credential_service.identity.clients.rules import CLIENT_SUBJECT, token_endpoint
from credential_service.identity.clients.schemas import (
    ClientCreated,
    ClientKeyList,
    ClientKeyOut,
    ClientList,
    ClientOut,
    TokenAnswer,
)
from credential_service.issuers import service as issuers
from credential_service.issuers.errors import NoUsableKey
from credential_service.issuers.models import Issuer, IssuerKey
from credential_service.platform.tokens import Principal, Role, mint_token

ORGANISATION_SCOPES = frozenset({"plans", "results", "certificates"})


def _owner(session: Session, code: str, *, open_only: bool = False) -> clients.ClientOwner:
    """The registered organisation ``code`` as the owner of clients and keys; with ``open_only``,
    one that has not exited. Raises OrganisationNotFound, OrganisationExited."""
    organisation = get_organisation(session, code)
    if open_only and organisation.status == OrganisationStatus.EXITED:
        raise OrganisationExited()
    return clients.ClientOwner(organisation.id, organisation.code)


def create_client(
    session: Session,
    code: str,
    auth_method: ClientAuthMethod,
    *,
    public_base_url: str,
    actor: str,
    now: datetime | None = None,
) -> ClientCreated:
    """New client credentials (a secret is shown this once). Raises OrganisationNotFound,
    OrganisationExited."""
    owner = _owner(session, code, open_only=True)
    return clients.create_client(
        session, owner, auth_method, public_base_url=public_base_url, actor=actor, now=now
    )


def list_clients(session: Session, code: str) -> ClientList:
    return clients.list_clients(session, _owner(session, code))


def revoke_client(
    session: Session, code: str, client_id: str, *, actor: str, now: datetime | None = None
) -> ClientOut:
    """Revoke client credentials. Raises OrganisationNotFound, ClientNotFound."""
    return clients.revoke_client(session, _owner(session, code), client_id, actor=actor, now=now)


def register_client_key(
    session: Session,
    code: str,
    *,
    jwk: Mapping[str, Any] | None = None,
    public_key_multibase: str | None = None,
    kid: str | None = None,
    actor: str,
    now: datetime | None = None,
) -> ClientKeyOut:
    """Register an organisation-held public key. Raises OrganisationNotFound, OrganisationExited,
    and what ``identity.clients.service.register_client_key`` raises."""
    owner = _owner(session, code, open_only=True)
    return clients.register_client_key(
        session, owner, jwk=jwk, public_key_multibase=public_key_multibase, kid=kid, actor=actor, now=now
    )


def list_client_keys(session: Session, code: str) -> ClientKeyList:
    """Every key ever registered for the organisation (revoked ones too), oldest first."""
    return clients.list_client_keys(session, _owner(session, code))


def revoke_client_key(
    session: Session,
    code: str,
    kid: str,
    *,
    actor: str,
    reason: str | None = None,
    now: datetime | None = None,
) -> ClientKeyOut:
    """Revoke an organisation-held key. Raises OrganisationNotFound, ClientKeyNotFound."""
    owner = _owner(session, code)
    return clients.revoke_client_key(session, owner, kid, actor=actor, reason=reason, now=now)


def _assertion_key(issuer: Issuer, kid: object) -> IssuerKey:
    """The organisation's key named by ``kid`` (full DID URL or fragment), else its current key.

    Only a key that may still sign counts: retired and compromised keys are refused.
    """
    if kid is None:
        return issuers.active_key(issuer)
    for key in issuer.keys:
        if str(kid) in (key.verification_method, key.fragment, f"#{key.fragment}"):
            if issuers.lifecycle(key).usable_for_signing:
                return key
            break
    raise bad_client(
        "断言所用密钥不是机构当前的密钥",
        "the assertion key is not a current key of the organisation",
        basic=False,
    )


def _did_key(session: Session, organisation_id: int, kid: object) -> str | None:
    """The organisation's DID key an assertion names (``oauth.DidKey``); None when it has none usable."""
    organisation = session.get_one(Organisation, organisation_id)
    issuer = session.get_one(Issuer, organisation.issuer_id)
    try:
        return _assertion_key(issuer, kid).public_key_multibase
    except NoUsableKey:
        return None


def issue_client_token(
    session: Session,
    keystore: FileKeyStore,
    settings: Settings,
    request: TokenRequest,
    *,
    now: datetime | None = None,
) -> TokenAnswer:
    """The client-credentials grant (RFC 6749 §4.4): a short-lived organisation token.

    Raises OAuthError: invalid_request, unsupported_grant_type, invalid_client (also when the
    organisation is suspended or has exited), invalid_scope.
    """
    now = now or utcnow()
    if not request.grant_type:
        raise OAuthError("invalid_request", "缺少 grant_type", "grant_type is required")
    if request.grant_type != "client_credentials":
        raise OAuthError(
            "unsupported_grant_type",
            "只支持 client_credentials",
            "only grant_type=client_credentials is supported",
        )
    audience = token_endpoint(settings.public_base_url)
    client = authenticate_client(session, request, audience=audience, now=now, did_key=_did_key)
    organisation = session.get_one(Organisation, client.organisation_id)
    if organisation.status != OrganisationStatus.ACTIVE:
        raise bad_client(
            f"机构状态为“{STATUS_NAMES.get(organisation.status, organisation.status)}”，"
            "不能取得访问令牌，请联系人社部门",
            f"the organisation is {organisation.status}: no tokens",
            basic=request.authorization is not None,
        )
    requested = frozenset((request.scope or "").split()) or ORGANISATION_SCOPES
    if not requested <= ORGANISATION_SCOPES:
        raise OAuthError(
            "invalid_scope",
            f"可申请的范围：{' '.join(sorted(ORGANISATION_SCOPES))}",
            f"allowed scopes: {' '.join(sorted(ORGANISATION_SCOPES))}",
        )
    minutes = settings.access_token_minutes
    principal = Principal(
        Role.ORGANISATION, f"{CLIENT_SUBJECT}{client.client_id}", requested, tenant=organisation.code
    )
    base = settings.public_base_url
    token = mint_token(keystore, issuer=base, audience=base, principal=principal, minutes=minutes, now=now)
    return TokenAnswer(access_token=token, expires_in=minutes * 60, scope=" ".join(sorted(requested)))


def check_standing(session: Session, principal: Principal) -> None:
    """An organisation's token works only while its client is not revoked and the organisation is
    active, checked on every request (one indexed read): a revocation or a suspension takes effect
    at once, not when the token runs out (docs/decisions/021-edges.md). A token minted by the CLI
    (subject ``org:``) names no client; only the organisation's status is checked then.

    Raises Unauthorized for a revoked or unknown client, Forbidden for a suspended or exited organisation.
    """
    client_id = principal.subject.removeprefix(CLIENT_SUBJECT)
    named_client = client_id != principal.subject
    found = session.execute(
        select(Organisation.status, OrganisationClient.revoked_at, OrganisationClient.id)
        .select_from(Organisation)
        .outerjoin(
            OrganisationClient,
            (OrganisationClient.organisation_id == Organisation.id)
            & (OrganisationClient.client_id == client_id),
        )
        .where(Organisation.code == principal.tenant)
    ).first()
    if named_client and (found is None or found.id is None or found.revoked_at is not None):
        raise Unauthorized(
            "客户端已吊销，访问令牌不再有效 / the client was revoked: its tokens no longer work",
            "client_revoked",
        )
    if found is not None and found.status != OrganisationStatus.ACTIVE:
        raise OrganisationNotActive(
            f"机构状态为“{STATUS_NAMES.get(found.status, found.status)}”，访问令牌已停用，请联系人社部门"
            f" / the organisation is {found.status}: its tokens no longer work"
        )
