"""Plans, result submissions (JSON, CSV, Excel), publicity with objections, issuance."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, fields, replace
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Header, Query, Request, UploadFile
from fastapi.responses import Response

from credential_service.assessment.organisations import service as organisations
from credential_service.assessment.workflow import issuance, plans, submissions
from credential_service.assessment.workflow import publicity as publicity_service
from credential_service.assessment.workflow.results.sheet import (
    COLUMNS,
    SheetRow,
    file_sha256,
    read_sheet,
    rows_as_csv,
    rows_as_xlsx,
    template_csv,
    template_xlsx,
)
from credential_service.assessment.workflow.schemas import (
    CalendarDayIn,
    ObjectionIn,
    ObjectionResolution,
    PlanCreate,
    ResultsIn,
)
from credential_service.certificates.ports import IssuingRuntimeDep
from credential_service.certificates.status.rules import Actor
from credential_service.certificates.status.schemas import CHANGE_ERRORS, Grounds
from credential_service.core import examples
from credential_service.core.inputs import IsoDate
from credential_service.identity.clients.rules import CONTENT_SIGNATURE_HEADER, MAX_CONTENT_SIGNATURE
from credential_service.platform.runtime import Platform
from credential_service.platform.tokens import (
    SCOPE_CERTIFICATES,
    SCOPE_PLANS,
    SCOPE_RESULTS,
    Principal,
    Role,
    allow,
)
from credential_service.web.http import JSON, MAX_OFFSET, CurrentPrincipal, RuntimeDep, rate_limit
from credential_service.web.openapi import answer

router = APIRouter(tags=["assessment"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _plain(item: Any) -> dict[str, Any]:
    return {
        f.name: (v.isoformat() if isinstance(v := getattr(item, f.name), date) else v) for f in fields(item)
    }


def _org_code(principal: Principal, scope: str) -> str:
    """The calling organisation's code; only organisations' tokens granted ``scope`` (else 403)."""
    allow(principal, Role.ORGANISATION, scope=scope)
    return principal.tenant or ""


@router.post(
    "/api/v1/plans",
    status_code=201,
    summary="File an assessment plan (评价计划)",
    responses={409: {"description": "this plan reference is taken"}},
)
def file_plan(body: PlanCreate, principal: CurrentPrincipal, runtime: RuntimeDep) -> JSON:
    code = _org_code(principal, SCOPE_PLANS)
    with runtime.session() as session:
        plan = plans.file_requested_plan(session, organisations.get_organisation(session, code), body)
        return JSON(
            {
                "plan_ref": plan.plan_ref,
                "occupation_code": plan.occupation_code,
                "subtype": plan.subtype,
                "level": plan.level,
                "exam_start": plan.exam_start.isoformat(),
                "exam_end": plan.exam_end.isoformat(),
            },
            status_code=201,
        )


@router.get(
    "/api/v1/results/template.csv",
    summary="Result sheet template (CSV, Chinese headers)",
    responses={200: answer("the template", "text/csv")},
)
def template_as_csv() -> Response:
    return Response(
        template_csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="results-template.csv"'},
    )


@router.get(
    "/api/v1/results/template.xlsx",
    summary="Result sheet template (Excel, Chinese headers)",
    responses={200: answer("the template", XLSX)},
)
def template_as_xlsx() -> Response:
    return Response(
        template_xlsx(),
        media_type=XLSX,
        headers={"Content-Disposition": 'attachment; filename="results-template.xlsx"'},
    )


async def raw_body(request: Request) -> bytes:
    """The exact bytes of the request body (Starlette keeps them once read; the JSON model reads the
    same copy): what the SHA-256 and an organisation's content signature cover."""
    return await request.body()


RawBody = Annotated[bytes, Depends(raw_body)]
ContentSignature = Annotated[
    str | None,
    Header(
        alias=CONTENT_SIGNATURE_HEADER,
        max_length=MAX_CONTENT_SIGNATURE,
        description="optional: the organisation's detached JWS (EdDSA, b64:false) over the SHA-256 hex of "
        "the exact bytes sent, with a key registered for it (see docs/decisions/016-organisation-keys.md)",
    ),
]


SUBMIT_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "the X-Content-Signature is malformed or does not verify; nothing recorded"},
    422: {"description": "row errors (row, column, reason); nothing recorded"},
}


@dataclass(frozen=True)
class SubmitOptions:
    """What both ways of submitting results take besides the rows: the idempotency key, the
    organisation's content signature, and whether to accept the valid rows of a faulty sheet."""

    idempotency_key: str | None
    content_signature: str | None
    accept_valid_rows: bool


def submit_options(
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
    content_signature: ContentSignature = None,
    accept_valid_rows: Annotated[bool, Query()] = False,
) -> SubmitOptions:
    return SubmitOptions(idempotency_key, content_signature, accept_valid_rows)


Options = Annotated[SubmitOptions, Depends(submit_options)]


