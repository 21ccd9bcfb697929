"""The evaluation workflow: plans, result submissions, publicity (公示) with objections, issuance.

Issuance is per candidate, each in its own transaction (number, credential, status entries, file
entry and the candidate's state together), so a crash leaves every candidate either fully issued or
untouched, and a re-run completes the batch without a duplicate or a gap in the numbers.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import jwt
from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, lazyload

from credential_service.assessment import client_keys, organisations
from credential_service.assessment.models import AssessmentPlan, Organisation
from credential_service.assessment.occupations import builtin_occupation
from credential_service.assessment.organisation_models import OrganisationClientKey
from credential_service.assessment.result_rows import CheckedChunk, Identity, SheetSummary, check_rows
from credential_service.assessment.result_sheet import SheetRow
from credential_service.assessment.rules import in_scope, status_on
from credential_service.assessment.workflow_models import (
    CalendarDay,
    Candidate,
    Objection,
    ResultSubmission,
    SheetIdentity,
)
from credential_service.assessment.workflow_rules import PUBLICITY_WORKING_DAYS, WorkingCalendar
from credential_service.audit import service as audit
from credential_service.certificates import service as certificates
from credential_service.certificates.credential import Occupation
from credential_service.certificates.rules import SkillLevel
from credential_service.core.clock import BEIJING, beijing_date, to_xsd, utcnow
from credential_service.core.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from credential_service.crypto.jcs import canonical_json
from credential_service.crypto.keystore import FileKeyStore
from credential_service.identity import service as identity
from credential_service.identity.models import Person
from credential_service.identity.rules import DocumentType, blind_index, id_number_problem, mask_name
from credential_service.issuers import service as issuers
from credential_service.records import service as records
from credential_service.records.rules import EntryKind
from credential_service.runtime import Runtime
from credential_service.transparency import service as transparency_log
from credential_service.transparency.schedule import checkpoint_if_grown

# Batch issuance signs a transparency-log checkpoint every N certificates (and at the end), not
# one per certificate: early certificates become provable within seconds, at 1/N of the rows.
CHECKPOINT_EVERY = 200


def beijing_today(now: datetime | None = None) -> date:
    return beijing_date(now or utcnow())


class PlanNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("没有这个评价计划 / no such assessment plan", code="plan_not_found")


class RowsRejected(InvalidInput):
    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(
            "成绩表有错误，未作任何记录；请更正后重新提交 / the sheet has errors and nothing was recorded",
            errors,
            "rows_rejected",
        )


# --- calendar -------------------------------------------------------------------------------------


def working_calendar(session: Session) -> WorkingCalendar:
    days = list(session.scalars(select(CalendarDay)))
    return WorkingCalendar(
        holidays=frozenset(d.day for d in days if d.kind == "holiday"),
        make_up_workdays=frozenset(d.day for d in days if d.kind == "workday"),
    )


def set_calendar_day(session: Session, day: date, kind: str, name: str, *, actor: str) -> CalendarDay:
    if kind not in ("holiday", "workday"):
        raise InvalidInput(
            "类型应为 holiday 或 workday / kind must be holiday or workday", [FieldError("kind", kind)]
        )
    entry = session.get(CalendarDay, day) or CalendarDay(day=day)
    entry.kind, entry.name = kind, name
    session.add(entry)
    audit.record(session, actor=actor, action="calendar.set", subject=day.isoformat(),
                 detail={"kind": kind, "name": name})  # fmt: skip
    return entry


# --- plans ----------------------------------------------------------------------------------------


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
    if status_on(organisations.status_history(session, organisation), now) != "active":
        raise Forbidden("机构当前不可开展评价 / the organisation is not active", "organisation_not_active")
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


# --- result submissions ---------------------------------------------------------------------------


def sign_submission(
    keystore: FileKeyStore, session: Session, organisation_code: str, statement: dict[str, Any]
) -> tuple[str, str]:
    """A JWS, with the organisation's issuing key, of what was submitted: the SHA-256 of the exact
    bytes received, the plan and the format (signing the digest lets uploads stream)."""
    issuer = issuers.get_issuer(session, organisation_code)
    key = issuers.active_key(issuer)
    signed = jwt.api_jws.encode(
        canonical_json(statement),
        keystore.ed25519_private_key(key.keystore_id),
        algorithm="EdDSA",
        headers={"kid": key.verification_method, "cty": "application/json"},
    )
    return signed, key.verification_method


class _SheetLookups:
    """``SheetLookups`` for one check of one sheet: one query per chunk for each look-up, and the
    sheet's identities noted in ``sheet_identities`` (not in memory)."""

    def __init__(self, session: Session, data_key: bytes, plan: AssessmentPlan, sheet_id: str) -> None:
        self.session, self.data_key, self.plan, self.sheet_id = session, data_key, plan, sheet_id

    def _indexes(self, identities: Iterable[Identity]) -> dict[str, Identity]:
        return {blind_index(self.data_key, t, n): (t, n) for t, n in identities}

    def earlier_rows(self, first_rows: Mapping[Identity, int]) -> dict[Identity, int]:
        indexes = self._indexes(first_rows)
        if not indexes:
            return {}
        earlier = {
            indexes[key]: row
            for key, row in self.session.execute(
                select(SheetIdentity.identity_key, SheetIdentity.row_number).where(
                    SheetIdentity.sheet_id == self.sheet_id, SheetIdentity.identity_key.in_(list(indexes))
                )
            )
        }
        noted = [
            {"sheet_id": self.sheet_id, "identity_key": key, "row_number": first_rows[who]}
            for key, who in indexes.items()
            if who not in earlier
        ]
        if noted:
            self.session.execute(insert(SheetIdentity), noted)
        return earlier

    def recorded_names(self, identities: Collection[Identity]) -> dict[Identity, str]:
        indexes = self._indexes(identities)
        people = identity.people_by_blind_index(self.session, indexes.keys())
        return {indexes[key]: person.name for key, person in people.items()}

    def certificate_holders(self, identities: Collection[Identity]) -> set[Identity]:
        indexes = self._indexes(identities)
        held = certificates.holders_of_valid_certificate(
            self.session,
            indexes.keys(),
            occupation_code=self.plan.occupation_code,
            subtype=self.plan.subtype,
            level=SkillLevel(self.plan.level),
        )
        return {indexes[key] for key in held}

    def forget(self) -> None:
        """The check is over: drop the sheet's noted identities."""
        self.session.execute(delete(SheetIdentity).where(SheetIdentity.sheet_id == self.sheet_id))


