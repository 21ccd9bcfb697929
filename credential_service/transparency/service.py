"""The transparency log's writer: append leaves, sign checkpoints, and read the signed checkpoints.

Every issued credential (``credential.issued``) and every status change (``credential.status``) is
one leaf of an RFC 9162 Merkle tree, appended in the same database transaction as the change it
records. Appends are serialised by the log lock (SQLite's write lock, which every transaction takes
at BEGIN; a transaction-scoped advisory lock on PostgreSQL), and the leaf index is the primary key:
a writer that somehow raced for the same position fails its transaction — the log never forks and
never has a gap. Perfect subtree hashes are stored as they complete, so roots and proofs read
O(log n) rows (proofs.py). Checkpoints are C2SP notes signed by the platform key (crypto/checkpoint.py).
See docs/decisions/017-transparency-log.md.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import TextClause, event, func, select, text
from sqlalchemy.orm import Session

from credential_service.core.clock import as_utc, to_xsd, utcnow
from credential_service.core.db import bulk_insert, sequence_lock, table_of
from credential_service.crypto import merkle
from credential_service.crypto.checkpoint import Checkpoint, log_origin
from credential_service.crypto.checkpoint import sign_checkpoint as sign_note
from credential_service.crypto.jcs import canonical_json
from credential_service.crypto.keystore import KeyStore
from credential_service.issuers import service as issuers
from credential_service.issuers.errors import NoUsableKey
from credential_service.transparency.errors import CheckpointNotFound, LogDamaged, LogTruncated
from credential_service.transparency.models import LogCheckpoint, LogLeaf, LogNode
from credential_service.transparency.rules import LeafKind, leaf_document, leaf_kind

log = logging.getLogger(__name__)

LOG_LOCK_KEY = 0x43535F4C4F47  # "CS_LOG": pg_advisory_xact_lock key of the log's single writer
_PENDING_CHECKPOINT = "transparency_log.checkpoint_at_commit"


@dataclass(frozen=True)
class LeafRef:
    """Where a leaf landed: its index, hash (hex) and logged-at time."""

    index: int
    leaf_hash: str
    logged_at: datetime
    kind: LeafKind


def _lock(session: Session) -> None:
    """Serialise the log's writers for the rest of the transaction."""
    sequence_lock(session, LOG_LOCK_KEY)


def tree_size(session: Session) -> int:
    last = session.scalar(select(func.max(LogLeaf.leaf_index)))
    return 0 if last is None else int(last) + 1


@lru_cache(maxsize=256)
def _nodes_query(count: int) -> TextClause:
    """One statement per number of nodes, compiled once: a proof's look-up costs the database's time
    (about 0.2 ms), not SQLAlchemy's (a fresh OR-of-IN expression per proof took ten times that)."""
    wanted = " OR ".join(f"(level = :l{i} AND node_index = :n{i})" for i in range(count))
    return text(f"SELECT level, node_index, node_hash FROM transparency_log_nodes WHERE {wanted}")  # noqa: S608 - placeholders only


def fetch_nodes(session: Session, wanted: Iterable[merkle.Node]) -> dict[merkle.Node, bytes]:
    """The stored hashes of the perfect nodes ``wanted``; raises LogDamaged if one is missing."""
    nodes = sorted(set(wanted))
    if not nodes:
        return {}
    params: dict[str, int] = {}
    for i, (level, index) in enumerate(nodes):
        params[f"l{i}"], params[f"n{i}"] = level, index
    rows = session.execute(_nodes_query(len(nodes)), params)
    found = {(int(level), int(index)): bytes.fromhex(value) for level, index, value in rows}
    missing = set(nodes) - found.keys()
    if missing:
        raise LogDamaged(f"missing subtree hashes {sorted(missing)[:3]}")
    return found


