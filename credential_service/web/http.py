"""HTTP plumbing shared by every part's routes: the platform, the caller, problem responses, limits."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from contextlib import suppress
from typing import Annotated, Any

import orjson
from fastapi import Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from credential_service.core.errors import Forbidden, ServiceError, TooManyRequests, Unauthorized
from credential_service.core.ratelimit import Limiter, client_address
from credential_service.platform.runtime import Platform
from credential_service.platform.tokens import Principal, Role, read_token

PROBLEM = "application/problem+json"
# The furthest a listing may be paged (``offset``): past any real table, and within every database's
# integer range (SQLite refuses integers above 2**63 with an error, not an empty page).
MAX_OFFSET = 10_000_000
# RFC 9457 problem types: stable identifiers (``code`` carries the same name for programs).
PROBLEM_TYPE_PREFIX = "urn:credential-service:problem:"


def get_runtime(request: Request) -> Platform:
    """The running service, as the Protocol every part's routes may use (``platform.runtime``)."""
    runtime: Platform = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Platform, Depends(get_runtime)]


def get_principal(request: Request, runtime: RuntimeDep) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized()
    return _principal(runtime, token.strip())


def _principal(runtime: Platform, token: str) -> Principal:
    """The caller of a valid token; an organisation's token only while its client is not revoked and
    the organisation is active (one indexed read, without the write lock, per request)."""
    settings = runtime.settings
    principal = read_token(
        runtime.keystore, token, issuer=settings.public_base_url, audience=settings.public_base_url
    )
    if principal.role is Role.ORGANISATION:
        with runtime.read_session() as session:
            runtime.check_standing(session, principal)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