def check_sheet(
    session: Session,
    data_key: bytes,
    plan: AssessmentPlan,
    rows: Iterable[SheetRow],
    *,
    sheet_id: str,
    record: Callable[[CheckedChunk], None] | None = None,
    stop_recording_on_error: bool = True,
) -> SheetSummary:
    """Check a sheet chunk by chunk (``result_rows.check_rows``), handing each chunk's good rows to
    ``record`` before the next chunk is read; after the first bad row (with
    ``stop_recording_on_error``) rows are only checked, so that every problem is still reported.

    Memory stays flat however long the sheet: one chunk, the counts and the first
    ``MAX_LISTED_ERRORS`` problems.
    """
    lookups = _SheetLookups(session, data_key, plan, sheet_id)
    summary = SheetSummary()
    for chunk in check_rows(rows, level=plan.level, lookups=lookups):
        summary.add(chunk)
        if record is not None and not (stop_recording_on_error and summary.rows_rejected):
            record(chunk)
    lookups.forget()
    return summary


def submit_results(
    session: Session,
    keystore: FileKeyStore,
    data_key: bytes,
    organisation: Organisation,
    *,
    plan_ref: str,
    rows: Iterable[SheetRow],
    source: str,
    content_sha256: str,
    idempotency_key: str | None = None,
    accept_valid_rows: bool = False,
    content_signature: str | None = None,
    publicity_days: int = PUBLICITY_WORKING_DAYS,
    now: datetime | None = None,
) -> ResultSubmission:
    """Record a result sheet and start its publicity.

    ``content_sha256`` is the SHA-256 of the exact bytes received. ``content_signature``, when the
    organisation sent one (header ``X-Content-Signature``), must be its detached JWS over those
    bytes with one of its registered, unrevoked keys: it is checked before anything else and kept
    as evidence (raises ContentSignatureRejected, recording nothing).

    The same sheet sent twice (same idempotency key, or identical content) is recorded once: the
    first submission is returned. A sheet with any bad row raises RowsRejected and records nothing,
    unless ``accept_valid_rows``, when the good rows are recorded and the others reported.
    Rows are read, checked and recorded a chunk at a time: memory does not grow with the sheet.
    """
    now = now or utcnow()
    digest = content_sha256
    client_key = (
        client_keys.check_content_signature(session, organisation, content_signature, digest)
        if content_signature is not None
        else None
    )
    existing = _already_submitted(session, organisation, digest, idempotency_key)
    if existing is not None:
        return existing
    plan = get_plan(session, organisation, plan_ref)
    if status_on(organisations.status_history(session, organisation), now) != "active":
        raise Forbidden("机构当前不可开展评价 / the organisation is not active", "organisation_not_active")
    statement: dict[str, Any] = {
        "sha256": digest,
        "organisation": organisation.code,
        "plan": plan_ref,
        "source": source,
        "signedAt": to_xsd(now),
    }
    if client_key is not None:
        statement["clientKey"] = client_key.kid  # the organisation's own signature is kept alongside
    signature, signed_by = sign_submission(keystore, session, organisation.code, statement)
    published = beijing_today(now)
    submission = ResultSubmission(
        public_id=str(uuid.uuid4()),
        organisation_id=organisation.id,
        plan_id=plan.id,
        idempotency_key=idempotency_key,
        content_sha256=digest,
        source=source,
        signature=signature,
        signed_by=signed_by,
        client_signature=content_signature.strip() if client_key is not None and content_signature else None,
        client_key_id=client_key.id if client_key is not None else None,
        rows_total=0,
        rows_accepted=0,
        rejected_rows="[]",
        state="publicity",
        published_on=published,
        publicity_ends_on=working_calendar(session).add_working_days(published, publicity_days),
        created_at=now,
    )
    with session.begin_nested():  # a refused sheet leaves nothing behind, whatever the caller does
        try:
            with session.begin_nested():
                session.add(submission)
        except IntegrityError:
            # The same sheet committed by a concurrent request meanwhile: that one is the submission.
            existing = _already_submitted(session, organisation, digest, idempotency_key)
            if existing is None:
                raise
            return existing
        summary = check_sheet(
            session,
            data_key,
            plan,
            rows,
            sheet_id=submission.public_id,
            record=lambda chunk: _record_chunk(
                session, data_key, organisation=organisation, plan=plan, submission=submission, chunk=chunk
            ),
            stop_recording_on_error=not accept_valid_rows,
        )
        if summary.rows_rejected and not accept_valid_rows:
            raise RowsRejected(summary.listed_errors())
        if not summary.accepted:
            raise RowsRejected(
                summary.listed_errors() or [FieldError("rows", "没有任何成绩行 / no result rows")]
            )
        submission.rows_total = summary.rows_read
        submission.rows_accepted = summary.accepted
        submission.rejected_rows = json.dumps(
            [{"loc": e.loc, "reason": e.reason} for e in summary.listed_errors()], ensure_ascii=False
        )
        audit.record(
            session,
            actor=f"org:{organisation.code}",
            action="submission.record",
            subject=submission.public_id,
            detail={"plan": plan.plan_ref, "sha256": submission.content_sha256,
                    "rowsRead": summary.rows_read, "rowsAccepted": summary.accepted},
        )  # fmt: skip
    return submission


