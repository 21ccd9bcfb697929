"""The printable certificate (PDF) of a certificate: for its holder, its issuing organisation and staff."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from credential_service.certificates import printable
from credential_service.web.http import CurrentPrincipal, RuntimeDep, private_download

router = APIRouter(tags=["credentials"])
PDF_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}}, "description": "one A4 page"},
    401: {"description": "no or bad access token"},
    403: {"description": "not the holder, the issuing organisation or staff"},
    404: {"description": "no such certificate"},
    503: {"description": "no Chinese (CJK) TrueType font on the server: see CS_PDF_FONT"},
}


@router.get(
    "/api/v1/certificates/{certificate_number}/certificate.pdf",
    response_class=Response,
    responses=PDF_RESPONSES,
    summary="The printable certificate: A4 PDF with the national fields, QR code and verification URL",
)
def certificate_pdf(certificate_number: str, principal: CurrentPrincipal, runtime: RuntimeDep) -> Response:
    with runtime.session() as session:
        pdf = printable.readable_certificate_pdf(
            session, runtime.keystore, runtime.settings, principal, certificate_number
        )
    return private_download(pdf, "application/pdf", f"{certificate_number}.pdf")
