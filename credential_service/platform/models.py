"""The platform's own tables: rate-limit buckets shared by every process and host, and the
generation counters that tell every process when its caches went stale."""

from __future__ import annotations

from sqlalchemy import BigInteger, Float, String
from sqlalchemy.orm import Mapped, mapped_column

from credential_service.core.db import Base


class RateLimitBucket(Base):
    """A client's token bucket for one limit. ``client`` is a keyed hash of the client's address:
    the table holds no address, and nobody without the data key can test one against it."""

    __tablename__ = "rate_limit_buckets"

    limit_name: Mapped[str] = mapped_column(String(20), primary_key=True)
    client: Mapped[str] = mapped_column(String(64), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    at: Mapped[float] = mapped_column(Float, index=True)  # seconds since the epoch of the last take


class CacheGeneration(Base):
    """A counter bumped in the same transaction as every change of what a cache rests on (see
    ``platform.generations``): a process compares it with the value its cache was filled at."""

    __tablename__ = "cache_generations"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)