def _already_submitted(
    session: Session, organisation: Organisation, digest: str, idempotency_key: str | None
) -> ResultSubmission | None:
    return session.scalar(
        select(ResultSubmission).where(
            ResultSubmission.organisation_id == organisation.id,
            (ResultSubmission.content_sha256 == digest)
            | (
                (ResultSubmission.idempotency_key == idempotency_key)
                & (ResultSubmission.idempotency_key.is_not(None))
            ),
        )
    )


def _record_chunk(
    session: Session,
    data_key: bytes,
    *,
    organisation: Organisation,
    plan: AssessmentPlan,
    submission: ResultSubmission,
    chunk: CheckedChunk,
) -> None:
    """Record a chunk of good rows in bulk: people (found or created), candidates, and the exam result
    in each person's file. Core inserts: no ORM object is kept per row."""
    if not chunk.rows:
        return
    people = identity.register_people(
        session,
        data_key,
        [(identity.Identity(row.document_type, row.id_number), row.name) for row in chunk.rows],
    )
    exam_day = datetime.combine(plan.exam_end, datetime.min.time(), BEIJING)
    level = SkillLevel(plan.level).title_zh
    candidates: list[dict[str, Any]] = []
    entries: list[records.NewEntry] = []
    for row in chunk.rows:
        person = people[blind_index(data_key, row.document_type, row.id_number)]
        candidates.append(
            {
                "public_id": str(uuid.uuid4()),
                "submission_id": submission.id,
                "person_id": person.id,
                "row_number": row.row_number,
                "theory": row.scores.theory,
                "skill": row.scores.skill,
                "review": row.scores.review,
                "passed": row.passed,
                "state": "publicised" if row.passed else "failed",
            }
        )
        entries.append(
            records.NewEntry(
                person_id=person.id,
                kind=EntryKind.EXAM_RESULT,
                payload={
                    "organisation": organisation.name,
                    "occupationCode": plan.occupation_code,
                    "subtype": plan.subtype or "--",
                    "level": level,
                    "theory": row.scores.theory,
                    "skill": row.scores.skill,
                    "review": row.scores.review,
                    "result": "pass" if row.passed else "fail",
                    "examDate": plan.exam_end.isoformat(),
                },
                source=f"organisation:{organisation.code}",
                occurred_at=exam_day,
                idempotency_key=f"exam:{submission.public_id}:{person.public_id}",
            )
        )
    session.execute(insert(Candidate), candidates)
    records.append_entries(session, entries)


