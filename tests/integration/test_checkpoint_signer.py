"""The scheduled checkpoint has one signer at a time across processes (issue 16): on PostgreSQL a
round that finds another process holding the signer's advisory lock signs nothing and leaves it to
that one; once the lock is free, the next round signs."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from credential_service.runtime import Runtime
from credential_service.transparency import service as log
from credential_service.transparency.rules import LeafKind
from credential_service.transparency.schedule import SIGNER_LOCK_KEY, checkpoint_if_grown


def _grow(runtime: Runtime) -> None:
    with runtime.session() as session:  # a status leaf, as a revocation appends, with no checkpoint
        log.append(
            session,
            LeafKind.CREDENTIAL_STATUS,
            {
                "credentialId": "urn:uuid:0f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a",
                "purpose": "revocation",
                "value": True,
            },
        )


def test_a_round_signs_only_when_the_log_grew(runtime: Runtime) -> None:
    _grow(runtime)
    assert checkpoint_if_grown(runtime.log_signer) == 1
    assert checkpoint_if_grown(runtime.log_signer) is None  # nothing new


def test_one_signer_at_a_time_across_processes(runtime: Runtime, backend: str) -> None:
    if backend != "postgres":
        pytest.skip("SQLite serves one process: there is no other signer")
    _grow(runtime)
    with runtime.engine.connect() as other_process:  # another worker, mid-round, holds the lock
        other_process.execute(text("SELECT pg_advisory_lock(:key)"), {"key": SIGNER_LOCK_KEY})
        assert checkpoint_if_grown(runtime.log_signer) is None
        with runtime.read_session() as session:
            assert log.latest_checkpoint(session) is None
        other_process.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": SIGNER_LOCK_KEY})
    assert checkpoint_if_grown(runtime.log_signer) == 1
