"""Merkle tree hashing and proofs of RFC 9162 §2.1 (the Certificate Transparency v2 tree), pure.

Leaves are hashed ``SHA-256(0x00 || data)``, interior nodes ``SHA-256(0x01 || left || right)``; the
tree of ``n`` leaves splits at ``k``, the largest power of two smaller than ``n`` (§2.1.1).

Proof generation never needs the whole tree: every hash it uses is the root of a *perfect*
subtree (2^level leaves starting at a multiple of 2^level) or a fold of a few of them, so a log that
stores those (``transparency_log_nodes``) answers a proof for a million leaves with a few dozen
look-ups. ``inclusion_ranges`` / ``consistency_ranges`` say which subtree hashes a proof consists
of, ``perfect_nodes`` which stored nodes those are made of, and ``range_hash`` folds them. The
verifiers follow §2.1.3.2 and §2.1.4.2 step by step.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()  # MTH({}) = HASH() (§2.1.1)

Node = tuple[int, int]  # (level, index): leaves [index * 2^level, (index + 1) * 2^level)
Range = tuple[int, int]  # [start, end) of leaf indexes


class ProofError(Exception):
    """A proof does not verify (or is malformed); ``str()`` says which step failed."""


def leaf_hash(data: bytes) -> bytes:
    """MTH({d(0)}) = SHA-256(0x00 || d(0)) (§2.1.1)."""
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])) (§2.1.1)."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def split_point(n: int) -> int:
    """k: the largest power of two smaller than ``n`` (n > 1)."""
    if n < 2:
        raise ValueError("a split needs at least two leaves")
    return 1 << ((n - 1).bit_length() - 1)


# --- reference definitions, straight from the RFC's recursion (for tests and small trees) -----------


def reference_root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) by the recursive definition of §2.1.1, from the leaves' hashes."""
    n = len(leaf_hashes)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaf_hashes[0]
    k = split_point(n)
    return node_hash(reference_root(leaf_hashes[:k]), reference_root(leaf_hashes[k:]))


