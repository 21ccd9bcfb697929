"""The transparency log: append leaves, sign checkpoints, serve proofs, audit the storage.

Every issued credential (``credential.issued``) and every status change (``credential.status``) is
one leaf of an RFC 9162 Merkle tree, appended in the same database transaction as the change it
records. Appends are serialised by the log lock (SQLite's write lock, which every transaction takes
at BEGIN; a transaction-scoped advisory lock on PostgreSQL), and the leaf index is the primary key:
a writer that somehow raced for the same position fails its transaction — the log never forks and
never has a gap. Perfect subtree hashes are stored as they complete, so roots and proofs read
O(log n) rows. Checkpoints are C2SP notes signed by the platform key (transparency/checkpoint.py).
See docs/decisions/017-transparency-log.md.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from itertools import accumulate
from typing import Any

from sqlalchemy import TextClause, event, func, select, text
from sqlalchemy.orm import Session

from credential_service.core.clock import parse_xsd, to_xsd, utcnow
from credential_service.core.db import sequence_lock
from credential_service.core.errors import Conflict, FieldError, InvalidInput, NotFound, ServiceError
from credential_service.crypto.jcs import canonical_json
from credential_service.crypto.keystore import KeyStore
from credential_service.crypto.multibase import decode_ed25519_public_key
from credential_service.issuers import service as issuers
from credential_service.issuers.errors import NoUsableKey
from credential_service.issuers.rules import PLATFORM_CODE, KeyLifecycle
from credential_service.transparency import merkle
from credential_service.transparency.checkpoint import (
    Checkpoint,
    CheckpointError,
    log_origin,
    open_checkpoint,
)
from credential_service.transparency.checkpoint import sign_checkpoint as sign_note
from credential_service.transparency.models import LogCheckpoint, LogLeaf, LogNode

log = logging.getLogger(__name__)

LOG_LOCK_KEY = 0x43535F4C4F47  # "CS_LOG": pg_advisory_xact_lock key of the log's single writer
MAX_PAGE = 1000  # leaves per /log/leaves page
CHUNK = 10_000  # leaves per query when auditing the whole log
CLOCK_TOLERANCE = timedelta(minutes=5)  # clock skew allowed between app servers (log verify)
_PENDING_CHECKPOINT = "transparency_log.checkpoint_at_commit"


class LeafKind(StrEnum):
    CREDENTIAL_ISSUED = "credential.issued"
    CREDENTIAL_STATUS = "credential.status"


# What a leaf may hold, per kind (required, optional). Nothing else gets in: leaves are public, so
# no personal data (no names, no ID numbers, no certificate numbers: those must not become an index).
LEAF_FIELDS: dict[LeafKind, tuple[frozenset[str], frozenset[str]]] = {
    LeafKind.CREDENTIAL_ISSUED: (
        frozenset({"credentialId", "digest", "issuer", "verificationMethod"}),
        frozenset(),
    ),
    LeafKind.CREDENTIAL_STATUS: (
        frozenset({"credentialId", "purpose", "value"}),
        frozenset({"reason"}),
    ),
}
MAX_FIELD_CHARS = 255


class LogDamaged(ServiceError):
    """The log's own storage is inconsistent (a stored node is missing): ``log verify`` says where."""

    def __init__(self, message: str) -> None:
        super().__init__(
            message=f"透明日志存储已损坏，请运行 credential-service log verify / the log storage is damaged "
            f"({message}): run credential-service log verify",
            code="log_damaged",
            status=503,
        )


@dataclass(frozen=True)
class LeafRef:
    """Where a leaf landed: its index, hash (hex) and logged-at time."""

    index: int
    leaf_hash: str
    logged_at: datetime
    kind: LeafKind


# --- leaves -----------------------------------------------------------------------------------------