def get_submission(session: Session, organisation: Organisation, public_id: str) -> ResultSubmission:
    found = session.scalar(
        select(ResultSubmission).where(
            ResultSubmission.public_id == public_id, ResultSubmission.organisation_id == organisation.id
        )
    )
    if found is None:
        raise NotFound("没有这个提交 / no such submission", "submission_not_found")
    return found


def issued_certificate_numbers(
    session: Session, submission_public_id: str, *, organisation_code: str | None = None
) -> list[str]:
    """The certificate numbers issued from a submission (a batch), in number order.

    With ``organisation_code`` only that organisation's own submissions are found. Raises NotFound,
    also for another organisation's submission (as ``get_submission``).
    """
    query = select(ResultSubmission.id).where(ResultSubmission.public_id == submission_public_id)
    if organisation_code is not None:
        query = query.join(Organisation, Organisation.id == ResultSubmission.organisation_id).where(
            Organisation.code == organisation_code
        )
    submission_id = session.scalar(query)
    if submission_id is None:
        raise NotFound("没有这个提交 / no such submission", "submission_not_found")
    numbers = session.scalars(
        select(Candidate.certificate_number).where(
            Candidate.submission_id == submission_id, Candidate.state == "issued"
        )
    )
    return sorted(n for n in numbers if n)


@dataclass(frozen=True)
class SubmissionReport:
    public_id: str
    plan_ref: str
    state: str
    published_on: date
    publicity_ends_on: date
    submitted: int
    accepted: int
    passed: int
    failed: int
    held: int  # passed, with an open objection
    withdrawn: int  # objection upheld
    issued: int
    rejected_rows: list[dict[str, Any]]
    client_kid: str | None = None  # the organisation's own key that signed the sheet, if it did


def report(session: Session, submission: ResultSubmission) -> SubmissionReport:
    counts = dict(
        session.execute(
            select(Candidate.state, func.count())
            .where(Candidate.submission_id == submission.id)
            .group_by(Candidate.state)
        ).all()
    )
    held = (
        session.scalar(
            select(func.count(func.distinct(Objection.candidate_id)))
            .join(Candidate, Candidate.id == Objection.candidate_id)
            .where(Candidate.submission_id == submission.id, Objection.status == "open")
        )
        or 0
    )
    plan = session.get_one(AssessmentPlan, submission.plan_id)
    passed = sum(counts.get(s, 0) for s in ("publicised", "withdrawn", "issued"))
    return SubmissionReport(
        public_id=submission.public_id,
        plan_ref=plan.plan_ref,
        state=submission.state,
        published_on=submission.published_on,
        publicity_ends_on=submission.publicity_ends_on,
        submitted=submission.rows_total,
        accepted=submission.rows_accepted,
        passed=passed,
        failed=counts.get("failed", 0),
        held=held,
        withdrawn=counts.get("withdrawn", 0),
        issued=counts.get("issued", 0),
        rejected_rows=json.loads(submission.rejected_rows),
        client_kid=session.scalar(
            select(OrganisationClientKey.kid).where(OrganisationClientKey.id == submission.client_key_id)
        )
        if submission.client_key_id is not None
        else None,
    )


# --- publicity and objections ---------------------------------------------------------------------