def _submit(
    runtime: Platform,
    code: str,
    plan_ref: str,
    rows: Any,
    *,
    source: str,
    content_sha256: str,
    options: SubmitOptions,
) -> JSON:
    with runtime.session() as session:
        submission = submissions.submit_results(
            session,
            runtime.keystore,
            runtime.settings.data_key_bytes,
            organisations.get_organisation(session, code),
            plan_ref=plan_ref,
            rows=rows,
            source=source,
            content_sha256=content_sha256,
            idempotency_key=options.idempotency_key,
            accept_valid_rows=options.accept_valid_rows,
            content_signature=options.content_signature,
        )
        return JSON(_plain(submissions.report(session, submission)), status_code=201)


@router.post(
    "/api/v1/plans/{plan_ref}/results",
    status_code=201,
    summary="Submit results as JSON (all-or-nothing unless accept_valid_rows)",
    responses=SUBMIT_RESPONSES,
)
def submit_json(
    plan_ref: str,
    body: ResultsIn,
    content: RawBody,
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    options: Options,
) -> JSON:
    code = _org_code(principal, SCOPE_RESULTS)
    rows = (
        SheetRow(n, {k: "" if v is None else str(v) for k, v in row.model_dump().items()})
        for n, row in enumerate(body.rows, start=1)
    )
    return _submit(
        runtime,
        code,
        plan_ref,
        rows,
        source="json",
        content_sha256=hashlib.sha256(content).hexdigest(),  # the exact bytes received
        options=options,
    )


# A sheet as the template has it (GET /api/v1/results/template.csv), for Swagger UI's form.
RESULTS_FILE_EXAMPLE = ",".join(header for header, _ in COLUMNS) + (
    f"\n居民身份证,{examples.OTHER_ID_NUMBER},{examples.OTHER_NAME},91,84,\n"
)


@router.post(
    "/api/v1/plans/{plan_ref}/results/upload",
    status_code=201,
    summary="Submit results as a CSV or Excel (.xlsx) file",
    responses=SUBMIT_RESPONSES,
    openapi_extra={
        "requestBody": {"content": {"multipart/form-data": {"example": {"file": RESULTS_FILE_EXAMPLE}}}}
    },
)
def submit_file(
    plan_ref: str,
    file: Annotated[UploadFile, File(description="CSV or .xlsx, Chinese headers")],
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    options: Options,
) -> JSON:
    code = _org_code(principal, SCOPE_RESULTS)
    stream = file.file  # spooled to disk by the server beyond 1 MB: read in chunks, never whole
    digest = file_sha256(stream)
    # Read and bounded (SheetLimits) before any transaction: a hostile file costs only this request
    # (a sync route: a threadpool thread, never the event loop), never the database's write lock.
    source, rows = read_sheet(stream)
    return _submit(
        runtime,
        code,
        plan_ref,
        rows,
        source=source,
        content_sha256=digest,
        # the content signature is over the file's bytes (the part, not the multipart body)
        options=replace(options, idempotency_key=options.idempotency_key or digest),
    )


SUBMISSIONS_EXAMPLE = {
    "total": 1,
    "limit": 50,
    "offset": 0,
    "submissions": [
        {
            "public_id": "0b6f3c1e-5d2a-4c1b-9a53-6f1d2e3c4b5a",
            "plan_ref": "DG-2026-11",
            "state": "publicity",
            "published_on": "2026-11-05",
            "publicity_ends_on": "2026-11-12",
            "submitted": 3,
            "accepted": 3,
            "passed": 3,
            "failed": 0,
            "held": 1,
            "withdrawn": 0,
            "issued": 0,
            "rejected_rows": [],
            "client_kid": "sheet-signing-2026",  # the organisation's own key, when it signed the sheet
        }
    ],
}


