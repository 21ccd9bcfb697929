from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from credential_service.assessment.workflow.rules import (
    Scores,
    WorkingCalendar,
    missing_parts,
    passes,
    publicity_ends_on,
)


@pytest.mark.parametrize(
    ("level", "scores", "expected"),
    [
        (3, Scores(60, 60), True),
        (3, Scores(59.9, 95), False),
        (3, Scores(95, 59), False),
        (5, Scores(100, 100, None), True),
        (2, Scores(80, 80, None), False),  # levels 2 and 1 need the comprehensive review
        (2, Scores(80, 80, 60), True),
        (1, Scores(80, 80, 59), False),
        (4, Scores(None, 90), False),
    ],
)
def test_every_required_part_must_reach_60(level: int, scores: Scores, expected: bool) -> None:
    assert passes(level, scores) is expected


def test_missing_parts_and_configurable_pass_mark() -> None:
    assert missing_parts(1, Scores(None, 70, None)) == ["theory", "review"]
    assert passes(3, Scores(65, 65), pass_mark=70) is False


def test_publicity_counts_working_days_only() -> None:
    plain = WorkingCalendar()
    # Published on Friday 2026-11-27: Mon 30, Tue 1, Wed 2, Thu 3, Fri 4 December.
    assert publicity_ends_on(plain, date(2026, 11, 27)) == date(2026, 12, 4)
    # National Day 2026: 1–7 October rest, Saturday 10 October is a make-up working day.
    national_day = WorkingCalendar(
        holidays=frozenset(date(2026, 10, d) for d in range(1, 8)),
        make_up_workdays=frozenset({date(2026, 10, 10)}),
    )
    # Published Wed 30 Sep: Thu 8, Fri 9, Sat 10 (make-up), Mon 12, Tue 13.
    assert publicity_ends_on(national_day, date(2026, 9, 30)) == date(2026, 10, 13)
    with pytest.raises(ValueError):
        plain.add_working_days(date(2026, 1, 1), 0)


@given(
    st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)), st.integers(min_value=1, max_value=20)
)
def test_the_end_is_a_working_day_with_exactly_n_working_days_after_start(start: date, n: int) -> None:
    calendar = WorkingCalendar(holidays=frozenset({date(2026, 1, 1), date(2026, 5, 1)}))
    end = calendar.add_working_days(start, n)
    days = [start + timedelta(days=i) for i in range(1, (end - start).days + 1)]
    assert calendar.is_working_day(end)
    assert sum(calendar.is_working_day(d) for d in days) == n
