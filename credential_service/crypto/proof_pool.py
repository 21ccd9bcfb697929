"""Create Proof for many documents on every core: the canonicalisation in worker processes, the
signature here.

Canonicalising and hashing (:func:`.data_integrity.proof_to_sign`) is nearly all of a proof's cost
and needs no key, so worker processes do it, with the document's JSON text and JCS beside it; this
process signs the 64 bytes each returns and splices the proof into the texts. The private key never
leaves the process that holds it, whatever the key store (file, KMS, HSM): decision 044. Small
batches, and machines with one core, are worked here.
"""

from __future__ import annotations

import atexit
import functools
import json
import multiprocessing
import os
import select
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Final

from .data_integrity import (
    ED25519_SIGNATURE_LENGTH,
    Cryptosuite,
    ProofGenerationError,
    ProofToSign,
    attach_proof,
    proof_to_sign,
)
from .jcs import canonical_json
from .multibase import encode_base58btc

PROOF: Final = "proof"

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
            _pool = ProcessPoolExecutor(
                max_workers=workers, mp_context=context, initializer=_exit_with, initargs=(os.getpid(),)
            )
            atexit.register(_pool.shutdown, cancel_futures=True)
        return _pool


@dataclass(frozen=True, slots=True)
class Prepared:
    """A document ready to sign: its proof to sign and, worked out beside it so that signing costs
    the caller next to nothing, the document's JSON text and its JCS in two halves, the members
    before and after ``proof`` (None when the document already has a proof, or a key not a string)."""

    to_sign: ProofToSign
    json_text: str | None = None
    jcs_halves: tuple[bytes, bytes] | None = None

    def signed(self, document: Mapping[str, Any], signature: bytes) -> tuple[str, bytes]:
        """The signed document (``attach_proof``) as JSON text (``json.dumps``, ``ensure_ascii``
        off) and as JCS bytes, from ``signature`` of ``to_sign.hash_data``. Raises as attach_proof."""
        if self.json_text is None or self.jcs_halves is None:
            secured = attach_proof(document, self.to_sign, signature)
            return json.dumps(secured, ensure_ascii=False), canonical_json(secured)
        if len(signature) != ED25519_SIGNATURE_LENGTH:
            raise ProofGenerationError("sign() must return a 64-byte Ed25519 signature")
        proof = {**self.to_sign.proof, "proofValue": encode_base58btc(signature)}
        # attach_proof appends the member "proof" last; JCS sorts it in between the two halves.
        text = ", ".join(
            m for m in (self.json_text[1:-1], '"proof": ' + json.dumps(proof, ensure_ascii=False)) if m
        )
        before, after = self.jcs_halves
        jcs = b",".join(m for m in (before[1:-1], b'"proof":' + canonical_json(proof), after[1:-1]) if m)
        return "{" + text + "}", b"{" + jcs + b"}"


def prepare(
    document: Mapping[str, Any], *, cryptosuite: Cryptosuite, verification_method: str, created: str
) -> Prepared:
    """``proof_to_sign`` of ``document`` (proof purpose assertionMethod) with its texts (Prepared)."""
    to_sign = proof_to_sign(
        document, cryptosuite=cryptosuite, verification_method=verification_method, created=created
    )
    if PROOF in document or not all(isinstance(key, str) for key in document):
        return Prepared(to_sign)
    # Sorting relative to the ASCII name "proof" is the same by code points and by UTF-16 code
    # units (RFC 8785 §3.2.3), so the halves split where JCS of the signed document puts the proof.
    halves = (
        canonical_json({k: v for k, v in document.items() if k < PROOF}),
        canonical_json({k: v for k, v in document.items() if k > PROOF}),
    )
    return Prepared(to_sign, json.dumps(document, ensure_ascii=False), halves)


def _exit_with(owner: int) -> None:
    """In a worker: end when the process that started the pool ends, however it ends. Killed (say
    SIGKILL mid-batch), it cannot shut the pool down, and the workers, which hold their own queue's
    other end, would wait for work forever."""
    threading.Thread(target=_wait_for_exit, args=(owner,), daemon=True).start()


def _wait_for_exit(owner: int) -> None:
    try:
        handle = os.pidfd_open(owner)  # Linux: readable once the process has ended
    except (AttributeError, OSError):
        while _alive(owner):  # elsewhere: look once a second
            time.sleep(1)
    else:
        select.select([handle], [], [])
    os._exit(0)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _prepare_in_worker(
    document: Mapping[str, Any], *, cryptosuite: Cryptosuite, verification_method: str, created: str
) -> Prepared | None:
    """``prepare`` in a worker, or None when it fails (this process then repeats it, so the caller
    gets the very error; errors do not all survive the pipe)."""
    try:
        return prepare(
            document, cryptosuite=cryptosuite, verification_method=verification_method, created=created
        )
    except Exception:
        return None


def prepare_many(
    documents: Sequence[Mapping[str, Any]],
    *,
    cryptosuite: Cryptosuite,
    verification_method: str,
    created: str,
) -> Iterator[Prepared]:
    """``prepare`` of each document, in order, as they are ready. The workers start at once: the
    caller may do other work meanwhile, then sign and store the first ones while they finish the
    rest. Raises as ``proof_to_sign``, when the failing document's turn comes."""
    here = functools.partial(
        prepare, cryptosuite=cryptosuite, verification_method=verification_method, created=created
    )
    pool = _shared_pool() if len(documents) >= POOL_FROM else None
    if pool is None:
        return map(here, documents)
    in_worker = functools.partial(
        _prepare_in_worker, cryptosuite=cryptosuite, verification_method=verification_method, created=created
    )
    return _collect(pool, pool.map(in_worker, documents, chunksize=PER_TASK), documents, here)


def _collect(
    pool: Executor,
    results: Iterator[Prepared | None],
    documents: Sequence[Mapping[str, Any]],
    here: Callable[[Mapping[str, Any]], Prepared],
) -> Iterator[Prepared]:
    done = 0
    try:
        for prepared in results:
            yield prepared if prepared is not None else here(documents[done])
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
