"""Issuing many skill certificates in one transaction (a batch's chunk, decision 044).

Each certificate gets what ``service.issue_skill_certificate`` gives one: a national number, two
status entries, the signed credential, its QR token, one transparency-log leaf, one audit event and
one entry in the holder's file. Here they cost a few bulk statements per chunk, the chains (log
tree, audit trail, files) are extended in memory, and the proofs are canonicalised on every core
while this process signs (crypto/proof_pool.py: the key never leaves this process).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from credential_service.audit import service as audit
from credential_service.certificates import service
from credential_service.certificates.credential import (
    Occupation,
    SkillCertificate,
    skill_certificate_credential,
)
from credential_service.certificates.errors import CredentialRejected
from credential_service.certificates.models import CertificateQRCode, IssuedCredential
from credential_service.certificates.numbering import allocate_certificate_numbers
from credential_service.certificates.qr_codes import token_claims
from credential_service.certificates.rules import SkillLevel
from credential_service.certificates.status.lists import StatusAssignment, assign_statuses
from credential_service.core.clock import to_xsd
from credential_service.core.db import (
    applied_on_standby_at_commit,
    bulk_insert,
    planned_as_tables_grow,
    table_of,
)
from credential_service.crypto.data_integrity import TransformationError
from credential_service.crypto.jsonld import JsonLdError
from credential_service.crypto.keystore import KeyStore, Signer
from credential_service.crypto.multibase import decode_ed25519_public_key
from credential_service.crypto.proof_pool import Prepared, prepare_many
from credential_service.crypto.qr_token import sign_token
from credential_service.crypto.status_list import StatusPurpose
from credential_service.crypto.vcdm import credential_problems
from credential_service.issuers import service as issuers
from credential_service.issuers.models import Issuer, IssuerKey
from credential_service.records import service as records
from credential_service.records.rules import EntryKind
from credential_service.transparency import service as transparency_log
from credential_service.transparency.rules import LeafKind

CRYPTOSUITE: Final = "eddsa-rdfc-2022"


@dataclass(frozen=True)
class RecordedHolder:
    """A holder already in the registry (a candidate's person), and the key that makes issuing to
    them idempotent."""

    person_id: int
    name: str
    blind_index: str
    idempotency_key: str


@dataclass
class _Draft:
    holder: RecordedHolder
    certificate: SkillCertificate
    credential: dict[str, Any]
    revocation: StatusAssignment | None = None
    suspension: StatusAssignment | None = None


def issue_skill_certificates(
    session: Session,
    keystore: KeyStore,
    settings: service.IssuanceSettings,
    *,
    issuer: Issuer,
    holders: Sequence[RecordedHolder],
    occupation: Occupation,
    level: SkillLevel,
    exam_date: date | None,
    now: datetime,
    actor: str,
) -> dict[str, str]:
    """Issue one certificate to each holder, in order, in the caller's transaction; a holder whose
    idempotency key was already used gets that certificate again. Returns the certificate number
    by idempotency key. Raises CredentialRejected (the registry's word, a name, a credential that
    will not sign: nothing of the chunk is then kept) and NoUsableKey."""
    issued = _already_issued(session, issuer, [h.idempotency_key for h in holders])
    holders = [h for h in holders if h.idempotency_key not in issued]
    if not holders:
        return issued
    service.check_may_issue(
        session, settings, issuer, [h.name for h in holders], occupation=occupation, level=level, at=now
    )
    key, signer = issuers.signer_for(issuer, keystore)  # read in this transaction: never a retired key
    applied_on_standby_at_commit(session)
    planned_as_tables_grow(session)
    drafts = _drafts(session, settings, issuer, holders, _Award(occupation, level, exam_date, now))
    try:
        prepared = prepare_many(
            [d.credential for d in drafts],
            cryptosuite=CRYPTOSUITE,
            verification_method=key.verification_method,
            created=to_xsd(now),
        )
        _file_entries(session, issuer, drafts)  # while the workers canonicalise
        credentials, tokens = _signed_rows(drafts, prepared, issuer=issuer, key=key, signer=signer, now=now)
    except (JsonLdError, TransformationError) as exc:
        raise service.signing_refused(exc) from exc
    bulk_insert(session, table_of(IssuedCredential), credentials)
    bulk_insert(session, table_of(CertificateQRCode), tokens)
    _log_and_audit(
        session, settings, keystore, issuer, drafts=drafts, credentials=credentials, actor=actor, now=now
    )
    service.note_issued_in_bulk(session, [d.certificate.certificate_number for d in drafts])
    issued.update((d.holder.idempotency_key, d.certificate.certificate_number) for d in drafts)
    return issued


def _signed_rows(
    drafts: Sequence[_Draft],
    prepared: Iterable[Prepared],
    *,
    issuer: Issuer,
    key: IssuerKey,
    signer: Signer,
    now: datetime,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows of the signed credentials and of their QR tokens, signed here (the key stays home)."""
    public_key = decode_ed25519_public_key(key.public_key_multibase)
    credentials: list[dict[str, Any]] = []
    tokens: list[dict[str, Any]] = []
    for draft, ready in zip(drafts, prepared, strict=True):
        credential_json, jcs = ready.signed(draft.credential, signer.sign(ready.to_sign.hash_data))
        row = _credential_row(draft, issuer, key.verification_method, now)
        row.update(credential_json=credential_json, digest=hashlib.sha256(jcs).hexdigest())
        credentials.append(row)
        claims = token_claims(
            public_key,
            issued_at=now,
            certificate_number=row["certificate_number"],
            digest=row["digest"],
            revocation=(row["revocation_list_id"], row["revocation_index"]),
            suspension=(row["suspension_list_id"], row["suspension_index"]),
        )
        tokens.append(
            {
                "credential_id": row["credential_id"],
                "token": sign_token(claims, signer.sign),
                "created_at": now,
            }
        )
    return credentials, tokens


def _already_issued(session: Session, issuer: Issuer, keys: Sequence[str]) -> dict[str, str]:
    rows = session.execute(
        select(IssuedCredential.idempotency_key, IssuedCredential.certificate_number).where(
            IssuedCredential.issuer_id == issuer.id, IssuedCredential.idempotency_key.in_(keys)
        )
    )
    return {key: number or "" for key, number in rows if key is not None}


@dataclass(frozen=True)
class _Award:
    """What every certificate of a chunk shares."""

    occupation: Occupation
    level: SkillLevel
    exam_date: date | None
    at: datetime


def _drafts(
    session: Session,
    settings: service.IssuanceSettings,
    issuer: Issuer,
    holders: Sequence[RecordedHolder],
    award: _Award,
) -> list[_Draft]:
    """The unsigned credentials, numbered in order, each with its two status entries."""
    numbers = allocate_certificate_numbers(
        session, organisation_code=issuer.code, year=award.at.year, level=award.level, count=len(holders)
    )
    drafts = []
    for holder, number in zip(holders, numbers, strict=True):
        certificate = SkillCertificate.issued(
            number,
            issuer,
            holder.name,
            occupation=award.occupation,
            level=award.level,
            at=award.at,
            exam_date=award.exam_date,
        )
        credential = skill_certificate_credential(certificate, public_base_url=settings.public_base_url)
        drafts.append(_Draft(holder, certificate, credential))
    ids = [d.credential["id"] for d in drafts]
    size = settings.status_list_size
    revocations = assign_statuses(session, issuer, StatusPurpose.REVOCATION, ids, size=size)
    suspensions = assign_statuses(session, issuer, StatusPurpose.SUSPENSION, ids, size=size)
    problems = []
    for draft, revocation, suspension in zip(drafts, revocations, suspensions, strict=True):
        draft.revocation, draft.suspension = revocation, suspension
        draft.credential["credentialStatus"] = [
            revocation.entry(settings.public_base_url),
            suspension.entry(settings.public_base_url),
        ]
        problems.extend(credential_problems(draft.credential))
    if problems:
        raise CredentialRejected(problems)
    return drafts


def _credential_row(draft: _Draft, issuer: Issuer, verification_method: str, now: datetime) -> dict[str, Any]:
    """The row of ``issued_credentials`` but the signed text and its digest."""
    assert draft.revocation is not None and draft.suspension is not None  # given by _drafts
    return {
        "credential_id": draft.credential["id"],
        "issuer_id": issuer.id,
        "certificate_number": draft.certificate.certificate_number,
        "idempotency_key": draft.holder.idempotency_key,
        "holder_index": draft.holder.blind_index,
        "verification_method": verification_method,
        "cryptosuite": CRYPTOSUITE,
        "issued_at": now,
        "revocation_list_id": draft.revocation.list_id,
        "revocation_index": draft.revocation.index,
        "suspension_list_id": draft.suspension.list_id,
        "suspension_index": draft.suspension.index,
    }


def _log_and_audit(
    session: Session,
    settings: service.IssuanceSettings,
    keystore: KeyStore,
    issuer: Issuer,
    *,
    drafts: Sequence[_Draft],
    credentials: Sequence[dict[str, Any]],
    actor: str,
    now: datetime,
) -> None:
    """As ``service._log_and_audit``, for the whole chunk: one checkpoint signed as the transaction
    commits covers it."""
    transparency_log.append_many(
        session,
        LeafKind.CREDENTIAL_ISSUED,
        [
            {
                "credentialId": row["credential_id"],
                "digest": row["digest"],
                "issuer": issuer.did,
                "verificationMethod": row["verification_method"],
            }
            for row in credentials
        ],
        at=now,  # the log moves it past any checkpoint already signed (as one by one)
    )
    transparency_log.checkpoint_at_commit(session, keystore, public_base_url=settings.public_base_url)
    audit.record_many(
        session,
        [
            audit.NewEvent(
                actor,
                "credential.issue",
                row["certificate_number"],
                {"credentialId": row["credential_id"], "issuer": issuer.code, "digest": row["digest"]},
            )
            for row in credentials
        ],
    )


def _file_entries(session: Session, issuer: Issuer, drafts: Sequence[_Draft]) -> None:
    """One entry in each holder's file, as ``service.issue_skill_certificate`` appends."""
    records.append_entries_without_ids(
        session,
        [
            records.NewEntry(
                person_id=draft.holder.person_id,
                kind=EntryKind.CERTIFICATE_ISSUED,
                payload=service.file_facts(draft.certificate, draft.credential["id"]),
                source=f"organisation:{issuer.code}",
                occurred_at=draft.certificate.issued_at,
                idempotency_key=f"certificate:{draft.certificate.certificate_number}",
            )
            for draft in drafts
        ],
    )
