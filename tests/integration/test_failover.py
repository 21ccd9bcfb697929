"""The failover drill (issue 16): certificates are issued through the service without pause, the
primary is stopped mid-issuance (``pg_ctl stop -m immediate``, as a crash), the synchronous standby is
promoted and the service restarted against it (``scripts/cluster failover``). Then: every certificate
the clients were answered 201 for is in the promoted database, once; the numbers of each prefix run
1, 2, 3 … without a gap or a duplicate; the transparency log and the audit chain verify; no client was
ever answered 500. Last, ``scripts/cluster rejoin`` makes the old primary the new standby."""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from credential_service.assessment.workflow.issuance import CHUNK
from credential_service.assessment.workflow.models import Candidate
from credential_service.certificates.models import IssuedCredential
from credential_service.certificates.rules import parse_number
from credential_service.issuers import service as issuers
from credential_service.issuers.rules import PLATFORM_CODE
from credential_service.platform.tokens import (
    ORGANISATION_SCOPES,
    STAFF_SCOPES,
    Principal,
    Role,
    mint_token,
)
from credential_service.runtime import build_runtime
from tests.cluster import Cluster, running_cluster
from tests.factories import plain_credential, register_organisation, submission_past_publicity

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("backend", ["postgres"], indirect=True)]

ORG = "S000014019902"
# A batch is issued a chunk per transaction: the primary is stopped once the first chunk is on the
# standby, with four more to go (each takes a good half second), so it always stops mid-batch.
STOP_AFTER = CHUNK  # certificates of the batch committed before the primary is stopped
CANDIDATES = 5 * CHUNK


@pytest.fixture
def cluster(backend: str) -> Iterator[Cluster]:
    with running_cluster() as running:
        yield running


