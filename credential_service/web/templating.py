"""Server-rendered pages: Jinja2 with autoescaping, no inline scripts, one stylesheet."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from credential_service.core.clock import beijing_text
from credential_service.core.errors import ServiceError, TooManyRequests
from credential_service.web.i18n import TEXTS, in_lang, pick_lang

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
_env = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), auto_reload=False
)
# Dates and times on pages are Beijing's (``beijing_date`` and ``beijing_time`` filters).
_env.filters["beijing_date"] = beijing_text
_env.filters["beijing_time"] = partial(beijing_text, minutes=True)
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self'; img-src 'self' data:; "
    "script-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def render(request: Request, template: str, context: dict[str, Any], *, status: int = 200) -> HTMLResponse:
    lang = pick_lang(request.query_params.get("lang"), request.cookies.get("lang"))
    texts = TEXTS[lang]
    html = _env.get_template(template).render(
        **context, t=texts, lang=lang, path=request.url.path, words=partial(in_lang, lang=lang)
    )
    response = HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)
    if request.query_params.get("lang") in TEXTS:
        response.set_cookie("lang", lang, max_age=365 * 86400, samesite="lax", httponly=True)
    return response


def error_page(request: Request, error: ServiceError) -> HTMLResponse:
    """A refusal on a page, for a person: the message on a page with the same status (and
    ``Retry-After`` for a rate limit), not a problem document."""
    response = render(
        request,
        "message.html",
        {"title": str(error.status), "heading": str(error.status), "message": error.message},
        status=error.status,
    )
    if isinstance(error, TooManyRequests):
        response.headers["Retry-After"] = str(error.retry_after)
    return response
