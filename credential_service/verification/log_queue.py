"""The verification log, written behind the request.

A verification must not write to the database while the employer waits (DESIGN: verification is
read-only at scale), yet the worker should see "verified on …". Events go to an in-memory queue
that a background thread writes in one transaction about once a second, and on shutdown.
A crash can lose the last second of log lines; it can never slow down or fail a verification.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from credential_service.core.clock import utcnow
from credential_service.verification.models import VerificationEvent

log = logging.getLogger(__name__)
MAX_PENDING = 100_000  # beyond this, drop rather than grow without bound under a flood


@dataclass(frozen=True)
class PendingEvent:
    credential_id: str
    verdict: str
    channel: str
    client: str
    at: datetime


class VerificationLogQueue:
    def __init__(
        self, open_session: Callable[[], AbstractContextManager[Session]], *, interval_seconds: float = 1.0
    ) -> None:
        self._open_session = open_session
        self._interval = interval_seconds
        self._pending: list[PendingEvent] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self.dropped = 0

    def put(self, credential_id: str, verdict: str, *, channel: str, client: str) -> None:
        with self._lock:
            if len(self._pending) >= MAX_PENDING:
                self.dropped += 1
                return
            self._pending.append(PendingEvent(credential_id, verdict, channel, client, utcnow()))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="verification-log", daemon=True)
                self._thread.start()

    def flush(self) -> int:
        """Write what is pending now; returns how many lines were written."""
        with self._lock:
            batch, self._pending = self._pending, []
        if not batch:
            return 0
        try:
            with self._open_session() as session:
                session.add_all(
                    VerificationEvent(
                        credential_id=e.credential_id,
                        verified_at=e.at,
                        verdict=e.verdict,
                        channel=e.channel,
                        client=e.client,
                    )
                    for e in batch
                )
        except SQLAlchemyError:
            log.exception("verification log: %d lines not written", len(batch))
            return 0
        return len(batch)

    def _run(self) -> None:
        while not self._stopped.is_set():
            self._wake.wait(self._interval)
            self.flush()

    def close(self) -> None:
        self._stopped.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.flush()
