"""Load shedding (web.admission, decision 043): past its in-flight limit a process answers 503 with
Retry-After before doing any work, never 500; below it nothing is refused; /healthz and /metrics are
always answered; and once the load is gone every request is served again.

Real HTTP through uvicorn (in a thread of the test) over the real app, with one extra route that
holds its place until the test lets it go, so "the process is busy" is exact rather than timed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from sqlalchemy.exc import TimeoutError as PoolTimeout

from credential_service.app import create_app
from credential_service.core.config import Settings
from credential_service.runtime import Runtime
from tests.servers import bind_loopback, serve_in_thread

HOLD = "/api/v1/test-hold"
Answer = Future[tuple[httpx.Response, float]]
PUBLIC = "/api/v1/publicity"  # an ordinary public route: shed like any other


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the limit is per process, in front of the database


@pytest.fixture
def limits() -> dict[str, Any]:
    return {"max_in_flight": 2, "max_waiting": 2, "max_wait_seconds": 0.5}


@pytest.fixture
def settings(settings: Settings, limits: dict[str, Any]) -> Settings:
    return settings.model_copy(update=limits)


class Held:
    """Requests to HOLD wait inside the app until ``release``; ``entered`` counts those inside."""

    def __init__(self) -> None:
        self.released = threading.Event()
        self.inside = threading.Semaphore(0)

    def hold(self) -> dict[str, str]:
        self.inside.release()
        self.released.wait(timeout=20)
        return {"held": "done"}

    def occupy(self, pool: ThreadPoolExecutor, url: str, count: int, method: str = "GET") -> list[Answer]:
        """Send ``count`` held requests; once all are inside the app, their answers to come."""
        sent = [pool.submit(_get, url, HOLD, method) for _ in range(count)]
        for _ in range(count):
            assert self.inside.acquire(timeout=10), "a held request did not reach the app"
        return sent


@pytest.fixture
def served(runtime: Runtime) -> Iterator[tuple[str, Held]]:
    held = Held()
    app = create_app(runtime=runtime)
    app.add_api_route(HOLD, held.hold, methods=["GET", "POST"])
    try:
        with serve_in_thread(app, bind_loopback(), http="httptools") as url:
            yield url, held
    finally:
        held.released.set()


def _shed() -> float:
    return REGISTRY.get_sample_value("http_requests_shed_total") or 0.0


def _get(url: str, path: str, method: str = "GET", **headers: str) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = httpx.request(method, url + path, headers=headers, timeout=30)
    return response, time.monotonic() - started


def test_past_the_limit_refused_with_503_and_retry_after_then_served_again(
    served: tuple[str, Held],
) -> None:
    url, held = served
    shed_before = _shed()
    with ThreadPoolExecutor(8) as pool:
        holding = held.occupy(pool, url, 2)  # both places taken
        waiting = [pool.submit(_get, url, PUBLIC) for _ in range(2)]
        time.sleep(0.15)  # both in the queue
        refused_at_once, seconds = _get(url, PUBLIC)  # the queue is full
        assert refused_at_once.status_code == 503 and seconds < 0.4
        for future in waiting:  # no place came free within max_wait_seconds
            response, seconds = future.result()
            assert response.status_code == 503 and seconds >= 0.45
        for response in (refused_at_once, *(f.result()[0] for f in waiting)):
            assert response.headers["Retry-After"] == "1"
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["code"] == "overloaded"
        page, _ = _get(url, "/", accept="text/html,application/xhtml+xml")
        assert page.status_code == 503 and page.headers["Retry-After"] == "1"
        assert "服务繁忙" in page.text and page.headers["content-type"].startswith("text/html")
        for always in ("/healthz", "/metrics"):  # how an operator sees the overload
            assert _get(url, always)[0].status_code == 200
        assert "http_requests_shed_total" in _get(url, "/metrics")[0].text
        held.released.set()
        assert [f.result()[0].status_code for f in holding] == [200, 200]
    assert _shed() - shed_before == 4
    again = [_get(url, PUBLIC)[0].status_code for _ in range(3)]
    assert again == [200, 200, 200]


@pytest.mark.parametrize("limits", [{"max_in_flight": 2, "max_waiting": 16, "max_wait_seconds": 20}])
def test_within_the_limit_nothing_is_refused(served: tuple[str, Held]) -> None:
    url, held = served
    with ThreadPoolExecutor(18) as pool:
        holding = held.occupy(pool, url, 2)
        queued = [pool.submit(_get, url, PUBLIC) for _ in range(16)]
        time.sleep(0.2)
        held.released.set()  # the places pass down the queue, the longest waiter first
        statuses = [f.result()[0].status_code for f in (*holding, *queued)]
    assert statuses == [200] * 18


@pytest.mark.parametrize(
    "limits", [{"max_in_flight": 2, "max_writes_in_flight": 1, "max_waiting": 0, "max_wait_seconds": 0.5}]
)
def test_writes_have_places_of_their_own(served: tuple[str, Held]) -> None:
    """A write waits on the database's single-writer chains: writes fill their own places, and
    look-ups are still served beside them."""
    url, held = served
    with ThreadPoolExecutor(4) as pool:
        [writing] = held.occupy(pool, url, 1, "POST")
        assert _get(url, HOLD, "POST")[0].status_code == 503  # the one place for writes is taken
        [reading] = held.occupy(pool, url, 1)
        assert _get(url, PUBLIC)[0].status_code == 200  # the second place for reads
        held.released.set()
        assert writing.result()[0].status_code == 200 and reading.result()[0].status_code == 200
    assert _get(url, HOLD, "POST")[0].status_code == 200


@pytest.mark.parametrize("limits", [{"max_in_flight": 0, "max_waiting": 0, "max_wait_seconds": 0}])
def test_no_limit_when_max_in_flight_is_zero(served: tuple[str, Held]) -> None:
    url, held = served
    with ThreadPoolExecutor(6) as pool:
        holding = held.occupy(pool, url, 5)
        assert _get(url, PUBLIC)[0].status_code == 200
        held.released.set()
        assert [f.result()[0].status_code for f in holding] == [200] * 5


def test_no_pooled_connection_in_time_is_503_not_500(runtime: Runtime) -> None:
    """Past the admission limit's reach (a limit set above the pool), a pool timeout is overload too."""

    def starved() -> None:
        raise PoolTimeout("QueuePool limit of size 10 overflow 10 reached, connection timed out")

    app = create_app(runtime=runtime)
    app.add_api_route("/api/v1/test-starved", starved, methods=["GET"])
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/test-starved")
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert response.json()["code"] == "database_unavailable"
