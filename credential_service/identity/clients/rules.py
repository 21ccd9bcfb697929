"""OAuth client constants, organisation-held public keys and the detached content signature: the
pure rules (no I/O).

An organisation keeps its own Ed25519 private key; the platform registers only the public key,
given as a JWK (RFC 8037: ``kty`` OKP, ``crv`` Ed25519, ``x``) or as a Multikey (``z6Mk…``). A key
without a ``kid`` gets its RFC 7638 JWK thumbprint as ``kid``.

The content signature (header ``X-Content-Signature``) is a JWS in compact serialisation with a
detached, unencoded payload (RFC 7515 Appendix F + RFC 7797 ``"b64": false``):

- protected header: ``{"alg": "EdDSA", "kid": <registered kid>, "b64": false, "crit": ["b64"]}``
  (other members such as ``typ`` are allowed and covered by the signature);
- payload: the 64 lowercase hex characters of SHA-256 over the exact bytes sent (the JSON request
  body, or the uploaded file) — the JWS signs that digest text, so a large file is hashed as it
  streams and never held in memory;
- signing input: ``ASCII(BASE64URL(header)) || "." || hex digest``; the header value is
  ``BASE64URL(header) + ".." + BASE64URL(signature)`` (the payload part left empty).

See docs/decisions/016-organisation-keys.md and the README for a worked example.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from credential_service.crypto.multibase import (
    MultibaseError,
    decode_ed25519_public_key,
    encode_ed25519_public_key,
)

TOKEN_PATH = "/oauth/token"  # noqa: S105 - a path, not a secret
CLIENT_SUBJECT = "client:"  # an OAuth token's subject: client:<client_id>
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
MAX_ASSERTION_LIFETIME = timedelta(minutes=5)  # RFC 7523 §3 item 4: "a short time"
CLOCK_LEEWAY = timedelta(seconds=30)
CONTENT_SIGNATURE_HEADER = "X-Content-Signature"
MAX_CONTENT_SIGNATURE = 2048  # a compact JWS with a short header is about 200 characters
KID = re.compile(r"^[A-Za-z0-9._~:-]{1,128}$")  # URL-safe: it appears in paths (…/client-keys/{kid})
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


def token_endpoint(public_base_url: str) -> str:
    """The token endpoint's URL: the ``aud`` a client assertion must name (RFC 7523 §3 item 3)."""
    return f"{public_base_url.rstrip('/')}{TOKEN_PATH}"


class ClientKeyError(ValueError):
    """A public key that cannot be registered; ``loc`` names the field."""

    def __init__(self, loc: str, reason: str) -> None:
        super().__init__(reason)
        self.loc, self.reason = loc, reason


