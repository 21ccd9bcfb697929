"""Pages for an organisation's staff (file a plan, upload, check, confirm, follow publicity and
objections, issue, export) and the public 公示."""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from credential_service.assessment.occupations.service import occupation_names
from credential_service.assessment.organisations import service as organisations
from credential_service.assessment.organisations.pages import OrgStaff
from credential_service.assessment.workflow import issuance, plans, publicity, submissions
from credential_service.assessment.workflow.forms import EXAMINER_ROWS, PlanForm, choice_value, plan_request
from credential_service.assessment.workflow.results.sheet import (
    file_sha256,
    read_sheet,
    rows_as_csv,
    rows_as_xlsx,
)
from credential_service.assessment.workflow.rules import batch_stage
from credential_service.certificates.ports import IssuingRuntimeDep
from credential_service.certificates.rules import SkillLevel
from credential_service.core.errors import FieldError, InvalidInput, ServiceError
from credential_service.web.http import (
    RuntimeDep,
    check_csrf,
    check_form_csrf,
    private_download,
    rate_limit,
)
from credential_service.web.i18n import pick_lang
from credential_service.web.sessions import PageSession, pre_session_form
from credential_service.web.templating import render

router = APIRouter(include_in_schema=False)
STAGING = Path(tempfile.gettempdir()) / "credential-service-uploads"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _org_page(
    request: Request, staff: PageSession, template: str, title: str, status: int = 200, **extra: Any
) -> HTMLResponse:
    english = pick_lang(request.query_params.get("lang"), request.cookies.get("lang")) == "en"

    def level_title(level: int) -> str:
        return SkillLevel(level).title_en if english else SkillLevel(level).title_zh

    context = {
        "title": title,
        "signed_in": True,
        "signout_action": "/org/signout",
        "csrf": staff.csrf,
        "level_title": level_title,
        "today": plans.beijing_today(),
        "stage_of": lambda r: batch_stage(r.state, r.publicity_ends_on, plans.beijing_today(), held=r.held),
        **extra,
    }
    return render(request, template, context, status=status)


@router.get("/org")
def org_home(request: Request, runtime: RuntimeDep, staff: OrgStaff) -> Response:
    with runtime.read_session() as session:
        organisation = organisations.get_organisation(session, staff.tenant)
        filed = plans.plans_of(session, organisation)
        return _org_page(
            request,
            staff,
            "org_home.html",
            organisation.name,
            organisation=organisation,
            plans=filed,
            names=occupation_names(session, {p.occupation_code for p in filed}),
            reports=submissions.reports_of(session, organisation),
            objection_counts=publicity.objection_counts(session, organisation),
        )


# --- filing a plan ---------------------------------------------------------------------------------

Line = Annotated[str, Form(max_length=200)]
Lines = Annotated[list[Annotated[str, Form(max_length=100)]], Form(max_length=EXAMINER_ROWS)]


def _plan_form(
    request: Request, runtime: RuntimeDep, staff: PageSession, form: PlanForm, status: int = 200
) -> HTMLResponse:
    with runtime.read_session() as session:
        organisation = organisations.get_organisation(session, staff.tenant)
        choices = plans.plan_choices(session, organisation, plans.beijing_today())
    return _org_page(
        request,
        staff,
        "org_plan_new.html",
        "提交评价计划",
        status=status,
        form=form,
        choices=[(choice_value(c.choice), c) for c in choices],
    )


@router.get("/org/plans/new")
def org_plan_new(request: Request, runtime: RuntimeDep, staff: OrgStaff) -> Response:
    return _plan_form(request, runtime, staff, PlanForm())


