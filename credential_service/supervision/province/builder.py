"""Builds the clean province: people, institutions and their classes, organisations, exams,
certificates and claims, every one built so that no check fires on it (decision 041)."""

from __future__ import annotations

import heapq
import random
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta

from credential_service.assessment.occupations.rules import BUILTIN_OCCUPATIONS
from credential_service.certificates.credential import Occupation
from credential_service.certificates.rules import SkillLevel, format_number, number_prefix
from credential_service.identity.credit_code import credit_code_check_char
from credential_service.identity.rules import gb11643_check_char
from credential_service.records.training.models import AttendanceMethod, TrainingType
from credential_service.records.training.rules import SHANXI_CITIES
from credential_service.subsidies.rules import Employment
from credential_service.supervision.province.plans import (
    CITY_CENTRES,
    CITY_WEIGHTS,
    CLAIM_SHARE,
    CLASS_DAYS,
    CLASS_SIZES,
    CLASSES_PER_INSTITUTION_MONTH,
    CREDIT_ALPHABET,
    EXAM_DAY,
    EXAM_SHARE,
    GIVEN,
    HOURS_PER_DAY,
    MONTHS,
    PASS_RATE,
    PRESENT,
    RE_ENROLMENT_SHARE,
    RETURN_AFTER_DAYS,
    SPIKE_SIZES,
    SURNAMES,
    CandidatePlan,
    CertificatePlan,
    ClaimPlan,
    ClassPlan,
    EnrolmentPlan,
    InstitutionPlan,
    NotEnoughPeople,
    OrganisationPlan,
    PersonPlan,
    PlanPlan,
    Plant,
    Ref,
    World,
    month_start,
    stable_hash,
)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _city(rng: random.Random) -> str:
    return rng.choices(list(CITY_WEIGHTS), weights=list(CITY_WEIGHTS.values()))[0]


def _credit_code(rng: random.Random, city: str, kind: str) -> str:
    first17 = kind + city + "".join(rng.choice(CREDIT_ALPHABET) for _ in range(9))
    return first17 + credit_code_check_char(first17)


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


class Builder:
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
        phone = stable_hash(self.world.seed, "phone", idx)
        previous = self.world.persons[-1] if self.world.persons else None
        # A couple sharing one phone: two people on a device is below the three-person threshold.
        if (
            previous is not None
            and rng.random() < 0.02
            and previous.phone == stable_hash(self.world.seed, "phone", idx - 1)
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
