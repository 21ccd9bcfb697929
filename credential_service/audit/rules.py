"""The audit trail's chain rules (pure): how an event's hash links it to the one before."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Protocol

from credential_service.core.clock import to_xsd
from credential_service.crypto.jcs import canonical_json

GENESIS = "0" * 64  # the previous hash of the first event


class ChainedEvent(Protocol):
    """An event as the chain sees it (the stored ``AuditEvent`` is one)."""

    @property
    def seq(self) -> int: ...
    @property
    def at(self) -> datetime: ...
    @property
    def actor(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def detail(self) -> str: ...
    @property
    def prev_hash(self) -> str: ...
    @property
    def event_hash(self) -> str: ...


def link_hash(prev_hash: str, event: ChainedEvent) -> str:
    """SHA-256 of the previous hash and the event's canonical JSON: altering, removing or re-ordering
    an event changes every later hash."""
    body = canonical_json(
        {
            "seq": event.seq,
            "at": to_xsd(event.at),
            "actor": event.actor,
            "action": event.action,
            "subject": event.subject,
            "detail": event.detail,
        }
    )
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + body).hexdigest()