def leaf_document(kind: LeafKind, data: Mapping[str, Any], logged_at: datetime) -> dict[str, Any]:
    """The leaf's JSON: the caller's fields, checked, plus ``kind`` and ``loggedAt``.

    Raises InvalidInput for a missing or unknown field or a value that is not a short scalar.
    """
    required, optional = LEAF_FIELDS[kind]
    problems = [FieldError(name, "missing") for name in sorted(required - data.keys())]
    problems += [
        FieldError(name, "not allowed in a log leaf") for name in sorted(data.keys() - required - optional)
    ]
    for name, value in data.items():
        if not isinstance(value, str | bool | int) or (
            isinstance(value, str) and len(value) > MAX_FIELD_CHARS
        ):
            problems.append(
                FieldError(name, f"must be a string (≤ {MAX_FIELD_CHARS}), a number or a boolean")
            )
    if problems:
        raise InvalidInput(f"透明日志条目无效 / invalid {kind.value} log leaf", problems)
    return {**data, "kind": kind.value, "loggedAt": to_xsd(logged_at)}


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


def _fetch_nodes(session: Session, wanted: Iterable[merkle.Node]) -> dict[merkle.Node, bytes]:
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
    try:
        kind = LeafKind(kind)
    except ValueError:
        raise InvalidInput(
            f"未知的日志条目类型 / unknown log leaf kind {kind!r}", [FieldError("kind", "unknown")]
        ) from None
    logged_at = at or utcnow()
    body = canonical_json(leaf_document(kind, data, logged_at)).decode("utf-8")
    hashed = merkle.leaf_hash(body.encode("utf-8"))
    _lock(session)
    index = tree_size(session)
    completed = merkle.parents_completed_by(index)
    # The left children of the nodes this leaf completes are already stored (the right ones we compute).
    stored = _fetch_nodes(session, [(level - 1, 2 * position) for level, position in completed])
    nodes = [LogNode(level=0, node_index=index, node_hash=hashed.hex())]
    current = hashed
    for level, position in completed:
        current = merkle.node_hash(stored[(level - 1, 2 * position)], current)
        nodes.append(LogNode(level=level, node_index=position, node_hash=current.hex()))
    credential_id = data.get("credentialId")
    session.add(
        LogLeaf(
            leaf_index=index,
            kind=kind.value,
            credential_id=credential_id if isinstance(credential_id, str) else None,
            logged_at=logged_at,
            leaf_data=body,
            leaf_hash=hashed.hex(),
        )
    )
    session.add_all(nodes)
    session.flush()
    return LeafRef(index=index, leaf_hash=hashed.hex(), logged_at=logged_at, kind=kind)


def root_hash(session: Session, size: int) -> bytes:
    """MTH of the first ``size`` leaves, from the stored perfect subtrees."""
    return merkle.root_from_nodes(size, _fetch_nodes(session, merkle.root_nodes(size)))


# --- checkpoints ------------------------------------------------------------------------------------


def latest_checkpoint(session: Session) -> LogCheckpoint | None:
    return session.scalars(select(LogCheckpoint).order_by(LogCheckpoint.tree_size.desc()).limit(1)).first()


def current_checkpoint(session: Session) -> LogCheckpoint:
    """The latest signed checkpoint; raises NotFound before the first one."""
    signed = latest_checkpoint(session)
    if signed is None:
        raise NotFound("尚无已签名的检查点 / no checkpoint has been signed yet", code="checkpoint_not_found")
    return signed


def get_checkpoint(session: Session, size: int) -> LogCheckpoint:
    found = session.get(LogCheckpoint, size)
    if found is None:
        raise NotFound(
            f"没有树大小为 {size} 的已签名检查点 / no signed checkpoint of size {size}",
            code="checkpoint_not_found",
        )
    return found


def sign_checkpoint(
    session: Session, keystore: KeyStore, *, public_base_url: str, now: datetime | None = None
) -> LogCheckpoint:
    """Sign a checkpoint of the log as it is now with the platform key (the latest one if the log
    has not grown since). Raises NoUsableKey when the platform has no usable key, and Conflict when
    storage holds fewer leaves than an earlier checkpoint (a truncated log: run ``log verify``)."""
    _lock(session)
    size = tree_size(session)
    latest = latest_checkpoint(session)
    if latest is not None and latest.tree_size == size:
        return latest
    if latest is not None and latest.tree_size > size:
        raise Conflict(
            f"日志只剩 {size} 条，少于已签名的 {latest.tree_size} 条 / the log holds {size} leaves, fewer "
            f"than checkpoint {latest.tree_size} signed: run credential-service log verify",
            code="log_truncated",
        )
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


