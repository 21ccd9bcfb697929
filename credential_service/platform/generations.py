"""Generation counters: how a cache in one process learns that another process changed what it holds.

Each counter is one row of ``cache_generations``, bumped in the same transaction as the change it
stands for, so it moves exactly when the change commits. A reader reads the counter (one indexed
single-row look-up, or a column of a statement it runs anyway) and drops what it cached at another
value. Bumping asks for ``remote_apply``, as status changes do: a reader on the synchronous hot
standby sees the new value when the commit returns (decision 040).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ScalarSelect, select
from sqlalchemy.orm import Session

from credential_service.core.db import applied_on_standby_at_commit, dialect_insert
from credential_service.platform.models import CacheGeneration

# What a verification rests on besides the certificate's own record: the issuers' keys (created,
# retired, compromised) and the registry (registration, status and scope of organisations).
TRUST = "trust"


def bump(session: Session, name: str = TRUST) -> None:
    """Move the counter on, in the caller's transaction (its commit waits for the standby)."""
    applied_on_standby_at_commit(session)
    session.execute(
        dialect_insert(session)(CacheGeneration)
        .values(name=name, value=1)  # the migration seeds the row; this makes one where it is gone
        .on_conflict_do_update(index_elements=["name"], set_={"value": CacheGeneration.value + 1})
    )


def column(name: str = TRUST) -> ScalarSelect[Any]:
    """The counter as a scalar subquery, to read it in a statement that reads something else too
    (NULL before the first bump: read it through ``value_of``)."""
    return select(CacheGeneration.value).where(CacheGeneration.name == name).scalar_subquery()


def value_of(read: Any) -> int:
    return int(read or 0)


def current(session: Session, name: str = TRUST) -> int:
    """The counter now (0 if it was never bumped)."""
    return value_of(session.scalar(select(CacheGeneration.value).where(CacheGeneration.name == name)))