def lodge_objection(
    session: Session, candidate_public_id: str, reason: str, *, now: datetime | None = None
) -> Objection:
    """Anyone may object to a candidate while the publicity runs; the candidate is then held back."""
    now = now or utcnow()
    candidate = session.scalar(select(Candidate).where(Candidate.public_id == candidate_public_id))
    if candidate is None or candidate.state != "publicised":
        raise NotFound("没有正在公示的这名考生 / no such candidate under publicity", "candidate_not_found")
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
        status="open",
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
        raise NotFound("没有这个异议 / no such objection", "objection_not_found")
    if objection.status != "open":
        raise Conflict("该异议已处理 / already resolved", "objection_resolved")
    objection.status = "upheld" if upheld else "dismissed"
    objection.resolved_by, objection.resolved_at, objection.resolution = actor, now or utcnow(), resolution
    if upheld:
        session.get_one(Candidate, objection.candidate_id).state = "withdrawn"
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
        .where(Candidate.state == "publicised", ResultSubmission.publicity_ends_on >= today)
        .order_by(ResultSubmission.publicity_ends_on, Candidate.row_number)
        .limit(limit)
        .offset(offset)
    ).all()
    return [
        PublicCandidate(
            candidate_id=c.public_id,
            name_masked=mask_name(p.name),
            id_number_masked=p.id_number_masked,
            organisation=o.name,
            occupation_code=plan.occupation_code,
            subtype=plan.subtype or "--",
            level=SkillLevel(plan.level).title_zh,
            publicity_ends_on=s.publicity_ends_on,
        )
        for c, s, plan, o, p in rows
    ]


# --- issuance -------------------------------------------------------------------------------------


def _occupation(plan: AssessmentPlan) -> Occupation:
    try:
        name = builtin_occupation(plan.occupation_code).name
    except KeyError:
        name = plan.occupation_code
    return Occupation(plan.occupation_code, name, plan.subtype)


def due_candidates(session: Session, submission: ResultSubmission) -> list[int]:
    """Passing candidates not yet issued and without an open objection, in sheet order."""
    open_objection = select(Objection.id).where(
        Objection.candidate_id == Candidate.id, Objection.status == "open"
    )
    return list(
        session.scalars(
            select(Candidate.id)
            .where(
                Candidate.submission_id == submission.id,
                Candidate.state == "publicised",
                ~open_objection.exists(),
            )
            .order_by(Candidate.row_number)
        )
    )


def issue_submission(
    runtime: Runtime,
    organisation_code: str,
    submission_public_id: str,
    *,
    now: datetime | None = None,
    on_issued: Callable[[str], None] | None = None,
    actor: str | None = None,
) -> int:
    """Issue the certificates of a submission whose publicity is over; safe to run again after a crash.

    Returns how many certificates this run issued. Raises Conflict while the publicity still runs.
    """
    now = now or utcnow()
    with runtime.session() as session:
        organisation = organisations.get_organisation(session, organisation_code)
        submission = get_submission(session, organisation, submission_public_id)
        if beijing_today(now) <= submission.publicity_ends_on:
            raise Conflict(
                f"公示期至 {submission.publicity_ends_on} 结束，之后才能发证 / publicity runs until "
                f"{submission.publicity_ends_on}",
                "publicity_running",
            )
        if status_on(organisations.status_history(session, organisation), now) != "active":
            raise Forbidden("机构当前不可发证 / the organisation is not active", "organisation_not_active")
        due = due_candidates(session, submission)
        submission_id = submission.id
        # What every certificate of the batch shares; a plan never changes once results are in.
        plan = session.get_one(AssessmentPlan, submission.plan_id)
        occupation, level, exam_date = _occupation(plan), SkillLevel(plan.level), plan.exam_end
        code = organisation.code
    actor = actor or f"org:{code}"
    data_key, settings = runtime.settings.data_key_bytes, runtime.issuance
    issued = 0
    for candidate_id in due:
        with runtime.session() as session:  # one candidate, one transaction
            candidate = session.get(Candidate, candidate_id, with_for_update=True)
            if candidate is None or candidate.state != "publicised":
                continue  # another run got there first
            person = session.get_one(Person, candidate.person_id, options=[lazyload(Person.cards)])
            record = certificates.issue_skill_certificate(
                session,
                runtime.keystore,
                settings,
                # read in this transaction: a key retired or compromised meanwhile is never used
                issuer=issuers.get_issuer(session, code),
                holder=certificates.Holder(
                    person.name,
                    DocumentType(person.document_type),
                    identity.clear_id_number(data_key, person),
                ),
                occupation=occupation,
                level=level,
                data_key=data_key,
                exam_date=exam_date,
                idempotency_key=f"candidate:{candidate.public_id}",
                now=now,
                actor=actor,
            )
            if (issued + 1) % CHECKPOINT_EVERY:  # a signed checkpoint every N certificates, and at the end
                transparency_log.skip_checkpoint_at_commit(session)
            candidate.state, candidate.certificate_number, candidate.issued_at = (
                "issued",
                record.certificate_number,
                now,
            )
            issued += 1
        if on_issued is not None and record.certificate_number:
            on_issued(record.certificate_number)
    with runtime.session() as session:
        submission = session.get_one(ResultSubmission, submission_id)
        waiting = session.scalar(  # due, or held back by an open objection
            select(func.count())
            .select_from(Candidate)
            .where(Candidate.submission_id == submission_id, Candidate.state == "publicised")
        )
        if not waiting:
            submission.state, submission.issued_at = "issued", submission.issued_at or now
    checkpoint_if_grown(runtime.log_signer)  # the transparency log signs a checkpoint after every batch
    return issued


