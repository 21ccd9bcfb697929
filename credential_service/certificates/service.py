"""Issuance: validate, add status entries, sign with the issuer's current key, store."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, Protocol

from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from credential_service.audit import service as audit
from credential_service.certificates import qr_codes
from credential_service.certificates.credential import (
    NO_SUBTYPE,
    Occupation,
    ReplacedCertificate,
    SkillCertificate,
    registry_only_problems,
    skill_certificate_claims,
    skill_certificate_credential,
)
from credential_service.certificates.errors import CredentialRejected
from credential_service.certificates.models import IssuedCredential
from credential_service.certificates.numbering import allocate_certificate_number
from credential_service.certificates.rules import SkillLevel
from credential_service.certificates.status import lists as status_lists
from credential_service.certificates.status.lists import StatusAssignment, assign_status, set_status
from credential_service.certificates.status.models import CertificateStatusChange
from credential_service.certificates.status.rules import CertificateState, StatusAction
from credential_service.core.clock import to_xsd, utcnow
from credential_service.core.db import applied_on_standby_at_commit
from credential_service.core.errors import Conflict, FieldError, NotFound
from credential_service.crypto.data_integrity import TransformationError, create_proof
from credential_service.crypto.jcs import canonical_json
from credential_service.crypto.jsonld import JsonLdError, UnknownContextError, expand_safe
from credential_service.crypto.keystore import KeyStore, Signer
from credential_service.crypto.status_list import StatusPurpose
from credential_service.crypto.vcdm import MAX_NESTING, credential_problems, too_deep
from credential_service.identity import service as identity
from credential_service.identity.rules import DocumentType, id_number_problem, name_problem
from credential_service.issuers import service as issuers
from credential_service.issuers.models import Issuer, IssuerKey
from credential_service.platform.metrics import ISSUED
from credential_service.platform.tokens import SCOPE_CERTIFICATES, Principal, Role, allow
from credential_service.records import service as records
from credential_service.records.rules import EntryKind
from credential_service.transparency import service as transparency_log
from credential_service.transparency.rules import LeafKind

Cryptosuite = Literal["eddsa-rdfc-2022", "eddsa-jcs-2022"]
CRYPTOSUITES: tuple[Cryptosuite, ...] = ("eddsa-rdfc-2022", "eddsa-jcs-2022")


class IssuingRegistry(Protocol):
    """The registry's word on whether ``issuer`` may issue at ``at`` (for a skill certificate: this
    occupation and level): the problems, empty when it may. The organisations part answers it;
    the runtime wires it in, so every issuance path asks it (decision 022), and the verifier asks it
    again at the recorded time (``recorded``: ``at`` is a recorded time, to the second)."""

    def __call__(
        self,
        session: Session,
        issuer: Issuer,
        *,
        at: datetime,
        occupation: Occupation | None = None,
        level: SkillLevel | None = None,
        recorded: bool = False,
    ) -> list[FieldError]: ...


@dataclass(frozen=True)
class IssuanceSettings:
    public_base_url: str
    status_list_size: int
    registry: IssuingRegistry


def credential_digest(credential: dict[str, Any]) -> str:
    """SHA-256 hex of the JCS (RFC 8785) form: stable across JSON re-serialisation."""
    return hashlib.sha256(canonical_json(credential)).hexdigest()


def _issuer_id_of(credential: dict[str, Any]) -> Any:
    issuer = credential.get("issuer")
    return issuer.get("id") if isinstance(issuer, dict) else issuer


def _context_path(exc: Exception) -> str | None:
    return "@context" if isinstance(exc, UnknownContextError) else None


def _find_idempotent(
    session: Session, issuer: Issuer, idempotency_key: str | None
) -> IssuedCredential | None:
    if idempotency_key is None:
        return None
    return session.scalar(
        select(IssuedCredential).where(
            IssuedCredential.issuer_id == issuer.id, IssuedCredential.idempotency_key == idempotency_key
        )
    )


def _id_taken() -> Conflict:
    return Conflict(
        "凭证 id 已被使用 / a credential with this id was already issued", code="credential_id_taken"
    )


def _prepare(credential: dict[str, Any], issuer: Issuer, now: datetime) -> dict[str, Any]:
    """Check the caller's credential and fill in what the service owns; raises CredentialRejected."""
    if too_deep(credential):  # refused before anything recursive touches it
        raise CredentialRejected([FieldError("credential", f"nests deeper than {MAX_NESTING} levels")])
    draft = copy.deepcopy(credential)
    problems = credential_problems(draft)
    if _issuer_id_of(draft) != issuer.did:
        problems.append(FieldError("issuer", f"must be your own DID: {issuer.did}"))
    if problems:
        raise CredentialRejected(problems)
    draft.setdefault("id", f"urn:uuid:{uuid.uuid4()}")
    draft.setdefault("validFrom", to_xsd(now))
    return draft


