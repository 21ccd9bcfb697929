"""Training institutions (培训机构): the directory, and what an institution posts about its classes.

Administrators register institutions and change their status. An active institution opens a
class with its roster (培训学员名册), then posts enrolments, attendance and completions; each row
becomes an entry in the person's lifelong file. A posting is all or nothing: every problem is
reported (row and field, Chinese then English, never the ID number) and nothing is written.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from credential_service.core.clock import to_xsd, utcnow
from credential_service.core.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from credential_service.crypto.jcs import canonical_json
from credential_service.identity import service as identity
from credential_service.identity.credit_code import CreditCodeError, validate_credit_code
from credential_service.identity.models import Person
from credential_service.records import service as records
from credential_service.records.rules import EntryKind
from credential_service.records.training_models import (
    TRAINING_TYPE_NAMES,
    ApprovedProject,
    AttendanceEvent,
    Completion,
    Enrolment,
    Institution,
    InstitutionRequest,
    InstitutionStatus,
    RosterMember,
    TrainingClass,
    TrainingType,
)
from credential_service.records.training_schemas import (
    OCCUPATION_CODE,
    ApprovedProjectOut,
    AttendancePosting,
    ClassCreate,
    ClassDetail,
    ClassList,
    ClassSummary,
    CompletionPosting,
    EnrolmentPosting,
    InstitutionList,
    InstitutionOut,
    Posted,
    RosterMemberOut,
    Trainee,
)

# ---------------------------------------------------------------------------------------------
# Pure rules
# ---------------------------------------------------------------------------------------------

# GB/T 2260 prefecture-level cities of Shanxi (province 140000).
SHANXI_CITIES = {
    "140100": "太原市",
    "140200": "大同市",
    "140300": "阳泉市",
    "140400": "长治市",
    "140500": "晋城市",
    "140600": "朔州市",
    "140700": "晋中市",
    "140800": "运城市",
    "140900": "忻州市",
    "141000": "临汾市",
    "141100": "吕梁市",
}
# Class dates are Beijing dates; China keeps UTC+8 all year (no daylight saving).
CHINA_TIME = timezone(timedelta(hours=8), "CST")
CLOCK_SKEW = timedelta(minutes=5)  # a device clock slightly ahead is not "in the future"
_OCCUPATION = re.compile(OCCUPATION_CODE)
_IDEMPOTENCY_KEY = re.compile(r"^[!-~]{1,128}$")  # printable ASCII


def source_of(credit_code: str) -> str:
    """The ``source`` of the file entries an institution posts."""
    return f"institution:{credit_code}"


def china_date(moment: datetime) -> date:
    """The Beijing calendar date of an aware moment."""
    return moment.astimezone(CHINA_TIME).date()


def china_midnight(day: date) -> datetime:
    """The start of a Beijing calendar day, as an aware moment (for date-only facts)."""
    return datetime.combine(day, time(0), CHINA_TIME)


def project_approved(
    projects: Iterable[tuple[str, str | None]], occupation_code: str, training_type: str
) -> bool:
    """Whether a class falls inside the institution's approved projects (可开展项目).

    A project names an occupation and one training type, or no type (any type).
    """
    return any(code == occupation_code and kind in (None, training_type) for code, kind in projects)


def status_change_allowed(current: InstitutionStatus, new: InstitutionStatus) -> bool:
    """Active and suspended move freely; closing (注销/退出) is final."""
    return current is not InstitutionStatus.CLOSED or new is InstitutionStatus.CLOSED


def idempotency_key(raw: str | None) -> str | None:
    """The ``Idempotency-Key`` header value (an RFC 8941 string, quotes optional), or InvalidInput."""
    if raw is None:
        return None
    value = raw.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    if not _IDEMPOTENCY_KEY.match(value):
        raise InvalidInput(
            "Idempotency-Key 不正确 / the Idempotency-Key header is invalid",
            [FieldError("header.Idempotency-Key", "应为 1–128 个可见 ASCII 字符 / 1–128 printable ASCII")],
            "invalid_idempotency_key",
        )
    return value


def request_fingerprint(operation: str, body: Mapping[str, Any]) -> str:
    """SHA-256 over the operation and the canonical JSON of the parsed body (spacing does not matter)."""
    return hashlib.sha256(operation.encode() + b"\n" + canonical_json(dict(body))).hexdigest()


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------

NOT_ON_ROSTER = (
    "不在本班学员名册上，请核对证件类型和号码 / "
    "not on this class's roster: check the document type and number"
)
NAME_DIFFERS = "姓名与此人档案中的姓名不一致 / the name differs from the name in this person's file"


class RowsRejected(InvalidInput):
    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(
            "提交的数据有误，未做任何记录 / the posting was refused and nothing was recorded",
            errors,
            "posting_rejected",
        )


class DuplicateRows(Conflict):
    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(
            "重复提交，未做任何记录 / already recorded: nothing was changed", code="duplicate_posting"
        )
        self.errors = errors


class InstitutionNotRegistered(Forbidden):
    def __init__(self) -> None:
        super().__init__(
            "未在培训机构目录中登记 / not a registered training institution",
            code="institution_not_registered",
        )


class InstitutionNotActive(Forbidden):
    def __init__(self, status: str) -> None:
        zh = "已暂停" if status == InstitutionStatus.SUSPENDED else "已注销"
        super().__init__(
            f"机构{zh}，不能提交培训数据，请联系人社部门 / the institution is {status} and cannot post",
            code="institution_not_active",
        )


class ClassNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("本机构没有这个培训班 / your institution has no such class", code="class_not_found")


class InstitutionNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("没有这个培训机构 / no such training institution", code="institution_not_found")


class IdempotencyKeyReused(InvalidInput):
    def __init__(self) -> None:
        super().__init__(
            "此 Idempotency-Key 已用于另一请求 / this Idempotency-Key was used for a different request",
            [
                FieldError(
                    "header.Idempotency-Key", "请为新的请求使用新的键 / use a new key for a new request"
                )
            ],
            "idempotency_key_reused",
        )


# ---------------------------------------------------------------------------------------------
# Directory (administrators)
# ---------------------------------------------------------------------------------------------


def institution_view(institution: Institution) -> InstitutionOut:
    return InstitutionOut(
        credit_code=institution.credit_code,
        name=institution.name,
        city_code=institution.city_code,
        city_name=SHANXI_CITIES.get(institution.city_code, ""),
        status=InstitutionStatus(institution.status),
        status_reason=institution.status_reason,
        status_changed_at=institution.status_changed_at,
        registered_at=institution.registered_at,
        approved_projects=[
            ApprovedProjectOut(
                occupation_code=p.occupation_code,
                training_type=TrainingType(p.training_type) if p.training_type else None,
            )
            for p in institution.projects
        ],
    )


def _find_institution(session: Session, credit_code: str) -> Institution | None:
    return session.scalar(select(Institution).where(Institution.credit_code == credit_code.strip().upper()))


def register_institution(
    session: Session,
    *,
    credit_code: str,
    name: str,
    city_code: str,
    approved_projects: Sequence[tuple[str, TrainingType | None]],
    now: datetime | None = None,
) -> InstitutionOut:
    """Add an active institution to the directory.

    Raises InvalidInput naming each bad field, Conflict when the credit code is already registered.
    """
    problems: list[FieldError] = []
    code = credit_code
    try:
        code = validate_credit_code(credit_code)
    except CreditCodeError as exc:
        problems.append(FieldError("credit_code", str(exc)))
    if not name.strip():
        problems.append(FieldError("name", "机构名称不能为空 / the name must not be blank"))
    if city_code not in SHANXI_CITIES:
        problems.append(
            FieldError(
                "city_code",
                "应为山西省地级市代码，如 140100（太原） / must be a Shanxi city code, e.g. 140100",
            )
        )
    if not approved_projects:
        problems.append(FieldError("approved_projects", "至少一个可开展项目 / at least one approved project"))
    for i, (occupation_code, _kind) in enumerate(approved_projects):
        if not _OCCUPATION.match(occupation_code):
            problems.append(
                FieldError(
                    f"approved_projects.{i}.occupation_code",
                    "职业编码格式为 D-DD-DD-DD，如 6-18-02-04 / occupation codes look like 6-18-02-04",
                )
            )
    if problems:
        raise InvalidInput(
            "机构信息有误 / the institution's details are invalid", problems, "invalid_institution"
        )
    if _find_institution(session, code) is not None:
        raise Conflict(
            "该统一社会信用代码已登记 / an institution with this credit code is already registered",
            code="institution_exists",
        )
    institution = Institution(
        credit_code=code,
        name=name.strip(),
        city_code=city_code,
        status=InstitutionStatus.ACTIVE.value,
        registered_at=now or utcnow(),
    )
    for occupation_code, kind in dict.fromkeys(approved_projects):  # keeps order, drops repeats
        institution.projects.append(
            ApprovedProject(occupation_code=occupation_code, training_type=kind.value if kind else None)
        )
    session.add(institution)
    session.flush()
    return institution_view(institution)


def list_institutions(
    session: Session, *, status: InstitutionStatus | None = None, city_code: str | None = None
) -> InstitutionList:
    """The directory, ordered by credit code, optionally one status or one city."""
    query = select(Institution).order_by(Institution.credit_code)
    if status is not None:
        query = query.where(Institution.status == status.value)
    if city_code is not None:
        query = query.where(Institution.city_code == city_code)
    return InstitutionList(institutions=[institution_view(i) for i in session.scalars(query)])


def get_institution(session: Session, credit_code: str) -> InstitutionOut:
    """One institution; raises InstitutionNotFound."""
    institution = _find_institution(session, credit_code)
    if institution is None:
        raise InstitutionNotFound()
    return institution_view(institution)


def change_institution_status(
    session: Session,
    credit_code: str,
    status: InstitutionStatus,
    reason: str,
    *,
    now: datetime | None = None,
) -> InstitutionOut:
    """Suspend, reinstate or close an institution; raises InstitutionNotFound, or Conflict after closing."""
    institution = _find_institution(session, credit_code)
    if institution is None:
        raise InstitutionNotFound()
    if not status_change_allowed(InstitutionStatus(institution.status), status):
        raise Conflict(
            "已注销的机构不能恢复，请重新登记 / a closed institution cannot be reopened",
            code="institution_closed",
        )
    if institution.status != status.value:
        institution.status = status.value
        institution.status_reason = reason.strip()
        institution.status_changed_at = now or utcnow()
        session.flush()
    return institution_view(institution)


# ---------------------------------------------------------------------------------------------
# Classes and postings (institutions)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """What a posting answered (kept for retries with the same Idempotency-Key)."""

    status: int
    body: dict[str, Any]
    replayed: bool = False


def _tenant(session: Session, credit_code: str) -> Institution:
    """The calling institution (from its token); raises InstitutionNotRegistered."""
    institution = _find_institution(session, credit_code)
    if institution is None:
        raise InstitutionNotRegistered()
    return institution


def _own_class(session: Session, institution: Institution, class_ref: str) -> TrainingClass:
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


def _once(
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


def _raise_problems(problems: list[FieldError], duplicates: list[FieldError]) -> None:
    """Refuse the whole posting, listing problems by row: rule problems (422) outrank duplicates (409)."""
    if problems:
        raise RowsRejected(sorted(problems + duplicates, key=_row_order))
    if duplicates:
        raise DuplicateRows(sorted(duplicates, key=_row_order))


def _class_facts(klass: TrainingClass) -> dict[str, Any]:
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
        "created_at": klass.created_at,
        "roster_size": counts["roster"].get(klass.id, 0),
        "enrolled": counts["enrolled"].get(klass.id, 0),
        "completed": counts["completed"].get(klass.id, 0),
    }


def _attendance_counts(session: Session, klass: TrainingClass) -> dict[int, int]:
    """Check-ins recorded so far, per enrolment of the class."""
    rows = session.execute(
        select(AttendanceEvent.enrolment_id, func.count())
        .join(Enrolment, Enrolment.id == AttendanceEvent.enrolment_id)
        .where(Enrolment.class_id == klass.id)
        .group_by(AttendanceEvent.enrolment_id)
    )
    return {enrolment_id: n for enrolment_id, n in rows}


def _class_detail(session: Session, klass: TrainingClass) -> ClassDetail:
    members = session.execute(
        select(Person, Enrolment.id, Completion.id)
        .join(RosterMember, RosterMember.person_id == Person.id)
        .outerjoin(
            Enrolment, (Enrolment.class_id == RosterMember.class_id) & (Enrolment.person_id == Person.id)
        )
        .outerjoin(Completion, Completion.enrolment_id == Enrolment.id)
        .where(RosterMember.class_id == klass.id)
        .order_by(RosterMember.id)
    )
    events = _attendance_counts(session, klass)
    roster = [
        RosterMemberOut(
            name=person.name,
            document_type=person.document_type,
            id_number_masked=person.id_number_masked,
            enrolled=enrolment_id is not None,
            attendance_events=events.get(enrolment_id, 0) if enrolment_id is not None else 0,
            completed=completion_id is not None,
        )
        for person, enrolment_id, completion_id in members
    ]
    return ClassDetail(**_summary(klass, _summary_counts(session, [klass.id])), roster=roster)


def list_classes(session: Session, credit_code: str, *, limit: int = 100, offset: int = 0) -> ClassList:
    """The calling institution's classes, newest start first. Raises InstitutionNotRegistered."""
    institution = _tenant(session, credit_code)
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
    return _class_detail(session, _own_class(session, _tenant(session, credit_code), class_ref))


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
    institution = _tenant(session, credit_code)

    def work() -> tuple[int, BaseModel]:
        moment = now or utcnow()
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
        people = _identify_roster(session, data_key, request.roster, problems)
        _raise_problems(problems, [])
        if session.scalar(
            select(TrainingClass.id).where(
                TrainingClass.institution_id == institution.id, TrainingClass.class_ref == request.class_ref
            )
        ):
            raise Conflict(
                "本机构已有此编号的培训班 / your institution already has a class with this reference",
                code="class_exists",
            )
        klass = TrainingClass(
            institution=institution,
            class_ref=request.class_ref,
            occupation_code=request.occupation_code,
            subtype=request.subtype,
            target_level=request.target_level,
            training_type=request.training_type.value,
            start_date=request.start_date,
            end_date=request.end_date,
            planned_hours=request.planned_hours,
            created_at=moment,
        )
        session.add(klass)
        session.flush()
        for who, row in people:
            person = identity.register_person(session, data_key, who, row.name, now=moment)
            session.add(RosterMember(class_id=klass.id, person_id=person.id, listed_at=moment))
        session.flush()
        return 201, _class_detail(session, klass)

    return _once(
        session,
        institution,
        raw_key=raw_idempotency_key,
        operation="create_class",
        request=request,
        work=work,
    )


