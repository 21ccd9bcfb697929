"""Bitstring Status List v1.0 bits: gzip + base64url multibase, index 0 = most significant bit of byte 0."""

from __future__ import annotations

import gzip
import zlib
from enum import StrEnum

from credential_service.crypto.multibase import MultibaseError, decode_base64url, encode_base64url


class StatusPurpose(StrEnum):
    """The purposes of this service's status lists (Bitstring Status List §2.1 statusPurpose)."""

    REVOCATION = "revocation"
    SUSPENSION = "suspension"


MINIMUM_ENTRIES = 131_072  # §3.2: at least 16 KB of bits, for herd privacy
MAX_DECOMPRESSED_BYTES = 16 * 1024 * 1024  # refuse gzip bombs when reading someone's list


class StatusListError(ValueError):
    """An encoded list is malformed, too short, or an index is out of range."""


def empty_bitstring(size: int = MINIMUM_ENTRIES) -> bytearray:
    if size < MINIMUM_ENTRIES or size % 8:
        raise StatusListError(f"a status list has at least {MINIMUM_ENTRIES} entries, in whole bytes")
    return bytearray(size // 8)


def set_bit(bits: bytearray, index: int, value: bool) -> None:
    if not 0 <= index < len(bits) * 8:
        raise StatusListError(f"index {index} is outside the list")
    mask = 0x80 >> (index % 8)
    if value:
        bits[index // 8] |= mask
    else:
        bits[index // 8] &= ~mask & 0xFF


def get_bit(bits: bytes, index: int) -> bool:
    if not 0 <= index < len(bits) * 8:
        raise StatusListError(f"index {index} is outside the list (RANGE_ERROR)")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def encode_list(bits: bytes) -> str:
    """``encodedList``: base64url multibase (no padding) of the GZIP of the bits; mtime 0 keeps it stable."""
    return encode_base64url(gzip.compress(bytes(bits), mtime=0))


def decode_list(encoded: str) -> bytes:
    """The raw bitstring of an ``encodedList``; raises StatusListError if it is malformed or too short."""
    try:
        compressed = decode_base64url(encoded)
        inflater = zlib.decompressobj(wbits=31)  # gzip container
        bits = inflater.decompress(compressed, MAX_DECOMPRESSED_BYTES)
    except (MultibaseError, zlib.error) as exc:
        raise StatusListError("encodedList is not gzip in base64url multibase") from exc
    if inflater.unconsumed_tail:
        raise StatusListError("encodedList is larger than any list we accept")
    if len(bits) * 8 < MINIMUM_ENTRIES:
        raise StatusListError("status list shorter than 131,072 entries (STATUS_LIST_LENGTH_ERROR)")
    return bits
