"""Each supervision check (issue 14): a planted case is found, its near miss is not flagged. Pure:
plain facts in, findings out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from credential_service.core.clock import BEIJING
from credential_service.supervision.rules import cases, people, population
from credential_service.supervision.rules.cases import Finding, Subject, SubjectType, finding_key
from credential_service.supervision.rules.facts import (
    CandidateFacts,
    CertificateFacts,
    CheckInFacts,
    ClaimFacts,
    ClassFacts,
    CompletionFacts,
    EnrolmentFacts,
    Facts,
    PaymentFacts,
    PersonFacts,
    ScopeFacts,
)
from credential_service.supervision.rules.registry import CHECKS

DAY = date(2026, 9, 1)
INSTITUTION = "52140100MJY000001X"


def klass(class_id: int, **changes: object) -> ClassFacts:
    base = ClassFacts(
        class_id,
        f"C-{class_id}",
        1,
        INSTITUTION,
        "140100",
        "6-18-02-04",
        4,
        "skill_upgrade",
        DAY,
        DAY + timedelta(days=30),
        100,
        None,
        None,
        None,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def person(person_id: int, born: date = date(1990, 5, 1), sex: str = "M") -> PersonFacts:
    return PersonFacts(person_id, f"p-{person_id}", born, sex)


def beijing(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=BEIJING).astimezone(UTC)


_ids = iter(range(1, 1_000_000))


def checkin(person_id: int, class_id: int, when: datetime, **changes: object) -> CheckInFacts:
    base = CheckInFacts(
        next(_ids),
        class_id,
        person_id,
        when,
        "太原市小店区培训基地",
        "face",
        None,
        None,
        None,
        None,
        next(_ids),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def world(**lists: object) -> Facts:
    facts = Facts(today=DAY + timedelta(days=60))
    facts.classes = {c.id: c for c in lists.pop("classes", [klass(1)])}  # type: ignore[attr-defined]
    facts.persons = {p.id: p for p in lists.pop("persons", [person(i) for i in range(1, 10)])}  # type: ignore[attr-defined]
    for name, value in lists.items():
        setattr(facts, name, value)
    return facts


def found(code: str, facts: Facts) -> list[Finding]:
    return list(CHECKS[code].run(facts))


def enrol(person_id: int, class_id: int, on: date = DAY) -> EnrolmentFacts:
    return EnrolmentFacts(next(_ids), class_id, person_id, on, next(_ids))


# --- training ---------------------------------------------------------------------------------------


def test_person_overlapping_classes() -> None:
    classes = [
        klass(1),
        klass(2, start_date=DAY + timedelta(days=30)),
        klass(3, start_date=DAY + timedelta(days=31)),
    ]
    planted = found(
        "person_overlapping_classes", world(classes=classes, enrolments=[enrol(1, 1), enrol(1, 2)])
    )
    assert len(planted) == 1 and Subject(SubjectType.PERSON, "p-1") in planted[0].subjects
    assert not found(
        "person_overlapping_classes", world(classes=classes, enrolments=[enrol(1, 1), enrol(1, 3)])
    )


def test_attendance_distant_checkins() -> None:
    taiyuan = {"latitude": 37.87, "longitude": 112.55}
    datong = {"latitude": 40.08, "longitude": 113.30}  # about 255 km away
    first = checkin(1, 1, beijing(DAY, 8), **taiyuan)
    soon = checkin(1, 1, beijing(DAY, 9), **datong)  # an hour later: 255 km/h
    later = checkin(1, 1, beijing(DAY, 11), **datong)  # three hours later: 85 km/h
    assert len(found("attendance_distant_checkins", world(checkins=[first, soon]))) == 1
    assert not found("attendance_distant_checkins", world(checkins=[first, later]))
    near = checkin(1, 1, beijing(DAY, 8, 5), latitude=37.90, longitude=112.56)  # 3 km in 5 minutes
    assert not found("attendance_distant_checkins", world(checkins=[first, near]))


def test_class_identical_checkin_times() -> None:
    moment = beijing(DAY, 8, 30, 5)
    planted = [checkin(p, 1, moment) for p in (1, 2, 3)]
    assert len(found("class_identical_checkin_times", world(checkins=planted))) == 1
    two = [checkin(p, 1, moment) for p in (1, 2)] + [checkin(3, 1, moment + timedelta(seconds=1))]
    assert not found("class_identical_checkin_times", world(checkins=two))
    roll_call = [checkin(p, 1, beijing(DAY, 8, 30)) for p in (1, 2, 3, 4)]  # typed on the class page
    assert not found("class_identical_checkin_times", world(checkins=roll_call))


def test_device_shared_across_trainees() -> None:
    phone = "ab" * 32
    planted = [checkin(p, 1, beijing(DAY, 8, p), method="qr", device_sha256=phone) for p in (1, 2, 3)]
    assert len(found("device_shared_across_trainees", world(checkins=planted))) == 1
    family = [checkin(p, 1, beijing(DAY, 8, p), method="qr", device_sha256=phone) for p in (1, 2)]
    terminal = [checkin(p, 1, beijing(DAY, 8, p), method="face", device_sha256=phone) for p in range(1, 9)]
    assert not found("device_shared_across_trainees", world(checkins=family + terminal))


def test_face_shared_across_trainees() -> None:
    photo = "cd" * 32
    planted = [checkin(p, 1, beijing(DAY, 8, p), photo_sha256=photo) for p in (1, 2)]
    assert len(found("face_shared_across_trainees", world(checkins=planted))) == 1
    same_person = [checkin(1, 1, beijing(DAY, 8, m), photo_sha256=photo) for m in (1, 2)]
    assert not found("face_shared_across_trainees", world(checkins=same_person))


def test_attendance_outside_class_hours() -> None:
    assert (
        len(found("attendance_outside_class_hours", world(checkins=[checkin(1, 1, beijing(DAY, 23, 10))])))
        == 1
    )
    edge = [checkin(1, 1, beijing(DAY, 21, 59, 59)), checkin(2, 1, beijing(DAY, 6, 0))]
    assert not found("attendance_outside_class_hours", world(checkins=edge))


def test_attendance_below_plan() -> None:
    def completion(hours: int, passed: bool = True) -> CompletionFacts:
        return CompletionFacts(1, 1, hours, passed, DAY + timedelta(days=30), 9)

    assert len(found("attendance_below_plan", world(completions=[completion(79)]))) == 1
    assert not found(
        "attendance_below_plan", world(completions=[completion(80), completion(10, passed=False)])
    )


def test_teacher_two_classes_at_once() -> None:
    classes = [klass(1, teacher="王建国"), klass(2, teacher="王建国", institution_code="52140100MJY000002X")]
    here = checkin(1, 1, beijing(DAY, 9, 5))
    there = checkin(2, 2, beijing(DAY, 9, 40), place="太原市万柏林区实训基地")
    afternoon = checkin(2, 2, beijing(DAY, 14, 5), place="太原市万柏林区实训基地")
    assert len(found("teacher_two_classes_at_once", world(classes=classes, checkins=[here, there]))) == 1
    assert not found("teacher_two_classes_at_once", world(classes=classes, checkins=[here, afternoon]))


def test_class_before_approval() -> None:
    early = klass(1, approved_on=DAY + timedelta(days=1))
    assert len(found("class_before_approval", world(classes=[early]))) == 1
    on_time = klass(1, approved_on=DAY)
    assert not found(
        "class_before_approval", world(classes=[on_time], checkins=[checkin(1, 1, beijing(DAY, 8))])
    )


def test_class_over_capacity() -> None:
    small = [klass(1, venue_capacity=3)]
    four = [checkin(p, 1, beijing(DAY, 8, p)) for p in (1, 2, 3, 4)]
    assert len(found("class_over_capacity", world(classes=small, checkins=four))) == 1
    three = [*four[:3], checkin(4, 1, beijing(DAY + timedelta(days=1), 8))]
    assert not found("class_over_capacity", world(classes=small, checkins=three))


def test_age_out_of_range() -> None:
    young = person(1, born=date(2010, 9, 2))  # 16 the day after enrolling
    sixteen = person(2, born=date(2010, 9, 1))
    assert len(found("age_out_of_range", world(persons=[young], enrolments=[enrol(1, 1)]))) == 1
    assert not found("age_out_of_range", world(persons=[sixteen], enrolments=[enrol(2, 1)]))
    employment = [klass(1, training_type="employment_skills")]
    retired = person(3, born=date(1965, 1, 15))  # men born January 1965 retire at 60 years 1 month
    working = person(4, born=date(1965, 1, 15))
    facts = world(classes=employment, persons=[retired], enrolments=[enrol(3, 1, date(2025, 2, 15))])
    assert len(found("age_out_of_range", facts)) == 1
    facts = world(classes=employment, persons=[working], enrolments=[enrol(4, 1, date(2025, 2, 14))])
    assert not found("age_out_of_range", facts)
    upgrade = world(persons=[retired], enrolments=[enrol(3, 1, date(2025, 2, 15))])  # not employment training
    assert not found("age_out_of_range", upgrade)


def test_retirement_ages_follow_the_2025_reform() -> None:
    assert people.retirement_age_months(date(1964, 12, 1), "M") == 720
    assert people.retirement_age_months(date(1965, 5, 1), "M") == 722
    assert people.retirement_age_months(date(1980, 1, 1), "M") == 756  # 63, the cap
    assert people.retirement_age_months(date(1969, 12, 1), "F") == 660
    assert people.retirement_age_months(date(1990, 1, 1), "F") == 696  # 58


# --- certificates and results ------------------------------------------------------------------------


def cert(number: str, **changes: object) -> CertificateFacts:
    base = CertificateFacts(
        number,
        1,
        7,
        "Y000014010001",
        "140100",
        "6-18-02-04",
        "电焊工",
        4,
        DAY + timedelta(days=40),
        DAY + timedelta(days=35),
        False,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_certificate_duplicate() -> None:
    assert len(found("certificate_duplicate", world(certificates=[cert("A1"), cert("A2")]))) == 1
    near = [cert("A1"), cert("A2", level=3), cert("A3", ended=True)]
    assert not found("certificate_duplicate", world(certificates=near))


def test_certificate_outside_scope() -> None:
    scope = ScopeFacts(7, "6-18-02-04", None, frozenset({5, 4}), DAY, DAY + timedelta(days=40))
    inside = cert("A1")  # issued on the scope's last day
    assert not found("certificate_outside_scope", world(certificates=[inside], scopes=[scope]))
    outside = [cert("A2", level=3), cert("A3", issued_on=DAY + timedelta(days=41))]
    assert len(found("certificate_outside_scope", world(certificates=outside, scopes=[scope]))) == 2


def test_certificate_before_exam_or_training_end() -> None:
    early = cert("A1", issued_on=DAY + timedelta(days=34))
    assert len(found("certificate_before_exam_or_training_end", world(certificates=[early]))) == 1
    completed = [CompletionFacts(1, 1, 100, True, DAY + timedelta(days=30), 9)]
    mid_class = cert("A2", exam_date=DAY + timedelta(days=20))
    assert (
        len(
            found(
                "certificate_before_exam_or_training_end",
                world(certificates=[mid_class], completions=completed),
            )
        )
        == 1
    )
    at_end = cert("A3", exam_date=DAY + timedelta(days=30))
    assert not found(
        "certificate_before_exam_or_training_end", world(certificates=[at_end], completions=completed)
    )


def candidate(person_id: int, org: str, passed: bool, **changes: object) -> CandidateFacts:
    base = CandidateFacts(
        f"c-{next(_ids)}",
        person_id,
        "s-1",
        datetime(2026, 9, 1, tzinfo=UTC),
        DAY,
        1,
        7,
        org,
        "140100",
        "6-18-02-04",
        4,
        (80.0, 75.0, None),
        (80.0, 75.0, None),
        passed,
        next(_ids),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_scores_changed_after_publicity() -> None:
    changed = candidate(1, "Y1", True, scores=(90.0, 75.0, None))
    assert len(found("scores_changed_after_publicity", world(candidates=[changed]))) == 1
    resubmitted = candidate(
        2,
        "Y1",
        True,
        submission_id="s-2",
        submitted_at=datetime(2026, 9, 5, tzinfo=UTC),
        scores=(60.0, 75.0, None),
        publicised_scores=(60.0, 75.0, None),
    )
    assert (
        len(
            found(
                "scores_changed_after_publicity", world(candidates=[candidate(2, "Y1", False), resubmitted])
            )
        )
        == 1
    )
    same = candidate(3, "Y1", True, publicised_scores=None)
    assert not found("scores_changed_after_publicity", world(candidates=[candidate(3, "Y1", True), same]))


# --- populations -------------------------------------------------------------------------------------


def cohort(org: str, n: int, passes: int) -> list[CandidateFacts]:
    return [candidate(i, org, i < passes) for i in range(n)]


def test_pass_rate_outlier() -> None:
    peers = cohort("Y2", 200, 120) + cohort("Y3", 200, 120)  # 60 %
    assert [
        f.subjects[0].ref for f in found("pass_rate_outlier", world(candidates=peers + cohort("Y1", 40, 40)))
    ] == ["Y1"]
    small = cohort("Y1", 29, 29)  # too few to test
    modest = cohort("Y1", 40, 28)  # 70 %: not significant at the corrected level
    assert not found("pass_rate_outlier", world(candidates=peers + small))
    assert not found("pass_rate_outlier", world(candidates=peers + modest))


def test_the_binomial_tail_is_exact() -> None:
    assert population.binomial_upper_tail(0, 10, 0.3) == 1.0
    assert population.binomial_upper_tail(10, 10, 0.5) == pytest.approx(0.5**10)
    assert population.binomial_upper_tail(9, 10, 0.5) == pytest.approx(11 / 1024)


def enrolments_by_month(counts: Iterable[int]) -> list[EnrolmentFacts]:
    rows = []
    for month, count in enumerate(counts):
        rows += [enrol(i, 1, date(2026, 1 + month, 10)) for i in range(count)]
    return rows


def test_volume_spike() -> None:
    assert len(found("volume_spike", world(enrolments=enrolments_by_month([10, 12, 8, 30])))) == 1
    assert not found("volume_spike", world(enrolments=enrolments_by_month([10, 12, 8, 29])))
    assert not found(
        "volume_spike", world(enrolments=enrolments_by_month([0, 0, 10, 100])[10:])
    )  # no history


def claim(state: str = "paid", failed: tuple[str, ...] = ()) -> ClaimFacts:
    return ClaimFacts(f"k-{next(_ids)}", 1, None, None, None, state, 200000, failed, True)


def payment(person_id: int, account: str = "acct-1", **changes: object) -> PaymentFacts:
    base = PaymentFacts(
        next(_ids), f"k-{next(_ids)}", "paid", 200000, True, person_id, 200000, account, next(_ids)
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_subsidy_rule_violation() -> None:
    planted = world(
        claims=[claim(failed=("insured_months",))],
        payments=[payment(1, approved=None), payment(2, amount_fen=300000)],
    )
    assert len(found("subsidy_rule_violation", planted)) == 3
    near = world(claims=[claim(), claim(state="waiting", failed=("insured_months",))], payments=[payment(1)])
    assert not found("subsidy_rule_violation", near)


def test_shared_contact_or_account() -> None:
    assert len(found("shared_contact_or_account", world(payments=[payment(1), payment(2)]))) == 1
    own = world(payments=[payment(1), payment(1), payment(2, account="acct-2")])
    assert not found("shared_contact_or_account", own)


# --- the framework ------------------------------------------------------------------------------------


def test_every_check_is_described_and_versioned() -> None:
    assert len(CHECKS) == 19
    for code, spec in CHECKS.items():
        assert spec.code == code and spec.version >= 1 and spec.reads and spec.triggers
        assert not spec.title.isascii() and not spec.description.isascii() and not spec.evidence.isascii()


def test_a_finding_key_ignores_the_order_of_subjects() -> None:
    a, b = Subject(SubjectType.PERSON, "p-1"), Subject(SubjectType.CLASS, "X/1")
    assert finding_key("x", [a, b]) == finding_key("x", [b, a]) != finding_key("y", [a, b])


@pytest.mark.parametrize(
    ("current", "target", "outcome", "allowed"),
    [
        ("open", "investigating", None, True),
        ("open", "closed", "no_issue", True),
        ("investigating", "closed", "confirmed", True),
        ("investigating", "closed", None, False),
        ("open", "investigating", "confirmed", False),
        ("closed", "investigating", None, False),
        ("investigating", "open", None, False),
    ],
)
def test_the_case_workflow(current: str, target: str, outcome: str | None, allowed: bool) -> None:
    problem = cases.transition_problem(
        cases.CaseStatus(current), cases.CaseStatus(target), cases.Outcome(outcome) if outcome else None
    )
    assert (problem is None) is allowed