@dataclass
class Clients:
    """Two clients issuing at once until told to stop: one VC API credential after another (each
    retried under its idempotency key until answered 201), and a whole result batch (retried until
    every candidate is issued). Every answer's status is counted."""

    base: str
    admin: dict[str, str]
    organisation: dict[str, str]
    platform_did: str
    submission: str
    stop: threading.Event = field(default_factory=threading.Event)
    acknowledged: list[str] = field(default_factory=list)  # credential ids answered 201
    batch_done: threading.Event = field(default_factory=threading.Event)
    statuses: Counter[int | str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _post(self, client: httpx.Client, path: str, **kwargs: Any) -> httpx.Response | None:
        try:
            response = client.post(self.base + path, **kwargs)
        except httpx.HTTPError as exc:  # the service itself restarting
            with self.lock:
                self.statuses[type(exc).__name__] += 1
            return None
        with self.lock:
            self.statuses[response.status_code] += 1
        return response

    def issue_credentials(self) -> None:
        with httpx.Client(timeout=30) as client:
            number = 0
            while not self.stop.is_set():
                body = {
                    "credential": plain_credential(self.platform_did),
                    "options": {"credentialId": f"drill-{number}"},
                }
                answer = self._post(client, "/credentials/issue", json=body, headers=self.admin)
                if answer is not None and answer.status_code == 201:
                    self.acknowledged.append(answer.json()["verifiableCredential"]["id"])
                    number += 1
                else:
                    time.sleep(0.1)

    def issue_batch(self) -> None:
        with httpx.Client(timeout=120) as client:
            while not self.stop.is_set():
                path = f"/api/v1/submissions/{self.submission}/issue"
                answer = self._post(client, path, headers=self.organisation)
                if answer is not None and answer.status_code == 200 and answer.json()["issued"] == CANDIDATES:
                    self.batch_done.set()
                    return
                time.sleep(0.2)


def _wait(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _bearer(keystore: Any, base: str, principal: Principal) -> dict[str, str]:
    token = mint_token(keystore, issuer=base, audience=base, principal=principal, minutes=15)
    return {"Authorization": f"Bearer {token}"}


def test_failover_mid_issuance_loses_no_acknowledged_certificate(cluster: Cluster) -> None:
    settings = cluster.settings()
    assert settings.database_replica_url is not None
    runtime = build_runtime(settings)
    try:
        register_organisation(runtime, ORG, "山西省焊接技能评价站（演练）")
        submission = submission_past_publicity(runtime, ORG, candidates=CANDIDATES, plan_ref="DRILL")
        with runtime.session() as session:
            platform_did = issuers.get_issuer(session, PLATFORM_CODE).did
        base = settings.public_base_url
        clients = Clients(
            base=base,
            admin=_bearer(
                runtime.keystore, base, Principal(Role.ADMIN, "admin:drill", STAFF_SCOPES[Role.ADMIN])
            ),
            organisation=_bearer(
                runtime.keystore,
                base,
                Principal(Role.ORGANISATION, f"org:{ORG}", ORGANISATION_SCOPES, tenant=ORG),
            ),
            platform_did=platform_did,
            submission=submission,
        )
    finally:
        runtime.close()  # its connections are to the primary, which is about to go

    standby = create_engine(settings.database_replica_url)
    threads = [
        threading.Thread(target=clients.issue_credentials),
        threading.Thread(target=clients.issue_batch),
    ]
    try:
        for thread in threads:
            thread.start()

        def issued_on_standby() -> int:
            with Session(standby) as session:
                query = select(func.count()).select_from(Candidate).where(Candidate.state == "issued")
                return session.scalar(query) or 0

        _wait(lambda: issued_on_standby() >= STOP_AFTER, 60, "the batch to start")
        cluster.pg_ctl("-D", str(cluster.place / "primary"), "-m", "immediate", "-w", "stop")
        acknowledged_before = len(clients.acknowledged)
        committed = issued_on_standby()
        assert STOP_AFTER <= committed < CANDIDATES  # stopped mid-batch
        time.sleep(1)  # the service answers without its database for a moment
        assert clients.statuses[503] > 0, clients.statuses
        standby.dispose()

        failover = cluster.run("failover")
        assert "no standby: commits do not wait" in failover, failover
        promoted = cluster.settings()
        assert promoted.database_url == settings.database_replica_url
        assert promoted.database_replica_url is None

        _wait(clients.batch_done.is_set, 60, "the batch to finish on the promoted server")
        _wait(lambda: len(clients.acknowledged) >= acknowledged_before + 5, 30, "issuance after the failover")
    finally:
        clients.stop.set()
        for thread in threads:
            thread.join(timeout=60)
        standby.dispose()

    # No client was answered 500: without its database the service said 503 (retry), nothing worse.
    assert 500 not in clients.statuses, (clients.statuses, cluster.service_errors())
    assert set(clients.statuses) <= {200, 201, 503, "ConnectError", "RemoteProtocolError", "ReadError"}

    database = create_engine(promoted.database_url)
    try:
        with Session(database) as session:
            # Every acknowledged credential is there, once (a retried key never issued twice).
            stored = Counter(
                session.scalars(
                    select(IssuedCredential.credential_id).where(
                        IssuedCredential.credential_id.in_(clients.acknowledged)
                    )
                )
            )
            assert set(stored) == set(clients.acknowledged) and set(stored.values()) == {1}
            repeated_keys = session.execute(
                select(IssuedCredential.idempotency_key)
                .where(IssuedCredential.idempotency_key.is_not(None))
                .group_by(IssuedCredential.issuer_id, IssuedCredential.idempotency_key)
                .having(func.count() > 1)
            ).all()
            assert repeated_keys == []
            # The batch: every candidate issued once, numbers 1 … N for each prefix.
            states = dict(
                session.execute(select(Candidate.state, func.count()).group_by(Candidate.state)).all()
            )
            assert states == {"issued": CANDIDATES}
            serials: dict[str, list[int]] = defaultdict(list)
            for number in session.scalars(select(IssuedCredential.certificate_number)):
                if number:
                    parsed = parse_number(number)
                    serials[parsed.prefix].append(parsed.serial)
            assert sum(map(len, serials.values())) == CANDIDATES
            for prefix, found in serials.items():
                assert sorted(found) == list(range(1, len(found) + 1)), prefix
            assert session.scalar(text("SELECT pg_is_in_recovery()")) is False
    finally:
        database.dispose()

    log = cluster.cli("log", "verify", "--json")
    assert log.returncode == 0 and '"clean": true' in log.stdout, log.stdout + log.stderr
    audit = cluster.cli("audit", "verify", "--json")
    assert audit.returncode == 0 and '"clean": true' in audit.stdout, audit.stdout + audit.stderr

    # The old primary comes back as the standby; the service reads look-ups from it again.
    status = cluster.run("rejoin")
    assert "standby1: streaming, sync" in status, status
    assert cluster.settings().database_replica_url is not None
    again = httpx.post(
        f"{clients.base}/credentials/issue",
        json={"credential": plain_credential(clients.platform_did)},
        headers=clients.admin,
        timeout=30,
    )
    assert again.status_code == 201, again.text