def issue_credential(
    session: Session,
    keystore: KeyStore,
    settings: IssuanceSettings,
    *,
    issuer: Issuer,
    credential: dict[str, Any],
    cryptosuite: Cryptosuite = "eddsa-rdfc-2022",
    idempotency_key: str | None = None,
    certificate_number: str | None = None,
    holder_index: str | None = None,
    now: datetime | None = None,
    actor: str = "system",
) -> IssuedCredential:
    """Sign ``credential`` as ``issuer`` and store it.

    A repeated ``idempotency_key`` returns the credential issued the first time.
    Raises CredentialRejected (with every field problem) and NoUsableKey.
    """
    existing = _find_idempotent(session, issuer, idempotency_key)
    if existing is not None:
        return existing
    now = now or utcnow()
    draft = _prepare(credential, issuer, now)
    refused = settings.registry(session, issuer, at=now)
    if refused:
        raise CredentialRejected(refused)
    if find_by_credential_id(session, draft["id"]) is not None:
        raise _id_taken()
    key, signer = issuers.signer_for(issuer, keystore)
    applied_on_standby_at_commit(session)  # look-ups served by the standby find it once answered issued
    revocation, suspension = _with_status_entries(session, settings, issuer, draft)
    signed = _signed(draft, key, signer, cryptosuite, now)
    record = IssuedCredential(
        credential_id=draft["id"],
        issuer_id=issuer.id,
        certificate_number=certificate_number,
        idempotency_key=idempotency_key,
        holder_index=holder_index,
        credential_json=json.dumps(signed, ensure_ascii=False),
        digest=credential_digest(signed),
        verification_method=key.verification_method,
        cryptosuite=cryptosuite,
        issued_at=now,
        revocation_list_id=revocation.list_id,
        revocation_index=revocation.index,
        suspension_list_id=suspension.list_id,
        suspension_index=suspension.index,
    )
    stored = _stored_once(session, issuer, record)
    if stored is record:
        _log_and_audit(session, keystore, settings, issuer, record, actor=actor, at=now)
        count_issued(session, 1)
    return stored


def _stored_once(session: Session, issuer: Issuer, record: IssuedCredential) -> IssuedCredential:
    """``record`` stored; or, when a concurrent retry with the same idempotency key committed first,
    the credential it issued (the same answer to the same request)."""
    try:
        with session.begin_nested():
            session.add(record)
    except IntegrityError:
        existing = _find_idempotent(session, issuer, record.idempotency_key)
        if existing is None:
            raise _id_taken() from None
        return existing
    return record


# Issued credentials are counted (metrics) when their transaction commits, not when signed.
_ISSUED_IN_TRANSACTION = "credentials_issued"
# Certificate numbers issued by bulk insert in this transaction (no ORM object announces them).
_BULK_ISSUED_NUMBERS = "certificates_issued_in_bulk"


def count_issued(session: Session, count: int) -> None:
    """Count ``count`` credentials issued in this transaction, for the metrics at commit."""
    session.info[_ISSUED_IN_TRANSACTION] = session.info.get(_ISSUED_IN_TRANSACTION, 0) + count


def note_issued_in_bulk(session: Session, numbers: Sequence[str]) -> None:
    """Announce certificates written by bulk insert to this transaction's before-commit checks."""
    session.info.setdefault(_BULK_ISSUED_NUMBERS, []).extend(numbers)
    count_issued(session, len(numbers))


def issued_in_bulk(session: Session) -> list[str]:
    """The certificate numbers this transaction issued by bulk insert (read before it commits)."""
    return list(session.info.get(_BULK_ISSUED_NUMBERS, ()))


@event.listens_for(Session, "after_commit")
def _count_issued(session: Session) -> None:
    session.info.pop(_BULK_ISSUED_NUMBERS, None)
    if issued := session.info.pop(_ISSUED_IN_TRANSACTION, 0):
        ISSUED.inc(issued)


@event.listens_for(Session, "after_rollback")
def _forget_issued(session: Session) -> None:
    session.info.pop(_ISSUED_IN_TRANSACTION, None)
    session.info.pop(_BULK_ISSUED_NUMBERS, None)


