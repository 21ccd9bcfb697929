"""The employer's page: scan the QR code, see the verdict (no JavaScript, phone first, zh-CN first)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from credential_service.certificates.status.rules import ReasonCode
from credential_service.core.clock import beijing_date
from credential_service.verification import service, tokens
from credential_service.verification.ports import VerifyingRuntimeDep
from credential_service.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/v/{token}")
def verification_page(token: str, request: Request, runtime: VerifyingRuntimeDep) -> HTMLResponse:
    result = tokens.verify_token(
        token, runtime.key_directory, runtime.read_session, settings=runtime.verification
    )
    service.queue_log(
        runtime.verification_log, result, channel="page", user_agent=request.headers.get("user-agent")
    )
    status = result.status
    reason = ReasonCode(status.reason_code) if status and status.reason_code in set(ReasonCode) else None
    return render(
        request,
        "verify.html",
        {
            "title": "证书核验",
            "result": result,
            "reason": reason,
            "changed_on": beijing_date(status.changed_at).isoformat() if status and status.changed_at else "",
        },
    )
