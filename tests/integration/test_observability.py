"""Metrics and logs (issue 16): Prometheus figures by route template, verdict and channel, correct
across worker processes; a request id on every answer and log line; and never an ID number, a token or
a raw path in a metric label or a log line."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from credential_service.app import create_app
from credential_service.core.config import Settings
from credential_service.issuers.models import Issuer
from credential_service.runtime import Runtime
from credential_service.web.observability import JsonLines
from tests.conftest import BASE_URL
from tests.factories import holder, issue_certificate
from tests.servers import free_port, serve, server_env, stop

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # nothing backend-specific
ROOT = Path(__file__).resolve().parents[2]


def _token(client: TestClient, number: str, admin_headers: dict[str, str]) -> str:
    url = client.get(f"/api/v1/certificates/{number}/qr.png", headers=admin_headers).headers[
        "x-verification-url"
    ]
    return str(url).rsplit("/", 1)[1]


COUNTED = (
    'http_request_duration_seconds_count{method="GET",route="/api/v1/verify/{token}",status="200"}',
    'credential_verifications_total{channel="api",verdict="genuine"}',
    'credential_verifications_total{channel="page",verdict="genuine"}',
)


def _sample(text: str, name: str) -> float:
    """A sample's value on a metrics page (0 when absent)."""
    found = re.search(re.escape(name) + r" (\S+)", text)
    return float(found.group(1)) if found else 0.0


def test_metrics_count_by_route_verdict_and_channel_and_leak_nothing(
    runtime: Runtime, organisation: Issuer, admin_headers: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    who = holder()
    number = issue_certificate(runtime, organisation, who=who).certificate_number or ""
    local = TestClient(create_app(runtime=runtime), base_url=BASE_URL, client=("127.0.0.1", 40000))
    stranger = TestClient(create_app(runtime=runtime), base_url=BASE_URL)
    token = _token(local, number, admin_headers)
    before = {name: _sample(local.get("/metrics").text, name) for name in COUNTED}  # other tests count too
    with caplog.at_level(logging.INFO, logger="credential_service.access"):
        assert local.get(f"/api/v1/verify/{token}").json()["verdict"] == "genuine"
        assert local.get(f"/v/{token}").status_code == 200
        query = {"idType": "resident_id", "idNumber": who.id_number, "name": who.name}
        assert local.post("/api/v1/verify/query", json=query).status_code == 200
        answer = local.get("/healthz", headers={"X-Request-ID": "trace-0123456789"})
    assert answer.headers["x-request-id"] == "trace-0123456789"  # a well-formed caller's id is kept
    made_up = local.get("/healthz", headers={"X-Request-ID": "<script>"}).headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made_up)  # a malformed one is replaced

    assert stranger.get("/metrics").status_code == 403  # not loopback, no scrape token
    page = local.get("/metrics")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/plain")
    text = page.text
    after = {name: _sample(text, name) for name in COUNTED}
    assert {name: after[name] - before[name] for name in COUNTED} == {
        'http_request_duration_seconds_count{method="GET",route="/api/v1/verify/{token}",status="200"}': 1,
        'credential_verifications_total{channel="api",verdict="genuine"}': 1,
        'credential_verifications_total{channel="page",verdict="genuine"}': 1,
    }, text
    assert re.search(r"credential_issued_total \d", text) and "transparency_log_size" in text
    assert "transparency_checkpoint_age_seconds" in text and "db_pool_connections_in_use" in text

    lines = [JsonLines().format(r) for r in caplog.records if r.name == "credential_service.access"]
    assert lines and all(json.loads(line)["request_id"] != "-" for line in lines)
    assert any(json.loads(line)["route"] == "/v/{token}" for line in lines)
    for secret in (token, who.id_number, who.name, number):
        assert secret not in text, secret
        assert not any(secret in line for line in lines), secret


def test_metrics_are_summed_across_worker_processes(
    settings: Settings, runtime: Runtime, tmp_path: Path
) -> None:
    """Two server processes sharing PROMETHEUS_MULTIPROC_DIR, as uvicorn's workers (or the cluster's)
    do: a scrape of either counts the requests both served."""
    env = server_env(settings, PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"))
    (tmp_path / "metrics").mkdir()
    ports = [free_port(), free_port()]
    servers = [serve(env, port) for port in ports]
    try:
        for n, port in enumerate(ports):
            for _ in range(10 * (n + 1)):  # 10 to the first, 20 to the second
                assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
        text = httpx.get(f"http://127.0.0.1:{ports[0]}/metrics").text
    finally:
        output = stop(servers)
    counted = re.search(
        r'http_request_duration_seconds_count\{method="GET",route="/healthz",status="200"\} (\S+)', text
    )
    # Each server's start-up probe answered 200 too: at least the 30 sent, from both processes.
    assert counted and float(counted.group(1)) >= 30 + 2, text
    logged = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert logged and all(entry["level"] and entry["request_id"] for entry in logged), output
