"""The institution's page forms as the service's requests: form text checked field by field (each
problem in words, Chinese then English, naming the field), and the service's row problems put back
on the form's fields and trainees. Pure: no database, no HTTP.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time

from pydantic import ValidationError

from credential_service.core.clock import BEIJING
from credential_service.core.errors import FieldError, ServiceError
from credential_service.core.inputs import OCCUPATION_CODE
from credential_service.records.training.models import AssessmentResult, AttendanceMethod, TrainingType
from credential_service.records.training.schemas import (
    ClassDetails,
    RosterAttendance,
    RosterAttendanceIn,
    RosterCompletionIn,
    RosterCompletions,
)

_CLASS_REF = re.compile(r"^[\w.\-]{1,64}$", re.ASCII)
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_ROW_FIELD = re.compile(r"^(?:events|completions)\.(\d+)(?:\.(\w+))?$")
FIELD_NAMES = {
    "member": "学员",
    "occurred_at": "考勤时间",
    "place": "地点",
    "method": "考勤方式",
    "attended_hours": "实际课时",
    "result": "考核结果",
    "score": "成绩",
    "completed_on": "结业日期",
    "id_number": "学员",
    "name": "学员",
}
DATE_EXAMPLE = "请填写日期，如 2026-09-01 / a date such as 2026-09-01"


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def _int(text: str, low: int, high: int) -> int | None:
    text = text.strip()
    if not text.isdigit() or len(text) > 6:
        return None
    value = int(text)
    return value if low <= value <= high else None


# --- opening a class -------------------------------------------------------------------------------


@dataclass
class ClassForm:
    """What the officer typed to open a class, and what is wrong with it, by field."""

    class_ref: str = ""
    occupation_code: str = ""
    subtype: str = ""
    target_level: str = ""
    training_type: str = ""
    start_date: str = ""
    end_date: str = ""
    planned_hours: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def problems_from(self, problems: Sequence[FieldError]) -> None:
        """The service's refusals (dates out of order, outside the approved projects) on their fields."""
        for problem in problems:
            name = problem.loc.split(".")[0]
            self.errors.setdefault(name if name in _CLASS_FIELDS else "class_ref", problem.reason)


_CLASS_FIELDS = frozenset(ClassForm.__dataclass_fields__) - {"errors"}


def class_request(form: ClassForm) -> ClassDetails | None:
    """The class to open, or None after noting each bad field on the form."""
    errors = form.errors
    ref = form.class_ref.strip()
    if not _CLASS_REF.match(ref) or ref == "new":  # /institution/classes/new is the form
        errors["class_ref"] = (
            "班级编号为 1–64 个字母、数字或 _ . -，如 HG-2026-09 / 1–64 letters, digits, _ . or -"
        )
    if not OCCUPATION_CODE.match(form.occupation_code.strip()):
        errors["occupation_code"] = "请选择本机构可开展的职业 / choose one of your approved occupations"
    if len(form.subtype.strip()) > 100:
        errors["subtype"] = "工种不超过 100 个字 / at most 100 characters"
    level = _int(form.target_level, 1, 5) if form.target_level.strip() else None
    if form.target_level.strip() and level is None:
        errors["target_level"] = "请选择目标等级 / choose a target level"
    if form.training_type not in set(TrainingType):
        errors["training_type"] = "请选择培训类型 / choose a training type"
    start, end = _date(form.start_date), _date(form.end_date)
    if start is None:
        errors["start_date"] = DATE_EXAMPLE
    if end is None:
        errors["end_date"] = DATE_EXAMPLE
    hours = _int(form.planned_hours, 1, 5000)
    if hours is None:
        errors["planned_hours"] = "计划课时应为 1–5000 的整数 / a whole number from 1 to 5000"
    if errors or start is None or end is None or hours is None:
        return None
    try:
        return ClassDetails(
            class_ref=ref,
            occupation_code=form.occupation_code.strip(),
            subtype=form.subtype.strip() or None,
            target_level=level,
            training_type=TrainingType(form.training_type),
            start_date=start,
            end_date=end,
            planned_hours=hours,
        )
    except ValidationError:  # every field was checked above; kept so that no input can cause a 500
        errors["class_ref"] = "填写有误，请检查后重试 / please check the form"
        return None


# --- attendance and completions --------------------------------------------------------------------


@dataclass(frozen=True)
class FormProblem:
    """What is wrong on a posting form: about which roster member (None: the form as a whole), which
    field (its Chinese name), and why (Chinese, then English)."""

    member: int | None
    field: str
    reason: str


