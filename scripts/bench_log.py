"""Transparency log proofs on a log of a million leaves, against recomputing the tree.

Builds a fresh database (SQLite in a temporary folder, or PostgreSQL with ``--database-url``),
migrated by the service's own migrations, and fills the log with ``--leaves`` issuance leaves (Core
bulk inserts of the leaves and their perfect subtree hashes, exactly what ``log.append`` stores),
then signs a checkpoint with a real platform key. Measured, each proof checked with the RFC 9162
verifier:

- ``inclusion, computed``: ``proofs.inclusion_proof`` for a random leaf against the checkpoint (what
  ``GET /log/proof/inclusion`` pays below HTTP), in its own read-only transaction, with the
  per-checkpoint proof cache emptied first (the proof read from the stored subtrees and checked
  before it is kept: the first ask of a leaf);
- ``inclusion, cached``: right after, the same leaf again (a QR code scanned again, a monitor asking
  again): served from the cache (decision 045). Interleaved, so both see the same machine;
- ``consistency, computed`` / ``consistency, cached``: ``proofs.consistency_proof`` from a random
  older size to the checkpoint, likewise;
- ``append``: ``log.append`` of one more leaf and the checkpoint signed at commit (what an issuance
  adds), in its own transaction;
- the baseline, ``recompute``: read every leaf hash of the table and compute the same inclusion
  path from them (RFC 9162 §2.1.3.1 as written), i.e. a log that stores no subtree hashes.

``--json`` for a machine-readable result; ``--keep DIR`` keeps the SQLite database (``--reuse``
measures it again: appends and checkpoints add to it); ``--profile N``
prints cProfile's top N entries of the computed and of the cached proofs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, insert, select  # noqa: E402

from credential_service.core.clock import to_xsd  # noqa: E402
from credential_service.core.config import Settings  # noqa: E402
from credential_service.core.migrations import upgrade  # noqa: E402
from credential_service.crypto import merkle  # noqa: E402
from credential_service.crypto.jcs import canonical_json  # noqa: E402
from credential_service.issuers import service as issuers  # noqa: E402
from credential_service.runtime import Runtime, build_runtime  # noqa: E402
from credential_service.transparency import proofs, rules  # noqa: E402
from credential_service.transparency import service as log  # noqa: E402
from credential_service.transparency.models import LogLeaf, LogNode  # noqa: E402

BASE_URL = "https://skills.bench"
BATCH = 20_000


def _fill(engine: Engine, count: int) -> None:
    """``count`` issuance leaves and their perfect subtree hashes, as ``log.append`` would store them."""
    tree = merkle.CompactTree()
    started = datetime(2026, 1, 1, tzinfo=UTC)
    issuer = "did:web:skills.bench:orgs:Y000014010001"
    method = f"{issuer}#key-20260101-abcdef"
    leaves: list[dict[str, Any]] = []
    nodes: list[dict[str, Any]] = []
    shown = time.monotonic()
    for index in range(count):
        at = started + timedelta(seconds=index * 30)
        credential_id = f"urn:uuid:{uuid.UUID(int=random.getrandbits(128), version=4)}"
        data = rules.leaf_document(
            rules.LeafKind.CREDENTIAL_ISSUED,
            {
                "credentialId": credential_id,
                "digest": os.urandom(32).hex(),
                "issuer": issuer,
                "verificationMethod": method,
            },
            at,
        )
        body = canonical_json(data).decode()
        hashed = merkle.leaf_hash(body.encode())
        leaves.append(
            {
                "leaf_index": index,
                "kind": "credential.issued",
                "credential_id": credential_id,
                "logged_at": at,
                "leaf_data": body,
                "leaf_hash": hashed.hex(),
            }
        )
        nodes += [
            {"level": lv, "node_index": ix, "node_hash": h.hex()} for (lv, ix), h in tree.append(hashed)
        ]
        if len(leaves) >= BATCH or index == count - 1:
            with engine.begin() as connection:
                connection.execute(insert(LogLeaf), leaves)
                connection.execute(insert(LogNode), nodes)
            leaves, nodes = [], []
            if time.monotonic() - shown > 10:
                print(f"  … {index + 1:,} leaves", file=sys.stderr)
                shown = time.monotonic()


def _timed(rounds: int, action: Any) -> list[float]:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return times


def _first_and_again(rounds: int, action: Any, draw: Any) -> tuple[list[float], list[float]]:
    """``action(x)`` timed with the proof cache emptied, then again on the same ``x`` (now kept)."""
    first, again = [], []
    for _ in range(rounds):
        value = draw()
        proofs.forget_proofs()
        for times in (first, again):
            start = time.perf_counter()
            action(value)
            times.append((time.perf_counter() - start) * 1000)
    return first, again


def _profiled(rounds: int, action: Any, before: Any, top: int) -> str:
    import cProfile
    import io
    import pstats

    profiler = cProfile.Profile()
    for _ in range(rounds):
        if before is not None:
            before()
        profiler.runcall(action)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("tottime").print_stats(top)
    return out.getvalue()


def _summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "median_ms": round(statistics.median(ordered), 3),
        "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)], 3),
        "max_ms": round(ordered[-1], 3),
    }


def run(runtime: Runtime, size: int, rounds: int, baseline_rounds: int, profile: int = 0) -> dict[str, Any]:
    rng = random.Random(7)
    with runtime.session() as session:
        issuers.ensure_platform_issuer(session, runtime.keystore, public_base_url=BASE_URL)
        signed = log.sign_checkpoint(session, runtime.keystore, public_base_url=BASE_URL)
        root = bytes.fromhex(signed.root_hash)
    assert signed.tree_size == size

    def inclusion(index: int | None = None) -> None:
        index = rng.randrange(size) if index is None else index
        with runtime.read_session() as session:
            proof = proofs.inclusion_proof(
                session, proofs.find_leaf(session, leaf_index=index), tree_size=size
            )
        merkle.verify_inclusion(index, size, bytes.fromhex(proof.leaf.leaf_hash), proof.audit_path, root)

    def consistency(old: int | None = None) -> None:
        old = rng.randrange(1, size) if old is None else old
        with runtime.read_session() as session:
            proof = proofs.consistency_proof(session, old, size)
            old_root = log.root_hash(session, old)
        merkle.verify_consistency(old, size, old_root, root, proof.proof)

    def recompute() -> None:
        index = rng.randrange(size)
        with runtime.read_session() as session:
            hashes = [
                bytes.fromhex(h)
                for h in session.scalars(select(LogLeaf.leaf_hash).order_by(LogLeaf.leaf_index))
            ]
        path = merkle.reference_inclusion_path(index, hashes)
        merkle.verify_inclusion(index, size, hashes[index], path, root)

    appended = 0

    def append() -> None:
        nonlocal appended
        with runtime.session() as session:
            log.append(
                session,
                rules.LeafKind.CREDENTIAL_STATUS,
                {"credentialId": f"urn:uuid:bench-{appended}", "purpose": "suspension", "value": True},
            )
            log.checkpoint_at_commit(session, runtime.keystore, public_base_url=BASE_URL)
        appended += 1

    included = _first_and_again(rounds, inclusion, lambda: rng.randrange(size))
    consistent = _first_and_again(rounds, consistency, lambda: rng.randrange(1, size))
    results = {
        "inclusion, computed": _summary(included[0]),
        "inclusion, cached": _summary(included[1]),
        "consistency, computed": _summary(consistent[0]),
        "consistency, cached": _summary(consistent[1]),
        "recompute (baseline)": _summary(_timed(baseline_rounds, recompute)),
    }
    profiles = {}
    if profile:
        kept = rng.randrange(size)
        inclusion(kept)
        profiles = {
            "inclusion, computed": _profiled(rounds, inclusion, proofs.forget_proofs, profile),
            "inclusion, cached": _profiled(rounds, lambda: inclusion(kept), None, profile),
        }
    results["append + checkpoint"] = _summary(_timed(min(rounds, 200), append))
    baseline = results["recompute (baseline)"]["median_ms"]
    for kind in ("inclusion", "consistency"):
        computed, cached = results[f"{kind}, computed"], results[f"{kind}, cached"]
        for numbers in (computed, cached):
            numbers["x_faster_than_baseline"] = round(baseline / numbers["median_ms"], 1)
        cached["x_faster_than_computed"] = round(computed["median_ms"] / cached["median_ms"], 2)
    return {"results": results, "profiles": profiles}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leaves", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=500, help="proofs measured per kind")
    parser.add_argument("--baseline-rounds", type=int, default=3)
    parser.add_argument(
        "--database-url", help="PostgreSQL URL of an EMPTY database (default: SQLite in a temp dir)"
    )
    parser.add_argument("--keep", type=Path, help="keep the SQLite database in this folder")
    parser.add_argument("--reuse", action="store_true", help="measure the leaves of a kept database")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="cProfile: top N entries")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-log-"))
    folder.mkdir(parents=True, exist_ok=True)
    url = args.database_url or f"sqlite:///{folder / 'log.sqlite3'}"
    settings = Settings(
        environment="test",
        database_url=url,
        keystore_dir=folder / "keys",
        keystore_passphrase="bench-log",
        public_base_url=BASE_URL,
    )
    runtime = build_runtime(settings, require_migrated=False)
    upgrade(runtime.engine)
    started = time.monotonic()
    with runtime.read_session() as session:
        kept = log.tree_size(session)
    if kept and args.reuse:
        args.leaves = kept
        print(f"measuring the {kept:,} leaves already in the log", file=sys.stderr)
    elif kept:
        raise SystemExit(f"the log already holds {kept:,} leaves: pass --reuse to measure them")
    else:
        print(f"filling the log with {args.leaves:,} leaves ({url.split(':')[0]}) …", file=sys.stderr)
        _fill(runtime.engine, args.leaves)
    filled = time.monotonic() - started
    result = {
        "leaves": args.leaves,
        "database": url.split(":")[0],
        "fill_seconds": round(filled, 1),
        "measured_at": to_xsd(datetime.now(UTC)),
        **run(runtime, args.leaves, args.rounds, args.baseline_rounds, args.profile),
    }
    runtime.close()
    if args.keep is None:
        shutil.rmtree(folder, ignore_errors=True)  # the temporary database and keys
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"\ntransparency log, {args.leaves:,} leaves on {result['database']} (filled in {filled:.0f} s)")
    for name, numbers in result["results"].items():
        extra = (
            f"  ({numbers['x_faster_than_baseline']}x the baseline)"
            if "x_faster_than_baseline" in numbers
            else ""
        )
        if "x_faster_than_computed" in numbers:
            extra += f", {numbers['x_faster_than_computed']}x computed"
        print(
            f"  {name:<22} median {numbers['median_ms']:>9.3f} ms   p95 {numbers['p95_ms']:>9.3f} ms{extra}"
        )
    for name, text in result["profiles"].items():
        print(f"\ncProfile, {name}:\n{text}")


if __name__ == "__main__":
    main()
