"""W3C VC API verification and the offline trust bundle."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from credential_service.http import JSON, RuntimeDep
from credential_service.verification import service
from credential_service.verification.schemas import VerifyRequest
from credential_service.verification.verifier import Outcome

router = APIRouter(tags=["verification"])
PROBLEM_TYPES = {
    "proof": "https://www.w3.org/TR/vc-data-model#CRYPTOGRAPHIC_SECURITY_ERROR",
    "issuer_key": "https://www.w3.org/TR/vc-data-model#CRYPTOGRAPHIC_SECURITY_ERROR",
    "issuer": "https://www.w3.org/TR/vc-data-model#CRYPTOGRAPHIC_SECURITY_ERROR",
    "schema": "https://www.w3.org/TR/vc-data-model#MALFORMED_VALUE_ERROR",
    "validity_period": "https://www.w3.org/TR/vc-data-model#RANGE_ERROR",
}
STATUS_PROBLEM = "https://www.w3.org/ns/credentials/status-list#STATUS_VERIFICATION_ERROR"


@router.post(
    "/credentials/verify",
    summary="Verify a credential: 200 only when every check passes",
    responses={422: {"description": "not verified (or cannot tell): the per-check result says why"}},
)
def verify(body: VerifyRequest, request: Request, runtime: RuntimeDep) -> JSON:
    with runtime.session() as session:
        report = service.verify_with_records(
            session,
            body.verifiableCredential,
            public_base_url=runtime.settings.public_base_url,
            client=service.client_class(request.headers.get("user-agent")),
        )
    result: dict[str, Any] = {"verified": report.verified, "verdict": report.verdict.value}
    if body.options.returnResults:
        result["checks"] = [c.as_dict() for c in report.checks]
    if body.options.returnProblemDetails:
        result["problemDetails"] = [
            {
                "type": PROBLEM_TYPES.get(c.check, STATUS_PROBLEM),
                "title": c.message_en,
                "detail": c.message_zh,
                "check": c.check,
                "code": c.code,
            }
            for c in report.checks
            if c.outcome is not Outcome.VALID
        ]
    if body.options.returnCredential:
        result["credential"] = body.verifiableCredential
    return JSON(result, status_code=200 if report.verified else 422)


@router.get("/api/v1/trust-bundle", summary="DID documents, key lifecycles, signed status lists, schemas")
def trust_bundle(runtime: RuntimeDep) -> JSON:
    with runtime.session() as session:
        bundle = service.trust_bundle(
            session, runtime.keystore, public_base_url=runtime.settings.public_base_url
        )
    return JSON(bundle, headers={"Cache-Control": "public, max-age=60"})
