"""What an institution posts about a class: enrolments (培训报名), attendance (考勤) and completions (结业).

One skeleton (``_post``) for the three: the calling institution's own class, the person of each row
(on the roster, under their recorded name), the rules of the posting, every problem by row (422,
outranking duplicates, 409), nothing written unless every row passes, once per Idempotency-Key; then
one file entry and one row per accepted item. What differs is a ``_Posting``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import UTC, datetime
from typing import Any, Protocol

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from credential_service.core.clock import beijing_date, beijing_midnight, to_xsd, utcnow
from credential_service.core.errors import FieldError
from credential_service.identity.models import Person
from credential_service.records import service as records
from credential_service.records.rules import EntryKind
from credential_service.records.training.errors import not_enrolled
from credential_service.records.training.models import AttendanceEvent, Completion, Enrolment, TrainingClass
from credential_service.records.training.rules import CLOCK_SKEW, source_of
from credential_service.records.training.schemas import (
    AttendanceFacts,
    AttendancePosting,
    CompletionPosting,
    EnrolmentPosting,
    OnRoster,
    Posted,
    RosterAttendance,
    RosterCompletions,
    Trainee,
)
from credential_service.records.training.service import (
    Answer,
    attendance_counts,
    class_facts,
    enrolments_of,
    listed_people,
    once,
    own_class,
    raise_problems,
    roster_people,
    tenant,
)


@dataclass(frozen=True)
class _Accepted:
    """A row that passed every check: its position, person, enrolment and (attendance) time."""

    index: int
    person: Person
    enrolment: Enrolment | None = None
    when: datetime | None = None


@dataclass
class _Found:
    """Problems (422) and duplicates (409) found in a posting's rows."""

    problems: list[FieldError] = dataclass_field(default_factory=list)
    duplicates: list[FieldError] = dataclass_field(default_factory=list)


@dataclass(frozen=True)
class _Checking:
    """When the posting arrived, the person of each row (None: a problem is recorded), what is found."""

    moment: datetime
    people: Sequence[Person | None]
    found: _Found


@dataclass(frozen=True)
class _Written:
    """What every file entry of the posting says about the class, and where it came from."""

    facts: dict[str, Any]
    source: str
    moment: datetime


class _Posting(Protocol):
    @property
    def field(self) -> str:
        """The rows' field in the request (row problems are reported as ``field.N``)."""

    @property
    def operation(self) -> str:
        """Names the posting in the idempotency fingerprint."""

    @property
    def request(self) -> BaseModel: ...

    def rows(self) -> Sequence[Trainee] | Sequence[OnRoster]: ...

    def check(self, session: Session, klass: TrainingClass, checking: _Checking) -> list[_Accepted]: ...

    def record(self, session: Session, klass: TrainingClass, item: _Accepted, written: _Written) -> None: ...


def _post(
    session: Session,
    data_key: bytes,
    posting: _Posting,
    *,
    credit_code: str,
    class_ref: str,
    raw_idempotency_key: str | None,
    now: datetime | None,
) -> Answer:
    """Raises 403 (institution), ClassNotFound, RowsRejected (not on the roster, name, dates, not
    enrolled), DuplicateRows (409: already recorded, or twice in the posting)."""
    institution = tenant(session, credit_code)

    def work() -> tuple[int, BaseModel]:
        moment = now or utcnow()
        klass = own_class(session, institution, class_ref)
        found = _Found()
        people = _people_of(session, data_key, klass, posting, found.problems)
        accepted = posting.check(session, klass, _Checking(moment, people, found))
        raise_problems(found.problems, found.duplicates)
        written = _Written(class_facts(klass), source_of(institution.credit_code), moment)
        for item in accepted:
            posting.record(session, klass, item, written)
        session.flush()
        return 201, Posted(class_ref=klass.class_ref, recorded=len(accepted))

    return once(
        session,
        institution,
        raw_key=raw_idempotency_key,
        operation=f"{posting.operation}:{class_ref}",
        request=posting.request,
        work=work,
    )


def _people_of(
    session: Session, data_key: bytes, klass: TrainingClass, posting: _Posting, problems: list[FieldError]
) -> list[Person | None]:
    """The person of each row: the API's rows name them by 证件类型, 证件号码 and 姓名, the class page's
    rows by roster member (the pages never hold a clear ID number)."""
    rows = posting.rows()
    members = [row.member for row in rows if isinstance(row, OnRoster)]
    if members:
        return listed_people(session, klass=klass, field=posting.field, members=members, problems=problems)
    trainees = [row for row in rows if isinstance(row, Trainee)]
    field = posting.field
    return roster_people(session, data_key, klass=klass, field=field, rows=trainees, problems=problems)


def _repeat(field_name: str, first: int) -> str:
    return f"与 {field_name}.{first} 重复 / repeats {field_name}.{first}"


