"""The production shape on one machine (``scripts/cluster``, issue 16): a primary and a synchronous
hot standby. A status change commits only once the standby has applied it, so a look-up served by the
standby (``CS_DATABASE_REPLICA_URL``) never misses a revocation that was answered as done."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from credential_service.certificates import qr_codes
from credential_service.certificates.status import service as status_changes
from credential_service.certificates.status.rules import Actor, CertificateState, StatusAction
from credential_service.core.clock import as_utc
from credential_service.issuers import service as issuers
from credential_service.platform.tokens import STAFF_SCOPES, Principal, Role, mint_token
from credential_service.runtime import Runtime, build_runtime
from tests.cluster import Cluster, running_cluster
from tests.factories import issue_certificate, register_organisation

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("backend", ["postgres"], indirect=True)]


@pytest.fixture
def cluster(backend: str) -> Iterator[Cluster]:
    with running_cluster() as running:
        yield running


def test_a_status_change_is_on_the_standby_when_its_commit_returns(cluster: Cluster) -> None:
    status = cluster.run("status")
    assert "standby1: streaming, sync" in status, status
    settings = cluster.settings()
    assert settings.database_replica_url
    assert httpx.get(settings.public_base_url + "/healthz").json() == {"status": "ok"}
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
        base = settings.public_base_url
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