@router.post("/org/plans/new")
def org_plan_file(
    request: Request,
    runtime: RuntimeDep,
    staff: OrgStaff,
    plan_ref: Line = "",
    choice: Line = "",
    exam_start: Line = "",
    exam_end: Line = "",
    examiner_name: Lines | None = None,
    examiner_number: Lines | None = None,
    csrf: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """File a plan with the API's service function (same rules, same audit event); a refused form
    is shown again with each problem by its field, and nothing is recorded."""
    check_csrf(staff.token, csrf)
    form = PlanForm(
        plan_ref=plan_ref,
        choice=choice,
        exam_start=exam_start,
        exam_end=exam_end,
        examiner_name=examiner_name or [],
        examiner_number=examiner_number or [],
    )
    with runtime.read_session() as session:
        organisation = organisations.get_organisation(session, staff.tenant)
        offered = [c.choice for c in plans.plan_choices(session, organisation, plans.beijing_today())]
    body = plan_request(form, offered)
    if body is not None:
        try:
            with runtime.session() as session:
                plan = plans.file_requested_plan(
                    session, organisations.get_organisation(session, staff.tenant), body
                )
                return RedirectResponse(f"/org/plans/{plan.plan_ref}?filed=1", status_code=303)
        except InvalidInput as exc:
            form.problems_from(exc.errors or [FieldError("plan_ref", exc.message)])
        except ServiceError as exc:  # the reference is taken (409), the organisation is not active
            form.errors["plan_ref" if exc.code == "plan_exists" else "form"] = exc.message
    form.examiner_name += [""] * (EXAMINER_ROWS - len(form.examiner_name))
    form.examiner_number += [""] * (EXAMINER_ROWS - len(form.examiner_number))
    return _plan_form(request, runtime, staff, form, status=422)


@router.get("/org/plans/{plan_ref}")
def org_plan(
    plan_ref: str, request: Request, runtime: RuntimeDep, staff: OrgStaff, filed: int = 0
) -> Response:
    """A plan (another organisation's reads as an unknown one: 404), its upload form and batches."""
    with runtime.read_session() as session:
        organisation = organisations.get_organisation(session, staff.tenant)
        plan = plans.get_plan(session, organisation, plan_ref)
        return _org_page(
            request,
            staff,
            "org_plan.html",
            plan.plan_ref,
            plan=plan,
            filed=bool(filed),
            occupation_name=occupation_names(session, {plan.occupation_code}).get(plan.occupation_code, ""),
            examiners=plans.examiners_of(plan),
            reports=[r for r in submissions.reports_of(session, organisation) if r.plan_ref == plan.plan_ref],
        )


# --- results: upload, check, confirm -----------------------------------------------------------------

PlanRef = Annotated[str, Form(max_length=40)]
Csrf = Annotated[str, Form(max_length=64)]


_ROW_LOC = re.compile(r"^row (\d+): (.*)$", re.S)
_SHEET_LOCS = {"file": ("文件", "file"), "rows": ("其他", "other rows")}


def _where(loc: str, request: Request) -> str:
    """Where a sheet problem is, in the reader's words: the API's ``row 4: 证件号码`` reads
    ``第 4 行：证件号码`` on a Chinese page."""
    english = pick_lang(request.query_params.get("lang"), request.cookies.get("lang")) == "en"
    if (found := _ROW_LOC.match(loc)) is not None:
        return loc if english else f"第 {found[1]} 行：{found[2]}"
    zh, en = _SHEET_LOCS.get(loc, (loc, loc))
    return en if english else zh


def _staged(staff: PageSession, digest: str) -> Path:
    """The sheet waiting for this officer's confirmation: per sign-in session, so two officers (or two
    deployments on one host) checking the same sheet never take each other's copy."""
    session = hashlib.sha256(staff.token.encode()).hexdigest()[:16]
    return STAGING / f"{staff.tenant}-{session}-{digest}.sheet"


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
    with _staged(staff, digest).open("wb") as staged:
        shutil.copyfileobj(file.file, staged)
    context = {
        "title": "核对结果",
        "signed_in": True,
        "csrf": staff.csrf,
        "plan_ref": plan_ref,
        "digest": digest,
        "signout_action": "/org/signout",
    }
    try:
        with _staged(staff, digest).open("rb") as stream:
            _, rows = read_sheet(stream)  # read and bounded before any transaction
        with runtime.session() as session:
            organisation = organisations.get_organisation(session, staff.tenant)
            checked = submissions.preview_results(
                session, runtime.settings.data_key_bytes, organisation, plan_ref, rows
            )
    except ServiceError as exc:
        where = _where("file", request)
        context |= {"rows": 0, "passed": 0, "errors": [{"loc": where, "reason": str(exc)}]}
        return render(request, "org_preview.html", context, status=422)
    context |= {
        "rows": checked.accepted,
        "passed": checked.passed,
        "errors": [{"loc": _where(e.loc, request), "reason": e.reason} for e in checked.listed_errors()],
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
    staged = _staged(staff, digest)
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
        submission = submissions.submit_results(
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
        public_id = submission.public_id
    staged.unlink(missing_ok=True)
    return RedirectResponse(f"/org/submissions/{public_id}", status_code=303)


@router.get("/org/submissions/{submission_id}")
def org_submission(submission_id: str, request: Request, runtime: RuntimeDep, staff: OrgStaff) -> Response:
    """A batch: its stage, counts, publicity dates, objections received, issuing and the export."""
    with runtime.read_session() as session:
        organisation = organisations.get_organisation(session, staff.tenant)
        submission = submissions.get_submission(session, organisation, submission_id)
        received, _ = publicity.objections(session, submission=submission, limit=500)
        return _org_page(
            request,
            staff,
            "org_submission.html",
            "评价结果批次",
            report=submissions.report(session, submission),
            objections=received,
        )


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
        actor=staff.principal.subject,
    )
    return RedirectResponse(f"/org/submissions/{submission_id}", status_code=303)


@router.get("/org/submissions/{submission_id}/national-export.{fmt}")
def org_national_export(
    submission_id: str, fmt: Literal["csv", "xlsx"], runtime: RuntimeDep, staff: OrgStaff
) -> Response:
    """The issued certificates in the national database's layout (clear ID numbers: audited, and
    never kept by a cache), as the API's export."""
    with runtime.session() as session:
        submission = submissions.get_submission(
            session, organisations.get_organisation(session, staff.tenant), submission_id
        )
        rows = issuance.national_rows(
            session, runtime.settings.data_key_bytes, submission, actor=staff.principal.subject
        )
    name = f"national-{submission_id}.{fmt}"
    if fmt == "csv":
        return private_download(rows_as_csv(issuance.NATIONAL_COLUMNS, rows), "text/csv; charset=utf-8", name)
    return private_download(rows_as_xlsx(issuance.NATIONAL_COLUMNS, rows), XLSX, name)


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
