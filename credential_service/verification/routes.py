"""W3C VC API verification and the offline trust bundle."""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from credential_service.core import examples
from credential_service.core.errors import FieldError, InvalidInput, ServiceError
from credential_service.verification import lookup, service, tokens
from credential_service.verification.ports import VerifyingRuntime, VerifyingRuntimeDep, verify_scanned
from credential_service.verification.rules import (
    SELECTABLE_CHECKS,
    Check,
    CheckResult,
    Outcome,
    Verdict,
    selected_checks,
)
from credential_service.verification.schemas import (
    BulkRequest,
    QueryRequest,
    VerifyPresentationRequest,
    VerifyRequest,
)
from credential_service.web.http import JSON, rate_limit
from credential_service.web.openapi import answer

router = APIRouter(tags=["verification"])
PROBLEM_TYPES = {
    Check.PROOF: "https://www.w3.org/TR/vc-data-model#CRYPTOGRAPHIC_SECURITY_ERROR",
    Check.ISSUER_KEY: "https://www.w3.org/TR/vc-data-model#CRYPTOGRAPHIC_SECURITY_ERROR",
    Check.ISSUER: "https://www.w3.org/TR/vc-data-model#CRYPTOGRAPHIC_SECURITY_ERROR",
    Check.SCHEMA: "https://www.w3.org/TR/vc-data-model#MALFORMED_VALUE_ERROR",
    Check.VALIDITY_PERIOD: "https://www.w3.org/TR/vc-data-model#RANGE_ERROR",
    Check.RELATED_RESOURCE: "https://www.w3.org/TR/vc-data-model#MALFORMED_VALUE_ERROR",
    Check.PRESENTATION: "https://www.w3.org/TR/vc-data-model#MALFORMED_VALUE_ERROR",
    Check.CHALLENGE: "https://www.w3.org/TR/vc-data-model#CRYPTOGRAPHIC_SECURITY_ERROR",
    Check.DOMAIN: "https://www.w3.org/TR/vc-data-model#CRYPTOGRAPHIC_SECURITY_ERROR",
    Check.HOLDER: "https://www.w3.org/TR/vc-data-model#CRYPTOGRAPHIC_SECURITY_ERROR",
}
STATUS_PROBLEM = "https://www.w3.org/ns/credentials/status-list#STATUS_VERIFICATION_ERROR"
VERIFICATION_RESULT = {
    "type": "object",
    "required": ["verified", "verdict"],
    "properties": {
        "verified": {"type": "boolean"},
        "verdict": {"type": "string", "enum": [o.value for o in Outcome]},
        "conclusion": {
            "type": "string",
            "description": "the employer's verdict, the same as the QR code's for this credential",
            "enum": [v.value for v in Verdict],
        },
        "checked": {"type": "array", "items": {"type": "string"}, "description": "the checks that ran"},
        "checks": {"type": "array", "items": {"type": "object"}},
        "problemDetails": {"type": "array", "items": {"type": "object"}},
        "credential": {"type": "object"},
    },
}
PRESENTATION_RESULT = {
    "type": "object",
    "required": ["verified", "verdict", "checked"],
    "properties": {
        "verified": {"type": "boolean"},
        "verdict": {"type": "string", "enum": [o.value for o in Outcome]},
        "checked": {"type": "array", "items": {"type": "string"}, "description": "its own checks that ran"},
        "checks": {"type": "array", "items": {"type": "object"}},
        "credentialResults": {
            "type": "array",
            "items": VERIFICATION_RESULT,
            "description": "per credential, in order (null: an enveloped credential, not verified here)",
        },
        "problemDetails": {"type": "array", "items": {"type": "object"}},
        "verifiablePresentation": {"type": "object"},
    },
}


def _only(checks: list[str] | None) -> frozenset[Check] | None:
    """The checks ``options.checks`` names; refuses a name that is no check of ours."""
    chosen, unknown = selected_checks(checks)
    if unknown:
        known = ", ".join(SELECTABLE_CHECKS)
        raise InvalidInput(
            "请求有误 / the request is invalid",
            [
                FieldError(
                    f"options.checks[{i}]",
                    f"没有“{name}”这一核验项（可选：{known}）/ no such check {name!r} (one of: {known})",
                )
                for i, name in unknown
            ],
        )
    return chosen


