"""The lifelong file: append entries (hash-chained per person), read the timeline, check the chain."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.orm import Session

from credential_service.core.clock import utcnow
from credential_service.core.db import bulk_insert, table_of
from credential_service.crypto.jcs import canonical_json
from credential_service.identity.models import Person
from credential_service.records.errors import InvalidCorrection
from credential_service.records.models import FileEntry
from credential_service.records.rules import GENESIS, ChainedFields, EntryKind, entry_hash


def _chained(entry: FileEntry) -> ChainedFields:
    return ChainedFields(
        seq=entry.seq,
        kind=entry.kind,
        occurred_at=entry.occurred_at,
        recorded_at=entry.recorded_at,
        source=entry.source,
        payload=entry.payload,
        supersedes_seq=entry.supersedes_seq,
        reason=entry.reason,
    )


def _chain_head(session: Session, person_id: int) -> tuple[int, str] | None:
    """(seq, entry hash) of the person's last entry: two columns, not the whole entry."""
    row = session.execute(
        select(FileEntry.seq, FileEntry.entry_hash)
        .where(FileEntry.person_id == person_id)
        .order_by(FileEntry.seq.desc())
        .limit(1)
    ).first()
    return None if row is None else (row.seq, row.entry_hash)


def append_entry(
    session: Session,
    person: Person,
    kind: EntryKind,
    payload: Mapping[str, Any],
    *,
    source: str,
    occurred_at: datetime | None = None,
    supersedes_seq: int | None = None,
    reason: str | None = None,
    idempotency_key: str | None = None,
) -> FileEntry:
    """Append one entry to ``person``'s file and chain it to the previous one.

    Appends to one person are serialised by locking the person's row, so the chain never forks.
    A correction names the entry it supersedes and says why; raises InvalidCorrection otherwise.
    """
    session.execute(select(Person.id).where(Person.id == person.id).with_for_update())
    last_seq, prev_hash = _chain_head(session, person.id) or (0, GENESIS)
    if supersedes_seq is not None:
        if not 1 <= supersedes_seq <= last_seq:
            raise InvalidCorrection("must name an existing entry of this person's file")
        if not reason:
            raise InvalidCorrection("a correction must say why")
    now = utcnow()
    entry = FileEntry(
        person_id=person.id,
        seq=last_seq + 1,
        kind=kind.value,
        occurred_at=occurred_at or now,
        recorded_at=now,
        source=source,
        payload=canonical_json(dict(payload)).decode("utf-8"),
        supersedes_seq=supersedes_seq,
        reason=reason,
        idempotency_key=idempotency_key,
        prev_hash=prev_hash,
    )
    entry.entry_hash = entry_hash(entry.prev_hash, _chained(entry))
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class NewEntry:
    """One entry for ``append_entries`` (a bulk append never corrects: corrections go one by one)."""

    person_id: int
    kind: EntryKind
    payload: Mapping[str, Any]
    source: str
    occurred_at: datetime | None = None
    idempotency_key: str | None = None


def append_entries(session: Session, entries: Sequence[NewEntry]) -> list[int]:
    """Append many entries at once, each chained to the one before it in its person's file.

    The same rules as ``append_entry`` at a bulk cost: one statement locks every person concerned
    (in id order, so two bulk appends cannot deadlock), one query finds the end of each chain, one
    bulk insert writes the entries (no ORM objects are kept). Returns the new entries' ids, in the
    order of ``entries`` (the postings that refer to them need them).
    """
    table = table_of(FileEntry)
    rows = _chained_rows(session, entries)
    if not rows:
        return []
    inserted = session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
    return list(inserted.scalars())


def append_entries_without_ids(session: Session, entries: Sequence[NewEntry]) -> int:
    """``append_entries`` for callers that need no ids back (a submission, a batch issuance): one
    bulk insert (ids returned in order cost SQLite one statement per row). Returns how many."""
    rows = _chained_rows(session, entries)
    bulk_insert(session, table_of(FileEntry), rows)
    return len(rows)


