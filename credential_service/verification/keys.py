"""Every issuing key's public half, in memory, by QR-token fingerprint.

A forged or altered token is refused by its signature before any database read; only a token
naming an unknown fingerprint may reload the directory, at most once per ``min_reload_seconds``
(a key created by another process, e.g. ``keys rotate`` from the CLI, is found that way).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from credential_service.crypto.multibase import decode_ed25519_public_key
from credential_service.crypto.qr_token import key_fingerprint
from credential_service.issuers import service as issuers


@dataclass(frozen=True)
class DirectoryKey:
    verification_method: str
    controller: str  # the issuer's DID
    public_key: bytes


def database_keys(session: Session) -> list[DirectoryKey]:
    return [
        DirectoryKey(key.verification_method, issuer.did, decode_ed25519_public_key(key.public_key_multibase))
        for issuer in issuers.all_issuers(session)
        for key in issuer.keys
    ]


class KeyDirectory:
    def __init__(
        self,
        load: Callable[[], Iterable[DirectoryKey]],
        *,
        min_reload_seconds: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load = load
        self._min_reload = min_reload_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._by_fingerprint: dict[bytes, list[DirectoryKey]] = {}
        self._loaded_at: float | None = None

    def _reload(self) -> None:
        by_fingerprint: dict[bytes, list[DirectoryKey]] = {}
        for key in self._load():
            by_fingerprint.setdefault(key_fingerprint(key.public_key), []).append(key)
        self._by_fingerprint = by_fingerprint
        self._loaded_at = self._clock()

    def candidates(self, fingerprint: bytes) -> list[DirectoryKey]:
        """Keys with this fingerprint (usually one; a 4-byte fingerprint may rarely be shared)."""
        found = self._by_fingerprint.get(fingerprint)
        if found is not None:
            return found
        with self._lock:
            if self._loaded_at is None or self._clock() - self._loaded_at >= self._min_reload:
                self._reload()
        return self._by_fingerprint.get(fingerprint, [])

    def forget(self) -> None:
        """Reload on next use (after keys change in this process)."""
        with self._lock:
            self._loaded_at = None
            self._by_fingerprint = {}
