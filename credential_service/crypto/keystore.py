"""Ed25519 signing keys: a ``Signer`` interface and a file keystore that keeps private keys encrypted.

Each private key is a small JSON file: the 32-byte seed sealed with AES-256-GCM under a key derived
by scrypt from the passphrase (CS_KEYSTORE_PASSPHRASE). The key id is bound in as associated data,
so a file renamed onto another key id fails to open. Private keys never enter the database; a KMS or
HSM can stand in for the file keystore by implementing ``KeyStore``.
"""

from __future__ import annotations

import base64
import json
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from nacl.signing import SigningKey, VerifyKey

from credential_service.core.errors import ConfigurationError

FILE_VERSION = 1
SCRYPT_N = 2**15
_SAFE_KEY_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


class Signer(Protocol):
    """Signs bytes with one Ed25519 key; the private key may live anywhere (file, KMS, HSM)."""

    @property
    def key_id(self) -> str: ...

    @property
    def public_key(self) -> bytes: ...

    def sign(self, message: bytes) -> bytes:
        """Return the detached 64-byte Ed25519 signature of ``message``."""
        ...


class KeyStore(Protocol):
    def generate(self, key_id: str) -> bytes:
        """Create a new key under ``key_id`` and return its 32-byte public key."""
        ...

    def signer(self, key_id: str) -> Signer: ...

    def has(self, key_id: str) -> bool: ...


@dataclass(frozen=True)
class NaclSigner:
    """An in-memory Ed25519 signer (PyNaCl); also used in tests with published test keys."""

    key_id: str
    _signing_key: SigningKey

    @classmethod
    def from_seed(cls, key_id: str, seed: bytes) -> NaclSigner:
        return cls(key_id=key_id, _signing_key=SigningKey(seed))

    @property
    def public_key(self) -> bytes:
        return bytes(self._signing_key.verify_key)

    def sign(self, message: bytes) -> bytes:
        return bytes(self._signing_key.sign(message).signature)


def verify_signature(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True when ``signature`` is a valid Ed25519 signature of ``message``."""
    from nacl.exceptions import BadSignatureError

    try:
        VerifyKey(public_key).verify(message, signature)
    except (BadSignatureError, ValueError, TypeError):
        return False
    return True


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


class FileKeyStore:
    """Private keys in ``directory``, one encrypted JSON file per key id."""

    def __init__(self, directory: Path, passphrase: str) -> None:
        if not passphrase:
            raise ConfigurationError("the keystore passphrase is empty")
        self._directory = directory
        self._passphrase = passphrase.encode("utf-8")
        self._cache: dict[str, NaclSigner] = {}
        self._lock = threading.Lock()

    def _path(self, key_id: str) -> Path:
        if not _SAFE_KEY_ID.match(key_id):
            raise ValueError(f"key id {key_id!r} is not a safe file name")
        return self._directory / f"{key_id}.key.json"

    def _kek(self, salt: bytes, n: int) -> bytes:
        return Scrypt(salt=salt, length=32, n=n, r=8, p=1).derive(self._passphrase)

    def has(self, key_id: str) -> bool:
        return self._path(key_id).exists()

    def generate(self, key_id: str) -> bytes:
        path = self._path(key_id)
        if path.exists():
            raise FileExistsError(f"key {key_id} already exists")
        seed = os.urandom(32)
        salt, nonce = os.urandom(16), os.urandom(12)
        sealed = AESGCM(self._kek(salt, SCRYPT_N)).encrypt(nonce, seed, key_id.encode())
        signer = NaclSigner.from_seed(key_id, seed)
        record = {
            "version": FILE_VERSION,
            "key_id": key_id,
            "algorithm": "Ed25519",
            "public_key": _b64(signer.public_key),
            "kdf": {"name": "scrypt", "salt": _b64(salt), "n": SCRYPT_N, "r": 8, "p": 1},
            "cipher": {"name": "AES-256-GCM", "nonce": _b64(nonce), "ciphertext": _b64(sealed)},
        }
        self._directory.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(record, handle, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)  # atomic: a crash leaves the old state or the whole new file
        with self._lock:
            self._cache[key_id] = signer
        return signer.public_key

    def ed25519_private_key(self, key_id: str) -> Ed25519PrivateKey:
        """The key as a ``cryptography`` object, for libraries such as PyJWT that need one."""
        return Ed25519PrivateKey.from_private_bytes(bytes(self.signer(key_id)._signing_key))

    def signer(self, key_id: str) -> NaclSigner:
        """The signer for ``key_id``; raises ConfigurationError if it is missing or will not open."""
        with self._lock:
            cached = self._cache.get(key_id)
        if cached is not None:
            return cached
        path = self._path(key_id)
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            kdf, cipher = record["kdf"], record["cipher"]
            kek = self._kek(_unb64(kdf["salt"]), int(kdf["n"]))
            seed = AESGCM(kek).decrypt(_unb64(cipher["nonce"]), _unb64(cipher["ciphertext"]), key_id.encode())
        except FileNotFoundError as exc:
            raise ConfigurationError(
                f"private key {key_id} is missing from the keystore ({self._directory})"
            ) from exc
        except InvalidTag as exc:
            raise ConfigurationError(
                f"cannot open private key {key_id}: wrong CS_KEYSTORE_PASSPHRASE "
                "(or the key file was altered)"
            ) from exc
        except (KeyError, ValueError, TypeError) as exc:
            raise ConfigurationError(f"key file for {key_id} is damaged") from exc
        signer = NaclSigner.from_seed(key_id, seed)
        if _b64(signer.public_key) != record.get("public_key"):
            raise ConfigurationError(f"key file for {key_id} does not match its public key")
        with self._lock:
            self._cache[key_id] = signer
        return signer
