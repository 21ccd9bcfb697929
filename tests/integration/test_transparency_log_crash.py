"""Crash safety of the transparency log: a process appending and issuing is killed (a real
SIGKILL, possibly inside a transaction) and restarted; nothing is lost or duplicated. And the
migration that creates the log puts every credential issued before it into the log."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

from sqlalchemy import func, select

from credential_service.certificates.models import IssuedCredential
from credential_service.core.config import Settings
from credential_service.core.migrations import alembic_config, upgrade
from credential_service.crypto import merkle
from credential_service.issuers.models import Issuer
from credential_service.runtime import Runtime
from credential_service.transparency import service as log
from credential_service.transparency.models import LogCheckpoint, LogLeaf
from credential_service.transparency.storage import verify_storage
from tests.conftest import BASE_URL, ORG_CODE
from tests.factories import issue_certificate
from tests.integration.test_numbering import ROOT, _worker_env


def _spawn(settings: Settings, rounds: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integration.log_worker", "--org", ORG_CODE, "--rounds", str(rounds)],
        env=_worker_env(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def _check_log(runtime: Runtime) -> int:
    with runtime.session() as session:
        indexes = list(session.scalars(select(LogLeaf.leaf_index).order_by(LogLeaf.leaf_index)))
        assert indexes == list(range(len(indexes)))  # dense: no index missing or duplicated
        issued = list(session.scalars(select(IssuedCredential.credential_id)))
        logged = list(
            session.scalars(select(LogLeaf.credential_id).where(LogLeaf.kind == "credential.issued"))
        )
        assert sorted(issued) == sorted(logged)  # every credential logged exactly once, none without
        report = verify_storage(session, public_base_url=BASE_URL)
        assert report.clean, [str(p) for p in report.problems]
        return len(indexes)


def test_appends_survive_a_kill_at_any_point(
    runtime: Runtime, settings: Settings, organisation: Issuer
) -> None:
    for kill_after in (7, 23):  # two kills, at different points of the loop
        worker = _spawn(settings, rounds=10_000)
        assert worker.stdout is not None
        for seen, _line in enumerate(worker.stdout, start=1):
            if seen >= kill_after:
                break
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
        _check_log(runtime)
    finished = subprocess.run(
        [sys.executable, "-m", "tests.integration.log_worker", "--org", ORG_CODE, "--rounds", "6"],
        env=_worker_env(settings),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    size = _check_log(runtime)
    assert size >= 7 + 23 + 6  # every line the workers printed was committed
    with runtime.session() as session:  # a checkpoint covers the log (the last leaf was an issuance)
        signed = log.latest_checkpoint(session)
        last_kind = session.scalar(select(LogLeaf.kind).where(LogLeaf.leaf_index == size - 1))
        assert signed is not None and (signed.tree_size == size or last_kind == "credential.status")


def test_the_migration_logs_credentials_issued_before_it(
    runtime: Runtime, settings: Settings, organisation: Issuer
) -> None:
    from alembic import command

    issued = [issue_certificate(runtime, organisation) for _ in range(5)]
    with runtime.session() as session:
        before = [
            (leaf.leaf_index, leaf.leaf_data, leaf.leaf_hash)
            for leaf in session.scalars(select(LogLeaf).order_by(LogLeaf.leaf_index))
        ]
        root = log.root_hash(session, 5)
    engine = runtime.engine
    command.downgrade(alembic_config(engine), "0008")  # a database as it was before the log existed
    upgrade(engine)
    with runtime.session() as session:
        after = [
            (leaf.leaf_index, leaf.leaf_data, leaf.leaf_hash)
            for leaf in session.scalars(select(LogLeaf).order_by(LogLeaf.leaf_index))
        ]
        assert after == before  # the same leaves, in issuance order, logged at their issuance time
        assert [json.loads(d)["credentialId"] for _, d, _ in after] == [r.credential_id for r in issued]
        assert (
            log.root_hash(session, 5)
            == root
            == merkle.MemoryTree.of(bytes.fromhex(h) for *_, h in after).root()
        )
        assert session.scalar(select(func.count()).select_from(LogCheckpoint)) == 0
        log.sign_checkpoint(session, runtime.keystore, public_base_url=BASE_URL)
    _check_log(runtime)
