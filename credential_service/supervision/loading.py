"""Read the database into the plain facts the checks read (``rules.facts``): everything for the full
scan, or what a posting's subjects touch (``Scope``) for the incremental run. Bulk column reads, no
ORM objects per row; only the kinds of facts the run's checks name are read."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, or_, select, true
from sqlalchemy.orm import Session

from credential_service.identity.models import Person
from credential_service.records.training.models import (
    AttendanceEvent,
    Completion,
    Enrolment,
    Institution,
    TrainingClass,
)
from credential_service.subsidies.models import OfficerDecision, SubsidyClaim, SubsidyPayment
from credential_service.subsidies.social_insurance import open_account
from credential_service.supervision import loading_results
from credential_service.supervision.rules.facts import (
    CheckInFacts,
    ClaimFacts,
    ClassFacts,
    CompletionFacts,
    EnrolmentFacts,
    Facts,
    PaymentFacts,
    PersonFacts,
)
from credential_service.supervision.rules.registry import Reads

IN_CHUNK = 500  # ids in one IN (…) list: well under SQLite's and PostgreSQL's limits


@dataclass
class Scope:
    """What arriving data touches: its classes, people, photo and device hashes, certificates."""

    class_ids: set[int] = field(default_factory=set)
    person_ids: set[int] = field(default_factory=set)
    hashes: set[str] = field(default_factory=set)
    certificate_numbers: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.class_ids or self.person_ids or self.certificate_numbers)


def _chunks(values: Collection[Any]) -> list[list[Any]]:
    ordered = sorted(values)
    return [ordered[i : i + IN_CHUNK] for i in range(0, len(ordered), IN_CHUNK)]


def _where_in(session: Session, query: Any, column: Any, values: Collection[Any] | None) -> list[Any]:
    """Rows of ``query``, all (values None) or those whose column is in values (in chunks)."""
    if values is None:
        return list(session.execute(query))
    return [row for chunk in _chunks(values) for row in session.execute(query.where(column.in_(chunk)))]


def load(
    session: Session, *, reads: Collection[Reads], data_key: bytes, today: date, scope: Scope | None
) -> Facts:
    """The facts the checks read: all of them (scope None), or what the scope touches."""
    facts = Facts(today=today)
    class_ids = None if scope is None else _classes_touched(session, scope)
    if {Reads.CLASSES, Reads.ENROLMENTS, Reads.CHECKINS, Reads.COMPLETIONS} & set(reads):
        facts.classes = _classes(session, class_ids)
    if Reads.ENROLMENTS in reads:
        facts.enrolments = _enrolments(session, scope)
    if Reads.CHECKINS in reads:
        facts.checkins = _checkins(session, scope, class_ids)
    if Reads.COMPLETIONS in reads:
        facts.completions = _completions(session, scope)
    if Reads.CERTIFICATES in reads:
        facts.certificates = loading_results.certificates(session, scope)
    if Reads.SCOPES in reads:
        facts.scopes = loading_results.scopes(session, {c.organisation_id for c in facts.certificates})
    if Reads.CANDIDATES in reads:
        facts.candidates = loading_results.candidates(session, None if scope is None else scope.person_ids)
    if Reads.CLAIMS in reads:
        facts.claims = _claims(session)
    if Reads.PAYMENTS in reads:
        facts.payments = _payments(session, data_key)
    rows: list[EnrolmentFacts | CheckInFacts | CompletionFacts] = [
        *facts.enrolments,
        *facts.checkins,
        *facts.completions,
    ]
    missing = {row.class_id for row in rows} - set(facts.classes)
    if missing:
        facts.classes.update(_classes(session, missing))
    facts.persons = _persons(session, _people_in(facts))
    return facts


def _classes_touched(session: Session, scope: Scope) -> set[int]:
    """The scope's classes, the other classes of its people, and the classes of the same teachers."""
    ids = set(scope.class_ids)
    for (class_id,) in _where_in(session, select(Enrolment.class_id), Enrolment.person_id, scope.person_ids):
        ids.add(class_id)
    rows = _where_in(
        session,
        select(TrainingClass.teacher, TrainingClass.start_date, TrainingClass.end_date),
        TrainingClass.id,
        scope.class_ids,
    )
    teachers = {t for t, _, _ in rows if t}
    if teachers:
        # only the teacher's classes that overlap these in time can clash with them (check-ins are
        # within their class's dates): a teacher of many classes over the years is not read whole
        first, last = min(start for _, start, _ in rows), max(end for _, _, end in rows)
        ids.update(
            session.scalars(
                select(TrainingClass.id).where(
                    TrainingClass.teacher.in_(sorted(teachers)),
                    TrainingClass.start_date <= last,
                    TrainingClass.end_date >= first,
                )
            )
        )
    return ids


def _classes(session: Session, ids: Collection[int] | None) -> dict[int, ClassFacts]:
    query = select(TrainingClass, Institution.credit_code, Institution.city_code).join(
        Institution, Institution.id == TrainingClass.institution_id
    )
    found = {}
    for klass, code, city in _where_in(session, query, TrainingClass.id, ids):
        found[klass.id] = ClassFacts(
            klass.id,
            klass.class_ref,
            klass.institution_id,
            code,
            city,
            klass.occupation_code,
            klass.target_level,
            klass.training_type,
            klass.start_date,
            klass.end_date,
            klass.planned_hours,
            klass.teacher,
            klass.venue_capacity,
            klass.approved_on,
        )
    return found


