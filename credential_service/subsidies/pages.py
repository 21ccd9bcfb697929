"""The training institution's subsidy page (issue 13): the 职业培训补贴 claimed for the trainees of an
ended class, and the claims filed for it, each rule's answer and why in words. It lives here, not with
the class page in ``records`` (which may not import subsidies); the class page links to it, and the
institution's page session is the records part's own."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from credential_service.core.clock import beijing_date, utcnow
from credential_service.core.errors import Conflict
from credential_service.records.training.pages import Officer
from credential_service.subsidies import claims
from credential_service.subsidies import views as claim_views
from credential_service.subsidies.ports import SubsidiesRuntimeDep
from credential_service.subsidies.rules import SubsidyType
from credential_service.web.http import check_csrf
from credential_service.web.i18n import yuan_text
from credential_service.web.sessions import PageSession
from credential_service.web.templating import render

router = APIRouter(include_in_schema=False)
Count = Annotated[int | None, Query(ge=0, le=100_000)]


def _class_subsidy_page(
    request: Request,
    runtime: SubsidiesRuntimeDep,
    officer: PageSession,
    class_ref: str,
    *,
    done: int | None = None,
    skipped: int | None = None,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    with runtime.read_session() as session:
        found = claims.claims_of_class(session, officer.tenant, class_ref)
        views = claim_views.views(session, found.claims)
    context = {
        "title": f"培训补贴 {found.class_ref}",
        "signed_in": True,
        "signout_action": "/institution/signout",
        "csrf": officer.csrf,
        "class_ref": found.class_ref,
        "ended": found.end_date <= beijing_date(utcnow()),
        "claims": views,
        "done": done,
        "skipped": skipped,
        "error": error,
        "yuan": yuan_text,
        "show_claimant": True,
    }
    return render(request, "institution_subsidy.html", context, status=status)


@router.get("/institution/classes/{class_ref}/subsidy")
def class_subsidy(
    class_ref: str,
    request: Request,
    runtime: SubsidiesRuntimeDep,
    officer: Officer,
    done: Count = None,
    skipped: Count = None,
) -> Response:
    return _class_subsidy_page(request, runtime, officer, class_ref, done=done, skipped=skipped)


@router.post("/institution/classes/{class_ref}/subsidy-claims")
def claim_class_subsidy(
    class_ref: str,
    request: Request,
    runtime: SubsidiesRuntimeDep,
    officer: Officer,
    csrf: Annotated[str, Form(max_length=64)] = "",
    subsidy_type: Annotated[str, Form(max_length=32)] = SubsidyType.TRAINING.value,
) -> Response:
    """Claim the 职业培训补贴 for each trainee of the ended class with a recorded completion, as the API
    does; a class not ended or without a completed trainee is named on the page, nothing filed."""
    check_csrf(officer.token, csrf)
    kinds = {kind.value: kind for kind in claims.CLASS_SUBSIDIES}
    if subsidy_type not in kinds:
        error = (
            "请选择补贴类型（职业培训补贴或生活费补贴）/ choose the training subsidy or the living allowance"
        )
        return _class_subsidy_page(request, runtime, officer, class_ref, error=error, status=422)
    try:
        with runtime.session() as session:
            result = claims.claim_for_class(
                session,
                runtime.social_insurance,
                data_key=runtime.settings.data_key_bytes,
                institution_code=officer.tenant,
                class_ref=class_ref,
                actor=officer.principal.subject,
                kind=kinds[subsidy_type],
            )
    except Conflict as exc:
        return _class_subsidy_page(request, runtime, officer, class_ref, error=exc.message, status=exc.status)
    new = sum(1 for f in result.filed if f.created)
    return RedirectResponse(
        f"/institution/classes/{class_ref}/subsidy?done={new}&skipped={len(result.skipped)}", status_code=303
    )