class JSON(JSONResponse):
    """orjson bodies (non-ASCII kept as is)."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def private_download(content: bytes, media_type: str, filename: str) -> Response:
    """A file of personal data as a download: never kept by a shared or the browser's cache."""
    return Response(
        content,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def problem(error: ServiceError) -> Response:
    """RFC 9457 problem details, with the field errors when there are any."""
    body: dict[str, Any] = {
        "type": f"{PROBLEM_TYPE_PREFIX}{error.code}",
        "title": error.message,
        "status": error.status,
        "code": error.code,
    }
    if error.errors:
        body["errors"] = [{"loc": e.loc, "reason": e.reason} for e in error.errors]
    headers = {"Retry-After": str(error.retry_after)} if isinstance(error, TooManyRequests) else None
    return Response(orjson.dumps(body), status_code=error.status, media_type=PROBLEM, headers=headers)


class BodySizeLimit:
    """Refuse request bodies above ``limit`` bytes with 413, before anything reads them whole."""

    def __init__(self, app: ASGIApp, limit: int, upload_limit: int | None = None) -> None:
        self.app = app
        self.default_limit = limit
        self.upload_limit = upload_limit or limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # File uploads (result sheets) stream to disk, so they may be larger than JSON bodies.
        limit = self.upload_limit if str(scope.get("path", "")).endswith("/upload") else self.default_limit
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self._refuse(send, limit)
            return
        seen, exceeded, started = 0, False, False

        async def limited_receive() -> Message:
            nonlocal seen, exceeded
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    exceeded = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            # A body without Content-Length is cut short while the route reads it; the framework may
            # turn that into its own answer (FastAPI: 400 "error parsing the body"): 413 replaces it.
            nonlocal started
            if not exceeded:
                started = started or message["type"] == "http.response.start"
                await send(message)

        with suppress(_BodyTooLarge):
            await self.app(scope, limited_receive, guarded_send)
        if exceeded and not started:
            await self._refuse(send, limit)

    async def _refuse(self, send: Send, limit: int) -> None:
        body = orjson.dumps(
            {
                "type": f"{PROBLEM_TYPE_PREFIX}body_too_large",
                "title": f"请求内容过大（上限 {limit} 字节）/ body larger than {limit} bytes",
                "status": 413,
                "code": "body_too_large",
            }
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", PROBLEM.encode()),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class _BodyTooLarge(Exception):
    pass


SESSION_COOKIE = "cs_session"


def session_principal(request: Request, runtime: Platform) -> tuple[Principal, str] | None:
    """The signed-in worker of a page request (cookie), with the session token; None if absent or expired."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        principal = _principal(runtime, token)
    except (Unauthorized, Forbidden):
        return None
    return principal, token


def session_started(to: str, token: str, *, max_age: int, public_base_url: str) -> RedirectResponse:
    """A redirect to the signed-in page ``to``, keeping the page session's access token in an
    HttpOnly, SameSite=Lax cookie (Secure over https)."""
    response = RedirectResponse(to, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=public_base_url.startswith("https://"),
    )
    return response


def csrf_token(session_token: str) -> str:
    """Bound to the session: a page from another site cannot know it (double submit of a derived value)."""
    return hashlib.sha256(b"csrf:" + session_token.encode()).hexdigest()[:32]


def check_csrf(session_token: str, submitted: str | None) -> None:
    if not submitted or not hmac.compare_digest(csrf_token(session_token), submitted):
        raise Forbidden("表单已过期，请刷新页面后重试 / the form expired: reload the page", "csrf")


# --- forms posted before there is a session (sign-in, objections) ---------------------------------
# A signed double submit (OWASP): the page sets a random nonce in a cookie and puts an HMAC of it
# (under a key derived from the data key) in the form; a post must carry both, and another site
# can neither read the cookie nor compute the HMAC. Login CSRF and objections lodged from other
# sites' pages (which would also spread over their visitors' addresses, past the rate limit) fail.
FORM_COOKIE = "cs_form"


def _form_key(runtime: Platform) -> bytes:
    return hmac.new(runtime.settings.data_key_bytes, b"credential-service form csrf", "sha256").digest()


def form_csrf_token(runtime: Platform, nonce: str) -> str:
    """The hidden ``csrf`` value of a pre-session form for the browser holding ``nonce``."""
    return hmac.new(_form_key(runtime), nonce.encode(), "sha256").hexdigest()[:32]


def form_nonce(request: Request) -> str:
    """The browser's form nonce (from its cookie), or a new one to set with ``keep_form_nonce``."""
    nonce = request.cookies.get(FORM_COOKIE, "")
    return nonce if 16 <= len(nonce) <= 64 else secrets.token_urlsafe(24)


def keep_form_nonce(response: Response, nonce: str, *, public_base_url: str) -> None:
    response.set_cookie(
        FORM_COOKIE,
        nonce,
        httponly=True,
        samesite="lax",
        secure=public_base_url.startswith("https://"),
    )


def check_form_csrf(request: Request, runtime: Platform, submitted: str | None) -> None:
    """Refuse a pre-session form without the cookie's nonce or with a token not made from it (403)."""
    nonce = request.cookies.get(FORM_COOKIE)
    if not nonce or not submitted or not hmac.compare_digest(form_csrf_token(runtime, nonce), submitted):
        raise Forbidden("表单已过期，请刷新页面后重试 / the form expired: reload the page", "csrf")


# --- rate limits ------------------------------------------------------------------------------------


def client_key(request: Request) -> str:
    """Whom a rate limit counts: the peer, or behind a proxy of ``CS_TRUSTED_PROXIES`` the address it
    forwards (``core.ratelimit.client_address``)."""
    return client_address(
        request.client.host if request.client else "unknown",
        request.headers.getlist("x-forwarded-for"),
        get_runtime(request).settings.trusted_proxies,
    )


def rate_limit(limiter: Limiter, request: Request, cost: float = 1) -> None:
    """Spend ``cost`` from this client's bucket; 429 with Retry-After when it is empty."""
    retry = limiter.take(client_key(request), cost)
    if retry is not None:
        raise TooManyRequests(retry)


# --- headers on every answer ------------------------------------------------------------------------


class SecurityHeaders:
    """``X-Content-Type-Options: nosniff`` on every answer, and the page headers (CSP without inline
    scripts, frame-ancestors 'none', no referrer) on any HTML answer that did not set its own CSP
    (framework error pages, a page someone forgets to render through ``web.templating.render``)."""

    def __init__(self, app: ASGIApp, page_headers: dict[str, str]) -> None:
        self.app = app
        self.page_headers = [(k.lower().encode(), v.encode()) for k, v in page_headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                content_type = dict(headers).get(b"content-type", b"")
                if content_type.startswith(b"text/html") and b"content-security-policy" not in present:
                    headers += [(k, v) for k, v in self.page_headers if k not in present]
                    present |= {k for k, _ in self.page_headers}
                if b"x-content-type-options" not in present:
                    headers.append((b"x-content-type-options", b"nosniff"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
