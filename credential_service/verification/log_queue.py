"""The verification log, written behind the request.

A verification must not write to the database while the employer waits (DESIGN: verification is
read-only at scale), yet the worker should see "verified on …". Events go to an in-memory queue
that a background thread writes in one transaction about once a second, and on shutdown.
A crash can lose the last second of log lines; it can never slow down or fail a verification.

A write that fails (the database locked or down) keeps its lines: they go back to the front of the
queue and the next write is tried after a growing pause (1 s, 2 s, 4 s … at most a minute). A failed
transaction writes nothing, so a retried line lands once. Memory is bounded: at ``MAX_PENDING``
lines waiting (written or not yet), new lines are dropped and counted (``dropped``, and a warning
per write) — the oldest are kept, as they are the ones the holders have not yet seen.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.exc import SQLAlchemyError

from credential_service.core.clock import utcnow
from credential_service.core.db import OpenSession
from credential_service.verification.models import VerificationEvent

log = logging.getLogger(__name__)
MAX_PENDING = 100_000  # beyond this, drop new lines rather than grow without bound
MAX_BACKOFF_SECONDS = 60.0


@dataclass(frozen=True)
class PendingEvent:
    credential_id: str
    verdict: str
    channel: str
    client: str
    at: datetime


class VerificationLogQueue:
    def __init__(self, open_session: OpenSession, *, interval_seconds: float = 1.0) -> None:
        self._open_session = open_session
        self._interval = interval_seconds
        self._pending: list[PendingEvent] = []
        self._in_flight = 0  # lines being written: they count against MAX_PENDING until written
        self._failures = 0  # writes failed in a row
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._flushing = threading.Lock()  # one write at a time (the thread, close, tests)
        self.dropped = 0  # lines refused at MAX_PENDING since start
        self._unreported_drops = 0

    def put(self, credential_id: str, verdict: str, *, channel: str, client: str) -> None:
        with self._lock:
            if len(self._pending) + self._in_flight >= MAX_PENDING:
                self.dropped += 1
                self._unreported_drops += 1
                return
            self._pending.append(PendingEvent(credential_id, verdict, channel, client, utcnow()))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="verification-log", daemon=True)
                self._thread.start()

    def flush(self) -> int:
        """Write what is pending now; returns how many lines were written (0 when the write failed:
        the lines are kept for the next try)."""
        with self._flushing:
            return self._write_pending()

    def _write_pending(self) -> int:
        with self._lock:
            batch, self._pending = self._pending, []
            self._in_flight = len(batch)
            dropped, self._unreported_drops = self._unreported_drops, 0
        if dropped:
            log.warning("verification log: %d lines dropped (%d waiting)", dropped, MAX_PENDING)
        if not batch:
            return 0
        try:
            with self._open_session() as session:  # one bulk INSERT: a sixth of the ORM's cost per line
                session.execute(
                    insert(VerificationEvent),
                    [
                        {
                            "credential_id": e.credential_id,
                            "verified_at": e.at,
                            "verdict": e.verdict,
                            "channel": e.channel,
                            "client": e.client,
                        }
                        for e in batch
                    ],
                )
        except SQLAlchemyError:
            with self._lock:
                self._pending[:0] = batch
                self._in_flight = 0
                self._failures += 1
            log.exception("verification log: %d lines not written yet, kept for a retry", len(batch))
            return 0
        with self._lock:
            self._in_flight = 0
            self._failures = 0
        return len(batch)

    def _pause(self) -> float:
        return min(self._interval * 2.0**self._failures, MAX_BACKOFF_SECONDS)

    def _run(self) -> None:
        while not self._stopped.is_set():
            self._wake.wait(self._pause())
            self.flush()

    def close(self) -> None:
        self._stopped.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.flush()
