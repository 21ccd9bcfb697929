"""Crash safety of status changes: a process changing certificates' status is killed (a real SIGKILL,
inside a transaction) and run again. Each change is all or nothing — the status bit, the change row,
the holder's file entry and the audit event are there together or not at all — and the re-run
finishes the work without doing any change twice."""

from __future__ import annotations

import hashlib
import io
import json
import random
import signal
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from credential_service.assessment.organisations import service as organisations
from credential_service.assessment.workflow import issuance, plans, submissions
from credential_service.assessment.workflow.models import ResultSubmission
from credential_service.assessment.workflow.results.sheet import read_csv
from credential_service.audit import service as audit
from credential_service.audit.models import AuditEvent
from credential_service.certificates.models import IssuedCredential
from credential_service.certificates.status import lists as status_lists
from credential_service.certificates.status.models import CertificateStatusChange
from credential_service.core.config import Settings
from credential_service.demo import demo_id_number, demo_name
from credential_service.identity import service as identity
from credential_service.issuers.models import Issuer
from credential_service.records import service as records
from credential_service.records.models import FileEntry
from credential_service.records.rules import EntryKind
from credential_service.runtime import Runtime
from credential_service.transparency.models import LogLeaf
from credential_service.transparency.storage import verify_storage
from tests.conftest import ORG_CODE
from tests.factories import holder, issue_certificate
from tests.integration.test_assessment_workflow import _credit_code, _register
from tests.integration.test_numbering import ROOT, _worker_env

CERTIFICATES = 24
PLAN = ["suspend", "reinstate", "revoke"]


def _spawn(settings: Settings, code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integration.status_change_worker", "--org", code, *args],
        env=_worker_env(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def _kill_after(worker: subprocess.Popen[str], writes: int) -> list[str]:
    """SIGKILL the worker while it waits after its ``writes``-th change is written, before the commit
    (it was started with ``--pause-after writes``)."""
    assert worker.stdout is not None
    lines = []
    for line in worker.stdout:
        lines.append(line.strip())
        if line.strip() == f"applied {writes}":
            break
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=30)
    assert worker.stderr is not None
    assert lines and lines[-1] == f"applied {writes}", (lines[-3:], worker.stderr.read()[-3000:])
    return lines


def _rerun(settings: Settings, code: str, *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tests.integration.status_change_worker", "--org", code, *args],
        env=_worker_env(settings),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]


@dataclass
class Seen:
    actions: list[str]  # change rows, in order
    file_entries: int  # certificate_status entries in the holder's file
    audit_events: int  # certificate.* events, plus batch.revoke events naming it
    log_leaves: int  # credential.status leaves of the transparency log
    revoked_bit: bool
    suspended_bit: bool


def _seen(session: Session, record: IssuedCredential) -> Seen:
    number = record.certificate_number or ""
    actions = list(
        session.scalars(
            select(CertificateStatusChange.action)
            .where(CertificateStatusChange.credential_id == record.credential_id)
            .order_by(CertificateStatusChange.id)
        )
    )
    person = identity.find_by_blind_index(session, record.holder_index or "")
    assert person is not None
    entries = [
        json.loads(payload)
        for payload in session.scalars(
            select(FileEntry.payload).where(
                FileEntry.person_id == person.id, FileEntry.kind == EntryKind.CERTIFICATE_STATUS.value
            )
        )
    ]
    own_events = session.scalars(
        select(AuditEvent.seq).where(AuditEvent.subject == f"certificate:{number}")
    ).all()
    batch_events = [
        detail
        for detail in map(
            json.loads, session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "batch.revoke"))
        )
        if number in detail["revoked"]
    ]
    leaves = session.scalars(
        select(LogLeaf.leaf_index).where(
            LogLeaf.credential_id == record.credential_id, LogLeaf.kind == "credential.status"
        )
    ).all()
    assert record.revocation_list_id and record.suspension_list_id
    return Seen(
        actions,
        sum(1 for e in entries if e["certificateNumber"] == number),
        len(own_events) + len(batch_events),
        len(leaves),
        status_lists.live_bit(session, record.revocation_list_id, record.revocation_index or 0),
        status_lists.live_bit(session, record.suspension_list_id, record.suspension_index or 0),
    )


def _check_all_or_nothing(runtime: Runtime, code: str) -> dict[str, Seen]:
    """Every certificate's bits, change rows, file entries and audit events agree; chains hold."""
    found = {}
    with runtime.session() as session:
        records_ = session.scalars(
            select(IssuedCredential)
            .join(Issuer, Issuer.id == IssuedCredential.issuer_id)
            .where(Issuer.code == code)
        ).all()
        for record in records_:
            seen = _seen(session, record)
            assert seen.actions == PLAN[: len(seen.actions)] or seen.actions == ["revoke"], seen
            assert seen.file_entries == len(seen.actions) == seen.audit_events == seen.log_leaves, seen
            assert seen.revoked_bit == ("revoke" in seen.actions), seen
            assert seen.suspended_bit == (seen.actions[-1:] == ["suspend"]), seen
            person = identity.find_by_blind_index(session, record.holder_index or "")
            assert person is not None and records.verify_file(session, person) == []
            found[record.certificate_number or ""] = seen
        assert audit.check(audit.events(session)) == []
        indexes = session.scalars(select(LogLeaf.leaf_index).order_by(LogLeaf.leaf_index)).all()
        assert list(indexes) == list(range(len(indexes)))  # the log: dense, nothing lost or doubled
    return found


