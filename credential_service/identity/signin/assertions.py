"""Worker sign-in through an identity provider, and the development identity provider.

Production: the national electronic social-security card (电子社保卡) is the identity provider; its
API is not public, so the service accepts what any such provider can give: a signed assertion (an
EdDSA JWT from a configured issuer key) of (证件类型, 证件号码, 姓名, assurance level). The service
answers with its own short-lived access token. The development provider signs such assertions itself
for testers; it exists only outside production.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from credential_service.core.clock import utcnow
from credential_service.core.errors import FieldError, InvalidInput, Unauthorized
from credential_service.crypto.keystore import FileKeyStore
from credential_service.crypto.multibase import MultibaseError, decode_ed25519_public_key

DEV_IDP_ISSUER = "urn:credential-service:dev-identity-provider"
DEV_IDP_KEY_ID = "dev-identity-provider"
MAX_ASSERTION_MINUTES = 10  # assertions are single-use in spirit: short-lived
ASSURANCE_LEVELS = ("L1", "L2", "L3")
_CARD_NUMBER = re.compile(r"^[A-Z0-9]{8,20}$")  # 一级签发 … face-verified; tokens carry it for later use


@dataclass(frozen=True)
class AssertedIdentity:
    document_type: str
    id_number: str
    name: str
    assurance: str
    card_number: str | None = None  # 社会保障卡卡号, when the provider knows the card in use

    def __repr__(self) -> str:  # never the clear number in logs or tracebacks
        return f"AssertedIdentity({self.document_type}, ***, {self.assurance})"


@dataclass(frozen=True)
class TrustedProvider:
    issuer: str
    public_key: Ed25519PublicKey


def trusted_providers(
    keystore: FileKeyStore, *, idp_issuer: str | None, idp_public_key: str | None, dev_enabled: bool
) -> list[TrustedProvider]:
    providers = []
    if idp_issuer and idp_public_key:
        try:
            raw = decode_ed25519_public_key(idp_public_key)
        except MultibaseError as exc:
            raise InvalidInput("CS_IDP_PUBLIC_KEY is not an Ed25519 Multikey (z6Mk…)") from exc
        providers.append(TrustedProvider(idp_issuer, Ed25519PublicKey.from_public_bytes(raw)))
    if dev_enabled:
        providers.append(TrustedProvider(DEV_IDP_ISSUER, dev_provider_key(keystore).public_key()))
    return providers


def dev_provider_key(keystore: FileKeyStore) -> Ed25519PrivateKey:
    if not keystore.has(DEV_IDP_KEY_ID):
        with contextlib.suppress(FileExistsError):  # another process made it first
            keystore.generate(DEV_IDP_KEY_ID)
    return keystore.ed25519_private_key(DEV_IDP_KEY_ID)


def dev_assertion(
    keystore: FileKeyStore, *, audience: str, identity: AssertedIdentity, now: datetime | None = None
) -> str:
    """What the development provider hands back after a tester 'signs in' (never in production)."""
    now = now or utcnow()
    claims = {
        "iss": DEV_IDP_ISSUER,
        "aud": audience,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=5)).timestamp()),
        "doc_type": identity.document_type,
        "id_number": identity.id_number,
        "name": identity.name,
        "assurance": identity.assurance,
        **({"card_number": identity.card_number} if identity.card_number else {}),
    }
    return jwt.encode(claims, dev_provider_key(keystore), algorithm="EdDSA")


def read_assertion(assertion: str, providers: list[TrustedProvider], *, audience: str) -> AssertedIdentity:
    """The identity in a valid assertion; raises Unauthorized for anything forged, expired or unknown."""
    refused = Unauthorized(
        "登录凭据无效或已过期 / the sign-in assertion is invalid or expired", "bad_assertion"
    )
    try:
        issuer = jwt.decode(assertion, options={"verify_signature": False}).get("iss")
    except jwt.PyJWTError as exc:
        raise refused from exc
    provider = next((p for p in providers if p.issuer == issuer), None)
    if provider is None:
        raise refused
    try:
        claims = jwt.decode(
            assertion,
            provider.public_key,
            algorithms=["EdDSA"],
            audience=audience,
            issuer=provider.issuer,
            options={"require": ["exp", "iat", "iss", "aud"]},
        )
    except jwt.PyJWTError as exc:
        raise refused from exc
    if claims["exp"] - claims["iat"] > MAX_ASSERTION_MINUTES * 60:
        raise refused
    missing = [
        k for k in ("doc_type", "id_number", "name") if not isinstance(claims.get(k), str) or not claims[k]
    ]
    if missing:
        raise InvalidInput(
            "登录凭据缺少字段 / the assertion lacks fields", [FieldError(m, "is required") for m in missing]
        )
    assurance = claims.get("assurance", "L1")
    card = claims.get("card_number")
    if card is not None and not (isinstance(card, str) and _CARD_NUMBER.match(card)):
        raise InvalidInput(
            "社会保障卡卡号格式不正确 / bad card number",
            [FieldError("card_number", "8–20 letters or digits")],
        )
    return AssertedIdentity(
        document_type=claims["doc_type"],
        id_number=claims["id_number"],
        name=claims["name"],
        assurance=assurance if assurance in ASSURANCE_LEVELS else "L1",
        card_number=card,
    )