# --- report to the national database ----------------------------------------------------------------

NATIONAL_COLUMNS = (
    "姓名",
    "证件类型",
    "证件号码",
    "职业名称",
    "职业编码",
    "工种",
    "职业技能等级",
    "证书编号",
    "评价机构名称",
    "发证日期",
)
_DOCUMENT_TYPE_NAMES = {
    "resident_id": "居民身份证",
    "hk_mo_residence": "港澳居民居住证",
    "tw_residence": "台湾居民居住证",
    "foreign_permanent": "外国人永久居留身份证",
    "hk_mo_pass": "港澳居民来往内地通行证",
    "tw_pass": "台湾居民来往大陆通行证",
    "passport": "护照",
    "other": "其他",
}


def national_rows(
    session: Session, data_key: bytes, submission: ResultSubmission, *, actor: str
) -> list[list[str]]:
    """The issued certificates of a submission in the field layout of the national database.

    The national database needs the clear ID number, so this export is audited as a reveal.
    """
    plan = session.get_one(AssessmentPlan, submission.plan_id)
    organisation = session.get_one(Organisation, submission.organisation_id)
    occupation = _occupation(plan)
    rows = []
    for candidate, person in session.execute(
        select(Candidate, Person)
        .join(Person, Person.id == Candidate.person_id)
        .where(Candidate.submission_id == submission.id, Candidate.state == "issued")
        .order_by(Candidate.certificate_number)
    ).all():
        issued = beijing_date(candidate.issued_at).isoformat() if candidate.issued_at else ""
        rows.append(
            [
                person.name,
                _DOCUMENT_TYPE_NAMES.get(person.document_type, person.document_type),
                identity.clear_id_number(data_key, person),
                occupation.name,
                occupation.code,
                occupation.subtype or "--",
                SkillLevel(plan.level).title_zh,
                candidate.certificate_number or "",
                organisation.name,
                issued,
            ]
        )
    audit.record(
        session,
        actor=actor,
        action="submission.national_export",
        subject=f"submission:{submission.public_id}",
        detail={"rows": len(rows)},
    )
    return rows


# --- what the upload page shows -------------------------------------------------------------------


def preview_results(
    session: Session, data_key: bytes, organisation: Organisation, plan_ref: str, rows: Iterable[SheetRow]
) -> SheetSummary:
    """Check a sheet exactly as ``submit_results`` would, recording nothing (the officer's preview)."""
    plan = get_plan(session, organisation, plan_ref)
    scratch = session.begin_nested()
    try:
        return check_sheet(session, data_key, plan, rows, sheet_id=str(uuid.uuid4()))
    finally:
        scratch.rollback()


def plans_of(session: Session, organisation: Organisation) -> list[AssessmentPlan]:
    return list(
        session.scalars(
            select(AssessmentPlan)
            .where(AssessmentPlan.organisation_id == organisation.id)
            .order_by(AssessmentPlan.created_at.desc())
        )
    )


def reports_of(session: Session, organisation: Organisation) -> list[SubmissionReport]:
    submissions = session.scalars(
        select(ResultSubmission)
        .where(ResultSubmission.organisation_id == organisation.id)
        .order_by(ResultSubmission.created_at.desc())
    )
    return [report(session, s) for s in submissions]
