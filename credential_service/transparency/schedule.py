"""Checkpoints on a schedule: while the service runs, sign one every ``CS_LOG_CHECKPOINT_SECONDS``
(default 300; the first at start-up) when the log has grown since the last — status changes, or
leaves whose issuance could not sign one — and the call a batch makes when it ends.

These run outside any request, so they open their own transactions: the composition root hands
them a ``LogSigner`` (how to open a transaction, the keystore, the log's URL), not the runtime."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from credential_service.crypto.keystore import KeyStore
from credential_service.transparency import service as log

logger = logging.getLogger(__name__)

SessionOpener = Callable[[], AbstractContextManager[Session]]


@dataclass(frozen=True)
class LogSigner:
    """What signing a checkpoint in its own transaction uses."""

    session: SessionOpener  # a unit of work: committed on success, rolled back on error
    read_session: SessionOpener  # a read-only transaction
    keystore: KeyStore
    public_base_url: str


def checkpoint_if_grown(signer: LogSigner) -> int | None:
    """Sign a checkpoint (its own transaction) if the log grew; returns its tree size, else None."""
    with signer.read_session() as session:  # the common case, nothing new, takes no write lock
        latest = log.latest_checkpoint(session)
        if log.tree_size(session) <= (latest.tree_size if latest is not None else 0):
            return None
    with signer.session() as session:
        if not _the_only_signer(session):
            return None  # another process is signing this round
        signed = log.sign_checkpoint_if_grown(
            session, signer.keystore, public_base_url=signer.public_base_url
        )
        return None if signed is None else signed.tree_size


# One signer at a time across processes and hosts: a PostgreSQL advisory lock held for the transaction
# (released at commit or rollback, or when a crashed process's connection closes). SQLite serves one
# process, whose writes are serialised anyway.
SIGNER_LOCK_KEY = 0x43534C4F47  # "CSLOG": any fixed 64-bit number no other lock uses


def _the_only_signer(session: Session) -> bool:
    if session.get_bind().dialect.name != "postgresql":
        return True
    return bool(session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": SIGNER_LOCK_KEY}))


def _every(signer: LogSigner, seconds: float, stop: threading.Event) -> None:
    while True:
        try:
            size = checkpoint_if_grown(signer)
            if size is not None:
                logger.info("transparency log: signed the checkpoint of size %d", size)
        except Exception:  # the schedule must outlive a failed round (database restarting, …)
            logger.exception("transparency log: the scheduled checkpoint failed; trying again later")
        if stop.wait(seconds):
            return


@contextlib.contextmanager
def checkpoint_schedule(signer: LogSigner, seconds: float) -> Iterator[None]:
    """Run the schedule in a thread for as long as the block (the app's lifespan) runs, a round every
    ``seconds``; a round in progress finishes before the block ends. ``seconds <= 0`` turns it off."""
    if seconds <= 0:
        yield
        return
    stop = threading.Event()
    thread = threading.Thread(
        target=_every, args=(signer, seconds, stop), name="transparency-log-checkpoints", daemon=True
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)