def _problem_details(checks: list[CheckResult]) -> list[dict[str, Any]]:
    return [
        {
            "type": PROBLEM_TYPES.get(c.check, STATUS_PROBLEM),
            "title": c.message_en,
            "detail": c.message_zh,
            "check": c.check,
            "code": c.code,
        }
        for c in checks
        if c.outcome is not Outcome.VALID
    ]


@router.post(
    "/credentials/verify",
    summary="Verify a credential: 200 only when every check passes",
    responses={
        200: answer("verified: every check passed", "application/json", VERIFICATION_RESULT),
        422: answer(
            "not verified (or cannot tell): the per-check result says why; a malformed request is a "
            "problem document",
            "application/json",
            VERIFICATION_RESULT,
        ),
    },
)
def verify(body: VerifyRequest, request: Request, runtime: VerifyingRuntimeDep) -> JSON:
    options = body.options
    only = _only(options.checks)
    with runtime.read_session() as session:
        report = service.verify_with_records(
            session,
            body.verifiableCredential,
            runtime.verification_log,
            settings=runtime.verification,
            client=service.client_class(request.headers.get("user-agent")),
            only=only,
            challenge=options.challenge,
            domain=options.domain,
        )
    result: dict[str, Any] = {
        "verified": report.verified,
        "verdict": report.verdict.value,
        "conclusion": report.conclusion.value,
        "checked": report.checked,
    }
    if options.returnResults:
        result["checks"] = [c.as_dict() for c in report.checks]
    if options.returnProblemDetails:
        result["problemDetails"] = _problem_details(report.checks)
    if options.returnCredential:
        result["credential"] = body.verifiableCredential
    return JSON(result, status_code=200 if report.verified else 422)


@router.post(
    "/presentations/verify",
    summary="Verify a presentation and every credential in it: 200 only when every check passes",
    responses={
        200: answer("verified: it and each credential passed", "application/json", PRESENTATION_RESULT),
        422: answer(
            "not verified (or cannot tell): the per-check results say why; a malformed request is a "
            "problem document",
            "application/json",
            PRESENTATION_RESULT,
        ),
    },
)
def verify_presentation(
    body: VerifyPresentationRequest, request: Request, runtime: VerifyingRuntimeDep
) -> JSON:
    options = body.options
    only = _only(options.checks)
    with runtime.read_session() as session:
        report = service.verify_presentation_with_records(
            session,
            body.verifiablePresentation,
            runtime.verification_log,
            settings=runtime.verification,
            challenge=options.challenge,
            domain=options.domain,
            only=only,
            client=service.client_class(request.headers.get("user-agent")),
        )
    result = report.as_dict()
    if not options.returnResults:
        result.pop("checks")
        for credential in result["credentialResults"]:
            if credential is not None:
                credential.pop("checks")
    if options.returnProblemDetails:
        reports = [p.report for p in report.credentials if p.report is not None]
        failed = [*report.checks, *(c for r in reports for c in r.checks)]
        result["problemDetails"] = _problem_details(failed)
    if options.returnPresentation:
        result["verifiablePresentation"] = body.verifiablePresentation
    return JSON(result, status_code=200 if report.verified else 422)


@router.get("/api/v1/trust-bundle", summary="DID documents, key lifecycles, signed status lists, schemas")
def trust_bundle(runtime: VerifyingRuntimeDep) -> JSON:
    bundle = service.trust_bundle(
        runtime.read_session,
        runtime.session,
        runtime.keystore,
        public_base_url=runtime.settings.public_base_url,
    )
    return JSON(bundle, headers={"Cache-Control": "public, max-age=60"})


NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


@router.get(
    "/api/v1/verify/{token}",
    summary="Verify a scanned QR token: the verdict, the masked certificate and each check",
    responses={200: {"description": "a verdict (genuine, revoked, suspended, superseded, expired, "
                     "not_genuine or cannot_tell); a forged token is not_genuine"}},
)  # fmt: skip
def verify_token(token: str, request: Request, runtime: VerifyingRuntimeDep) -> JSON:
    result = verify_scanned(token, request, runtime, channel="api")
    return JSON(result.as_dict(), headers=NO_STORE)


