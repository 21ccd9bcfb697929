"""The employer's or HR clerk's check by hand (/check): 证书编号 + 姓名, or 证件类型 + 证件号码 + 姓名.

The same look-up, answers, masking, timing floor and rate limit as ``POST /api/v1/verify/query``;
a plain form (no JavaScript) with the pre-session CSRF protection. The ID number is never echoed
back into the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from credential_service.certificates.rules import CERTIFICATE_NUMBER
from credential_service.core.errors import InvalidInput, TooManyRequests
from credential_service.identity.rules import DOCUMENT_TYPE_NAMES, DocumentType
from credential_service.verification import lookup, service
from credential_service.verification.pages.verdicts import VerdictView, page_lang
from credential_service.verification.ports import VerifyingRuntime, VerifyingRuntimeDep
from credential_service.verification.schemas import QueryRequest
from credential_service.verification.tokens import TokenVerification
from credential_service.web.http import check_form_csrf, rate_limit
from credential_service.web.i18n import in_lang
from credential_service.web.sessions import pre_session_form

router = APIRouter(include_in_schema=False)
BY_NUMBER, BY_IDENTITY = "number", "identity"
MAX_NAME = 50  # QueryRequest.name
# Form fields are bounded loosely here so that an over-long value gets the form's own Chinese message.
Field = Annotated[str, Form(max_length=200)]


@dataclass(frozen=True)
class CheckForm:
    """What the person typed, to show again (never the ID number)."""

    by: str = BY_NUMBER
    certificate_number: str = ""
    id_type: str = DocumentType.RESIDENT_ID.value
    name: str = ""


@dataclass(frozen=True)
class FormProblem:
    field: str  # the input's id
    message: str  # "中文 / English"


def read_check_form(form: CheckForm, id_number: str) -> QueryRequest | FormProblem:
    """The look-up a form asks for, or the first thing wrong with it, naming the field. A certificate
    number of the wrong shape is said to be so (the shape is public); whether a well-formed one
    exists is only ever answered with the name."""
    name = form.name.strip()
    name_field = "name" if form.by == BY_NUMBER else "id_name"
    if form.by == BY_NUMBER:
        number = form.certificate_number.strip().upper()
        if not number:
            return FormProblem("certificate_number", "请填写证书编号 / enter the certificate number")
        if not CERTIFICATE_NUMBER.match(number):
            return FormProblem(
                "certificate_number",
                "证书编号应为 22 位：字母 Y 或 S 加 21 位数字 / a certificate number is Y or S and 21 digits",
            )
    elif form.by == BY_IDENTITY:
        if form.id_type not in set(DocumentType):
            return FormProblem("id_type", "请选择证件类型 / choose the type of ID document")
        if not id_number.strip():
            return FormProblem("id_number", "请填写证件号码 / enter the ID number")
        if len(id_number.strip()) > 40:
            return FormProblem("id_number", "证件号码过长 / the ID number is too long")
    else:
        return FormProblem("", "请使用页面上的表单 / use the form on the page")
    if not name:
        return FormProblem(name_field, "请填写姓名 / enter the name")
    if len(name) > MAX_NAME:
        return FormProblem(name_field, f"姓名最多 {MAX_NAME} 个字 / at most {MAX_NAME} characters")
    if form.by == BY_NUMBER:
        return QueryRequest(name=name, certificateNumber=form.certificate_number.strip().upper())
    return QueryRequest(name=name, idType=form.id_type, idNumber=id_number.strip())


def _page(
    request: Request,
    runtime: VerifyingRuntime,
    *,
    form: CheckForm | None = None,
    problem: FormProblem | None = None,
    views: list[VerdictView] | None = None,
    status: int = 200,
) -> HTMLResponse:
    lang = page_lang(request)
    context = {
        "title": "查验证书",
        "form": form or CheckForm(),
        "problem": problem,
        "problem_text": in_lang(problem.message, lang) if problem else "",
        "views": views,
        "document_types": [(t.value, label) for t, label in DOCUMENT_TYPE_NAMES.items()],
    }
    return pre_session_form(request, runtime, "check.html", context, status=status)


@router.get("/check")
def check_page(request: Request, runtime: VerifyingRuntimeDep) -> HTMLResponse:
    return _page(request, runtime)


@router.post("/check")
async def check_submit(
    request: Request,
    runtime: VerifyingRuntimeDep,
    *,
    by: Field = BY_NUMBER,
    certificate_number: Field = "",
    id_type: Field = DocumentType.RESIDENT_ID.value,
    id_number: Field = "",
    name: Field = "",
    csrf: Field = "",
) -> HTMLResponse:
    check_form_csrf(request, runtime, csrf)
    form = CheckForm(by, certificate_number.strip(), id_type, name.strip())
    asked = read_check_form(form, id_number)
    if isinstance(asked, FormProblem):
        return _page(request, runtime, form=form, problem=asked, status=422)
    try:
        results = await lookup.no_sooner_than(
            lookup.QUERY_FLOOR_SECONDS, partial(_look_up, asked, request, runtime)
        )
    except TooManyRequests as exc:
        response = _page(request, runtime, form=form, problem=FormProblem("", exc.message), status=exc.status)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except InvalidInput as exc:  # the ID number is not one of its type: say why, in one language
        lang = page_lang(request)
        why = [in_lang(exc.message, lang), *(in_lang(e.reason, lang) for e in exc.errors[:1])]
        problem = FormProblem("id_number", ("：" if lang == "zh" else ": ").join(why))
        return _page(request, runtime, form=form, problem=problem, status=exc.status)
    lang = page_lang(request)
    # A found certificate is shown masked; the form is then emptied rather than show the name in full.
    shown = CheckForm(form.by, id_type=form.id_type) if results else form
    return _page(request, runtime, form=shown, views=[VerdictView.of(r, lang) for r in results])


def _look_up(body: QueryRequest, request: Request, runtime: VerifyingRuntime) -> list[TokenVerification]:
    """What the API's look-up does, for a page: the same limiter, look-up and verification log."""
    rate_limit(runtime.query_limiter, request)
    with runtime.replica_session() as session:
        results = lookup.query(session, runtime.settings.data_key_bytes, body, settings=runtime.verification)
    service.queue_logs(
        runtime.verification_log, results, channel="query", user_agent=request.headers.get("user-agent")
    )
    return results
