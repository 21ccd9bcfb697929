"""The employer's page: scan the QR code, see the verdict (no JavaScript, phone first, zh-CN first)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from credential_service.core.lru import BoundedLRU
from credential_service.verification.pages.verdicts import VerdictView, page_lang
from credential_service.verification.ports import VerifyingRuntimeDep, verify_scanned
from credential_service.verification.rules import Verdict
from credential_service.web.templating import PAGE_HEADERS, render

router = APIRouter(include_in_schema=False)
# Verdicts after which the page offers the other way to check: by number and name (/check).
CHECK_ANOTHER_WAY = frozenset({Verdict.NOT_GENUINE, Verdict.CANNOT_TELL})
# Pages rendered, by all they are rendered from: a token scanned again, with the same verdict and
# checks, is the same bytes, and rendering them took as long as the verification (decision 040).
_RENDERED: BoundedLRU[tuple[object, ...], bytes] = BoundedLRU(2048)


@router.get("/v/{token}")
def verification_page(token: str, request: Request, runtime: VerifyingRuntimeDep) -> HTMLResponse:
    result = verify_scanned(token, request, runtime, channel="page")
    lang = page_lang(request)
    drawn_from = (request.url.path, lang, tuple(result.checks), result.certificate, result.status)
    rendered = _RENDERED.get(drawn_from) if "lang" not in request.query_params else None
    if rendered is not None:
        return HTMLResponse(rendered, headers=PAGE_HEADERS)
    page = render(
        request,
        "verify.html",
        {
            "title": "证书核验",
            "result": result,
            "view": VerdictView.of(result, lang),
            "offer_check": result.verdict in CHECK_ANOTHER_WAY,
        },
    )
    _RENDERED.put(drawn_from, bytes(page.body))
    return page
