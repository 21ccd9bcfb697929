"""Certificate numbers: format, uniqueness under concurrent issuance (threads and processes), crash safety."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import select

from credential_service.certificates.models import IssuedCredential
from credential_service.certificates.rules import CERTIFICATE_NUMBER, parse_number
from credential_service.core.config import Settings
from credential_service.issuers.models import Issuer
from credential_service.runtime import Runtime
from tests.conftest import ORG_CODE
from tests.factories import issue_certificate

ROOT = Path(__file__).resolve().parents[2]


def _numbers(runtime: Runtime) -> list[str]:
    with runtime.session() as session:
        return [n for n in session.scalars(select(IssuedCredential.certificate_number)) if n]


def _worker_env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "CS_DATABASE_URL": settings.database_url,
        "CS_KEYSTORE_DIR": str(settings.keystore_dir),
        "CS_KEYSTORE_PASSPHRASE": settings.keystore_passphrase or "",
        "CS_PUBLIC_BASE_URL": settings.public_base_url,
        "CS_ENVIRONMENT": "test",
        "PYTHONPATH": str(ROOT),
    }


def _spawn(settings: Settings, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integration.numbering_worker", "--org", ORG_CODE, *args],
        env=_worker_env(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def test_numbers_follow_the_national_format(runtime: Runtime, organisation: Issuer) -> None:
    record = issue_certificate(runtime, organisation)
    number = record.certificate_number
    assert number is not None and CERTIFICATE_NUMBER.match(number)
    parsed = parse_number(number)
    assert parsed.organisation_code == ORG_CODE and parsed.serial == 1 and int(parsed.level) == 3


def test_concurrent_threads_never_share_a_number(runtime: Runtime, organisation: Issuer) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        records = list(pool.map(lambda _: issue_certificate(runtime, organisation), range(40)))
    numbers = [r.certificate_number for r in records]
    assert len(set(numbers)) == 40
    assert sorted(parse_number(n or "").serial for n in numbers) == list(range(1, 41))


def test_concurrent_processes_never_share_a_number(runtime: Runtime, settings: Settings) -> None:
    workers = [_spawn(settings, "--count", "12") for _ in range(3)]
    outputs = [w.communicate(timeout=180) for w in workers]
    assert all(w.returncode == 0 for w in workers), [o[1][-2000:] for o in outputs]
    printed = [line.split()[1] for out, _ in outputs for line in out.splitlines()]
    stored = _numbers(runtime)
    assert len(printed) == 36 and sorted(printed) == sorted(stored)
    assert len(set(stored)) == 36


def test_a_killed_process_leaves_no_duplicate_and_no_half_issue(runtime: Runtime, settings: Settings) -> None:
    worker = _spawn(settings, "--count", "3", "--hang-in-transaction")
    assert worker.stdout is not None
    lines = []
    for line in worker.stdout:
        lines.append(line.split())
        if line.startswith("pending"):
            break
    worker.send_signal(signal.SIGKILL)  # crash inside the open transaction
    worker.wait(timeout=30)
    committed = [number for state, number in lines if state == "committed"]
    pending = next(number for state, number in lines if state == "pending")
    assert pending not in _numbers(runtime)  # nothing of the killed issuance was kept
    assert sorted(_numbers(runtime)) == sorted(committed)
    # Issuing again after the crash: a fresh number, never one already committed.
    after = [issue_certificate(runtime, runtime_org(runtime)).certificate_number for _ in range(3)]
    stored = _numbers(runtime)
    assert len(stored) == len(set(stored)) == 6
    assert not set(after) & set(committed)


def runtime_org(runtime: Runtime) -> Issuer:
    from credential_service.issuers import service as issuers

    with runtime.session() as session:
        return issuers.get_issuer(session, ORG_CODE)


def test_concurrent_retries_with_one_idempotency_key_issue_once(
    runtime: Runtime, organisation: Issuer
) -> None:
    from tests.factories import holder

    worker = holder()
    with ThreadPoolExecutor(max_workers=6) as pool:
        records = list(
            pool.map(
                lambda _: issue_certificate(runtime, organisation, who=worker, idempotency_key="retry-1"),
                range(6),
            )
        )
    assert len({r.credential_id for r in records}) == 1
    assert len(_numbers(runtime)) == 1
