"""The generated province laid out in memory (no I/O): people across Shanxi's 11 cities, training
institutions running classes of the built-in occupations month after month, evaluation
organisations examining the trainees, certificates and skill-upgrade claims, and, in the middle of
it, the planted cases of every check with the subjects each must be found with (decision 041).

Everything clean is built so that no check can fire on it: distinct check-in seconds within a class
and day, one phone per person (pairs may share one: a near miss of the three-person threshold), no
check-in at night, teachers never in two classes at once, classes approved before they start (some
on the day: a near miss), venues as large as the class or larger, trainees 18–50, one certificate
per person and occupation, pass rates equal across organisations, one card account per person, and
classes spread evenly over the months. Check-ins are drawn per class when written
(``checkins_of``), so a million of them are never held at once.
"""

from __future__ import annotations

import hashlib
import heapq
import math
import random
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from credential_service.assessment.occupations.rules import BUILTIN_OCCUPATIONS
from credential_service.certificates.credential import Occupation
from credential_service.certificates.rules import SkillLevel, format_number, number_prefix
from credential_service.core.clock import BEIJING
from credential_service.identity.credit_code import credit_code_check_char
from credential_service.identity.rules import gb11643_check_char
from credential_service.records.training.models import AttendanceMethod, TrainingType
from credential_service.records.training.rules import SHANXI_CITIES
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


def _hash(*parts: object) -> str:
    return hashlib.sha256(":".join(str(p) for p in parts).encode()).hexdigest()


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _city(rng: random.Random) -> str:
    return rng.choices(list(CITY_WEIGHTS), weights=list(CITY_WEIGHTS.values()))[0]


def _credit_code(rng: random.Random, city: str, kind: str) -> str:
    first17 = kind + city + "".join(rng.choice(CREDIT_ALPHABET) for _ in range(9))
    return first17 + credit_code_check_char(first17)


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def month_start(start: date, months: int) -> date:
    index = start.year * 12 + start.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


