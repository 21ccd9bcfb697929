"""The planted cases of every check, each with the subjects it must be found with (decision 041).
Each plant takes classes and people no other plant has used."""

from __future__ import annotations

from datetime import date, timedelta

from credential_service.records.training.models import AttendanceMethod, TrainingType
from credential_service.supervision.province.builder import Builder
from credential_service.supervision.province.plans import (
    CITY_CENTRES,
    CLASS_DAYS,
    SECONDS,
    CertificatePlan,
    ClassPlan,
    NotEnoughPeople,
    km_between,
    photo_of,
    stable_hash,
)


def plant_training(b: Builder) -> None:
    rng, n = b.rng, b.planted
    for _ in range(n):  # 同一秒批量签到
        klass, trio = b.take(3)
        day, second = rng.randrange(CLASS_DAYS), rng.choice(SECONDS)
        for e in trio:
            klass.overrides[(e.person.idx, day)] = {"second": second}
        klass.roll_call_day = None
        b.plant("class_identical_checkin_times", klass.subject(), klass.institution.subject())
    for _ in range(n):  # 夜间考勤
        klass, (e,) = b.take(1)
        klass.overrides[(e.person.idx, rng.randrange(CLASS_DAYS))] = {"hour": 23}
        b.plant("attendance_outside_class_hours", klass.subject(), klass.institution.subject())
    plant_classes(b)
    plant_people(b)
    plant_clashes(b)


def plant_classes(b: Builder) -> None:
    n = b.planted
    for _ in range(n):  # 超场地容量
        klass = b.take_class()
        klass.capacity = len(klass.members) - 3
        b.plant("class_over_capacity", klass.subject(), klass.institution.subject())
    for _ in range(n):  # 先开班后审批
        klass = b.take_class()
        klass.approved_on = klass.start + timedelta(days=2)
        b.plant("class_before_approval", klass.subject(), klass.institution.subject())


def plant_people(b: Builder) -> None:
    rng, n = b.rng, b.planted
    for _ in range(n):  # 一机多签
        klass, trio = b.take(3, method={AttendanceMethod.QR, AttendanceMethod.E_CARD})
        device, day = stable_hash(b.world.seed, "shared-phone", klass.idx), rng.randrange(CLASS_DAYS)
        for e in trio:
            klass.overrides[(e.person.idx, day)] = {"device": device}
        b.plant("device_shared_across_trainees", *(e.person for e in trio), klass.subject())
    for _ in range(n):  # 一脸多用
        klass, (first, second) = b.take(2, method={AttendanceMethod.FACE})
        day = rng.randrange(CLASS_DAYS)
        klass.overrides[(second.person.idx, day)] = {
            "photo": photo_of(b.world.seed, klass, first.person, day)
        }
        b.plant("face_shared_across_trainees", first.person, second.person, klass.subject())
    for _ in range(n):  # 异地考勤: a second check-in 20 minutes later, in another city
        klass, (e,) = b.take(1)
        far = max(
            CITY_CENTRES,
            key=lambda c: km_between(
                CITY_CENTRES[c], (klass.institution.latitude, klass.institution.longitude)
            ),
        )
        day = rng.randrange(1, CLASS_DAYS - 1)
        klass.overrides[(e.person.idx, day)] = {"far": far}
        b.plant("attendance_distant_checkins", e.person, klass.subject())
    for _ in range(n):  # 课时不足仍结业
        klass, (e,) = b.take(1)
        b.plant("attendance_below_plan", e.person, klass.subject())  # hours cut in build_world


def plant_clashes(b: Builder) -> None:
    """A teacher in two places, a trainee in two classes at once, a trainee of the wrong age."""
    rng, n = b.rng, b.planted
    for _ in range(n):  # 教师同时段两地授课
        pair = next(
            (
                (one, other)
                for one in b.free_classes()
                for other in b.free_classes()
                if other.institution is not one.institution
                and other.start <= one.end
                and one.start <= other.end
            ),
            None,
        )
        if pair is None:
            raise NotEnoughPeople("teacher")
        one, other = pair
        one.touched = other.touched = True
        one.teacher = other.teacher = b.teacher()
        b.plant(
            "teacher_two_classes_at_once",
            one.subject(),
            other.subject(),
            one.institution.subject(),
            other.institution.subject(),
        )
    for _ in range(n):  # 同一时段参加多个培训班: enrolled in a second class at the same time
        first, (e,) = b.take(1)
        second = next((k for k in b.free_classes() if _overlap(first, k)), None)
        if second is None:
            raise NotEnoughPeople("overlap")
        extra = b.enrol(second, e.person)
        extra.checks_in = extra.completes = False
        b.plant("person_overlapping_classes", e.person, first.subject(), second.subject())
    for n_age in range(n):  # 年龄不符: under 16, or past retirement on employment training
        klass, (e,) = b.take(1)
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
        b.numbers.discard(person.id_number)
        person.id_number = b.id_number(person.id_number[:6], person.born, male=male)
        b.plant("age_out_of_range", person, klass.subject())


