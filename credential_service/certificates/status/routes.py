"""Status changes over HTTP: revoke, suspend, reinstate, supersede, and the history (revoking a whole
batch is the assessment part's: it knows the batches)."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Any

from fastapi import APIRouter

from credential_service.certificates import service as certificates
from credential_service.certificates.ports import IssuingRuntimeDep
from credential_service.certificates.status import service as status_changes
from credential_service.certificates.status.rules import Actor, ReasonCode, StatusAction
from credential_service.certificates.status.schemas import CHANGE_ERRORS, Grounds, ReinstateIn, SupersedeIn
from credential_service.certificates.status.service import ChangeResult, StatusChange, StatusView
from credential_service.core.clock import to_xsd
from credential_service.platform.runtime import Platform
from credential_service.platform.tokens import SCOPE_CERTIFICATES, Principal, Role, allow
from credential_service.web.http import JSON, CurrentPrincipal, RuntimeDep

router = APIRouter(tags=["certificate status"])


def _actor(principal: Principal) -> Actor:
    """Administrators act on any certificate, an organisation on its own; nobody else (403)."""
    allow(principal, Role.ADMIN, Role.ORGANISATION, scope=SCOPE_CERTIFICATES)
    return Actor.of(principal)


def _plain(item: Any) -> dict[str, Any]:
    return {
        f.name: to_xsd(value) if isinstance(value := getattr(item, f.name), datetime) else value
        for f in fields(item)
    }


def status_json(view: StatusView) -> dict[str, Any]:
    reason = ReasonCode(view.reason_code) if view.reason_code else None
    return {
        **_plain(view),
        "reason_zh": reason.label_zh if reason else None,
        "reason_en": reason.label_en if reason else None,
    }


def _change_json(number: str, result: ChangeResult) -> dict[str, Any]:
    return {
        "certificate_number": number,
        "status": status_json(result.status),
        "change": _plain(result.change),
        "subsidies_to_recover": result.subsidies_to_recover,
    }


def _change(
    number: str,
    action: StatusAction,
    reason: str | None,
    body: Grounds | ReinstateIn,
    principal: Principal,
    runtime: Platform,
) -> JSON:
    actor = _actor(principal)
    with runtime.session() as session:
        result = status_changes.change_status(
            session, actor, number, action, reason=reason, evidence=body.evidence, authority=body.authority
        )
        return JSON(_change_json(number, result))


@router.post(
    "/api/v1/certificates/{certificate_number}/revoke",
    responses=CHANGE_ERRORS,
    summary="Revoke (撤销) a certificate: final; flags subsidies paid on it for recovery",
)
def revoke(certificate_number: str, body: Grounds, principal: CurrentPrincipal, runtime: RuntimeDep) -> JSON:
    return _change(certificate_number, StatusAction.REVOKE, body.reason_code, body, principal, runtime)


@router.post(
    "/api/v1/certificates/{certificate_number}/suspend",
    responses=CHANGE_ERRORS,
    summary="Suspend (暂停) a valid certificate until the suspension is lifted",
)
def suspend(certificate_number: str, body: Grounds, principal: CurrentPrincipal, runtime: RuntimeDep) -> JSON:
    return _change(certificate_number, StatusAction.SUSPEND, body.reason_code, body, principal, runtime)


@router.post(
    "/api/v1/certificates/{certificate_number}/reinstate",
    responses=CHANGE_ERRORS,
    summary="Lift a suspension (恢复); a suspension by the department is lifted by the department only",
)
def reinstate(
    certificate_number: str, body: ReinstateIn, principal: CurrentPrincipal, runtime: RuntimeDep
) -> JSON:
    return _change(certificate_number, StatusAction.REINSTATE, body.reason_code, body, principal, runtime)


@router.post(
    "/api/v1/certificates/{certificate_number}/supersede",
    status_code=201,
    responses=CHANGE_ERRORS,
    summary="Correct the holder's name (更正): a new certificate naming the old one; the old one is revoked",
)
def supersede(
    certificate_number: str, body: SupersedeIn, principal: CurrentPrincipal, runtime: IssuingRuntimeDep
) -> JSON:
    actor = _actor(principal)
    with runtime.session() as session:
        result = status_changes.supersede(
            session,
            runtime.keystore,
            runtime.issuance,
            runtime.settings.data_key_bytes,
            actor=actor,
            certificate_number=certificate_number,
            holder_name=body.holder_name,
            evidence=body.evidence,
            authority=body.authority,
        )
        new_number = result.new_certificate.certificate_number
        base = runtime.settings.public_base_url.rstrip("/")
        return JSON(
            {
                "certificate_number": certificate_number,
                "status": status_json(result.status),
                "change": _plain(result.change),
                "new_certificate": {
                    "certificate_number": new_number,
                    "credential_id": result.new_certificate.credential_id,
                    "credential_url": f"{base}/api/v1/certificates/{new_number}/credential.json",
                },
            },
            status_code=201,
        )


@router.get(
    "/api/v1/certificates/{certificate_number}/status-history",
    responses={k: v for k, v in CHANGE_ERRORS.items() if k in (401, 403, 404)},
    summary="A certificate's status and every change of it (holder, issuing organisation, staff)",
)
def status_history(certificate_number: str, principal: CurrentPrincipal, runtime: RuntimeDep) -> JSON:
    with runtime.read_session() as session:
        record = certificates.readable_certificate(session, principal, certificate_number)
        changes: list[StatusChange] = status_changes.history(session, record)
        return JSON(
            {
                "certificate_number": certificate_number,
                "status": status_json(status_changes.status_view(session, record)),
                "changes": [_plain(c) for c in changes],
            }
        )
