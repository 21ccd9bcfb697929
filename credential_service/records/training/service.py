"""Classes of training institutions (培训班) with their rosters, and what every posting shares: the
calling institution, its own class, the roster's people, once per Idempotency-Key, problems by row.

A posting is all or nothing: every problem is reported (row and field, Chinese then English, never
the ID number) and nothing is written."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from credential_service.core.clock import utcnow
from credential_service.core.errors import Conflict, FieldError, InvalidInput
from credential_service.identity import service as identity
from credential_service.identity.models import Person
from credential_service.identity.rules import DocumentType
from credential_service.records.training.errors import (
    ALREADY_LISTED,
    NAME_DIFFERS,
    NOT_ON_ROSTER,
    ClassNotFound,
    DuplicateRows,
    IdempotencyKeyReused,
    InstitutionNotActive,
    InstitutionNotRegistered,
    RowsRejected,
)
from credential_service.records.training.institutions import find_institution
from credential_service.records.training.models import (
    TRAINING_TYPE_NAMES,
    AttendanceEvent,
    Completion,
    Enrolment,
    Institution,
    InstitutionRequest,
    RosterMember,
    TrainingClass,
    TrainingType,
)
from credential_service.records.training.rules import (
    InstitutionStatus,
    idempotency_key,
    project_approved,
    request_fingerprint,
)
from credential_service.records.training.schemas import (
    ClassCreate,
    ClassDetail,
    ClassDetails,
    ClassList,
    ClassSummary,
    RosterMemberOut,
    Trainee,
)


@dataclass(frozen=True)
class Answer:
    """What a posting answered (kept for retries with the same Idempotency-Key)."""

    status: int
    body: dict[str, Any]
    replayed: bool = False


def tenant(session: Session, credit_code: str) -> Institution:
    """The calling institution (from its token); raises InstitutionNotRegistered."""
    institution = find_institution(session, credit_code)
    if institution is None:
        raise InstitutionNotRegistered()
    return institution


def own_class(session: Session, institution: Institution, class_ref: str) -> TrainingClass:
    """One of the institution's classes; another institution's class is simply not found."""
    klass = session.scalar(
        select(TrainingClass).where(
            TrainingClass.institution_id == institution.id, TrainingClass.class_ref == class_ref
        )
    )
    if klass is None:
        raise ClassNotFound()
    return klass


def _stored_answer(session: Session, institution: Institution, key: str) -> InstitutionRequest | None:
    return session.scalar(
        select(InstitutionRequest).where(
            InstitutionRequest.institution_id == institution.id, InstitutionRequest.idempotency_key == key
        )
    )


def _replay(stored: InstitutionRequest, fingerprint: str) -> Answer:
    if stored.fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    if stored.status_code is None or stored.response_body is None:
        raise Conflict("同一请求正在处理 / the same request is still being processed", code="in_progress")
    return Answer(stored.status_code, json.loads(stored.response_body), replayed=True)


def once(
    session: Session,
    institution: Institution,
    *,
    raw_key: str | None,
    operation: str,
    request: BaseModel,
    work: Callable[[], tuple[int, BaseModel]],
) -> Answer:
    """Run ``work`` for an active institution, once per Idempotency-Key.

    A retry with the key gets the first answer and changes nothing; the same key with another
    body is refused. The answer is stored in the same transaction as the work, so a refused
    posting stores nothing and may be retried with its key.
    """
    key = idempotency_key(raw_key)
    record: InstitutionRequest | None = None
    if key is not None:
        fingerprint = request_fingerprint(operation, request.model_dump(mode="json"))
        stored = _stored_answer(session, institution, key)
        if stored is None:
            record = InstitutionRequest(
                institution_id=institution.id,
                idempotency_key=key,
                fingerprint=fingerprint,
                created_at=utcnow(),
            )
            try:
                with session.begin_nested():
                    session.add(record)
                    session.flush()
            except IntegrityError:
                # A concurrent request with this key committed first (we waited for it): its answer.
                stored = _stored_answer(session, institution, key)
                if stored is None:
                    raise
        if stored is not None:
            return _replay(stored, fingerprint)
    if institution.status != InstitutionStatus.ACTIVE:
        raise InstitutionNotActive(institution.status)
    status, answer = work()
    body = answer.model_dump(mode="json")
    if record is not None:
        record.status_code = status
        record.response_body = json.dumps(body, ensure_ascii=False)
        session.flush()
    return Answer(status, body)


def _row_order(error: FieldError) -> tuple[int, str]:
    """``events.12.name`` sorts by row 12, then field (row-less locations first)."""
    parts = error.loc.split(".")
    row = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else -1
    return row, error.loc


def raise_problems(problems: list[FieldError], duplicates: list[FieldError]) -> None:
    """Refuse the whole posting, listing problems by row: rule problems (422) outrank duplicates (409)."""
    if problems:
        raise RowsRejected(sorted(problems + duplicates, key=_row_order))
    if duplicates:
        raise DuplicateRows(sorted(duplicates, key=_row_order))


def class_facts(klass: TrainingClass) -> dict[str, Any]:
    """What every file entry about this class says (never the ID number)."""
    return {
        "classRef": klass.class_ref,
        "institution": klass.institution.name,
        "institutionCreditCode": klass.institution.credit_code,
        "occupationCode": klass.occupation_code,
        "subtype": klass.subtype,
        "targetLevel": klass.target_level,
        "trainingType": klass.training_type,
        "trainingTypeName": TRAINING_TYPE_NAMES[TrainingType(klass.training_type)],
        "startDate": klass.start_date.isoformat(),
        "endDate": klass.end_date.isoformat(),
        "plannedHours": klass.planned_hours,
    }


def _summary_counts(session: Session, class_ids: Sequence[int]) -> dict[str, dict[int, int]]:
    def count(model: Any, column: Any) -> dict[int, int]:
        rows = session.execute(
            select(column, func.count()).select_from(model).where(column.in_(class_ids)).group_by(column)
        )
        return {class_id: n for class_id, n in rows}

    completed = session.execute(
        select(Enrolment.class_id, func.count())
        .join(Completion, Completion.enrolment_id == Enrolment.id)
        .where(Enrolment.class_id.in_(class_ids))
        .group_by(Enrolment.class_id)
    )
    return {
        "roster": count(RosterMember, RosterMember.class_id),
        "enrolled": count(Enrolment, Enrolment.class_id),
        "completed": {class_id: n for class_id, n in completed},
    }


def _summary(klass: TrainingClass, counts: dict[str, dict[int, int]]) -> dict[str, Any]:
    return {
        "class_ref": klass.class_ref,
        "occupation_code": klass.occupation_code,
        "subtype": klass.subtype,
        "target_level": klass.target_level,
        "training_type": TrainingType(klass.training_type),
        "start_date": klass.start_date,
        "end_date": klass.end_date,
        "planned_hours": klass.planned_hours,
        "teacher": klass.teacher,
        "venue_capacity": klass.venue_capacity,
        "approved_on": klass.approved_on,
        "created_at": klass.created_at,
        "roster_size": counts["roster"].get(klass.id, 0),
        "enrolled": counts["enrolled"].get(klass.id, 0),
        "completed": counts["completed"].get(klass.id, 0),
    }


def attendance_counts(session: Session, klass: TrainingClass) -> dict[int, int]:
    """Check-ins recorded so far, per enrolment of the class."""
    rows = session.execute(
        select(AttendanceEvent.enrolment_id, func.count())
        .join(Enrolment, Enrolment.id == AttendanceEvent.enrolment_id)
        .where(Enrolment.class_id == klass.id)
        .group_by(AttendanceEvent.enrolment_id)
    )
    return {enrolment_id: n for enrolment_id, n in rows}


@dataclass(frozen=True)
class RosterLine:
    """A roster member and how far they are: 报名 (enrolled), 考勤 (check-ins), 结业 (completion)."""

    member: int  # the roster row's number: how the class page names them (never the ID number)
    name: str
    document_type: str
    id_number_masked: str
    enrolled_on: date | None
    check_ins: int
    attended_hours: int | None  # from here on: the completion, once recorded
    result: str | None
    score: float | None
    completed_on: date | None


def roster_query(klass: TrainingClass, *columns: Any) -> Select[Any]:
    """``columns`` of each member of the class's roster, in listed order, with their enrolment and
    completion when there is one (outer joins: a listed trainee may not have started)."""
    return (
        select(*columns)
        .join(Person, Person.id == RosterMember.person_id)
        .outerjoin(
            Enrolment, (Enrolment.class_id == RosterMember.class_id) & (Enrolment.person_id == Person.id)
        )
        .outerjoin(Completion, Completion.enrolment_id == Enrolment.id)
        .where(RosterMember.class_id == klass.id)
        .order_by(RosterMember.id)
    )


def roster_of(session: Session, klass: TrainingClass) -> list[RosterLine]:
    """The class's roster in the order it was listed, each member with their progress."""
    members = session.execute(roster_query(klass, RosterMember.id, Person, Enrolment, Completion))
    events = attendance_counts(session, klass)
    return [
        RosterLine(
            member=member,
            name=person.name,
            document_type=person.document_type,
            id_number_masked=person.id_number_masked,
            enrolled_on=enrolment.enrolled_on if enrolment else None,
            check_ins=events.get(enrolment.id, 0) if enrolment else 0,
            attended_hours=completion.attended_hours if completion else None,
            result=completion.result if completion else None,
            score=completion.score if completion else None,
            completed_on=completion.completed_on if completion else None,
        )
        for member, person, enrolment, completion in members
    ]