def _with_status_entries(
    session: Session, settings: IssuanceSettings, issuer: Issuer, draft: dict[str, Any]
) -> tuple[StatusAssignment, StatusAssignment]:
    """Give the draft its revocation and suspension entries, after any the caller manages itself
    (VC 2.0 allows a set)."""
    revocation = assign_status(
        session, issuer, StatusPurpose.REVOCATION, draft["id"], size=settings.status_list_size
    )
    suspension = assign_status(
        session, issuer, StatusPurpose.SUSPENSION, draft["id"], size=settings.status_list_size
    )
    given = draft.get("credentialStatus", [])
    draft["credentialStatus"] = [
        *(given if isinstance(given, list) else [given]),
        revocation.entry(settings.public_base_url),
        suspension.entry(settings.public_base_url),
    ]
    return revocation, suspension


def _signed(
    draft: dict[str, Any], key: IssuerKey, signer: Signer, cryptosuite: Cryptosuite, now: datetime
) -> dict[str, Any]:
    """The draft signed with the issuer's current key; a JSON-LD problem is the caller's (with where)."""
    try:
        signed = create_proof(
            draft,
            cryptosuite=cryptosuite,
            verification_method=key.verification_method,
            created=to_xsd(now),
            sign=signer.sign,
        )
    except (JsonLdError, TransformationError) as exc:
        raise signing_refused(exc) from exc
    return signed


def signing_refused(exc: JsonLdError | TransformationError) -> CredentialRejected:
    """A credential JSON-LD or JCS cannot sign, as the caller's problem (with where)."""
    where = getattr(exc, "path", None) or _context_path(exc) or "credential"
    return CredentialRejected([FieldError(where, str(exc))])


def _log_and_audit(
    session: Session,
    keystore: KeyStore,
    settings: IssuanceSettings,
    issuer: Issuer,
    record: IssuedCredential,
    *,
    actor: str,
    at: datetime,
) -> None:
    """In the same transaction: no credential without its leaf, and a checkpoint covering it is
    signed as the transaction commits, so it is provable at once (docs/decisions/017)."""
    transparency_log.append(
        session,
        LeafKind.CREDENTIAL_ISSUED,
        {
            "credentialId": record.credential_id,
            "digest": record.digest,
            "issuer": issuer.did,
            "verificationMethod": record.verification_method,
        },
        at=at,
    )
    transparency_log.checkpoint_at_commit(session, keystore, public_base_url=settings.public_base_url)
    audit.record(
        session,
        actor=actor,
        action="credential.issue",
        subject=record.certificate_number or record.credential_id,
        detail={"credentialId": record.credential_id, "issuer": issuer.code, "digest": record.digest},
    )


def issue_requested_credential(
    session: Session,
    keystore: KeyStore,
    settings: IssuanceSettings,
    *,
    issuer: Issuer,
    credential: dict[str, Any],
    cryptosuite: Cryptosuite = "eddsa-rdfc-2022",
    idempotency_key: str | None = None,
    actor: str = "system",
) -> IssuedCredential:
    """``POST /credentials/issue``: sign a credential the caller wrote, as ``issuer``.

    The registry has the last word (decision 022): what only it may say (a skill certificate, its
    number, another issuer name, a clear ID number) is refused, the registered name is written
    into an ``issuer`` object that names nobody, and the organisation must be active.
    Raises CredentialRejected.
    """
    problems = (  # a document nested too deep is refused by issue_credential, before any walk
        []
        if too_deep(credential)
        else registry_only_problems(credential, issuer.name)
        or _posing_problems(credential, settings.public_base_url)
    )
    if idempotency_key is not None and (problem := id_number_problem(idempotency_key)) is not None:
        problems.append(FieldError("options.credentialId", problem))
    if problems:
        raise CredentialRejected(problems)
    if isinstance(credential.get("issuer"), dict) and "name" not in credential["issuer"]:
        credential = {**credential, "issuer": {**credential["issuer"], "name": issuer.name}}
    return issue_credential(
        session,
        keystore,
        settings,
        issuer=issuer,
        credential=credential,
        cryptosuite=cryptosuite,
        idempotency_key=idempotency_key,
        actor=actor,
    )