def _members(texts: Sequence[str], problems: list[FormProblem]) -> list[int]:
    members = [int(t) for t in texts if t.isdigit() and len(t) <= 12 and int(t) > 0]
    if len(members) != len(texts):
        problems.append(FormProblem(None, "学员", "学员选择有误，请刷新页面 / reload the page"))
    return members


def attendance_request(
    day: str, clock: str, place: str, method: str, member: Sequence[str]
) -> tuple[RosterAttendance | None, list[FormProblem]]:
    """One check-in (Beijing time) for each chosen roster member, or the form's problems."""
    problems: list[FormProblem] = []
    members = _members(member, problems)
    if not member:
        problems.append(FormProblem(None, "学员", "请至少选择一名学员 / choose at least one trainee"))
    when_day, when_time = _date(day), _TIME.match(clock.strip())
    if when_day is None:
        problems.append(FormProblem(None, "考勤日期", DATE_EXAMPLE))
    if when_time is None:
        problems.append(FormProblem(None, "考勤时间", "请填写时间，如 08:30 / a time such as 08:30"))
    if not place.strip():
        problems.append(FormProblem(None, "地点", "请填写考勤地点 / the place is required"))
    if method not in set(AttendanceMethod):
        problems.append(FormProblem(None, "考勤方式", "请选择考勤方式 / choose how they checked in"))
    if problems or when_day is None or when_time is None:
        return None, problems
    moment = datetime.combine(when_day, time(int(when_time[1]), int(when_time[2])), BEIJING)
    events = [
        RosterAttendanceIn(member=m, occurred_at=moment, place=place.strip(), method=AttendanceMethod(method))
        for m in members
    ]
    return RosterAttendance(events=events), []


def completion_request(
    completed_on: str,
    member: Sequence[str],
    hours: Sequence[str],
    result: Sequence[str],
    score: Sequence[str],
) -> tuple[RosterCompletions | None, list[FormProblem]]:
    """A completion for each trainee given a result (the others are left for later), or the form's
    problems. The four lists are the form's rows, in order."""
    problems: list[FormProblem] = []
    members = _members(member, problems)
    if not len(members) == len(hours) == len(result) == len(score):
        problems.append(FormProblem(None, "学员", "表单不完整，请刷新页面 / reload the page"))
        return None, problems
    day = _date(completed_on)
    if day is None:
        problems.append(FormProblem(None, "结业日期", DATE_EXAMPLE))
    rows: list[RosterCompletionIn] = []
    for who, hour_text, result_text, score_text in zip(members, hours, result, score, strict=True):
        if not result_text:
            continue  # 暂不登记: this trainee's completion is posted later
        row = _completion_row(who, hour_text, result_text, score_text, day=day, problems=problems)
        if row is not None:
            rows.append(row)
    if not any(result):
        problems.append(
            FormProblem(None, "考核结果", "请至少为一名学员选择考核结果 / give at least one result")
        )
    if problems:
        return None, problems
    return RosterCompletions(completions=rows), []


def _completion_row(
    member: int, hours: str, result: str, score: str, *, day: date | None, problems: list[FormProblem]
) -> RosterCompletionIn | None:
    before = len(problems)
    attended = _int(hours, 0, 5000)
    if attended is None:
        problems.append(
            FormProblem(member, "实际课时", "实际课时应为 0–5000 的整数 / a whole number from 0 to 5000")
        )
    if result not in set(AssessmentResult):
        problems.append(FormProblem(member, "考核结果", "请选择合格或不合格 / choose pass or fail"))
    mark: float | None = None
    if score.strip():
        try:
            mark = float(score)
        except ValueError:
            mark = math.nan
        if not math.isfinite(mark) or not 0 <= mark <= 100:
            problems.append(FormProblem(member, "成绩", "成绩应为 0–100 的数 / a number from 0 to 100"))
    if len(problems) > before or attended is None or day is None:
        return None
    return RosterCompletionIn(
        member=member, attended_hours=attended, result=AssessmentResult(result), score=mark, completed_on=day
    )


def posting_problems(error: ServiceError, posting: RosterAttendance | RosterCompletions) -> list[FormProblem]:
    """The service's refusal of a posting, row by row, as problems of the form's trainees."""
    rows = posting.events if isinstance(posting, RosterAttendance) else posting.completions
    found = getattr(error, "errors", None) or [FieldError("", error.message)]
    problems = []
    for problem in found:
        match = _ROW_FIELD.match(problem.loc)
        if match is None:
            problems.append(FormProblem(None, "", problem.reason))
            continue
        index = int(match[1])
        member = rows[index].member if index < len(rows) else None
        problems.append(FormProblem(member, FIELD_NAMES.get(match[2] or "", ""), problem.reason))
    return problems
