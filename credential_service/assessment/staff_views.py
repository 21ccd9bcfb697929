"""Staff views across every organisation: all result submissions (batches), newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from credential_service.assessment import workflow
from credential_service.assessment.models import Organisation
from credential_service.assessment.workflow_models import ResultSubmission


@dataclass(frozen=True)
class BatchRow:
    """One result submission (the batch that is publicised, then issued) with its organisation."""

    organisation_code: str
    organisation_name: str
    submitted_at: datetime
    report: workflow.SubmissionReport


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
        BatchRow(code, name, submission.created_at, workflow.report(session, submission))
        for submission, code, name in rows
    ], total
