"""Proofs served from the per-checkpoint cache, and appends that stay O(log n), on both backends.

A cached proof must be the proof the stored subtrees give (and the RFC's recursive definition gives),
must verify against the signed checkpoint, must be served without reading the stored nodes again,
and the cache must stay within its bound however many proofs are asked for (decision 045).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, func, select, text

from credential_service.core.lru import BoundedLRU
from credential_service.crypto import merkle
from credential_service.runtime import Runtime
from credential_service.transparency import proofs, rules
from credential_service.transparency import service as log
from credential_service.transparency.models import LogLeaf, LogNode
from tests.conftest import BASE_URL


def _append(runtime: Runtime, count: int, *, start: int = 0) -> None:
    with runtime.session() as session:
        for n in range(start, start + count):
            log.append(
                session,
                rules.LeafKind.CREDENTIAL_STATUS,
                {"credentialId": f"urn:uuid:cache-{n}", "purpose": "suspension", "value": n % 2 == 0},
            )


def _checkpoint(runtime: Runtime) -> bytes:
    with runtime.session() as session:
        signed = log.sign_checkpoint(session, runtime.keystore, public_base_url=BASE_URL)
        return bytes.fromhex(signed.root_hash)


def _leaf_hashes(runtime: Runtime) -> list[bytes]:
    with runtime.read_session() as session:
        return [
            bytes.fromhex(h) for h in session.scalars(select(LogLeaf.leaf_hash).order_by(LogLeaf.leaf_index))
        ]


def _inclusion(runtime: Runtime, index: int, size: int) -> list[bytes]:
    with runtime.read_session() as session:
        leaf = proofs.find_leaf(session, leaf_index=index)
        return proofs.inclusion_proof(session, leaf, tree_size=size).audit_path


def _consistency(runtime: Runtime, first: int, second: int) -> list[bytes]:
    with runtime.read_session() as session:
        return proofs.consistency_proof(session, first, second).proof


@contextmanager
def _node_reads(runtime: Runtime) -> Iterator[list[str]]:
    """The SQL statements that read the stored subtree hashes while the block runs."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "transparency_log_nodes" in statement and statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(runtime.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(runtime.engine, "before_cursor_execute", record)


@pytest.fixture
def fresh_cache() -> Iterator[None]:
    proofs.forget_proofs()
    yield
    proofs.forget_proofs()


def test_cached_proofs_equal_the_computed_ones_and_verify(runtime: Runtime, fresh_cache: None) -> None:
    _append(runtime, 21)
    old_root = _checkpoint(runtime)
    _append(runtime, 16, start=21)
    root = _checkpoint(runtime)
    hashes = _leaf_hashes(runtime)
    assert len(hashes) == 37 and merkle.reference_root(hashes) == root

    for index in range(37):
        computed = _inclusion(runtime, index, 37)
        cached = _inclusion(runtime, index, 37)
        assert cached == computed == merkle.reference_inclusion_path(index, hashes)
        merkle.verify_inclusion(index, 37, hashes[index], cached, root)
    for index in range(21):  # the older checkpoint has proofs of its own, under its own root
        path = _inclusion(runtime, index, 21)
        assert path == _inclusion(runtime, index, 21) == merkle.reference_inclusion_path(index, hashes[:21])
        merkle.verify_inclusion(index, 21, hashes[index], path, old_root)
    for first in range(38):
        computed = _consistency(runtime, first, 37)
        cached = _consistency(runtime, first, 37)
        assert cached == computed == merkle.reference_consistency_proof(first, hashes)
        if first > 0:
            merkle.verify_consistency(first, 37, merkle.reference_root(hashes[:first]), root, cached)
    assert proofs.cached_proofs() == 37 + 21 + 38


def test_a_cached_proof_reads_no_stored_node(runtime: Runtime, fresh_cache: None) -> None:
    _append(runtime, 50)
    _checkpoint(runtime)
    with _node_reads(runtime) as reads:
        first = _inclusion(runtime, 17, 50), _consistency(runtime, 9, 50)
    assert len(reads) == 2  # computed: one look-up of the subtree hashes each
    with _node_reads(runtime) as reads:
        again = _inclusion(runtime, 17, 50), _consistency(runtime, 9, 50)
    assert reads == [] and again == first


