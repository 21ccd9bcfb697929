"""Worker sign-in (assertion → access token) and the audited staff reveal of an ID number."""

from __future__ import annotations

from fastapi import APIRouter, Request

from credential_service.identity import service
from credential_service.identity.schemas import AssertionRequest, RevealRequest, TokenResponse
from credential_service.platform.tokens import Role, allow
from credential_service.web.http import JSON, CurrentPrincipal, RuntimeDep, rate_limit

router = APIRouter(tags=["sign-in"])


@router.post(
    "/api/v1/auth/assertion",
    response_model=TokenResponse,
    summary="Exchange the identity provider's signed assertion for a worker access token",
    responses={
        401: {"description": "forged, expired or unknown assertion"},
        422: {"description": "bad fields"},
        429: {"description": "too many sign-in attempts from this client: see Retry-After"},
    },
)
def exchange_assertion(body: AssertionRequest, request: Request, runtime: RuntimeDep) -> JSON:
    rate_limit(runtime.signin_limiter, request)
    with runtime.session() as session:
        signed_in = service.sign_in_worker(session, runtime.keystore, runtime.settings, body.assertion)
    return JSON(
        TokenResponse(access_token=signed_in.access_token, expires_in=signed_in.expires_in).model_dump()
    )


@router.post(
    "/api/v1/admin/persons/{person_id}/reveal-id-number",
    summary="Read a person's clear ID number (administrators and auditors; the reason is audited)",
    responses={403: {"description": "not staff"}, 404: {"description": "no such person"}},
)
def reveal(person_id: str, body: RevealRequest, principal: CurrentPrincipal, runtime: RuntimeDep) -> JSON:
    allow(principal, Role.ADMIN, Role.AUDITOR)
    with runtime.session() as session:
        number = service.reveal_id_number(
            session, runtime.settings.data_key_bytes, person_id, actor=principal.subject, reason=body.reason
        )
    return JSON({"id_number": number}, headers={"Cache-Control": "no-store"})
