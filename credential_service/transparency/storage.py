"""Auditing the log's storage (``credential-service log verify``): recompute every leaf hash, stored
node and root from the database and check them against every signed checkpoint, reporting each
altered, removed or re-ordered leaf, back-dated leaf and damaged node with its position."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import accumulate

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from credential_service.core.clock import parse_xsd, to_xsd
from credential_service.core.errors import ServiceError
from credential_service.crypto import merkle
from credential_service.crypto.checkpoint import CheckpointError, log_origin, open_checkpoint
from credential_service.crypto.key_lifecycle import KeyLifecycle
from credential_service.crypto.multibase import decode_ed25519_public_key
from credential_service.issuers import service as issuers
from credential_service.issuers.rules import PLATFORM_CODE
from credential_service.transparency.models import LogCheckpoint, LogLeaf, LogNode
from credential_service.transparency.service import tree_size

CHUNK = 10_000  # leaves per query when auditing the whole log
CLOCK_TOLERANCE = timedelta(minutes=5)  # clock skew allowed between app servers (log verify)


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


def _stored_nodes(session: Session, level: int, start: int, stop: int) -> dict[int, str]:
    """The stored hashes (hex) of the nodes ``start``..``stop - 1`` of one level, by index."""
    rows = session.execute(
        select(LogNode.node_index, LogNode.node_hash).where(
            LogNode.level == level, LogNode.node_index >= start, LogNode.node_index < stop
        )
    )
    return {index: value for index, value in rows}


class _Recomputation:
    """The walk over every position: recomputes leaf hashes and the tree, checking the tree at each
    signed checkpoint's size, and keeps the leaves that differ from the hash the tree recorded at
    their position (``misplaced``, hash → position) for ``verify_storage`` to tell a re-ordered leaf
    from an altered one."""

    def __init__(self, report: StorageReport, checkpoints: list[tuple[int, bytes, datetime]]) -> None:
        self.report, self.checkpoints = report, checkpoints
        self.tree = merkle.CompactTree()
        self.times = _TimeBounds(checkpoints)
        self.misplaced: dict[str, int] = {}
        self._next_checkpoint, self._roots_differ = 0, False

    def chunk(self, session: Session, start: int, stop: int) -> None:
        query = select(LogLeaf).where(LogLeaf.leaf_index >= start, LogLeaf.leaf_index < stop)
        rows = {r.leaf_index: r for r in session.scalars(query)}
        recorded = _stored_nodes(session, 0, start, stop)
        for position in range(start, stop):
            row = rows.get(position)
            if row is None:
                self.report.problems.append(StorageProblem(position, "removed", "the leaf row is missing"))
            else:
                self._leaf(row, position, recorded.get(position))

    def _leaf(self, row: LogLeaf, position: int, recorded: str | None) -> None:
        self.report.leaves += 1
        computed = merkle.leaf_hash(row.leaf_data.encode("utf-8")).hex()
        if computed != row.leaf_hash:
            self.report.problems.append(
                StorageProblem(position, "altered", "the leaf's data does not match its stored hash")
            )
        elif recorded is None:
            self.report.problems.append(
                StorageProblem(position, "node", "the tree has no hash for this leaf")
            )
        elif recorded != computed:
            self.misplaced[computed] = position
        self.times.check(row, position, self.report)
        self.tree.append(bytes.fromhex(computed))
        self._check_roots()

    def _check_roots(self) -> None:
        checkpoints = self.checkpoints
        while (
            self._next_checkpoint < len(checkpoints)
            and checkpoints[self._next_checkpoint][0] <= self.tree.size
        ):
            size, root, _time = checkpoints[self._next_checkpoint]
            if size == self.tree.size and self.tree.root() != root and not self._roots_differ:
                self._roots_differ = True  # every later checkpoint differs too: report the first
                previous = checkpoints[self._next_checkpoint - 1][0] if self._next_checkpoint else 0
                self.report.problems.append(
                    StorageProblem(
                        size,
                        "checkpoint",
                        f"the recomputed tree of {size} leaves does not match the signed checkpoint "
                        f"(a leaf among {previous}..{size - 1} was altered, removed or re-ordered)",
                    )
                )
            self._next_checkpoint += 1


def _leaf_problems(
    session: Session, report: StorageReport, end: int, checkpoints: list[tuple[int, bytes, datetime]]
) -> dict[str, int]:
    """Walk every position up to ``end``; returns the misplaced leaves (see ``_Recomputation``)."""
    walk = _Recomputation(report, checkpoints)
    for start in range(0, end, CHUNK):
        walk.chunk(session, start, min(start + CHUNK, end))
    if checkpoints and checkpoints[0][0] == 0 and checkpoints[0][1] != merkle.EMPTY_ROOT:
        report.problems.append(StorageProblem(0, "checkpoint", "the empty tree's signed root is wrong"))
    return walk.misplaced


def _node_problems(session: Session, size: int, report: StorageReport) -> None:
    """Every stored node above the leaves must hash its two stored children."""
    level = 1
    while size >> level:
        count = size >> level
        for start in range(0, count, CHUNK):
            stop = min(start + CHUNK, count)
            children = _stored_nodes(session, level - 1, 2 * start, 2 * stop)
            parents = _stored_nodes(session, level, start, stop)
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


def _misplaced_problems(session: Session, misplaced: dict[str, int], report: StorageReport) -> None:
    """A leaf that differs from the tree's record at its position: re-ordered if the tree recorded it
    at another position, altered otherwise."""
    query = select(LogNode.node_hash, LogNode.node_index).where(
        LogNode.level == 0, LogNode.node_hash.in_(list(misplaced))
    )
    recorded_at = {digest: index for digest, index in session.execute(query)}
    for digest, position in sorted(misplaced.items(), key=lambda item: item[1]):
        origin = recorded_at.get(digest)
        if origin is not None and origin != position:
            report.problems.append(
                StorageProblem(position, "reordered", f"this leaf was logged at position {origin}")
            )
        else:
            report.problems.append(
                StorageProblem(position, "altered", "the leaf differs from the one the tree recorded here")
            )


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
        _misplaced_problems(session, misplaced, report)
    _node_problems(session, end, report)
    report.problems.sort(key=lambda p: (p.position if p.position is not None else -1, p.kind))
    return report