def test_a_new_checkpoint_gets_new_proofs_and_the_old_ones_still_hold(
    runtime: Runtime, fresh_cache: None
) -> None:
    _append(runtime, 5)
    old_root = _checkpoint(runtime)
    old_path = _inclusion(runtime, 2, 5)
    _append(runtime, 6, start=5)
    root = _checkpoint(runtime)
    hashes = _leaf_hashes(runtime)
    new_path = _inclusion(runtime, 2, 11)  # the latest checkpoint: a different key, computed afresh
    merkle.verify_inclusion(2, 11, hashes[2], new_path, root)
    assert _inclusion(runtime, 2, 5) == old_path
    merkle.verify_inclusion(2, 5, hashes[2], old_path, old_root)
    with runtime.read_session() as session:  # the default checkpoint is the latest
        assert proofs.inclusion_proof(session, proofs.find_leaf(session, leaf_index=2)).audit_path == new_path


def test_a_proof_from_damaged_storage_is_served_but_never_kept(runtime: Runtime, fresh_cache: None) -> None:
    _append(runtime, 12)
    root = _checkpoint(runtime)
    hashes = _leaf_hashes(runtime)
    with runtime.engine.begin() as connection:
        connection.execute(
            text("UPDATE transparency_log_nodes SET node_hash = :h WHERE level = 0 AND node_index = 1"),
            {"h": "ab" * 32},
        )
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(0, 12, hashes[0], _inclusion(runtime, 0, 12), root)
    with pytest.raises(merkle.ProofError):  # PROOF(1, D[12]) starts with the damaged leaf hash
        merkle.verify_consistency(1, 12, hashes[0], root, _consistency(runtime, 1, 12))
    assert proofs.cached_proofs() == 0
    with runtime.engine.begin() as connection:  # repaired (e.g. restored): the proofs are kept again
        connection.execute(
            text("UPDATE transparency_log_nodes SET node_hash = :h WHERE level = 0 AND node_index = 1"),
            {"h": hashes[1].hex()},
        )
    merkle.verify_inclusion(0, 12, hashes[0], _inclusion(runtime, 0, 12), root)
    assert proofs.cached_proofs() == 1


def test_the_cache_stays_within_its_bound(
    runtime: Runtime, fresh_cache: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(proofs, "_PROOFS", BoundedLRU(8))
    _append(runtime, 40)
    root = _checkpoint(runtime)
    hashes = _leaf_hashes(runtime)
    for _ in range(2):
        for index in range(40):
            path = _inclusion(runtime, index, 40)
            merkle.verify_inclusion(index, 40, hashes[index], path, root)
            assert proofs.cached_proofs() <= 8
    assert proofs.cached_proofs() == 8
    assert proofs.PROOF_CACHE_SIZE <= 65_536  # the process-wide bound itself is a fixed, modest size


def test_an_append_reads_and_writes_log_n_subtree_hashes(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each append touches the nodes it completes (and reads their left siblings), never the tree:
    at most ⌈log2 n⌉ + 1 written and ⌈log2 n⌉ read, whatever the size."""
    fetched: list[int] = []
    real_fetch = log.fetch_nodes

    def counting_fetch(session: Any, wanted: Any) -> dict[merkle.Node, bytes]:
        wanted = list(wanted)
        fetched.append(len(wanted))
        return real_fetch(session, wanted)

    monkeypatch.setattr(log, "fetch_nodes", counting_fetch)
    stored = select(func.count()).select_from(LogNode)
    with runtime.session() as session:
        for index in range(300):
            fetched.clear()
            before = session.scalar(stored) or 0
            log.append(
                session,
                rules.LeafKind.CREDENTIAL_STATUS,
                {"credentialId": f"urn:uuid:grow-{index}", "purpose": "revocation", "value": True},
            )
            written = (session.scalar(stored) or 0) - before
            height = max(1, index.bit_length())
            assert sum(fetched) <= height and 1 <= written <= height + 1, (index, fetched, written)
