"""Create Proof for many documents on every core: the canonicalisation in worker processes, the
signature here.

Canonicalising and hashing (:func:`.data_integrity.proof_to_sign`) is nearly all of a proof's cost
and needs no key, so worker processes do it; this process signs the 64 bytes each returns. The
private key never leaves the process that holds it, whatever the key store (file, KMS, HSM):
decision 044. Small batches, and machines with one core, are worked here, as before.
"""

from __future__ import annotations

import atexit
import functools
import multiprocessing
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Final

from .data_integrity import Cryptosuite, ProofToSign, proof_to_sign

# Below this many documents the pipes cost more than a second core saves.
POOL_FROM: Final = 32
# Documents handed to a worker at a time: fewer round trips, results still arrive early.
PER_TASK: Final = 16

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None


def worker_count() -> int:
    """The cores this process may use (its CPU affinity), at least one."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _shared_pool() -> Executor | None:
    """The process-wide pool, started on first use (None on one core). Workers come from a fork
    server, not from this process, so they inherit no database connection, thread or lock."""
    global _pool  # noqa: PLW0603  # one pool per process, started lazily
    workers = worker_count()
    if workers < 2:
        return None
    with _lock:
        if _pool is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload([__name__])
            _pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
            atexit.register(_pool.shutdown, cancel_futures=True)
        return _pool


def _prepare(
    document: Mapping[str, Any], *, cryptosuite: Cryptosuite, verification_method: str, created: str
) -> ProofToSign | None:
    """In a worker: the proof to sign, or None when it fails (this process then repeats it, so the
    caller gets the very error; errors do not all survive the pipe)."""
    try:
        return proof_to_sign(
            document, cryptosuite=cryptosuite, verification_method=verification_method, created=created
        )
    except Exception:
        return None


def proofs_to_sign(
    documents: Sequence[Mapping[str, Any]],
    *,
    cryptosuite: Cryptosuite,
    verification_method: str,
    created: str,
) -> Iterator[ProofToSign]:
    """``proof_to_sign`` of each document (proof purpose assertionMethod), in order, as they are
    ready: the caller signs and stores the first ones while workers still canonicalise the rest.
    Raises as ``proof_to_sign``, when the failing document's turn comes."""
    here = functools.partial(
        proof_to_sign, cryptosuite=cryptosuite, verification_method=verification_method, created=created
    )
    pool = _shared_pool() if len(documents) >= POOL_FROM else None
    if pool is None:
        yield from map(here, documents)
        return
    in_worker = functools.partial(
        _prepare, cryptosuite=cryptosuite, verification_method=verification_method, created=created
    )
    done = 0
    try:
        for to_sign in pool.map(in_worker, documents, chunksize=PER_TASK):
            yield to_sign if to_sign is not None else here(documents[done])
            done += 1
    except BrokenProcessPool:  # a worker died (killed, out of memory): carry on here, start afresh next time
        _forget(pool)
        yield from map(here, documents[done:])


def _forget(pool: Executor) -> None:
    global _pool  # noqa: PLW0603
    with _lock:
        if _pool is pool:
            _pool = None
    pool.shutdown(wait=False, cancel_futures=True)
