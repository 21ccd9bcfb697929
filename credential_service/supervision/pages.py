"""The supervision cases on the administrators' pages: ``/admin/cases`` (filters, newest first) and
``/admin/cases/{id}`` (evidence, steps, the form that moves the case). Every page admits
administrators and auditors; the form, and the POST behind it, are for administrators only."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from credential_service.core.clock import beijing_text
from credential_service.core.errors import Forbidden, ServiceError
from credential_service.identity.signin import staff as staff_signin
from credential_service.platform.tokens import STAFF_ROLES, Role
from credential_service.records.training.rules import SHANXI_CITIES
from credential_service.supervision import service
from credential_service.supervision.rules.cases import CaseStatus, Severity, SubjectType
from credential_service.supervision.rules.registry import CHECKS
from credential_service.supervision.schemas import CaseTransition
from credential_service.web.http import RuntimeDep, check_csrf
from credential_service.web.sessions import PageSession, signed_in
from credential_service.web.templating import render

router = APIRouter(include_in_schema=False)
Staff = Annotated[PageSession, Depends(signed_in(*STAFF_ROLES, signin_path=staff_signin.SIGNIN_PATH))]
Filter = Annotated[str, Query(max_length=48)]


@dataclass
class CaseForm:
    status: str = ""
    outcome: str = ""
    reason: str = ""
    error: str | None = None


def _page(
    request: Request, staff: PageSession, template: str, title: str, status: int = 200, **extra: Any
) -> HTMLResponse:
    context = {
        "title": title,
        "signed_in": True,
        "signout_action": "/admin/signout",
        "csrf": staff.csrf,
        "staff": staff.principal,
        "is_admin": staff.principal.role is Role.ADMIN,
        "when": partial(beijing_text, minutes=True),
        "nav": "cases",
        "checks": CHECKS,
        "cities": SHANXI_CITIES,
        "status_words": {s.value: s.title_zh for s in CaseStatus},
        "severity_words": {s.value: s.title_zh for s in Severity},
        "subject_words": {s.value: s.title_zh for s in SubjectType},
        **extra,
    }
    return render(request, template, context, status=status)


@router.get("/admin/cases")
def cases(
    request: Request,
    runtime: RuntimeDep,
    staff: Staff,
    kind: Filter = "",
    status: Filter = "",
    city: Filter = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    chosen = {"kind": kind, "status": status, "city": city}
    try:
        wanted = service.case_filter(kind, status, city)
    except ServiceError as exc:
        refused = "；".join(e.reason for e in exc.errors)
        return _page(
            request, staff, "admin_cases.html", "监管案件", 422, chosen=chosen, refused=refused, listing=None
        )
    with runtime.read_session() as session:
        views, total = service.list_cases(session, wanted, page=page)
    listing = {"cases": views, "page": page, "pages": max(1, -(-total // service.PAGE_SIZE)), "total": total}
    base = "/admin/cases?" + "".join(f"{urlencode({k: v})}&" for k, v in chosen.items() if v)
    return _page(
        request,
        staff,
        "admin_cases.html",
        "监管案件",
        chosen=chosen,
        listing=listing,
        base=base,
        refused=None,
    )


def _case_page(
    request: Request,
    runtime: RuntimeDep,
    staff: PageSession,
    case_id: str,
    *,
    form: CaseForm | None = None,
    status: int = 200,
    done: bool = False,
) -> Response:
    try:
        with runtime.read_session() as session:
            case = service.get_case(session, case_id)
    except ServiceError as exc:
        return _message(request, exc.status, exc.message)
    return _page(
        request,
        staff,
        "admin_case.html",
        f"监管案件 {case.check_title}",
        status,
        case=case,
        form=form or CaseForm(),
        done=done,
    )


@router.get("/admin/cases/{case_id}")
def case_detail(
    case_id: str,
    request: Request,
    runtime: RuntimeDep,
    staff: Staff,
    done: Annotated[str, Query(max_length=4)] = "",
) -> Response:
    return _case_page(request, runtime, staff, case_id, done=done == "1")


def _message(request: Request, status: int, message: str) -> HTMLResponse:
    return render(
        request,
        "message.html",
        {"title": str(status), "heading": str(status), "message": message},
        status=status,
    )


@router.post("/admin/cases/{case_id}/transition")
def move_case(
    case_id: str,
    request: Request,
    runtime: RuntimeDep,
    staff: Staff,
    status: Annotated[str, Form(max_length=20)] = "",
    outcome: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
    csrf: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Move the case as the API does (administrators only); a refusal is shown on the case and
    nothing changes."""
    if staff.principal.role is not Role.ADMIN:
        return _message(request, 403, "审计员只能查看，不能修改 / auditors read only")
    try:
        check_csrf(staff.token, csrf)
    except Forbidden as exc:
        return _message(request, exc.status, exc.message)
    form = CaseForm(status, outcome, reason)
    try:
        # The outcome's radio buttons stay on the form; they count only when closing.
        chosen = outcome if status == CaseStatus.CLOSED.value else ""
        body = CaseTransition(status=status, outcome=chosen or None, reason=reason)
    except ValidationError as exc:
        form.error = _form_problem(exc)
        return _case_page(request, runtime, staff, case_id, form=form, status=422)
    try:
        with runtime.session() as session:
            service.transition(
                session,
                case_id,
                status=body.status,
                outcome=body.outcome,
                reason=body.reason,
                actor=staff.principal.subject,
            )
    except ServiceError as exc:
        form.error = exc.message
        return _case_page(request, runtime, staff, case_id, form=form, status=exc.status)
    return RedirectResponse(f"/admin/cases/{case_id}?done=1", status_code=303)


_FIELD_WORDS = {"status": "改为", "outcome": "结论", "reason": "理由"}


def _form_problem(exc: ValidationError) -> str:
    """Each wrong field of the form, named in Chinese."""
    lines = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else ""
        name = _FIELD_WORDS.get(field, field)
        if field == "reason" and error["type"] in ("string_too_short", "missing"):
            lines.append(f"{name}：请填写理由（至少 2 个字） / give a reason")
        elif field == "reason":
            lines.append(f"{name}：{str(error['msg']).removeprefix('Value error, ')}")
        else:
            lines.append(f"{name}：请从选项中选择 / choose one of the options")
    return "；".join(lines)
