"""Status changes of issued certificates: revoke, suspend, reinstate, supersede (correct), revoke a batch.

Each change, in the caller's transaction: the bit in the issuer's Bitstring Status List (its version
bumps, so the next GET re-signs the list), a CERTIFICATE_STATUS entry in the holder's lifelong file,
a row in ``certificate_status_changes`` and an event in the audit trail. ``status_view`` reads the
live bits, never a cached signed list, so the public page shows a revocation at once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from credential_service.audit import service as audit
from credential_service.certificates import service
from credential_service.certificates.credential import ReplacedCertificate
from credential_service.certificates.fields import certificate_fields
from credential_service.certificates.models import IssuedCredential
from credential_service.certificates.service import IssuanceSettings
from credential_service.certificates.status.models import CertificateStatusChange
from credential_service.certificates.status.rules import (
    Actor,
    ActorRole,
    CertificateState,
    ReasonCode,
    StatusAction,
    TransitionRefused,
    may_lift,
    next_state,
    reason_problem,
    state_of,
)
from credential_service.core.clock import to_xsd, utcnow
from credential_service.core.db import applied_on_standby_at_commit
from credential_service.core.errors import Conflict, FieldError, Forbidden, InvalidInput
from credential_service.crypto.keystore import KeyStore
from credential_service.crypto.status_list import StatusPurpose
from credential_service.identity import service as identity
from credential_service.identity.models import Person
from credential_service.identity.rules import DocumentType, id_number_problem
from credential_service.issuers import service as issuers
from credential_service.issuers.models import Issuer
from credential_service.records import service as records
from credential_service.records.rules import EntryKind
from credential_service.records.service import TimelineEntry

TEXT_MIN, TEXT_MAX = 2, 200
NAME_MAX = 100
_REVOCATION_ACTIONS = (StatusAction.REVOKE.value, StatusAction.SUPERSEDE.value)
_SUSPENSION_ACTIONS = (StatusAction.SUSPEND.value, StatusAction.REINSTATE.value)


# --- what a certificate's status is ---------------------------------------------------------------


@dataclass(frozen=True)
class StatusView:
    """A certificate's status as the public verification page shows it."""

    state: CertificateState
    reason_code: str | None  # for revoked / suspended / superseded
    changed_at: datetime | None  # when the current state began (None: valid since issuance)
    superseded_by: str | None  # new certificate number when superseded


def _changes(session: Session, credential_id: str) -> list[CertificateStatusChange]:
    return list(
        session.scalars(
            select(CertificateStatusChange)
            .where(CertificateStatusChange.credential_id == credential_id)
            .order_by(CertificateStatusChange.id)
        )
    )


def _latest(
    changes: Sequence[CertificateStatusChange], actions: tuple[str, ...]
) -> CertificateStatusChange | None:
    return next((c for c in reversed(changes) if c.action in actions), None)


def _view(
    record: IssuedCredential, changes: Sequence[CertificateStatusChange], session: Session
) -> StatusView:
    revoked = service.live_bit(session, record.revocation_list_id, record.revocation_index)
    suspended = service.live_bit(session, record.suspension_list_id, record.suspension_index)
    revocation = _latest(changes, _REVOCATION_ACTIONS) if revoked else None
    state = state_of(
        revoked=revoked,
        suspended=suspended,
        superseded=revocation is not None and revocation.action == StatusAction.SUPERSEDE.value,
    )
    if state in (CertificateState.REVOKED, CertificateState.SUPERSEDED):
        change = revocation
    elif state == CertificateState.SUSPENDED:
        change = _latest(changes, (StatusAction.SUSPEND.value,))
    else:
        latest = changes[-1] if changes else None  # e.g. a lifted suspension
        return StatusView(CertificateState.VALID, None, latest.changed_at if latest else None, None)
    if change is None:  # a bit set outside this workflow: the state is known, the reason is not
        return StatusView(state, None, None, None)
    return StatusView(state, change.reason_code, change.changed_at, change.superseded_by)


