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
from credential_service.assessment.organisations.pages import staff_of, to_signin, with_form_token
from credential_service.assessment.workflow import issuance, plans, publicity, submissions
from credential_service.assessment.workflow.results.sheet import file_sha256, read_sheet
from credential_service.core.errors import ServiceError
from credential_service.http import RuntimeDep, check_csrf, check_form_csrf, csrf_token, rate_limit
from credential_service.web.templating import render

router = APIRouter(include_in_schema=False)
STAGING = Path(tempfile.gettempdir()) / "credential-service-uploads"


@router.get("/org")
def org_home(request: Request, runtime: RuntimeDep) -> Response:
    staff = staff_of(request, runtime)
    if staff is None:
        return to_signin()
    with runtime.read_session() as session:
        organisation = organisations.get_organisation(session, staff[0])
        context = {
            "title": organisation.name,
            "signed_in": True,
            "csrf": csrf_token(staff[1]),
            "organisation": organisation,
            "plans": plans.plans_of(session, organisation),
            "reports": submissions.reports_of(session, organisation),
            "today": plans.beijing_today(),
        }
        return render(request, "org_home.html", context)


PlanRef = Annotated[str, Form(max_length=40)]
Csrf = Annotated[str, Form(max_length=64)]


def _posting_staff(request: Request, runtime: RuntimeDep, csrf: str) -> tuple[str, str] | None:
    """(organisation code, session token) of the signed-in staff posting a form with its CSRF
    token (raises on a bad token), or None when nobody is signed in."""
    staff = staff_of(request, runtime)
    if staff is not None:
        check_csrf(staff[1], csrf)
    return staff


def _staged(code: str, digest: str) -> Path:
    return STAGING / f"{code}-{digest}.sheet"


@router.post("/org/upload")
def org_upload(
    request: Request,
    runtime: RuntimeDep,
    plan_ref: PlanRef,
    file: Annotated[UploadFile, File()],
    csrf: Csrf = "",
) -> Response:
    """Check the sheet and show every row problem; nothing is recorded until the officer confirms."""
    staff = _posting_staff(request, runtime, csrf)
    if staff is None:
        return to_signin()
    digest = file_sha256(file.file)
    STAGING.mkdir(parents=True, exist_ok=True)
    with _staged(staff[0], digest).open("wb") as staged:
        shutil.copyfileobj(file.file, staged)
    context = {
        "title": "核对结果",
        "signed_in": True,
        "csrf": csrf_token(staff[1]),
        "plan_ref": plan_ref,
        "digest": digest,
    }
    try:
        with _staged(staff[0], digest).open("rb") as stream:
            _, rows = read_sheet(stream)  # read and bounded before any transaction
        with runtime.session() as session:
            organisation = organisations.get_organisation(session, staff[0])
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
    plan_ref: PlanRef,
    digest: Annotated[str, Form(pattern=r"^[0-9a-f]{64}$")],
    accept_valid_rows: Annotated[bool, Form()] = False,
    csrf: Csrf = "",
) -> Response:
    """Record the checked sheet: the platform signs its digest with the organisation's key."""
    staff = _posting_staff(request, runtime, csrf)
    if staff is None:
        return to_signin()
    staged = _staged(staff[0], digest)
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
            organisations.get_organisation(session, staff[0]),
            plan_ref=plan_ref,
            rows=rows,
            source=source,
            content_sha256=digest,
            accept_valid_rows=accept_valid_rows,
        )
    staged.unlink(missing_ok=True)
    return RedirectResponse("/org#submissions", status_code=303)


@router.post("/org/submissions/{submission_id}/issue")
def org_issue(submission_id: str, request: Request, runtime: RuntimeDep, csrf: Csrf = "") -> Response:
    staff = _posting_staff(request, runtime, csrf)
    if staff is None:
        return to_signin()
    issuance.issue_submission(
        runtime.session,
        runtime.keystore,
        runtime.issuance,
        staff[0],
        submission_id,
        data_key=runtime.settings.data_key_bytes,
    )
    return RedirectResponse("/org#submissions", status_code=303)


@router.get("/publicity")
def publicity_page(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    with runtime.read_session() as session:
        candidates = publicity.under_publicity(session)
    return with_form_token(request, runtime, "publicity.html", {"title": "公示", "candidates": candidates})


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
    with runtime.read_session() as session:
        candidates = publicity.under_publicity(session)
    context = {"title": "公示", "candidates": candidates, "message": message, "failed": failed}
    return with_form_token(request, runtime, "publicity.html", context, status=status)
