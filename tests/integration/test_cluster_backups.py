"""Backups of the running cluster (issue 16). ``credential-service backup`` takes a consistent dump
while the service runs, from the primary or from the standby, and the dump restores into a registry
whose transparency log and audit chain verify. Point-in-time recovery: a base backup
(``scripts/cluster basebackup``) plus the WAL archive, replayed up to a moment between two changes
(``scripts/cluster recover TIME``), has the earlier change and not the later one — here a certificate
issued, then wrongly revoked and another issued: the recovered registry has the certificate, valid."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlalchemy import create_engine, select, text

from credential_service.audit import service as audit
from credential_service.certificates.models import IssuedCredential
from credential_service.certificates.status import service as status_changes
from credential_service.certificates.status.rules import Actor, CertificateState, StatusAction
from credential_service.runtime import Runtime, build_runtime
from credential_service.transparency.storage import verify_storage
from tests.cluster import Cluster, running_cluster
from tests.factories import issue_certificate, register_organisation
from tests.servers import free_port

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("backend", ["postgres"], indirect=True)]

ORG = "Y000014019903"
ADMIN = Actor("admin", "admin:backup-test")


@pytest.fixture
def cluster(backend: str) -> Iterator[Cluster]:
    with running_cluster() as running:
        yield running


def _state(runtime: Runtime, number: str) -> CertificateState:
    with runtime.read_session() as session:
        return status_changes.status_view(
            session, status_changes.certificate_for(session, ADMIN, number)
        ).state


def _numbers(runtime: Runtime) -> set[str]:
    with runtime.read_session() as session:
        return {n for n in session.scalars(select(IssuedCredential.certificate_number)) if n}


def _intact(runtime: Runtime) -> None:
    """The transparency log and the audit chain verify (what ``log verify`` and ``audit verify`` run)."""
    with runtime.read_session() as session:
        log = verify_storage(session, public_base_url=runtime.settings.public_base_url)
        assert log.clean and log.leaves >= 1, log.problems
        assert audit.check(audit.stream(session)) == []


def test_backup_and_point_in_time_recovery_of_a_running_cluster(cluster: Cluster) -> None:
    settings = cluster.settings()
    assert settings.database_replica_url is not None
    runtime = build_runtime(settings)
    try:
        organisation = register_organisation(runtime, ORG, "太原备份演练有限公司")
        assert "base backup:" in cluster.run("basebackup")

        kept = issue_certificate(runtime, organisation).certificate_number or ""  # after the base backup
        with runtime.session() as session:
            moment: datetime = session.scalar(text("SELECT clock_timestamp()"))
        with runtime.session() as session:  # later: a wrong revocation, and one more certificate
            status_changes.change_status(
                session, ADMIN, kept, StatusAction.REVOKE, reason="fraud",
                evidence="误操作 2026-009", authority="山西省人社厅",
            )  # fmt: skip
        later = issue_certificate(runtime, organisation).certificate_number or ""
        assert _state(runtime, kept) == CertificateState.REVOKED

        # A dump while the service runs, from the primary and from the standby: the same registry.
        dumps = cluster.place.parent / "dumps"
        for name, url in (("primary", settings.database_url), ("standby", settings.database_replica_url)):
            made = cluster.cli("--database-url", url, "backup", str(dumps / f"{name}.dump"))
            assert made.returncode == 0, made.stdout + made.stderr
        admin = create_engine(
            settings.database_url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE restored"))
        admin.dispose()
        restored_url = settings.database_url.rsplit("/", 1)[0] + "/restored"
        restored = cluster.cli("--database-url", restored_url, "restore", str(dumps / "standby.dump"))
        assert restored.returncode == 0, restored.stdout + restored.stderr
        copy = build_runtime(
            settings.model_copy(update={"database_url": restored_url, "database_replica_url": None})
        )
        try:
            assert _numbers(copy) == {kept, later}
            assert _state(copy, kept) == CertificateState.REVOKED
            _intact(copy)
        finally:
            copy.close()
    finally:
        runtime.close()

    # Point-in-time recovery to the moment before the revocation, into a server of its own.
    recovered = cluster.run("recover", str(moment), str(free_port()), timeout=180)
    recovered_url = recovered.rsplit("CS_DATABASE_URL=", 1)[1].strip()
    then = build_runtime(
        settings.model_copy(update={"database_url": recovered_url, "database_replica_url": None})
    )
    try:
        assert _numbers(then) == {kept}  # issued after the base backup: replayed from the archive
        assert _state(then, kept) == CertificateState.VALID  # the revocation came later
        _intact(then)
    finally:
        then.close()