def _class_detail(session: Session, klass: TrainingClass) -> ClassDetail:
    roster = [
        RosterMemberOut(
            name=line.name,
            document_type=DocumentType(line.document_type),
            id_number_masked=line.id_number_masked,
            enrolled=line.enrolled_on is not None,
            attendance_events=line.check_ins,
            completed=line.completed_on is not None,
        )
        for line in roster_of(session, klass)
    ]
    return ClassDetail(**_summary(klass, _summary_counts(session, [klass.id])), roster=roster)


def class_with_roster(
    session: Session, credit_code: str, class_ref: str
) -> tuple[ClassSummary, list[RosterLine]]:
    """One of the calling institution's classes and its roster with each member's progress (for the
    class page). Raises InstitutionNotRegistered, ClassNotFound."""
    klass = own_class(session, tenant(session, credit_code), class_ref)
    summary = ClassSummary(**_summary(klass, _summary_counts(session, [klass.id])))
    return summary, roster_of(session, klass)


def list_classes(session: Session, credit_code: str, *, limit: int = 100, offset: int = 0) -> ClassList:
    """The calling institution's classes, newest start first. Raises InstitutionNotRegistered."""
    institution = tenant(session, credit_code)
    classes = list(
        session.scalars(
            select(TrainingClass)
            .where(TrainingClass.institution_id == institution.id)
            .order_by(TrainingClass.start_date.desc(), TrainingClass.class_ref)
            .limit(limit)
            .offset(offset)
        )
    )
    counts = _summary_counts(session, [k.id for k in classes])
    return ClassList(classes=[ClassSummary(**_summary(k, counts)) for k in classes])


