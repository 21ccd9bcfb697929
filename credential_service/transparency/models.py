"""The transparency log's tables: an RFC 9162 Merkle tree of issued credentials and status changes,
its stored perfect subtrees and its signed checkpoints."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from credential_service.core.db import Base, UTCDateTime


class LogLeaf(Base):
    """One entry of the transparency log (RFC 9162 leaf). Append-only; the index is dense from 0.

    ``leaf_data`` is the canonical JSON (RFC 8785) whose bytes are hashed; it holds identifiers, a
    digest and times only — never personal data — because every leaf is public (``/log/leaves``).
    """

    __tablename__ = "transparency_log_leaves"

    # The position in the tree. The primary key: two writers racing for one position cannot both
    # commit, so the log never forks; appends hold the log lock, so none leaves a gap.
    leaf_index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(30))  # credential.issued / credential.status
    credential_id: Mapped[str | None] = mapped_column(String(255), index=True, default=None)
    logged_at: Mapped[datetime] = mapped_column(UTCDateTime())
    leaf_data: Mapped[str] = mapped_column(Text)
    leaf_hash: Mapped[str] = mapped_column(String(64), index=True)  # hex SHA-256(0x00 || leaf_data)


class LogNode(Base):
    """The hash of a perfect subtree: 2^level leaves from index * 2^level (level 0: the leaf hashes).

    Written when an append completes it and never changed: every root and proof is folded from a
    few of these, so a proof on a million leaves reads a few dozen rows (crypto/merkle.py).
    """

    __tablename__ = "transparency_log_nodes"

    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    node_index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    node_hash: Mapped[str] = mapped_column(String(64))  # hex


class LogCheckpoint(Base):
    """A signed tree head: the C2SP checkpoint note, with its parsed fields for look-ups."""

    __tablename__ = "transparency_log_checkpoints"

    tree_size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root_hash: Mapped[str] = mapped_column(String(64))  # hex
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    key_id: Mapped[str] = mapped_column(String(255))  # the platform verification method that signed
    note: Mapped[str] = mapped_column(Text)