def _enrolments(session: Session, scope: Scope | None) -> list[EnrolmentFacts]:
    query = select(
        Enrolment.id, Enrolment.class_id, Enrolment.person_id, Enrolment.enrolled_on, Enrolment.file_entry_id
    )
    people = None if scope is None else scope.person_ids | _people_of_classes(session, scope.class_ids)
    return [EnrolmentFacts(*row) for row in _where_in(session, query, Enrolment.person_id, people)]


def _people_of_classes(session: Session, class_ids: Collection[int]) -> set[int]:
    return {p for (p,) in _where_in(session, select(Enrolment.person_id), Enrolment.class_id, class_ids)}


def _checkins(session: Session, scope: Scope | None, class_ids: set[int] | None) -> list[CheckInFacts]:
    query = select(
        AttendanceEvent.id,
        Enrolment.class_id,
        Enrolment.person_id,
        AttendanceEvent.occurred_at,
        AttendanceEvent.place,
        AttendanceEvent.method,
        AttendanceEvent.photo_sha256,
        AttendanceEvent.device_sha256,
        AttendanceEvent.latitude,
        AttendanceEvent.longitude,
        AttendanceEvent.file_entry_id,
    ).join(Enrolment, Enrolment.id == AttendanceEvent.enrolment_id)
    if scope is None or class_ids is None:
        return [CheckInFacts(*row) for row in session.execute(query)]
    rows = {row.id: row for row in _where_in(session, query, Enrolment.class_id, class_ids)}
    rows.update((row.id, row) for row in _where_in(session, query, Enrolment.person_id, scope.person_ids))
    if scope.hashes:
        same: ColumnElement[bool] = or_(
            AttendanceEvent.photo_sha256.in_(sorted(scope.hashes)),
            AttendanceEvent.device_sha256.in_(sorted(scope.hashes)),
        )
        rows.update((row.id, row) for row in session.execute(query.where(same)))
    return [CheckInFacts(*row) for _, row in sorted(rows.items())]


def _completions(session: Session, scope: Scope | None) -> list[CompletionFacts]:
    query = select(
        Enrolment.class_id,
        Enrolment.person_id,
        Completion.attended_hours,
        Completion.result == "pass",
        Completion.completed_on,
        Completion.file_entry_id,
    ).join(Enrolment, Enrolment.id == Completion.enrolment_id)
    people = None if scope is None else scope.person_ids
    return [CompletionFacts(*row) for row in _where_in(session, query, Enrolment.person_id, people)]


def _claims(session: Session) -> list[ClaimFacts]:
    query = (
        select(SubsidyClaim, Institution.credit_code, Institution.city_code, OfficerDecision.approved)
        .outerjoin(Institution, Institution.id == SubsidyClaim.institution_id)
        .outerjoin(OfficerDecision, OfficerDecision.claim_id == SubsidyClaim.id)
        .where(SubsidyClaim.state == "paid")
    )
    return [
        ClaimFacts(
            claim.public_id,
            claim.person_id,
            claim.institution_id,
            code,
            city,
            claim.state,
            claim.amount_fen,
            loading_results.failed_hard_rules(claim.decision_json),
            approved,
        )
        for claim, code, city, approved in session.execute(query)
    ]


def account_key(data_key: bytes, account: str) -> str:
    """A keyed hash of a card account: equal accounts compare equal, the number is never kept."""
    return hmac.new(data_key, b"card-account:" + account.encode(), hashlib.sha256).hexdigest()


def _payments(session: Session, data_key: bytes) -> list[PaymentFacts]:
    query = (
        select(
            SubsidyPayment,
            SubsidyClaim.public_id,
            SubsidyClaim.state,
            SubsidyClaim.amount_fen,
            OfficerDecision.approved,
        )
        .join(SubsidyClaim, SubsidyClaim.id == SubsidyPayment.claim_id)
        .outerjoin(OfficerDecision, OfficerDecision.claim_id == SubsidyClaim.id)
        .where(true())
    )
    return [
        PaymentFacts(
            pay.id,
            public_id,
            state,
            amount,
            approved,
            pay.person_id,
            pay.amount_fen,
            account_key(data_key, open_account(data_key, pay.account_sealed)),
            pay.file_entry_id,
        )
        for pay, public_id, state, amount, approved in session.execute(query)
    ]


def _people_in(facts: Facts) -> set[int]:
    rows: list[Any] = [
        *facts.enrolments,
        *facts.checkins,
        *facts.completions,
        *facts.candidates,
        *facts.claims,
        *facts.payments,
    ]
    people = {row.person_id for row in rows}
    return people | {c.person_id for c in facts.certificates if c.person_id is not None}


def _persons(session: Session, ids: Collection[int]) -> dict[int, PersonFacts]:
    query = select(Person.id, Person.public_id, Person.birth_date, Person.sex)
    return {row.id: PersonFacts(*row) for row in _where_in(session, query, Person.id, ids)}