def reference_inclusion_path(m: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of §2.1.3.1, by its recursive definition."""
    n = len(leaf_hashes)
    if not 0 <= m < n:
        raise ValueError("leaf index outside the tree")
    if n == 1:
        return []
    k = split_point(n)
    if m < k:
        return [*reference_inclusion_path(m, leaf_hashes[:k]), reference_root(leaf_hashes[k:])]
    return [*reference_inclusion_path(m - k, leaf_hashes[k:]), reference_root(leaf_hashes[:k])]


def reference_consistency_proof(m: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) of §2.1.4.1 (empty for m = 0 or m = n)."""
    n = len(leaf_hashes)
    if not 0 <= m <= n:
        raise ValueError("old size outside the tree")
    if m in (0, n):
        return []

    def subproof(m: int, leaves: Sequence[bytes], whole: bool) -> list[bytes]:
        n = len(leaves)
        if m == n:
            return [] if whole else [reference_root(leaves)]
        k = split_point(n)
        if m <= k:
            return [*subproof(m, leaves[:k], whole), reference_root(leaves[k:])]
        return [*subproof(m - k, leaves[k:], False), reference_root(leaves[:k])]

    return subproof(m, leaf_hashes, True)


# --- the same proofs as lists of subtree ranges, for a store of perfect subtree hashes --------------


def inclusion_ranges(m: int, n: int) -> list[Range]:
    """The ranges whose MTH form PATH(m, D[n]), in proof order (leaf's sibling first)."""
    if not 0 <= m < n:
        raise ValueError("leaf index outside the tree")
    ranges: list[Range] = []
    start, end = 0, n
    while end - start > 1:
        k = split_point(end - start)
        if m < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    return ranges[::-1]  # PATH appends the sibling after the deeper path


def consistency_ranges(m: int, n: int) -> list[Range]:
    """The ranges whose MTH form PROOF(m, D[n]) (§2.1.4.1), in proof order."""
    if not 0 <= m <= n:
        raise ValueError("old size outside the tree")
    if m in (0, n):
        return []
    ranges: list[Range] = []
    start, end, whole = 0, n, True
    while True:
        if m == end:  # SUBPROOF(m, D[m], b)
            if not whole:
                ranges.append((start, end))
            break
        k = split_point(end - start)
        if m <= start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start, whole = start + k, False
    return ranges[::-1]


def perfect_nodes(start: int, end: int) -> list[Node]:
    """The perfect subtrees that make up [start, end), left to right (greedy, aligned).

    For every range a proof or a root uses, MTH(D[start:end]) is these nodes folded from the right:
    ``H(p1, H(p2, … H(p_{k-1}, p_k)))``.
    """
    if not 0 <= start < end:
        raise ValueError("empty or negative range")
    nodes: list[Node] = []
    while start < end:
        level = (start & -start).bit_length() - 1 if start else (end - start).bit_length() - 1
        while start + (1 << level) > end:
            level -= 1
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


def range_hash(start: int, end: int, node: Callable[[Node], bytes]) -> bytes:
    """MTH(D[start:end]) from the perfect subtree hashes ``node((level, index))``."""
    parts = [node(p) for p in perfect_nodes(start, end)]
    result = parts[-1]
    for part in reversed(parts[:-1]):
        result = node_hash(part, result)
    return result


def nodes_for(ranges: Iterable[Range]) -> set[Node]:
    """Every perfect node needed to hash ``ranges``: what to fetch from storage in one query."""
    return {n for start, end in ranges for n in perfect_nodes(start, end)}


def root_nodes(size: int) -> list[Node]:
    return perfect_nodes(0, size) if size else []


def root_from_nodes(size: int, nodes: Mapping[Node, bytes]) -> bytes:
    return range_hash(0, size, nodes.__getitem__) if size else EMPTY_ROOT


def parents_completed_by(index: int) -> list[Node]:
    """The perfect nodes above leaf ``index`` that appending it completes, lowest first."""
    completed, level, position = [], 0, index
    while position % 2 == 1:
        level, position = level + 1, position // 2
        completed.append((level, position))
    return completed


# --- an in-memory tree with a compact range, for recomputation and tests ----------------------------


@dataclass
class CompactTree:
    """Appends leaf hashes keeping only the perfect subtree roots on the right edge (the frontier):
    O(log n) memory, the root of the current size in O(log n)."""

    size: int = 0
    frontier: list[bytes] = field(default_factory=list)  # perfect roots, largest (leftmost) first

    def append(self, leaf: bytes) -> list[tuple[Node, bytes]]:
        """Add a leaf hash; returns the perfect nodes it completed (level 0 included), lowest first."""
        completed = [((0, self.size), leaf)]
        current = leaf
        for level, index in parents_completed_by(self.size):
            current = node_hash(self.frontier.pop(), current)
            completed.append(((level, index), current))
        self.frontier.append(current)
        self.size += 1
        return completed

    def root(self) -> bytes:
        if not self.frontier:
            return EMPTY_ROOT
        result = self.frontier[-1]
        for part in reversed(self.frontier[:-1]):
            result = node_hash(part, result)
        return result


@dataclass
class MemoryTree:
    """Every perfect node of a list of leaves, kept in memory: proofs as the log computes them."""

    nodes: dict[Node, bytes] = field(default_factory=dict)
    compact: CompactTree = field(default_factory=CompactTree)

    @classmethod
    def of(cls, leaf_hashes: Iterable[bytes]) -> MemoryTree:
        tree = cls()
        for leaf in leaf_hashes:
            tree.append(leaf)
        return tree

    def append(self, leaf: bytes) -> None:
        self.nodes.update(self.compact.append(leaf))

    @property
    def size(self) -> int:
        return self.compact.size

    def root(self, size: int | None = None) -> bytes:
        return root_from_nodes(self.size if size is None else size, self.nodes)

    def inclusion_path(self, m: int, n: int) -> list[bytes]:
        return [range_hash(s, e, self.nodes.__getitem__) for s, e in inclusion_ranges(m, n)]

    def consistency_proof(self, m: int, n: int) -> list[bytes]:
        return [range_hash(s, e, self.nodes.__getitem__) for s, e in consistency_ranges(m, n)]


# --- verification (§2.1.3.2 and §2.1.4.2) -----------------------------------------------------------


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(f"{what} is {len(value)} bytes, not {HASH_SIZE}")


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, path: Sequence[bytes]) -> bytes:
    """The root that ``path`` proves ``leaf`` (a leaf hash) is at ``index`` under; raises ProofError."""
    # 1. Compare leaf_index against tree_size.
    if not 0 <= index < size:
        raise ProofError("leaf index not below the tree size")
    _check_hash(leaf, "leaf hash")
    # 2. fn = leaf_index, sn = tree_size - 1.  3. r = hash.
    fn, sn, r = index, size - 1, leaf
    # 4. For each value p in the inclusion_path array:
    for p in path:
        _check_hash(p, "proof element")
        # a. If sn is 0, then stop the iteration and fail the proof verification.
        if sn == 0:
            raise ProofError("the proof is longer than the tree is high")
        # b. If LSB(fn) is set, or if fn is equal to sn, then:
        if fn & 1 or fn == sn:
            r = node_hash(p, r)  # i. r = HASH(0x01 || p || r)
            if not fn & 1:  # ii. right-shift fn and sn equally until LSB(fn) is set or fn is 0
                while not fn & 1 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)  # Otherwise: r = HASH(0x01 || r || p)
        # c. Finally, right-shift both fn and sn one time.
        fn, sn = fn >> 1, sn >> 1
    # 5. Compare sn to 0.
    if sn != 0:
        raise ProofError("the proof is shorter than the tree is high")
    return r


