"""Bulk writes of the generated province: many rows per statement, commits in chunks, and the
registry of database ids the later phases refer to (decision 041)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, TypeVar

from sqlalchemy import insert
from sqlalchemy.orm import Session

from credential_service.core.clock import BEIJING
from credential_service.issuers.models import Issuer

Sessions = Callable[[], AbstractContextManager[Session]]
T = TypeVar("T")
CHUNK = 5_000  # rows per statement group and per commit
CLASS_CHUNK = 100  # classes whose check-ins are written together (about 25,000 check-ins)
UNSIGNED = "unsigned"  # decision 041: generated certificates carry no proof


@dataclass(frozen=True)
class Registry:
    organisation_ids: dict[int, int]  # world index → organisations.id
    issuers: dict[int, Issuer]  # world index → the organisation's issuer (id, did, name)
    institution_ids: dict[int, int]


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def insert_rows(session: Session, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` (many per statement) and return their ids, in order."""
    if not rows:
        return []
    result = session.execute(insert(model).returning(model.id, sort_by_parameter_order=True), rows)
    return list(result.scalars())


def at_hour(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), BEIJING)
