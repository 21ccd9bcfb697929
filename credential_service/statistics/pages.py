"""The programme's figures as pages: ``/stats`` for everyone, ``/admin/dashboard`` for administrators
and auditors (both read only). Each figure is a plain table, complete without JavaScript; where
scripts run, ``/static/stats.js`` draws an Apache ECharts chart (served from the package) over each
table marked ``data-chart``, reading the numbers from the table itself.

The dashboard also shows the supervision part's open cases by check and city, and the pass-rate
outliers it found (each a link to its case).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from credential_service.core.clock import beijing_text, utcnow
from credential_service.identity.signin import staff as staff_signin
from credential_service.platform.tokens import STAFF_ROLES, Role
from credential_service.statistics import service
from credential_service.statistics.rules import (
    HIGH_SKILLED_SHARE_TARGET,
    PROVINCE,
    SKILLED_SHARE_TARGET,
    SUBSIDISED_TRAININGS_TARGET,
    city_name,
    key_label,
    percent,
)
from credential_service.supervision import service as supervision
from credential_service.web.http import RuntimeDep
from credential_service.web.i18n import pick_lang
from credential_service.web.sessions import PageSession, signed_in
from credential_service.web.templating import PAGE_HEADERS, render

router = APIRouter(include_in_schema=False)
Staff = Annotated[PageSession, Depends(signed_in(*STAFF_ROLES, signin_path=staff_signin.SIGNIN_PATH))]
Year = Annotated[int | None, Query(ge=2000, le=2100)]
# These pages run two scripts of this site (ECharts and stats.js); every other page runs none.
CHART_PAGE_CSP = PAGE_HEADERS["Content-Security-Policy"].replace("script-src 'none'", "script-src 'self'")
MONTHS_SHOWN = 24
OCCUPATIONS_SHOWN = 15


def _figures_context(request: Request, runtime: RuntimeDep, year: int | None) -> dict[str, Any]:
    english = pick_lang(request.query_params.get("lang"), request.cookies.get("lang")) == "en"
    with runtime.read_session() as session:
        figures = service.figures(session, year)
    counts = figures.counts
    return {
        "figures": figures,
        "shown": {
            "city": counts["city"].rows,
            "level": counts["level"].rows,
            "month": counts["month"].rows[-MONTHS_SHOWN:],
            "occupation": counts["occupation"].rows[:OCCUPATIONS_SHOWN],
        },
        "months_cut": len(counts["month"].rows) > MONTHS_SHOWN,
        "occupations_cut": len(counts["occupation"].rows) > OCCUPATIONS_SHOWN,
        "label": lambda by, key: key_label(by, key, counts[by].labels, english=english),
        "place": lambda key: None if key == PROVINCE else city_name(key, english=english),
        "pct": percent,
        "number": lambda n: "—" if n is None else f"{n:,}",
        "chart_value": lambda share: "" if share is None else f"{float(share) * 100:.1f}",
        "targets": {
            "skilled": percent(SKILLED_SHARE_TARGET),
            "skilled_value": f"{float(SKILLED_SHARE_TARGET) * 100:g}",
            "high": percent(HIGH_SKILLED_SHARE_TARGET),
            "high_value": f"{float(HIGH_SKILLED_SHARE_TARGET) * 100:g}",
            "trainings": SUBSIDISED_TRAININGS_TARGET,
        },
        "as_of": beijing_text(utcnow(), minutes=True),
    }


def _chart_page(request: Request, template: str, context: dict[str, Any]) -> HTMLResponse:
    response = render(request, template, context)
    response.headers["Content-Security-Policy"] = CHART_PAGE_CSP
    return response


@router.get("/stats")
def public_stats(request: Request, runtime: RuntimeDep, year: Year = None) -> HTMLResponse:
    """The public summary: every figure, no person."""
    context = _figures_context(request, runtime, year)
    return _chart_page(request, "stats.html", {"title": "技能人才统计", "form_action": "/stats", **context})


@router.get("/admin/dashboard")
def admin_dashboard(request: Request, runtime: RuntimeDep, staff: Staff, year: Year = None) -> HTMLResponse:
    """The staff's dashboard: the same figures, and the employment figures they rest on."""
    context = _figures_context(request, runtime, year)
    with runtime.read_session() as session:
        employment = service.employment_figures(session)
        open_cases = supervision.open_cases_by_check_and_city(session)
        outliers = supervision.pass_rate_outliers(session)
    return _chart_page(
        request,
        "admin_dashboard.html",
        {
            "title": "统计看板",
            "form_action": "/admin/dashboard",
            "employment": employment,
            "open_cases": open_cases,
            "outliers": outliers,
            "nav": "dashboard",
            "signed_in": True,
            "signout_action": "/admin/signout",
            "csrf": staff.csrf,
            "staff": staff.principal,
            "is_admin": staff.principal.role is Role.ADMIN,
            "when": lambda moment: beijing_text(moment, minutes=True),
            **context,
        },
    )
