"""VC API issuance, signed status lists, and a certificate's credential file."""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response

from credential_service.certificates import qr_codes, service
from credential_service.certificates.ports import IssuingRuntimeDep
from credential_service.certificates.schemas import IssueRequest
from credential_service.certificates.status import lists as status_lists
from credential_service.issuers import service as issuers
from credential_service.issuers.rules import PLATFORM_CODE
from credential_service.platform.tokens import Role, allow
from credential_service.web.http import JSON, CurrentPrincipal, RuntimeDep

router = APIRouter(tags=["credentials"])
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no or bad access token"},
    403: {"description": "not allowed for this role (or an organisation token without the scope)"},
    404: {"description": "no such certificate (also another worker's or organisation's)"},
    413: {"description": "body too large"},
    422: {"description": "the credential breaks VC 2.0 (which field and why)"},
}


@router.post(
    "/credentials/issue",
    status_code=201,
    responses=ERRORS,
    summary="Sign a platform credential (administrators); skill certificates come from the workflow",
)
def issue(body: IssueRequest, principal: CurrentPrincipal, runtime: IssuingRuntimeDep) -> JSON:
    # Platform credentials only (decision 022): an organisation's certificates come from the evaluation
    # workflow under a registry number, so nothing it signs here could pose as one.
    allow(principal, Role.ADMIN)
    code = PLATFORM_CODE
    with runtime.session() as session:
        record = service.issue_requested_credential(
            session,
            runtime.keystore,
            runtime.issuance,
            issuer=issuers.get_issuer(session, code),
            credential=body.credential,
            cryptosuite=body.options.cryptosuite,
            idempotency_key=body.options.credentialId,
            actor=principal.subject,
        )
        return JSON({"verifiableCredential": json.loads(record.credential_json)}, status_code=201)


@router.get(
    "/status/{list_id}",
    summary="A signed BitstringStatusListCredential",
    responses={404: {"description": "no such list"}, 304: {"description": "not modified"}},
)
def status_list(list_id: str, request: Request, runtime: RuntimeDep) -> Response:
    signed, version = status_lists.signed_status_list(
        runtime.read_session,
        runtime.session,
        runtime.keystore,
        list_id,
        public_base_url=runtime.settings.public_base_url,
    )
    etag = f'"{list_id}-{version}"'
    headers = {
        "ETag": etag,
        "Cache-Control": f"public, max-age={runtime.settings.status_list_cache_seconds}",
    }
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return JSON(signed, headers=headers, media_type="application/vc+ld+json")


@router.get(
    "/api/v1/certificates/{certificate_number}/credential.json",
    responses=ERRORS,
    summary="The signed credential of a certificate (its holder, the issuing organisation, staff)",
)
def certificate_credential(certificate_number: str, principal: CurrentPrincipal, runtime: RuntimeDep) -> JSON:
    with runtime.read_session() as session:
        record = service.readable_certificate(session, principal, certificate_number)
        return JSON(json.loads(record.credential_json), media_type="application/vc+ld+json")


QR_MEDIA_TYPES = {"png": "image/png", "svg": "image/svg+xml"}


@router.get(
    "/api/v1/certificates/{certificate_number}/qr.{image_format}",
    responses={**ERRORS, 200: {"content": {"image/png": {}, "image/svg+xml": {}}}},
    summary="The certificate's QR code (PNG or SVG), drawn once at issuance",
)
def certificate_qr_image(
    certificate_number: str,
    image_format: Literal["png", "svg"],
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
) -> Response:
    with runtime.session() as session:
        record = service.readable_certificate(session, principal, certificate_number)
        qr = qr_codes.certificate_qr(
            session, runtime.keystore, record, public_base_url=runtime.settings.public_base_url
        )
    body = qr.png if image_format == "png" else qr.svg.encode("utf-8")
    return Response(
        body,
        media_type=QR_MEDIA_TYPES[image_format],
        headers={"Cache-Control": "private, max-age=86400", "X-Verification-URL": qr.url},
    )
