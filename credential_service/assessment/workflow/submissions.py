"""Result submissions: a sheet checked chunk by chunk and recorded all or nothing (or its good rows),
the exam results written to each person's file, the platform's signature of what was received, and
the reports of submissions (also across every organisation, for staff).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import jwt
from sqlalchemy import delete, func, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from credential_service.assessment.organisations.models import Organisation
from credential_service.assessment.workflow.errors import RowsRejected, SubmissionNotFound
from credential_service.assessment.workflow.models import (
    AssessmentPlan,
    Candidate,
    Objection,
    ResultSubmission,
    SheetIdentity,
)
from credential_service.assessment.workflow.plans import (
    beijing_today,
    ensure_active,
    get_plan,
    working_calendar,
)
from credential_service.assessment.workflow.results.rows import (
    CheckedChunk,
    Identity,
    SheetSummary,
    check_rows,
)
from credential_service.assessment.workflow.results.sheet import SheetRow
from credential_service.assessment.workflow.rules import (
    PUBLICITY_WORKING_DAYS,
    CandidateState,
    ObjectionStatus,
    SubmissionState,
)
from credential_service.audit import service as audit
from credential_service.certificates import holders
from credential_service.certificates.rules import SkillLevel
from credential_service.core.clock import BEIJING, to_xsd, utcnow
from credential_service.core.db import bulk_insert, dialect_insert, planned_as_tables_grow, table_of
from credential_service.core.errors import FieldError
from credential_service.crypto.jcs import canonical_json
from credential_service.crypto.keystore import FileKeyStore
from credential_service.identity import service as identity
from credential_service.identity.clients import service as client_keys
from credential_service.identity.clients.models import OrganisationClientKey
from credential_service.identity.clients.service import check_content_signature
from credential_service.identity.rules import blind_index
from credential_service.issuers import service as issuers
from credential_service.records import service as records
from credential_service.records.rules import EntryKind


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
        self._chunk_indexes: dict[Identity, str] = {}  # the current chunk's: each look-up asks again

    def _indexes(self, identities: Collection[Identity]) -> dict[str, Identity]:
        known = self._chunk_indexes
        for who in identities:
            if who not in known:
                known[who] = blind_index(self.data_key, *who)
        return {known[who]: who for who in identities}

    def earlier_rows(self, first_rows: Mapping[Identity, int]) -> dict[Identity, int]:
        self._chunk_indexes = {}  # asked first for each chunk
        indexes = self._indexes(first_rows)
        if not indexes:
            return {}
        # Note every identity at once; the insert skips those noted before, which are looked up
        # alone. (Not a look-up first: PostgreSQL plans ``sheet_id = ? AND identity_key IN (…)`` on
        # a table filled in this transaction as a scan of the whole sheet, once per chunk.)
        table = table_of(SheetIdentity)
        noted = self.session.scalars(
            dialect_insert(self.session)(table)
            .on_conflict_do_nothing(index_elements=["sheet_id", "identity_key"])
            .returning(table.c.identity_key),
            [
                {"sheet_id": self.sheet_id, "identity_key": key, "row_number": first_rows[who]}
                for key, who in indexes.items()
            ],
        )
        seen = [(self.sheet_id, key) for key in indexes.keys() - set(noted)]
        if not seen:
            return {}
        return {
            indexes[key]: row
            for key, row in self.session.execute(
                select(table.c.identity_key, table.c.row_number).where(
                    tuple_(table.c.sheet_id, table.c.identity_key).in_(seen)
                )
            )
        }

    def recorded_names(self, identities: Collection[Identity]) -> dict[Identity, str]:
        indexes = self._indexes(identities)
        people = identity.people_by_blind_index(self.session, indexes.keys())
        return {indexes[key]: person.name for key, person in people.items()}

    def certificate_holders(self, identities: Collection[Identity]) -> set[Identity]:
        indexes = self._indexes(identities)
        held = holders.holders_of_valid_certificate(
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
    planned_as_tables_grow(session)
    lookups = _SheetLookups(session, data_key, plan, sheet_id)
    summary = SheetSummary()
    for chunk in check_rows(rows, level=plan.level, lookups=lookups):
        summary.add(chunk)
        if record is not None and not (stop_recording_on_error and summary.rows_rejected):
            record(chunk)
    lookups.forget()
    return summary


def _new_submission(
    session: Session,
    keystore: FileKeyStore,
    organisation: Organisation,
    plan: AssessmentPlan,
    *,
    digest: str,
    source: str,
    idempotency_key: str | None,
    client_key: OrganisationClientKey | None,
    content_signature: str | None,
    publicity_days: int,
    now: datetime,
) -> ResultSubmission:
    """The submission, signed by the platform with the organisation's key, its publicity starting today."""
    statement: dict[str, Any] = {
        "sha256": digest,
        "organisation": organisation.code,
        "plan": plan.plan_ref,
        "source": source,
        "signedAt": to_xsd(now),
    }
    if client_key is not None:
        statement["clientKey"] = client_key.kid  # the organisation's own signature is kept alongside
    signature, signed_by = sign_submission(keystore, session, organisation.code, statement)
    published = beijing_today(now)
    return ResultSubmission(
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
        state=SubmissionState.PUBLICITY.value,
        published_on=published,
        publicity_ends_on=working_calendar(session).add_working_days(published, publicity_days),
        created_at=now,
    )


