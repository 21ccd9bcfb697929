"""Prometheus metrics, correct across worker processes.

With several uvicorn workers (or ``CS_WORKERS`` in the cluster), each process writes its samples to
files in ``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's multiprocess mode) and a scrape of any
process sums them; with one process the default registry is read. Labels are closed sets (route
templates, verdicts, channels, status codes): never a path, a token, a name or an ID number.

What the database knows (log size, checkpoint age) is read at scrape time by ``DatabaseGauges``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, event

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
# Seconds: a QR check is ~10 ms, an issuance batch or an upload may take seconds.
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)

HTTP_DURATION = Histogram(
    "http_request_duration_seconds",
    "Time to answer an HTTP request, by route template, method and status",
    ["route", "method", "status"],
    buckets=LATENCY_BUCKETS,
)
VERIFICATIONS = Counter(
    "credential_verifications_total",
    "Certificate look-ups by the employer's verdict and the way in (page, api, query, bulk, share)",
    ["verdict", "channel"],
)
ISSUED = Counter("credential_issued_total", "Credentials signed and recorded by the registry")
SHED = Counter(
    "http_requests_shed_total",
    "Requests refused with 503 before any work, the process being at its admission limit (decision 043)",
)
POOL_IN_USE = Gauge(
    "db_pool_connections_in_use",
    "Database connections checked out of the pool, all processes",
    multiprocess_mode="livesum",
)


def count_pool_use(engine: Engine) -> None:
    """Keep ``db_pool_connections_in_use`` with the engine's pool (checkouts and checkins)."""
    event.listen(engine.pool, "checkout", lambda *_: POOL_IN_USE.inc())
    event.listen(engine.pool, "checkin", lambda *_: POOL_IN_USE.dec())


@dataclass(frozen=True)
class LogFigures:
    size: int
    checkpoint_age_seconds: float | None  # None before the first checkpoint


class DatabaseGauges(Collector):
    """Figures read from the database when scraped (the same for every process, so read once)."""

    def __init__(self, read: Callable[[], LogFigures]) -> None:
        self._read = read

    def collect(self) -> Iterator[GaugeMetricFamily]:
        figures = self._read()
        yield GaugeMetricFamily(
            "transparency_log_size", "Entries in the transparency log", value=figures.size
        )
        if figures.checkpoint_age_seconds is not None:
            yield GaugeMetricFamily(
                "transparency_checkpoint_age_seconds",
                "Seconds since the latest signed checkpoint",
                value=figures.checkpoint_age_seconds,
            )


def exposition(database: Collector) -> tuple[bytes, str]:
    """The metrics page: every process's samples (multiprocess mode) or this one's, and the database's."""
    registry = CollectorRegistry()
    if os.environ.get(MULTIPROCESS_DIR):
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        for collector in (HTTP_DURATION, VERIFICATIONS, ISSUED, SHED, POOL_IN_USE):
            registry.register(collector)
    registry.register(database)
    return generate_latest(registry), CONTENT_TYPE_LATEST
