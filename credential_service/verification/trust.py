"""Trust sources for the verifier: this service's own database, or an offline bundle of documents.

The database source asks the registry (the organisations of the assessment part, a sibling this part
may not import) through ``VerificationSettings``: the composition root wires its functions in."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.orm import Session

from credential_service.certificates import service as certificates
from credential_service.certificates.credential import skill_certificate_claims
from credential_service.certificates.fields import certificate_fields
from credential_service.certificates.models import IssuedCredential
from credential_service.certificates.status import lists as status_lists
from credential_service.certificates.status.rules import CertificateState
from credential_service.core.clock import parse_xsd
from credential_service.core.config import REPO_ROOT
from credential_service.core.errors import Conflict, NotFound
from credential_service.crypto.data_integrity import ProofVerificationError, verify_proof
from credential_service.crypto.jsonld import JsonLdError, expand_safe
from credential_service.crypto.key_lifecycle import KeyLifecycle
from credential_service.crypto.multibase import MultibaseError, decode_ed25519_public_key
from credential_service.crypto.status_list import StatusListError, decode_list, get_bit
from credential_service.issuers import service as issuers
from credential_service.issuers.models import Issuer, IssuerKind
from credential_service.transparency import proofs as transparency_log
from credential_service.transparency.errors import LogDamaged
from credential_service.verification.sources import (
    KnownKey,
    LogEvidence,
    RegistryAnswer,
    StatusFlag,
    TrustSourceUnavailable,
)

SCHEMAS_DIR = REPO_ROOT / "schemas"
DID_KEY = "did:key:"
# A did:key has no lifecycle to publish: nothing retires or compromises it but its holder's word.
_DID_KEY_LIFECYCLE = KeyLifecycle(datetime.min.replace(tzinfo=UTC), retired=None, compromised_since=None)


def did_key(verification_method: str) -> KnownKey | None:
    """An Ed25519 ``did:key`` verification method, resolved from itself (did:key §3.1: the key is
    the DID; its one method is ``did:key:z6Mk…#z6Mk…``), or None when it is not one. Nothing is
    fetched: a wallet's holder key (or any did:key issuer) is known without a network."""
    did, _, fragment = verification_method.partition("#")
    multibase = did.removeprefix(DID_KEY)
    if not did.startswith(DID_KEY) or fragment != multibase:
        return None
    try:
        return KnownKey(did, decode_ed25519_public_key(multibase), _DID_KEY_LIFECYCLE)
    except MultibaseError:
        return None


class EndorsementLookup(Protocol):
    """The signed endorsement stored under a credential id (the organisations' ``endorsement_by_id``):
    the platform issues endorsements outside the certificates' records."""

    def __call__(
        self, session: Session, public_base_url: str, credential_id: str
    ) -> dict[str, Any] | None: ...


@dataclass(frozen=True)
class VerificationSettings:
    """What verifying against this service's records needs beyond a session (built by the runtime)."""

    public_base_url: str
    may_issue: certificates.IssuingRegistry
    endorsement_by_id: EndorsementLookup


@cache
def published_schema(name: str) -> dict[str, Any] | None:
    """A JSON Schema that this service publishes under /schemas/ (None if there is no such file)."""
    path = SCHEMAS_DIR / name
    if "/" in name or not name.endswith(".json") or not path.is_file():
        return None
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def _schema_from_url(public_base_url: str, url: str) -> dict[str, Any] | None:
    prefix = f"{public_base_url.rstrip('/')}/schemas/"
    return published_schema(url.removeprefix(prefix)) if url.startswith(prefix) else None


class DatabaseTrust:
    """Answers from this service's own records: always fresh, so a revocation shows at once."""

    def __init__(self, session: Session, settings: VerificationSettings) -> None:
        self._session = session
        self._settings = settings
        self._base = settings.public_base_url.rstrip("/")
        # The checks of one verification ask some questions twice: each is read once.
        self._issued: dict[str, datetime | None] = {}
        self._issuers: dict[str, Issuer | None] = {}
        self._entries: dict[tuple[str, int], status_lists.LiveEntry] = {}

    def _issuer(self, did: str) -> Issuer | None:
        if did not in self._issuers:
            self._issuers[did] = issuers.find_issuer_by_did(self._session, did)
        return self._issuers[did]

    def _entry(self, list_id: str, index: int) -> status_lists.LiveEntry:
        if (list_id, index) not in self._entries:
            self._entries[list_id, index] = status_lists.live_entry(self._session, list_id, index)
        return self._entries[list_id, index]

    def key(self, verification_method: str) -> KnownKey | None:
        if verification_method.startswith(DID_KEY):
            return did_key(verification_method)
        issuer = self._issuer(verification_method.partition("#")[0])
        resolved = issuers.key_of(issuer, verification_method) if issuer is not None else None
        if resolved is None:
            return None
        return KnownKey(resolved.controller, resolved.public_key, resolved.lifecycle)

    def status_flag(self, status_list_url: str, index: int) -> StatusFlag:
        prefix = f"{self._base}/status/"
        if not status_list_url.startswith(prefix):
            raise TrustSourceUnavailable(status_list_url)
        try:
            entry = self._entry(status_list_url.removeprefix(prefix), index)
        except NotFound as exc:
            raise TrustSourceUnavailable(status_list_url) from exc
        return StatusFlag(entry.flagged, entry.issuer_did, (entry.purpose,))

    def registry(self, credential: dict[str, Any], digest: str) -> RegistryAnswer:
        """This registry's record of the credential, and whether its issuer could issue it then."""
        named = credential.get("issuer")
        did = named.get("id") if isinstance(named, dict) else named
        issuer = self._issuer(did) if isinstance(did, str) else None
        if issuer is None:
            return RegistryAnswer(ours=False)
        credential_id = credential.get("id")
        record = (
            certificates.find_by_credential_id(self._session, credential_id)
            if isinstance(credential_id, str)
            else None
        )
        if record is None or record.issuer_id != issuer.id:
            endorsement = (
                self._settings.endorsement_by_id(self._session, self._base, credential_id)
                if isinstance(credential_id, str) and issuer.kind == IssuerKind.PLATFORM
                else None
            )
            digest_on_record = certificates.credential_digest(endorsement) if endorsement else None
            return RegistryAnswer(ours=True, recorded_digest=digest_on_record)
        self._issued[record.credential_id] = record.issued_at
        skill = (
            certificate_fields(json.loads(record.credential_json))
            if record.certificate_number is not None and record.digest == digest
            else None
        )
        refusals = self._settings.may_issue(
            self._session,
            issuer,
            at=record.issued_at,
            occupation=skill.occupation if skill else None,
            level=skill.level if skill else None,
            recorded=True,
        )
        # An organisation issues numbered certificates only: anything else it signed (through the VC
        # API before decision 022) is not one, whatever it says. The platform's own credentials
        # (attestations, CLR exports) are checked for a licence number the registry never gave.
        unnumbered = (
            record.certificate_number is None
            and record.digest == digest
            and (issuer.kind != IssuerKind.PLATFORM or "licenseNumber" in _claims(credential, self._base))
        )
        return RegistryAnswer(
            ours=True,
            recorded_digest=record.digest,
            unnumbered=unnumbered,
            refusals=tuple(f"{r.loc}: {r.reason}" for r in refusals),
            scope_applies=issuer.kind != IssuerKind.PLATFORM,
            state=self._state(record),
        )

    def _state(self, record: IssuedCredential) -> CertificateState:
        """The registry's reading of the live bits (read once, for the status checks too): a
        revocation by correction reads "superseded"."""

        def flagged(list_id: str | None, index: int | None) -> bool:
            try:
                return list_id is not None and index is not None and self._entry(list_id, index).flagged
            except (NotFound, StatusListError):
                return False  # the status checks say what is wrong with the entry

        if flagged(record.revocation_list_id, record.revocation_index):
            superseded = certificates.superseded_by(self._session, record)
            return CertificateState.SUPERSEDED if superseded else CertificateState.REVOKED
        suspended = flagged(record.suspension_list_id, record.suspension_index)
        return CertificateState.SUSPENDED if suspended else CertificateState.VALID

    def schema(self, url: str) -> dict[str, Any] | None:
        return _schema_from_url(self._base, url)

    def recorded_issuance(self, credential_id: str) -> datetime | None:
        if credential_id not in self._issued:
            record = certificates.find_by_credential_id(self._session, credential_id)
            self._issued[credential_id] = record.issued_at if record is not None else None
        return self._issued[credential_id]

    def log_evidence(self, credential_id: str) -> LogEvidence | None:
        """For a credential this service issued: its leaf and audit path to the latest checkpoint."""
        if self.recorded_issuance(credential_id) is None:
            return None  # not ours (e.g. someone else's credential): the log has nothing to say
        try:
            leaf = transparency_log.find_leaf(self._session, credential_id=credential_id)
        except NotFound:
            return LogEvidence(leaf_index=None)
        try:
            proof = transparency_log.inclusion_proof(self._session, leaf)
        except Conflict:  # appended, but no checkpoint covers it yet
            return LogEvidence(leaf_index=leaf.leaf_index, leaf_data=leaf.leaf_data.encode("utf-8"))
        except LogDamaged as exc:
            raise TrustSourceUnavailable(credential_id) from exc
        return LogEvidence(
            leaf_index=leaf.leaf_index,
            leaf_data=leaf.leaf_data.encode("utf-8"),
            tree_size=proof.tree_size,
            audit_path=tuple(proof.audit_path),
            checkpoint=proof.checkpoint.note,
            checkpoint_key=proof.checkpoint.key_id,
        )


def _claims(credential: dict[str, Any], base: str) -> dict[str, str]:
    try:
        return skill_certificate_claims(expand_safe(credential), base, inside_embedded=False)
    except JsonLdError:
        return {"licenseNumber": "unreadable"}  # it was readable when issued: treat it as posing


def evidence_from_proof(document: Any) -> LogEvidence:
    """LogEvidence from the JSON of ``GET /log/proof/inclusion``; raises TrustSourceUnavailable when
    it is not that shape (the verifier then says it cannot tell)."""
    try:
        checkpoint = document["checkpoint"]
        return LogEvidence(
            leaf_index=int(document["leafIndex"]),
            leaf_data=str(document["leafData"]).encode("utf-8"),
            tree_size=int(document["treeSize"]),
            audit_path=tuple(base64.b64decode(p, validate=True) for p in document["auditPath"]),
            checkpoint=str(checkpoint["note"]),
            checkpoint_key=str(checkpoint["keyId"]),
        )
    except (KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise TrustSourceUnavailable("malformed inclusion proof") from exc


class BundleTrust:
    """Offline answers from a downloaded trust bundle (``GET /api/v1/trust-bundle``).

    The bundle's status lists are verified with the bundle's own keys before use.
    """

    def __init__(self, bundle: dict[str, Any]) -> None:
        self._keys: dict[str, KnownKey] = {}
        for lifecycle_doc in bundle.get("keyLifecycles", {}).values():
            for key in lifecycle_doc.get("keys", []):
                try:
                    self._keys[key["id"]] = KnownKey(
                        controller=lifecycle_doc["controller"],
                        public_key=decode_ed25519_public_key(key["publicKeyMultibase"]),
                        lifecycle=KeyLifecycle(
                            created=parse_xsd(key["created"]),
                            retired=parse_xsd(key["retired"]) if key.get("retired") else None,
                            compromised_since=(
                                parse_xsd(key["compromisedSince"]) if key.get("compromisedSince") else None
                            ),
                        ),
                    )
                except (KeyError, ValueError, MultibaseError):
                    continue  # a damaged entry only makes that key unknown
        self._lists: dict[str, Any] = dict(bundle.get("statusLists", {}))
        self._schemas: dict[str, Any] = dict(bundle.get("schemas", {}))
        log_section = bundle.get("transparencyLog")
        proofs = log_section.get("inclusionProofs") if isinstance(log_section, dict) else None
        self._log_proofs: dict[str, Any] = dict(proofs) if isinstance(proofs, dict) else {}

    @classmethod
    def from_file(cls, path: Path) -> BundleTrust:
        return cls(json.loads(path.read_text(encoding="utf-8")))

    def key(self, verification_method: str) -> KnownKey | None:
        return self._keys.get(verification_method)

    def known_keys(self) -> dict[str, KnownKey]:
        """Every key in the bundle by verification method (the QR-token check searches them)."""
        return dict(self._keys)

    def status_list_url(self, list_id: str) -> str | None:
        """The bundle's URL of a status list, found by its id (a QR token carries ids, not URLs)."""
        return next((url for url in self._lists if url.rsplit("/", 1)[-1] == list_id), None)

    def status_flag(self, status_list_url: str, index: int) -> StatusFlag:
        listing = self._lists.get(status_list_url)
        if not isinstance(listing, dict):
            raise TrustSourceUnavailable(status_list_url)

        def public_key_for(method: str) -> bytes:
            known = self._keys.get(method)
            if known is None:
                raise TrustSourceUnavailable(method)
            return known.public_key

        try:
            proof = verify_proof(listing, public_key_for=public_key_for)
            subject = listing["credentialSubject"]
            bits = decode_list(subject["encodedList"])
        except (ProofVerificationError, KeyError, TypeError, StatusListError) as exc:
            raise TrustSourceUnavailable(status_list_url) from exc
        issuer = listing.get("issuer")
        issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
        if self._keys[proof.verification_method].controller != issuer_id:
            raise TrustSourceUnavailable(status_list_url)
        purposes = subject.get("statusPurpose")
        purpose_tuple = tuple(purposes) if isinstance(purposes, list) else (str(purposes),)
        return StatusFlag(get_bit(bits, index), str(issuer_id), purpose_tuple)

    def registry(self, credential: dict[str, Any], digest: str) -> None:
        return None  # offline: no registry to ask (its checks are left out, as the log's are)

    def schema(self, url: str) -> dict[str, Any] | None:
        found = self._schemas.get(url)
        return found if isinstance(found, dict) else None

    def recorded_issuance(self, credential_id: str) -> datetime | None:
        return None

    def add_log_proof(self, document: Any) -> None:
        """Carry one more inclusion proof (the JSON of ``GET /log/proof/inclusion``), e.g. one the
        holder saved next to their credential."""
        leaf = document.get("leaf") if isinstance(document, dict) else None
        credential_id = leaf.get("credentialId") if isinstance(leaf, dict) else None
        if isinstance(credential_id, str):
            self._log_proofs[credential_id] = document

    def log_evidence(self, credential_id: str) -> LogEvidence | None:
        """The bundle's inclusion proof for the credential; None when it carries none (an offline
        verifier then makes no claim about the log)."""
        document = self._log_proofs.get(credential_id)
        return None if document is None else evidence_from_proof(document)
