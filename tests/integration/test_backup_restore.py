"""`credential-service backup` and `restore`: a demo backed up while the service runs, restored into a
fresh database, is the same registry — every credential verifies as before, every file chain and the
audit chain hold, and `log verify` recomputes the transparency log against its signed checkpoints."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, create_engine, func, select, text
from typer.testing import CliRunner

from credential_service.audit import service as audit
from credential_service.certificates.models import IssuedCredential
from credential_service.cli import app as cli
from credential_service.core.config import Settings
from credential_service.demo import load_demo
from credential_service.identity.models import Person
from credential_service.records import service as records
from credential_service.runtime import Runtime, build_runtime
from credential_service.verification.trust import DatabaseTrust
from credential_service.verification.verifier import verify_credential
from tests.conftest import POSTGRES_URL


@pytest.fixture
def empty_database(backend: str, tmp_path: Path) -> Iterator[str]:
    """A database with no table at all, of the same kind as the test's."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    assert POSTGRES_URL is not None  # the `runtime` fixture skipped already otherwise
    name = f"cs_restore_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _cli(settings: Settings, database_url: str, *args: str) -> Any:
    env = {
        "CS_DATABASE_URL": database_url,
        "CS_KEYSTORE_DIR": str(settings.keystore_dir),
        "CS_KEYSTORE_PASSPHRASE": str(settings.keystore_passphrase),
        "CS_PUBLIC_BASE_URL": settings.public_base_url,
        "CS_ENVIRONMENT": "test",
    }
    return CliRunner().invoke(cli, list(args), env=env)


def _row_counts(database_url: str) -> dict[str, int]:
    engine = create_engine(database_url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as conn:
            return {
                name: conn.execute(select(func.count()).select_from(table)).scalar_one()
                for name, table in metadata.tables.items()
            }
    finally:
        engine.dispose()


def _verdicts(runtime: Runtime) -> dict[str, tuple[str, str]]:
    """credential id → (verdict, proof outcome) of every credential the registry issued."""
    out: dict[str, tuple[str, str]] = {}
    with runtime.read_session() as session:
        trust = DatabaseTrust(session, runtime.verification)
        for issued in session.scalars(select(IssuedCredential)):
            report = verify_credential(json.loads(issued.credential_json), trust)
            proof = next(c.outcome.value for c in report.checks if c.check == "proof")
            out[issued.credential_id] = (report.verdict.value, proof)
    return out


def test_backup_then_restore_into_a_fresh_database(
    runtime: Runtime, settings: Settings, empty_database: str, tmp_path: Path
) -> None:
    manifest = load_demo(runtime, workers=20)
    before = _verdicts(runtime)
    assert len(before) >= len(manifest.certificates) >= 4
    assert {v for v, _ in before.values()} >= {"valid", "invalid"}  # revoked ones do not verify
    file = tmp_path / "backup.bin"

    # Backed up while the service holds its connections open (an online backup).
    made = _cli(settings, settings.database_url, "backup", str(file))
    assert made.exit_code == 0, made.output
    assert file.stat().st_size > 0
    again = _cli(settings, settings.database_url, "backup", str(file))
    assert again.exit_code == 1 and "exists" in again.output  # never overwrites a backup

    restored = _cli(settings, empty_database, "restore", str(file))
    assert restored.exit_code == 0, restored.output
    assert _row_counts(empty_database) == _row_counts(settings.database_url)

    copy = build_runtime(settings.model_copy(update={"database_url": empty_database}))
    try:
        assert _verdicts(copy) == before
        assert all(proof == "valid" for _, proof in before.values())
        with copy.read_session() as session:
            people = list(session.scalars(select(Person)))
            assert len(people) >= 20
            for person in people:
                assert records.verify_file(session, person) == [], person.public_id
            events = audit.events(session)
            assert events and audit.check(events) == []
    finally:
        copy.close()

    log = _cli(settings, empty_database, "log", "verify", "--json")
    assert log.exit_code == 0, log.output
    report = json.loads(log.stdout)
    assert report["clean"] and report["leaves"] >= len(before) and report["checkpoints"] >= 1

    # A database with data is not overwritten by mistake; --force replaces it.
    refused = _cli(settings, empty_database, "restore", str(file))
    assert refused.exit_code == 1 and "not empty" in refused.output
    forced = _cli(settings, empty_database, "restore", "--force", str(file))
    assert forced.exit_code == 0, forced.output
    assert _row_counts(empty_database) == _row_counts(settings.database_url)


def test_restore_refuses_a_file_that_is_not_a_backup(
    settings: Settings, empty_database: str, tmp_path: Path
) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("not a backup")
    refused = _cli(settings, empty_database, "restore", str(junk))
    assert refused.exit_code == 1 and "not a" in refused.output
    missing = _cli(settings, empty_database, "restore", str(tmp_path / "nowhere.bin"))
    assert missing.exit_code == 1