def status_view(session: Session, record: IssuedCredential) -> StatusView:
    """The certificate's live status: the bits of its status lists as they are now (never a cached
    signed list) and the change that set them. Revocation outranks suspension; a revocation made by
    a correction is ``superseded``, with the corrected certificate's number."""
    return _view(record, _changes(session, record.credential_id), session)


@dataclass(frozen=True)
class StatusChange:
    """One recorded change (a row of ``certificate_status_changes``, ready to show)."""

    certificate_number: str
    credential_id: str
    action: str
    reason_code: str | None
    reason_zh: str | None
    reason_en: str | None
    evidence: str
    authority: str
    actor: str
    changed_at: datetime
    superseded_by: str | None
    batch_id: str | None

    @classmethod
    def of(cls, row: CertificateStatusChange) -> StatusChange:
        reason = ReasonCode(row.reason_code) if row.reason_code else None
        return cls(
            certificate_number=row.certificate_number,
            credential_id=row.credential_id,
            action=row.action,
            reason_code=row.reason_code,
            reason_zh=reason.label_zh if reason else None,
            reason_en=reason.label_en if reason else None,
            evidence=row.evidence,
            authority=row.authority,
            actor=row.actor,
            changed_at=row.changed_at,
            superseded_by=row.superseded_by,
            batch_id=row.batch_id,
        )


def history(session: Session, record: IssuedCredential) -> list[StatusChange]:
    """Every status change of the certificate, oldest first."""
    return [StatusChange.of(row) for row in _changes(session, record.credential_id)]


# --- who may act on which certificate -------------------------------------------------------------


def certificate_for(session: Session, actor: Actor, certificate_number: str) -> IssuedCredential:
    """The certificate ``actor`` may change: administrators any, an organisation only its own.
    Another organisation's certificate is not found, exactly like an unknown number (as for its
    files): nobody can probe which numbers exist."""
    record = service.get_by_number(session, certificate_number)
    if actor.role == "organisation" and issuers.get_issuer(session, actor.organisation_code or "").id != (
        record.issuer_id
    ):
        raise service.certificate_not_found()
    return record


def _locked(session: Session, record: IssuedCredential) -> IssuedCredential:
    """Re-read the certificate with a row lock: concurrent changes of one certificate queue up. Every
    status change passes here: its commit waits for the synchronous standby to apply it."""
    applied_on_standby_at_commit(session)
    return session.scalars(
        select(IssuedCredential).where(IssuedCredential.id == record.id).with_for_update()
    ).one()


# --- input checks (HTTP bodies are checked by pydantic first; the CLI arrives here directly) -------


def _text(
    problems: list[FieldError], loc: str, value: str, *, minimum: int = TEXT_MIN, maximum: int = TEXT_MAX
) -> str:
    value = value.strip()
    if not minimum <= len(value) <= maximum:
        problems.append(
            FieldError(loc, f"应为 {minimum}–{maximum} 个字符 / {minimum} to {maximum} characters")
        )
    elif (problem := id_number_problem(value)) is not None:  # free text never carries an ID number
        problems.append(FieldError(loc, problem))
    return value


@dataclass(frozen=True)
class _Grounds:
    reason: ReasonCode | None
    evidence: str
    authority: str


def _grounds(action: StatusAction, reason: str | None, evidence: str, authority: str) -> _Grounds:
    """Check the reason code and the free texts; raises InvalidInput naming every bad field."""
    problems: list[FieldError] = []
    code: ReasonCode | None = None
    if reason is not None:
        try:
            code = ReasonCode(reason)
        except ValueError:
            problems.append(FieldError("reason_code", "未知的原因代码 / unknown reason code"))
    if not problems and (problem := reason_problem(action, code)) is not None:
        problems.append(FieldError("reason_code", problem))
    grounds = _Grounds(code, _text(problems, "evidence", evidence), _text(problems, "authority", authority))
    if problems:
        raise InvalidInput(
            "状态变更请求有误 / the status change is invalid", problems, "status_change_invalid"
        )
    return grounds


def _refused(exc: TransitionRefused) -> Conflict:
    return Conflict(str(exc), "status_transition_refused")


# --- one change -----------------------------------------------------------------------------------