def _posing_problems(credential: dict[str, Any], public_base_url: str) -> list[FieldError]:
    """The claims of a skill certificate made in other words (aliases, full IRIs, inline contexts):
    read on the expanded form, so no spelling of them gets past (decision 022)."""
    try:
        unsigned = {k: v for k, v in credential.items() if k != "proof"}  # a proof set's earlier proofs
        claims = skill_certificate_claims(expand_safe(unsigned), public_base_url)
    except JsonLdError as exc:
        return [FieldError(getattr(exc, "path", None) or _context_path(exc) or "credential", str(exc))]
    if not claims:
        return []
    said = "；".join(claims.values())
    return [
        FieldError(
            "credential",
            f"以其它写法声称了只有职业技能等级证书才有的内容：{said} / claims, in other words, what only a "
            "skill certificate may: those come from the evaluation workflow",
        )
    ]


@dataclass(frozen=True)
class Holder:
    name: str
    document_type: DocumentType
    id_number: str  # already normalised; only its sealed form and blind index leave this object


def issue_skill_certificate(
    session: Session,
    keystore: KeyStore,
    settings: IssuanceSettings,
    *,
    issuer: Issuer,
    holder: Holder,
    occupation: Occupation,
    level: SkillLevel,
    data_key: bytes,
    exam_date: date | None = None,
    idempotency_key: str | None = None,
    cryptosuite: Cryptosuite = "eddsa-rdfc-2022",
    now: datetime | None = None,
    replaces: ReplacedCertificate | None = None,
    actor: str = "system",
) -> IssuedCredential:
    """Allocate a national number and issue the OB 3.0 certificate in the organisation's name;
    ``replaces``: the certificate a corrected one replaces (in its ``evidence`` and the file entry)."""
    now = now or utcnow()
    existing = _find_idempotent(session, issuer, idempotency_key)
    if existing is not None:
        return existing
    check_may_issue(session, settings, issuer, [holder.name], occupation=occupation, level=level, at=now)
    number = allocate_certificate_number(session, organisation_code=issuer.code, year=now.year, level=level)
    certificate = SkillCertificate.issued(
        number, issuer, holder.name, occupation=occupation, level=level, at=now, exam_date=exam_date
    )
    certificate = dataclasses.replace(certificate, replaces=replaces)
    person = identity.register_person(
        session, data_key, identity.Identity(holder.document_type, holder.id_number), holder.name, now=now
    )
    record = issue_credential(
        session,
        keystore,
        settings,
        issuer=issuer,
        credential=skill_certificate_credential(certificate, public_base_url=settings.public_base_url),
        cryptosuite=cryptosuite,
        idempotency_key=idempotency_key,
        certificate_number=number,
        holder_index=person.id_blind_index,
        now=now,
        actor=actor,
    )
    records.append_entry(
        session,
        person,
        EntryKind.CERTIFICATE_ISSUED,
        file_facts(certificate, record.credential_id),
        source=f"organisation:{issuer.code}",
        occurred_at=certificate.issued_at,
        idempotency_key=f"certificate:{certificate.certificate_number}",
    )
    qr_codes.qr_token(session, keystore, record)
    return record


def check_may_issue(
    session: Session,
    settings: IssuanceSettings,
    issuer: Issuer,
    holder_names: Sequence[str],
    *,
    occupation: Occupation,
    level: SkillLevel,
    at: datetime,
) -> None:
    """The registry's word and the name rule, on every path (the workflow, corrections, the CLI,
    the demo): CredentialRejected with every problem."""
    refused = settings.registry(session, issuer, at=at, occupation=occupation, level=level)
    refused.extend(
        FieldError("credentialSubject.name", bad_name)
        for bad_name in map(name_problem, holder_names)
        if bad_name is not None
    )
    if refused:
        raise CredentialRejected(refused)


def file_facts(certificate: SkillCertificate, credential_id: str) -> dict[str, Any]:
    """What the holder's file says about a certificate issued to them (one entry per number)."""
    occupation, replaces = certificate.occupation, certificate.replaces
    return {
        "certificateNumber": certificate.certificate_number,
        "certificateType": "职业技能等级证书",
        "occupationCode": occupation.code,
        "occupationName": occupation.name,
        "subtype": occupation.subtype or NO_SUBTYPE,
        "level": certificate.level.title_zh,
        "issuer": certificate.issuer_name,
        "credentialId": credential_id,
        **({"supersedes": replaces.certificate_number} if replaces is not None else {}),
    }


def find_by_number(session: Session, certificate_number: str) -> IssuedCredential | None:
    return session.scalar(
        select(IssuedCredential).where(IssuedCredential.certificate_number == certificate_number)
    )


