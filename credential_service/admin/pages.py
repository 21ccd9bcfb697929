"""Administrator and auditor pages (server-rendered, Chinese first, no JavaScript).

Sign-in: a one-time link from ``credential-service token admin|auditor --link`` opens
``/admin/signin?token=…``; its form posts the token back (the pre-session forms' signed double-submit
CSRF value, rate-limited like every sign-in) and gets a 15-minute session cookie. Every page admits
administrators and auditors (anyone else is sent to the sign-in page); the forms, and the POSTs
behind them, are for administrators only (auditors: 403).
No page shows a clear ID number.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from credential_service.admin import service
from credential_service.admin.forms import ResolutionForm, resolution_request
from credential_service.admin.rules import actor_text, audit_event_text, subject_text
from credential_service.assessment.organisations.rules import ORG_TYPE_NAMES, STATUS_NAMES
from credential_service.certificates.ports import IssuingRuntimeDep
from credential_service.certificates.status.rules import ReasonCode, StatusAction
from credential_service.core.clock import beijing_text
from credential_service.core.errors import Forbidden, ServiceError
from credential_service.identity.signin import staff as staff_signin
from credential_service.platform.tokens import STAFF_ROLES, Role
from credential_service.web.http import (
    RuntimeDep,
    check_csrf,
)
from credential_service.web.i18n import pick_lang
from credential_service.web.sessions import LinkSignIn, PageSession, sign_out, signed_in
from credential_service.web.templating import render

router = APIRouter(include_in_schema=False)
Page = Annotated[int, Query(ge=1, le=1_000_000)]
Csrf = Annotated[str, Form(max_length=64)]
REASONS = [r for r in ReasonCode if r is not ReasonCode.SUPERSEDED]  # set by a correction only


Staff = Annotated[PageSession, Depends(signed_in(*STAFF_ROLES, signin_path=staff_signin.SIGNIN_PATH))]


def staff_page(
    request: Request, staff: PageSession, template: str, title: str, status: int = 200, **extra: Any
) -> HTMLResponse:
    principal = staff.principal
    english = pick_lang(request.query_params.get("lang"), request.cookies.get("lang")) == "en"

    def action_title(action: str) -> str:
        known = action in set(StatusAction)
        return (
            (StatusAction(action).title_en if english else StatusAction(action).title_zh) if known else action
        )

    context = {
        "action_title": action_title,
        "title": title,
        "signed_in": True,
        "signout_action": "/admin/signout",
        "csrf": staff.csrf,
        "staff": principal,
        "is_admin": principal.role is Role.ADMIN,
        "when": partial(beijing_text, minutes=True),
        "status_names": STATUS_NAMES,
        "org_type_names": ORG_TYPE_NAMES,
        "event_words": partial(audit_event_text, english=english),
        "actor_words": partial(actor_text, english=english),
        "subject_words": partial(subject_text, english=english),
        **extra,
    }
    return render(request, template, context, status=status)


def message_page(request: Request, status: int, message: str) -> HTMLResponse:
    return render(
        request,
        "message.html",
        {"title": str(status), "heading": str(status), "message": message},
        status=status,
    )


def admin_refusal(request: Request, staff: PageSession, csrf: str) -> Response | None:
    """The answer to give instead of a form post's work: auditors only read; the CSRF token must match."""
    if staff.principal.role is not Role.ADMIN:
        return message_page(request, 403, "审计员只能查看，不能修改 / auditors read only")
    try:
        check_csrf(staff.token, csrf)
    except Forbidden as exc:
        return message_page(request, exc.status, exc.message)
    return None


# --- sign-in ---------------------------------------------------------------------------------------


STAFF_SIGNIN = LinkSignIn("admin_signin.html", "管理员登录", "/admin")


@router.get(staff_signin.SIGNIN_PATH)
def admin_signin(
    request: Request, runtime: RuntimeDep, token: Annotated[str, Query(max_length=4000)] = ""
) -> HTMLResponse:
    """The page a sign-in link opens: one button posts the link's token (opening it uses nothing up)."""
    return STAFF_SIGNIN.page(request, runtime, token)


@router.post(staff_signin.SIGNIN_PATH)
def admin_signin_post(
    request: Request, runtime: RuntimeDep, token: Annotated[str, Form(max_length=4000)], csrf: Csrf = ""
) -> Response:
    def spend(link_token: str) -> staff_signin.StaffSession:
        with runtime.session() as session:
            return staff_signin.redeem_signin_link(session, runtime.keystore, runtime.settings, link_token)

    return STAFF_SIGNIN.redeem(request, runtime, token, csrf, spend)


@router.post("/admin/signout")
def admin_signout(request: Request, runtime: RuntimeDep, csrf: Csrf = "") -> Response:
    return sign_out(request, runtime, csrf, *STAFF_ROLES, signin_path=staff_signin.SIGNIN_PATH)


# --- pages (administrators and auditors) -----------------------------------------------------------


