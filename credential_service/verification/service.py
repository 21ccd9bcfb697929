"""Verification use cases: check a credential against this service's records; build the offline bundle."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from credential_service.certificates import status_lists
from credential_service.crypto.keystore import KeyStore
from credential_service.issuers import service as issuers
from credential_service.verification.trust import SCHEMAS_DIR, DatabaseTrust, published_schema
from credential_service.verification.verifier import VerificationReport, verify_credential


def verify_with_records(session: Session, credential: Any, *, public_base_url: str) -> VerificationReport:
    """Verify ``credential`` with this service's keys and live status bits (no database writes)."""
    return verify_credential(credential, DatabaseTrust(session, public_base_url))


def trust_bundle(session: Session, keystore: KeyStore, *, public_base_url: str) -> dict[str, Any]:
    """Everything an offline verifier needs: DID documents, key lifecycles, signed status lists, schemas."""
    base = public_base_url.rstrip("/")
    every_issuer = issuers.all_issuers(session)
    return {
        "didDocuments": {i.did: issuers.did_document(i) for i in every_issuer},
        "keyLifecycles": {i.did: issuers.key_lifecycle_document(i) for i in every_issuer},
        "statusLists": {
            status_lists.list_url(base, list_id): status_lists.signed_status_list(
                session, keystore, list_id, public_base_url=base
            )[0]
            for list_id in status_lists.all_list_ids(session)
        },
        "schemas": {
            f"{base}/schemas/{path.name}": published_schema(path.name)
            for path in sorted(SCHEMAS_DIR.glob("*.json"))
        },
    }