def test_a_sequence_of_status_changes_killed_mid_transaction_and_rerun(
    runtime: Runtime, settings: Settings
) -> None:
    with runtime.session() as session:
        organisation = session.scalars(select(Issuer).where(Issuer.code == ORG_CODE)).one()
    for _ in range(CERTIFICATES):
        issue_certificate(runtime, organisation, who=holder())

    writes = CERTIFICATES * 3 // 2
    lines = _kill_after(_spawn(settings, ORG_CODE, "--sequence", "--pause-after", str(writes)), writes)
    committed = [line for line in lines if line.startswith("committed")]
    assert lines[-1].startswith("applied")  # killed with a change written but not committed

    partly = _check_all_or_nothing(runtime, ORG_CODE)
    done = sum(len(s.actions) for s in partly.values())
    assert done == len(committed) == writes - 1  # the committed survived; the killed one left nothing
    assert 0 < done < CERTIFICATES * len(PLAN)

    _rerun(settings, ORG_CODE, "--sequence")
    finished = _check_all_or_nothing(runtime, ORG_CODE)
    assert len(finished) == CERTIFICATES
    assert all(s.actions == PLAN for s in finished.values())  # completed, nothing twice
    with runtime.read_session() as session:  # what `credential-service log verify` checks
        report = verify_storage(session, public_base_url=settings.public_base_url)
    assert report.clean, report.problems


def _issued_batch(runtime: Runtime, candidates: int) -> tuple[str, str]:
    """An organisation's result batch, publicised and issued: (organisation code, submission id)."""
    code, _ = _register(runtime, "990019", _credit_code(19))
    with runtime.session() as session:
        plans.file_plan(
            session,
            organisations.get_organisation(session, code),
            plan_ref="CRASH-REVOKE",
            occupation_code="6-18-02-04",
            subtype="电焊工",
            level=4,
            exam_start=date(2026, 11, 2),
            exam_end=date(2026, 11, 3),
            examiners=[{"name": "考评员", "certificate_number": "KP0001"}],
        )
    rng = random.Random(19)
    numbers = list(dict.fromkeys(demo_id_number(rng) for _ in range(candidates * 2)))[:candidates]
    content = (
        "证件类型,证件号码,姓名,理论知识成绩,技能操作成绩\n"
        + "".join(f"居民身份证,{n},{demo_name(rng)},80,85\n" for n in numbers)
    ).encode()
    with runtime.session() as session:
        submission = submissions.submit_results(
            session,
            runtime.keystore,
            runtime.settings.data_key_bytes,
            organisations.get_organisation(session, code),
            plan_ref="CRASH-REVOKE",
            rows=read_csv(io.BytesIO(content)),
            source="csv",
            content_sha256=hashlib.sha256(content).hexdigest(),
        )
        submission_id = submission.public_id
        session.execute(update(ResultSubmission).values(publicity_ends_on=date.today() - timedelta(days=1)))
    issued = issuance.issue_submission(
        runtime.session,
        runtime.keystore,
        runtime.issuance,
        code,
        submission_id,
        data_key=runtime.settings.data_key_bytes,
    )
    assert issued == candidates
    return code, submission_id


def test_a_batch_revocation_killed_mid_transaction_is_all_or_nothing(
    runtime: Runtime, settings: Settings
) -> None:
    candidates = 30
    code, batch = _issued_batch(runtime, candidates)

    writes = candidates // 2
    lines = _kill_after(_spawn(settings, code, "--batch", batch, "--pause-after", str(writes)), writes)
    assert "committed batch" not in lines
    untouched = _check_all_or_nothing(runtime, code)
    assert len(untouched) == candidates
    assert all(s.actions == [] and not s.revoked_bit for s in untouched.values())  # nothing half-done

    _rerun(settings, code, "--batch", batch)
    revoked = _check_all_or_nothing(runtime, code)
    assert all(s.actions == ["revoke"] and s.revoked_bit for s in revoked.values())
    with runtime.session() as session:
        batch_events = session.scalars(select(AuditEvent).where(AuditEvent.action == "batch.revoke")).all()
        assert len(batch_events) == 1  # one audit event for the batch, not one per attempt
        rows = session.scalars(
            select(CertificateStatusChange).where(CertificateStatusChange.batch_id == batch)
        ).all()
        assert len(rows) == candidates == len({r.credential_id for r in rows})