def verify_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes], root: bytes) -> None:
    """Raise ProofError unless ``path`` proves leaf hash ``leaf`` at ``index`` in the tree ``root``."""
    _check_hash(root, "root hash")
    # 5. ... Compare r against the root_hash. If they are equal, then the log has proven the inclusion.
    if root_from_inclusion_proof(index, size, leaf, path) != root:
        raise ProofError("the proof leads to a different root hash")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Raise ProofError unless ``proof`` shows the tree ``old_root`` is a prefix of ``new_root``."""
    _check_hash(old_root, "first hash")
    _check_hash(new_root, "second hash")
    if not 0 <= old_size <= new_size:
        raise ProofError("the first tree is larger than the second")
    if old_size == new_size:
        if proof:
            raise ProofError("equal sizes need an empty proof")
        if old_root != new_root:
            raise ProofError("two different roots for the same size")
        return
    if old_size == 0:
        if proof:
            raise ProofError("the empty tree needs an empty proof")
        return
    for c in proof:
        _check_hash(c, "proof element")
    # 1. If consistency_path is an empty array, stop and fail the proof verification.
    if not proof:
        raise ProofError("empty proof")
    path = list(proof)
    # 2. If first is an exact power of 2, then prepend first_hash to the consistency_path array.
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    # 3. Set fn to first - 1 and sn to second - 1.
    fn, sn = old_size - 1, new_size - 1
    # 4. If LSB(fn) is set, then right-shift both fn and sn equally until LSB(fn) is not set.
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    # 5. Set both fr and sr to the first value in the consistency_path array.
    fr = sr = path[0]
    # 6. For each subsequent value c in the consistency_path array:
    for c in path[1:]:
        # a. If sn is 0, then stop the iteration and fail the proof verification.
        if sn == 0:
            raise ProofError("the proof is longer than needed")
        # b. If LSB(fn) is set, or if fn is equal to sn, then:
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)  # i. fr = HASH(0x01 || c || fr)
            sr = node_hash(c, sr)  # ii. sr = HASH(0x01 || c || sr)
            if not fn & 1:  # iii. right-shift fn and sn equally until LSB(fn) is set or fn is 0
                while not fn & 1 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)  # Otherwise: sr = HASH(0x01 || sr || c)
        # c. Finally, right-shift both fn and sn one time.
        fn, sn = fn >> 1, sn >> 1
    # 7. Verify that fr equals first_hash, sr equals second_hash and sn is 0.
    if sn != 0:
        raise ProofError("the proof is shorter than needed")
    if fr != old_root:
        raise ProofError("the proof does not lead to the first root hash")
    if sr != new_root:
        raise ProofError("the proof does not lead to the second root hash")