class _Builder:
    def __init__(self, *, persons: int, seed: int, planted: int, province_code: str, today: date) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - a reproducible province, no secret
        self.planted = planted
        self.province_code = province_code
        self.world = World(seed=seed, start=month_start(today, -(MONTHS + 5)))
        self.numbers: set[str] = set()
        self.teachers: set[str] = set()
        self.target = persons

    # --- people ---------------------------------------------------------------------------------

    def id_number(self, city: str, born: date, *, male: bool | None = None) -> str:
        while True:
            serial = self.rng.randrange(1000)
            if male is not None and serial % 2 != int(male):
                serial = (serial + 1) % 1000
            first17 = f"{city[:4]}{self.rng.choice(('02', '03', '21', '22', '23'))}{born:%Y%m%d}{serial:03d}"
            number = first17 + gb11643_check_char(first17)
            if number not in self.numbers:
                self.numbers.add(number)
                return number

    def person(self) -> PersonPlan:
        rng, idx = self.rng, len(self.world.persons)
        born = self.world.start - timedelta(days=rng.randrange(18 * 366, 50 * 365))
        city = _city(rng)
        phone = _hash(self.world.seed, "phone", idx)
        previous = self.world.persons[-1] if self.world.persons else None
        # A couple sharing one phone: two people on a device is below the three-person threshold.
        if (
            previous is not None
            and rng.random() < 0.02
            and previous.phone == _hash(self.world.seed, "phone", idx - 1)
        ):
            phone = previous.phone
        person = PersonPlan(
            idx, self.id_number(city, born), _name(rng), born, phone, f"6217{14 * 10**11 + idx:015d}"
        )
        self.world.persons.append(person)
        return person

    # --- institutions and classes ---------------------------------------------------------------

    def institution(self, city: str | None = None) -> InstitutionPlan:
        rng, idx = self.rng, len(self.world.institutions)
        city = city or _city(rng)
        lat, lon = CITY_CENTRES[city]
        brand = rng.choice(("宏达", "晋才", "新时代", "华晋", "职成", "鑫源", "三晋", "博远"))
        name = f"{SHANXI_CITIES[city]}{brand}职业培训学校{idx + 1}分校"
        institution = InstitutionPlan(
            idx,
            _credit_code(rng, city, "52"),
            name,
            city,
            rng.sample(list(BUILTIN_OCCUPATIONS), 4),
            lat + rng.uniform(-0.05, 0.05),
            lon + rng.uniform(-0.05, 0.05),
        )
        self.world.institutions.append(institution)
        return institution

    def teacher(self) -> str:
        while True:
            name = _name(self.rng) + self.rng.choice("甲乙丙丁戊")  # 授课教师, unique in the province
            if name not in self.teachers:
                self.teachers.add(name)
                return name

    def klass(self, institution: InstitutionPlan, start: date, size: int) -> ClassPlan:
        rng = self.rng
        occupation = rng.choice(institution.occupations)
        training_type = rng.choices(
            (TrainingType.EMPLOYMENT_SKILLS, TrainingType.SKILL_UPGRADE), weights=(6, 4)
        )[0]
        level = 5 if training_type is TrainingType.EMPLOYMENT_SKILLS or rng.random() < 0.5 else 4
        klass = ClassPlan(
            len(self.world.classes),
            institution,
            f"{start:%Y%m}-{len(self.world.classes):05d}",
            occupation,
            level,
            training_type,
            start,
            size,
            capacity=size + rng.choice((0, *range(5, 21))),  # 0: exactly as large as the class
            approved_on=start - timedelta(days=rng.choice((0, *range(5, 16)))),  # 0: on the day
            method=rng.choices(list(AttendanceMethod), weights=(5, 2, 2, 1))[0],
            room=rng.randrange(1, 9),
            roll_call_day=rng.randrange(CLASS_DAYS) if rng.random() < 0.02 else None,
        )
        self.world.classes.append(klass)
        return klass

    def schedule(self, clean_people: int) -> None:
        """Institutions in every city, each opening a class every three weeks or so, evenly."""
        rng = self.rng
        mean = sum(CLASS_SIZES) / 2
        count = max(1, round(clean_people * (1 + RE_ENROLMENT_SHARE) / mean))
        institutions = max(3, int(count // (MONTHS * CLASSES_PER_INSTITUTION_MONTH)))
        cities = list(CITY_WEIGHTS)
        rng.shuffle(cities)
        made = [self.institution(cities[i] if i < len(cities) else None) for i in range(institutions)]
        span = (month_start(self.world.start, MONTHS) - self.world.start).days - CLASS_DAYS
        for n, institution in enumerate(made):
            own = count // institutions + (1 if n < count % institutions else 0)
            for j in range(own):
                start = self.world.start + timedelta(days=int((j + rng.uniform(0.3, 0.7)) * span / own))
                self.klass(institution, start, rng.randint(*CLASS_SIZES))
        self.world.classes.sort(key=lambda c: (c.start, c.idx))
        for idx, klass in enumerate(self.world.classes):
            klass.idx = idx
        self.assign_teachers()

    def assign_teachers(self) -> None:
        busy: dict[int, list[tuple[date, str]]] = defaultdict(list)  # per institution: (free from, name)
        for klass in self.world.classes:
            queue = busy[klass.institution.idx]
            if queue and queue[0][0] < klass.start:
                _, name = heapq.heappop(queue)
            else:
                name = self.teacher()
            klass.teacher = name
            heapq.heappush(queue, (klass.end + timedelta(days=1), name))

    def enrol(self, klass: ClassPlan, person: PersonPlan) -> EnrolmentPlan:
        present = [self.rng.random() < PRESENT for _ in range(CLASS_DAYS)]
        enrolment = EnrolmentPlan(person, klass, present)
        klass.members.append(enrolment)
        person.enrolments.append(enrolment)
        return enrolment

    def fill(self, clean_people: int) -> None:
        """Each class takes new people in start order, and some who finished a class long before."""
        rng = self.rng
        fresh = iter(range(clean_people))
        waiting: list[tuple[date, int, PersonPlan]] = []  # free again on (date)
        ready: list[PersonPlan] = []
        for klass in self.world.classes:
            while waiting and waiting[0][0] < klass.start:
                ready.append(heapq.heappop(waiting)[2])
            for _ in range(klass.planned_size):
                if ready and rng.random() < RE_ENROLMENT_SHARE:
                    person = ready.pop(rng.randrange(len(ready)))
                elif next(fresh, None) is not None:
                    person = self.person()
                    # back for another class only after any exam for this one (three months at most)
                    heapq.heappush(
                        waiting, (klass.end + timedelta(days=RETURN_AFTER_DAYS), person.idx, person)
                    )
                elif ready:
                    person = ready.pop(rng.randrange(len(ready)))
                else:
                    break
                self.enrol(klass, person)
        self.world.classes = [k for k in self.world.classes if k.members]

    def complete(self) -> None:
        rng = self.rng
        for enrolment in self.world.enrolments():
            days = sum(enrolment.present) if enrolment.checks_in else 0
            enrolment.attended_hours = days * HOURS_PER_DAY
            enrolment.passed = (
                days * HOURS_PER_DAY >= 0.8 * enrolment.klass.planned_hours and rng.random() > 0.03
            )
            enrolment.score = float(rng.randint(60, 96) if enrolment.passed else rng.randint(30, 59))

    def spike_institutions(self) -> None:
        """volume_spike (institution): a new school with classes of 10, 10, 10, then one of 40."""
        for n in range(self.planted):
            institution = self.institution()
            first = month_start(self.world.start, 2 + n % (MONTHS - 6))
            for m, size in enumerate(SPIKE_SIZES):
                start = month_start(first, m) + timedelta(days=self.rng.randrange(3, 15))
                klass = self.klass(institution, start, size)
                klass.teacher, klass.capacity = self.teacher(), size + 5
                klass.approved_on, klass.roll_call_day, klass.touched = start - timedelta(days=7), None, True
                for _ in range(size):
                    person = self.person()
                    person.sits_exam, person.touched = False, True
                    self.enrol(klass, person)
            self.plant("volume_spike", institution.subject())

    # --- organisations, exams, certificates, claims ---------------------------------------------

    def organisations(self) -> None:
        rng = self.rng
        count = max(6, self.target // 2000, self.planted + 3)
        occupations = list(BUILTIN_OCCUPATIONS)
        for idx in range(count):
            city = list(CITY_WEIGHTS)[idx % len(CITY_WEIGHTS)] if idx < len(CITY_WEIGHTS) else _city(rng)
            org_type = "S" if idx % 5 else "Y"
            serial = f"{idx + 1:06d}"
            mohrss = f"{1400 + idx % 100:04d}"
            self.world.organisations.append(
                OrganisationPlan(
                    idx,
                    org_type,
                    mohrss,
                    serial,
                    f"{org_type}{mohrss}{self.province_code}{serial}",
                    _credit_code(rng, city, "52" if org_type == "S" else "91"),
                    f"{SHANXI_CITIES[city]}{rng.choice(('技能', '职业', '行业'))}评价中心{idx + 1}",
                    city,
                    rng.sample(occupations, 4),
                )
            )
        for occupation in occupations:  # every occupation has peers: two organisations or more
            covering = [o for o in self.world.organisations if occupation in o.occupations]
            for organisation in rng.sample(self.world.organisations, max(0, 2 - len(covering))):
                if occupation not in organisation.occupations:
                    organisation.occupations.append(occupation)

    def exams(self) -> None:
        rng = self.rng
        plans: dict[tuple[int, str, int, date], PlanPlan] = {}
        load: Counter[tuple[int, date]] = Counter()
        for klass in self.world.classes:
            for enrolment in klass.members:
                person = enrolment.person
                if not (enrolment.passed and person.sits_exam and person.enrolments[0] is enrolment):
                    continue
                if rng.random() >= EXAM_SHARE:
                    continue
                covering = [o for o in self.world.organisations if o.covers(klass.occupation, klass.level)]
                near = [o for o in covering if o.city == klass.institution.city] or covering
                # one of the three monthly sessions (the 10th; certificates on the 21st) after the
                # class, at a site in the city: the one with the fewest candidates so far, as sites
                # share out the sessions (this also keeps each organisation's certificates even)
                first = (
                    0
                    if month_start(klass.end, 0).replace(day=EXAM_DAY) >= klass.end + timedelta(days=5)
                    else 1
                )
                sessions = [month_start(klass.end, first + m).replace(day=EXAM_DAY) for m in range(3)]
                organisation, day = min(
                    ((o, d) for o in near for d in sessions),
                    key=lambda s: (load[(s[0].idx, s[1])], rng.random()),
                )
                load[(organisation.idx, day)] += 1
                key = (organisation.idx, klass.occupation.code, klass.level, day)
                plan = plans.get(key)
                if plan is None:
                    plan = plans[key] = PlanPlan(len(plans), organisation, klass.occupation, klass.level, day)
                    plan.submission_public_id = _uuid(rng)
                plan.candidates.append(CandidatePlan(person, enrolment))
        self.world.plans = list(plans.values())

    def groups(self) -> dict[tuple[int, str, int], list[CandidatePlan]]:
        groups: dict[tuple[int, str, int], list[CandidatePlan]] = defaultdict(list)
        for plan in self.world.plans:
            groups[(plan.organisation.idx, plan.occupation.code, plan.level)].extend(plan.candidates)
        return groups

    def outliers(self) -> set[tuple[int, str, int]]:
        """pass_rate_outlier: an organisation passing everyone in one occupation and level, where it
        examined 40 or more and its peers 30 or more."""
        groups = self.groups()
        totals: Counter[tuple[str, int]] = Counter()
        for (_, code, level), rows in groups.items():
            totals[(code, level)] += len(rows)
        eligible = [k for k, rows in groups.items() if len(rows) >= 40 and totals[k[1:]] - len(rows) >= 30]
        self.rng.shuffle(eligible)
        chosen: list[tuple[int, str, int]] = []
        for distinct in (True, False):
            for key in eligible:
                if len(chosen) == self.planted:
                    break
                orgs = {k[0] for k in chosen}
                kinds = {k[1:] for k in chosen}
                if key[0] not in orgs and (not distinct or key[1:] not in kinds):
                    chosen.append(key)
        if len(chosen) < self.planted:
            raise NotEnoughPeople("pass_rate_outlier")
        for key in chosen:
            self.plant("pass_rate_outlier", self.world.organisations[key[0]].subject())
        return set(chosen)

    def results(self) -> None:
        rng = self.rng
        outliers = self.outliers()
        for key, rows in self.groups().items():
            passes = len(rows) if key in outliers else round(PASS_RATE * len(rows))
            for n, candidate in enumerate(rng.sample(rows, len(rows))):
                candidate.passed = n < passes
                if candidate.passed:
                    candidate.scores = (float(rng.randint(60, 98)), float(rng.randint(60, 98)), None)
                else:
                    candidate.scores = (float(rng.randint(35, 59)), float(rng.randint(40, 95)), None)
                candidate.publicised = candidate.scores
        for plan in self.world.plans:
            for candidate in plan.candidates:
                if candidate.passed:
                    candidate.certificate = self.certificate(
                        candidate.person,
                        organisation=plan.organisation,
                        occupation=plan.occupation,
                        level=plan.level,
                        issued_at=plan.issued_at,
                        exam_day=plan.exam_day,
                    )

    def certificate(
        self,
        person: PersonPlan,
        *,
        organisation: OrganisationPlan,
        occupation: Occupation,
        level: int,
        issued_at: datetime,
        exam_day: date | None,
    ) -> CertificatePlan:
        prefix = number_prefix(organisation.code, issued_at.year, SkillLevel(level))
        self.world.counters[prefix] += 1
        cert = CertificatePlan(
            format_number(prefix, self.world.counters[prefix]),
            person,
            organisation,
            occupation,
            level,
            issued_at,
            exam_day,
        )
        self.world.certificates.append(cert)
        return cert

    def claims(self) -> None:
        rng = self.rng
        for cert in list(self.world.certificates):
            if cert.person.touched or rng.random() >= CLAIM_SHARE:  # a planted case's holder: none
                continue
            roll = rng.random()
            outcome = "paid" if roll < 0.85 else "refused_by_officer" if roll < 0.9 else "eligible"
            insured = rng.randint(12, 180) if rng.random() > 0.05 else rng.randint(1, 11)  # short: refused
            self.world.claims.append(
                ClaimPlan(
                    _uuid(rng),
                    cert,
                    cert.issued_at.date() + timedelta(days=rng.randint(3, 40)),
                    insured,
                    Employment.UNEMPLOYMENT_BENEFIT if rng.random() < 0.1 else Employment.ENTERPRISE_EMPLOYEE,
                    outcome,
                    cert.person.account,
                )
            )

    # --- planting -------------------------------------------------------------------------------

    def plant(self, check: str, *refs: Ref) -> None:
        self.world.plants.append(Plant(check, refs))

    def free_classes(self, *, method: set[AttendanceMethod] | None = None) -> Iterator[ClassPlan]:
        order = list(self.world.classes)
        self.rng.shuffle(order)
        for klass in order:
            if not klass.touched and (method is None or klass.method in method) and len(klass.members) >= 8:
                yield klass

    def take_class(self, **kw: set[AttendanceMethod]) -> ClassPlan:
        klass = next(self.free_classes(**kw), None)
        if klass is None:
            raise NotEnoughPeople("classes")
        klass.touched = True
        return klass

    def take(self, count: int, **kw: set[AttendanceMethod]) -> tuple[ClassPlan, list[EnrolmentPlan]]:
        """A class no plant has used, and ``count`` of its members no plant has used either."""
        for klass in self.free_classes(**kw):
            try:
                members = self.free_members(klass, count)
            except NotEnoughPeople:
                continue
            klass.touched = True
            return klass, members
        raise NotEnoughPeople("classes")

    def free_members(self, klass: ClassPlan, count: int, *, single: bool = True) -> list[EnrolmentPlan]:
        """Members used by no other plant (with one enrolment only, when ``single``), present on
        every class day, so a planted check-in has a day to change."""
        found = [
            e
            for e in klass.members
            if not e.person.touched
            and e.checks_in
            and all(e.present)
            and (not single or len(e.person.enrolments) == 1)
        ]
        if len(found) < count:
            raise NotEnoughPeople(klass.class_ref)
        chosen = self.rng.sample(found, count)
        for enrolment in chosen:
            enrolment.person.touched = True
        return chosen

    def plant_training(self) -> None:
        rng, n = self.rng, self.planted
        for _ in range(n):  # 同一秒批量签到
            klass, trio = self.take(3)
            day, second = rng.randrange(CLASS_DAYS), rng.choice(SECONDS)
            for e in trio:
                klass.overrides[(e.person.idx, day)] = {"second": second}
            klass.roll_call_day = None
            self.plant("class_identical_checkin_times", klass.subject(), klass.institution.subject())
        for _ in range(n):  # 夜间考勤
            klass, (e,) = self.take(1)
            klass.overrides[(e.person.idx, rng.randrange(CLASS_DAYS))] = {"hour": 23}
            self.plant("attendance_outside_class_hours", klass.subject(), klass.institution.subject())
        self.plant_classes()
        self.plant_people()

    def plant_classes(self) -> None:
        n = self.planted
        for _ in range(n):  # 超场地容量
            klass = self.take_class()
            klass.capacity = len(klass.members) - 3
            self.plant("class_over_capacity", klass.subject(), klass.institution.subject())
        for _ in range(n):  # 先开班后审批
            klass = self.take_class()
            klass.approved_on = klass.start + timedelta(days=2)
            self.plant("class_before_approval", klass.subject(), klass.institution.subject())

    def plant_people(self) -> None:
        rng, n = self.rng, self.planted
        for _ in range(n):  # 一机多签
            klass, trio = self.take(3, method={AttendanceMethod.QR, AttendanceMethod.E_CARD})
            device, day = _hash(self.world.seed, "shared-phone", klass.idx), rng.randrange(CLASS_DAYS)
            for e in trio:
                klass.overrides[(e.person.idx, day)] = {"device": device}
            self.plant("device_shared_across_trainees", *(e.person for e in trio), klass.subject())
        for _ in range(n):  # 一脸多用
            klass, (first, second) = self.take(2, method={AttendanceMethod.FACE})
            day = rng.randrange(CLASS_DAYS)
            klass.overrides[(second.person.idx, day)] = {
                "photo": _photo(self.world.seed, klass, first.person, day)
            }
            self.plant("face_shared_across_trainees", first.person, second.person, klass.subject())
        for _ in range(n):  # 异地考勤: a second check-in 20 minutes later, in another city
            klass, (e,) = self.take(1)
            far = max(
                CITY_CENTRES,
                key=lambda c: _km(CITY_CENTRES[c], (klass.institution.latitude, klass.institution.longitude)),
            )
            day = rng.randrange(1, CLASS_DAYS - 1)
            klass.overrides[(e.person.idx, day)] = {"far": far}
            self.plant("attendance_distant_checkins", e.person, klass.subject())
        for _ in range(n):  # 课时不足仍结业
            klass, (e,) = self.take(1)
            self.plant("attendance_below_plan", e.person, klass.subject())  # hours cut in build_world
        for _ in range(n):  # 教师同时段两地授课
            pair = next(
                (
                    (a, k)
                    for a in self.free_classes()
                    for k in self.free_classes()
                    if k.institution is not a.institution and k.start <= a.end and a.start <= k.end
                ),
                None,
            )
            if pair is None:
                raise NotEnoughPeople("teacher")
            a, b = pair
            a.touched = b.touched = True
            a.teacher = b.teacher = self.teacher()
            self.plant(
                "teacher_two_classes_at_once",
                a.subject(),
                b.subject(),
                a.institution.subject(),
                b.institution.subject(),
            )
        for _ in range(n):  # 同一时段参加多个培训班: enrolled in a second class at the same time
            a, (e,) = self.take(1)
            other = next((k for k in self.free_classes() if k.start <= a.end and a.start <= k.end), None)
            if other is None:
                raise NotEnoughPeople("overlap")
            b = other
            extra = self.enrol(b, e.person)
            extra.checks_in = extra.completes = False
            self.plant("person_overlapping_classes", e.person, a.subject(), b.subject())
        for n_age in range(n):  # 年龄不符: under 16, or past retirement on employment training
            klass, (e,) = self.take(1)
            if klass.training_type is not TrainingType.EMPLOYMENT_SKILLS:
                klass.training_type = TrainingType.EMPLOYMENT_SKILLS
                klass.level = 5
            person = e.person
            person.sits_exam = False
            if n_age % 2:
                person.born = klass.start - timedelta(days=15 * 365 + 100)
                male = None
            else:
                person.born = date(klass.start.year - 64, rng.randint(1, 12), rng.randint(1, 28))
                male = True
            self.numbers.discard(person.id_number)
            person.id_number = self.id_number(person.id_number[:6], person.born, male=male)
            self.plant("age_out_of_range", person, klass.subject())

    def plant_results(self) -> None:
        rng, n = self.rng, self.planted
        held = [c for c in self.world.certificates if not c.person.touched and len(c.person.enrolments) == 1]
        rng.shuffle(held)
        holders = iter(held)

        def holder() -> CertificatePlan:
            cert = next(holders, None)
            if cert is None:
                raise NotEnoughPeople("certificates")
            cert.person.touched = True
            return cert

        for _ in range(n):  # 重复发证: a second certificate, same occupation and level, a month later
            first = holder()
            others = [o for o in self.world.organisations if o.covers(first.occupation, first.level)]
            organisation = rng.choice(others)  # the same organisation again, or another one
            second = self.certificate(
                first.person,
                organisation=organisation,
                occupation=first.occupation,
                level=first.level,
                issued_at=first.issued_at + timedelta(days=30),
                exam_day=(first.exam_day or first.issued_at.date()) + timedelta(days=20),
            )
            self.plant("certificate_duplicate", first.person, first.subject(), second.subject())
        for _ in range(n):  # 超范围发证: a certificate for an occupation the organisation is not 备案 for
            cert = holder()
            organisation = next(o for o in self.world.organisations if cert.occupation not in o.occupations)
            # another level than the holder's own certificate: the same one would be a duplicate too
            extra = self.certificate(
                cert.person,
                organisation=organisation,
                occupation=cert.occupation,
                level=4 if cert.level == 5 else 5,
                issued_at=cert.issued_at + timedelta(days=40),
                exam_day=(cert.exam_day or cert.issued_at.date()) + timedelta(days=30),
            )
            self.plant("certificate_outside_scope", extra.subject(), organisation.subject())
        for k in range(n):  # 考核或培训结束前发证
            cert = holder()
            klass = cert.person.enrolments[0].klass
            if k % 2:
                cert.exam_day = cert.issued_at.date() + timedelta(days=5)  # issued before the exam
            else:
                cert.exam_day = klass.start + timedelta(days=2)  # examined during the class
            self.plant(
                "certificate_before_exam_or_training_end",
                cert.subject(),
                cert.person,
                cert.organisation.subject(),
            )
        candidates = [c for p in self.world.plans for c in p.candidates if c.passed and not c.person.touched]
        rng.shuffle(candidates)
        if len(candidates) < n:
            raise NotEnoughPeople("candidates")
        for cand in candidates[:n]:  # 公示后改分
            cand.person.touched = True
            theory, skill, review = cand.scores
            cand.scores = (min(100.0, (theory or 60) + 12), skill, review)
            plan = next(p for p in self.world.plans if cand in p.candidates)
            self.plant("scores_changed_after_publicity", cand.person, plan.organisation.subject())

    def plant_claims(self) -> None:
        paid = [
            c
            for c in self.world.claims
            if c.outcome == "paid" and c.insured_months >= 12 and not c.person.touched
        ]
        self.rng.shuffle(paid)
        if len(paid) < 3 * self.planted:
            raise NotEnoughPeople("claims")
        for k, claim in enumerate(paid[: self.planted]):  # 违规发放补贴
            claim.person.touched = True
            claim.tamper = ("failed_rule", "amount", "no_decision")[k % 3]
            if claim.tamper == "failed_rule":
                claim.insured_months = 4
            self.plant("subsidy_rule_violation", claim.subject(), claim.person)
        pairs = paid[self.planted : 3 * self.planted]
        for first, second in zip(pairs[::2], pairs[1::2], strict=True):  # 多人共用账户
            first.person.touched = second.person.touched = True
            second.account = first.account
            self.plant("shared_contact_or_account", first.person, second.person)


def _photo(seed: int, klass: ClassPlan, person: PersonPlan, day: int) -> str:
    return _hash(seed, "photo", klass.idx, person.idx, day)


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    phi1, phi2 = math.radians(a[0]), math.radians(b[0])
    h = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(b[1] - a[1]) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def build_world(*, persons: int, seed: int, planted: int, province_code: str, today: date) -> World:
    """The province: ``persons`` people (those of the new schools planted for volume_spike among
    them), ``planted`` cases of every check. Raises NotEnoughPeople when it cannot hold them."""
    builder = _Builder(persons=persons, seed=seed, planted=planted, province_code=province_code, today=today)
    spike_people = planted * sum(SPIKE_SIZES)
    if persons - spike_people < 40 * planted:
        raise NotEnoughPeople("persons")
    builder.schedule(persons - spike_people)
    builder.fill(persons - spike_people)
    builder.spike_institutions()
    builder.world.classes.sort(key=lambda c: (c.start, c.idx))
    builder.plant_training()
    builder.complete()
    for plant in builder.world.plants:  # attendance_below_plan: set after the hours are counted
        if plant.check == "attendance_below_plan":
            person = plant.refs[0]
            assert isinstance(person, PersonPlan)
            enrolment = person.enrolments[0]
            enrolment.attended_hours, enrolment.passed = enrolment.klass.planned_hours // 2, True
    builder.organisations()
    builder.exams()
    builder.results()
    builder.plant_results()
    builder.claims()
    builder.plant_claims()
    return builder.world


def checkins_of(world: World, klass: ClassPlan) -> Iterator[CheckIn]:
    """The class's check-ins in time order, drawn from the class's own seed (the same every time)."""
    rng = random.Random(f"{world.seed}:{klass.idx}")  # noqa: S311 - a reproducible province, no secret
    terminal = _hash(world.seed, "terminal", klass.institution.idx, klass.room)
    events: list[CheckIn] = []
    for day in range(CLASS_DAYS):
        on = klass.start + timedelta(days=day)
        seconds = rng.sample(SECONDS, len(klass.members))
        for enrolment, drawn in zip(klass.members, seconds, strict=True):
            person = enrolment.person
            if not enrolment.checks_in or not enrolment.present[day]:
                continue
            change = klass.overrides.get((person.idx, day), {})
            second = 30 * 60 if klass.roll_call_day == day else int(change.get("second", drawn))
            hour = int(change.get("hour", 8))
            local = datetime.combine(on, time(hour), BEIJING) + timedelta(seconds=second)
            method = klass.method
            personal = method in (AttendanceMethod.QR, AttendanceMethod.E_CARD)
            photo = _photo(world.seed, klass, person, day) if method is AttendanceMethod.FACE else None
            event = CheckIn(
                enrolment,
                local.astimezone(UTC),
                klass.place,
                method,
                round(rng.uniform(0.82, 0.99), 3) if method is AttendanceMethod.FACE else None,
                str(change.get("photo", photo)) if photo else None,
                str(change.get("device", person.phone if personal else terminal)),
                round(klass.institution.latitude + rng.uniform(-3e-4, 3e-4), 6),
                round(klass.institution.longitude + rng.uniform(-3e-4, 3e-4), 6),
            )
            events.append(event)
            far = change.get("far")
            if isinstance(far, str):
                lat, lon = CITY_CENTRES[far]
                events.append(
                    CheckIn(
                        enrolment, event.at + timedelta(minutes=20), f"{SHANXI_CITIES[far]}人民路",
                        method, event.match_score, _hash(world.seed, "far", person.idx) if photo else None,
                        event.device, lat, lon,
                    )
                )  # fmt: skip
    events.sort(key=lambda e: (e.at, e.enrolment.person.idx))
    return iter(events)