def _answers(results: list[tokens.TokenVerification]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.as_dict().items() if k != "checks"} for r in results]


@router.post(
    "/api/v1/verify/query",
    summary="Look a certificate up by number + name (or ID number + name), as the national query site",
    responses={
        200: {"description": "match true with the masked certificate(s), or match false — the same "
              "answer for a wrong name and an unknown number"},
        422: {"description": "a malformed request (which field, why)"},
        429: {"description": "too many look-ups from this client: see Retry-After"},
    },
)  # fmt: skip
async def query(body: QueryRequest, request: Request, runtime: VerifyingRuntimeDep) -> JSON:
    return await lookup.no_sooner_than(lookup.QUERY_FLOOR_SECONDS, partial(_query, body, request, runtime))


def _query(body: QueryRequest, request: Request, runtime: VerifyingRuntime) -> JSON:
    rate_limit(runtime.query_limiter, request)
    with runtime.replica_session() as session:
        results = lookup.query(session, runtime.settings.data_key_bytes, body, settings=runtime.verification)
    service.queue_logs(
        runtime.verification_log, results, channel="query", user_agent=request.headers.get("user-agent")
    )
    return JSON({"match": bool(results), "certificates": _answers(results)}, headers=NO_STORE)


BULK_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": BulkRequest.model_json_schema()},
            "text/csv": {
                "schema": {"type": "string", "description": "header 证书编号,姓名 then one row each"},
                "example": f"证书编号,姓名\n{examples.CERTIFICATE_NUMBER},{examples.NAME}\n",
            },
        },
    }
}


async def _bulk_rows(request: Request, max_rows: int) -> list[lookup.BulkRow]:
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    data = await request.body()
    if media_type == "text/csv":
        return await run_in_threadpool(lookup.parse_bulk_csv, data, max_rows=max_rows)  # off the event loop
    if media_type != "application/json":
        raise ServiceError(
            "请以 application/json 或 text/csv 发送 / send application/json or text/csv",
            code="unsupported_media_type",
            status=415,
        )
    try:
        items = BulkRequest.model_validate_json(data).items
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from exc  # reported like any other body
    if len(items) > max_rows:
        raise InvalidInput(
            f"一次最多核验 {max_rows} 行 / at most {max_rows} rows per request",
            [FieldError("items", f"more than {max_rows} rows")],
        )
    return [lookup.BulkRow(i, item.certificateNumber, item.name) for i, item in enumerate(items, start=1)]


@router.post(
    "/api/v1/verify/bulk",
    summary="Check an HR list of certificate number + name (JSON or CSV): one answer per row",
    openapi_extra=BULK_BODY,
    responses={
        415: {"description": "neither JSON nor CSV"},
        422: {"description": "a malformed list (which field or row, why) or too many rows"},
        429: {"description": "too many rows checked from this client: see Retry-After"},
    },
)
async def bulk(request: Request, runtime: VerifyingRuntimeDep) -> JSON:
    rows = await _bulk_rows(request, runtime.settings.verify_bulk_max_rows)
    rate_limit(runtime.bulk_limiter, request, cost=len(rows))
    checked = await run_in_threadpool(_bulk_check, runtime, rows)
    found = [result for _row, result in checked if result is not None]
    service.queue_logs(
        runtime.verification_log, found, channel="bulk", user_agent=request.headers.get("user-agent")
    )
    return JSON(
        {
            "results": [
                {
                    "row": row.row,
                    "certificateNumber": row.certificate_number,
                    "match": result is not None,
                    **(_answers([result])[0] if result is not None else {}),
                }
                for row, result in checked
            ]
        },
        headers=NO_STORE,
    )


def _bulk_check(
    runtime: VerifyingRuntime, rows: list[lookup.BulkRow]
) -> list[tuple[lookup.BulkRow, tokens.TokenVerification | None]]:
    with runtime.replica_session() as session:
        return lookup.bulk_check(session, rows, settings=runtime.verification)
