"""The subsidies API (§27 以证定补): workers and institutions claim, officers decide, the recovery
register is read and downloaded. Thin: check who calls, open one session, call one service function.

A repeated claim answers 200 with the claim made before (a new one 201): never a second claim.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import Response

from credential_service.core.clock import to_xsd
from credential_service.core.sheets import XLSX_MEDIA_TYPE
from credential_service.identity import service as identity
from credential_service.platform.tokens import Role, allow
from credential_service.subsidies import claims, decisions, recoveries
from credential_service.subsidies import views as claim_views
from credential_service.subsidies.models import RecoveryState
from credential_service.subsidies.ports import SubsidiesRuntimeDep
from credential_service.subsidies.recoveries import RecoveryItem
from credential_service.subsidies.rules import SubsidyType
from credential_service.subsidies.schemas import (
    InstitutionClaim,
    OfficerDecisionIn,
    RecoveryUpdate,
    WorkerClaim,
)
from credential_service.subsidies.views import ClaimView
from credential_service.web.http import JSON, CurrentPrincipal, private_download
from credential_service.web.openapi import answer

router = APIRouter(tags=["subsidies"])
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no or bad access token"},
    403: {"description": "this role may not call this"},
    404: {"description": "no such certificate, class or claim of yours"},
    409: {"description": "already decided, or a rule fails (named in Chinese and English)"},
    422: {"description": "which field is wrong, and why"},
}
CLAIM = {"description": "the claim: each rule with passed / failed / cannot tell and why, its state"}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return to_xsd(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def claim_json(view: ClaimView) -> dict[str, Any]:
    body: dict[str, Any] = _plain(asdict(view))
    body["subsidy_type_name"] = view.subsidy_type.title_zh
    body["state_name"] = claim_views.STATE_WORDS[view.state][0]
    return body


@router.post(
    "/api/v1/me/subsidy-claims",
    status_code=201,
    responses={201: CLAIM, 200: {"description": "claimed before: that claim"}, **ERRORS},
    summary="A worker claims the 技能提升补贴 for one of their own certificates",
)
def worker_claim(body: WorkerClaim, principal: CurrentPrincipal, runtime: SubsidiesRuntimeDep) -> JSON:
    allow(principal, Role.WORKER)
    with runtime.session() as session:
        person = identity.get_person(session, principal.tenant or "")
        filed = claims.claim_skill_upgrade(
            session,
            runtime.social_insurance,
            data_key=runtime.settings.data_key_bytes,
            person=person,
            certificate_number=body.certificate_number,
            actor=principal.subject,
        )
        return JSON(
            claim_json(claim_views.view(session, filed.claim)), status_code=201 if filed.created else 200
        )


@router.post(
    "/api/v1/subsidy-claims",
    status_code=201,
    responses={201: CLAIM, 200: {"description": "every trainee was claimed before"}, **ERRORS},
    summary="An institution claims the 职业培训补贴 or 生活费补贴 for its ended class (one per trainee)",
)
def institution_claim(
    body: InstitutionClaim, principal: CurrentPrincipal, runtime: SubsidiesRuntimeDep
) -> JSON:
    allow(principal, Role.INSTITUTION)
    with runtime.session() as session:
        result = claims.claim_for_class(
            session,
            runtime.social_insurance,
            data_key=runtime.settings.data_key_bytes,
            institution_code=principal.tenant or "",
            class_ref=body.class_ref,
            actor=principal.subject,
            kind=SubsidyType(body.subsidy_type),
        )
        answer_body = {
            "claims": [
                {**claim_json(claim_views.view(session, f.claim)), "new": f.created} for f in result.filed
            ],
            "skipped": [asdict(s) for s in result.skipped],
        }
    created = any(f.created for f in result.filed)
    return JSON(answer_body, status_code=201 if created else 200)


@router.get(
    "/api/v1/subsidy-claims/{claim_id}",
    responses={200: CLAIM, **ERRORS},
    summary="One claim: its rules, decision, payment and recovery (the claimant, officers, auditors)",
)
def get_claim(claim_id: str, principal: CurrentPrincipal, runtime: SubsidiesRuntimeDep) -> JSON:
    allow(principal, Role.WORKER, Role.INSTITUTION, Role.ADMIN, Role.AUDITOR)
    with runtime.read_session() as session:
        if principal.role is Role.WORKER:
            claim = claims.claim_of_person(session, claim_id, principal.tenant or "")
        elif principal.role is Role.INSTITUTION:
            claim = claims.claim_of_institution(session, claim_id, principal.tenant or "")
        else:
            claim = claims.get_claim(session, claim_id)
        return JSON(claim_json(claim_views.view(session, claim)))


@router.post(
    "/api/v1/admin/subsidy-claims/{claim_id}/decision",
    responses={
        200: CLAIM,
        503: {"description": "the card account cannot be had now: nothing paid"},
        **ERRORS,
    },
    summary="An officer approves (pays the person's own card account) or refuses a claim, with a reason",
)
def decide_claim(
    claim_id: str, body: OfficerDecisionIn, principal: CurrentPrincipal, runtime: SubsidiesRuntimeDep
) -> JSON:
    allow(principal, Role.ADMIN)
    with runtime.session() as session:
        claim = decisions.decide(
            session,
            runtime.social_insurance,
            data_key=runtime.settings.data_key_bytes,
            claim_id=claim_id,
            approve=body.decision == "approve",
            reason=body.reason,
            officer=principal.subject,
        )
        return JSON(claim_json(claim_views.view(session, claim)))


def _recovery_json(item: RecoveryItem) -> dict[str, Any]:
    body: dict[str, Any] = _plain(asdict(item))
    body["state_name"] = recoveries.RECOVERY_WORDS[item.state][0]
    return body


@router.get(
    "/api/v1/admin/subsidy-recoveries",
    responses={
        200: {"description": "the recovery register, newest first, with the total to recover"},
        **ERRORS,
    },
    summary="Subsidies paid on certificates since revoked or superseded: to recover, recovered, waived",
)
def list_recoveries(
    principal: CurrentPrincipal, runtime: SubsidiesRuntimeDep, state: RecoveryState | None = None
) -> JSON:
    allow(principal, Role.ADMIN, Role.AUDITOR)
    with runtime.read_session() as session:
        items = recoveries.register(session, state=state)
    to_recover = sum((i.amount_yuan for i in items if i.state is RecoveryState.TO_RECOVER), Decimal(0))
    return JSON({"items": [_recovery_json(i) for i in items], "to_recover_yuan": f"{to_recover:.2f}"})


@router.get(
    "/api/v1/admin/subsidy-recoveries.{fmt}",
    responses={
        200: answer("the register as a sheet (masked)", "text/csv")
        | {"content": {"text/csv": {"schema": {}}, XLSX_MEDIA_TYPE: {"schema": {}}}},
        **ERRORS,
    },
    summary="The recovery register as CSV or Excel (formula-safe cells, holder and account masked)",
)
def download_recoveries(
    fmt: Literal["csv", "xlsx"],
    principal: CurrentPrincipal,
    runtime: SubsidiesRuntimeDep,
    state: RecoveryState | None = None,
) -> Response:
    allow(principal, Role.ADMIN, Role.AUDITOR)
    with runtime.read_session() as session:
        return private_download(*recoveries.register_sheet(session, fmt, state))


@router.post(
    "/api/v1/admin/subsidy-recoveries/{claim_id}",
    responses={200: {"description": "the register entry as it is now"}, **ERRORS},
    summary="Mark a payment to recover as recovered or waived, with a note",
)
def resolve_recovery(
    claim_id: str, body: RecoveryUpdate, principal: CurrentPrincipal, runtime: SubsidiesRuntimeDep
) -> JSON:
    allow(principal, Role.ADMIN)
    with runtime.session() as session:
        item = recoveries.resolve(
            session,
            claim_id=claim_id,
            state=RecoveryState(body.state),
            note=body.note,
            officer=principal.subject,
        )
    return JSON(_recovery_json(item))