def get_by_number(session: Session, certificate_number: str) -> IssuedCredential:
    record = find_by_number(session, certificate_number)
    if record is None:
        raise certificate_not_found()
    return record


def certificate_not_found() -> NotFound:
    return NotFound("没有这个证书 / no such certificate", code="certificate_not_found")


def readable_certificate(session: Session, principal: Principal, certificate_number: str) -> IssuedCredential:
    """The certificate's files are for its holder, its issuing organisation and staff only:
    sequential numbers must not become a public index (DESIGN §4).

    Raises Forbidden for other roles, NotFound for an unknown number and, with the same answer, for
    another worker's or organisation's certificate: a tenant cannot tell whether a number exists
    (as the public query answers alike for a wrong name and an unknown number).
    """
    allow(principal, Role.ADMIN, Role.AUDITOR, Role.ORGANISATION, Role.WORKER, scope=SCOPE_CERTIFICATES)
    record = get_by_number(session, certificate_number)
    if (
        principal.role is Role.ORGANISATION
        and issuers.get_issuer(session, principal.tenant or "").id != record.issuer_id
    ) or (
        principal.role is Role.WORKER
        and identity.get_person(session, principal.tenant or "").id_blind_index != record.holder_index
    ):
        raise certificate_not_found()
    return record


def find_by_credential_id(session: Session, credential_id: str) -> IssuedCredential | None:
    return session.scalar(select(IssuedCredential).where(IssuedCredential.credential_id == credential_id))


def set_credential_status(
    session: Session,
    credential_id: str,
    purpose: str,
    flagged: bool,
    *,
    details: dict[str, Any] | None = None,
    source: str = "platform",
    occurred_at: datetime | None = None,
) -> None:
    """Set or clear a credential's revocation or suspension bit and note it in the holder's file
    (``details``: what the status workflow adds to that entry: action, reason, authority…)."""
    record = find_by_credential_id(session, credential_id)
    if record is None:
        raise NotFound("没有这个凭证 / no such credential", code="credential_not_found")
    holder = identity.find_by_blind_index(session, record.holder_index) if record.holder_index else None
    if holder is not None and record.certificate_number is not None:
        records.append_entry(
            session,
            holder,
            EntryKind.CERTIFICATE_STATUS,
            {
                "certificateNumber": record.certificate_number,
                "purpose": purpose,
                "flagged": flagged,
                **(details or {}),
            },
            source=source,
            occurred_at=occurred_at,
        )
    if (
        purpose == StatusPurpose.REVOCATION
        and record.revocation_list_id is not None
        and record.revocation_index is not None
    ):
        set_status(session, record.revocation_list_id, record.revocation_index, flagged)
    elif (
        purpose == StatusPurpose.SUSPENSION
        and record.suspension_list_id is not None
        and record.suspension_index is not None
    ):
        set_status(session, record.suspension_list_id, record.suspension_index, flagged)
    else:
        raise NotFound(f"该凭证没有 {purpose} 状态 / no {purpose} entry", code="status_entry_not_found")
    # The public log proves when the status changed; the next scheduled checkpoint covers it.
    leaf: dict[str, Any] = {"credentialId": credential_id, "purpose": purpose, "value": flagged}
    if details and details.get("reasonCode"):
        leaf["reason"] = details["reasonCode"]
    transparency_log.append(session, LeafKind.CREDENTIAL_STATUS, leaf, at=occurred_at)


def live_bit(session: Session, list_id: str | None, index: int | None) -> bool:
    """A credential's bit in the live list (never a cached signed list); False without an entry."""
    return list_id is not None and index is not None and status_lists.live_bit(session, list_id, index)


def superseded_by(session: Session, record: IssuedCredential) -> str | None:
    """The number of the corrected certificate that replaced this one, if any."""
    return session.scalar(
        select(CertificateStatusChange.superseded_by)
        .where(
            CertificateStatusChange.credential_id == record.credential_id,
            CertificateStatusChange.action == StatusAction.SUPERSEDE,
        )
        .limit(1)
    )


def current_status(session: Session, record: IssuedCredential) -> CertificateState:
    """Revocation outranks suspension; a revocation by correction reads "superseded"; the live bits."""
    if live_bit(session, record.revocation_list_id, record.revocation_index):
        return CertificateState.SUPERSEDED if superseded_by(session, record) else CertificateState.REVOKED
    if live_bit(session, record.suspension_list_id, record.suspension_index):
        return CertificateState.SUSPENDED
    return CertificateState.VALID