def append(
    session: Session, kind: LeafKind | str, data: Mapping[str, Any], *, at: datetime | None = None
) -> LeafRef:
    """Append one leaf in the caller's transaction and return where it landed.

    ``data`` holds the fields of LEAF_FIELDS[kind] (for ``credential.status``: credentialId, purpose,
    value and optionally reason); ``at`` is the logged-at time (default now). Raises InvalidInput.
    The leaf becomes provable once a checkpoint covering it is signed: see ``checkpoint_at_commit``.
    """
    return append_many(session, kind, [data], at=at)[0]


def append_many(
    session: Session, kind: LeafKind | str, items: Sequence[Mapping[str, Any]], *, at: datetime | None = None
) -> list[LeafRef]:
    """Append one leaf per item, in order, as ``append`` does, at a bulk cost: the subtree hashes
    the new leaves complete are computed here (those left of the first new leaf, at most one per
    level, read in one query) and every row is written in one bulk insert per table."""
    kind = leaf_kind(kind)
    _lock(session)
    logged_at = _logged_at(session, at)
    leaves = []
    for data in items:
        body = canonical_json(leaf_document(kind, data, logged_at)).decode("utf-8")
        credential_id = data.get("credentialId")
        leaves.append((body, merkle.leaf_hash(body.encode("utf-8")), credential_id))
    first = tree_size(session)
    completed = [(index, merkle.parents_completed_by(index)) for index in range(first, first + len(leaves))]
    # A left child covering only leaves before ``first`` is stored; the others are computed below.
    stored = fetch_nodes(
        session,
        [
            (level - 1, 2 * position)
            for _, parents in completed
            for level, position in parents
            if (2 * position + 1) << (level - 1) <= first
        ],
    )
    known: dict[merkle.Node, bytes] = dict(stored)
    leaf_rows: list[dict[str, Any]] = []
    node_rows: list[dict[str, Any]] = []
    refs: list[LeafRef] = []
    for (index, parents), (body, hashed, credential_id) in zip(completed, leaves, strict=True):
        leaf_rows.append(
            {
                "leaf_index": index,
                "kind": kind.value,
                "credential_id": credential_id if isinstance(credential_id, str) else None,
                "logged_at": logged_at,
                "leaf_data": body,
                "leaf_hash": hashed.hex(),
            }
        )
        node_rows.append({"level": 0, "node_index": index, "node_hash": hashed.hex()})
        known[(0, index)] = current = hashed
        for level, position in parents:
            current = merkle.node_hash(known[(level - 1, 2 * position)], current)
            known[(level, position)] = current
            node_rows.append({"level": level, "node_index": position, "node_hash": current.hex()})
        refs.append(LeafRef(index=index, leaf_hash=hashed.hex(), logged_at=logged_at, kind=kind))
    bulk_insert(session, table_of(LogLeaf), leaf_rows)
    bulk_insert(session, table_of(LogNode), node_rows)
    return refs


def _logged_at(session: Session, at: datetime | None) -> datetime:
    """``at`` (default now), never before a checkpoint already signed: one that excludes a leaf
    cannot be older than it (a record dated in the past, such as a late certificate, is logged when
    it is logged). Read under the log's lock."""
    logged_at = at or utcnow()
    signed = session.scalar(select(LogCheckpoint.signed_at).order_by(LogCheckpoint.tree_size.desc()).limit(1))
    return max(logged_at, as_utc(signed)) if signed is not None else logged_at


def root_hash(session: Session, size: int) -> bytes:
    """MTH of the first ``size`` leaves, from the stored perfect subtrees."""
    return merkle.root_from_nodes(size, fetch_nodes(session, merkle.root_nodes(size)))


# --- checkpoints ------------------------------------------------------------------------------------


def latest_checkpoint(session: Session) -> LogCheckpoint | None:
    return session.scalars(select(LogCheckpoint).order_by(LogCheckpoint.tree_size.desc()).limit(1)).first()


def current_checkpoint(session: Session) -> LogCheckpoint:
    """The latest signed checkpoint; raises NotFound before the first one."""
    signed = latest_checkpoint(session)
    if signed is None:
        raise CheckpointNotFound()
    return signed


