"""Publicity (公示): the public list of passing candidates, and objections to them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from credential_service.assessment.occupations.service import occupation_names
from credential_service.assessment.organisations.models import Organisation
from credential_service.assessment.workflow.errors import (
    CandidateNotFound,
    ObjectionNotFound,
    ObjectionResolved,
)
from credential_service.assessment.workflow.models import (
    AssessmentPlan,
    Candidate,
    Objection,
    ResultSubmission,
)
from credential_service.assessment.workflow.plans import beijing_today
from credential_service.assessment.workflow.rules import CandidateState, ObjectionStatus
from credential_service.audit import service as audit
from credential_service.certificates.rules import SkillLevel
from credential_service.core.clock import utcnow
from credential_service.core.errors import Conflict, FieldError, InvalidInput
from credential_service.identity.models import Person
from credential_service.identity.rules import id_number_problem, mask_name


def lodge_objection(
    session: Session, candidate_public_id: str, reason: str, *, now: datetime | None = None
) -> Objection:
    """Anyone may object to a candidate while the publicity runs; the candidate is then held back."""
    now = now or utcnow()
    candidate = session.scalar(select(Candidate).where(Candidate.public_id == candidate_public_id))
    if candidate is None or candidate.state != CandidateState.PUBLICISED:
        raise CandidateNotFound()
    submission = session.get_one(ResultSubmission, candidate.submission_id)
    if beijing_today(now) > submission.publicity_ends_on:
        raise Conflict("公示期已结束 / the publicity period is over", "publicity_over")
    if len(reason.strip()) < 10:
        raise InvalidInput(
            "请具体说明异议理由 / describe the objection", [FieldError("reason", "at least 10 characters")]
        )
    if (problem := id_number_problem(reason)) is not None:  # the API and the page's form alike
        raise InvalidInput(
            "异议理由中不得填写身份证件号码 / leave ID numbers out of the objection",
            [FieldError("reason", problem)],
        )
    objection = Objection(
        public_id=str(uuid.uuid4()),
        candidate_id=candidate.id,
        lodged_at=now,
        reason=reason.strip(),
        status=ObjectionStatus.OPEN.value,
    )
    session.add(objection)
    session.flush()
    audit.record(session, actor="public", action="objection.lodge", subject=objection.public_id,
                 detail={"candidate": candidate.public_id, "submission": submission.public_id})  # fmt: skip
    return objection


def resolve_objection(
    session: Session,
    objection_public_id: str,
    *,
    upheld: bool,
    actor: str,
    resolution: str,
    now: datetime | None = None,
) -> Objection:
    """Upheld: the candidate gets no certificate from this batch. Dismissed: the hold is lifted."""
    objection = session.scalar(select(Objection).where(Objection.public_id == objection_public_id))
    if objection is None:
        raise ObjectionNotFound()
    if objection.status != ObjectionStatus.OPEN:
        raise ObjectionResolved()
    objection.status = (ObjectionStatus.UPHELD if upheld else ObjectionStatus.DISMISSED).value
    objection.resolved_by, objection.resolved_at, objection.resolution = actor, now or utcnow(), resolution
    if upheld:
        session.get_one(Candidate, objection.candidate_id).state = CandidateState.WITHDRAWN.value
    audit.record(session, actor=actor, action="objection.resolve", subject=objection.public_id,
                 detail={"outcome": objection.status})  # fmt: skip
    return objection


@dataclass(frozen=True)
class PublicCandidate:
    candidate_id: str
    name_masked: str
    id_number_masked: str
    organisation: str
    occupation_code: str
    occupation_name: str
    subtype: str
    level: str
    publicity_ends_on: date


def under_publicity(
    session: Session, *, now: datetime | None = None, limit: int = 200, offset: int = 0
) -> list[PublicCandidate]:
    """The public 公示 list: masked names and numbers of passing candidates whose publicity runs."""
    today = beijing_today(now)
    rows = session.execute(
        select(Candidate, ResultSubmission, AssessmentPlan, Organisation, Person)
        .join(ResultSubmission, ResultSubmission.id == Candidate.submission_id)
        .join(AssessmentPlan, AssessmentPlan.id == ResultSubmission.plan_id)
        .join(Organisation, Organisation.id == ResultSubmission.organisation_id)
        .join(Person, Person.id == Candidate.person_id)
        .where(Candidate.state == CandidateState.PUBLICISED, ResultSubmission.publicity_ends_on >= today)
        .order_by(ResultSubmission.publicity_ends_on, Candidate.row_number)
        .limit(limit)
        .offset(offset)
    ).all()
    names = occupation_names(session, {plan.occupation_code for _, _, plan, _, _ in rows})
    return [
        PublicCandidate(
            candidate_id=c.public_id,
            name_masked=mask_name(p.name),
            id_number_masked=p.id_number_masked,
            organisation=o.name,
            occupation_code=plan.occupation_code,
            occupation_name=names.get(plan.occupation_code, ""),
            subtype=plan.subtype or "--",
            level=SkillLevel(plan.level).title_zh,
            publicity_ends_on=s.publicity_ends_on,
        )
        for c, s, plan, o, p in rows
    ]


@dataclass(frozen=True)
class ObjectionView:
    """An objection as the organisation and the department read it: about whom (masked), in which
    batch, why, and how it was resolved."""

    objection_id: str
    lodged_at: datetime
    reason: str
    status: str  # open / upheld / dismissed
    resolution: str | None
    resolved_at: datetime | None
    resolved_by: str | None
    row_number: int
    name_masked: str
    id_number_masked: str
    organisation_code: str
    organisation_name: str
    plan_ref: str
    occupation_code: str
    subtype: str | None
    level: str
    submission_id: str
    publicity_ends_on: date


def objections(
    session: Session,
    *,
    organisation: Organisation | None = None,
    submission: ResultSubmission | None = None,
    open_only: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[ObjectionView], int]:
    """One page of objections, open ones first then newest first, and how many there are: all of
    them (the department), one organisation's, or one batch's."""
    query = (
        select(Objection, Candidate, ResultSubmission, AssessmentPlan, Organisation, Person)
        .join(Candidate, Candidate.id == Objection.candidate_id)
        .join(ResultSubmission, ResultSubmission.id == Candidate.submission_id)
        .join(AssessmentPlan, AssessmentPlan.id == ResultSubmission.plan_id)
        .join(Organisation, Organisation.id == ResultSubmission.organisation_id)
        .join(Person, Person.id == Candidate.person_id)
    )
    if organisation is not None:
        query = query.where(ResultSubmission.organisation_id == organisation.id)
    if submission is not None:
        query = query.where(ResultSubmission.id == submission.id)
    if open_only:
        query = query.where(Objection.status == ObjectionStatus.OPEN)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(
        query.order_by(
            (Objection.status != ObjectionStatus.OPEN.value), Objection.lodged_at.desc(), Objection.id.desc()
        )
        .limit(limit)
        .offset(offset)
    ).all()
    return [
        ObjectionView(
            objection_id=o.public_id,
            lodged_at=o.lodged_at,
            reason=o.reason,
            status=o.status,
            resolution=o.resolution,
            resolved_at=o.resolved_at,
            resolved_by=o.resolved_by,
            row_number=c.row_number,
            name_masked=mask_name(p.name),
            id_number_masked=p.id_number_masked,
            organisation_code=org.code,
            organisation_name=org.name,
            plan_ref=plan.plan_ref,
            occupation_code=plan.occupation_code,
            subtype=plan.subtype,
            level=SkillLevel(plan.level).title_zh,
            submission_id=s.public_id,
            publicity_ends_on=s.publicity_ends_on,
        )
        for o, c, s, plan, org, p in rows
    ], total


def objection_counts(session: Session, organisation: Organisation) -> dict[str, tuple[int, int]]:
    """Per batch (submission id) of the organisation: objections received, and how many are open."""
    rows = session.execute(
        select(ResultSubmission.public_id, Objection.status, func.count())
        .join(Candidate, Candidate.id == Objection.candidate_id)
        .join(ResultSubmission, ResultSubmission.id == Candidate.submission_id)
        .where(ResultSubmission.organisation_id == organisation.id)
        .group_by(ResultSubmission.public_id, Objection.status)
    ).all()
    counts: dict[str, tuple[int, int]] = {}
    for submission_id, status, n in rows:
        received, still_open = counts.get(submission_id, (0, 0))
        counts[submission_id] = (received + n, still_open + (n if status == ObjectionStatus.OPEN else 0))
    return counts
