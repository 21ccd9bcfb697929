"""Assessment plans (评价计划) and the working-day calendar their publicity is counted in."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from credential_service.assessment.occupations.service import occupation_names
from credential_service.assessment.organisations import service as organisations
from credential_service.assessment.organisations.errors import OrganisationNotActive
from credential_service.assessment.organisations.models import Organisation
from credential_service.assessment.organisations.rules import (
    ACTIVE,
    ScopeChoice,
    in_scope,
    scope_choices,
    status_on,
)
from credential_service.assessment.workflow.errors import PlanNotFound
from credential_service.assessment.workflow.models import AssessmentPlan, CalendarDay
from credential_service.assessment.workflow.rules import CalendarDayKind, WorkingCalendar
from credential_service.assessment.workflow.schemas import PlanCreate
from credential_service.audit import service as audit
from credential_service.core.clock import beijing_date, utcnow
from credential_service.core.errors import Conflict, FieldError, InvalidInput


def beijing_today(now: datetime | None = None) -> date:
    """Today in Beijing: publicity periods and exam dates are Beijing dates."""
    return beijing_date(now or utcnow())


def ensure_active(
    session: Session, organisation: Organisation, now: datetime, *, issuing: bool = False
) -> None:
    """Raises OrganisationNotActive unless the organisation is active at ``now`` (to evaluate, or
    with ``issuing`` to issue)."""
    if status_on(organisations.status_history(session, organisation), now) != ACTIVE:
        if issuing:
            raise OrganisationNotActive("机构当前不可发证 / the organisation is not active")
        raise OrganisationNotActive()


def working_calendar(session: Session) -> WorkingCalendar:
    days = list(session.scalars(select(CalendarDay)))
    return WorkingCalendar(
        holidays=frozenset(d.day for d in days if d.kind == CalendarDayKind.HOLIDAY),
        make_up_workdays=frozenset(d.day for d in days if d.kind == CalendarDayKind.WORKDAY),
    )


def set_calendar_day(session: Session, day: date, kind: str, name: str, *, actor: str) -> CalendarDay:
    if kind not in tuple(CalendarDayKind):
        raise InvalidInput(
            "类型应为 holiday 或 workday / kind must be holiday or workday", [FieldError("kind", kind)]
        )
    entry = session.get(CalendarDay, day) or CalendarDay(day=day)
    entry.kind, entry.name = kind, name
    session.add(entry)
    audit.record(session, actor=actor, action="calendar.set", subject=day.isoformat(),
                 detail={"kind": kind, "name": name})  # fmt: skip
    return entry


def file_requested_plan(session: Session, organisation: Organisation, body: PlanCreate) -> AssessmentPlan:
    """File the plan an organisation asked for (the API's body, or the page's form read as one)."""
    return file_plan(
        session,
        organisation,
        plan_ref=body.plan_ref,
        occupation_code=body.occupation_code,
        subtype=body.subtype,
        level=body.level,
        exam_start=body.exam_start,
        exam_end=body.exam_end,
        examiners=[e.model_dump() for e in body.examiners],
    )


def file_plan(
    session: Session,
    organisation: Organisation,
    *,
    plan_ref: str,
    occupation_code: str,
    subtype: str | None,
    level: int,
    exam_start: date,
    exam_end: date,
    examiners: Sequence[dict[str, str]],
    now: datetime | None = None,
) -> AssessmentPlan:
    """File a plan; refused outside the organisation's scope or status on the exam dates."""
    now = now or utcnow()
    problems: list[FieldError] = []
    if exam_end < exam_start:
        problems.append(FieldError("exam_end", "考核结束日期早于开始日期 / ends before it starts"))
    ensure_active(session, organisation, now)
    for field_name, day in (("exam_start", exam_start), ("exam_end", exam_end)):
        if not in_scope(organisation, occupation_code, subtype, level, day):
            problems.append(
                FieldError(
                    field_name,
                    "不在备案范围内（职业/工种/等级/有效期）/ outside the registered scope on this date",
                )
            )
    if not examiners:
        problems.append(FieldError("examiners", "至少一名考评员 / at least one examiner"))
    if problems:
        raise InvalidInput("评价计划不符合要求 / the plan is refused", problems, "plan_refused")
    if session.scalar(
        select(AssessmentPlan.id).where(
            AssessmentPlan.organisation_id == organisation.id, AssessmentPlan.plan_ref == plan_ref
        )
    ):
        raise Conflict("计划编号已使用 / this plan reference is taken", "plan_exists")
    plan = AssessmentPlan(
        organisation_id=organisation.id,
        plan_ref=plan_ref,
        occupation_code=occupation_code,
        subtype=subtype,
        level=level,
        exam_start=exam_start,
        exam_end=exam_end,
        examiners=json.dumps(list(examiners), ensure_ascii=False),
        created_at=now,
    )
    session.add(plan)
    session.flush()
    audit.record(
        session,
        actor=f"org:{organisation.code}",
        action="plan.file",
        subject=f"{organisation.code}/{plan_ref}",
        detail={"occupation": occupation_code, "subtype": subtype, "level": level,
                "examStart": exam_start.isoformat(), "examEnd": exam_end.isoformat()},
    )  # fmt: skip
    return plan


def get_plan(session: Session, organisation: Organisation, plan_ref: str) -> AssessmentPlan:
    plan = session.scalar(
        select(AssessmentPlan).where(
            AssessmentPlan.organisation_id == organisation.id, AssessmentPlan.plan_ref == plan_ref
        )
    )
    if plan is None:
        raise PlanNotFound()
    return plan


def plans_of(session: Session, organisation: Organisation) -> list[AssessmentPlan]:
    return list(
        session.scalars(
            select(AssessmentPlan)
            .where(AssessmentPlan.organisation_id == organisation.id)
            .order_by(AssessmentPlan.created_at.desc())
        )
    )


@dataclass(frozen=True)
class PlanChoice:
    """A (occupation, 工种, level) the plan form offers, with the occupation's name."""

    choice: ScopeChoice
    occupation_name: str


def plan_choices(session: Session, organisation: Organisation, today: date) -> list[PlanChoice]:
    """What the organisation may file a plan for from ``today``: its registered scope, named."""
    choices = scope_choices(organisation, today)
    names = occupation_names(session, {c.occupation_code for c in choices})
    return [PlanChoice(c, names.get(c.occupation_code, "")) for c in choices]


def examiners_of(plan: AssessmentPlan) -> list[dict[str, str]]:
    """The plan's examiners as filed: name and certificate number."""
    found: list[dict[str, str]] = json.loads(plan.examiners)
    return found
