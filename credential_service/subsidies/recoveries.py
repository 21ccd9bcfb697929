"""The recovery register (追回, §27 以证定补: the money follows the certificate): every payment made on
a certificate since revoked or superseded, to recover, recovered or waived with a reason.

A payment is entered in the register in the transaction that revokes or supersedes its certificate,
whichever path does it (the API, the pages, the command line, a batch revocation, a correction): the
part listens (``watch``, wired by the composition root) for the status-change rows that end a
certificate (``status_changes.fallen_certificate``) and, just before that transaction commits, flags
every payment made on them (decision 032). The certificates part below knows nothing of subsidies.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import event, select
from sqlalchemy.orm import Session, UOWTransaction, sessionmaker

from credential_service.certificates import service as certificates
from credential_service.certificates.status import service as status_changes
from credential_service.core.clock import beijing_text, utcnow
from credential_service.core.errors import FieldError, InvalidInput
from credential_service.core.sheets import XLSX_MEDIA_TYPE, rows_as_csv, rows_as_xlsx
from credential_service.identity.models import Person
from credential_service.identity.rules import id_number_problem, mask_name
from credential_service.records.rules import EntryKind
from credential_service.subsidies.claims import get_claim
from credential_service.subsidies.errors import RecoveryNotFound, RecoveryResolved
from credential_service.subsidies.judging import yuan
from credential_service.subsidies.models import (
    RecoveryState,
    SubsidyClaim,
    SubsidyPayment,
    SubsidyRecovery,
)
from credential_service.subsidies.rules import SubsidyType
from credential_service.subsidies.steps import record_step

_FALLEN = "subsidies.fallen_certificates"  # session.info: numbers ended in this transaction
RECOVERY_WORDS = {
    RecoveryState.TO_RECOVER: ("待追回", "to recover"),
    RecoveryState.RECOVERED: ("已追回", "recovered"),
    RecoveryState.WAIVED: ("免于追回", "waived"),
}
CAUSE_WORDS = {
    "revoke": ("证书撤销", "certificate revoked"),
    "supersede": ("证书更正换发", "certificate superseded"),
}


def watch(sessions: sessionmaker[Session]) -> None:
    """Flag payments in the register whenever a transaction of ``sessions`` ends a certificate (the
    composition root wires this for the service's sessions)."""
    if not event.contains(sessions, "before_commit", _flag_at_commit):
        event.listen(sessions, "after_flush", _note_fallen_certificates)
        event.listen(sessions, "before_commit", _flag_at_commit)


def _note_fallen_certificates(session: Session, _flush: UOWTransaction) -> None:
    for row in session.new:
        change = status_changes.fallen_certificate(row)
        if change is not None:
            session.info.setdefault(_FALLEN, set()).add(change.certificate_number)


def _flag_at_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint being released: wait for the real commit
    numbers = session.info.pop(_FALLEN, None)
    if numbers:
        flag_payments_on(session, numbers)


def flag_payments_on(session: Session, certificate_numbers: Collection[str]) -> list[SubsidyRecovery]:
    """Enter every payment made on these (revoked or superseded) certificates in the register, once;
    each one also enters the person's file, the audit trail and the public log. Returns the new
    entries (a payment already in the register is left as it is)."""
    payments = session.scalars(
        select(SubsidyPayment)
        .outerjoin(SubsidyRecovery, SubsidyRecovery.payment_id == SubsidyPayment.id)
        .where(
            SubsidyPayment.certificate_number.in_(sorted(certificate_numbers)), SubsidyRecovery.id.is_(None)
        )
        .order_by(SubsidyPayment.id)
    ).all()
    flagged = []
    for payment in payments:
        change = _ending_change(session, payment.certificate_number or "")
        if change is None:
            continue
        now = utcnow()
        recovery = SubsidyRecovery(
            payment_id=payment.id,
            certificate_number=payment.certificate_number or "",
            cause=change.action,
            cause_reason_code=change.reason_code,
            flagged_at=change.changed_at,
            state=RecoveryState.TO_RECOVER.value,
        )
        session.add(recovery)
        session.flush()
        claim = session.get_one(SubsidyClaim, payment.claim_id)
        cause_zh = CAUSE_WORDS.get(change.action, ("证书失效", ""))[0]
        record_step(
            session,
            claim,
            session.get_one(Person, payment.person_id),
            kind=EntryKind.SUBSIDY_RECOVERY,
            step="recovery",
            actor="system:recoveries",
            facts={
                "certificate_number": recovery.certificate_number,
                "amount_yuan": str(yuan(payment.amount_fen)),
                "fund": payment.fund,
                "outcome": recovery.state,
                "reason": f"{cause_zh}{'：' + change.reason_zh if change.reason_zh else ''}",
            },
            audit_detail={"cause": change.action, "reasonCode": change.reason_code},
            at=now,
        )
        flagged.append(recovery)
    return flagged


def _ending_change(session: Session, number: str) -> status_changes.StatusChange | None:
    record = certificates.find_by_number(session, number)
    if record is None:
        return None
    ending = [c for c in status_changes.history(session, record) if c.action in ("revoke", "supersede")]
    return ending[-1] if ending else None


# --- the register ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecoveryItem:
    """One payment to recover, ready to show (holder and account masked)."""

    claim_id: str
    certificate_number: str
    revoked_at: datetime  # when the certificate was revoked or superseded
    cause: str  # revoke / supersede
    reason_code: str | None
    holder_name_masked: str
    id_number_masked: str
    subsidy_type: str  # in words: 技能提升补贴
    amount_yuan: Decimal
    fund: str
    paid_on: date
    account_masked: str
    state: RecoveryState
    note: str | None
    resolved_by: str | None
    resolved_at: datetime | None


def _item(
    recovery: SubsidyRecovery, payment: SubsidyPayment, claim: SubsidyClaim, person: Person
) -> RecoveryItem:
    return RecoveryItem(
        claim_id=claim.public_id,
        certificate_number=recovery.certificate_number,
        revoked_at=recovery.flagged_at,
        cause=recovery.cause,
        reason_code=recovery.cause_reason_code,
        holder_name_masked=mask_name(person.name),
        id_number_masked=person.id_number_masked,
        subsidy_type=SubsidyType(claim.subsidy_type).title_zh,
        amount_yuan=yuan(payment.amount_fen),
        fund=payment.fund,
        paid_on=payment.paid_on,
        account_masked=payment.account_masked,
        state=RecoveryState(recovery.state),
        note=recovery.note,
        resolved_by=recovery.resolved_by,
        resolved_at=recovery.resolved_at,
    )


def register(session: Session, *, state: RecoveryState | None = None) -> list[RecoveryItem]:
    """The register, newest revocation first; only the entries in ``state`` when given."""
    query = (
        select(SubsidyRecovery, SubsidyPayment, SubsidyClaim, Person)
        .join(SubsidyPayment, SubsidyPayment.id == SubsidyRecovery.payment_id)
        .join(SubsidyClaim, SubsidyClaim.id == SubsidyPayment.claim_id)
        .join(Person, Person.id == SubsidyPayment.person_id)
        .order_by(SubsidyRecovery.flagged_at.desc(), SubsidyRecovery.id.desc())
    )
    if state is not None:
        query = query.where(SubsidyRecovery.state == state.value)
    return [_item(r, p, c, person) for r, p, c, person in session.execute(query)]


def resolve(
    session: Session, *, claim_id: str, state: RecoveryState, note: str, officer: str
) -> RecoveryItem:
    """Mark a payment to recover as recovered or waived, with a note (why waived, how recovered).
    Raises RecoveryNotFound, InvalidInput and RecoveryResolved."""
    note = note.strip()
    problems = []
    if state is RecoveryState.TO_RECOVER:
        problems.append(FieldError("state", "应为 recovered 或 waived / must be recovered or waived"))
    if not 2 <= len(note) <= 500:
        problems.append(FieldError("note", "请填写说明（2–500 个字）/ give a note of 2 to 500 characters"))
    elif (found := id_number_problem(note)) is not None:
        problems.append(FieldError("note", found))
    if problems:
        raise InvalidInput("追回处理有误 / the recovery update is invalid", problems, "invalid_recovery")
    claim = get_claim(session, claim_id)
    row = session.execute(
        select(SubsidyRecovery, SubsidyPayment)
        .join(SubsidyPayment, SubsidyPayment.id == SubsidyRecovery.payment_id)
        .where(SubsidyPayment.claim_id == claim.id)
        .with_for_update()
    ).first()
    if row is None:
        raise RecoveryNotFound()
    recovery, payment = row
    if recovery.state != RecoveryState.TO_RECOVER:
        raise RecoveryResolved()
    now = utcnow()
    recovery.state, recovery.note, recovery.resolved_by, recovery.resolved_at = (
        state.value,
        note,
        officer[:100],
        now,
    )
    if state is RecoveryState.RECOVERED:  # the money came back: the claim no longer holds its places
        claim.yearly_slot = claim.once_key = None
    person = session.get_one(Person, payment.person_id)
    record_step(
        session,
        claim,
        person,
        kind=EntryKind.SUBSIDY_RECOVERY,
        step=state.value,
        actor=officer,
        facts={
            "certificate_number": recovery.certificate_number,
            "amount_yuan": str(yuan(payment.amount_fen)),
            "outcome": state.value,
            "reason": note,
        },
        audit_detail={"note": note},
        at=now,
    )
    return _item(recovery, payment, claim, person)


EXPORT_HEADER = (
    "申领编号",
    "证书编号",
    "持证人",
    "证件号码",
    "补贴类型",
    "资金来源",
    "金额（元）",
    "发放日期",
    "发放账户",
    "证书失效原因",
    "证书失效时间",
    "追回状态",
    "说明",
)


def register_sheet(
    session: Session, fmt: Literal["csv", "xlsx"], state: RecoveryState | None = None
) -> tuple[bytes, str, str]:
    """The register (or the entries in ``state``) as a download: content, media type, file name."""
    rows = export_rows(register(session, state=state))
    if fmt == "csv":
        return rows_as_csv(EXPORT_HEADER, rows), "text/csv; charset=utf-8", "subsidy-recoveries.csv"
    return rows_as_xlsx(EXPORT_HEADER, rows, title="补贴追回"), XLSX_MEDIA_TYPE, "subsidy-recoveries.xlsx"


def export_rows(items: list[RecoveryItem]) -> list[list[Any]]:
    """The register as sheet rows, in words and Beijing time (every cell made safe by core.sheets)."""
    return [
        [
            item.claim_id,
            item.certificate_number,
            item.holder_name_masked,
            item.id_number_masked,
            item.subsidy_type,
            item.fund,
            f"{item.amount_yuan:.2f}",
            item.paid_on.isoformat(),
            item.account_masked,
            CAUSE_WORDS.get(item.cause, (item.cause, ""))[0],
            beijing_text(item.revoked_at, minutes=True),
            RECOVERY_WORDS[item.state][0],
            item.note or "",
        ]
        for item in items
    ]
