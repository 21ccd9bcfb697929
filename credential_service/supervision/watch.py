"""The incremental run: when a transaction records enrolments, check-ins, completions or issued
certificates (ORM rows or a batch's bulk insert), the checks those postings trigger run over what
they touch, in the same transaction, just before it commits (decision 036). Wired by the
composition root for the service's sessions.

A failing check never fails the posting: its savepoint is rolled back, the failure logged, and the
next full scan finds what it would have.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import event, select
from sqlalchemy.orm import Session, UOWTransaction, sessionmaker

from credential_service.certificates import service as certificates
from credential_service.certificates.models import IssuedCredential
from credential_service.records.training.models import AttendanceEvent, Completion, Enrolment
from credential_service.supervision import service
from credential_service.supervision.loading import Scope
from credential_service.supervision.rules.registry import Trigger, checks_for

log = logging.getLogger(__name__)
_ARRIVED = "supervision_arrived"


@dataclass
class _Arrived:
    triggers: set[Trigger] = field(default_factory=set)
    enrolment_ids: set[int] = field(default_factory=set)
    scope: Scope = field(default_factory=Scope)


@dataclass(frozen=True)
class _Watcher:
    data_key: bytes

    def note(self, session: Session, _flush: UOWTransaction) -> None:
        for row in session.new:
            arrived = session.info.get(_ARRIVED)
            if (
                isinstance(row, (AttendanceEvent, Enrolment, Completion, IssuedCredential))
                and arrived is None
            ):
                arrived = session.info[_ARRIVED] = _Arrived()
            if isinstance(row, AttendanceEvent) and arrived is not None:
                arrived.triggers.add(Trigger.ATTENDANCE)
                arrived.enrolment_ids.add(row.enrolment_id)
                arrived.scope.hashes.update(h for h in (row.photo_sha256, row.device_sha256) if h)
            elif isinstance(row, Enrolment) and arrived is not None:
                arrived.triggers.add(Trigger.ENROLMENT)
                arrived.scope.class_ids.add(row.class_id)
                arrived.scope.person_ids.add(row.person_id)
            elif isinstance(row, Completion) and arrived is not None:
                arrived.triggers.add(Trigger.COMPLETION)
                arrived.enrolment_ids.add(row.enrolment_id)
            elif isinstance(row, IssuedCredential) and arrived is not None and row.certificate_number:
                arrived.triggers.add(Trigger.CERTIFICATE)
                arrived.scope.certificate_numbers.add(row.certificate_number)

    def check(self, session: Session) -> None:
        if session.in_nested_transaction():
            return  # a savepoint being released: wait for the real commit
        arrived: _Arrived | None = session.info.pop(_ARRIVED, None)
        if bulk := certificates.issued_in_bulk(session):  # written without ORM objects
            arrived = arrived or _Arrived()
            arrived.triggers.add(Trigger.CERTIFICATE)
            arrived.scope.certificate_numbers.update(bulk)
        if arrived is None:
            return
        scope = arrived.scope
        for class_id, person_id in session.execute(
            select(Enrolment.class_id, Enrolment.person_id).where(
                Enrolment.id.in_(sorted(arrived.enrolment_ids))
            )
        ):
            scope.class_ids.add(class_id)
            scope.person_ids.add(person_id)
        try:
            with session.begin_nested():
                service.run_checks(
                    session,
                    data_key=self.data_key,
                    specs=checks_for(arrived.triggers),
                    scope=scope,
                    opened_by="scan:posting",
                )
        except Exception:  # the posting stands; the full scan catches up
            log.exception("supervision checks failed on a posting; left to the full scan")


def watch(sessions: sessionmaker[Session], data_key: bytes) -> None:
    """Run the triggered checks before each commit of ``sessions`` that recorded postings."""
    if getattr(sessions, "_supervision_watcher", None) is None:
        watcher = _Watcher(data_key)
        sessions._supervision_watcher = watcher  # type: ignore[attr-defined]  # one watcher per factory
        event.listen(sessions, "after_flush", watcher.note)
        event.listen(sessions, "before_commit", watcher.check)