@router.get(
    "/api/v1/submissions",
    summary="The calling organisation's result submissions (batches), newest first",
    responses={
        200: {
            "description": "one page of the organisation's own submissions and how many there are",
            "content": {"application/json": {"example": SUBMISSIONS_EXAMPLE}},
        }
    },
)
def list_submissions(
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> JSON:
    code = _org_code(principal, SCOPE_RESULTS)
    with runtime.read_session() as session:
        organisation = organisations.get_organisation(session, code)
        reports = submissions.reports_of(session, organisation, limit=limit, offset=offset)
        return JSON(
            {
                "total": submissions.submission_count(session, organisation),
                "limit": limit,
                "offset": offset,
                "submissions": [_plain(r) for r in reports],
            }
        )


@router.get("/api/v1/submissions/{submission_id}", summary="A submission's report: passed, held, issued")
def submission_report(submission_id: str, principal: CurrentPrincipal, runtime: RuntimeDep) -> JSON:
    code = _org_code(principal, SCOPE_RESULTS)
    with runtime.read_session() as session:
        submission = submissions.get_submission(
            session, organisations.get_organisation(session, code), submission_id
        )
        return JSON(_plain(submissions.report(session, submission)))


@router.post(
    "/api/v1/submissions/{submission_id}/issue",
    summary="Issue the certificates once publicity is over (resumable)",
    responses={409: {"description": "publicity still running"}},
)
def issue_submission(submission_id: str, principal: CurrentPrincipal, runtime: IssuingRuntimeDep) -> JSON:
    code = _org_code(principal, SCOPE_CERTIFICATES)
    issued = issuance.issue_submission(
        runtime.session,
        runtime.keystore,
        runtime.issuance,
        code,
        submission_id,
        data_key=runtime.settings.data_key_bytes,
        actor=principal.subject,
    )
    with runtime.session() as session:
        submission = submissions.get_submission(
            session, organisations.get_organisation(session, code), submission_id
        )
        return JSON({"issued_now": issued, **_plain(submissions.report(session, submission))})


@router.get("/api/v1/publicity", summary="公示: candidates whose publicity runs (masked)")
def publicity(
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> JSON:
    with runtime.read_session() as session:
        return JSON(
            [_plain(c) for c in publicity_service.under_publicity(session, limit=limit, offset=offset)]
        )


@router.post(
    "/api/v1/publicity/{candidate_id}/objections",
    status_code=201,
    summary="Lodge an objection against a candidate during publicity (anyone)",
    responses={429: {"description": "too many objections from this client: see Retry-After"}},
)
def lodge_objection(candidate_id: str, body: ObjectionIn, request: Request, runtime: RuntimeDep) -> JSON:
    rate_limit(runtime.objection_limiter, request)
    with runtime.session() as session:
        objection = publicity_service.lodge_objection(session, candidate_id, body.reason)
        return JSON({"objection_id": objection.public_id, "status": objection.status}, status_code=201)


@router.post(
    "/api/v1/admin/objections/{objection_id}/resolve", summary="Resolve an objection (administrators)"
)
def resolve_objection(
    objection_id: str, body: ObjectionResolution, principal: CurrentPrincipal, runtime: RuntimeDep
) -> JSON:
    allow(principal, Role.ADMIN)
    with runtime.session() as session:
        objection = publicity_service.resolve_objection(
            session, objection_id, upheld=body.upheld, actor=principal.subject, resolution=body.resolution
        )
        return JSON({"objection_id": objection.public_id, "status": objection.status})


@router.put("/api/v1/admin/calendar/{day}", summary="Configure a holiday or a make-up working day")
def set_calendar_day(
    day: IsoDate, body: CalendarDayIn, principal: CurrentPrincipal, runtime: RuntimeDep
) -> JSON:
    allow(principal, Role.ADMIN)
    with runtime.session() as session:
        entry = plans.set_calendar_day(session, day, body.kind, body.name, actor=principal.subject)
        return JSON({"day": entry.day.isoformat(), "kind": entry.kind, "name": entry.name})


@router.get(
    "/api/v1/submissions/{submission_id}/national-export.{fmt}",
    summary="Issued certificates in the national database's field layout (CSV or Excel; audited)",
    responses={
        200: {
            "description": "the rows",
            "content": {"text/csv": {"schema": {}}, XLSX: {"schema": {}}},
        }
    },
)
def national_export(
    submission_id: str, fmt: Literal["csv", "xlsx"], principal: CurrentPrincipal, runtime: RuntimeDep
) -> Response:
    code = _org_code(principal, SCOPE_CERTIFICATES)
    with runtime.session() as session:
        submission = submissions.get_submission(
            session, organisations.get_organisation(session, code), submission_id
        )
        rows = issuance.national_rows(
            session, runtime.settings.data_key_bytes, submission, actor=principal.subject
        )
    name = f"national-{submission_id}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
    if fmt == "csv":
        return Response(
            rows_as_csv(issuance.NATIONAL_COLUMNS, rows),
            media_type="text/csv; charset=utf-8",
            headers=headers,
        )
    return Response(rows_as_xlsx(issuance.NATIONAL_COLUMNS, rows), media_type=XLSX, headers=headers)


@router.post(
    "/api/v1/batches/{batch_id}/revoke",
    responses={
        **{k: v for k, v in CHANGE_ERRORS.items() if k != 404},
        404: {"description": "no such batch (or another organisation's)"},
    },
    summary="Revoke every certificate issued from one result submission (batch), in one transaction",
)
def revoke_batch(batch_id: str, body: Grounds, principal: CurrentPrincipal, runtime: RuntimeDep) -> JSON:
    allow(principal, Role.ADMIN, Role.ORGANISATION, scope=SCOPE_CERTIFICATES)
    with runtime.session() as session:
        result = issuance.revoke_batch(
            session,
            Actor.of(principal),
            batch_id,
            reason=body.reason_code,
            evidence=body.evidence,
            authority=body.authority,
        )
        return JSON(asdict(result))
