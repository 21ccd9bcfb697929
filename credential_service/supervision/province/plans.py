"""The generated province's plan in memory: constants, the plans of people, institutions, classes,
organisations, certificates and claims, and the planted cases (decision 041)."""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from credential_service.certificates.credential import Occupation
from credential_service.core.clock import BEIJING
from credential_service.records.training.models import AttendanceMethod, TrainingType
from credential_service.subsidies.rules import Employment
from credential_service.supervision.rules.cases import Subject, SubjectType

# Permanent residents by city (万人, 2020 census, rounded): where people, schools and sites are.
CITY_WEIGHTS = {
    "140100": 530, "140200": 310, "140300": 132, "140400": 318, "140500": 219, "140600": 159,
    "140700": 337, "140800": 477, "140900": 268, "141000": 398, "141100": 340,
}  # fmt: skip
CITY_CENTRES = {
    "140100": (37.870, 112.549), "140200": (40.077, 113.300), "140300": (37.857, 113.580),
    "140400": (36.195, 113.116), "140500": (35.491, 112.851), "140600": (39.331, 112.432),
    "140700": (37.687, 112.752), "140800": (35.026, 111.007), "140900": (38.416, 112.734),
    "141000": (36.088, 111.519), "141100": (37.519, 111.144),
}  # fmt: skip
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马胡郭何高林罗郑梁谢宋唐韩冯董程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红晓丹鹏飞俊玲慧斌宇浩凯云龙亮"
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

MONTHS = 24  # the span the classes run over
CLASS_DAYS = 10  # one check-in a day, eight hours a day
HOURS_PER_DAY = 8
CLASS_SIZES = (20, 30)
CLASSES_PER_INSTITUTION_MONTH = 1.5  # at least one class a month each: no month looks like a spike
RE_ENROLMENT_SHARE = 0.05  # trainees who come back later for another class
RETURN_AFTER_DAYS = 120  # … this long after the first ends, after its exam (≤ 3 sessions later)
EXAM_DAY = 10  # the monthly session; certificates follow in the same month, after 公示
PRESENT = 0.97  # a trainee is present on a class day
EXAM_SHARE = 0.8  # of those who passed their class, how many sit the exam
PASS_RATE = 0.67  # every organisation's pass rate, to the candidate (pass_rate_outlier stays quiet)
CLAIM_SHARE = 0.8  # certificate holders who claim the 技能提升补贴
SPIKE_SIZES = (10, 10, 10, 40)  # a new institution's classes, one a month: the last is a spike
SECONDS = tuple(s for s in range(1, 3600) if s % 60)  # 08:00:01–08:59:59, never a whole minute


@dataclass(eq=False)
class PersonPlan:
    idx: int
    id_number: str
    name: str
    born: date
    phone: str  # their phone's device hash (qr / e_card check-ins)
    account: str  # their social-security card's financial account
    enrolments: list[EnrolmentPlan] = field(default_factory=list)
    sits_exam: bool = True
    touched: bool = False  # used by a planted case: no other plant may use them
    public_id: str = ""  # known once stored
    db_id: int = 0

    def subject(self) -> Subject:
        return Subject(SubjectType.PERSON, self.public_id)


@dataclass(eq=False)
class InstitutionPlan:
    idx: int
    credit_code: str
    name: str
    city: str
    occupations: list[Occupation]
    latitude: float
    longitude: float

    def subject(self) -> Subject:
        return Subject(SubjectType.INSTITUTION, self.credit_code)


@dataclass(eq=False)
class ClassPlan:
    idx: int
    institution: InstitutionPlan
    class_ref: str
    occupation: Occupation
    level: int
    training_type: TrainingType
    start: date
    planned_size: int
    teacher: str = ""
    capacity: int = 0
    approved_on: date | None = None
    method: AttendanceMethod = AttendanceMethod.FACE
    room: int = 1
    members: list[EnrolmentPlan] = field(default_factory=list)
    roll_call_day: int | None = None  # a day checked in by the class page's roll call (hh:mm:00)
    # Planted changes to single check-ins: (person idx, day) → what differs; and extra check-ins.
    overrides: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    touched: bool = False
    id: int = 0  # known once stored

    @property
    def end(self) -> date:
        return self.start + timedelta(days=CLASS_DAYS - 1)

    @property
    def planned_hours(self) -> int:
        return CLASS_DAYS * HOURS_PER_DAY

    @property
    def place(self) -> str:
        return f"{self.institution.name}第{self.room}教室"

    def subject(self) -> Subject:
        return Subject(SubjectType.CLASS, f"{self.institution.credit_code}/{self.class_ref}")


