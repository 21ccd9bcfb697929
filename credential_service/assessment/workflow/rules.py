"""Pure rules of the evaluation workflow: the pass rule, the working-day calendar of 公示, and the
states of submissions, candidates and objections.

Sources: 人社部发〔2019〕… 职业技能等级认定 (theory and skill parts, comprehensive review for levels 2
and 1; pass mark 60 each); publicity of 5 working days (configurable).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

PASS_MARK = 60.0
PUBLICITY_WORKING_DAYS = 5
REVIEW_LEVELS = frozenset({1, 2})  # 二级/技师 and 一级/高级技师 also need 综合评审


@dataclass(frozen=True)
class Scores:
    theory: float | None
    skill: float | None
    review: float | None = None


def missing_parts(level: int, scores: Scores) -> list[str]:
    """The required parts without a score (the review only for levels 2 and 1)."""
    missing = [name for name in ("theory", "skill") if getattr(scores, name) is None]
    if level in REVIEW_LEVELS and scores.review is None:
        missing.append("review")
    return missing


def passes(level: int, scores: Scores, pass_mark: float = PASS_MARK) -> bool:
    """A candidate passes only if every required part is at least the pass mark."""
    if missing_parts(level, scores):
        return False
    required = [scores.theory, scores.skill] + ([scores.review] if level in REVIEW_LEVELS else [])
    return all(part is not None and part >= pass_mark for part in required)


@dataclass(frozen=True)
class WorkingCalendar:
    """Weekends are rest days, except configured make-up working days (调休); configured holidays rest."""

    holidays: frozenset[date] = field(default_factory=frozenset)
    make_up_workdays: frozenset[date] = field(default_factory=frozenset)

    def is_working_day(self, day: date) -> bool:
        if day in self.make_up_workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def add_working_days(self, start: date, count: int) -> date:
        """The ``count``-th working day after ``start`` (``start`` itself not counted)."""
        if count < 1:
            raise ValueError("count must be at least 1")
        day, seen = start, 0
        while seen < count:
            day += timedelta(days=1)
            if self.is_working_day(day):
                seen += 1
        return day


def publicity_ends_on(
    calendar: WorkingCalendar, published_on: date, working_days: int = PUBLICITY_WORKING_DAYS
) -> date:
    """公示 runs for ``working_days`` full working days after the day of publication; it ends at the
    end of the returned day (Beijing time), and certificates may be issued from the next day."""
    return calendar.add_working_days(published_on, working_days)


class SubmissionState(StrEnum):
    """A result sheet (a batch): under 公示, then issued once every due candidate is."""

    PUBLICITY = "publicity"
    ISSUED = "issued"


class CandidateState(StrEnum):
    FAILED = "failed"  # below the pass mark: never publicised
    PUBLICISED = "publicised"  # passed, under 公示 (held back while an objection is open)
    WITHDRAWN = "withdrawn"  # an objection was upheld: no certificate from this batch
    ISSUED = "issued"


class ObjectionStatus(StrEnum):
    OPEN = "open"
    UPHELD = "upheld"
    DISMISSED = "dismissed"


class CalendarDayKind(StrEnum):
    """A configured exception to the Monday-to-Friday week (法定节假日, 调休上班)."""

    HOLIDAY = "holiday"
    WORKDAY = "workday"


class BatchStage(StrEnum):
    """Where a batch stands for the organisation's officer: what they can do next."""

    PUBLICITY = "publicity"  # 公示中: objections may still be lodged
    READY = "ready"  # 公示期满: certificates may be issued
    HELD = "held"  # issued, but some candidates are held back by open objections
    ISSUED = "issued"  # 已发证: every due certificate issued


def batch_stage(state: str, publicity_ends_on: date, today: date, *, held: int) -> BatchStage:
    """The stage of a batch (a submission) on ``today`` (Beijing): publicity ends at the end of its
    last day, so issuing is possible from the next day (:func:`publicity_ends_on`)."""
    if state == SubmissionState.ISSUED:
        return BatchStage.ISSUED
    if today <= publicity_ends_on:
        return BatchStage.PUBLICITY
    return BatchStage.HELD if held else BatchStage.READY
