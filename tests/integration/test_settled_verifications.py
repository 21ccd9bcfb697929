"""A QR token verified before costs one statement, and stays live across processes (issues 15 and 16,
decision 040): each process keeps what a genuine verification found that cannot change (proof, log
inclusion, scope on the issue date, printed fields) and reads, per request, the trust generation and
the certificate's status bits. A revocation, a suspension lifted, a key marked compromised or a key
made by another process (server or CLI) shows on this process's very next request."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from credential_service.assessment.occupations.rules import BUILTIN_OCCUPATIONS
from credential_service.assessment.organisations import service as organisations
from credential_service.assessment.organisations.rules import ScopeRowInput
from credential_service.certificates import qr_codes
from credential_service.core.clock import as_utc, to_xsd
from credential_service.core.config import Settings
from credential_service.issuers.models import Issuer
from credential_service.platform.tokens import Principal, Role, mint_token
from credential_service.runtime import Runtime
from credential_service.verification import tokens
from credential_service.verification.tokens import SettledTokens
from tests.conftest import BASE_URL, ORG_CODE
from tests.factories import issue_certificate
from tests.servers import free_port, serve, server_env, stop

CLI = str(Path(sys.executable).parent / "credential-service")
GROUNDS = {"reason_code": "fraud", "evidence": "稽查报告 2026-07", "authority": "山西省人社厅"}
# A genuine token verified before: one SELECT of the trust generation and the status bits, outside
# any transaction. A first verification runs 16 or so.
SETTLED_STATEMENTS = 1
FIRST_STATEMENTS = 20


def token_for(runtime: Runtime, number: str) -> str:
    with runtime.read_session() as session:
        found = qr_codes.find_with_token(session, number)
    assert found is not None and found[1] is not None
    return found[1]


@contextmanager
def statements(runtime: Runtime) -> Iterator[list[str]]:
    """The statements a request sends (the verification log's own thread writes behind it: not counted)."""
    seen: list[str] = []

    def remember(_conn: object, _cursor: object, sql: str, *_args: object) -> None:
        if threading.current_thread().name != "verification-log":
            seen.append(sql)

    engines = (runtime.engine, runtime.replica_reader)  # the settled scan's read has an engine of its own
    for engine in engines:
        event.listen(engine, "before_cursor_execute", remember)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", remember)


@pytest.fixture
def two_servers(settings: Settings) -> Iterator[tuple[str, str]]:
    """Two server processes on the test's database, both serving BASE_URL's certificates."""
    env = server_env(settings, CS_PUBLIC_BASE_URL=settings.public_base_url)
    ports = [free_port(), free_port()]
    servers = [serve(env, port) for port in ports]
    try:
        yield f"http://127.0.0.1:{ports[0]}", f"http://127.0.0.1:{ports[1]}"
    finally:
        stop(servers)


def admin_bearer(runtime: Runtime) -> dict[str, str]:
    principal = Principal(Role.ADMIN, "admin:test", frozenset({"admin"}))
    minted = mint_token(runtime.keystore, issuer=BASE_URL, audience=BASE_URL, principal=principal, minutes=5)
    return {"Authorization": f"Bearer {minted}"}


def verdict(base: str, token: str) -> str:
    answer = httpx.get(f"{base}/api/v1/verify/{token}")
    assert answer.status_code == 200, answer.text
    return str(answer.json()["verdict"])


def cli(settings: Settings, *args: str) -> str:
    done = subprocess.run(
        [CLI, *args], env=server_env(settings), capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.slow
def test_a_status_change_made_by_another_process_shows_on_the_next_scan(
    runtime: Runtime, organisation: Issuer, two_servers: tuple[str, str]
) -> None:
    a, b = two_servers
    revoked, suspended = (issue_certificate(runtime, organisation) for _ in range(2))
    tokens = [token_for(runtime, str(r.certificate_number)) for r in (revoked, suspended)]
    for token in tokens:  # worked out once, then answered from A's own memory (the page too)
        assert [verdict(a, token), verdict(a, token)] == ["genuine", "genuine"]
        assert 'id="verdict">真实有效<' in httpx.get(f"{a}/v/{token}").text
    bearer = admin_bearer(runtime)

    def change(number: str | None, action: str, **grounds: str) -> None:
        done = httpx.post(f"{b}/api/v1/certificates/{number}/{action}", json=grounds, headers=bearer)
        assert done.is_success, done.text

    change(revoked.certificate_number, "revoke", **GROUNDS)
    assert verdict(a, tokens[0]) == "revoked"
    assert "已撤销" in httpx.get(f"{a}/v/{tokens[0]}").text
    change(suspended.certificate_number, "suspend", **{**GROUNDS, "reason_code": "inspection_order"})
    assert verdict(a, tokens[1]) == "suspended"
    change(suspended.certificate_number, "reinstate", evidence="复查结论", authority="山西省人社厅")
    assert [verdict(a, tokens[1]), verdict(a, tokens[1])] == ["genuine", "genuine"]
    change(suspended.certificate_number, "suspend", **{**GROUNDS, "reason_code": "inspection_order"})
    assert verdict(a, tokens[1]) == "suspended"  # suspended again: not the first suspension's answer
    assert verdict(b, tokens[0]) == "revoked"


@pytest.mark.slow
def test_key_events_made_by_another_process_show_on_the_next_scan(
    settings: Settings, runtime: Runtime, organisation: Issuer, two_servers: tuple[str, str]
) -> None:
    a, _b = two_servers
    record = issue_certificate(runtime, organisation)
    token = token_for(runtime, str(record.certificate_number))
    assert [verdict(a, token), verdict(a, token)] == ["genuine", "genuine"]
    # A key made by the CLI: a certificate signed with it is genuine on A at once (A's key
    # directory reloads because the trust generation moved, not on a timer).
    assert verdict(a, token[:3] + ("A" if token[3] != "A" else "B") + token[4:]) == "not_genuine"
    cli(settings, "keys", "rotate", ORG_CODE)
    newer = issue_certificate(runtime, organisation)
    assert newer.verification_method != record.verification_method
    assert verdict(a, token_for(runtime, str(newer.certificate_number))) == "genuine"
    assert verdict(a, token) == "genuine"  # the retired key's certificates stay genuine
    # The old key marked compromised since before the certificate was signed: not genuine, at once.
    since = to_xsd(as_utc(record.issued_at) - timedelta(minutes=1))
    cli(settings, "keys", "compromise", ORG_CODE, record.verification_method.split("#")[1], "--since", since)
    answer = httpx.get(f"{a}/api/v1/verify/{token}").json()
    assert answer["verdict"] == "not_genuine"
    assert {c["check"]: c["code"] for c in answer["checks"]}["issuer_key"] == "key_compromised"


def test_a_settled_token_costs_one_statement_and_follows_the_registry(
    client: TestClient, runtime: Runtime, organisation: Issuer, admin_headers: dict[str, str]
) -> None:
    record = issue_certificate(runtime, organisation)
    token = token_for(runtime, str(record.certificate_number))
    for path in (f"/api/v1/verify/{token}", f"/v/{token}"):
        with statements(runtime) as first:
            client.get(path)
        with statements(runtime) as again:
            assert client.get(f"/api/v1/verify/{token}").json()["verdict"] == "genuine"
            assert 'id="verdict">真实有效<' in client.get(f"/v/{token}").text
        assert len(first) <= FIRST_STATEMENTS, first
        assert len(again) <= 2 * SETTLED_STATEMENTS, again
        assert again and all(s.startswith("SELECT") and "cache_generations" in s for s in again), again
    # The registry's word is part of what was settled: the scope's end corrected to a day before
    # the certificate was issued moves the trust generation, so the next scan asks the registry again.
    ended = [ScopeRowInput(o.code, o.subtype, (5, 4, 3, 2, 1), date(2020, 1, 1), date(2025, 12, 31))
             for o in BUILTIN_OCCUPATIONS]  # fmt: skip
    with runtime.session() as session:
        organisations.replace_scope(
            session, runtime.keystore, runtime.settings, ORG_CODE, ended, actor="admin:test"
        )
    answer = client.get(f"/api/v1/verify/{token}").json()
    assert answer["verdict"] == "not_genuine"
    assert {c["check"]: c["outcome"] for c in answer["checks"]}["scope"] == "invalid"


def test_the_validity_period_is_worked_out_at_each_request(runtime: Runtime, organisation: Issuer) -> None:
    """Kept: every check but the validity period, which depends on the hour of the scan."""
    record = issue_certificate(runtime, organisation)
    token = token_for(runtime, str(record.certificate_number))
    settled = SettledTokens(8, runtime.replica_reader.connect)
    issued_at = as_utc(record.issued_at)
    answers = [
        tokens.verify_token(
            token,
            runtime.key_directory,
            runtime.read_session,
            settings=runtime.verification,
            now=now,
            settled=settled,
        )
        for now in (issued_at, issued_at - timedelta(days=2), issued_at + timedelta(days=1))
    ]
    assert len(settled) == 1
    assert [a.verdict.value for a in answers] == ["genuine", "cannot_tell", "genuine"]
    validity = [next(c.code for c in a.checks if c.check == "validity_period") for a in answers]
    assert validity == ["within_validity_period", "not_yet_valid", "within_validity_period"]
    assert [[c.check for c in a.checks] for a in answers[1:]] == [[c.check for c in answers[0].checks]] * 2