_PURPOSE = {
    StatusAction.REVOKE: (StatusPurpose.REVOCATION, True),
    StatusAction.SUPERSEDE: (StatusPurpose.REVOCATION, True),
    StatusAction.SUSPEND: (StatusPurpose.SUSPENSION, True),
    StatusAction.REINSTATE: (StatusPurpose.SUSPENSION, False),
}


def _subsidy_entries(session: Session, record: IssuedCredential) -> tuple[Person | None, list[TimelineEntry]]:
    """The holder and the file entries of subsidies paid on this certificate (corrected ones left out)."""
    person = identity.find_by_blind_index(session, record.holder_index) if record.holder_index else None
    if person is None:
        return None, []
    return person, [
        entry
        for entry in records.timeline(session, person)
        if entry.kind == EntryKind.SUBSIDY_PAID.value
        and entry.superseded_by is None
        and entry.facts.get("certificate_number") == record.certificate_number
    ]


def _subsidies_paid_on(session: Session, record: IssuedCredential) -> list[int]:
    """File entries of subsidies paid on this certificate: a revocation or a correction flags them
    for recovery (追回). The subsidies part enters each payment in its recovery register in the same
    transaction: it watches for the change rows ``fallen_certificate`` names (decision 032)."""
    return [entry.seq for entry in _subsidy_entries(session, record)[1]]


def fallen_certificate(row: object) -> CertificateStatusChange | None:
    """``row`` if it is a status change that ends a certificate (revoked, or superseded by a
    correction): what the subsidies part hooks its recoveries on, without reaching into this part's
    tables."""
    if isinstance(row, CertificateStatusChange) and row.action in _REVOCATION_ACTIONS:
        return row
    return None


@dataclass(frozen=True)
class ChangeResult:
    change: StatusChange
    status: StatusView
    subsidies_to_recover: list[int]  # file entry numbers of subsidies paid on a revoked certificate


def _apply(
    session: Session,
    record: IssuedCredential,
    actor: Actor,
    action: StatusAction,
    grounds: _Grounds,
    *,
    now: datetime,
    superseded_by: str | None = None,
    batch_id: str | None = None,
) -> tuple[CertificateStatusChange, list[int]]:
    """Flip the bit, note it in the holder's file, record the change row (no audit event here)."""
    number = record.certificate_number or ""
    ends = action in (StatusAction.REVOKE, StatusAction.SUPERSEDE)
    recover = _subsidies_paid_on(session, record) if ends else []
    reason = grounds.reason
    purpose, flagged = _PURPOSE[action]
    details: dict[str, Any] = {
        "action": action.value,
        "reasonCode": reason.value if reason else None,
        "reason": f"{reason.label_zh} / {reason.label_en}" if reason else None,
        "evidence": grounds.evidence,
        "authority": grounds.authority,
    }
    if superseded_by:
        details["supersededBy"] = superseded_by
    if recover:
        details["subsidiesToRecover"] = recover
    service.set_credential_status(
        session, record.credential_id, purpose, flagged, details=details, source=actor.name, occurred_at=now
    )
    row = CertificateStatusChange(
        credential_id=record.credential_id,
        certificate_number=number,
        action=action.value,
        reason_code=reason.value if reason else None,
        evidence=grounds.evidence,
        authority=grounds.authority,
        actor=actor.name,
        actor_role=actor.role,
        changed_at=now,
        superseded_by=superseded_by,
        batch_id=batch_id,
    )
    session.add(row)
    session.flush()
    return row, recover


def _audit(session: Session, actor: Actor, row: CertificateStatusChange, recover: list[int]) -> None:
    audit.record(
        session,
        actor=actor.name,
        action=f"certificate.{row.action}",
        subject=f"certificate:{row.certificate_number}",
        detail={
            "credentialId": row.credential_id,
            "reasonCode": row.reason_code,
            "evidence": row.evidence,
            "authority": row.authority,
            "supersededBy": row.superseded_by,
            "subsidiesToRecover": recover,
            "changedAt": to_xsd(row.changed_at),
        },
    )