def _chained_rows(session: Session, entries: Sequence[NewEntry]) -> list[dict[str, Any]]:
    """The rows of ``entries``, each chained to the end of its person's file (persons locked)."""
    if not entries:
        return []
    person_ids = sorted({entry.person_id for entry in entries})
    session.execute(select(Person.id).where(Person.id.in_(person_ids)).order_by(Person.id).with_for_update())
    last = (
        select(FileEntry.person_id, func.max(FileEntry.seq).label("seq"))
        .where(FileEntry.person_id.in_(person_ids))
        .group_by(FileEntry.person_id)
        .subquery()
    )
    heads: dict[int, tuple[int, str]] = {
        row.person_id: (row.seq, row.entry_hash)
        for row in session.execute(
            select(FileEntry.person_id, FileEntry.seq, FileEntry.entry_hash).join(
                last, (FileEntry.person_id == last.c.person_id) & (FileEntry.seq == last.c.seq)
            )
        )
    }
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for new in entries:
        last_seq, prev_hash = heads.get(new.person_id, (0, GENESIS))
        fields = ChainedFields(
            seq=last_seq + 1,
            kind=new.kind.value,
            occurred_at=new.occurred_at or now,
            recorded_at=now,
            source=new.source,
            payload=canonical_json(dict(new.payload)).decode("utf-8"),
            supersedes_seq=None,
            reason=None,
        )
        digest = entry_hash(prev_hash, fields)
        rows.append(
            {
                "person_id": new.person_id,
                "seq": fields.seq,
                "kind": fields.kind,
                "occurred_at": fields.occurred_at,
                "recorded_at": now,
                "source": fields.source,
                "payload": fields.payload,
                "supersedes_seq": None,
                "reason": None,
                "idempotency_key": new.idempotency_key,
                "prev_hash": prev_hash,
                "entry_hash": digest,
            }
        )
        heads[new.person_id] = (fields.seq, digest)
    return rows


@dataclass(frozen=True)
class TimelineEntry:
    seq: int
    kind: str
    occurred_at: datetime
    recorded_at: datetime
    source: str
    facts: dict[str, Any]
    supersedes_seq: int | None
    reason: str | None
    superseded_by: int | None
    entry_hash: str


def timeline(session: Session, person: Person) -> list[TimelineEntry]:
    """The whole file, oldest first, each entry marked with the correction that supersedes it."""
    return timeline_of(session, person.id)


# Built once: constructing the statement and its cache key per request cost as much as running it.
_TIMELINE = (
    select(
        FileEntry.seq,
        FileEntry.kind,
        FileEntry.occurred_at,
        FileEntry.recorded_at,
        FileEntry.source,
        FileEntry.payload,
        FileEntry.supersedes_seq,
        FileEntry.reason,
        FileEntry.entry_hash,
    )
    .where(FileEntry.person_id == bindparam("person_id"))
    .order_by(FileEntry.seq)
)


def timeline_of(session: Session, person_id: int) -> list[TimelineEntry]:
    """``timeline`` by the person's database id: one range read of the (person_id, seq) index."""
    rows = session.execute(_TIMELINE, {"person_id": person_id}).all()
    superseded = {row.supersedes_seq: row.seq for row in rows if row.supersedes_seq is not None}
    return [
        TimelineEntry(
            seq=row.seq,
            kind=row.kind,
            occurred_at=row.occurred_at,
            recorded_at=row.recorded_at,
            source=row.source,
            facts=json.loads(row.payload),
            supersedes_seq=row.supersedes_seq,
            reason=row.reason,
            superseded_by=superseded.get(row.seq),
            entry_hash=row.entry_hash,
        )
        for row in rows
    ]


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    problem: str


def check_chain(entries: Sequence[FileEntry]) -> list[ChainProblem]:
    """Every break in a person's chain: altered content, removed or re-ordered entries."""
    problems: list[ChainProblem] = []
    previous, expected_seq = GENESIS, 1
    for entry in entries:
        if entry.seq != expected_seq:
            problems.append(
                ChainProblem(entry.seq, f"expected entry {expected_seq}: entries missing or re-ordered")
            )
        if entry.prev_hash != previous:
            problems.append(ChainProblem(entry.seq, "does not link to the entry before it"))
        if entry_hash(entry.prev_hash, _chained(entry)) != entry.entry_hash:
            problems.append(ChainProblem(entry.seq, "content changed after it was recorded"))
        previous, expected_seq = entry.entry_hash, entry.seq + 1
    return problems


def verify_file(session: Session, person: Person) -> list[ChainProblem]:
    entries = session.scalars(
        select(FileEntry).where(FileEntry.person_id == person.id).order_by(FileEntry.seq)
    )
    return check_chain(list(entries))
