"""Append to and check the audit trail (one global hash chain)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from credential_service.audit.models import AuditEvent
from credential_service.audit.rules import GENESIS, link_hash
from credential_service.core.clock import utcnow
from credential_service.core.db import bulk_insert, sequence_lock, table_of
from credential_service.crypto.jcs import canonical_json

AUDIT_LOCK_KEY = 0x43535F4155444954  # "CS_AUDIT": the audit trail's single writer (PostgreSQL)


def record(
    session: Session, *, actor: str, action: str, subject: str, detail: Mapping[str, Any]
) -> AuditEvent:
    """Append one event. The primary key is the sequence number: two writers racing for the same
    position cannot both commit, so the chain never forks; the lock makes them queue instead."""
    sequence_lock(session, AUDIT_LOCK_KEY)
    last = session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).first()
    event = AuditEvent(
        seq=(last.seq + 1) if last else 1,
        at=utcnow(),
        actor=actor,
        action=action,
        subject=subject,
        detail=canonical_json(dict(detail)).decode("utf-8"),
        prev_hash=last.event_hash if last else GENESIS,
    )
    event.event_hash = link_hash(event.prev_hash, event)
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class NewEvent:
    """One event for ``record_many``."""

    actor: str
    action: str
    subject: str
    detail: Mapping[str, Any]


@dataclass(frozen=True)
class _Link:
    """An event as the chain hashes it (``rules.ChainedEvent``), before it is a row."""

    seq: int
    at: datetime
    actor: str
    action: str
    subject: str
    detail: str
    prev_hash: str
    event_hash: str = ""


def record_many(session: Session, events: Sequence[NewEvent]) -> int:
    """Append many events, chained in order, as ``record`` would one by one: one look-up of the
    chain's end and one bulk insert (a batch issuance's chunk). Returns how many."""
    if not events:
        return 0
    sequence_lock(session, AUDIT_LOCK_KEY)
    last = session.execute(
        select(AuditEvent.seq, AuditEvent.event_hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    seq, prev_hash = (last.seq, last.event_hash) if last is not None else (0, GENESIS)
    at = utcnow()
    rows = []
    for new in events:
        seq += 1
        link = _Link(
            seq, at, new.actor, new.action, new.subject, canonical_json(dict(new.detail)).decode(), prev_hash
        )
        prev_hash = link_hash(link.prev_hash, link)
        rows.append(
            {
                "seq": seq,
                "at": at,
                "actor": new.actor,
                "action": new.action,
                "subject": new.subject,
                "detail": link.detail,
                "prev_hash": link.prev_hash,
                "event_hash": prev_hash,
            }
        )
    bulk_insert(session, table_of(AuditEvent), rows)
    return len(rows)


def check(events: Iterable[AuditEvent]) -> list[int]:
    """Sequence numbers where the chain breaks (altered, removed or re-ordered events)."""
    broken, previous, expected = [], GENESIS, 1
    for event in events:
        if (
            event.seq != expected
            or event.prev_hash != previous
            or link_hash(event.prev_hash, event) != event.event_hash
        ):
            broken.append(event.seq)
        previous, expected = event.event_hash, event.seq + 1
    return broken


def events(session: Session, *, action: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.seq)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    return list(session.scalars(query))


def stream(session: Session, *, batch: int = 2000) -> Iterator[AuditEvent]:
    """Every event in order, fetched ``batch`` at a time (the whole trail never sits in memory)."""
    query = select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=batch)
    yield from session.scalars(query)
