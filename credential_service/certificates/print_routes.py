"""The printable certificate (PDF) of a certificate: for its holder, its issuing organisation and staff."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from credential_service.certificates import printable
from credential_service.certificates.routes import readable_certificate
from credential_service.platform.tokens import Principal
from credential_service.runtime import Runtime
from credential_service.web.http import CurrentPrincipal, RuntimeDep

router = APIRouter(tags=["credentials"])
PDF_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}}, "description": "one A4 page"},
    401: {"description": "no or bad access token"},
    403: {"description": "not the holder, the issuing organisation or staff"},
    404: {"description": "no such certificate"},
    503: {"description": "no Chinese (CJK) TrueType font on the server: see CS_PDF_FONT"},
}


def certificate_pdf_response(runtime: Runtime, principal: Principal, certificate_number: str) -> Response:
    """The PDF as a download; the API route and the worker's page both answer with this."""
    with runtime.session() as session:
        record = readable_certificate(session, principal, certificate_number)
        pdf = printable.certificate_pdf(
            session,
            runtime.keystore,
            record,
            public_base_url=runtime.settings.public_base_url,
            font_path=runtime.settings.pdf_font,
        )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{certificate_number}.pdf"',
            "Cache-Control": "private, no-store",  # personal data: no shared or stored copies
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get(
    "/api/v1/certificates/{certificate_number}/certificate.pdf",
    response_class=Response,
    responses=PDF_RESPONSES,
    summary="The printable certificate: A4 PDF with the national fields, QR code and verification URL",
)
def certificate_pdf(certificate_number: str, principal: CurrentPrincipal, runtime: RuntimeDep) -> Response:
    return certificate_pdf_response(runtime, principal, certificate_number)