# --- proofs -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InclusionProof:
    leaf: LogLeaf
    tree_size: int
    audit_path: list[bytes]
    checkpoint: LogCheckpoint

    def document(self) -> dict[str, Any]:
        return {
            "leafIndex": self.leaf.leaf_index,
            "leafHash": self.leaf.leaf_hash,
            "leafData": self.leaf.leaf_data,
            "leaf": json.loads(self.leaf.leaf_data),
            "treeSize": self.tree_size,
            "auditPath": [base64.b64encode(p).decode("ascii") for p in self.audit_path],
            "checkpoint": checkpoint_document(self.checkpoint),
        }


@dataclass(frozen=True)
class ConsistencyProof:
    first: int
    second: int
    proof: list[bytes]
    checkpoint: LogCheckpoint
    first_checkpoint: LogCheckpoint | None

    def document(self) -> dict[str, Any]:
        return {
            "from": self.first,
            "to": self.second,
            "proof": [base64.b64encode(p).decode("ascii") for p in self.proof],
            "checkpoint": checkpoint_document(self.checkpoint),
            "fromCheckpoint": checkpoint_document(self.first_checkpoint) if self.first_checkpoint else None,
        }


def _range_hashes(session: Session, ranges: list[merkle.Range]) -> list[bytes]:
    nodes = _fetch_nodes(session, merkle.nodes_for(ranges))
    return [merkle.range_hash(start, end, nodes.__getitem__) for start, end in ranges]


def find_leaf(
    session: Session,
    *,
    leaf_index: int | None = None,
    credential_id: str | None = None,
    leaf_hash: str | None = None,
) -> LogLeaf:
    """A leaf by index, by hash (hex), or a credential's issuance leaf by its id; raises NotFound."""
    if leaf_index is not None:
        found = session.get(LogLeaf, leaf_index)
    elif leaf_hash is not None:
        found = session.scalars(
            select(LogLeaf).where(LogLeaf.leaf_hash == leaf_hash.lower()).limit(1)
        ).first()
    elif credential_id is not None:
        found = session.scalars(
            select(LogLeaf)
            .where(LogLeaf.credential_id == credential_id, LogLeaf.kind == LeafKind.CREDENTIAL_ISSUED.value)
            .order_by(LogLeaf.leaf_index)
            .limit(1)
        ).first()
    else:
        raise InvalidInput(
            "请给出 credential_id、leaf_index 或 leaf_hash / give credential_id, leaf_index or leaf_hash",
            [FieldError("credential_id", "one of credential_id, leaf_index, leaf_hash is required")],
        )
    if found is None:
        raise NotFound(
            "透明日志中没有这条记录 / no such entry in the transparency log", code="leaf_not_found"
        )
    return found


def inclusion_proof(session: Session, leaf: LogLeaf, *, tree_size: int | None = None) -> InclusionProof:
    """PATH(leaf, D[n]) against the signed checkpoint of size ``tree_size`` (default: the latest).

    Raises NotFound (no such checkpoint) and Conflict (the leaf is not in a signed checkpoint yet).
    """
    if tree_size is None:
        signed = latest_checkpoint(session)
        if signed is None:
            raise Conflict(
                "尚无已签名的检查点 / no checkpoint has been signed yet", code="not_yet_in_checkpoint"
            )
    else:
        signed = get_checkpoint(session, tree_size)
    if leaf.leaf_index >= signed.tree_size:
        raise Conflict(
            f"该记录（第 {leaf.leaf_index} 条）尚未进入已签名的检查点（{signed.tree_size} 条），请稍后再试 / "
            f"leaf {leaf.leaf_index} is not yet in the signed checkpoint of size {signed.tree_size}",
            code="not_yet_in_checkpoint",
        )
    path = _range_hashes(session, merkle.inclusion_ranges(leaf.leaf_index, signed.tree_size))
    return InclusionProof(leaf=leaf, tree_size=signed.tree_size, audit_path=path, checkpoint=signed)


