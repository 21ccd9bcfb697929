"""The cases API (§28): administrators and auditors read cases; administrators move them. Thin: check
who calls, open one session, call one service function."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Query

from credential_service.core.clock import to_xsd
from credential_service.platform.tokens import Role, allow
from credential_service.supervision import service
from credential_service.supervision.rules.cases import Severity
from credential_service.supervision.schemas import CaseTransition
from credential_service.web.http import JSON, CurrentPrincipal, RuntimeDep

router = APIRouter(tags=["supervision"])
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no or bad access token"},
    403: {"description": "not an administrator (auditors read only)"},
    404: {"description": "no such case"},
    409: {"description": "the step does not follow from the case's status"},
    422: {"description": "which field or filter is wrong, and why"},
}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return to_xsd(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def case_json(view: service.CaseView, *, steps: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = _plain(asdict(view))
    body["status_name"] = view.status.title_zh
    body["severity_name"] = Severity(view.severity).title_zh
    body["outcome_name"] = view.outcome.title_zh if view.outcome else None
    if not steps:
        del body["steps"]
    return body


@router.get(
    "/api/v1/admin/cases",
    responses={200: {"description": "cases, newest first, 50 a page, and how many match"}, **ERRORS},
    summary="Supervision cases, by check (kind), status and city",
)
def list_cases(
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    kind: Annotated[str | None, Query(max_length=48, description="a check's code")] = None,
    status: Annotated[str | None, Query(max_length=16, description="open / investigating / closed")] = None,
    city: Annotated[str | None, Query(max_length=6, description="GB/T 2260 city, e.g. 140100")] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> JSON:
    allow(principal, Role.ADMIN, Role.AUDITOR)
    wanted = service.case_filter(kind, status, city)
    with runtime.read_session() as session:
        views, total = service.list_cases(session, wanted, page=page)
    return JSON({"cases": [case_json(v, steps=False) for v in views], "total": total, "page": page})


@router.get(
    "/api/v1/admin/cases/{case_id}",
    responses={200: {"description": "the case: subjects, evidence, every step"}, **ERRORS},
    summary="One supervision case",
)
def get_case(case_id: str, principal: CurrentPrincipal, runtime: RuntimeDep) -> JSON:
    allow(principal, Role.ADMIN, Role.AUDITOR)
    with runtime.read_session() as session:
        return JSON(case_json(service.get_case(session, case_id)))


@router.post(
    "/api/v1/admin/cases/{case_id}/transition",
    responses={200: {"description": "the case as it is now"}, **ERRORS},
    summary="Move a case: open → investigating → closed (confirmed / no issue), with a reason",
)
def transition(case_id: str, body: CaseTransition, principal: CurrentPrincipal, runtime: RuntimeDep) -> JSON:
    allow(principal, Role.ADMIN)
    with runtime.session() as session:
        view = service.transition(
            session,
            case_id,
            status=body.status,
            outcome=body.outcome,
            reason=body.reason,
            actor=principal.subject,
        )
    return JSON(case_json(view))
