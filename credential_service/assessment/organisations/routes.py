"""Evaluation organisations' API: registration (administrators), the public endorsement and
occupation catalogue, and the OAuth 2 token endpoint for organisations' scripts.

An organisation's token names its code as tenant: it may read its own registration only
(another organisation's is simply not found).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Header, Query, Request

from credential_service.assessment.occupations import service as occupations_service
from credential_service.assessment.occupations.schemas import OccupationList
from credential_service.assessment.organisations import clients, service
from credential_service.assessment.organisations.rules import OrganisationStatus
from credential_service.assessment.organisations.schemas import (
    OrganisationCreate,
    OrganisationList,
    OrganisationOut,
    ScopeReplace,
    StatusChange,
)
from credential_service.identity.clients.errors import OAuthError
from credential_service.identity.clients.oauth import TokenRequest
from credential_service.identity.clients.rules import TOKEN_PATH
from credential_service.identity.clients.schemas import (
    ClientCreate,
    ClientCreated,
    ClientKeyCreate,
    ClientKeyList,
    ClientKeyOut,
    ClientList,
    ClientOut,
    TokenAnswer,
)
from credential_service.platform.tokens import Role, allow
from credential_service.web.http import JSON, MAX_OFFSET, CurrentPrincipal, RuntimeDep, rate_limit
from credential_service.web.openapi import answer

router = APIRouter(tags=["organisations"])
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no or bad access token"},
    403: {"description": "not allowed for this role"},
    404: {"description": "no such organisation (or not yours)"},
    409: {"description": "already registered, or the organisation has exited"},
    422: {"description": "every problem, by field (nothing was changed)"},
}
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}  # RFC 6749 §5.1


# --- registration (administrators; auditors read) ---


@router.post(
    "/api/v1/organisations",
    status_code=201,
    responses={201: {"model": OrganisationOut}, **ERRORS},
    summary="Register (备案) an evaluation organisation with its scope; creates its did:web and key",
)
def register_organisation(body: OrganisationCreate, principal: CurrentPrincipal, runtime: RuntimeDep) -> JSON:
    allow(principal, Role.ADMIN)
    with runtime.session() as session:
        registered = service.register_organisation(
            session,
            runtime.keystore,
            runtime.settings,
            org_type=body.org_type,
            credit_code=body.credit_code,
            name=body.name,
            mohrss_code=body.mohrss_code,
            site_serial=body.site_serial,
            scope=service.scope_inputs(body.scope),
            actor=principal.subject,
        )
        return JSON(registered.model_dump(mode="json"), status_code=201)


@router.get(
    "/api/v1/organisations",
    responses={200: {"model": OrganisationList}, **ERRORS},
    summary="Registered evaluation organisations",
)
def list_organisations(
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    status: OrganisationStatus | None = None,
    q: Annotated[str | None, Query(max_length=100, description="part of the name or a code")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> JSON:
    allow(principal, Role.ADMIN, Role.AUDITOR)
    with runtime.read_session() as session:
        listing = service.list_organisations(
            session,
            public_base_url=runtime.settings.public_base_url,
            status=status,
            q=q,
            limit=limit,
            offset=offset,
        )
        return JSON(listing.model_dump(mode="json"))


@router.get(
    "/api/v1/organisations/{code}",
    responses={200: {"model": OrganisationOut}, **ERRORS},
    summary="One organisation: scope, status history, DID and endorsement (an organisation: its own only)",
)
def get_organisation(code: str, principal: CurrentPrincipal, runtime: RuntimeDep) -> JSON:
    allow(principal, Role.ADMIN, Role.AUDITOR, Role.ORGANISATION)
    tenant = (principal.tenant or "") if principal.role is Role.ORGANISATION else None
    with runtime.read_session() as session:
        found = service.describe_organisation(
            session, code, public_base_url=runtime.settings.public_base_url, tenant=tenant
        )
        return JSON(found.model_dump(mode="json"))


@router.put(
    "/api/v1/organisations/{code}/status",
    responses={200: {"model": OrganisationOut}, **ERRORS},
    summary="Suspend, reinstate or exit (final) an organisation; signs a new endorsement",
)
def change_status(code: str, body: StatusChange, principal: CurrentPrincipal, runtime: RuntimeDep) -> JSON:
    allow(principal, Role.ADMIN)
    with runtime.session() as session:
        changed = service.change_status(
            session,
            runtime.keystore,
            runtime.settings,
            code,
            body.status,
            reason=body.reason,
            actor=principal.subject,
        )
        return JSON(changed.model_dump(mode="json"))


@router.put(
    "/api/v1/organisations/{code}/scope",
    responses={200: {"model": OrganisationOut}, **ERRORS},
    summary="Replace an organisation's scope; signs a new endorsement",
)
def replace_scope(code: str, body: ScopeReplace, principal: CurrentPrincipal, runtime: RuntimeDep) -> JSON:
    allow(principal, Role.ADMIN)
    with runtime.session() as session:
        changed = service.replace_scope(
            session,
            runtime.keystore,
            runtime.settings,
            code,
            service.scope_inputs(body.scope),
            actor=principal.subject,
        )
        return JSON(changed.model_dump(mode="json"))


@router.post(
    "/api/v1/organisations/{code}/clients",
    status_code=201,
    responses={201: {"model": ClientCreated}, **ERRORS},
    summary="Create OAuth 2 client credentials (the secret is shown this once)",
)
def create_client(code: str, body: ClientCreate, principal: CurrentPrincipal, runtime: RuntimeDep) -> JSON:
    allow(principal, Role.ADMIN)
    with runtime.session() as session:
        created = clients.create_client(
            session,
            code,
            body.auth_method,
            public_base_url=runtime.settings.public_base_url,
            actor=principal.subject,
        )
        return JSON(created.model_dump(mode="json"), status_code=201, headers=NO_STORE)


@router.get(
    "/api/v1/organisations/{code}/clients",
    responses={200: {"model": ClientList}, **ERRORS},
    summary="An organisation's client credentials (never the secrets)",
)
def list_clients(code: str, principal: CurrentPrincipal, runtime: RuntimeDep) -> JSON:
    allow(principal, Role.ADMIN, Role.AUDITOR)
    with runtime.read_session() as session:
        return JSON(clients.list_clients(session, code).model_dump(mode="json"))


@router.delete(
    "/api/v1/organisations/{code}/clients/{client_id}",
    responses={200: {"model": ClientOut}, **ERRORS},
    summary="Revoke client credentials",
)
def revoke_client(code: str, client_id: str, principal: CurrentPrincipal, runtime: RuntimeDep) -> JSON:
    allow(principal, Role.ADMIN)
    with runtime.session() as session:
        revoked = clients.revoke_client(session, code, client_id, actor=principal.subject)
        return JSON(revoked.model_dump(mode="json"))


@router.post(
    "/api/v1/organisations/{code}/client-keys",
    status_code=201,
    responses={201: {"model": ClientKeyOut}, **ERRORS},
    summary="Register a public key the organisation holds itself (Ed25519 JWK or Multikey z6Mk…)",
    description="The key then signs the organisation's private_key_jwt assertions and the detached "
    "content signatures (X-Content-Signature) of its result sheets. Only the public key is sent.",
)
def add_client_key(
    code: str, body: ClientKeyCreate, principal: CurrentPrincipal, runtime: RuntimeDep
) -> JSON:
    allow(principal, Role.ADMIN)
    with runtime.session() as session:
        added = clients.register_client_key(
            session,
            code,
            jwk=body.jwk,
            public_key_multibase=body.public_key_multibase,
            kid=body.kid,
            actor=principal.subject,
        )
        return JSON(added.model_dump(mode="json"), status_code=201)


@router.get(
    "/api/v1/organisations/{code}/client-keys",
    responses={200: {"model": ClientKeyList}, **ERRORS},
    summary="An organisation's own public keys, revoked ones included",
)
def list_client_keys(code: str, principal: CurrentPrincipal, runtime: RuntimeDep) -> JSON:
    allow(principal, Role.ADMIN, Role.AUDITOR)
    with runtime.read_session() as session:
        return JSON(clients.list_client_keys(session, code).model_dump(mode="json"))


@router.delete(
    "/api/v1/organisations/{code}/client-keys/{kid}",
    responses={200: {"model": ClientKeyOut}, **ERRORS},
    summary="Revoke an organisation's own public key (it no longer authenticates or signs sheets)",
)
def revoke_client_key(
    code: str,
    kid: str,
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    reason: Annotated[str | None, Query(max_length=500, description="why (kept with the key)")] = None,
) -> JSON:
    allow(principal, Role.ADMIN)
    with runtime.session() as session:
        revoked = clients.revoke_client_key(session, code, kid, actor=principal.subject, reason=reason)
        return JSON(revoked.model_dump(mode="json"))


# --- public ---


@router.get(
    "/orgs/{code}/endorsement.json",
    summary="The platform-signed endorsement (OB 3.0 EndorsementCredential) of a registration (备案)",
    responses={
        200: answer("the signed EndorsementCredential", "application/vc+ld+json"),
        404: {"description": "no such organisation or version"},
    },
)
def endorsement(
    code: str,
    runtime: RuntimeDep,
    version: Annotated[
        int | None, Query(ge=1, le=MAX_OFFSET, description="an earlier version; the newest without")
    ] = None,
) -> JSON:
    with runtime.read_session() as session:
        signed = service.endorsement(session, code, version)
    cache = "public, max-age=86400, immutable" if version else "public, max-age=60"
    return JSON(signed, media_type="application/vc+ld+json", headers={"Cache-Control": cache})


@router.get(
    "/api/v1/occupations",
    responses={200: {"model": OccupationList}},
    summary="The occupation catalogue (职业分类大典): search by name or 工种 (q) and code prefix",
)
def occupations(
    runtime: RuntimeDep,
    q: Annotated[str | None, Query(max_length=100, description="part of the name, 工种 or code")] = None,
    code: Annotated[str | None, Query(max_length=10, description="a code or its start, e.g. 6-18")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> JSON:
    with runtime.read_session() as session:
        listing = occupations_service.search_occupations(session, q=q, code=code, limit=limit, offset=offset)
        return JSON(listing.model_dump(mode="json"), headers={"Cache-Control": "public, max-age=300"})


# --- OAuth 2 token endpoint (organisations) ---

# Swagger UI fills the form in from the fields' examples: client credentials as
# POST /api/v1/organisations/{code}/clients answers them (a secret's shape), nothing for private_key_jwt.
PrivateKeyJwtForm = Annotated[str | None, Form(examples=[""], description="private_key_jwt only")]

OAUTH_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
}


@router.post(
    TOKEN_PATH,
    responses={
        200: {"model": TokenAnswer},
        400: answer(
            "RFC 6749 §5.2 error JSON (invalid_request, invalid_client, …)", "application/json", OAUTH_ERROR
        ),
        401: answer("invalid_client after HTTP Basic authentication", "application/json", OAUTH_ERROR),
        429: {"description": "too many token requests from this client: see Retry-After"},
    },
    summary="OAuth 2 client credentials (secret or private_key_jwt) → a short-lived organisation token",
)
def token(
    http_request: Request,
    runtime: RuntimeDep,
    grant_type: Annotated[str | None, Form(examples=["client_credentials"])] = None,
    scope: Annotated[str | None, Form(examples=["plans results certificates"])] = None,
    client_id: Annotated[str | None, Form(examples=["Y000014010001-3f9a1c2b7d4e"])] = None,
    client_secret: Annotated[
        str | None, Form(examples=["Jt3Qm8vXw2cLrPqaN5bZk9sH4dE7fG1yU6iOj2pR8tV"])
    ] = None,
    client_assertion_type: PrivateKeyJwtForm = None,
    client_assertion: PrivateKeyJwtForm = None,
    authorization: Annotated[str | None, Header()] = None,
) -> JSON:
    rate_limit(runtime.signin_limiter, http_request)
    request = TokenRequest(
        grant_type=grant_type,
        scope=scope,
        client_id=client_id,
        client_secret=client_secret,
        client_assertion_type=client_assertion_type,
        client_assertion=client_assertion,
        authorization=authorization,
    )
    try:
        with runtime.session() as session:  # an error rolls back, so a refused jti stays unused
            answer = clients.issue_client_token(session, runtime.keystore, runtime.settings, request)
    except OAuthError as exc:
        headers = dict(NO_STORE)
        if exc.basic_challenge:
            headers["WWW-Authenticate"] = 'Basic realm="credential-service", charset="UTF-8"'
        return JSON(exc.body(), status_code=exc.status, headers=headers)
    return JSON(answer.model_dump(), headers=NO_STORE)