def get_checkpoint(session: Session, size: int) -> LogCheckpoint:
    found = session.get(LogCheckpoint, size)
    if found is None:
        raise CheckpointNotFound(size)
    return found


def sign_checkpoint(
    session: Session, keystore: KeyStore, *, public_base_url: str, now: datetime | None = None
) -> LogCheckpoint:
    """Sign a checkpoint of the log as it is now with the platform key (the latest one if the log
    has not grown since). Raises NoUsableKey when the platform has no usable key, and LogTruncated when
    storage holds fewer leaves than an earlier checkpoint (a truncated log: run ``log verify``)."""
    _lock(session)
    size = tree_size(session)
    latest = latest_checkpoint(session)
    if latest is not None and latest.tree_size == size:
        return latest
    if latest is not None and latest.tree_size > size:
        raise LogTruncated(size, latest.tree_size)
    root = root_hash(session, size)
    platform = issuers.ensure_platform_issuer(session, keystore, public_base_url=public_base_url)
    key, signer = issuers.signer_for(platform, keystore)
    moment = (now or utcnow()).replace(microsecond=0)
    if latest is not None and moment < latest.signed_at:
        moment = latest.signed_at  # time never runs backwards along the log (clock skew between servers)
    note = sign_note(
        Checkpoint(origin=log_origin(public_base_url), size=size, root_hash=root),
        timestamp=moment,
        public_key=signer.public_key,
        sign=signer.sign,
    )
    signed = LogCheckpoint(
        tree_size=size, root_hash=root.hex(), signed_at=moment, key_id=key.verification_method, note=note
    )
    session.add(signed)
    session.flush()
    return signed


def sign_checkpoint_if_grown(
    session: Session, keystore: KeyStore, *, public_base_url: str
) -> LogCheckpoint | None:
    """A new checkpoint if leaves were appended since the latest one (None otherwise): the schedule's
    and the batch's call. A platform without a usable key (compromised, not yet rotated) is logged
    and skipped: the leaves wait for the next checkpoint."""
    size = tree_size(session)
    latest = latest_checkpoint(session)
    if size == 0 or (latest is not None and latest.tree_size >= size):
        return None
    try:
        return sign_checkpoint(session, keystore, public_base_url=public_base_url)
    except NoUsableKey:
        log.warning("transparency log: no usable platform key, checkpoint postponed (rotate the key)")
        return None


def checkpoint_at_commit(session: Session, keystore: KeyStore, *, public_base_url: str) -> None:
    """Sign one checkpoint covering this transaction's appends just before it commits.

    Issuance calls this, so a credential is provable the moment its issuance commits; however many
    leaves a transaction appends, it signs one checkpoint.
    """
    session.info[_PENDING_CHECKPOINT] = (keystore, public_base_url)


def skip_checkpoint_at_commit(session: Session) -> None:
    """Leave this transaction's appends to the next checkpoint (batch issuance signs one every few
    hundred certificates and at its end, not one per certificate)."""
    session.info.pop(_PENDING_CHECKPOINT, None)


@event.listens_for(Session, "before_commit")
def _sign_pending_checkpoint(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint being released: wait for the real commit
    pending = session.info.pop(_PENDING_CHECKPOINT, None)
    if pending is not None:
        keystore, public_base_url = pending
        sign_checkpoint_if_grown(session, keystore, public_base_url=public_base_url)


def checkpoint_document(signed: LogCheckpoint) -> dict[str, Any]:
    """The checkpoint as JSON: the signed note (authoritative) and its fields for convenience."""
    return {
        "origin": signed.note.split("\n", 1)[0],
        "treeSize": signed.tree_size,
        "rootHash": base64.b64encode(bytes.fromhex(signed.root_hash)).decode("ascii"),
        "timestamp": to_xsd(signed.signed_at),
        "keyId": signed.key_id,
        "note": signed.note,
    }