def _check_and_record(
    session: Session,
    data_key: bytes,
    *,
    organisation: Organisation,
    plan: AssessmentPlan,
    submission: ResultSubmission,
    rows: Iterable[SheetRow],
    accept_valid_rows: bool,
) -> None:
    """Check the rows and record the good ones; raises RowsRejected (all or nothing unless
    ``accept_valid_rows``, and never an empty submission)."""
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
        raise RowsRejected(summary.listed_errors() or [FieldError("rows", "没有任何成绩行 / no result rows")])
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
    client_key = None
    if content_signature is not None:
        client_key = check_content_signature(session, organisation.id, content_signature, digest)
    existing = _already_submitted(session, organisation, digest, idempotency_key)
    if existing is not None:
        return existing
    plan = get_plan(session, organisation, plan_ref)
    ensure_active(session, organisation, now)
    submission = _new_submission(
        session, keystore, organisation, plan, digest=digest, source=source,
        idempotency_key=idempotency_key, client_key=client_key, content_signature=content_signature,
        publicity_days=publicity_days, now=now,
    )  # fmt: skip
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
        _check_and_record(
            session, data_key, organisation=organisation, plan=plan, submission=submission,
            rows=rows, accept_valid_rows=accept_valid_rows,
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
                "state": (CandidateState.PUBLICISED if row.passed else CandidateState.FAILED).value,
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
    bulk_insert(session, table_of(Candidate), candidates)
    records.append_entries_without_ids(session, entries)


def get_submission(session: Session, organisation: Organisation, public_id: str) -> ResultSubmission:
    found = session.scalar(
        select(ResultSubmission).where(
            ResultSubmission.public_id == public_id, ResultSubmission.organisation_id == organisation.id
        )
    )
    if found is None:
        raise SubmissionNotFound()
    return found


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
            .where(Candidate.submission_id == submission.id, Objection.status == ObjectionStatus.OPEN)
        )
        or 0
    )
    plan = session.get_one(AssessmentPlan, submission.plan_id)
    passed = sum(
        counts.get(s, 0) for s in (CandidateState.PUBLICISED, CandidateState.WITHDRAWN, CandidateState.ISSUED)
    )
    return SubmissionReport(
        public_id=submission.public_id,
        plan_ref=plan.plan_ref,
        state=submission.state,
        published_on=submission.published_on,
        publicity_ends_on=submission.publicity_ends_on,
        submitted=submission.rows_total,
        accepted=submission.rows_accepted,
        passed=passed,
        failed=counts.get(CandidateState.FAILED, 0),
        held=held,
        withdrawn=counts.get(CandidateState.WITHDRAWN, 0),
        issued=counts.get(CandidateState.ISSUED, 0),
        rejected_rows=json.loads(submission.rejected_rows),
        client_kid=client_keys.key_kid(session, submission.client_key_id),
    )


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


def reports_of(
    session: Session, organisation: Organisation, *, limit: int | None = None, offset: int = 0
) -> list[SubmissionReport]:
    """The organisation's submissions (batches), newest first: all, or one page of them."""
    submissions = session.scalars(
        select(ResultSubmission)
        .where(ResultSubmission.organisation_id == organisation.id)
        .order_by(ResultSubmission.created_at.desc(), ResultSubmission.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [report(session, s) for s in submissions]


def submission_count(session: Session, organisation: Organisation) -> int:
    query = select(func.count()).where(ResultSubmission.organisation_id == organisation.id)
    return session.scalar(query) or 0


@dataclass(frozen=True)
class BatchRow:
    """One result submission (the batch that is publicised, then issued) with its organisation."""

    organisation_code: str
    organisation_name: str
    submitted_at: datetime
    report: SubmissionReport


def all_batches(session: Session, *, limit: int = 50, offset: int = 0) -> tuple[list[BatchRow], int]:
    """One page of every organisation's batches, newest first, and how many there are in all."""
    total = session.scalar(select(func.count()).select_from(ResultSubmission)) or 0
    rows = session.execute(
        select(ResultSubmission, Organisation.code, Organisation.name)
        .join(Organisation, Organisation.id == ResultSubmission.organisation_id)
        .order_by(ResultSubmission.created_at.desc(), ResultSubmission.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return [
        BatchRow(code, name, submission.created_at, report(session, submission))
        for submission, code, name in rows
    ], total
