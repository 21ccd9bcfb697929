"""The QR token: a compact payload signed with the issuing key (pure functions, no I/O).

It must fit a QR code of version ≤ 10 at error correction M together with the URL prefix, so it
is packed binary, then base32 (A–Z, 2–7: the QR alphanumeric mode holds 5.5 bits per character).
It carries no personal data: a stranger who reads it learns a certificate number and a date.

Layout (version 1, 138 bytes → 221 base32 characters):

    1   version
    4   key fingerprint: SHA-256 of the raw Ed25519 public key, first 4 bytes (a verifier
        tries every key with that fingerprint: collisions cost a second check, not a wrong answer)
    2   issue date: days since 1970-01-01 (Beijing date)
    10  certificate number: [YS] letter + the 21 digits as a 9-byte unsigned integer
    32  SHA-256 of the signed credential in JCS form (IssuedCredential.digest)
    1   flags: bit 0 a revocation entry follows, bit 1 a suspension entry follows
    12  per entry: the list id's 8 bytes (hex part of ``r…``/``s…``) + the index (4 bytes)
    64  Ed25519 signature over DOMAIN + all the bytes above

A forged or altered token fails the signature check, which needs only the public key: no database
look-up happens before it, so certificate numbers cannot be enumerated through ``/v/{token}``.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

VERSION = 1
DOMAIN = b"credential-service/qr-token/v1\x00"  # signatures made for tokens mean nothing elsewhere
EPOCH = date(1970, 1, 1)
FINGERPRINT_BYTES = 4
SIGNATURE_BYTES = 64
_LIST_ID = re.compile(r"^[rs][0-9a-f]{16}$")
# The national certificate number as the layout packs it: Y or S, then 21 digits (the 6th-from-last
# is the level, 1-5); the certificates part holds the same rule for its own inputs.
CERTIFICATE_NUMBER = re.compile(r"^[YS]\d{4}\d{2}\d{6}\d{2}[1-5]\d{6}$")
_TOKEN = re.compile(r"^[A-Z2-7]+$")
MAX_TOKEN_CHARS = 300  # reject absurd input before decoding it
# With both status entries: the longest token a certificate can carry.
LONGEST_TOKEN_CHARS = -(-(1 + FINGERPRINT_BYTES + 2 + 10 + 32 + 1 + 2 * 12 + SIGNATURE_BYTES) * 8 // 5)


class TokenError(ValueError):
    """The token is malformed (never says more: a stranger learns nothing from the error)."""


@dataclass(frozen=True)
class StatusRef:
    list_id: str  # "r" or "s" + 16 hex digits, as in status_lists
    index: int


@dataclass(frozen=True)
class TokenClaims:
    key_fingerprint: bytes
    issued_on: date
    certificate_number: str
    credential_digest: str  # hex
    revocation: StatusRef | None
    suspension: StatusRef | None


@dataclass(frozen=True)
class SignedToken:
    text: str  # normalised (upper case, no padding)
    claims: TokenClaims
    message: bytes  # what the signature covers
    signature: bytes

    def signature_valid(self, public_key: bytes) -> bool:
        try:
            VerifyKey(public_key).verify(self.message, self.signature)
        except (BadSignatureError, ValueError):
            return False
        return True


def key_fingerprint(public_key: bytes) -> bytes:
    return hashlib.sha256(public_key).digest()[:FINGERPRINT_BYTES]


def _pack_number(number: str) -> bytes:
    if not CERTIFICATE_NUMBER.match(number):
        raise TokenError("not a national certificate number")
    return number[0].encode("ascii") + int(number[1:]).to_bytes(9, "big")


def _pack_status(ref: StatusRef, letter: str) -> bytes:
    if not _LIST_ID.match(ref.list_id) or ref.list_id[0] != letter or not 0 <= ref.index < 2**32:
        raise TokenError("status reference out of range")
    return bytes.fromhex(ref.list_id[1:]) + ref.index.to_bytes(4, "big")


def token_message(claims: TokenClaims) -> bytes:
    """The bytes that are signed (after DOMAIN) and carried in the token."""
    if len(claims.key_fingerprint) != FINGERPRINT_BYTES:
        raise TokenError("bad key fingerprint")
    days = (claims.issued_on - EPOCH).days
    digest = bytes.fromhex(claims.credential_digest)
    if not 0 <= days < 2**16 or len(digest) != 32:
        raise TokenError("issue date or digest out of range")
    flags = (1 if claims.revocation else 0) | (2 if claims.suspension else 0)
    body = (
        bytes([VERSION])
        + claims.key_fingerprint
        + days.to_bytes(2, "big")
        + _pack_number(claims.certificate_number)
        + digest
        + bytes([flags])
    )
    if claims.revocation:
        body += _pack_status(claims.revocation, "r")
    if claims.suspension:
        body += _pack_status(claims.suspension, "s")
    return body


def encode(message: bytes, signature: bytes) -> str:
    return base64.b32encode(message + signature).decode("ascii").rstrip("=")


def sign_token(claims: TokenClaims, sign: Callable[[bytes], bytes]) -> str:
    message = token_message(claims)
    return encode(message, sign(DOMAIN + message))


class _Reader:
    def __init__(self, data: bytes) -> None:
        self._data, self._at = data, 0

    def take(self, count: int) -> bytes:
        if self._at + count > len(self._data):
            raise TokenError("token too short")
        chunk = self._data[self._at : self._at + count]
        self._at += count
        return chunk

    @property
    def consumed(self) -> int:
        return self._at


def _read_status(reader: _Reader, letter: str) -> StatusRef:
    list_hex = reader.take(8).hex()
    return StatusRef(letter + list_hex, int.from_bytes(reader.take(4), "big"))


def read_token(token: str) -> SignedToken:
    """Parse (not verify) a token; raises TokenError for anything that is not a well-formed v1 token."""
    text = token.strip().upper()
    if not 0 < len(text) <= MAX_TOKEN_CHARS or not _TOKEN.match(text):
        raise TokenError("not a token")
    try:
        data = base64.b32decode(text + "=" * (-len(text) % 8))
    except ValueError as exc:
        raise TokenError("not base32") from exc
    reader = _Reader(data)
    if reader.take(1)[0] != VERSION:
        raise TokenError("unknown token version")
    fingerprint = reader.take(FINGERPRINT_BYTES)
    issued_on = EPOCH + timedelta(days=int.from_bytes(reader.take(2), "big"))
    letter, digits = reader.take(1), int.from_bytes(reader.take(9), "big")
    number = letter.decode("ascii", errors="replace") + f"{digits:021d}"
    if not CERTIFICATE_NUMBER.match(number):
        raise TokenError("bad certificate number")
    digest = reader.take(32).hex()
    flags = reader.take(1)[0]
    if flags & ~3:
        raise TokenError("unknown flags")
    revocation = _read_status(reader, "r") if flags & 1 else None
    suspension = _read_status(reader, "s") if flags & 2 else None
    message_length = reader.consumed
    signature = reader.take(SIGNATURE_BYTES)
    if reader.consumed != len(data):
        raise TokenError("trailing bytes")
    claims = TokenClaims(fingerprint, issued_on, number, digest, revocation, suspension)
    return SignedToken(text, claims, DOMAIN + data[:message_length], signature)


def token_from_text(text: str) -> str:
    """The token out of a scanned URL (``…/v/{token}``, with or without a query) or a bare token."""
    text = text.strip()
    if "/v/" in text:
        text = text.rsplit("/v/", 1)[1]
    return text.split("?", 1)[0].split("#", 1)[0].strip("/")