@dataclass(eq=False)
class EnrolmentPlan:
    person: PersonPlan
    klass: ClassPlan
    present: list[bool]
    checks_in: bool = True  # False: enrolled, never came (the overlapping class of a plant)
    completes: bool = True
    attended_hours: int = 0
    passed: bool = False
    score: float = 0.0
    id: int = 0  # known once stored
    events: int = 0  # check-ins written


@dataclass(frozen=True)
class CheckIn:
    enrolment: EnrolmentPlan
    at: datetime  # UTC, whole seconds
    place: str
    method: AttendanceMethod
    match_score: float | None
    photo: str | None
    device: str | None
    latitude: float
    longitude: float


@dataclass(eq=False)
class OrganisationPlan:
    idx: int
    org_type: str
    mohrss_code: str
    site_serial: str
    code: str
    credit_code: str
    name: str
    city: str
    occupations: list[Occupation]
    levels: tuple[int, ...] = (5, 4, 3)

    def subject(self) -> Subject:
        return Subject(SubjectType.ORGANISATION, self.code)

    def covers(self, occupation: Occupation, level: int) -> bool:
        return occupation in self.occupations and level in self.levels


@dataclass(eq=False)
class CandidatePlan:
    person: PersonPlan
    enrolment: EnrolmentPlan | None
    scores: tuple[float | None, float | None, float | None] = (None, None, None)
    publicised: tuple[float | None, float | None, float | None] = (None, None, None)
    passed: bool = False
    certificate: CertificatePlan | None = None
    public_id: str = ""  # known once stored


@dataclass(eq=False)
class PlanPlan:
    """评价计划 with its one result sheet."""

    idx: int
    organisation: OrganisationPlan
    occupation: Occupation
    level: int
    exam_day: date
    candidates: list[CandidatePlan] = field(default_factory=list)
    submission_public_id: str = ""

    @property
    def plan_ref(self) -> str:
        return f"P{self.exam_day:%Y%m}-{self.occupation.code}-{self.level}"

    @property
    def published_on(self) -> date:
        return self.exam_day + timedelta(days=3)

    @property
    def publicity_ends_on(self) -> date:
        return self.published_on + timedelta(days=7)

    @property
    def issued_at(self) -> datetime:
        return datetime.combine(self.publicity_ends_on + timedelta(days=1), time(10), BEIJING)


@dataclass(eq=False)
class CertificatePlan:
    number: str
    person: PersonPlan
    organisation: OrganisationPlan
    occupation: Occupation
    level: int
    issued_at: datetime  # aware
    exam_day: date | None

    def subject(self) -> Subject:
        return Subject(SubjectType.CERTIFICATE, self.number)


@dataclass(eq=False)
class ClaimPlan:
    public_id: str
    certificate: CertificatePlan
    claimed_on: date
    insured_months: int
    employment: Employment
    outcome: str  # paid / eligible / refused_by_officer (what the officer did with an eligible claim)
    account: str
    tamper: str | None = None  # failed_rule / amount / no_decision: a planted subsidy_rule_violation
    id: int = 0

    @property
    def person(self) -> PersonPlan:
        return self.certificate.person

    def subject(self) -> Subject:
        return Subject(SubjectType.CLAIM, self.public_id)


Ref = Subject | PersonPlan


@dataclass(frozen=True)
class Plant:
    check: str
    refs: tuple[Ref, ...]

    def subjects(self) -> tuple[Subject, ...]:
        return tuple(r.subject() if isinstance(r, PersonPlan) else r for r in self.refs)


@dataclass
class World:
    seed: int
    start: date
    persons: list[PersonPlan] = field(default_factory=list)
    institutions: list[InstitutionPlan] = field(default_factory=list)
    classes: list[ClassPlan] = field(default_factory=list)
    organisations: list[OrganisationPlan] = field(default_factory=list)
    plans: list[PlanPlan] = field(default_factory=list)
    certificates: list[CertificatePlan] = field(default_factory=list)
    claims: list[ClaimPlan] = field(default_factory=list)
    plants: list[Plant] = field(default_factory=list)
    counters: Counter[str] = field(default_factory=Counter)  # last serial per certificate-number prefix

    def enrolments(self) -> Iterator[EnrolmentPlan]:
        for klass in self.classes:
            yield from klass.members


class NotEnoughPeople(ValueError):
    """The province is too small for the planted cases asked for."""


def stable_hash(*parts: object) -> str:
    return hashlib.sha256(":".join(str(p) for p in parts).encode()).hexdigest()


def month_start(start: date, months: int) -> date:
    index = start.year * 12 + start.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def photo_of(seed: int, klass: ClassPlan, person: PersonPlan, day: int) -> str:
    return stable_hash(seed, "photo", klass.idx, person.idx, day)


def km_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    phi1, phi2 = math.radians(a[0]), math.radians(b[0])
    h = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(b[1] - a[1]) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))