def get_class(session: Session, credit_code: str, class_ref: str) -> ClassDetail:
    """One of the calling institution's classes with its roster (masked ID numbers); else ClassNotFound."""
    return _class_detail(session, own_class(session, tenant(session, credit_code), class_ref))


def create_class(
    session: Session,
    data_key: bytes,
    *,
    credit_code: str,
    request: ClassCreate,
    raw_idempotency_key: str | None = None,
    now: datetime | None = None,
) -> Answer:
    """开班: open a class and register its roster (people are created on first sight).

    Raises InstitutionNotRegistered / InstitutionNotActive (403), RowsRejected (422: dates, scope,
    roster rows), Conflict (409: the class reference is taken).
    """
    institution = tenant(session, credit_code)

    def work() -> tuple[int, BaseModel]:
        moment = now or utcnow()
        problems = _class_problems(institution, request)
        people = identify_roster(session, data_key, request.roster, problems)
        raise_problems(problems, [])
        klass = _new_class(session, institution, request, moment)
        list_people(session, data_key, klass, people, moment)
        return 201, _class_detail(session, klass)

    return once(
        session,
        institution,
        raw_key=raw_idempotency_key,
        operation="create_class",
        request=request,
        work=work,
    )


def open_class(
    session: Session, *, credit_code: str, details: ClassDetails, now: datetime | None = None
) -> ClassDetail:
    """开班 from the institution's pages: the class with no roster yet (the roster follows from a
    sheet, ``roster.add_roster``). Raises what ``create_class`` raises."""
    institution = tenant(session, credit_code)

    def work() -> tuple[int, BaseModel]:
        raise_problems(_class_problems(institution, details), [])
        return 201, _class_detail(session, _new_class(session, institution, details, now or utcnow()))

    answer = once(session, institution, raw_key=None, operation="open_class", request=details, work=work)
    return ClassDetail.model_validate(answer.body)


def _new_class(
    session: Session, institution: Institution, details: ClassDetails, moment: datetime
) -> TrainingClass:
    """The class row; raises Conflict when the institution already has the reference."""
    if session.scalar(
        select(TrainingClass.id).where(
            TrainingClass.institution_id == institution.id, TrainingClass.class_ref == details.class_ref
        )
    ):
        raise Conflict(
            "本机构已有此编号的培训班 / your institution already has a class with this reference",
            code="class_exists",
        )
    klass = TrainingClass(
        institution=institution,
        class_ref=details.class_ref,
        occupation_code=details.occupation_code,
        subtype=details.subtype,
        target_level=details.target_level,
        training_type=details.training_type.value,
        start_date=details.start_date,
        end_date=details.end_date,
        planned_hours=details.planned_hours,
        teacher=details.teacher,
        venue_capacity=details.venue_capacity,
        approved_on=details.approved_on,
        created_at=moment,
    )
    session.add(klass)
    session.flush()
    return klass


