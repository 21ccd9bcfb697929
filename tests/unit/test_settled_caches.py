"""The per-process caches behind QR verification (decision 040): bounded, and the key directory
reloads only when the trust generation says keys changed."""

from __future__ import annotations

from credential_service.core.lru import BoundedLRU
from credential_service.crypto import data_integrity as di
from credential_service.crypto.qr_token import key_fingerprint
from credential_service.verification.keys import DirectoryKey, KeyDirectory

OLD, NEW = di.ed25519_public_key(bytes(range(32))), di.ed25519_public_key(bytes(range(32, 64)))


def test_the_least_recently_used_entry_goes_first() -> None:
    cache: BoundedLRU[str, int] = BoundedLRU(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "b" is now the least recently used
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c"), len(cache)) == (1, None, 3, 2)
    cache.discard("a")
    assert cache.get("a") is None
    nothing: BoundedLRU[str, int] = BoundedLRU(0)
    nothing.put("a", 1)
    assert nothing.get("a") is None and len(nothing) == 0


def test_an_unknown_fingerprint_reloads_the_directory_only_when_keys_changed() -> None:
    keys = [DirectoryKey("did:web:x#old", "did:web:x", OLD)]
    generation, loads = [1], []

    def load() -> tuple[int, list[DirectoryKey]]:
        loads.append(generation[0])
        return generation[0], list(keys)

    directory = KeyDirectory(load, generation=lambda: generation[0])
    assert directory.candidates(key_fingerprint(OLD)) == keys
    for _ in range(3):  # forged tokens naming no key: one generation read each, no reload
        assert directory.candidates(key_fingerprint(NEW)) == []
    assert loads == [1]
    keys.append(DirectoryKey("did:web:x#new", "did:web:x", NEW))  # made by another process
    generation[0] = 2
    assert [k.verification_method for k in directory.candidates(key_fingerprint(NEW))] == ["did:web:x#new"]
    assert loads == [1, 2]
