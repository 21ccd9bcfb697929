"""Issuers and keys: create, rotate, retire, mark compromised; publish DID documents."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from credential_service.audit import service as audit
from credential_service.core.clock import to_xsd, utcnow
from credential_service.crypto.key_lifecycle import KeyLifecycle
from credential_service.crypto.keystore import KeyStore, Signer
from credential_service.crypto.multibase import decode_ed25519_public_key, encode_ed25519_public_key
from credential_service.issuers.errors import IssuerExists, IssuerNotFound, KeyNotFound, NoUsableKey
from credential_service.issuers.models import Issuer, IssuerKey, IssuerKind
from credential_service.issuers.rules import PLATFORM_CODE, issuer_did
from credential_service.platform import generations

DID_CONTEXT = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"]


@dataclass(frozen=True)
class ResolvedKey:
    """What a verifier needs to know about one verification method."""

    verification_method: str
    controller: str
    public_key: bytes
    lifecycle: KeyLifecycle


def get_issuer(session: Session, code: str) -> Issuer:
    issuer = session.scalar(select(Issuer).where(Issuer.code == code))
    if issuer is None:
        raise IssuerNotFound(code)
    return issuer


def find_issuer_by_did(session: Session, did: str) -> Issuer | None:
    return session.scalar(select(Issuer).where(Issuer.did == did))


def _new_key(session: Session, keystore: KeyStore, issuer: Issuer, now: datetime) -> IssuerKey:
    fragment = f"key-{now:%Y%m%d}-{secrets.token_hex(3)}"
    keystore_id = f"{issuer.code}.{fragment}"
    public = keystore.generate(keystore_id)
    key = IssuerKey(
        issuer=issuer,
        fragment=fragment,
        keystore_id=keystore_id,
        public_key_multibase=encode_ed25519_public_key(public),
        created_at=now,
    )
    session.add(key)
    session.flush()
    generations.bump(session)  # every process's key directory and verified-token cache: a new key
    return key


def register_issuer(
    session: Session,
    keystore: KeyStore,
    *,
    public_base_url: str,
    code: str,
    name: str,
    kind: IssuerKind,
    now: datetime | None = None,
) -> Issuer:
    """Create an issuer with its first key. Raises Conflict if the code is taken."""
    now = now or utcnow()
    if session.scalar(select(Issuer.id).where(Issuer.code == code)) is not None:
        raise IssuerExists(code)
    issuer = Issuer(
        kind=kind.value,
        code=code,
        did=issuer_did(public_base_url, code),
        name=name,
        created_at=now,
    )
    session.add(issuer)
    session.flush()
    _new_key(session, keystore, issuer, now)
    return issuer


def ensure_platform_issuer(
    session: Session, keystore: KeyStore, *, public_base_url: str, name: str = "山西省职业技能评价服务平台"
) -> Issuer:
    issuer = session.scalar(select(Issuer).where(Issuer.code == PLATFORM_CODE))
    if issuer is not None:
        return issuer
    return register_issuer(
        session,
        keystore,
        public_base_url=public_base_url,
        code=PLATFORM_CODE,
        name=name,
        kind=IssuerKind.PLATFORM,
    )


def lifecycle(key: IssuerKey) -> KeyLifecycle:
    return KeyLifecycle(key.created_at, key.retired_at, key.compromised_since)


def _set_lifecycle(key: IssuerKey, changed: KeyLifecycle) -> None:
    key.retired_at, key.compromised_since = changed.retired, changed.compromised_since


def active_key(issuer: Issuer) -> IssuerKey:
    """The newest key that may still sign; raises NoUsableKey."""
    usable = [k for k in issuer.keys if lifecycle(k).usable_for_signing]
    if not usable:
        raise NoUsableKey(issuer.code)
    return max(usable, key=lambda k: (k.created_at, k.id))


def signer_for(issuer: Issuer, keystore: KeyStore) -> tuple[IssuerKey, Signer]:
    key = active_key(issuer)
    return key, keystore.signer(key.keystore_id)


def _find_key(issuer: Issuer, fragment: str) -> IssuerKey:
    for key in issuer.keys:
        if key.fragment == fragment:
            return key
    raise KeyNotFound(issuer.code, fragment)


def _audit_key(key: IssuerKey, action: str, actor: str, **detail: Any) -> None:
    """Key events enter the audit trail in the same transaction as the change, and move the trust
    generation on, so every process drops what it verified under the key's old lifecycle."""
    session = object_session(key)
    assert session is not None  # keys are always loaded through a session
    generations.bump(session)
    audit.record(
        session,
        actor=actor,
        action=f"key.{action}",
        subject=key.verification_method,
        detail={key_field: to_xsd(value) for key_field, value in detail.items()},
    )


