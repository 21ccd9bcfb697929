"""Signed checkpoints of the transparency log, as C2SP notes (pure: no database, no HTTP).

A checkpoint is a ``c2sp.org/tlog-checkpoint`` note body — origin line, tree size, base64 root
hash, no extension lines — signed by the platform's did:web key under the origin as key name,
twice (docs/decisions/017-transparency-log.md):

* an Ed25519 note signature (``c2sp.org/signed-note``, type 0x01) over the body, which any note
  tool (e.g. Go's ``golang.org/x/mod/sumdb/note``) checks with the verifier key we publish;
* a timestamped Ed25519 signature in the ``c2sp.org/tlog-cosignature`` v1 format (type 0x04) over
  ``cosignature/v1\\ntime <POSIX seconds>\\n`` + body: this one carries the checkpoint's time.

The key IDs are ``SHA-256(name || 0x0A || type || public key)[:4]``, so a verifier with the
platform's DID document finds the signing key among its listed keys without being told.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

from credential_service.crypto.keystore import verify_signature

ORIGIN_SUFFIX = "/log"
ED25519 = 0x01  # c2sp.org/signed-note signature type
COSIGNATURE_V1 = 0x04  # c2sp.org/tlog-cosignature: timestamped Ed25519
EM_DASH = "\u2014"
MAX_SIGNATURES = 16  # the note spec asks verifiers to accept at least 16
MAX_NOTE_BYTES = 16_384
LATEST_TIMESTAMP = 253_402_300_799  # 9999-12-31T23:59:59Z: later times are refused, not overflowed
_DECIMAL = re.compile(r"^(0|[1-9][0-9]{0,18})$")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")


class CheckpointError(Exception):
    """A note that is malformed or whose signatures do not verify; ``str()`` says why."""


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: the log's origin, its size and the RFC 9162 root hash at that size."""

    origin: str
    size: int
    root_hash: bytes

    def body(self) -> str:
        """The note text: three lines, each ending in a newline."""
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root_hash).decode('ascii')}\n"


@dataclass(frozen=True)
class OpenedCheckpoint:
    """A checkpoint whose signatures verified, with the signed time and the key that signed it."""

    checkpoint: Checkpoint
    timestamp: datetime
    key_label: str  # the caller's name for the key (e.g. its verification method)


def log_origin(public_base_url: str) -> str:
    """``skills.example.cn/log`` for ``https://skills.example.cn``: a schema-less URL, as the spec asks."""
    parts = urlsplit(public_base_url)
    return f"{parts.netloc}{parts.path.rstrip('/')}{ORIGIN_SUFFIX}"


def platform_did_for_origin(origin: str) -> str:
    """The did:web of the platform whose log has this origin (the only DID allowed to sign it)."""
    if not origin.endswith(ORIGIN_SUFFIX):
        raise CheckpointError(f"origin {origin!r} is not a log of this service")
    host, _, path = origin.removesuffix(ORIGIN_SUFFIX).partition("/")
    segments = [p for p in path.split("/") if p]
    return ":".join(("did", "web", quote(host, safe=""), *segments))


def key_id(name: str, signature_type: int, public_key: bytes) -> bytes:
    """The 4-byte key ID of c2sp.org/signed-note: SHA-256(name || 0x0A || type || key)[:4]."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([signature_type]) + public_key).digest()[:4]


def verifier_key(name: str, public_key: bytes) -> str:
    """The note verifier key ``name+hex(key ID)+base64(0x01 || key)`` that Go's note package reads."""
    encoded = base64.b64encode(bytes([ED25519]) + public_key).decode("ascii")
    return f"{name}+{key_id(name, ED25519, public_key).hex()}+{encoded}"


def _valid_key_name(name: str) -> bool:
    return bool(name) and "+" not in name and not any(ch.isspace() for ch in name)


def signature_line(name: str, key: bytes, signature: bytes) -> str:
    return f"{EM_DASH} {name} {base64.b64encode(key + signature).decode('ascii')}\n"


def sign_note(text: str, name: str, public_key: bytes, sign: Callable[[bytes], bytes]) -> str:
    """A signed note with one Ed25519 (type 0x01) signature: ``text``, a blank line, the signature."""
    if not text.endswith("\n") or not _valid_key_name(name):
        raise CheckpointError("malformed note")
    key = key_id(name, ED25519, public_key)
    return text + "\n" + signature_line(name, key, sign(text.encode("utf-8")))