def plant_results(b: Builder) -> None:
    rng, n = b.rng, b.planted
    held = [c for c in b.world.certificates if not c.person.touched and len(c.person.enrolments) == 1]
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
        others = [o for o in b.world.organisations if o.covers(first.occupation, first.level)]
        organisation = rng.choice(others)  # the same organisation again, or another one
        second = b.certificate(
            first.person,
            organisation=organisation,
            occupation=first.occupation,
            level=first.level,
            issued_at=first.issued_at + timedelta(days=30),
            exam_day=(first.exam_day or first.issued_at.date()) + timedelta(days=20),
        )
        b.plant("certificate_duplicate", first.person, first.subject(), second.subject())
    for _ in range(n):  # 超范围发证: a certificate for an occupation the organisation is not 备案 for
        cert = holder()
        organisation = next(o for o in b.world.organisations if cert.occupation not in o.occupations)
        # another level than the holder's own certificate: the same one would be a duplicate too
        extra = b.certificate(
            cert.person,
            organisation=organisation,
            occupation=cert.occupation,
            level=4 if cert.level == 5 else 5,
            issued_at=cert.issued_at + timedelta(days=40),
            exam_day=(cert.exam_day or cert.issued_at.date()) + timedelta(days=30),
        )
        b.plant("certificate_outside_scope", extra.subject(), organisation.subject())
    for k in range(n):  # 考核或培训结束前发证
        cert = holder()
        klass = cert.person.enrolments[0].klass
        if k % 2:
            cert.exam_day = cert.issued_at.date() + timedelta(days=5)  # issued before the exam
        else:
            cert.exam_day = klass.start + timedelta(days=2)  # examined during the class
        b.plant(
            "certificate_before_exam_or_training_end",
            cert.subject(),
            cert.person,
            cert.organisation.subject(),
        )
    plant_changed_scores(b)


def plant_changed_scores(b: Builder) -> None:
    rng, n = b.rng, b.planted
    candidates = [c for p in b.world.plans for c in p.candidates if c.passed and not c.person.touched]
    rng.shuffle(candidates)
    if len(candidates) < n:
        raise NotEnoughPeople("candidates")
    for cand in candidates[:n]:  # 公示后改分
        cand.person.touched = True
        theory, skill, review = cand.scores
        cand.scores = (min(100.0, (theory or 60) + 12), skill, review)
        plan = next(p for p in b.world.plans if cand in p.candidates)
        b.plant("scores_changed_after_publicity", cand.person, plan.organisation.subject())


def plant_claims(b: Builder) -> None:
    paid = [
        c for c in b.world.claims if c.outcome == "paid" and c.insured_months >= 12 and not c.person.touched
    ]
    b.rng.shuffle(paid)
    if len(paid) < 3 * b.planted:
        raise NotEnoughPeople("claims")
    for k, claim in enumerate(paid[: b.planted]):  # 违规发放补贴
        claim.person.touched = True
        claim.tamper = ("failed_rule", "amount", "no_decision")[k % 3]
        if claim.tamper == "failed_rule":
            claim.insured_months = 4
        b.plant("subsidy_rule_violation", claim.subject(), claim.person)
    pairs = paid[b.planted : 3 * b.planted]
    for first, second in zip(pairs[::2], pairs[1::2], strict=True):  # 多人共用账户
        first.person.touched = second.person.touched = True
        second.account = first.account
        b.plant("shared_contact_or_account", first.person, second.person)


def _overlap(one: ClassPlan, other: ClassPlan) -> bool:
    return other.start <= one.end and one.start <= other.end
