"""Administrator and auditor pages of the subsidies (以证定补): the officers' queue and the rule
sets, the import of payments made by the external payment system, and the recovery register with
its resolution and downloads. Pages admit administrators and auditors; forms are for
administrators only (auditors: 403), as on every admin page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from credential_service.admin.pages import Csrf, Staff, admin_refusal, message_page, staff_page
from credential_service.core import sheets
from credential_service.core.errors import ServiceError
from credential_service.subsidies import claims as subsidy_claims
from credential_service.subsidies import decisions as subsidy_decisions
from credential_service.subsidies import imports, recoveries
from credential_service.subsidies import service as subsidy_rule_sets
from credential_service.subsidies import views as subsidy_views
from credential_service.subsidies.models import RecoveryState
from credential_service.subsidies.ports import SubsidiesRuntimeDep
from credential_service.subsidies.rules import SubsidyType
from credential_service.web.http import RuntimeDep, private_download
from credential_service.web.i18n import pick_lang, yuan_text
from credential_service.web.sessions import PageSession

router = APIRouter(include_in_schema=False)


# --- subsidy claims: the officers' queue and the rule sets (以证定补) -----------------------------------


@dataclass
class DecisionForm:
    claim_id: str = ""
    decision: str = ""
    reason: str = ""
    error: str = ""  # the service's refusal, shown at the claim it is about


@dataclass(frozen=True)
class RuleSetLine:
    type_name: str
    version: str
    title: str
    source_document: str
    valid_from: date
    valid_until: date | None
    sha256: str


def _subsidies(
    request: Request,
    runtime: RuntimeDep,
    staff: PageSession,
    *,
    done: str | None = None,
    form: DecisionForm | None = None,
    status: int = 200,
) -> HTMLResponse:
    english = pick_lang(request.query_params.get("lang"), request.cookies.get("lang")) == "en"
    with runtime.read_session() as session:
        queue = subsidy_views.views(session, subsidy_claims.claims_waiting(session))
        rule_sets = [
            RuleSetLine(
                SubsidyType(row.subsidy_type).title_en if english else SubsidyType(row.subsidy_type).title_zh,
                row.version,
                row.title,
                row.source_document,
                row.valid_from,
                row.valid_until,
                row.sha256,
            )
            for row in subsidy_rule_sets.list_rule_sets(session)
        ]
    return staff_page(
        request,
        staff,
        "admin_subsidies.html",
        "补贴审核",
        status=status,
        queue=queue,
        rule_sets=rule_sets,
        done=done if done in ("approve", "refuse") else None,
        form=form or DecisionForm(),
        yuan=yuan_text,
        nav="subsidies",
    )


@router.get("/admin/subsidies")
def admin_subsidies(
    request: Request,
    runtime: RuntimeDep,
    staff: Staff,
    done: Annotated[str | None, Query(max_length=12)] = None,
) -> Response:
    return _subsidies(request, runtime, staff, done=done)


@router.post("/admin/subsidies/{claim_id}/decision")
def admin_decide_subsidy(
    claim_id: str,
    request: Request,
    runtime: SubsidiesRuntimeDep,
    staff: Staff,
    decision: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
    csrf: Csrf = "",
) -> Response:
    """Approve (pays the person's own card account) or refuse a waiting claim with a reason
    (administrators only), as the API does; a refusal is shown at the claim and nothing changes."""
    if (refusal := admin_refusal(request, staff, csrf)) is not None:
        return refusal
    form = DecisionForm(claim_id=claim_id, decision=decision, reason=reason)
    if decision not in ("approve", "refuse"):
        form.error = "请选择批准或不予补贴 / choose approve or refuse"
        return _subsidies(request, runtime, staff, form=form, status=422)
    try:
        with runtime.session() as session:
            subsidy_decisions.decide(
                session,
                runtime.social_insurance,
                data_key=runtime.settings.data_key_bytes,
                claim_id=claim_id,
                approve=decision == "approve",
                reason=reason,
                officer=staff.principal.subject,
            )
    except ServiceError as exc:
        form.error = "；".join(e.reason for e in exc.errors) or exc.message
        return _subsidies(request, runtime, staff, form=form, status=exc.status)
    return RedirectResponse(f"/admin/subsidies?done={decision}", status_code=303)


# --- payments imported from the external payment system -------------------------------------------------


@router.post("/admin/subsidies/payments/upload")
def admin_import_payments(
    request: Request,
    runtime: SubsidiesRuntimeDep,
    staff: Staff,
    file: Annotated[UploadFile, File()],
    csrf: Csrf = "",
) -> Response:
    """Import a sheet of payments made by the external system, through the same rules (decision 037):
    the page lists what was imported and every refused row with its rule and why."""
    if (refusal := admin_refusal(request, staff, csrf)) is not None:
        return refusal
    problems: list[imports.Refusal] = []
    report = None
    try:
        report = imports.import_payments(
            runtime.session,
            runtime.social_insurance,
            file.file,
            data_key=runtime.settings.data_key_bytes,
            actor=staff.principal.subject,
            limits=sheets.LIMITS,
        )
    except imports.ImportRejected as exc:
        problems = exc.problems
    except ServiceError as exc:  # not a payment sheet, or over a limit
        return message_page(request, exc.status, exc.message)
    return staff_page(
        request,
        staff,
        "admin_subsidy_import.html",
        "导入外部支付记录",
        status=422 if problems else 200,
        report=report,
        problems=problems,
        yuan=yuan_text,
        nav="subsidies",
    )


@router.get("/admin/subsidies/payments/template.{fmt}")
def admin_payment_template(fmt: Literal["csv", "xlsx"], staff: Staff) -> Response:
    example = imports.TEMPLATE_EXAMPLE
    if fmt == "csv":
        return private_download(
            sheets.template_csv(imports.PAYMENT_SHEET, example), "text/csv; charset=utf-8", "payments.csv"
        )
    content = sheets.template_xlsx(
        imports.PAYMENT_SHEET,
        example,
        title="补贴发放记录",
        text_columns="CEJK",  # ID, certificate, account and payment numbers keep every digit
        widths=[14, 12, 22, 10, 26, 24, 14, 14, 12, 22, 20],
    )
    return private_download(content, sheets.XLSX_MEDIA_TYPE, "payments.xlsx")


# --- the recovery register -------------------------------------------------------------------------------

STATE_FILTERS = {
    "to_recover": RecoveryState.TO_RECOVER,
    "recovered": RecoveryState.RECOVERED,
    "waived": RecoveryState.WAIVED,
    "all": None,
}


@dataclass
class RecoveryForm:
    claim_id: str = ""
    state: str = ""
    note: str = ""
    error: str = ""


def _recoveries(
    request: Request,
    runtime: RuntimeDep,
    staff: Staff,
    *,
    shown: str,
    form: RecoveryForm | None = None,
    done: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    with runtime.read_session() as session:
        items = recoveries.register(session, state=STATE_FILTERS[shown])
    return staff_page(
        request,
        staff,
        "admin_recoveries.html",
        "补贴追回",
        status=status,
        items=items,
        shown=shown,
        filters=list(STATE_FILTERS),
        state_words=recoveries.RECOVERY_WORDS,
        causes=recoveries.CAUSE_WORDS,
        to_recover=sum((i.amount_yuan for i in items if i.state is RecoveryState.TO_RECOVER), start=0),
        form=form or RecoveryForm(),
        done=done if done in ("recovered", "waived") else None,
        yuan=yuan_text,
        nav="recoveries",
    )


Shown = Annotated[Literal["to_recover", "recovered", "waived", "all"], Query()]


@router.get("/admin/recoveries")
def admin_recoveries(
    request: Request,
    runtime: RuntimeDep,
    staff: Staff,
    state: Shown = "to_recover",
    done: Annotated[str | None, Query(max_length=12)] = None,
) -> Response:
    return _recoveries(request, runtime, staff, shown=state, done=done)


@router.get("/admin/recoveries.{fmt}")
def admin_recoveries_download(
    fmt: Literal["csv", "xlsx"], runtime: RuntimeDep, staff: Staff, state: Shown = "all"
) -> Response:
    with runtime.read_session() as session:
        content, media_type, name = recoveries.register_sheet(session, fmt, STATE_FILTERS[state])
    return private_download(content, media_type, name)


@router.post("/admin/recoveries/{claim_id}")
def admin_resolve_recovery(
    claim_id: str,
    request: Request,
    runtime: RuntimeDep,
    staff: Staff,
    state: Annotated[str, Form(max_length=20)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
    csrf: Csrf = "",
) -> Response:
    """Mark a payment to recover as recovered or waived, with a note, as the API does; a refusal is
    shown at the entry it is about and nothing changes."""
    if (refusal := admin_refusal(request, staff, csrf)) is not None:
        return refusal
    form = RecoveryForm(claim_id=claim_id, state=state, note=note)
    if state not in ("recovered", "waived"):
        form.error = "请选择已追回或免于追回 / choose recovered or waived"
        return _recoveries(request, runtime, staff, shown="to_recover", form=form, status=422)
    try:
        with runtime.session() as session:
            recoveries.resolve(
                session,
                claim_id=claim_id,
                state=RecoveryState(state),
                note=note,
                officer=staff.principal.subject,
            )
    except ServiceError as exc:
        form.error = "；".join(e.reason for e in exc.errors) or exc.message
        return _recoveries(request, runtime, staff, shown="to_recover", form=form, status=exc.status)
    return RedirectResponse(f"/admin/recoveries?done={state}", status_code=303)
