"""Personal data at rest: AES-256-GCM with a key from configuration (never from the database).

A sealed value is ``version byte ‖ 12-byte nonce ‖ ciphertext+tag``. The associated data binds it to
its purpose (e.g. ``person.id_number``), so a value copied into another column does not open.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = b"\x01"


class SealError(ValueError):
    """A sealed value is damaged, or was sealed under another key or purpose."""


def seal(key: bytes, plaintext: str, purpose: str) -> bytes:
    nonce = os.urandom(12)
    return VERSION + nonce + AESGCM(key).encrypt(nonce, plaintext.encode("utf-8"), purpose.encode())


def unseal(key: bytes, sealed: bytes, purpose: str) -> str:
    if len(sealed) < 1 + 12 + 16 or sealed[:1] != VERSION:
        raise SealError("not a sealed value")
    try:
        return AESGCM(key).decrypt(sealed[1:13], sealed[13:], purpose.encode()).decode("utf-8")
    except InvalidTag as exc:
        raise SealError("cannot open: wrong data key, or the value was altered") from exc
