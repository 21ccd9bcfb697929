"""Sign-in of an organisation's staff (with its client credentials), and who is signed in (``OrgStaff``)
for the organisation's workflow pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from credential_service.assessment.organisations import clients
from credential_service.identity.clients.errors import OAuthError
from credential_service.identity.clients.oauth import TokenRequest
from credential_service.platform.tokens import Role
from credential_service.web.http import (
    RuntimeDep,
    check_form_csrf,
    rate_limit,
    session_started,
)
from credential_service.web.sessions import PageSession, pre_session_form, sign_out, signed_in

router = APIRouter(include_in_schema=False)


OrgStaff = Annotated[PageSession, Depends(signed_in(Role.ORGANISATION, signin_path="/org/signin"))]


@router.get("/org/signin")
def org_signin(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    return pre_session_form(request, runtime, "org_signin.html", {"title": "评价机构登录"})


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
        return pre_session_form(request, runtime, "org_signin.html", context, status=401)
    return session_started(
        "/org",
        answer.access_token,
        max_age=answer.expires_in,
        public_base_url=runtime.settings.public_base_url,
    )


@router.post("/org/signout")
def org_signout(
    request: Request, runtime: RuntimeDep, csrf: Annotated[str, Form(max_length=64)] = ""
) -> Response:
    return sign_out(request, runtime, csrf, Role.ORGANISATION, signin_path="/org/signin")