def consistency_proof(session: Session, first: int, second: int | None = None) -> ConsistencyProof:
    """PROOF(first, D[second]) where ``second`` is a signed checkpoint's size (default: the latest).

    Raises InvalidInput (first > second or negative) and NotFound (no checkpoint of that size).
    """
    signed = current_checkpoint(session) if second is None else get_checkpoint(session, second)
    if not 0 <= first <= signed.tree_size:
        raise InvalidInput(
            "from 必须在 0 与 to 之间 / from must be between 0 and to",
            [FieldError("from", f"must be between 0 and {signed.tree_size}")],
        )
    proof = _range_hashes(session, merkle.consistency_ranges(first, signed.tree_size))
    return ConsistencyProof(
        first=first,
        second=signed.tree_size,
        proof=proof,
        checkpoint=signed,
        first_checkpoint=session.get(LogCheckpoint, first),
    )


def leaves(session: Session, start: int, end: int | None = None) -> dict[str, Any]:
    """Leaves [start, end) (at most MAX_PAGE) for monitors; ``end`` defaults to a full page."""
    if start < 0 or (end is not None and end < start):
        raise InvalidInput(
            "start 和 end 无效 / bad start or end", [FieldError("start", "need 0 ≤ start ≤ end")]
        )
    size = tree_size(session)
    stop = min(start + MAX_PAGE if end is None else end, start + MAX_PAGE, size)
    rows = session.scalars(
        select(LogLeaf)
        .where(LogLeaf.leaf_index >= start, LogLeaf.leaf_index < stop)
        .order_by(LogLeaf.leaf_index)
    )
    return {
        "start": start,
        "end": max(stop, start),
        "treeSize": size,
        "leaves": [
            {
                "index": r.leaf_index,
                "leafHash": r.leaf_hash,
                "leafData": r.leaf_data,
                "leaf": json.loads(r.leaf_data),
            }
            for r in rows
        ],
    }


def bundle_section(session: Session, credential_ids: Iterable[str] = ()) -> dict[str, Any]:
    """For an offline trust bundle: the latest checkpoint and the inclusion proofs of ``credential_ids``
    (those already in it). BundleTrust reads ``transparencyLog`` in this shape."""
    signed = latest_checkpoint(session)
    proofs: dict[str, Any] = {}
    if signed is not None:
        for credential_id in credential_ids:
            try:
                leaf = find_leaf(session, credential_id=credential_id)
                proofs[credential_id] = inclusion_proof(session, leaf, tree_size=signed.tree_size).document()
            except (NotFound, Conflict):
                continue
    return {
        "checkpoint": checkpoint_document(signed) if signed is not None else None,
        "inclusionProofs": proofs,
    }


# --- audit: recompute everything from storage -------------------------------------------------------


@dataclass(frozen=True)
class StorageProblem:
    """One finding of ``verify_storage``: where (leaf index, or a checkpoint's size) and what."""

    position: int | None
    kind: str  # altered / removed / reordered / checkpoint / node / time
    detail: str

    def __str__(self) -> str:
        where = "-" if self.position is None else str(self.position)
        return f"{self.kind} @ {where}: {self.detail}"


@dataclass
class StorageReport:
    leaves: int = 0
    checkpoints: int = 0
    problems: list[StorageProblem] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class _PlatformKey:
    public_key: bytes
    lifecycle: KeyLifecycle


def _platform_keys(session: Session) -> dict[str, _PlatformKey]:
    try:
        platform = issuers.get_issuer(session, PLATFORM_CODE)
    except ServiceError:
        return {}
    return {
        key.verification_method: _PlatformKey(
            decode_ed25519_public_key(key.public_key_multibase), issuers.lifecycle(key)
        )
        for key in platform.keys
    }