def rotate_key(
    session: Session,
    keystore: KeyStore,
    issuer: Issuer,
    now: datetime | None = None,
    *,
    actor: str = "system",
) -> IssuerKey:
    """Add a new key and retire the keys that were signing until now; old credentials still verify."""
    now = now or utcnow()
    for key in issuer.keys:
        if key.retired_at is None:
            _set_lifecycle(key, lifecycle(key).retire(now))
            _audit_key(key, "retire", actor, retired=now)
    created = _new_key(session, keystore, issuer, now)
    _audit_key(created, "create", actor, created=now)
    return created


def retire_key(
    issuer: Issuer, fragment: str, now: datetime | None = None, *, actor: str = "system"
) -> IssuerKey:
    key = _find_key(issuer, fragment)
    if key.retired_at is None:
        _set_lifecycle(key, lifecycle(key).retire(now or utcnow()))
        _audit_key(key, "retire", actor, retired=key.retired_at)
    return key


def compromise_key(issuer: Issuer, fragment: str, since: datetime, *, actor: str = "system") -> IssuerKey:
    """Mark a key compromised from ``since``: signatures made from then on no longer verify."""
    key = _find_key(issuer, fragment)
    _set_lifecycle(key, lifecycle(key).compromise(since))
    _audit_key(key, "compromise", actor, compromised_since=key.compromised_since, retired=key.retired_at)
    return key


def did_document(issuer: Issuer) -> dict[str, Any]:
    """The did:web document: every key ever used, compromised ones marked ``revoked`` (CID 1.0)."""
    methods = []
    for key in issuer.keys:
        method: dict[str, Any] = {
            "id": key.verification_method,
            "type": "Multikey",
            "controller": issuer.did,
            "publicKeyMultibase": key.public_key_multibase,
        }
        if key.compromised_since is not None:
            method["revoked"] = to_xsd(key.compromised_since)
        methods.append(method)
    return {
        "@context": DID_CONTEXT,
        "id": issuer.did,
        "verificationMethod": methods,
        "assertionMethod": [m["id"] for m in methods],
    }


def key_lifecycle_document(issuer: Issuer) -> dict[str, Any]:
    """Companion to the DID document: when each key was created, retired and compromised."""
    return {
        "controller": issuer.did,
        "name": issuer.name,
        "keys": [
            {
                "id": key.verification_method,
                "publicKeyMultibase": key.public_key_multibase,
                "created": to_xsd(key.created_at),
                "retired": to_xsd(key.retired_at) if key.retired_at else None,
                "compromisedSince": to_xsd(key.compromised_since) if key.compromised_since else None,
            }
            for key in issuer.keys
        ],
    }


def key_of(issuer: Issuer, verification_method: str) -> ResolvedKey | None:
    """The issuer's key named by ``verification_method`` (its DID and ``#fragment``), or None."""
    did, _, fragment = verification_method.partition("#")
    if did != issuer.did or not fragment:
        return None
    for key in issuer.keys:
        if key.fragment == fragment:
            return ResolvedKey(
                verification_method=verification_method,
                controller=issuer.did,
                public_key=decode_ed25519_public_key(key.public_key_multibase),
                lifecycle=lifecycle(key),
            )
    return None


def all_issuers(session: Session) -> list[Issuer]:
    return list(session.scalars(select(Issuer).order_by(Issuer.id)))
