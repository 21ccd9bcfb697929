"""What the staff pages show, gathered from each part's own service functions, and the two things an
administrator does on them (change a certificate's status, rotate an issuer's key).

Nothing here decides who may do what: the pages admit administrators and auditors and leave the
forms (and the POSTs) to administrators only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

from credential_service.admin.rules import PAGE_SIZE, mask_id_like, page_count, page_offset
from credential_service.assessment.organisations import service as organisations
from credential_service.assessment.organisations.rules import OrganisationStatus
from credential_service.assessment.organisations.schemas import OrganisationOut
from credential_service.assessment.workflow import issuance, publicity, submissions
from credential_service.assessment.workflow.models import Objection
from credential_service.assessment.workflow.schemas import ObjectionResolution
from credential_service.audit import service as audit
from credential_service.certificates.service import IssuanceSettings
from credential_service.certificates.status import service as status_changes
from credential_service.certificates.status.rules import Actor, StatusAction
from credential_service.certificates.status.service import (
    BatchRevocation,
    ChangeResult,
    StatusChange,
    Superseded,
)
from credential_service.crypto.keystore import KeyStore
from credential_service.issuers import service as issuers
from credential_service.issuers.models import Issuer, IssuerKey
from credential_service.platform.tokens import Principal

# What the status form does to a certificate; a correction (a new name) has a form of its own.
PAGE_ACTIONS = (StatusAction.REVOKE, StatusAction.SUSPEND, StatusAction.REINSTATE)


@dataclass(frozen=True)
class KeyRow:
    verification_method: str
    fragment: str
    created_at: datetime
    retired_at: datetime | None
    compromised_since: datetime | None
    state: str  # active / retired / compromised


@dataclass(frozen=True)
class IssuerKeys:
    code: str
    name: str
    kind: str
    did: str
    keys: list[KeyRow]


@dataclass(frozen=True)
class AuditRow:
    seq: int
    at: datetime
    actor: str
    action: str
    subject: str
    detail: str  # canonical JSON, ID-number-shaped runs masked


@dataclass(frozen=True)
class AuditPage:
    events: list[AuditRow]  # newest first
    total: int
    page: int
    pages: int
    broken: list[int]  # sequence numbers where the hash chain breaks (empty: intact)


T = TypeVar("T")


@dataclass(frozen=True)
class Paged(Generic[T]):
    items: list[T]
    total: int
    page: int
    pages: int


@dataclass(frozen=True)
class Overview:
    organisations: dict[str, int]  # status → count
    batches: int
    status_changes: list[StatusChange]
    status_change_total: int
    audit: AuditPage
    issuers: int
    keys_in_use: int


def _key_row(key: IssuerKey) -> KeyRow:
    state = "compromised" if key.compromised_since else ("retired" if key.retired_at else "active")
    return KeyRow(
        verification_method=key.verification_method,
        fragment=key.fragment,
        created_at=key.created_at,
        retired_at=key.retired_at,
        compromised_since=key.compromised_since,
        state=state,
    )


def _issuer_keys(issuer: Issuer) -> IssuerKeys:
    rows = sorted((_key_row(k) for k in issuer.keys), key=lambda k: k.created_at, reverse=True)
    return IssuerKeys(issuer.code, issuer.name, issuer.kind, issuer.did, rows)


def all_keys(session: Session) -> list[IssuerKeys]:
    """Every issuer (the platform first) with every key it ever had, newest key first."""
    return [_issuer_keys(i) for i in sorted(issuers.all_issuers(session), key=lambda i: (i.kind, i.code))]


def audit_page(session: Session, page: int = 1, size: int = PAGE_SIZE) -> AuditPage:
    """One page of the audit trail, newest first, with the check of the whole hash chain."""
    events = audit.events(session)
    broken = audit.check(events)
    pages = page_count(len(events), size)
    start = page_offset(min(page, pages), size)
    newest_first = events[::-1][start : start + size]
    return AuditPage(
        events=[
            AuditRow(
                seq=e.seq,
                at=e.at,
                actor=mask_id_like(e.actor),
                action=e.action,
                subject=mask_id_like(e.subject),
                detail=mask_id_like(json.dumps(json.loads(e.detail), ensure_ascii=False)),
            )
            for e in newest_first
        ],
        total=len(events),
        page=min(page, pages),
        pages=pages,
        broken=broken,
    )


def overview(session: Session, *, public_base_url: str) -> Overview:
    counts = {
        status.value: organisations.list_organisations(
            session, public_base_url=public_base_url, status=status, limit=1
        ).total
        for status in OrganisationStatus
    }
    _, batches = submissions.all_batches(session, limit=1)
    changes, change_total = status_changes.recent_changes(session, limit=5)
    every = issuers.all_issuers(session)
    trail = audit_page(session, 1, size=5)
    in_use = sum(1 for i in every for k in i.keys if issuers.lifecycle(k).usable_for_signing)
    return Overview(counts, batches, changes, change_total, trail, len(every), in_use)


def organisations_page(
    session: Session, *, public_base_url: str, page: int = 1, q: str | None = None
) -> Paged[OrganisationOut]:
    first = organisations.list_organisations(session, public_base_url=public_base_url, q=q, limit=1)
    pages = page_count(first.total)
    page = min(page, pages)
    listing = organisations.list_organisations(
        session, public_base_url=public_base_url, q=q, limit=PAGE_SIZE, offset=page_offset(page)
    )
    return Paged(listing.organisations, listing.total, page, pages)


@dataclass(frozen=True)
class OrganisationDetail:
    organisation: OrganisationOut
    keys: IssuerKeys
    batches: list[submissions.SubmissionReport]


def organisation_detail(session: Session, code: str, *, public_base_url: str) -> OrganisationDetail:
    """Registration, scope, status history, signing keys and batches of one organisation (NotFound)."""
    described = organisations.describe_organisation(session, code, public_base_url=public_base_url)
    return OrganisationDetail(
        organisation=described,
        keys=_issuer_keys(issuers.get_issuer(session, described.code)),
        batches=submissions.reports_of(session, organisations.get_organisation(session, described.code)),
    )


def batches_page(session: Session, page: int = 1) -> Paged[submissions.BatchRow]:
    _, total = submissions.all_batches(session, limit=1)
    pages = page_count(total)
    page = min(page, pages)
    rows, total = submissions.all_batches(session, limit=PAGE_SIZE, offset=page_offset(page))
    return Paged(rows, total, page, pages)


def status_changes_page(session: Session, page: int = 1) -> Paged[StatusChange]:
    _, total = status_changes.recent_changes(session, limit=1)
    pages = page_count(total)
    page = min(page, pages)
    rows, total = status_changes.recent_changes(session, limit=PAGE_SIZE, offset=page_offset(page))
    return Paged(rows, total, page, pages)


def change_certificate_status(
    session: Session,
    principal: Principal,
    certificate_number: str,
    action: StatusAction,
    *,
    reason: str | None,
    evidence: str,
    authority: str,
) -> ChangeResult:
    """An administrator revokes, suspends or reinstates a certificate from the page (the same service
    call, rules and audit event as the API). Raises what ``status_changes.change_status`` raises."""
    return status_changes.change_status(
        session,
        Actor("admin", principal.subject),
        certificate_number.strip(),
        action,
        reason=reason or None,
        evidence=evidence,
        authority=authority,
    )


def rotate_issuer_key(session: Session, keystore: KeyStore, code: str, *, actor: str) -> IssuerKey:
    """Start signing with a new key for ``code`` (the old one is retired; its credentials still
    verify); ``issuers.rotate_key`` writes the key events to the audit trail in the same transaction.
    Raises IssuerNotFound."""
    return issuers.rotate_key(session, keystore, issuers.get_issuer(session, code), actor=actor)


def correct_holder_name(
    session: Session,
    keystore: KeyStore,
    settings: IssuanceSettings,
    data_key: bytes,
    *,
    principal: Principal,
    certificate_number: str,
    holder_name: str,
    evidence: str,
    authority: str,
) -> Superseded:
    """An administrator corrects a holder's name from the page: the API's correction (a new
    certificate naming the old one, the old one revoked as superseded), its rules and audit event.
    Raises what ``status_changes.supersede`` raises."""
    return status_changes.supersede(
        session,
        keystore,
        settings,
        data_key,
        actor=Actor("admin", principal.subject),
        certificate_number=certificate_number.strip(),
        holder_name=holder_name,
        evidence=evidence,
        authority=authority,
    )


def revoke_batch(
    session: Session, principal: Principal, batch_id: str, *, reason: str, evidence: str, authority: str
) -> BatchRevocation:
    """An administrator revokes every certificate of a batch from the page (as the API does)."""
    return issuance.revoke_batch(
        session,
        Actor("admin", principal.subject),
        batch_id,
        reason=reason,
        evidence=evidence,
        authority=authority,
    )


def objections_page(session: Session, page: int = 1) -> Paged[publicity.ObjectionView]:
    """One page of every organisation's objections, open ones first."""
    _, total = publicity.objections(session, limit=1)
    pages = page_count(total)
    page = min(page, pages)
    rows, total = publicity.objections(session, limit=PAGE_SIZE, offset=page_offset(page))
    return Paged(rows, total, page, pages)


def open_objection_count(session: Session) -> int:
    return publicity.objections(session, open_only=True, limit=1)[1]


def resolve_objection(
    session: Session, principal: Principal, objection_id: str, decision: ObjectionResolution
) -> Objection:
    """Uphold (the candidate gets no certificate from the batch) or dismiss (the hold is lifted), as
    the API does. Raises ObjectionNotFound, ObjectionResolved."""
    return publicity.resolve_objection(
        session, objection_id, upheld=decision.upheld, actor=principal.subject, resolution=decision.resolution
    )
