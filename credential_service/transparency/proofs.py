"""Serving the log: leaves by index, hash or credential, inclusion and consistency proofs against a
signed checkpoint, pages of leaves for monitors, and the log's part of an offline trust bundle."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from credential_service.core.errors import FieldError, InvalidInput
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

MAX_PAGE = 1000  # leaves per /log/leaves page


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
    nodes = fetch_nodes(session, merkle.nodes_for(ranges))
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
            except (LeafNotFound, NotYetInCheckpoint, CheckpointNotFound):
                continue
    return {
        "checkpoint": checkpoint_document(signed) if signed is not None else None,
        "inclusionProofs": proofs,
    }
