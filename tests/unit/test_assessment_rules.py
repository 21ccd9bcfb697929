"""Scope and status rules of evaluation organisations (organisations.rules), each with its failing case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from credential_service.assessment.organisations import rules
from credential_service.assessment.organisations.rules import (
    EndorsementFormatError,
    ScopeRowInput,
    active_throughout,
    endorsed_for,
    endorsed_registration,
    in_scope,
    registration_json,
    scope_problems,
    status_on,
)
from credential_service.core.clock import BEIJING

CATALOGUE = {"6-18-02-04": ["电焊工", "气焊工"], "6-18-01-01": [], "4-10-01-05": []}
FROM, TO = date(2026, 1, 1), date(2028, 12, 31)


@dataclass(frozen=True)
class Row:
    occupation_code: str
    subtype: str | None
    levels: str
    valid_from: date
    valid_to: date


@dataclass(frozen=True)
class Org:
    scope: tuple[Row, ...]


@dataclass(frozen=True)
class Period:
    status: str
    since: datetime


def row(
    code: str = "6-18-02-04",
    subtype: str | None = "电焊工",
    levels: tuple[int, ...] = (5, 4, 3),
    **dates: date,
) -> ScopeRowInput:
    return ScopeRowInput(code, subtype, levels, dates.get("valid_from", FROM), dates.get("valid_to", TO))


def locs(rows: list[ScopeRowInput]) -> set[str]:
    return {p.loc for p in scope_problems(rows, CATALOGUE)}


WELDER = Org((Row("6-18-02-04", "电焊工", "5,4,3", FROM, TO), Row("6-18-01-01", None, "3,2", FROM, TO)))


# --- organisation code ---


def test_organisation_code_is_type_mohrss_province_site() -> None:
    assert rules.organisation_code("Y", "0000", "14", "010001") == "Y000014010001"
    assert rules.organisation_code_problems("S", "1234", "14", "000001") == []


@pytest.mark.parametrize(
    ("parts", "loc"),
    [
        (("X", "0000", "14", "010001"), "org_type"),
        (("y", "0000", "14", "010001"), "org_type"),
        (("Y", "000", "14", "010001"), "mohrss_code"),
        (("Y", "00a0", "14", "010001"), "mohrss_code"),
        (("Y", "0000", "1", "010001"), "province_code"),
        (("Y", "0000", "14", "01001"), "site_serial"),
        (("Y", "0000", "14", "0100011"), "site_serial"),
    ],
)
def test_organisation_code_parts_are_checked(parts: tuple[str, str, str, str], loc: str) -> None:
    problems = rules.organisation_code_problems(*parts)
    assert [p.loc for p in problems] == [loc]
    assert problems[0].reason.index("/") > 0 and not problems[0].reason[0].isascii()  # Chinese first


# --- levels and 工种 ---


def test_levels_round_trip_from_lowest_to_highest() -> None:
    assert rules.format_levels([3, 5, 4, 4]) == "5,4,3"
    assert rules.parse_levels("5, 4,3") == {3, 4, 5}
    assert rules.parse_levels("6,0,x,2") == {2}


@pytest.mark.parametrize("none", [None, "", "  ", "--", "无", "-"])
def test_no_subtype_has_one_form(none: str | None) -> None:
    assert rules.normalise_subtype(none) is None
    assert rules.normalise_subtype(" 电焊工 ") == "电焊工"


# --- scope rows ---


def test_a_good_scope_has_no_problems() -> None:
    assert locs([row(), row("6-18-01-01", None, (3, 2)), row(subtype="气焊工")]) == set()


def test_an_empty_scope_is_refused() -> None:
    assert locs([]) == {"scope"}


@pytest.mark.parametrize(
    ("bad", "loc"),
    [
        (row(code="6-18-2-04"), "scope.0.occupation_code"),
        (row(code="9-99-99-99"), "scope.0.occupation_code"),  # shaped right, not in the catalogue
        (row(subtype="钎焊工"), "scope.0.subtype"),  # the catalogue lists this occupation's 工种
        (row(levels=()), "scope.0.levels"),
        (row(levels=(6,)), "scope.0.levels"),
        (row(levels=(0, 5)), "scope.0.levels"),
        (row(levels=(5, 5)), "scope.0.levels"),
        (row(valid_from=date(2027, 1, 1), valid_to=date(2026, 12, 31)), "scope.0.valid_to"),
        (row(subtype="工" * 101), "scope.0.subtype"),
    ],
)
def test_bad_rows_are_named(bad: ScopeRowInput, loc: str) -> None:
    assert loc in locs([bad])


def test_any_subtype_when_the_catalogue_lists_none() -> None:
    assert locs([row("6-18-01-01", "数控车工")]) == set()


def test_a_single_day_registration_is_allowed() -> None:
    assert locs([row(valid_from=FROM, valid_to=FROM)]) == set()


def test_overlapping_rows_are_refused() -> None:
    problems = scope_problems(
        [row(), row(levels=(3, 2), valid_from=TO, valid_to=TO + timedelta(days=400))], CATALOGUE
    )
    assert [p.loc for p in problems] == ["scope.1"]
    assert "三级/高级工" in problems[0].reason and "第 1 行" in problems[0].reason


@pytest.mark.parametrize(
    "second",
    [
        row(valid_from=TO + timedelta(days=1), valid_to=TO + timedelta(days=365)),  # the day after
        row(levels=(2, 1)),  # other levels
        row(subtype="气焊工"),  # other 工种
        row(subtype=None),  # the occupation without 工种 is another row
    ],
)
def test_rows_that_do_not_overlap(second: ScopeRowInput) -> None:
    assert locs([row(), second]) == set()


def test_no_subtype_spellings_overlap_each_other() -> None:
    assert locs([row("6-18-01-01", None), row("6-18-01-01", "--")]) == {"scope.1"}


# --- in scope on a date ---


@pytest.mark.parametrize(
    ("code", "subtype", "level", "day", "expected"),
    [
        ("6-18-02-04", "电焊工", 4, FROM, True),  # first day
        ("6-18-02-04", "电焊工", 4, TO, True),  # last day
        ("6-18-02-04", "电焊工", 4, FROM - timedelta(days=1), False),  # the day before
        ("6-18-02-04", "电焊工", 4, TO + timedelta(days=1), False),  # the day after
        ("6-18-02-04", "电焊工", 5, date(2027, 6, 1), True),
        ("6-18-02-04", "电焊工", 2, date(2027, 6, 1), False),  # level not registered
        ("6-18-02-04", None, 4, date(2027, 6, 1), False),  # registered for a 工种 only
        ("6-18-02-04", "--", 4, date(2027, 6, 1), False),
        ("6-18-02-04", "气焊工", 4, date(2027, 6, 1), False),  # another 工种
        ("6-18-01-01", None, 2, date(2027, 6, 1), True),
        ("6-18-01-01", "--", 3, date(2027, 6, 1), True),  # "--" is none
        ("6-18-01-01", "数控车工", 3, date(2027, 6, 1), False),  # registered without 工种
        ("6-18-01-01", None, 4, date(2027, 6, 1), False),
        ("6-31-01-03", None, 3, date(2027, 6, 1), False),  # another occupation
    ],
)
def test_in_scope(code: str, subtype: str | None, level: int, day: date, expected: bool) -> None:
    assert in_scope(WELDER, code, subtype, level, day) is expected


@given(
    day=st.dates(min_value=date(2024, 1, 1), max_value=date(2031, 12, 31)),
    level=st.integers(min_value=1, max_value=5),
    start=st.dates(min_value=date(2024, 1, 1), max_value=date(2031, 12, 31)),
    length=st.integers(min_value=0, max_value=2000),
    levels=st.sets(st.integers(min_value=1, max_value=5), min_size=1),
)
def test_in_scope_is_the_plain_reading(
    day: date, level: int, start: date, length: int, levels: set[int]
) -> None:
    end = start + timedelta(days=length)
    org = Org((Row("6-18-02-04", None, rules.format_levels(levels), start, end),))
    assert in_scope(org, "6-18-02-04", None, level, day) == (start <= day <= end and level in levels)


# --- status on a moment and during exam days ---

T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
HISTORY = (
    Period("active", T0),
    Period("suspended", T0 + timedelta(days=10)),
    Period("active", T0 + timedelta(days=20)),
    Period("exited", T0 + timedelta(days=30)),
)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (T0 - timedelta(seconds=1), "not_registered"),
        (T0, "active"),  # a period takes effect at its own instant
        (T0 + timedelta(days=10) - timedelta(seconds=1), "active"),
        (T0 + timedelta(days=10), "suspended"),
        (T0 + timedelta(days=15), "suspended"),
        (T0 + timedelta(days=20), "active"),
        (T0 + timedelta(days=400), "exited"),
    ],
)
def test_status_on(moment: datetime, expected: str) -> None:
    assert status_on(HISTORY, moment) == expected
    assert status_on(reversed(HISTORY), moment) == expected  # order of the input does not matter


def test_status_on_reads_naive_times_as_utc() -> None:
    assert status_on(HISTORY, (T0 + timedelta(days=10)).replace(tzinfo=None)) == "suspended"


def test_the_later_of_two_periods_in_the_same_second_wins() -> None:
    same = (Period("active", T0), Period("suspended", T0))
    assert status_on(same, T0) == "suspended"


def beijing(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=BEIJING)


def test_active_throughout_exam_days() -> None:
    exam = date(2026, 6, 10)
    suspended_that_afternoon = (Period("active", T0), Period("suspended", beijing(exam, 15)))
    assert not active_throughout(suspended_that_afternoon, exam)
    assert active_throughout(suspended_that_afternoon, exam - timedelta(days=1))
    suspended_next_midnight = (
        Period("active", T0),
        Period("suspended", beijing(exam + timedelta(days=1), 0)),
    )
    assert active_throughout(suspended_next_midnight, exam)
    reinstated_that_morning = (
        *suspended_that_afternoon[:1],
        Period("suspended", beijing(exam, 0) - timedelta(days=3)),
        Period("active", beijing(exam, 10)),
    )
    assert not active_throughout(reinstated_that_morning, exam)
    assert active_throughout(reinstated_that_morning, exam + timedelta(days=1), exam + timedelta(days=3))
    assert not active_throughout(suspended_that_afternoon, exam - timedelta(days=2), exam)  # a range
    assert not active_throughout((), exam)


def test_exit_is_final() -> None:
    assert rules.status_change_allowed("active", "suspended")
    assert rules.status_change_allowed("suspended", "active")
    assert rules.status_change_allowed("active", "exited")
    assert not rules.status_change_allowed("exited", "active")
    assert not rules.status_change_allowed("exited", "suspended")


# --- the registration carried by an endorsement ---


def endorsement(comment: str) -> dict[str, object]:
    return {"credentialSubject": {"id": "did:web:x", "endorsementComment": comment}}


def test_the_registration_round_trips_through_the_comment() -> None:
    machine = registration_json(code="Y000014010001", version=3, scope=WELDER.scope, status_history=HISTORY)
    registration = endorsed_registration(endorsement(f"说明文字\n{rules.MACHINE_READABLE_MARKER}\n{machine}"))
    assert registration.organisation_code == "Y000014010001" and registration.version == 3
    assert registration.scope[0].levels == "5,4,3" and registration.scope[1].subtype is None
    assert [p.status for p in registration.status_history] == ["active", "suspended", "active", "exited"]
    day = (T0 + timedelta(days=5)).date()
    assert endorsed_for(registration, "6-18-02-04", "电焊工", 3, day)
    assert not endorsed_for(
        registration, "6-18-02-04", "电焊工", 3, (T0 + timedelta(days=12)).date()
    )  # suspended
    assert not endorsed_for(registration, "6-18-02-04", "电焊工", 1, day)  # level
    assert not endorsed_for(
        registration, "6-18-02-04", "电焊工", 3, (T0 + timedelta(days=31)).date()
    )  # exited


@pytest.mark.parametrize(
    "comment",
    [
        "只有文字，没有机器可读部分",
        f"x\n{rules.MACHINE_READABLE_MARKER}\n{{not json",
        f"{rules.MACHINE_READABLE_MARKER}{{}}",
    ],
)
def test_a_comment_without_a_readable_registration_is_refused(comment: str) -> None:
    with pytest.raises(EndorsementFormatError):
        endorsed_registration(endorsement(comment))


def test_an_issuance_and_a_suspension_in_the_same_second_keep_the_benefit_of_the_issuance_check() -> None:
    """Recorded to the second, a badge issued at 08:02:38.2 and a suspension at 08:02:38.7 read
    alike; issuance checked their real order, so verification accepts either order in that second."""
    second = T0 + timedelta(days=10)  # the suspension's recorded second
    assert rules.active_some_time_in(HISTORY, second)
    assert not rules.active_some_time_in(HISTORY, second + timedelta(seconds=1))
    assert not rules.active_some_time_in(HISTORY, second + timedelta(days=1))
    assert rules.active_some_time_in(HISTORY, T0)  # registered in the very second it issued
    assert not rules.active_some_time_in(HISTORY, T0 - timedelta(seconds=1))