def change_status(
    session: Session,
    actor: Actor,
    certificate_number: str,
    action: StatusAction,
    *,
    reason: str | None,
    evidence: str,
    authority: str,
    now: datetime | None = None,
) -> ChangeResult:
    """Revoke, suspend or reinstate one certificate (supersede has its own function).

    Raises InvalidInput (which field, why), NotFound, Forbidden (another organisation's certificate;
    an organisation lifting the department's suspension) and Conflict for a transition the rules
    forbid (e.g. suspending a revoked certificate: revocation is final).
    """
    if action is StatusAction.SUPERSEDE:
        raise ValueError("use supersede() to correct a certificate")
    grounds = _grounds(action, reason, evidence, authority)
    record = _locked(session, certificate_for(session, actor, certificate_number))
    changes = _changes(session, record.credential_id)
    try:
        next_state(_view(record, changes, session).state, action)
    except TransitionRefused as exc:
        raise _refused(exc) from None
    if action is StatusAction.REINSTATE:
        suspension = _latest(changes, (StatusAction.SUSPEND.value,))
        imposed_by: ActorRole = (
            "admin" if suspension is None or suspension.actor_role == "admin" else "organisation"
        )
        if not may_lift(actor, imposed_by):
            raise Forbidden(
                "该暂停由人社部门作出，只能由人社部门恢复 / only the department that imposed the "
                "suspension can lift it",
                "suspension_imposed_by_department",
            )
    row, recover = _apply(session, record, actor, action, grounds, now=now or utcnow())
    _audit(session, actor, row, recover)
    return ChangeResult(StatusChange.of(row), status_view(session, record), recover)


# --- correction (更正换发) --------------------------------------------------------------------------


@dataclass(frozen=True)
class Superseded:
    change: StatusChange
    status: StatusView  # of the old certificate: superseded
    new_certificate: IssuedCredential


def supersede(
    session: Session,
    keystore: KeyStore,
    settings: IssuanceSettings,
    data_key: bytes,
    *,
    actor: Actor,
    certificate_number: str,
    holder_name: str,
    evidence: str,
    authority: str,
    now: datetime | None = None,
) -> Superseded:
    """Correct the holder's name: issue a new certificate (new national number, same organisation,
    occupation, level and exam date) whose ``evidence`` names the old one, and revoke the old one
    with reason ``superseded``. Only a valid certificate is corrected. Raises InvalidInput (bad or
    unchanged name, bad texts), NotFound, Forbidden, Conflict (not valid, no holder on file)."""
    now = now or utcnow()
    record = _locked(session, certificate_for(session, actor, certificate_number))
    content = certificate_fields(json.loads(record.credential_json))
    name, grounds = _checked_correction(holder_name, content.holder_name, evidence, authority)
    try:
        next_state(status_view(session, record).state, StatusAction.SUPERSEDE)
    except TransitionRefused as exc:
        raise _refused(exc) from None
    person = identity.find_by_blind_index(session, record.holder_index) if record.holder_index else None
    if person is None:
        raise Conflict(
            "证书未关联持证人档案，无法更正 / the certificate names no holder on file", "no_holder"
        )
    new = service.issue_skill_certificate(
        session,
        keystore,
        settings,
        issuer=session.get_one(Issuer, record.issuer_id),
        holder=service.Holder(
            name, DocumentType(person.document_type), identity.clear_id_number(data_key, person)
        ),
        occupation=content.occupation,
        level=content.level,
        data_key=data_key,
        exam_date=content.exam_date,
        idempotency_key=f"supersede:{record.credential_id}",
        actor=actor.name,
        cryptosuite="eddsa-jcs-2022" if record.cryptosuite == "eddsa-jcs-2022" else "eddsa-rdfc-2022",
        now=now,
        replaces=ReplacedCertificate(
            certificate_number=record.certificate_number or "",
            credential_id=record.credential_id,
            corrected_zh="姓名",
            corrected_en="holder name",
        ),
    )
    row, recover = _apply(
        session, record, actor, StatusAction.SUPERSEDE, grounds, now=now, superseded_by=new.certificate_number
    )
    _audit(session, actor, row, recover)
    return Superseded(StatusChange.of(row), status_view(session, record), new)