def _checked_checkpoints(
    session: Session, public_base_url: str, report: StorageReport
) -> list[tuple[int, bytes, datetime]]:
    """(size, root, time) of every checkpoint whose signature verifies; the others are reported."""
    keys = _platform_keys(session)
    origin = log_origin(public_base_url)
    good = []
    for signed in session.scalars(select(LogCheckpoint).order_by(LogCheckpoint.tree_size)):
        report.checkpoints += 1
        try:
            opened = open_checkpoint(signed.note, {label: k.public_key for label, k in keys.items()})
        except CheckpointError as exc:
            report.problems.append(StorageProblem(signed.tree_size, "checkpoint", f"signature: {exc}"))
            continue
        cp = opened.checkpoint
        valid, why = keys[opened.key_label].lifecycle.valid_at(opened.timestamp)
        if cp.origin != origin or cp.size != signed.tree_size or cp.root_hash.hex() != signed.root_hash:
            report.problems.append(
                StorageProblem(
                    signed.tree_size, "checkpoint", "the stored fields differ from the signed note"
                )
            )
        elif not valid:
            report.problems.append(
                StorageProblem(
                    signed.tree_size, "checkpoint", f"signed with a key that was {why} at the time"
                )
            )
        else:
            good.append((cp.size, cp.root_hash, opened.timestamp))
    return good


class _TimeBounds:
    """For each position, the checkpoints before and after it: a leaf appended after a checkpoint was
    not logged before that checkpoint's time, and one it covers not after it (back-dating)."""

    def __init__(self, checkpoints: list[tuple[int, bytes, datetime]]) -> None:
        self._sizes = [size for size, *_ in checkpoints]
        times = [moment for *_, moment in checkpoints]
        self._latest_before = list(accumulate(times, max))  # prefix maxima
        self._earliest_after = list(accumulate(reversed(times), min))[::-1]  # suffix minima
        self._passed = 0  # checkpoints with size <= the current position

    def check(self, row: LogLeaf, position: int, report: StorageReport) -> None:
        while self._passed < len(self._sizes) and self._sizes[self._passed] <= position:
            self._passed += 1
        try:
            logged_at = parse_xsd(json.loads(row.leaf_data)["loggedAt"])
        except (ValueError, KeyError, TypeError):
            report.problems.append(StorageProblem(position, "altered", "the leaf has no valid loggedAt"))
            return
        if self._passed and logged_at < self._latest_before[self._passed - 1] - CLOCK_TOLERANCE:
            report.problems.append(
                StorageProblem(
                    position, "time", f"logged at {to_xsd(logged_at)}, before a checkpoint that excludes it"
                )
            )
        elif (
            self._passed < len(self._sizes)
            and logged_at > self._earliest_after[self._passed] + CLOCK_TOLERANCE
        ):
            report.problems.append(
                StorageProblem(
                    position, "time", f"logged at {to_xsd(logged_at)}, after a checkpoint that includes it"
                )
            )


def _leaf_problems(
    session: Session, report: StorageReport, end: int, checkpoints: list[tuple[int, bytes, datetime]]
) -> dict[str, int]:
    """Walk every position, recomputing leaf hashes and the tree at each checkpoint's size.

    Returns the leaves (hash → position) that differ from the hash the tree recorded at their
    position, for ``verify_storage`` to tell a re-ordered leaf from an altered one.
    """
    tree = merkle.CompactTree()
    times = _TimeBounds(checkpoints)
    misplaced: dict[str, int] = {}
    next_checkpoint, roots_differ = 0, False
    for start in range(0, end, CHUNK):
        stop = min(start + CHUNK, end)
        rows = {
            r.leaf_index: r
            for r in session.scalars(
                select(LogLeaf).where(LogLeaf.leaf_index >= start, LogLeaf.leaf_index < stop)
            )
        }
        recorded = {
            key: value
            for key, value in session.execute(
                select(LogNode.node_index, LogNode.node_hash).where(
                    LogNode.level == 0, LogNode.node_index >= start, LogNode.node_index < stop
                )
            )
        }
        for position in range(start, stop):
            row = rows.get(position)
            if row is None:
                report.problems.append(StorageProblem(position, "removed", "the leaf row is missing"))
                continue
            report.leaves += 1
            computed = merkle.leaf_hash(row.leaf_data.encode("utf-8")).hex()
            if computed != row.leaf_hash:
                report.problems.append(
                    StorageProblem(position, "altered", "the leaf's data does not match its stored hash")
                )
            elif recorded.get(position) is None:
                report.problems.append(StorageProblem(position, "node", "the tree has no hash for this leaf"))
            elif recorded[position] != computed:
                misplaced[computed] = position
            times.check(row, position, report)
            tree.append(bytes.fromhex(computed))
            while next_checkpoint < len(checkpoints) and checkpoints[next_checkpoint][0] <= tree.size:
                size, root, _time = checkpoints[next_checkpoint]
                if size == tree.size and tree.root() != root and not roots_differ:
                    roots_differ = True  # every later checkpoint differs too: report the first
                    previous = checkpoints[next_checkpoint - 1][0] if next_checkpoint else 0
                    report.problems.append(
                        StorageProblem(
                            size,
                            "checkpoint",
                            f"the recomputed tree of {size} leaves does not match the signed checkpoint "
                            f"(a leaf among {previous}..{size - 1} was altered, removed or re-ordered)",
                        )
                    )
                next_checkpoint += 1
    if checkpoints and checkpoints[0][0] == 0 and checkpoints[0][1] != merkle.EMPTY_ROOT:
        report.problems.append(StorageProblem(0, "checkpoint", "the empty tree's signed root is wrong"))
    return misplaced


