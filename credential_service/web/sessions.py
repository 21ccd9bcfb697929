"""Signed-in pages, one way for every kind of user: who is signed in (or a redirect to the sign-in
page), signing out, and the pre-session forms (sign-in, objections) with their CSRF cookie."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from credential_service.core.errors import Forbidden, ServiceError
from credential_service.platform.runtime import Platform
from credential_service.platform.tokens import TENANT_ROLES, Principal, Role
from credential_service.web.http import (
    SESSION_COOKIE,
    check_csrf,
    check_form_csrf,
    csrf_token,
    form_csrf_token,
    form_nonce,
    get_runtime,
    keep_form_nonce,
    rate_limit,
    session_principal,
    session_started,
)
from credential_service.web.templating import render


@dataclass(frozen=True)
class PageSession:
    """The signed-in user of a page request and the session token its forms are bound to."""

    principal: Principal
    token: str

    @property
    def tenant(self) -> str:
        """The organisation code, institution credit code or person id (tenant roles only)."""
        return self.principal.tenant or ""

    @property
    def csrf(self) -> str:
        return csrf_token(self.token)


class SignInRequired(Exception):
    """Answered with a redirect to ``signin_path`` (the app's handler): the page needs a session."""

    def __init__(self, signin_path: str) -> None:
        super().__init__(signin_path)
        self.signin_path = signin_path


def signed_in(*roles: Role, signin_path: str) -> Callable[[Request], PageSession]:
    """A dependency giving the page's signed-in user with one of ``roles`` (a tenant role must carry
    its tenant), or sending the browser to ``signin_path``."""

    def dependency(request: Request) -> PageSession:
        found = current_session(request, get_runtime(request), *roles)
        if found is None:
            raise SignInRequired(signin_path)
        return found

    return dependency


def current_session(request: Request, runtime: Platform, *roles: Role) -> PageSession | None:
    found = session_principal(request, runtime)
    if found is None or found[0].role not in roles:
        return None
    if found[0].role in TENANT_ROLES and not found[0].tenant:
        return None
    return PageSession(*found)


def to_signin(signin_path: str) -> RedirectResponse:
    return RedirectResponse(signin_path, status_code=303)


def sign_out(request: Request, runtime: Platform, csrf: str, *roles: Role, signin_path: str) -> Response:
    """End the page session (its form must carry the session's CSRF token) and go to sign-in."""
    found = current_session(request, runtime, *roles)
    if found is not None:
        check_csrf(found.token, csrf)
    response = to_signin(signin_path)
    response.delete_cookie(SESSION_COOKIE)
    return response


def pre_session_form(
    request: Request, runtime: Platform, template: str, context: dict[str, Any], *, status: int = 200
) -> HTMLResponse:
    """A page with a form posted before any session (sign-in, objection): its CSRF token and cookie."""
    nonce = form_nonce(request)
    response = render(
        request, template, {**context, "form_csrf": form_csrf_token(runtime, nonce)}, status=status
    )
    keep_form_nonce(response, nonce, public_base_url=runtime.settings.public_base_url)
    return response


# --- one-time sign-in links (staff, training institutions) -----------------------------------------


class LinkSession(Protocol):
    """What redeeming a sign-in link gives: the session's access token and its lifetime."""

    @property
    def access_token(self) -> str: ...
    @property
    def expires_in(self) -> int: ...


@dataclass(frozen=True)
class LinkSignIn:
    """A page a one-time sign-in link opens (its form posts the link's token back) and where it leads."""

    template: str
    title: str
    home: str

    def page(
        self, request: Request, runtime: Platform, token: str, *, error: str | None = None, status: int = 200
    ) -> HTMLResponse:
        context = {"title": self.title, "token": token, "error": error}
        return pre_session_form(request, runtime, self.template, context, status=status)

    def redeem(
        self, request: Request, runtime: Platform, token: str, csrf: str, spend: Callable[[str], LinkSession]
    ) -> Response:
        """Spend the posted token (``spend`` raises a ServiceError for a used, expired or foreign one)
        and start the page session; rate-limited like every sign-in."""
        rate_limit(runtime.signin_limiter, request)
        token = token.strip()
        try:
            check_form_csrf(request, runtime, csrf)
        except Forbidden:
            error = "表单已过期，请重新打开登录链接 / the form expired: open the sign-in link again"
            return self.page(request, runtime, token, error=error, status=403)
        try:
            answer = spend(token)
        except ServiceError as exc:
            return self.page(request, runtime, "", error=exc.message, status=exc.status)
        return session_started(
            self.home,
            answer.access_token,
            max_age=answer.expires_in,
            public_base_url=runtime.settings.public_base_url,
        )
