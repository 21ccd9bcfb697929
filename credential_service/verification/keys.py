"""Every issuing key's public half, in memory, by QR-token fingerprint.

A forged or altered token is refused by its signature before any database read. A token naming an
unknown fingerprint asks the trust generation (one single-row read): the directory reloads only when
keys changed since it was loaded, in this process or another (a key made by ``keys rotate`` from the
CLI is found at once). Nothing else in it can go stale: a key's public half never changes and no key
is ever deleted; its lifecycle is read with the certificate, never from here (decision 040).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from credential_service.crypto.multibase import decode_ed25519_public_key
from credential_service.crypto.qr_token import key_fingerprint
from credential_service.issuers import service as issuers
from credential_service.platform import generations


@dataclass(frozen=True)
class DirectoryKey:
    verification_method: str
    controller: str  # the issuer's DID
    public_key: bytes


def database_keys(session: Session) -> tuple[int, list[DirectoryKey]]:
    """The trust generation, then every key: read in this order, a key event committed in between
    leaves the directory behind the generation it names, so the next unknown key reloads it."""
    generation = generations.current(session)
    return generation, [
        DirectoryKey(key.verification_method, issuer.did, decode_ed25519_public_key(key.public_key_multibase))
        for issuer in issuers.all_issuers(session)
        for key in issuer.keys
    ]


class KeyDirectory:
    def __init__(
        self,
        load: Callable[[], tuple[int, Iterable[DirectoryKey]]],
        *,
        generation: Callable[[], int] | None = None,
    ) -> None:
        """``load``: the trust generation, read first, and the keys; ``generation``: the generation
        now (None: a fixed set of keys, loaded once)."""
        self._load = load
        self._generation = generation
        self._lock = threading.Lock()
        self._by_fingerprint: dict[bytes, list[DirectoryKey]] = {}
        self._loaded_at: int | None = None  # the generation the keys were read at

    def _reload(self) -> None:
        generation, keys = self._load()
        by_fingerprint: dict[bytes, list[DirectoryKey]] = {}
        for key in keys:
            by_fingerprint.setdefault(key_fingerprint(key.public_key), []).append(key)
        self._by_fingerprint = by_fingerprint
        self._loaded_at = generation

    def candidates(self, fingerprint: bytes) -> list[DirectoryKey]:
        """Keys with this fingerprint (usually one; a 4-byte fingerprint may rarely be shared)."""
        found = self._by_fingerprint.get(fingerprint)
        if found is not None:
            return found
        with self._lock:
            if self._loaded_at is None or (
                self._generation is not None and self._generation() != self._loaded_at
            ):
                self._reload()
        return self._by_fingerprint.get(fingerprint, [])

    def _keys_changed(self) -> bool:
        return self._generation is not None and self._generation() != self._loaded_at

    def forget(self) -> None:
        """Reload on next use."""
        with self._lock:
            self._loaded_at = None
            self._by_fingerprint = {}
