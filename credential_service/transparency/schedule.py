"""Checkpoints on a schedule: while the service runs, sign one every ``CS_LOG_CHECKPOINT_SECONDS``
(default 300; the first at start-up) when the log has grown since the last — status changes, or
leaves whose issuance could not sign one — and the call a batch makes when it ends."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from credential_service.transparency import log

if TYPE_CHECKING:
    from credential_service.runtime import Runtime

logger = logging.getLogger(__name__)


def checkpoint_if_grown(runtime: Runtime) -> int | None:
    """Sign a checkpoint (its own transaction) if the log grew; returns its tree size, else None."""
    with runtime.read_session() as session:  # the common case, nothing new, takes no write lock
        latest = log.latest_checkpoint(session)
        if log.tree_size(session) <= (latest.tree_size if latest is not None else 0):
            return None
    with runtime.session() as session:
        signed = log.sign_checkpoint_if_grown(
            session, runtime.keystore, public_base_url=runtime.settings.public_base_url
        )
        return None if signed is None else signed.tree_size


def _every(runtime: Runtime, seconds: float, stop: threading.Event) -> None:
    while True:
        try:
            size = checkpoint_if_grown(runtime)
            if size is not None:
                logger.info("transparency log: signed the checkpoint of size %d", size)
        except Exception:  # the schedule must outlive a failed round (database restarting, …)
            logger.exception("transparency log: the scheduled checkpoint failed; trying again later")
        if stop.wait(seconds):
            return


@contextlib.contextmanager
def checkpoint_schedule(runtime: Runtime) -> Iterator[None]:
    """Run the schedule in a thread for as long as the block (the app's lifespan) runs; a round in
    progress finishes before the block ends. ``CS_LOG_CHECKPOINT_SECONDS=0`` turns it off."""
    seconds = runtime.settings.log_checkpoint_seconds
    if seconds <= 0:
        yield
        return
    stop = threading.Event()
    thread = threading.Thread(
        target=_every, args=(runtime, seconds, stop), name="transparency-log-checkpoints", daemon=True
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)