def _cosigned_message(body: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{body}".encode()


def sign_checkpoint(
    checkpoint: Checkpoint, *, timestamp: datetime, public_key: bytes, sign: Callable[[bytes], bytes]
) -> str:
    """The signed note for ``checkpoint``: the plain and the timestamped signature of one key."""
    body = checkpoint.body()
    name = checkpoint.origin
    seconds = int(timestamp.timestamp())
    if seconds < 0:
        raise CheckpointError("timestamp before 1970")
    note = sign_note(body, name, public_key, sign)
    stamped = seconds.to_bytes(8, "big") + sign(_cosigned_message(body, seconds))
    return note + signature_line(name, key_id(name, COSIGNATURE_V1, public_key), stamped)


@dataclass(frozen=True)
class _Signature:
    name: str
    key: bytes
    payload: bytes


def split_note(note: str) -> tuple[str, list[_Signature]]:
    """The note text and its signature lines; raises CheckpointError for anything malformed."""
    if len(note.encode("utf-8")) > MAX_NOTE_BYTES or _CONTROL.search(note) or not note.endswith("\n"):
        raise CheckpointError("malformed note")
    text, separator, signatures = note.rpartition("\n\n")
    if not separator:
        raise CheckpointError("malformed note: no blank line before the signatures")
    text += "\n"
    lines = signatures.split("\n")[:-1]
    if not lines or len(lines) > MAX_SIGNATURES:
        raise CheckpointError("malformed note: no signatures, or too many")
    parsed = []
    for line in lines:
        prefix, _, rest = line.partition(" ")
        name, _, encoded = rest.partition(" ")
        if prefix != EM_DASH or not _valid_key_name(name) or " " in encoded:
            raise CheckpointError("malformed note: bad signature line")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise CheckpointError("malformed note: signature is not base64") from exc
        if len(raw) < 5:
            raise CheckpointError("malformed note: signature too short")
        parsed.append(_Signature(name, raw[:4], raw[4:]))
    return text, parsed


def parse_checkpoint(text: str) -> Checkpoint:
    """The checkpoint in a note text (origin, size, root hash; extension lines are refused)."""
    lines = text.split("\n")[:-1]
    if len(lines) != 3 or not all(lines):
        raise CheckpointError("a checkpoint has exactly three lines: origin, tree size, root hash")
    origin, size, root = lines
    if not _DECIMAL.match(size):
        raise CheckpointError("tree size is not a decimal number")
    try:
        root_hash = base64.b64decode(root, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CheckpointError("root hash is not base64") from exc
    if len(root_hash) != 32 or base64.b64encode(root_hash).decode("ascii") != root:
        raise CheckpointError("root hash is not 32 bytes in canonical base64")
    return Checkpoint(origin=origin, size=int(size), root_hash=root_hash)


def open_checkpoint(note: str, keys: Mapping[str, bytes]) -> OpenedCheckpoint:
    """Check a checkpoint's signatures against ``keys`` (label → Ed25519 public key).

    Only signatures under the origin's name whose key ID matches one of ``keys`` count; every such
    signature must verify, and one of them must be the timestamped (cosignature/v1) kind, whose
    time the checkpoint takes. Raises CheckpointError.
    """
    text, signatures = split_note(note)
    checkpoint = parse_checkpoint(text)
    stamped: tuple[datetime, str] | None = None
    for signature in signatures:
        if signature.name != checkpoint.origin:
            continue  # someone else's signature (e.g. a witness): ignored, as the spec says
        for label, public_key in keys.items():
            if signature.key == key_id(checkpoint.origin, ED25519, public_key):
                if not verify_signature(public_key, text.encode("utf-8"), signature.payload):
                    raise CheckpointError(f"the note signature of {label} does not verify")
            elif signature.key == key_id(checkpoint.origin, COSIGNATURE_V1, public_key):
                if len(signature.payload) != 8 + 64:
                    raise CheckpointError("malformed timestamped signature")
                seconds = int.from_bytes(signature.payload[:8], "big")
                if seconds > LATEST_TIMESTAMP or not verify_signature(
                    public_key, _cosigned_message(text, seconds), signature.payload[8:]
                ):
                    raise CheckpointError(f"the timestamped signature of {label} does not verify")
                stamped = (datetime.fromtimestamp(seconds, UTC), label)
    if stamped is None:
        raise CheckpointError("no timestamped signature by a known key of this log")
    return OpenedCheckpoint(checkpoint=checkpoint, timestamp=stamped[0], key_label=stamped[1])
