"""The production shape on one machine (``scripts/cluster``, issue 16): a primary and a synchronous
hot standby. A status change commits only once the standby has applied it, so a look-up served by the
standby (``CS_DATABASE_REPLICA_URL``) never misses a revocation that was answered as done."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from credential_service.certificates import qr_codes
from credential_service.certificates.status import service as status_changes
from credential_service.certificates.status.rules import Actor, CertificateState, StatusAction
from credential_service.core.clock import as_utc
from credential_service.core.config import Settings
from credential_service.issuers import service as issuers
from credential_service.platform.tokens import STAFF_SCOPES, Principal, Role, mint_token
from credential_service.runtime import Runtime, build_runtime
from tests.conftest import need
from tests.factories import issue_certificate, register_organisation
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
CLUSTER = ROOT / "scripts" / "cluster"
pytestmark = [pytest.mark.slow, pytest.mark.parametrize("backend", ["postgres"], indirect=True)]


@pytest.fixture
def cluster(backend: str) -> Iterator[dict[str, str]]:
    need(
        None
        if list(Path("/usr/lib/postgresql").glob("*/bin/pg_basebackup"))
        else "PostgreSQL is not installed"
    )
    place = tempfile.mkdtemp(prefix="cs-cluster-")
    os.chmod(place, 0o755)  # PostgreSQL's own user must reach its data directories
    ports = {"CS_PORT": free_port(), "CS_PG_PORT": free_port(), "CS_PG_STANDBY_PORT": free_port()}
    env = {
        **os.environ,
        **{k: str(v) for k, v in ports.items()},
        "CS_CLUSTER_DIR": f"{place}/cluster",
        "CS_CLUSTER_DEMO": "0",
        "CS_WORKERS": "2",
    }
    up = subprocess.run([CLUSTER, "up"], check=False, env=env, capture_output=True, text=True, timeout=300)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        printed = dict(
            line.strip().removeprefix("export ").split("=", 1)
            for line in up.stdout.splitlines()
            if line.strip().startswith("export ")
        )
        yield {
            **printed,
            "status": subprocess.run(
                [CLUSTER, "status"], check=False, env=env, capture_output=True, text=True
            ).stdout,
        }
    finally:
        subprocess.run([CLUSTER, "down"], check=False, env=env, capture_output=True, timeout=120)
        shutil.rmtree(place, ignore_errors=True)


def test_a_status_change_is_on_the_standby_when_its_commit_returns(cluster: dict[str, str]) -> None:
    assert "standby1: streaming, sync" in cluster["status"], cluster["status"]
    assert httpx.get(cluster["CS_PUBLIC_BASE_URL"] + "/healthz").json() == {"status": "ok"}
    settings = Settings(
        environment="development",
        database_url=cluster["CS_DATABASE_URL"],
        database_replica_url=cluster["CS_DATABASE_REPLICA_URL"],
        keystore_dir=Path(cluster["CS_KEYSTORE_DIR"]),
        keystore_passphrase="cluster demo passphrase",
        public_base_url=cluster["CS_PUBLIC_BASE_URL"],
    )
    runtime: Runtime = build_runtime(settings)
    try:
        organisation = register_organisation(runtime, "Y000014019901", "太原集群测试有限公司")
        record = issue_certificate(runtime, organisation)
        number = record.certificate_number or ""
        admin = Actor("admin", "admin:cluster-test")
        for round_ in range(10):  # each change, then at once a read on the standby
            action = StatusAction.SUSPEND if round_ % 2 == 0 else StatusAction.REINSTATE
            with runtime.session() as session:
                status_changes.change_status(
                    session, admin, number, action, reason="inspection_order" if round_ % 2 == 0 else None,
                    evidence="集群演练 2026-001", authority="山西省人社厅",
                )  # fmt: skip
            expected = CertificateState.SUSPENDED if round_ % 2 == 0 else CertificateState.VALID
            with runtime.replica_session() as session:
                seen = status_changes.status_view(
                    session, status_changes.certificate_for(session, admin, number)
                )
                assert seen.state == expected, (round_, seen.state)
        # The service's look-ups read the standby: a genuine QR token, then at once the revocation.
        base = cluster["CS_PUBLIC_BASE_URL"]
        staff = Principal(Role.ADMIN, "admin:cluster-test", STAFF_SCOPES[Role.ADMIN])
        bearer = {
            "Authorization": "Bearer "
            + mint_token(runtime.keystore, issuer=base, audience=base, principal=staff, minutes=5)
        }
        url = httpx.get(f"{base}/api/v1/certificates/{number}/qr.png", headers=bearer).headers[
            "x-verification-url"
        ]
        scanned = f"{base}/api/v1/verify/{url.rsplit('/', 1)[1]}"
        # Scanned again and again: each worker keeps the answer, its status read live (decision 040).
        assert [httpx.get(scanned).json()["verdict"] for _ in range(4)] == ["genuine"] * 4
        with runtime.session() as session:
            status_changes.change_status(
                session, admin, number, StatusAction.REVOKE, reason="fraud",
                evidence="集群演练 2026-002", authority="山西省人社厅",
            )  # fmt: skip
        assert httpx.get(scanned).json()["verdict"] == "revoked"
        with runtime.replica_session() as session:
            revoked = status_changes.status_view(
                session, status_changes.certificate_for(session, admin, number)
            )
        assert revoked.state == CertificateState.REVOKED
        # A key event on the primary moves the trust generation on the standby when it commits.
        other = issue_certificate(runtime, organisation)
        with runtime.read_session() as session:
            found = qr_codes.find_with_token(session, other.certificate_number or "")
        assert found is not None
        other_scanned = f"{base}/api/v1/verify/{found[1]}"
        assert [httpx.get(other_scanned).json()["verdict"] for _ in range(4)] == ["genuine"] * 4
        with runtime.session() as session:
            fragment = other.verification_method.split("#")[1]
            since = as_utc(other.issued_at) - timedelta(minutes=1)
            issuers.compromise_key(issuers.get_issuer(session, organisation.code), fragment, since)
        assert httpx.get(other_scanned).json()["verdict"] == "not_genuine"
    finally:
        runtime.close()
