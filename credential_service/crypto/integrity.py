"""The digests of related resources (VC Data Model 2.0 §5.3): reading and comparing them.

A credential may pin the exact bytes of resources it relies on (a JSON-LD context, an image) with
``digestSRI`` (the ``integrity`` attribute of Subresource Integrity §3.5: ``sha384-<base64>``) or
``digestMultibase`` (VC Data Integrity §2.6: a multibase-encoded multihash, e.g. ``uEiB…`` for
SHA2-256 in base64url). The W3C VC 2.0 test suite also writes a bare SHA-2 digest in multibase
(``u`` + base64url of the 32 bytes); its length says which SHA-2 it is, so it is read too
(decision 033). The rules of ``relatedResource`` itself are in :mod:`.vcdm`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable
from typing import Any, Final

from credential_service.crypto.multibase import MultibaseError, decode_base58btc, decode_base64url

# SRI hash algorithms, weakest first (SRI §3.3: only the strongest given is compared).
_SRI_ALGORITHMS: Final[dict[str, Callable[[bytes], Any]]] = {
    "sha256": hashlib.sha256,
    "sha384": hashlib.sha384,
    "sha512": hashlib.sha512,
}
_SRI_EXPRESSION = re.compile(r"^([A-Za-z0-9]+)-([A-Za-z0-9+/]+={0,2})(\?[\x21-\x7e]*)?$")
# multihash code and digest length (varints, one byte each here) of the SHA-2 digests.
_MULTIHASH: Final[dict[bytes, str]] = {b"\x12\x20": "sha256", b"\x20\x30": "sha384", b"\x13\x40": "sha512"}
_BARE_DIGEST_LENGTHS: Final[dict[int, str]] = {32: "sha256", 48: "sha384", 64: "sha512"}


class DigestFormatError(ValueError):
    """A digest that is not written as its specification says (the message is bilingual)."""


def parse_sri(value: object) -> list[tuple[str, bytes]]:
    """The (algorithm, digest) pairs of an SRI integrity value, strongest algorithm only.

    Raises DigestFormatError when no sha256/sha384/sha512 hash-expression is found (SRI ignores
    unknown algorithms; a value with none at all pins nothing, so it is refused here).
    """
    if not isinstance(value, str) or not value.strip():
        raise DigestFormatError("须是形如 sha384-… 的摘要字符串 / must be an SRI string such as sha384-…")
    found: list[tuple[str, bytes]] = []
    for expression in value.split():
        match = _SRI_EXPRESSION.match(expression)
        if match is None:
            raise DigestFormatError(
                f"“{expression[:20]}”不是 算法-Base64 形式的摘要 / {expression[:20]!r} is not an "
                "SRI hash-expression (algorithm-base64)"
            )
        algorithm, encoded = match.group(1).lower(), match.group(2)
        if algorithm not in _SRI_ALGORITHMS:
            continue
        try:
            found.append((algorithm, base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)))
        except binascii.Error as exc:
            raise DigestFormatError("摘要不是有效的 Base64 / the digest is not valid base64") from exc
    if not found:
        raise DigestFormatError("须使用 sha256、sha384 或 sha512 算法 / must use sha256, sha384 or sha512")
    strongest = max(found, key=lambda pair: list(_SRI_ALGORITHMS).index(pair[0]))[0]
    return [pair for pair in found if pair[0] == strongest]


def parse_digest_multibase(value: object) -> tuple[str, bytes]:
    """The (algorithm, digest) of a ``digestMultibase``: a multibase (``u`` base64url or ``z``
    base58btc) multihash of SHA2-256/384/512, or a bare digest of one of those lengths.

    Raises DigestFormatError.
    """
    if not isinstance(value, str) or len(value) < 2:
        raise DigestFormatError("须是多重编码（multibase）字符串 / must be a multibase string")
    try:
        if value[0] == "u":
            data = decode_base64url(value)
        elif value[0] == "z":
            data = decode_base58btc(value)
        else:
            raise DigestFormatError(
                "须以 u（base64url）或 z（base58btc）开头 / must start with u (base64url) or z (base58btc)"
            )
    except MultibaseError as exc:
        raise DigestFormatError(f"编码无效 / not valid multibase: {exc}") from exc
    algorithm = _MULTIHASH.get(data[:2])
    if algorithm is not None and len(data) == 2 + data[1]:
        return algorithm, data[2:]
    if len(data) in _BARE_DIGEST_LENGTHS:
        return _BARE_DIGEST_LENGTHS[len(data)], data
    raise DigestFormatError("不是 SHA-2 摘要（multihash）/ not a SHA2-256, SHA2-384 or SHA2-512 multihash")


def sri_matches(value: object, data: bytes) -> bool:
    """True when one of the strongest hash-expressions of ``value`` is the digest of ``data``."""
    return any(_SRI_ALGORITHMS[a](data).digest() == digest for a, digest in parse_sri(value))


def multibase_digest_matches(value: object, data: bytes) -> bool:
    algorithm, digest = parse_digest_multibase(value)
    return bool(_SRI_ALGORITHMS[algorithm](data).digest() == digest)
