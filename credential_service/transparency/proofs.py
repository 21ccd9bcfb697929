"""Serving the log: leaves by index, hash or credential, inclusion and consistency proofs against a
signed checkpoint, pages of leaves for monitors, and the log's part of an offline trust bundle.

A proof against a signed checkpoint never changes: the checkpoint's root hash commits to every leaf
below its size, so (root hash, size, leaf index) names one audit path and (root hash, size, older
size) one consistency proof, forever, in every process and every database. Proofs are therefore kept
in a per-process bounded LRU under those immutable facts: no invalidation is needed (an append makes
a new checkpoint, hence new keys, and never changes an old proof), and another process's cache can
never disagree with this one's. Only a proof that verifies against the checkpoint is kept: one
computed from damaged storage is served as it is (the verifier then reports it) but never cached.
Damage done to storage after a proof was kept is ``log verify``'s to find. Decision 045.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from credential_service.core.errors import FieldError, InvalidInput
from credential_service.core.lru import BoundedLRU
from credential_service.crypto import merkle
from credential_service.transparency.errors import CheckpointNotFound, LeafNotFound, NotYetInCheckpoint
from credential_service.transparency.models import LogCheckpoint, LogLeaf
from credential_service.transparency.rules import LeafKind
from credential_service.transparency.service import (
    checkpoint_document,
    current_checkpoint,
    fetch_nodes,
    get_checkpoint,
    latest_checkpoint,
    tree_size,
)

log = logging.getLogger(__name__)

MAX_PAGE = 1000  # leaves per /log/leaves page
# Proofs kept per process: a path on a billion leaves is 30 hashes (960 bytes joined), so ~20 MB.
PROOF_CACHE_SIZE = 16_384
# ("inclusion" | "consistency", checkpoint root hash (hex), checkpoint size, leaf index | older size)
ProofKey = tuple[str, str, int, int]
_PROOFS: BoundedLRU[ProofKey, bytes] = BoundedLRU(PROOF_CACHE_SIZE)  # the hashes joined: one object


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


def _kept(key: ProofKey) -> list[bytes] | None:
    """The proof named by ``key`` (see the module docstring) if this process holds it."""
    joined = _PROOFS.get(key)
    if joined is None:
        return None
    return [joined[i : i + merkle.HASH_SIZE] for i in range(0, len(joined), merkle.HASH_SIZE)]


def _keep(key: ProofKey, proof: list[bytes], check: Callable[[], None]) -> list[bytes]:
    """Keep ``proof`` if ``check()`` (the RFC 9162 verifier) accepts it; return it either way."""
    try:
        check()
    except merkle.ProofError as exc:
        log.warning("transparency log: a %s proof failed its own check (%s): run `log verify`", key[0], exc)
        return proof
    _PROOFS.put(key, b"".join(proof))
    return proof


def forget_proofs() -> None:
    """Empty this process's proof cache (tests and benchmarks compare cached and computed proofs)."""
    _PROOFS.clear()


def cached_proofs() -> int:
    return len(_PROOFS)


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
        raise LeafNotFound()
    return found


def inclusion_proof(session: Session, leaf: LogLeaf, *, tree_size: int | None = None) -> InclusionProof:
    """PATH(leaf, D[n]) against the signed checkpoint of size ``tree_size`` (default: the latest).

    Raises NotFound (no such checkpoint) and Conflict (the leaf is not in a signed checkpoint yet).
    """
    if tree_size is None:
        signed = latest_checkpoint(session)
        if signed is None:
            raise NotYetInCheckpoint(leaf.leaf_index)
    else:
        signed = get_checkpoint(session, tree_size)
    if leaf.leaf_index >= signed.tree_size:
        raise NotYetInCheckpoint(leaf.leaf_index, signed.tree_size)
    index, size, root = leaf.leaf_index, signed.tree_size, bytes.fromhex(signed.root_hash)
    key: ProofKey = ("inclusion", signed.root_hash, size, index)
    path = _kept(key)
    if path is None:
        ranges = merkle.inclusion_ranges(index, size)
        nodes = fetch_nodes(session, merkle.nodes_for(ranges))
        computed = [merkle.range_hash(start, end, nodes.__getitem__) for start, end in ranges]
        leaf_hash = bytes.fromhex(leaf.leaf_hash)
        path = _keep(key, computed, lambda: merkle.verify_inclusion(index, size, leaf_hash, computed, root))
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
    size, root = signed.tree_size, bytes.fromhex(signed.root_hash)
    key: ProofKey = ("consistency", signed.root_hash, size, first)
    proof = _kept(key)
    if proof is None:
        ranges = merkle.consistency_ranges(first, size)
        # The older tree's root comes with the same look-up: the proof is checked before it is kept.
        nodes = fetch_nodes(session, merkle.nodes_for(ranges) | set(merkle.root_nodes(first)))
        computed = [merkle.range_hash(start, end, nodes.__getitem__) for start, end in ranges]
        old_root = merkle.root_from_nodes(first, nodes)
        proof = _keep(key, computed, lambda: merkle.verify_consistency(first, size, old_root, root, computed))
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
            except (LeafNotFound, NotYetInCheckpoint, CheckpointNotFound):
                continue
    return {
        "checkpoint": checkpoint_document(signed) if signed is not None else None,
        "inclusionProofs": proofs,
    }