@dataclass(frozen=True)
class _Enrolments:
    request: EnrolmentPosting
    field: str = "enrolments"
    operation: str = "enrolments"

    def rows(self) -> Sequence[Trainee]:
        return self.request.enrolments

    def check(self, session: Session, klass: TrainingClass, checking: _Checking) -> list[_Accepted]:
        moment, people, found = checking.moment, checking.people, checking.found
        today = beijing_date(moment)
        enrolled = enrolments_of(session, klass)
        seen: dict[int, int] = {}
        accepted: list[_Accepted] = []
        for i, (row, person) in enumerate(zip(self.request.enrolments, people, strict=True)):
            loc = f"enrolments.{i}"
            if row.enrolled_on > klass.end_date:
                found.problems.append(
                    FieldError(f"{loc}.enrolled_on", "晚于结业日期 / after the class's end date")
                )
            elif row.enrolled_on > today:
                found.problems.append(FieldError(f"{loc}.enrolled_on", "日期在将来 / in the future"))
            if person is None:
                continue
            if person.id in enrolled:
                found.duplicates.append(FieldError(loc, "此人已报名本班 / already enrolled in this class"))
            elif person.id in seen:
                found.duplicates.append(FieldError(loc, _repeat("enrolments", seen[person.id])))
            else:
                seen[person.id] = i
                accepted.append(_Accepted(i, person))
        return accepted

    def record(self, session: Session, klass: TrainingClass, item: _Accepted, written: _Written) -> None:
        row = self.request.enrolments[item.index]
        entry = records.append_entry(
            session,
            item.person,
            EntryKind.ENROLMENT,
            {**written.facts, "enrolledOn": row.enrolled_on.isoformat()},
            source=written.source,
            occurred_at=beijing_midnight(row.enrolled_on),
            idempotency_key=f"enrolment:{klass.id}:{item.person.public_id}",
        )
        session.add(
            Enrolment(
                class_id=klass.id,
                person_id=item.person.id,
                enrolled_on=row.enrolled_on,
                recorded_at=written.moment,
                file_entry_id=entry.id,
            )
        )


@dataclass(frozen=True)
class _Attendance:
    request: AttendancePosting | RosterAttendance
    field: str = "events"
    operation: str = "attendance"

    def rows(self) -> Sequence[Trainee] | Sequence[OnRoster]:
        return self.request.events

    def check(self, session: Session, klass: TrainingClass, checking: _Checking) -> list[_Accepted]:
        moment, people, found = checking.moment, checking.people, checking.found
        """Each check-in inside the class dates (Beijing time), of an enrolled person; the same person
        at the same second twice is a duplicate. Accepted in time order (file entries follow it)."""
        enrolled = enrolments_of(session, klass)
        recorded = set(
            session.execute(
                select(AttendanceEvent.enrolment_id, AttendanceEvent.occurred_at)
                .join(Enrolment, Enrolment.id == AttendanceEvent.enrolment_id)
                .where(Enrolment.class_id == klass.id)
            )
        )
        seen: dict[tuple[int, datetime], int] = {}
        accepted: list[_Accepted] = []
        for i, (row, person) in enumerate(zip(self.request.events, people, strict=True)):
            loc = f"events.{i}"
            when = row.occurred_at.astimezone(UTC).replace(microsecond=0)
            if not klass.start_date <= beijing_date(when) <= klass.end_date:
                found.problems.append(
                    FieldError(
                        f"{loc}.occurred_at",
                        f"不在培训日期内（{klass.start_date} 至 {klass.end_date}，北京时间） / "
                        "outside the class dates (Beijing time)",
                    )
                )
            elif when > moment + CLOCK_SKEW:
                found.problems.append(FieldError(f"{loc}.occurred_at", "时间在将来 / in the future"))
            enrolment = _enrolment(enrolled, person, loc, found)
            if person is None or enrolment is None:
                continue
            key = (enrolment.id, when)
            if key in recorded:
                found.duplicates.append(FieldError(loc, "此次考勤已记录 / this check-in is already recorded"))
            elif key in seen:
                found.duplicates.append(FieldError(loc, _repeat("events", seen[key])))
            else:
                seen[key] = i
                accepted.append(_Accepted(i, person, enrolment, when))
        return sorted(accepted, key=lambda item: (item.when, item.index))

    def record(self, session: Session, klass: TrainingClass, item: _Accepted, written: _Written) -> None:
        row = self.request.events[item.index]
        assert item.enrolment is not None and item.when is not None  # set by check
        entry = records.append_entry(
            session,
            item.person,
            EntryKind.ATTENDANCE,
            {
                **written.facts,
                "time": to_xsd(item.when),
                "place": row.place,
                "method": row.method.value,
                "matchScore": row.match_score,
                "photoSha256": row.photo_sha256,
                **_optional_facts(row),
            },
            source=written.source,
            occurred_at=item.when,
            idempotency_key=f"attendance:{item.enrolment.id}:{to_xsd(item.when)}",
        )
        session.add(
            AttendanceEvent(
                enrolment_id=item.enrolment.id,
                occurred_at=item.when,
                place=row.place,
                method=row.method.value,
                match_score=row.match_score,
                photo_sha256=row.photo_sha256,
                device_sha256=row.device_sha256,
                latitude=row.latitude,
                longitude=row.longitude,
                recorded_at=written.moment,
                file_entry_id=entry.id,
            )
        )


