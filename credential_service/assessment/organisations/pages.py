"""Sign-in of an organisation's staff (with its client credentials), and the page helpers the
organisation's and the public workflow pages share."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from credential_service.assessment.organisations import clients
from credential_service.http import (
    RuntimeDep,
    check_form_csrf,
    form_csrf_token,
    form_nonce,
    keep_form_nonce,
    rate_limit,
    session_tenant,
    start_session,
)
from credential_service.identity.clients.errors import OAuthError
from credential_service.identity.clients.oauth import TokenRequest
from credential_service.identity.tokens import Role
from credential_service.web.templating import render

router = APIRouter(include_in_schema=False)


def staff_of(request: Request, runtime: RuntimeDep) -> tuple[str, str] | None:
    """(organisation code, session token) of a signed-in organisation, or None."""
    return session_tenant(request, runtime, Role.ORGANISATION)


def to_signin() -> RedirectResponse:
    return RedirectResponse("/org/signin", status_code=303)


def with_form_token(
    request: Request, runtime: RuntimeDep, template: str, context: dict[str, Any], *, status: int = 200
) -> HTMLResponse:
    """A page with a form posted before any session (sign-in, objection): its CSRF token and cookie."""
    nonce = form_nonce(request)
    response = render(
        request, template, {**context, "form_csrf": form_csrf_token(runtime, nonce)}, status=status
    )
    keep_form_nonce(response, nonce, public_base_url=runtime.settings.public_base_url)
    return response


@router.get("/org/signin")
def org_signin(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    return with_form_token(request, runtime, "org_signin.html", {"title": "评价机构登录"})


@router.post("/org/signin")
def org_signin_post(
    request: Request,
    runtime: RuntimeDep,
    client_id: Annotated[str, Form(max_length=80)],
    client_secret: Annotated[str, Form(max_length=200)],
    csrf: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    rate_limit(runtime.signin_limiter, request)
    check_form_csrf(request, runtime, csrf)
    try:
        with runtime.session() as session:
            answer = clients.issue_client_token(
                session,
                runtime.keystore,
                runtime.settings,
                TokenRequest(
                    grant_type="client_credentials", client_id=client_id, client_secret=client_secret
                ),
            )
    except OAuthError as exc:
        context = {"title": "评价机构登录", "error": exc.message}
        return with_form_token(request, runtime, "org_signin.html", context, status=401)
    response = RedirectResponse("/org", status_code=303)
    start_session(
        response,
        answer.access_token,
        max_age=answer.expires_in,
        public_base_url=runtime.settings.public_base_url,
    )
    return response