def _identify_roster(
    session: Session, data_key: bytes, roster: Sequence[Trainee], problems: list[FieldError]
) -> list[tuple[identity.Identity, Trainee]]:
    """Validate each roster row; someone already on file must be listed under their recorded name."""
    seen: dict[identity.Identity, int] = {}
    people: list[tuple[identity.Identity, Trainee]] = []
    for i, row in enumerate(roster):
        loc = f"roster.{i}"
        try:
            who = identity.identify(row.document_type.value, row.id_number, field=f"{loc}.id_number")
        except InvalidInput as exc:
            problems.extend(exc.errors)
            continue
        if who in seen:
            problems.append(
                FieldError(
                    f"{loc}.id_number", f"与 roster.{seen[who]} 是同一人 / same person as roster.{seen[who]}"
                )
            )
            continue
        seen[who] = i
        existing = identity.find_person(session, data_key, who)
        if existing is not None and existing.name != row.name:
            problems.append(FieldError(f"{loc}.name", NAME_DIFFERS))
            continue
        people.append((who, row))
    return people


def _roster_people(
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
        try:
            who = identity.identify(row.document_type.value, row.id_number, field=f"{loc}.id_number")
        except InvalidInput as exc:
            problems.extend(exc.errors)
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


def _enrolments_of(session: Session, klass: TrainingClass) -> dict[int, Enrolment]:
    return {e.person_id: e for e in session.scalars(select(Enrolment).where(Enrolment.class_id == klass.id))}


def _not_enrolled(loc: str) -> FieldError:
    return FieldError(
        loc, "此人尚未报名本班，请先提交报名 / not enrolled in this class: post the enrolment first"
    )


def post_enrolments(
    session: Session,
    data_key: bytes,
    *,
    credit_code: str,
    class_ref: str,
    posting: EnrolmentPosting,
    raw_idempotency_key: str | None = None,
    now: datetime | None = None,
) -> Answer:
    """培训报名: roster members start the class; one file entry each.

    Raises 403 (institution), ClassNotFound, RowsRejected (not on the roster, name, dates),
    DuplicateRows (409: already enrolled, or twice in the posting).
    """
    institution = _tenant(session, credit_code)

    def work() -> tuple[int, BaseModel]:
        moment = now or utcnow()
        today = china_date(moment)
        klass = _own_class(session, institution, class_ref)
        problems: list[FieldError] = []
        duplicates: list[FieldError] = []
        people = _roster_people(
            session, data_key, klass=klass, field="enrolments", rows=posting.enrolments, problems=problems
        )
        enrolled = _enrolments_of(session, klass)
        seen: dict[int, int] = {}
        for i, (row, person) in enumerate(zip(posting.enrolments, people, strict=True)):
            if row.enrolled_on > klass.end_date:
                problems.append(
                    FieldError(f"enrolments.{i}.enrolled_on", "晚于结业日期 / after the class's end date")
                )
            elif row.enrolled_on > today:
                problems.append(FieldError(f"enrolments.{i}.enrolled_on", "日期在将来 / in the future"))
            if person is None:
                continue
            if person.id in enrolled:
                duplicates.append(
                    FieldError(f"enrolments.{i}", "此人已报名本班 / already enrolled in this class")
                )
            elif person.id in seen:
                duplicates.append(
                    FieldError(
                        f"enrolments.{i}",
                        f"与 enrolments.{seen[person.id]} 重复 / repeats enrolments.{seen[person.id]}",
                    )
                )
            seen.setdefault(person.id, i)
        _raise_problems(problems, duplicates)
        facts = _class_facts(klass)
        source = source_of(institution.credit_code)
        for row, person in zip(posting.enrolments, people, strict=True):
            assert person is not None  # every row passed the checks above
            entry = records.append_entry(
                session,
                person,
                EntryKind.ENROLMENT,
                {**facts, "enrolledOn": row.enrolled_on.isoformat()},
                source=source,
                occurred_at=china_midnight(row.enrolled_on),
                idempotency_key=f"enrolment:{klass.id}:{person.public_id}",
            )
            session.add(
                Enrolment(
                    class_id=klass.id,
                    person_id=person.id,
                    enrolled_on=row.enrolled_on,
                    recorded_at=moment,
                    file_entry_id=entry.id,
                )
            )
        session.flush()
        return 201, Posted(class_ref=klass.class_ref, recorded=len(posting.enrolments))

    return _once(
        session,
        institution,
        raw_key=raw_idempotency_key,
        operation=f"enrolments:{class_ref}",
        request=posting,
        work=work,
    )


def post_attendance(
    session: Session,
    data_key: bytes,
    *,
    credit_code: str,
    class_ref: str,
    posting: AttendancePosting,
    raw_idempotency_key: str | None = None,
    now: datetime | None = None,
) -> Answer:
    """考勤: a batch of check-ins of enrolled people, each inside the class dates (Beijing time).

    The same person checking in at the same second twice is a duplicate (409). File entries are
    appended in time order. Raises as ``post_enrolments``.
    """
    institution = _tenant(session, credit_code)

    def work() -> tuple[int, BaseModel]:
        moment = now or utcnow()
        klass = _own_class(session, institution, class_ref)
        problems: list[FieldError] = []
        duplicates: list[FieldError] = []
        people = _roster_people(
            session, data_key, klass=klass, field="events", rows=posting.events, problems=problems
        )
        enrolled = _enrolments_of(session, klass)
        recorded = set(
            session.execute(
                select(AttendanceEvent.enrolment_id, AttendanceEvent.occurred_at)
                .join(Enrolment, Enrolment.id == AttendanceEvent.enrolment_id)
                .where(Enrolment.class_id == klass.id)
            )
        )
        seen: dict[tuple[int, datetime], int] = {}
        accepted: list[tuple[datetime, int, Person, Enrolment]] = []
        for i, (row, person) in enumerate(zip(posting.events, people, strict=True)):
            loc = f"events.{i}"
            when = row.occurred_at.astimezone(UTC).replace(microsecond=0)
            if not klass.start_date <= china_date(when) <= klass.end_date:
                problems.append(
                    FieldError(
                        f"{loc}.occurred_at",
                        f"不在培训日期内（{klass.start_date} 至 {klass.end_date}，北京时间） / "
                        "outside the class dates (Beijing time)",
                    )
                )
            elif when > moment + CLOCK_SKEW:
                problems.append(FieldError(f"{loc}.occurred_at", "时间在将来 / in the future"))
            if person is None:
                continue
            enrolment = enrolled.get(person.id)
            if enrolment is None:
                problems.append(_not_enrolled(loc))
                continue
            key = (enrolment.id, when)
            if key in recorded:
                duplicates.append(FieldError(loc, "此次考勤已记录 / this check-in is already recorded"))
            elif key in seen:
                duplicates.append(FieldError(loc, f"与 events.{seen[key]} 重复 / repeats events.{seen[key]}"))
            else:
                seen[key] = i
                accepted.append((when, i, person, enrolment))
        _raise_problems(problems, duplicates)
        facts = _class_facts(klass)
        source = source_of(institution.credit_code)
        for when, i, person, enrolment in sorted(accepted, key=lambda item: (item[0], item[1])):
            row = posting.events[i]
            entry = records.append_entry(
                session,
                person,
                EntryKind.ATTENDANCE,
                {
                    **facts,
                    "time": to_xsd(when),
                    "place": row.place,
                    "method": row.method.value,
                    "matchScore": row.match_score,
                    "photoSha256": row.photo_sha256,
                },
                source=source,
                occurred_at=when,
                idempotency_key=f"attendance:{enrolment.id}:{to_xsd(when)}",
            )
            session.add(
                AttendanceEvent(
                    enrolment_id=enrolment.id,
                    occurred_at=when,
                    place=row.place,
                    method=row.method.value,
                    match_score=row.match_score,
                    photo_sha256=row.photo_sha256,
                    recorded_at=moment,
                    file_entry_id=entry.id,
                )
            )
        session.flush()
        return 201, Posted(class_ref=klass.class_ref, recorded=len(accepted))

    return _once(
        session,
        institution,
        raw_key=raw_idempotency_key,
        operation=f"attendance:{class_ref}",
        request=posting,
        work=work,
    )


def post_completions(
    session: Session,
    data_key: bytes,
    *,
    credit_code: str,
    class_ref: str,
    posting: CompletionPosting,
    raw_idempotency_key: str | None = None,
    now: datetime | None = None,
) -> Answer:
    """结业: attended hours and the completion assessment, once per enrolment.

    Raises as ``post_enrolments``.
    """
    institution = _tenant(session, credit_code)

    def work() -> tuple[int, BaseModel]:
        moment = now or utcnow()
        today = china_date(moment)
        klass = _own_class(session, institution, class_ref)
        problems: list[FieldError] = []
        duplicates: list[FieldError] = []
        people = _roster_people(
            session, data_key, klass=klass, field="completions", rows=posting.completions, problems=problems
        )
        enrolled = _enrolments_of(session, klass)
        completed = set(
            session.scalars(
                select(Completion.enrolment_id)
                .join(Enrolment, Enrolment.id == Completion.enrolment_id)
                .where(Enrolment.class_id == klass.id)
            )
        )
        events = _attendance_counts(session, klass)
        seen: dict[int, int] = {}
        accepted: list[tuple[int, Person, Enrolment]] = []
        for i, (row, person) in enumerate(zip(posting.completions, people, strict=True)):
            loc = f"completions.{i}"
            if row.completed_on < klass.start_date:
                problems.append(
                    FieldError(f"{loc}.completed_on", "早于开班日期 / before the class's start date")
                )
            elif row.completed_on > today:
                problems.append(FieldError(f"{loc}.completed_on", "日期在将来 / in the future"))
            if person is None:
                continue
            enrolment = enrolled.get(person.id)
            if enrolment is None:
                problems.append(_not_enrolled(loc))
            elif enrolment.id in completed:
                duplicates.append(FieldError(loc, "此人已结业 / completion already recorded"))
            elif enrolment.id in seen:
                first = f"completions.{seen[enrolment.id]}"
                duplicates.append(FieldError(loc, f"与 {first} 重复 / repeats {first}"))
            else:
                seen[enrolment.id] = i
                accepted.append((i, person, enrolment))
        _raise_problems(problems, duplicates)
        facts = _class_facts(klass)
        source = source_of(institution.credit_code)
        for i, person, enrolment in accepted:
            row = posting.completions[i]
            entry = records.append_entry(
                session,
                person,
                EntryKind.COMPLETION,
                {
                    **facts,
                    "attendedHours": row.attended_hours,
                    "attendanceEvents": events.get(enrolment.id, 0),
                    "result": row.result.value,
                    "score": row.score,
                    "completedOn": row.completed_on.isoformat(),
                },
                source=source,
                occurred_at=china_midnight(row.completed_on),
                idempotency_key=f"completion:{enrolment.id}",
            )
            session.add(
                Completion(
                    enrolment_id=enrolment.id,
                    attended_hours=row.attended_hours,
                    result=row.result.value,
                    score=row.score,
                    completed_on=row.completed_on,
                    recorded_at=moment,
                    file_entry_id=entry.id,
                )
            )
        session.flush()
        return 201, Posted(class_ref=klass.class_ref, recorded=len(accepted))

    return _once(
        session,
        institution,
        raw_key=raw_idempotency_key,
        operation=f"completions:{class_ref}",
        request=posting,
        work=work,
    )
