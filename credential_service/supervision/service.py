"""Supervision's use cases: run checks and open a case per new finding; list, read and move cases.

A finding opens one case, ever: its key (the check and its subjects) is unique in the table, and a
concurrent run that opened it first wins (the loser's insert is rolled back to a savepoint). Every
case opened and every step taken is in the audit trail.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from credential_service.audit import service as audit
from credential_service.core.clock import beijing_date, utcnow
from credential_service.core.errors import FieldError, InvalidInput
from credential_service.records.training.rules import SHANXI_CITIES
from credential_service.supervision import loading
from credential_service.supervision.errors import CaseNotFound, TransitionRefused
from credential_service.supervision.models import CaseStep, SupervisionCase
from credential_service.supervision.rules.cases import CaseStatus, Finding, Outcome, transition_problem
from credential_service.supervision.rules.registry import CHECKS, CheckSpec, reads_of

PAGE_SIZE = 50


@dataclass(frozen=True)
class CheckReport:
    """What one check found in a run, and how many of its findings opened a new case."""

    code: str
    version: int
    findings: int
    opened: int


def run_checks(
    session: Session,
    *,
    data_key: bytes,
    specs: Sequence[CheckSpec],
    scope: loading.Scope | None,
    opened_by: str,
    now: datetime | None = None,
) -> list[CheckReport]:
    """Run ``specs`` over everything (scope None) or what the scope touches; open a case for each
    finding that has none yet. Returns one report per check."""
    moment = now or utcnow()
    facts = loading.load(
        session, reads=reads_of(specs), data_key=data_key, today=beijing_date(moment), scope=scope
    )
    reports = []
    for spec in specs:
        findings = list({f.key: f for f in spec.run(facts)}.values())
        opened = open_cases(session, spec, findings, opened_by=opened_by, now=moment)
        reports.append(CheckReport(spec.code, spec.version, len(findings), opened))
    return reports


def _known_keys(session: Session, keys: Collection[str]) -> set[str]:
    known: set[str] = set()
    ordered = sorted(keys)
    for i in range(0, len(ordered), loading.IN_CHUNK):
        chunk = ordered[i : i + loading.IN_CHUNK]
        known.update(
            session.scalars(select(SupervisionCase.finding_key).where(SupervisionCase.finding_key.in_(chunk)))
        )
    return known


def open_cases(
    session: Session, spec: CheckSpec, findings: Sequence[Finding], *, opened_by: str, now: datetime
) -> int:
    """Open a case for each finding without one; returns how many were opened."""
    known = _known_keys(session, [f.key for f in findings])
    opened = 0
    for finding in findings:
        if finding.key in known:
            continue
        case = _new_case(spec, finding, opened_by=opened_by, now=now)
        try:
            with session.begin_nested():
                session.add(case)
        except IntegrityError:
            continue  # a concurrent run opened it first
        audit.record(
            session,
            actor=opened_by,
            action="case.open",
            subject=f"case:{case.public_id}",
            detail={"check": spec.code, "version": spec.version, "subjects": json.loads(case.subjects_json)},
        )
        opened += 1
    return opened


def _new_case(spec: CheckSpec, finding: Finding, *, opened_by: str, now: datetime) -> SupervisionCase:
    return SupervisionCase(
        public_id=str(uuid.uuid4()),
        finding_key=finding.key,
        check_code=spec.code,
        check_version=spec.version,
        severity=spec.severity.value,
        status=CaseStatus.OPEN.value,
        city_code=finding.city_code,
        summary=finding.summary[:1000],
        subjects_json=json.dumps([s.as_record() for s in finding.subjects], ensure_ascii=False),
        evidence_json=json.dumps([e.as_record() for e in finding.evidence], ensure_ascii=False),
        opened_by=opened_by,
        opened_at=now,
        updated_at=now,
    )


@dataclass(frozen=True)
class StepView:
    from_status: CaseStatus
    to_status: CaseStatus
    outcome: Outcome | None
    reason: str
    actor: str
    at: datetime


@dataclass(frozen=True)
class CaseView:
    case_id: str
    check: str
    check_title: str
    check_version: int
    severity: str
    status: CaseStatus
    outcome: Outcome | None
    city_code: str | None
    city_name: str | None
    summary: str
    subjects: list[dict[str, str]]
    evidence: list[dict[str, str]]
    opened_by: str
    opened_at: datetime
    updated_at: datetime
    steps: list[StepView]


def _view(case: SupervisionCase, steps: Sequence[CaseStep] = ()) -> CaseView:
    spec = CHECKS.get(case.check_code)
    return CaseView(
        case_id=case.public_id,
        check=case.check_code,
        check_title=spec.title if spec else case.check_code,
        check_version=case.check_version,
        severity=case.severity,
        status=CaseStatus(case.status),
        outcome=Outcome(case.outcome) if case.outcome else None,
        city_code=case.city_code,
        city_name=SHANXI_CITIES.get(case.city_code or ""),
        summary=case.summary,
        subjects=json.loads(case.subjects_json),
        evidence=json.loads(case.evidence_json),
        opened_by=case.opened_by,
        opened_at=case.opened_at,
        updated_at=case.updated_at,
        steps=[
            StepView(
                CaseStatus(s.from_status),
                CaseStatus(s.to_status),
                Outcome(s.outcome) if s.outcome else None,
                s.reason,
                s.actor,
                s.at,
            )
            for s in steps
        ],
    )


@dataclass(frozen=True)
class CaseFilter:
    kind: str | None = None
    status: CaseStatus | None = None
    city: str | None = None


def case_filter(kind: str | None, status: str | None, city: str | None) -> CaseFilter:
    """The list's filters from their text; InvalidInput names each unknown one."""
    problems = []
    if kind and kind not in CHECKS:
        problems.append(FieldError("kind", "没有这项检查 / no such check"))
    if status and status not in set(CaseStatus):
        problems.append(FieldError("status", "状态应为 open、investigating 或 closed / unknown status"))
    if city and city not in SHANXI_CITIES:
        problems.append(FieldError("city", "没有这个城市代码（如 140100 太原） / unknown city code"))
    if problems:
        raise InvalidInput("筛选条件有误 / invalid filter", problems)
    return CaseFilter(kind or None, CaseStatus(status) if status else None, city or None)


