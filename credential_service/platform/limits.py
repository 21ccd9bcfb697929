"""Rate limits shared by every worker process and host: token buckets in the database.

Behind N processes an in-memory bucket gives N times the limit; these hold across them. Each take is
one short write transaction on the bucket's row (SQLite: the database's write lock; PostgreSQL: the
row lock of an upsert), so concurrent takes of one client queue up and none is lost. The bucket
arithmetic is ``core.ratelimit``'s; buckets left untouched long enough to be full again are deleted
now and then, so the table holds only recent clients.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import time
from collections.abc import Callable
from contextlib import AbstractContextManager

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from credential_service.core.db import dialect_insert
from credential_service.core.ratelimit import refill
from credential_service.platform.models import RateLimitBucket

SessionOpener = Callable[[], AbstractContextManager[Session]]
SWEEP_EVERY = 500  # about one take in this many also deletes the buckets that are full again


class SharedRateLimiter:
    def __init__(
        self,
        name: str,
        capacity: float,
        per_seconds: float,
        *,
        open_session: SessionOpener,
        key: bytes,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.name = name
        self.capacity = capacity
        self.refill_per_second = capacity / per_seconds
        self._open_session = open_session
        self._key = key
        self._clock = clock

    def _client(self, key: str) -> str:
        return hmac.new(self._key, f"rate-limit:{self.name}:{key}".encode(), hashlib.sha256).hexdigest()

    def take(self, key: str, cost: float = 1.0) -> float | None:
        """Spend ``cost`` tokens; None when allowed, else the seconds to wait before retrying."""
        client, now = self._client(key), self._clock()
        with self._open_session() as session:
            # A new client's bucket, unless another process just made it; then lock the row.
            session.execute(
                dialect_insert(session)(RateLimitBucket)
                .values(limit_name=self.name, client=client, tokens=self.capacity, at=now)
                .on_conflict_do_nothing()
            )
            bucket = session.scalars(
                select(RateLimitBucket)
                .where(RateLimitBucket.limit_name == self.name, RateLimitBucket.client == client)
                .with_for_update()
            ).one()
            tokens, retry = refill(
                bucket.tokens,
                bucket.at,
                now,
                capacity=self.capacity,
                per_second=self.refill_per_second,
                cost=cost,
            )
            bucket.tokens, bucket.at = tokens, now
            if random.random() < 1 / SWEEP_EVERY:  # noqa: S311 - spreading housekeeping, not a secret
                full_again = now - self.capacity / self.refill_per_second
                session.execute(
                    delete(RateLimitBucket).where(
                        RateLimitBucket.limit_name == self.name, RateLimitBucket.at < full_again
                    )
                )
        return retry
