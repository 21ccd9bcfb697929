"""The organisation's plan form as the API's request (``PlanCreate``): form text checked field by
field (each problem in words, Chinese then English, naming the field), and the service's refusals
put back on the form's fields. Pure: no database, no HTTP.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from pydantic import ValidationError

from credential_service.assessment.organisations.rules import ScopeChoice
from credential_service.assessment.workflow.schemas import Examiner, PlanCreate
from credential_service.core.errors import FieldError
from credential_service.identity.rules import id_number_problem

_PLAN_REF = re.compile(r"^[A-Za-z0-9._-]{1,40}$")
EXAMINER_ROWS = 3  # rows of examiner fields the form shows (no JavaScript to add more)
DATE_EXAMPLE = "请填写日期，如 2026-09-01 / a date such as 2026-09-01"


def choice_value(choice: ScopeChoice) -> str:
    """The form's value of a scope choice: occupation code, level, then the 工种 (which may hold any
    character, so it comes last)."""
    return f"{choice.occupation_code}|{choice.level}|{choice.subtype or ''}"


@dataclass
class PlanForm:
    """What the officer typed to file a plan, and what is wrong with it, by field."""

    plan_ref: str = ""
    choice: str = ""
    exam_start: str = ""
    exam_end: str = ""
    examiner_name: list[str] = field(default_factory=lambda: [""] * EXAMINER_ROWS)
    examiner_number: list[str] = field(default_factory=lambda: [""] * EXAMINER_ROWS)
    errors: dict[str, str] = field(default_factory=dict)

    def problems_from(self, problems: Sequence[FieldError]) -> None:
        """The service's refusals (outside the scope on an exam date, dates out of order) on their
        fields; anything else on the plan reference, the first field."""
        for problem in problems:
            name = problem.loc.split(".")[0]
            self.errors.setdefault(name if name in _FIELDS else "plan_ref", problem.reason)


_FIELDS = frozenset({"plan_ref", "choice", "exam_start", "exam_end", "examiners"})


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def _examiners(form: PlanForm) -> list[Examiner]:
    """The filled examiner rows (empty rows are left out); notes a half-filled or bad row."""
    found: list[Examiner] = []
    for typed_name, typed_number in zip(form.examiner_name, form.examiner_number, strict=False):
        name, number = typed_name.strip(), typed_number.strip()
        if not name and not number:
            continue
        if not name or not 1 <= len(name) <= 50:
            form.errors["examiners"] = "请填写考评员姓名（不超过 50 个字）/ the examiner's name is required"
        elif not 4 <= len(number) <= 40:
            form.errors["examiners"] = (
                "考评员证书编号为 4–40 个字符 / the examiner's certificate number: 4 to 40 characters"
            )
        elif (problem := id_number_problem(name) or id_number_problem(number)) is not None:
            form.errors["examiners"] = problem
        else:
            found.append(Examiner(name=name, certificate_number=number))
    if not found and "examiners" not in form.errors:
        form.errors["examiners"] = "至少填写一名考评员 / at least one examiner"
    return found


def plan_request(form: PlanForm, choices: Sequence[ScopeChoice]) -> PlanCreate | None:
    """The plan to file, or None after noting each bad field on the form. Only a choice the form
    offered (the organisation's registered scope) is taken."""
    errors = form.errors
    ref = form.plan_ref.strip()
    if not _PLAN_REF.match(ref):
        errors["plan_ref"] = (
            "计划编号为 1–40 个字母、数字或 _ . -，如 DG-2026-11 / 1–40 letters, digits, _ . or -"
        )
    offered = {choice_value(c): c for c in choices}
    chosen = offered.get(form.choice)
    if chosen is None:
        errors["choice"] = "请选择本机构备案范围内的职业和等级 / choose an occupation and level of your scope"
    start, end = _date(form.exam_start), _date(form.exam_end)
    if start is None:
        errors["exam_start"] = DATE_EXAMPLE
    if end is None:
        errors["exam_end"] = DATE_EXAMPLE
    elif start is not None and end < start:
        errors["exam_end"] = "考核结束日期早于开始日期 / ends before it starts"
    examiners = _examiners(form)
    if errors or chosen is None or start is None or end is None:
        return None
    try:
        return PlanCreate(
            plan_ref=ref,
            occupation_code=chosen.occupation_code,
            subtype=chosen.subtype,
            level=chosen.level,
            exam_start=start,
            exam_end=end,
            examiners=examiners,
        )
    except ValidationError:  # every field was checked above; kept so that no input can cause a 500
        errors["plan_ref"] = "填写有误，请检查后重试 / please check the form"
        return None