def _class_problems(institution: Institution, request: ClassDetails) -> list[FieldError]:
    """The class's dates in order, and its occupation and training type among the approved projects."""
    problems: list[FieldError] = []
    if request.end_date < request.start_date:
        problems.append(
            FieldError("end_date", "结业日期早于开班日期 / the end date is before the start date")
        )
    projects = [(p.occupation_code, p.training_type) for p in institution.projects]
    if not project_approved(projects, request.occupation_code, request.training_type.value):
        problems.append(
            FieldError(
                "occupation_code",
                "不在本机构可开展项目内（职业与培训类型） / "
                "outside the institution's approved projects (occupation and training type)",
            )
        )
    return problems


def _identify(row: Trainee, loc: str, problems: list[FieldError]) -> identity.Identity | None:
    """The row's identity, or None after recording why its ID number is refused."""
    try:
        return identity.identify(row.document_type.value, row.id_number, field=f"{loc}.id_number")
    except InvalidInput as exc:
        problems.extend(exc.errors)
        return None


def list_people(
    session: Session,
    data_key: bytes,
    klass: TrainingClass,
    people: Sequence[tuple[identity.Identity, Trainee]],
    moment: datetime,
) -> None:
    """Put checked rows (``identify_roster``) on the class's roster, registering people on first sight."""
    for who, row in people:
        person = identity.register_person(session, data_key, who, row.name, now=moment)
        session.add(RosterMember(class_id=klass.id, person_id=person.id, listed_at=moment))
    session.flush()


def identify_roster(
    session: Session,
    data_key: bytes,
    roster: Sequence[Trainee],
    problems: list[FieldError],
    *,
    listed: Collection[int] = (),
    row_label: Callable[[int], tuple[str, str]] = lambda i: (f"roster.{i}", f"roster.{i}"),
) -> list[tuple[identity.Identity, Trainee]]:
    """Validate each roster row; someone already on file must be listed under their recorded name,
    and not be among ``listed`` (the person ids already on the roster). ``row_label`` names a row
    in a problem about another row, in Chinese and English (an uploaded sheet names its own rows)."""
    seen: dict[identity.Identity, int] = {}
    people: list[tuple[identity.Identity, Trainee]] = []
    for i, row in enumerate(roster):
        loc = f"roster.{i}"
        who = _identify(row, loc, problems)
        if who is None:
            continue
        if who in seen:
            zh, en = row_label(seen[who])
            problems.append(FieldError(f"{loc}.id_number", f"与 {zh} 是同一人 / same person as {en}"))
            continue
        seen[who] = i
        existing = identity.find_person(session, data_key, who)
        if existing is not None and existing.name != row.name:
            problems.append(FieldError(f"{loc}.name", NAME_DIFFERS))
            continue
        if existing is not None and existing.id in listed:
            problems.append(FieldError(f"{loc}.id_number", ALREADY_LISTED))
            continue
        people.append((who, row))
    return people


def roster_people(
    session: Session,
    data_key: bytes,
    *,
    klass: TrainingClass,
    field: str,
    rows: Sequence[Trainee],
    problems: list[FieldError],
) -> list[Person | None]:
    """The person of each row, or None after recording why (not on the roster, name differs, bad ID).

    Someone unknown and someone known but not on this roster get the same answer, so an
    institution cannot use postings to find out who has a file.
    """
    listed = set(session.scalars(select(RosterMember.person_id).where(RosterMember.class_id == klass.id)))
    found: dict[identity.Identity, Person | None] = {}
    people: list[Person | None] = []
    for i, row in enumerate(rows):
        loc = f"{field}.{i}"
        who = _identify(row, loc, problems)
        if who is None:
            people.append(None)
            continue
        if who not in found:
            found[who] = identity.find_person(session, data_key, who)
        person = found[who]
        if person is None or person.id not in listed:
            problems.append(FieldError(f"{loc}.id_number", NOT_ON_ROSTER))
            people.append(None)
        elif person.name != row.name:
            problems.append(FieldError(f"{loc}.name", NAME_DIFFERS))
            people.append(None)
        else:
            people.append(person)
    return people


def listed_people(
    session: Session, *, klass: TrainingClass, field: str, members: Sequence[int], problems: list[FieldError]
) -> list[Person | None]:
    """The person of each row posted from the class page (by roster member), or None after recording
    that the member is not on this class's roster."""
    listed = {
        member: person
        for member, person in session.execute(
            select(RosterMember.id, Person)
            .join(Person, Person.id == RosterMember.person_id)
            .where(RosterMember.class_id == klass.id, RosterMember.id.in_(set(members)))
        )
    }
    people: list[Person | None] = []
    for i, member in enumerate(members):
        person = listed.get(member)
        if person is None:
            problems.append(FieldError(f"{field}.{i}.member", NOT_ON_ROSTER))
        people.append(person)
    return people


def enrolments_of(session: Session, klass: TrainingClass) -> dict[int, Enrolment]:
    return {e.person_id: e for e in session.scalars(select(Enrolment).where(Enrolment.class_id == klass.id))}