def list_cases(session: Session, wanted: CaseFilter, *, page: int = 1) -> tuple[list[CaseView], int]:
    """Cases matching the filter, newest first (a page of them), and how many match in all."""
    query = select(SupervisionCase)
    if wanted.kind:
        query = query.where(SupervisionCase.check_code == wanted.kind)
    if wanted.status:
        query = query.where(SupervisionCase.status == wanted.status.value)
    if wanted.city:
        query = query.where(SupervisionCase.city_code == wanted.city)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(SupervisionCase.opened_at.desc(), SupervisionCase.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    )
    return [_view(case) for case in rows], total


def _case(session: Session, public_id: str, *, lock: bool = False) -> SupervisionCase:
    query = select(SupervisionCase).where(SupervisionCase.public_id == public_id)
    found = session.scalar(query.with_for_update() if lock else query)
    if found is None:
        raise CaseNotFound()
    return found


def get_case(session: Session, public_id: str) -> CaseView:
    """One case with its steps; raises CaseNotFound."""
    case = _case(session, public_id)
    steps = session.scalars(select(CaseStep).where(CaseStep.case_id == case.id).order_by(CaseStep.id))
    return _view(case, list(steps))


def transition(
    session: Session,
    public_id: str,
    *,
    status: CaseStatus,
    outcome: Outcome | None,
    reason: str,
    actor: str,
    now: datetime | None = None,
) -> CaseView:
    """Move a case (open → investigating → closed, or open → closed) with a reason; closing names an
    outcome. Raises CaseNotFound, TransitionRefused. Nothing else changes: a confirmed case's
    consequences (revocation, suspension, recovery) are taken on their own paths."""
    moment = now or utcnow()
    case = _case(session, public_id, lock=True)
    current = CaseStatus(case.status)
    problem = transition_problem(current, status, outcome)
    if problem is not None:
        raise TransitionRefused(problem)
    session.add(
        CaseStep(
            case_id=case.id,
            from_status=current.value,
            to_status=status.value,
            outcome=outcome.value if outcome else None,
            reason=reason,
            actor=actor,
            at=moment,
        )
    )
    case.status, case.outcome, case.updated_at = status.value, outcome.value if outcome else None, moment
    detail: dict[str, Any] = {
        "from": current.value,
        "to": status.value,
        "reason": reason,
        "check": case.check_code,
    }
    if outcome is not None:
        detail["outcome"] = outcome.value
    audit.record(
        session, actor=actor, action="case.transition", subject=f"case:{case.public_id}", detail=detail
    )
    return get_case(session, public_id)


@dataclass(frozen=True)
class OpenCases:
    check: str
    check_title: str
    city_code: str | None
    count: int


def open_cases_by_check_and_city(session: Session) -> list[OpenCases]:
    """Cases not yet closed (open or investigating) per check and city, most first (the dashboard)."""
    rows = session.execute(
        select(SupervisionCase.check_code, SupervisionCase.city_code, func.count())
        .where(SupervisionCase.status != CaseStatus.CLOSED.value)
        .group_by(SupervisionCase.check_code, SupervisionCase.city_code)
    )
    found = [
        OpenCases(code, CHECKS[code].title if code in CHECKS else code, city, n) for code, city, n in rows
    ]
    return sorted(found, key=lambda c: (-c.count, c.check_title, c.city_code or ""))


def pass_rate_outliers(session: Session, *, limit: int = 20) -> list[CaseView]:
    """The pass-rate outliers found, not closed as no issue, newest first (the dashboard)."""
    cases = session.scalars(
        select(SupervisionCase)
        .where(
            SupervisionCase.check_code == "pass_rate_outlier",
            (SupervisionCase.outcome.is_(None)) | (SupervisionCase.outcome != Outcome.NO_ISSUE.value),
        )
        .order_by(SupervisionCase.opened_at.desc(), SupervisionCase.id.desc())
        .limit(limit)
    )
    return [_view(case) for case in cases]


def counts_by_check(session: Session) -> dict[str, dict[str, int]]:
    """Cases per check and status (for the command line's summary)."""
    rows = session.execute(
        select(SupervisionCase.check_code, SupervisionCase.status, func.count()).group_by(
            SupervisionCase.check_code, SupervisionCase.status
        )
    )
    counts: dict[str, dict[str, int]] = {}
    for code, status, n in rows:
        counts.setdefault(code, {})[status] = n
    return counts
