"""Crash safety: a 5,000-candidate batch killed part-way through issuance (a real SIGKILL) and re-run."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from credential_service.assessment.workflow.models import Candidate, ResultSubmission
from credential_service.certificates.models import IssuedCredential, StatusEntry
from credential_service.certificates.rules import parse_number
from credential_service.core.config import Settings
from credential_service.runtime import Runtime
from tests.factories import submission_past_publicity
from tests.integration.test_assessment_workflow import _credit_code, _register
from tests.integration.test_numbering import ROOT, _worker_env

CANDIDATES = 5000


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the kill-and-resume logic is the same on both; 5,000 issuances once is enough


@pytest.mark.slow
def test_issuance_killed_part_way_and_rerun(runtime: Runtime, settings: Settings) -> None:
    code, _ = _register(runtime, "990009", _credit_code(9))
    submission_id = submission_past_publicity(runtime, code, candidates=CANDIDATES, plan_ref="CRASH")

    command = [
        sys.executable,
        "-m",
        "tests.integration.issuance_worker",
        "--org",
        code,
        "--submission",
        submission_id,
    ]
    worker = subprocess.Popen(
        command,
        env=_worker_env(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert worker.stdout is not None
    for seen, _line in enumerate(worker.stdout, start=1):
        if seen >= CANDIDATES // 3:
            break
    worker.send_signal(signal.SIGKILL)  # mid-issuance, possibly inside a transaction
    worker.wait(timeout=30)

    with runtime.session() as session:
        partly = session.scalar(
            select(func.count()).select_from(Candidate).where(Candidate.state == "issued")
        )
    assert partly is not None and CANDIDATES // 3 <= partly < CANDIDATES

    rerun = subprocess.run(
        command, env=_worker_env(settings), capture_output=True, text=True, cwd=ROOT, timeout=900, check=False
    )
    assert rerun.returncode == 0, rerun.stderr[-3000:]

    with runtime.session() as session:
        states = dict(session.execute(select(Candidate.state, func.count()).group_by(Candidate.state)).all())
        assert states == {"issued": CANDIDATES}
        issued_numbers = [n for n in session.scalars(select(IssuedCredential.certificate_number)) if n]
        assert len(issued_numbers) == CANDIDATES == len(set(issued_numbers))  # one each, no duplicate
        serials = sorted(parse_number(n).serial for n in issued_numbers)
        assert serials == list(range(1, CANDIDATES + 1))  # consecutive per (org, year, level)
        candidate_numbers = set(session.scalars(select(Candidate.certificate_number)))
        assert candidate_numbers == set(issued_numbers)
        entries = session.execute(select(StatusEntry.list_id, StatusEntry.index)).all()
        assert len(entries) == len(set(entries))  # status indexes never reused
        submission = session.scalar(select(ResultSubmission))
        assert submission is not None and submission.state == "issued"