@router.get("/admin")
def admin_home(request: Request, runtime: RuntimeDep, staff: Staff) -> Response:
    with runtime.read_session() as session:
        overview = service.overview(session, public_base_url=runtime.settings.public_base_url)
    return staff_page(request, staff, "admin_home.html", "管理", overview=overview, nav="home")


@router.get("/admin/organisations")
def admin_organisations(
    request: Request,
    runtime: RuntimeDep,
    staff: Staff,
    page: Page = 1,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    with runtime.read_session() as session:
        listing = service.organisations_page(
            session, public_base_url=runtime.settings.public_base_url, page=page, q=q
        )
    return staff_page(
        request, staff, "admin_organisations.html", "评价机构", listing=listing, q=q or "", nav="orgs"
    )


@router.get("/admin/organisations/{code}")
def admin_organisation(code: str, request: Request, runtime: RuntimeDep, staff: Staff) -> Response:
    try:
        with runtime.read_session() as session:
            detail = service.organisation_detail(
                session, code, public_base_url=runtime.settings.public_base_url
            )
    except ServiceError as exc:
        return message_page(request, exc.status, exc.message)
    return staff_page(
        request, staff, "admin_organisation.html", detail.organisation.name, detail=detail, nav="orgs"
    )


def _batches(
    request: Request,
    runtime: RuntimeDep,
    staff: PageSession,
    page: int = 1,
    *,
    done: str | None = None,
    error: ServiceError | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    with runtime.read_session() as session:
        listing = service.batches_page(session, page)
    return staff_page(
        request,
        staff,
        "admin_batches.html",
        "批次",
        status=error.status if error else 200,
        listing=listing,
        reasons=REASONS,
        done=done,
        error=error,
        form=form or {},
        nav="batches",
    )


@router.get("/admin/batches")
def admin_batches(
    request: Request,
    runtime: RuntimeDep,
    staff: Staff,
    page: Page = 1,
    done: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    return _batches(request, runtime, staff, page, done=done)


@router.post("/admin/batches/{batch_id}/revoke")
def admin_revoke_batch(
    batch_id: str,
    request: Request,
    runtime: RuntimeDep,
    staff: Staff,
    reason_code: Annotated[str, Form(max_length=40)] = "",
    evidence: Annotated[str, Form(max_length=400)] = "",
    authority: Annotated[str, Form(max_length=400)] = "",
    csrf: Csrf = "",
) -> Response:
    """Revoke every certificate of one batch (administrators only), as the API does."""
    if (refusal := admin_refusal(request, staff, csrf)) is not None:
        return refusal
    try:
        with runtime.session() as session:
            service.revoke_batch(
                session, staff.principal, batch_id, reason=reason_code, evidence=evidence, authority=authority
            )
    except ServiceError as exc:
        form = {
            "batch_id": batch_id,
            "reason_code": reason_code,
            "evidence": evidence,
            "authority": authority,
        }
        return _batches(request, runtime, staff, error=exc, form=form)
    return RedirectResponse(f"/admin/batches?done={batch_id}", status_code=303)


def _status_changes(
    request: Request,
    runtime: RuntimeDep,
    staff: PageSession,
    page: int = 1,
    *,
    done: str | None = None,
    error: ServiceError | None = None,
    form: dict[str, str] | None = None,
    corrected: str | None = None,
    correction_error: ServiceError | None = None,
    correction: dict[str, str] | None = None,
) -> HTMLResponse:
    with runtime.read_session() as session:
        listing = service.status_changes_page(session, page)
    return staff_page(
        request,
        staff,
        "admin_status_changes.html",
        "证书状态变更",
        status=refusal.status if (refusal := error or correction_error) else 200,
        listing=listing,
        actions=service.PAGE_ACTIONS,
        reasons=REASONS,
        done=done,
        error=error,
        form=form or {},
        corrected=corrected,
        correction_error=correction_error,
        correction=correction or {},
        nav="status",
    )


@router.get("/admin/status-changes")
def admin_status_changes(
    request: Request,
    runtime: RuntimeDep,
    staff: Staff,
    page: Page = 1,
    done: Annotated[str | None, Query(max_length=22)] = None,
    corrected: Annotated[str | None, Query(max_length=22)] = None,
) -> Response:
    return _status_changes(request, runtime, staff, page, done=done, corrected=corrected)


@router.post("/admin/status-changes")
def admin_change_status(
    request: Request,
    runtime: RuntimeDep,
    staff: Staff,
    certificate_number: Annotated[str, Form(max_length=40)],
    action: Annotated[Literal["revoke", "suspend", "reinstate"], Form()],
    evidence: Annotated[str, Form(max_length=400)],
    authority: Annotated[str, Form(max_length=400)],
    reason_code: Annotated[str, Form(max_length=40)] = "",
    csrf: Csrf = "",
) -> Response:
    """Revoke, suspend or reinstate a certificate by its number (administrators only)."""
    if (refusal := admin_refusal(request, staff, csrf)) is not None:
        return refusal
    number = certificate_number.strip()
    try:
        with runtime.session() as session:
            service.change_certificate_status(
                session,
                staff.principal,
                number,
                StatusAction(action),
                reason=reason_code,
                evidence=evidence,
                authority=authority,
            )
    except ServiceError as exc:
        form = {
            "certificate_number": number,
            "action": action,
            "reason_code": reason_code,
            "evidence": evidence,
            "authority": authority,
        }
        return _status_changes(request, runtime, staff, error=exc, form=form)
    return RedirectResponse(f"/admin/status-changes?done={number}", status_code=303)


@router.post("/admin/corrections")
def admin_correct_name(
    request: Request,
    runtime: IssuingRuntimeDep,
    staff: Staff,
    certificate_number: Annotated[str, Form(max_length=40)] = "",
    holder_name: Annotated[str, Form(max_length=200)] = "",
    evidence: Annotated[str, Form(max_length=400)] = "",
    authority: Annotated[str, Form(max_length=400)] = "",
    csrf: Csrf = "",
) -> Response:
    """Correct a holder's name (更正换发, administrators only): a new certificate replaces the old one."""
    if (refusal := admin_refusal(request, staff, csrf)) is not None:
        return refusal
    number = certificate_number.strip()
    try:
        with runtime.session() as session:
            corrected = service.correct_holder_name(
                session,
                runtime.keystore,
                runtime.issuance,
                runtime.settings.data_key_bytes,
                principal=staff.principal,
                certificate_number=number,
                holder_name=holder_name,
                evidence=evidence,
                authority=authority,
            )
            new_number = corrected.new_certificate.certificate_number or ""
    except ServiceError as exc:
        form = {
            "certificate_number": number,
            "holder_name": holder_name,
            "evidence": evidence,
            "authority": authority,
        }
        return _status_changes(request, runtime, staff, correction_error=exc, correction=form)
    return RedirectResponse(f"/admin/status-changes?corrected={new_number}", status_code=303)


# --- objections to candidates under publicity (异议) ------------------------------------------------


def _objections(
    request: Request,
    runtime: RuntimeDep,
    staff: PageSession,
    page: int = 1,
    *,
    done: str | None = None,
    form: ResolutionForm | None = None,
    status: int = 200,
) -> HTMLResponse:
    with runtime.read_session() as session:
        listing = service.objections_page(session, page)
    return staff_page(
        request,
        staff,
        "admin_objections.html",
        "公示异议",
        status=status,
        listing=listing,
        done=done,
        form=form or ResolutionForm(),
        nav="objections",
    )


@router.get("/admin/objections")
def admin_objections(
    request: Request,
    runtime: RuntimeDep,
    staff: Staff,
    page: Page = 1,
    done: Annotated[str | None, Query(max_length=12)] = None,
) -> Response:
    return _objections(request, runtime, staff, page, done=done)


@router.post("/admin/objections/{objection_id}/resolve")
def admin_resolve_objection(
    objection_id: str,
    request: Request,
    runtime: RuntimeDep,
    staff: Staff,
    decision: Annotated[str, Form(max_length=20)] = "",
    resolution: Annotated[str, Form(max_length=2000)] = "",
    csrf: Csrf = "",
) -> Response:
    """Uphold or dismiss an objection with the grounds (administrators only), as the API does; a bad
    form is shown again with its problems and nothing changes."""
    if (refusal := admin_refusal(request, staff, csrf)) is not None:
        return refusal
    form = ResolutionForm(objection_id=objection_id, decision=decision, resolution=resolution)
    body = resolution_request(form)
    if body is None:
        return _objections(request, runtime, staff, form=form, status=422)
    try:
        with runtime.session() as session:
            service.resolve_objection(session, staff.principal, objection_id, body)
    except ServiceError as exc:
        form.errors["form"] = exc.message
        return _objections(request, runtime, staff, form=form, status=exc.status)
    return RedirectResponse(f"/admin/objections?done={decision}", status_code=303)


@router.get("/admin/keys")
def admin_keys(request: Request, runtime: RuntimeDep, staff: Staff) -> Response:
    with runtime.read_session() as session:
        keys = service.all_keys(session)
    return staff_page(request, staff, "admin_keys.html", "签名密钥", issuers=keys, nav="keys")


@router.post("/admin/keys/{code}/rotate")
def admin_rotate_key(
    code: str, request: Request, runtime: RuntimeDep, staff: Staff, csrf: Csrf = ""
) -> Response:
    """Rotate an issuer's signing key (administrators only): new credentials use the new key."""
    if (refusal := admin_refusal(request, staff, csrf)) is not None:
        return refusal
    try:
        with runtime.session() as session:
            service.rotate_issuer_key(session, runtime.keystore, code, actor=staff.principal.subject)
    except ServiceError as exc:
        return message_page(request, exc.status, exc.message)
    return RedirectResponse(f"/admin/keys#issuer-{code}", status_code=303)


@router.get("/admin/audit")
def admin_audit(request: Request, runtime: RuntimeDep, staff: Staff, page: Page = 1) -> Response:
    with runtime.read_session() as session:
        trail = service.audit_page(session, page)
    return staff_page(request, staff, "admin_audit.html", "审计日志", trail=trail, nav="audit")