def _node_problems(session: Session, size: int, report: StorageReport) -> None:
    """Every stored node above the leaves must hash its two stored children."""
    level = 1
    while size >> level:
        count = size >> level
        for start in range(0, count, CHUNK):
            stop = min(start + CHUNK, count)
            children = {
                key: value
                for key, value in session.execute(
                    select(LogNode.node_index, LogNode.node_hash).where(
                        LogNode.level == level - 1,
                        LogNode.node_index >= 2 * start,
                        LogNode.node_index < 2 * stop,
                    )
                )
            }
            parents = {
                key: value
                for key, value in session.execute(
                    select(LogNode.node_index, LogNode.node_hash).where(
                        LogNode.level == level, LogNode.node_index >= start, LogNode.node_index < stop
                    )
                )
            }
            for index in range(start, stop):
                left, right = children.get(2 * index), children.get(2 * index + 1)
                expected = (
                    merkle.node_hash(bytes.fromhex(left), bytes.fromhex(right)).hex()
                    if left and right
                    else None
                )
                if expected is None or parents.get(index) != expected:
                    first = index << level
                    report.problems.append(
                        StorageProblem(
                            first,
                            "node",
                            f"the stored hash of leaves {first}..{first + (1 << level) - 1} (level {level}) "
                            "does not match its children",
                        )
                    )
        level += 1


def verify_storage(session: Session, *, public_base_url: str) -> StorageReport:
    """Recompute the whole tree from the stored leaves and check it against every signed checkpoint.

    Reports, with their positions: leaves whose data was altered, rows removed (gaps, or fewer leaves
    than a checkpoint covers), leaves re-ordered (found where the tree recorded another leaf),
    checkpoints that do not verify or do not match, back-dated leaves, and damaged stored nodes.
    """
    report = StorageReport()
    checkpoints = _checked_checkpoints(session, public_base_url, report)
    stored_end = tree_size(session)
    last_node = session.scalar(select(func.max(LogNode.node_index)).where(LogNode.level == 0))
    signed_end = max((size for size, *_ in checkpoints), default=0)
    end = max(stored_end, signed_end, 0 if last_node is None else int(last_node) + 1)
    misplaced = _leaf_problems(session, report, end, checkpoints)
    if misplaced:
        recorded_at = {
            key: value
            for key, value in session.execute(
                select(LogNode.node_hash, LogNode.node_index).where(
                    LogNode.level == 0, LogNode.node_hash.in_(list(misplaced))
                )
            )
        }
        for digest, position in sorted(misplaced.items(), key=lambda item: item[1]):
            origin = recorded_at.get(digest)
            if origin is not None and origin != position:
                report.problems.append(
                    StorageProblem(position, "reordered", f"this leaf was logged at position {origin}")
                )
            else:
                report.problems.append(
                    StorageProblem(
                        position, "altered", "the leaf differs from the one the tree recorded here"
                    )
                )
    _node_problems(session, end, report)
    report.problems.sort(key=lambda p: (p.position if p.position is not None else -1, p.kind))
    return report
