"""Issuance of a submission's certificates once its publicity is over, and the export of what was
issued to the national database.

Issuance goes by chunks of candidates, each chunk one transaction (numbers, credentials, status
entries, log leaves, audit events, file entries and the candidates' state together), so a crash
leaves every candidate either fully issued or untouched, and a re-run completes the batch without a
duplicate or a gap in the numbers (decision 044).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from credential_service.assessment.occupations.rules import builtin_occupation
from credential_service.assessment.organisations import service as organisations
from credential_service.assessment.organisations.models import Organisation
from credential_service.assessment.workflow.errors import SubmissionNotFound
from credential_service.assessment.workflow.models import (
    AssessmentPlan,
    Candidate,
    Objection,
    ResultSubmission,
)
from credential_service.assessment.workflow.plans import beijing_today, ensure_active
from credential_service.assessment.workflow.results.sheet import DOCUMENT_TYPE_NAMES
from credential_service.assessment.workflow.rules import CandidateState, ObjectionStatus, SubmissionState
from credential_service.assessment.workflow.submissions import get_submission
from credential_service.audit import service as audit
from credential_service.certificates import batch as certificate_batch
from credential_service.certificates import service as certificates
from credential_service.certificates.credential import Occupation
from credential_service.certificates.rules import SkillLevel
from credential_service.certificates.status import service as status_changes
from credential_service.certificates.status.rules import Actor
from credential_service.certificates.status.service import BatchRevocation
from credential_service.core.clock import beijing_date, utcnow
from credential_service.core.db import OpenSession
from credential_service.core.errors import Conflict
from credential_service.crypto.keystore import KeyStore
from credential_service.identity import service as identity
from credential_service.identity.models import Person
from credential_service.issuers import service as issuers
from credential_service.transparency import service as transparency_log

# Candidates issued per transaction. Each chunk signs one transparency-log checkpoint as it commits,
# so early certificates are provable within a second; a crash loses at most one chunk's work.
CHUNK = 500


def _occupation(plan: AssessmentPlan) -> Occupation:
    try:
        name = builtin_occupation(plan.occupation_code).name
    except KeyError:
        name = plan.occupation_code
    return Occupation(plan.occupation_code, name, plan.subtype)


def due_candidates(session: Session, submission: ResultSubmission) -> list[int]:
    """Passing candidates not yet issued and without an open objection, in sheet order."""
    open_objection = select(Objection.id).where(
        Objection.candidate_id == Candidate.id, Objection.status == ObjectionStatus.OPEN
    )
    return list(
        session.scalars(
            select(Candidate.id)
            .where(
                Candidate.submission_id == submission.id,
                Candidate.state == CandidateState.PUBLICISED,
                ~open_objection.exists(),
            )
            .order_by(Candidate.row_number)
        )
    )


@dataclass(frozen=True)
class _Batch:
    """What every certificate of a batch shares; a plan never changes once results are in."""

    submission_id: int
    organisation_code: str
    due: list[int]
    occupation: Occupation
    level: SkillLevel
    exam_date: date


def _issuable_batch(
    session: Session, organisation_code: str, submission_public_id: str, now: datetime
) -> _Batch:
    organisation = organisations.get_organisation(session, organisation_code)
    submission = get_submission(session, organisation, submission_public_id)
    if beijing_today(now) <= submission.publicity_ends_on:
        raise Conflict(
            f"公示期至 {submission.publicity_ends_on} 结束，之后才能发证 / publicity runs until "
            f"{submission.publicity_ends_on}",
            "publicity_running",
        )
    ensure_active(session, organisation, now, issuing=True)
    plan = session.get_one(AssessmentPlan, submission.plan_id)
    return _Batch(
        submission_id=submission.id,
        organisation_code=organisation.code,
        due=due_candidates(session, submission),
        occupation=_occupation(plan),
        level=SkillLevel(plan.level),
        exam_date=plan.exam_end,
    )


@dataclass(frozen=True)
class IssuingWith:
    """What issuance uses: the issuance settings (the registry's word included), the keystore that
    signs, the data key that reads clear ID numbers, the actor audited, and the clock."""

    settings: certificates.IssuanceSettings
    keystore: KeyStore
    data_key: bytes
    actor: str
    now: datetime


def _issue_chunk(session: Session, batch: _Batch, candidate_ids: list[int], using: IssuingWith) -> list[str]:
    """Issue the chunk's candidates still due (locked, in sheet order); the numbers issued. A
    candidate another run got to first is left alone."""
    due = session.execute(
        select(Candidate.id, Candidate.public_id, Person.id, Person.name, Person.id_blind_index)
        .join(Person, Person.id == Candidate.person_id)
        .where(Candidate.id.in_(candidate_ids), Candidate.state == CandidateState.PUBLICISED)
        .order_by(Candidate.row_number)
        .with_for_update(of=Candidate)
    ).all()
    if not due:
        return []
    numbers = certificate_batch.issue_skill_certificates(
        session,
        using.keystore,
        using.settings,
        # read in this transaction: a key retired or compromised meanwhile is never used
        issuer=issuers.get_issuer(session, batch.organisation_code),
        holders=[
            certificate_batch.RecordedHolder(person_id, name, blind_index, f"candidate:{public_id}")
            for _, public_id, person_id, name, blind_index in due
        ],
        occupation=batch.occupation,
        level=batch.level,
        exam_date=batch.exam_date,
        now=using.now,
        actor=using.actor,
    )
    issued: list[dict[str, Any]] = [
        {
            "id": candidate_id,
            "state": CandidateState.ISSUED.value,
            "certificate_number": numbers[f"candidate:{public_id}"],
            "issued_at": using.now,
        }
        for candidate_id, public_id, *_ in due
    ]
    session.execute(update(Candidate), issued)
    return [row["certificate_number"] for row in issued]


def issue_submission(
    open_session: OpenSession,
    keystore: KeyStore,
    settings: certificates.IssuanceSettings,
    organisation_code: str,
    submission_public_id: str,
    *,
    data_key: bytes,
    now: datetime | None = None,
    on_issued: Callable[[str], None] | None = None,
    actor: str | None = None,
) -> int:
    """Issue the certificates of a submission whose publicity is over; safe to run again after a crash.

    ``open_session`` opens one unit of work (committed on success): one for the batch, one per
    chunk of candidates. ``on_issued`` hears each number once its chunk is committed. Returns how
    many certificates this run issued. Raises Conflict while the publicity still runs,
    OrganisationNotActive when the organisation may not issue.
    """
    now = now or utcnow()
    with open_session() as session:
        batch = _issuable_batch(session, organisation_code, submission_public_id, now)
    using = IssuingWith(settings, keystore, data_key, actor or f"org:{batch.organisation_code}", now)
    issued = 0
    for start in range(0, len(batch.due), CHUNK):
        with _no_cycle_collection(), open_session() as session:  # one chunk, one transaction
            numbers = _issue_chunk(session, batch, batch.due[start : start + CHUNK], using)
        issued += len(numbers)
        if on_issued is not None:
            for number in numbers:
                on_issued(number)
    with open_session() as session:
        _close_batch(session, batch.submission_id, now)
    with open_session() as session:  # the transparency log signs a checkpoint after every batch
        transparency_log.sign_checkpoint_if_grown(session, keystore, public_base_url=settings.public_base_url)
    return issued


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """A chunk makes some hundred thousand short-lived objects (no cycles: reference counting frees
    them), which kept setting off Python's cycle collector over the whole heap: a fifth of the time.
    It runs again, as usual, once the chunk is done."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _close_batch(session: Session, submission_id: int, now: datetime) -> None:
    """The batch is issued once no candidate is due or held back by an open objection."""
    submission = session.get_one(ResultSubmission, submission_id)
    waiting = session.scalar(
        select(func.count())
        .select_from(Candidate)
        .where(Candidate.submission_id == submission_id, Candidate.state == CandidateState.PUBLICISED)
    )
    if not waiting:
        submission.state, submission.issued_at = SubmissionState.ISSUED.value, submission.issued_at or now


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
        raise SubmissionNotFound()
    numbers = session.scalars(
        select(Candidate.certificate_number).where(
            Candidate.submission_id == submission_id, Candidate.state == CandidateState.ISSUED
        )
    )
    return sorted(n for n in numbers if n)


def revoke_batch(
    session: Session, actor: Actor, batch_id: str, *, reason: str, evidence: str, authority: str
) -> BatchRevocation:
    """Revoke every certificate issued from one submission. Administrators may revoke any batch, an
    organisation only its own (NotFound otherwise, as for its submissions)."""
    numbers = issued_certificate_numbers(
        session, batch_id, organisation_code=actor.organisation_code if actor.role == "organisation" else None
    )
    return status_changes.revoke_batch(
        session, actor, batch_id, numbers, reason=reason, evidence=evidence, authority=authority
    )


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
_DOCUMENT_TYPE_NAMES = {kind.value: name for name, kind in DOCUMENT_TYPE_NAMES.items()}


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
        .where(Candidate.submission_id == submission.id, Candidate.state == CandidateState.ISSUED)
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