def _checked_correction(
    holder_name: str, current_name: str, evidence: str, authority: str
) -> tuple[str, _Grounds]:
    """The corrected name and the grounds, or InvalidInput with every problem (a bad or unchanged
    name, bad texts)."""
    problems: list[FieldError] = []
    name = _text(problems, "holder_name", holder_name, minimum=1, maximum=NAME_MAX)
    try:
        grounds: _Grounds | None = _grounds(StatusAction.SUPERSEDE, None, evidence, authority)
    except InvalidInput as exc:
        problems.extend(exc.errors)
        grounds = None
    if name == current_name:
        same = "与原证书姓名相同，无需更正 / same name as on the certificate"
        problems.append(FieldError("holder_name", same))
    if problems or grounds is None:
        raise InvalidInput("更正请求有误 / the correction is invalid", problems, "status_change_invalid")
    return name, _Grounds(ReasonCode.SUPERSEDED, grounds.evidence, grounds.authority)


# --- a whole batch --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchRevocation:
    batch_id: str
    revoked: list[str]  # numbers revoked now (a corrected certificate's replacement included)
    already_revoked: list[str]  # revoked or superseded before


def _with_replacements(session: Session, numbers: Sequence[str]) -> list[IssuedCredential]:
    """The batch's certificates and, for a corrected one, the certificates that replaced it."""
    found: dict[str, IssuedCredential] = {}
    pending = list(numbers)
    while pending:
        number = pending.pop()
        if number in found:
            continue
        record = service.get_by_number(session, number)
        found[number] = record
        replacement = service.superseded_by(session, record)
        if replacement:
            pending.append(replacement)
    return [found[n] for n in sorted(found)]


def revoke_batch(
    session: Session,
    actor: Actor,
    batch_id: str,
    numbers: Sequence[str],
    *,
    reason: str,
    evidence: str,
    authority: str,
) -> BatchRevocation:
    """Revoke every certificate issued from one result submission (batch): ``numbers``, as the
    assessment part found them, and their replacements; in one transaction, one change row and file
    entry per certificate, one audit event for the batch. Raises Conflict when nothing is left to
    revoke."""
    grounds = _grounds(StatusAction.REVOKE, reason, evidence, authority)
    if not numbers:
        raise Conflict("该批次尚未发证 / no certificate of this batch has been issued", "batch_not_issued")
    now = utcnow()
    revoked, already, recover_all = [], [], {}
    for found in _with_replacements(session, numbers):
        record = _locked(session, certificate_for(session, actor, found.certificate_number or ""))
        if status_view(session, record).state in (CertificateState.REVOKED, CertificateState.SUPERSEDED):
            already.append(record.certificate_number or "")
            continue
        row, recover = _apply(
            session, record, actor, StatusAction.REVOKE, grounds, now=now, batch_id=batch_id
        )
        revoked.append(row.certificate_number)
        if recover:
            recover_all[row.certificate_number] = recover
    if not revoked:
        raise Conflict(
            "该批次证书均已撤销 / every certificate of this batch is already revoked", "batch_revoked"
        )
    audit.record(
        session,
        actor=actor.name,
        action="batch.revoke",
        subject=f"submission:{batch_id}",
        detail={
            "reasonCode": reason,
            "evidence": grounds.evidence,
            "authority": grounds.authority,
            "revoked": revoked,
            "alreadyRevoked": already,
            "subsidiesToRecover": recover_all,
            "changedAt": to_xsd(now),
        },
    )
    return BatchRevocation(batch_id, revoked, already)


def recent_changes(session: Session, *, limit: int = 50, offset: int = 0) -> tuple[list[StatusChange], int]:
    """One page of status changes, newest first, and how many there are in all."""
    total = session.scalar(select(func.count()).select_from(CertificateStatusChange)) or 0
    rows = session.scalars(
        select(CertificateStatusChange)
        .order_by(CertificateStatusChange.changed_at.desc(), CertificateStatusChange.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [StatusChange.of(row) for row in rows], total
