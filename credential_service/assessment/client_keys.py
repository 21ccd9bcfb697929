"""Organisation-held public keys (administrators register, list and revoke them) and the check of the
detached content signature an organisation may send with a result sheet (``X-Content-Signature``).

The organisation keeps the private key; the platform stores the public key only. A registered key
signs the organisation's ``private_key_jwt`` assertions (``organisations._by_assertion``) and its
result sheets. Formats: ``client_key_rules`` and docs/decisions/016-organisation-keys.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from credential_service.assessment.client_key_rules import (
    CONTENT_SIGNATURE_HEADER,
    ClientKeyError,
    ContentSignatureError,
    parse_client_key,
    public_jwk,
    read_content_signature,
    verify_content_signature,
)
from credential_service.assessment.models import Organisation
from credential_service.assessment.organisation_models import OrganisationClientKey
from credential_service.assessment.organisation_schemas import ClientKeyList, ClientKeyOut
from credential_service.assessment.organisations import get_organisation
from credential_service.assessment.rules import OrganisationStatus
from credential_service.audit import service as audit
from credential_service.core.clock import utcnow
from credential_service.core.errors import Conflict, FieldError, InvalidInput, NotFound, ServiceError
from credential_service.crypto.multibase import decode_ed25519_public_key


class ClientKeyNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("该机构没有这个公钥 / the organisation has no such key", code="client_key_not_found")


class ContentSignatureRejected(ServiceError):
    """400: the sheet's content signature is malformed, names no usable key, or does not verify.

    Nothing is recorded. ``code`` tells programs which: content_signature_malformed,
    content_signature_unknown_key, content_signature_revoked_key, content_signature_mismatch.
    """

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(
            message="内容签名无效，未作任何记录 / the content signature is invalid: nothing was recorded",
            code=code,
            status=400,
            errors=[FieldError(CONTENT_SIGNATURE_HEADER, reason)],
        )


def _view(key: OrganisationClientKey, organisation_code: str) -> ClientKeyOut:
    return ClientKeyOut(
        kid=key.kid,
        organisation_code=organisation_code,
        public_key_multibase=key.public_key_multibase,
        jwk=public_jwk(decode_ed25519_public_key(key.public_key_multibase), key.kid),
        created_at=key.created_at,
        created_by=key.created_by,
        revoked_at=key.revoked_at,
        revocation_reason=key.revocation_reason,
    )


def register_client_key(
    session: Session,
    code: str,
    *,
    jwk: Mapping[str, Any] | None = None,
    public_key_multibase: str | None = None,
    kid: str | None = None,
    actor: str,
    now: datetime | None = None,
) -> ClientKeyOut:
    """Register an organisation-held Ed25519 public key (a JWK or a Multikey).

    Raises OrganisationNotFound; InvalidInput for a key that is not an Ed25519 public key (a private
    JWK is refused); Conflict when the organisation has exited, the kid is taken in it, or the key
    is already registered (to it or to another organisation).
    """
    organisation = get_organisation(session, code)
    if organisation.status == OrganisationStatus.EXITED:
        raise Conflict("机构已退出 / the organisation has exited", code="organisation_exited")
    try:
        key = parse_client_key(jwk=jwk, multibase=public_key_multibase, kid=kid)
    except ClientKeyError as exc:
        raise InvalidInput(
            "公钥无效 / the public key is invalid", [FieldError(exc.loc, exc.reason)], "invalid_client_key"
        ) from None
    if session.scalar(
        select(OrganisationClientKey.id).where(
            OrganisationClientKey.organisation_id == organisation.id, OrganisationClientKey.kid == key.kid
        )
    ):
        raise Conflict(f"密钥编号 {key.kid} 已在使用 / this kid is taken", code="client_key_kid_taken")
    taken = Conflict(
        "该公钥已登记（同一公钥只能属于一个机构）/ this public key is already registered",
        code="client_key_registered",
    )
    if session.scalar(
        select(OrganisationClientKey.id).where(OrganisationClientKey.public_key_multibase == key.multibase)
    ):
        raise taken
    record = OrganisationClientKey(
        organisation_id=organisation.id,
        kid=key.kid,
        public_key_multibase=key.multibase,
        created_at=now or utcnow(),
        created_by=actor[:100],
    )
    try:
        with session.begin_nested():  # a concurrent registration of the same key or kid loses here
            session.add(record)
    except IntegrityError:
        raise taken from None
    audit.record(
        session,
        actor=actor,
        action="organisation.client_key.add",
        subject=f"organisation:{organisation.code}",
        detail={"kid": key.kid, "publicKeyMultibase": key.multibase},
    )
    return _view(record, organisation.code)


def list_client_keys(session: Session, code: str) -> ClientKeyList:
    """Every key ever registered for the organisation (revoked ones too), oldest first."""
    organisation = get_organisation(session, code)
    keys = session.scalars(
        select(OrganisationClientKey)
        .where(OrganisationClientKey.organisation_id == organisation.id)
        .order_by(OrganisationClientKey.id)
    )
    return ClientKeyList(keys=[_view(k, organisation.code) for k in keys])


def revoke_client_key(
    session: Session,
    code: str,
    kid: str,
    *,
    actor: str,
    reason: str | None = None,
    now: datetime | None = None,
) -> ClientKeyOut:
    """Revoke a key: from now on it neither authenticates nor signs sheets (evidence kept stays).

    Revoking twice changes nothing. Raises OrganisationNotFound, ClientKeyNotFound.
    """
    organisation = get_organisation(session, code)
    key = session.scalar(
        select(OrganisationClientKey).where(
            OrganisationClientKey.organisation_id == organisation.id, OrganisationClientKey.kid == kid
        )
    )
    if key is None:
        raise ClientKeyNotFound()
    if key.revoked_at is None:
        key.revoked_at, key.revoked_by = now or utcnow(), actor[:100]
        key.revocation_reason = (reason or "").strip()[:500] or None
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="organisation.client_key.revoke",
            subject=f"organisation:{organisation.code}",
            detail={"kid": key.kid, "reason": key.revocation_reason},
        )
    return _view(key, organisation.code)


def check_content_signature(
    session: Session, organisation: Organisation, header_value: str, content_sha256: str
) -> OrganisationClientKey:
    """The registered, unrevoked key of ``organisation`` whose signature over the exact bytes
    (their SHA-256) is ``header_value``; raises ContentSignatureRejected otherwise."""
    try:
        signature = read_content_signature(header_value)
    except ContentSignatureError as exc:
        raise ContentSignatureRejected("content_signature_malformed", exc.reason) from None
    key = session.scalar(
        select(OrganisationClientKey).where(
            OrganisationClientKey.organisation_id == organisation.id,
            OrganisationClientKey.kid == signature.kid,
        )
    )
    if key is None:
        raise ContentSignatureRejected(
            "content_signature_unknown_key",
            f"密钥 {signature.kid} 不是本机构登记的公钥 / kid {signature.kid} is not a registered key "
            "of your organisation",
        )
    if key.revoked_at is not None:
        raise ContentSignatureRejected(
            "content_signature_revoked_key",
            f"密钥 {signature.kid} 已于 {key.revoked_at:%Y-%m-%d} 吊销 / kid {signature.kid} was revoked",
        )
    try:
        verify_content_signature(
            signature, decode_ed25519_public_key(key.public_key_multibase), content_sha256
        )
    except ContentSignatureError as exc:
        raise ContentSignatureRejected("content_signature_mismatch", exc.reason) from None
    return key