def _optional_facts(row: AttendanceFacts) -> dict[str, Any]:
    """The optional check-in facts the row has (entries without them read as before)."""
    facts = {"deviceSha256": row.device_sha256, "latitude": row.latitude, "longitude": row.longitude}
    return {key: value for key, value in facts.items() if value is not None}


@dataclass
class _Completions:
    request: CompletionPosting | RosterCompletions
    field: str = "completions"
    operation: str = "completions"
    events: dict[int, int] = dataclass_field(default_factory=dict)  # check-ins per enrolment

    def rows(self) -> Sequence[Trainee] | Sequence[OnRoster]:
        return self.request.completions

    def check(self, session: Session, klass: TrainingClass, checking: _Checking) -> list[_Accepted]:
        moment, people, found = checking.moment, checking.people, checking.found
        """Attended hours and the completion assessment, once per enrolment, dated within the class."""
        today = beijing_date(moment)
        enrolled = enrolments_of(session, klass)
        completed = set(
            session.scalars(
                select(Completion.enrolment_id)
                .join(Enrolment, Enrolment.id == Completion.enrolment_id)
                .where(Enrolment.class_id == klass.id)
            )
        )
        self.events = attendance_counts(session, klass)
        seen: dict[int, int] = {}
        accepted: list[_Accepted] = []
        for i, (row, person) in enumerate(zip(self.request.completions, people, strict=True)):
            loc = f"completions.{i}"
            if row.completed_on < klass.start_date:
                found.problems.append(
                    FieldError(f"{loc}.completed_on", "早于开班日期 / before the class's start date")
                )
            elif row.completed_on > today:
                found.problems.append(FieldError(f"{loc}.completed_on", "日期在将来 / in the future"))
            enrolment = _enrolment(enrolled, person, loc, found)
            if person is None or enrolment is None:
                continue
            if enrolment.id in completed:
                found.duplicates.append(FieldError(loc, "此人已结业 / completion already recorded"))
            elif enrolment.id in seen:
                found.duplicates.append(FieldError(loc, _repeat("completions", seen[enrolment.id])))
            else:
                seen[enrolment.id] = i
                accepted.append(_Accepted(i, person, enrolment))
        return accepted

    def record(self, session: Session, klass: TrainingClass, item: _Accepted, written: _Written) -> None:
        row = self.request.completions[item.index]
        assert item.enrolment is not None  # set by check
        entry = records.append_entry(
            session,
            item.person,
            EntryKind.COMPLETION,
            {
                **written.facts,
                "attendedHours": row.attended_hours,
                "attendanceEvents": self.events.get(item.enrolment.id, 0),
                "result": row.result.value,
                "score": row.score,
                "completedOn": row.completed_on.isoformat(),
            },
            source=written.source,
            occurred_at=beijing_midnight(row.completed_on),
            idempotency_key=f"completion:{item.enrolment.id}",
        )
        session.add(
            Completion(
                enrolment_id=item.enrolment.id,
                attended_hours=row.attended_hours,
                result=row.result.value,
                score=row.score,
                completed_on=row.completed_on,
                recorded_at=written.moment,
                file_entry_id=entry.id,
            )
        )


def _enrolment(
    enrolled: dict[int, Enrolment], person: Person | None, loc: str, found: _Found
) -> Enrolment | None:
    """The person's enrolment in the class; a problem when they have none (not when the row has no
    person: that problem is recorded already)."""
    if person is None:
        return None
    enrolment = enrolled.get(person.id)
    if enrolment is None:
        found.problems.append(not_enrolled(loc))
    return enrolment


def post(
    session: Session,
    data_key: bytes,
    *,
    credit_code: str,
    class_ref: str,
    posting: EnrolmentPosting | AttendancePosting | CompletionPosting | RosterAttendance | RosterCompletions,
    raw_idempotency_key: str | None = None,
    now: datetime | None = None,
) -> Answer:
    """Record a posting of the calling institution about one of its classes: 培训报名 (roster members
    start the class), 考勤 (check-ins of enrolled people) or 结业 (attended hours and the completion
    assessment, once per enrolment); one file entry per row. The API's rows name people by ID number,
    the class page's (``RosterAttendance``, ``RosterCompletions``) by roster member."""
    steps: _Posting
    if isinstance(posting, EnrolmentPosting):
        steps = _Enrolments(posting)
    elif isinstance(posting, AttendancePosting | RosterAttendance):
        steps = _Attendance(posting)
    else:
        steps = _Completions(posting)
    return _post(
        session,
        data_key,
        steps,
        credit_code=credit_code,
        class_ref=class_ref,
        raw_idempotency_key=raw_idempotency_key,
        now=now,
    )
