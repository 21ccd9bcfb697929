"""The employer's page: scan the QR code, see the verdict (no JavaScript, phone first, zh-CN first)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from credential_service.verification import service, tokens
from credential_service.verification.pages.verdicts import VerdictView, page_lang
from credential_service.verification.ports import VerifyingRuntimeDep
from credential_service.verification.rules import Verdict
from credential_service.web.templating import render

router = APIRouter(include_in_schema=False)
# Verdicts after which the page offers the other way to check: by number and name (/check).
CHECK_ANOTHER_WAY = frozenset({Verdict.NOT_GENUINE, Verdict.CANNOT_TELL})


@router.get("/v/{token}")
def verification_page(token: str, request: Request, runtime: VerifyingRuntimeDep) -> HTMLResponse:
    result = tokens.verify_token(
        token,
        runtime.key_directory,
        runtime.replica_session,
        settings=runtime.verification,
        settled=runtime.settled_tokens,
    )
    service.queue_log(
        runtime.verification_log, result, channel="page", user_agent=request.headers.get("user-agent")
    )
    return render(
        request,
        "verify.html",
        {
            "title": "证书核验",
            "result": result,
            "view": VerdictView.of(result, page_lang(request)),
            "offer_check": result.verdict in CHECK_ANOTHER_WAY,
        },
    )