class ContentSignatureError(ValueError):
    """A content signature that is malformed or does not verify; ``reason`` says why (bilingual)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ClientPublicKey:
    """An Ed25519 public key as registered: its ``kid`` and raw 32 bytes."""

    kid: str
    raw: bytes

    @property
    def multibase(self) -> str:
        return encode_ed25519_public_key(self.raw)

    @property
    def jwk(self) -> dict[str, str]:
        return public_jwk(self.raw, self.kid)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64url(text: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_jwk(raw: bytes, kid: str | None = None) -> dict[str, str]:
    """The RFC 8037 JWK of an Ed25519 public key."""
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": _b64url(raw)}
    return {**jwk, "kid": kid} if kid else jwk


def jwk_thumbprint(raw: bytes) -> str:
    """RFC 7638 thumbprint (SHA-256, base64url): the required members in lexicographic order."""
    members = json.dumps(public_jwk(raw), sort_keys=True, separators=(",", ":")).encode("utf-8")
    return _b64url(hashlib.sha256(members).digest())


def _checked_kid(kid: object, loc: str) -> str:
    if not isinstance(kid, str) or not KID.fullmatch(kid):
        raise ClientKeyError(
            loc,
            "密钥编号 kid 只能包含字母、数字和 . _ ~ : -，最多 128 个字符 / "
            "a kid has 1-128 characters: letters, digits and . _ ~ : -",
        )
    return kid


def _from_jwk(jwk: Mapping[str, Any]) -> tuple[bytes, object]:
    if "d" in jwk:
        raise ClientKeyError(
            "jwk.d",
            "这是私钥：只登记公钥，私钥由机构自行保管，请立即更换此密钥 / "
            "this is a private key: register the public key only (and replace this key now)",
        )
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise ClientKeyError("jwk", "只接受 Ed25519 密钥（kty OKP, crv Ed25519）/ only Ed25519 keys (OKP)")
    x = jwk.get("x")
    try:
        raw = _unb64url(x) if isinstance(x, str) else b""
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise ClientKeyError("jwk.x", "公钥 x 应为 32 字节的 base64url / x must be base64url of 32 bytes")
    use = jwk.get("use")
    if use is not None and use != "sig":
        raise ClientKeyError("jwk.use", "密钥用途应为签名（sig）/ use must be sig")
    return raw, jwk.get("kid")


def parse_client_key(
    *, jwk: Mapping[str, Any] | None = None, multibase: str | None = None, kid: str | None = None
) -> ClientPublicKey:
    """An Ed25519 public key from exactly one of a JWK or a Multikey; ``kid`` overrides the JWK's.

    Without any kid the RFC 7638 thumbprint is used. Raises ClientKeyError naming the field.
    """
    if (jwk is None) == (multibase is None):
        raise ClientKeyError(
            "jwk", "请给出 jwk 或 public_key_multibase 之一 / give jwk or public_key_multibase"
        )
    own_kid: object = None
    if jwk is not None:
        raw, own_kid = _from_jwk(jwk)
    else:
        try:
            raw = decode_ed25519_public_key((multibase or "").strip())
        except MultibaseError:
            raise ClientKeyError(
                "public_key_multibase", "应为 Ed25519 Multikey（z6Mk…）/ must be an Ed25519 Multikey (z6Mk…)"
            ) from None
    if kid is not None:
        return ClientPublicKey(_checked_kid(kid, "kid"), raw)
    if own_kid is not None:
        return ClientPublicKey(_checked_kid(own_kid, "jwk.kid"), raw)
    return ClientPublicKey(jwk_thumbprint(raw), raw)


@dataclass(frozen=True)
class ContentSignature:
    """A content signature as received, parsed but not verified yet."""

    compact: str
    kid: str


def read_content_signature(value: str) -> ContentSignature:
    """Parse the header value: a compact JWS with an empty payload part, EdDSA, a kid, ``b64: false``.

    Raises ContentSignatureError saying what is wrong (the signature itself is checked later).
    """
    compact = value.strip()
    parts = compact.split(".")
    if len(parts) != 3 or parts[1] != "" or not parts[0] or not parts[2]:
        raise ContentSignatureError(
            "签名应为载荷部分为空的紧凑 JWS（header..signature）/ "
            "the signature must be a compact JWS with a detached payload (header..signature)"
        )
    try:
        header = json.loads(_unb64url(parts[0]))
    except (ValueError, UnicodeDecodeError):
        header = None
    if not isinstance(header, dict):
        raise ContentSignatureError("签名头无法解析 / the JWS header is not base64url JSON")
    if header.get("alg") != "EdDSA":
        raise ContentSignatureError("签名算法应为 EdDSA（Ed25519）/ alg must be EdDSA")
    if header.get("b64") is not False or header.get("crit") != ["b64"]:
        raise ContentSignatureError(
            '签名头应含 "b64": false 与 "crit": ["b64"]（RFC 7797）/ '
            'the header must have "b64": false and "crit": ["b64"] (RFC 7797)'
        )
    kid = header.get("kid")
    if not isinstance(kid, str) or not KID.fullmatch(kid):
        raise ContentSignatureError("签名头缺少已登记的 kid / the header must name a registered kid")
    return ContentSignature(compact, kid)


def content_payload(sha256_hex: str) -> bytes:
    """The detached payload: the lowercase hex SHA-256 of the exact bytes, as ASCII."""
    if not SHA256_HEX.fullmatch(sha256_hex):
        raise ValueError("a SHA-256 digest is 64 lowercase hex characters")
    return sha256_hex.encode("ascii")


def verify_content_signature(signature: ContentSignature, public_key: bytes, sha256_hex: str) -> None:
    """Check the signature over the digest of the bytes received; raises ContentSignatureError."""
    try:
        jwt.api_jws.decode_complete(
            signature.compact,
            Ed25519PublicKey.from_public_bytes(public_key),
            algorithms=["EdDSA"],
            detached_payload=content_payload(sha256_hex),
        )
    except jwt.PyJWTError:
        raise ContentSignatureError(
            "签名与所提交的内容不符（内容被改动，或不是用该 kid 的私钥签名）/ "
            "the signature does not match the submitted bytes (changed content, or not signed with this kid)"
        ) from None


@dataclass(frozen=True)
class KeyInput:
    """One key as found in a file: a JWK or a Multikey, and a kid when the file names one."""

    jwk: dict[str, Any] | None = None
    multibase: str | None = None
    kid: str | None = None


def _multikey_kid(document: Mapping[str, Any]) -> str | None:
    # A Multikey verification method names its id as a DID URL; the fragment is the kid.
    ident = document.get("id")
    return ident.rsplit("#", 1)[1] if isinstance(ident, str) and "#" in ident else None


def key_inputs_from_text(text: str) -> list[KeyInput]:
    """The keys in a key file: a JWK, a JWK Set (``{"keys": […]}``), a Multikey verification method
    (``{"type": "Multikey", "publicKeyMultibase": "z6Mk…"}``) or a bare ``z6Mk…`` line.

    Raises ClientKeyError (loc ``file``) when the file holds none of these.
    """
    stripped = text.strip()
    if stripped.startswith("z"):
        return [KeyInput(multibase=stripped.split()[0])]
    try:
        document = json.loads(stripped)
    except ValueError:
        document = None
    if isinstance(document, dict) and isinstance(document.get("keys"), list):
        found = [KeyInput(jwk=item) for item in document["keys"] if isinstance(item, dict)]
    elif isinstance(document, dict) and "publicKeyMultibase" in document:
        found = [KeyInput(multibase=str(document["publicKeyMultibase"]), kid=_multikey_kid(document))]
    elif isinstance(document, dict) and "kty" in document:
        found = [KeyInput(jwk=document)]
    else:
        found = []
    if not found:
        raise ClientKeyError(
            "file",
            "文件应为 JWK、JWK Set、Multikey 或 z6Mk… 公钥 / "
            "the file must hold a JWK, a JWK Set, a Multikey or a z6Mk… public key",
        )
    return found
