"""RFC 9162 Merkle trees: the published 8-leaf test tree, and properties for random trees.

Vectors: tests/vectors/transparency/rfc6962-tree.json (transparency-dev/merkle's verify_test.go
tables). The reference functions (the RFC's recursive definitions) and the stored-subtree
functions the log uses must agree with the vectors and with each other.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credential_service.crypto import merkle
from tests.conftest import VECTORS

TREE = json.loads((VECTORS / "transparency" / "rfc6962-tree.json").read_text())
LEAVES = [merkle.leaf_hash(bytes.fromhex(data)) for data in TREE["leaves"]]
ROOTS = [bytes.fromhex(r) for r in TREE["roots"]]
SOME_HASH = bytes.fromhex(TREE["someHash"])


def _hashes(values: Sequence[str]) -> list[bytes]:
    return [bytes.fromhex(v) for v in values]


def test_empty_tree_and_single_leaf() -> None:
    assert merkle.EMPTY_ROOT.hex() == TREE["emptyRoot"]
    assert merkle.reference_root([]) == merkle.EMPTY_ROOT == merkle.MemoryTree().root()
    assert merkle.leaf_hash(b"").hex() == TREE["roots"][0]  # MTH of one empty leaf


@pytest.mark.parametrize("size", range(1, 9))
def test_root_of_every_size(size: int) -> None:
    tree = merkle.MemoryTree.of(LEAVES)
    assert merkle.reference_root(LEAVES[:size]) == ROOTS[size - 1]
    assert tree.root(size) == ROOTS[size - 1]
    compact = merkle.CompactTree()
    for leaf in LEAVES[:size]:
        compact.append(leaf)
    assert compact.root() == ROOTS[size - 1]


@pytest.mark.parametrize("vector", TREE["inclusionProofs"], ids=lambda v: f"{v['leaf']}-of-{v['size']}")
def test_inclusion_paths(vector: dict[str, object]) -> None:
    index, size = int(vector["leaf"]) - 1, int(vector["size"])  # type: ignore[call-overload]
    expected = _hashes(vector["proof"])  # type: ignore[arg-type]
    assert merkle.reference_inclusion_path(index, LEAVES[:size]) == expected
    assert merkle.MemoryTree.of(LEAVES).inclusion_path(index, size) == expected
    merkle.verify_inclusion(index, size, LEAVES[index], expected, ROOTS[size - 1])
    for probe, (i, n, leaf, path, root) in _corrupt_inclusion(index, size, expected, ROOTS[size - 1]).items():
        with pytest.raises(merkle.ProofError):
            merkle.verify_inclusion(i, n, leaf if leaf is not None else LEAVES[index], path, root)
            pytest.fail(f"accepted: {probe}")


def _corrupt_inclusion(
    index: int, size: int, path: list[bytes], root: bytes
) -> dict[str, tuple[int, int, bytes | None, list[bytes], bytes]]:
    """The probes of transparency-dev/merkle's corruptInclusionProof, as data."""
    probes: dict[str, tuple[int, int, bytes | None, list[bytes], bytes]] = {
        "index - 1": (index - 1, size, None, path, root),
        "index + 1": (index + 1, size, None, path, root),
        "index ^ 2": (index ^ 2, size, None, path, root),
        "size * 2": (index, size * 2, None, path, root),
        "size / 2": (index, size // 2, None, path, root),
        "wrong leaf": (index, size, merkle.leaf_hash(b"WrongLeaf"), path, root),
        "empty root": (index, size, None, path, merkle.EMPTY_ROOT),
        "random root": (index, size, None, path, SOME_HASH),
        "trailing root": (index, size, None, [*path, root], root),
        "preceding root": (index, size, None, [root, *path], root),
    }
    for i in range(len(path)):
        flipped = [*path]
        flipped[i] = bytes([flipped[i][0] ^ 8]) + flipped[i][1:]
        probes[f"proof[{i}] bit 3"] = (index, size, None, flipped, root)
    if path:
        probes["removed component"] = (index, size, None, path[:-1], root)
    if len(path) > 1:
        probes["inserted component"] = (index, size, None, [path[0], SOME_HASH, *path[1:]], root)
    return probes


@pytest.mark.parametrize("vector", TREE["consistencyProofs"], ids=lambda v: f"{v['size1']}-to-{v['size2']}")
def test_consistency_paths(vector: dict[str, object]) -> None:
    m, n = int(vector["size1"]), int(vector["size2"])  # type: ignore[call-overload]
    expected = _hashes(vector["proof"])  # type: ignore[arg-type]
    assert merkle.reference_consistency_proof(m, LEAVES[:n]) == expected
    assert merkle.MemoryTree.of(LEAVES).consistency_proof(m, n) == expected
    old, new = ROOTS[m - 1], ROOTS[n - 1]
    merkle.verify_consistency(m, n, old, new, expected)
    if not expected:
        return
    probes = {
        "size1 - 1": (m - 1, n, old, new, expected),
        "size1 + 1": (m + 1, n, old, new, expected),
        "size1 ^ 2": (m ^ 2, n, old, new, expected),
        "size2 * 2": (m, n * 2, old, new, expected),
        "size2 / 2": (m, n // 2, old, new, expected),
        "wrong root1": (m, n, SOME_HASH, new, expected),
        "wrong root2": (m, n, old, SOME_HASH, expected),
        "swapped roots": (m, n, new, old, expected),
        "empty proof": (m, n, old, new, []),
        "trailing root1": (m, n, old, new, [*expected, old]),
        "trailing root2": (m, n, old, new, [*expected, new]),
        "preceding root1": (m, n, old, new, [old, *expected]),
        "preceding root2": (m, n, old, new, [new, *expected]),
        "preceding proof[0]": (m, n, old, new, [expected[0], *expected]),
        "truncated proof": (m, n, old, new, expected[:-1]),
    }
    for i in range(len(expected)):
        flipped = [*expected]
        flipped[i] = bytes([flipped[i][0] ^ 16]) + flipped[i][1:]
        probes[f"proof[{i}] bit 4"] = (m, n, old, new, flipped)
    for name, (m2, n2, r1, r2, proof) in probes.items():
        with pytest.raises(merkle.ProofError):
            merkle.verify_consistency(m2, n2, r1, r2, proof)
            pytest.fail(f"accepted: {name}")


def test_consistency_edge_cases() -> None:
    """transparency-dev/merkle's TestVerifyConsistency table (sizes 0 and equal sizes)."""
    empty = merkle.EMPTY_ROOT
    root1, root2 = merkle.leaf_hash(b"don't care 1"), merkle.leaf_hash(b"don't care 2")
    merkle.verify_consistency(0, 0, root1, root1, [])
    merkle.verify_consistency(0, 1, root1, root2, [])
    merkle.verify_consistency(1, 1, root2, root2, [])
    for m, n, r1, r2, proof in [
        (0, 0, root1, root2, []),
        (1, 1, root1, root2, []),
        (1, 0, root1, root2, []),
        (2, 1, root1, root2, []),
        (1, 2, root1, root2, []),
        (0, 0, empty, root2, []),
        (0, 0, empty, empty, [empty]),
        (0, 1, empty, empty, [empty]),
        (1, 1, empty, empty, [empty]),
    ]:
        with pytest.raises(merkle.ProofError):
            merkle.verify_consistency(m, n, r1, r2, proof)


def test_inclusion_edge_cases() -> None:
    leaf = merkle.leaf_hash(b"data")
    merkle.verify_inclusion(0, 1, leaf, [], leaf)  # a one-leaf tree: the root is the leaf
    for index, size in [(0, 0), (1, 0), (2, 1), (1, 1)]:
        with pytest.raises(merkle.ProofError):
            merkle.verify_inclusion(index, size, SOME_HASH, [], merkle.EMPTY_ROOT)
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(0, 1, leaf, [], b"short")  # a hash of the wrong size


def test_perfect_nodes_cover_a_range_with_aligned_subtrees() -> None:
    assert merkle.perfect_nodes(0, 8) == [(3, 0)]
    assert merkle.perfect_nodes(0, 7) == [(2, 0), (1, 2), (0, 6)]
    assert merkle.perfect_nodes(4, 7) == [(1, 2), (0, 6)]
    assert merkle.parents_completed_by(0) == []
    assert merkle.parents_completed_by(7) == [(1, 3), (2, 1), (3, 0)]


def _flip(hashes: list[bytes], which: int, bit: int) -> list[bytes]:
    flipped = [*hashes]
    value = bytearray(flipped[which])
    value[bit // 8] ^= 1 << (bit % 8)
    flipped[which] = bytes(value)
    return flipped


@settings(max_examples=150, deadline=None)
@given(
    leaves=st.lists(st.binary(max_size=12), min_size=1, max_size=140),
    data=st.data(),
)
def test_every_proof_verifies_and_any_flipped_bit_fails(leaves: list[bytes], data: st.DataObject) -> None:
    hashes = [merkle.leaf_hash(leaf) for leaf in leaves]
    tree = merkle.MemoryTree.of(hashes)
    n = data.draw(st.integers(1, len(hashes)), label="tree size")
    m = data.draw(st.integers(0, n - 1), label="leaf index")
    root = merkle.reference_root(hashes[:n])
    assert tree.root(n) == root

    path = tree.inclusion_path(m, n)
    assert path == merkle.reference_inclusion_path(m, hashes[:n])
    merkle.verify_inclusion(m, n, hashes[m], path, root)
    if path:
        which = data.draw(st.integers(0, len(path) - 1), label="path element")
        bit = data.draw(st.integers(0, 255), label="bit")
        with pytest.raises(merkle.ProofError):
            merkle.verify_inclusion(m, n, hashes[m], _flip(path, which, bit), root)
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(m, n, _flip([hashes[m]], 0, data.draw(st.integers(0, 255)))[0], path, root)

    old = data.draw(st.integers(0, n), label="old size")
    proof = tree.consistency_proof(old, n)
    assert proof == merkle.reference_consistency_proof(old, hashes[:n])
    old_root = merkle.reference_root(hashes[:old])
    merkle.verify_consistency(old, n, old_root, root, proof)
    if proof:
        which = data.draw(st.integers(0, len(proof) - 1), label="proof element")
        bit = data.draw(st.integers(0, 255), label="bit")
        with pytest.raises(merkle.ProofError):
            merkle.verify_consistency(old, n, old_root, root, _flip(proof, which, bit))
        with pytest.raises(merkle.ProofError):
            merkle.verify_consistency(old, n, _flip([old_root], 0, bit)[0], root, proof)
