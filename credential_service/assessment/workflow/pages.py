"""Pages for an organisation's staff (upload, check, confirm, follow to issuance) and the public 公示."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from credential_service.assessment.organisations import service as organisations
from credential_service.assessment.organisations.pages import OrgStaff
from credential_service.assessment.workflow import issuance, plans, publicity, submissions
from credential_service.assessment.workflow.results.sheet import file_sha256, read_sheet
from credential_service.certificates.ports import IssuingRuntimeDep
from credential_service.core.errors import ServiceError
from credential_service.web.http import RuntimeDep, check_csrf, check_form_csrf, rate_limit
from credential_service.web.sessions import pre_session_form
from credential_service.web.templating import render

router = APIRouter(include_in_schema=False)
STAGING = Path(tempfile.gettempdir()) / "credential-service-uploads"


@router.get("/org")
def org_home(request: Request, runtime: RuntimeDep, staff: OrgStaff) -> Response:
    with runtime.read_session() as session:
        organisation = organisations.get_organisation(session, staff.tenant)
        context = {
            "title": organisation.name,
            "signed_in": True,
            "csrf": staff.csrf,
            "organisation": organisation,
            "plans": plans.plans_of(session, organisation),
            "reports": submissions.reports_of(session, organisation),
            "today": plans.beijing_today(),
        }
        return render(request, "org_home.html", context)


PlanRef = Annotated[str, Form(max_length=40)]
Csrf = Annotated[str, Form(max_length=64)]


def _staged(code: str, digest: str) -> Path:
    return STAGING / f"{code}-{digest}.sheet"


@router.post("/org/upload")
def org_upload(
    request: Request,
    runtime: RuntimeDep,
    staff: OrgStaff,
    plan_ref: PlanRef,
    file: Annotated[UploadFile, File()],
    csrf: Csrf = "",
) -> Response:
    """Check the sheet and show every row problem; nothing is recorded until the officer confirms."""
    check_csrf(staff.token, csrf)
    digest = file_sha256(file.file)
    STAGING.mkdir(parents=True, exist_ok=True)
    with _staged(staff.tenant, digest).open("wb") as staged:
        shutil.copyfileobj(file.file, staged)
    context = {
        "title": "核对结果",
        "signed_in": True,
        "csrf": staff.csrf,
        "plan_ref": plan_ref,
        "digest": digest,
    }
    try:
        with _staged(staff.tenant, digest).open("rb") as stream:
            _, rows = read_sheet(stream)  # read and bounded before any transaction
        with runtime.session() as session:
            organisation = organisations.get_organisation(session, staff.tenant)
            checked = submissions.preview_results(
                session, runtime.settings.data_key_bytes, organisation, plan_ref, rows
            )
    except ServiceError as exc:
        context |= {"rows": 0, "passed": 0, "errors": [{"loc": "file", "reason": str(exc)}]}
        return render(request, "org_preview.html", context, status=422)
    context |= {
        "rows": checked.accepted,
        "passed": checked.passed,
        "errors": [{"loc": e.loc, "reason": e.reason} for e in checked.listed_errors()],
    }
    return render(request, "org_preview.html", context, status=422 if checked.rows_rejected else 200)


@router.post("/org/confirm")
def org_confirm(
    request: Request,
    runtime: RuntimeDep,
    staff: OrgStaff,
    plan_ref: PlanRef,
    digest: Annotated[str, Form(pattern=r"^[0-9a-f]{64}$")],
    accept_valid_rows: Annotated[bool, Form()] = False,
    csrf: Csrf = "",
) -> Response:
    """Record the checked sheet: the platform signs its digest with the organisation's key."""
    check_csrf(staff.token, csrf)
    staged = _staged(staff.tenant, digest)
    if not staged.is_file():
        return render(
            request,
            "message.html",
            {"title": "410", "heading": "410", "message": "请重新上传 / please upload the sheet again"},
            status=410,
        )
    with staged.open("rb") as stream:
        if hashlib.sha256(stream.read()).hexdigest() != digest:
            return render(
                request,
                "message.html",
                {"title": "409", "heading": "409", "message": "文件已变化 / the file changed"},
                status=409,
            )
        stream.seek(0)
        source, rows = read_sheet(stream)  # read and bounded before any transaction
    with runtime.session() as session:
        submissions.submit_results(
            session,
            runtime.keystore,
            runtime.settings.data_key_bytes,
            organisations.get_organisation(session, staff.tenant),
            plan_ref=plan_ref,
            rows=rows,
            source=source,
            content_sha256=digest,
            accept_valid_rows=accept_valid_rows,
        )
    staged.unlink(missing_ok=True)
    return RedirectResponse("/org#submissions", status_code=303)


@router.post("/org/submissions/{submission_id}/issue")
def org_issue(
    submission_id: str, request: Request, runtime: IssuingRuntimeDep, staff: OrgStaff, csrf: Csrf = ""
) -> Response:
    check_csrf(staff.token, csrf)
    issuance.issue_submission(
        runtime.session,
        runtime.keystore,
        runtime.issuance,
        staff.tenant,
        submission_id,
        data_key=runtime.settings.data_key_bytes,
    )
    return RedirectResponse("/org#submissions", status_code=303)


@router.get("/publicity")
def publicity_page(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    return pre_session_form(request, runtime, "publicity.html", _publicity_context(runtime))


def _publicity_context(runtime: RuntimeDep, **more: object) -> dict[str, object]:
    with runtime.read_session() as session:
        candidates = publicity.under_publicity(session)
    return {"title": "公示", "candidates": candidates, "contact": runtime.settings.objection_contact, **more}


@router.post("/publicity/{candidate_id}/objection")
def publicity_objection(
    candidate_id: str,
    request: Request,
    runtime: RuntimeDep,
    reason: Annotated[str, Form(max_length=1000)],
    csrf: Csrf = "",
) -> HTMLResponse:
    rate_limit(runtime.objection_limiter, request)
    check_form_csrf(request, runtime, csrf)
    try:
        with runtime.session() as session:
            publicity.lodge_objection(session, candidate_id, reason)
        message, failed, status = "异议已收到，将由人社部门核查 / objection received", False, 201
    except ServiceError as exc:
        message, failed, status = exc.message, True, exc.status
    context = _publicity_context(runtime, message=message, failed=failed)
    return pre_session_form(request, runtime, "publicity.html", context, status=status)
