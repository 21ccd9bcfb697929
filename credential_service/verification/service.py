"""Verification use cases: check a credential against this service's records; build the offline bundle."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from credential_service.certificates.status import lists as status_lists
from credential_service.core.db import OpenSession
from credential_service.crypto.keystore import KeyStore
from credential_service.issuers import service as issuers
from credential_service.platform.metrics import VERIFICATIONS
from credential_service.transparency import proofs as transparency_log
from credential_service.verification.log_queue import VerificationLogQueue
from credential_service.verification.models import VerificationEvent
from credential_service.verification.presentations import PresentationReport, verify_presentation
from credential_service.verification.rules import Check
from credential_service.verification.tokens import TokenVerification
from credential_service.verification.trust import (
    SCHEMAS_DIR,
    DatabaseTrust,
    VerificationSettings,
    published_schema,
)
from credential_service.verification.verifier import VerificationReport, verify_credential


def _log_if_ours(
    trust: DatabaseTrust,
    credential: Any,
    report: VerificationReport,
    log: VerificationLogQueue,
    *,
    channel: str,
    client: str,
) -> None:
    """A credential this service issued gets a line in the verification log (written behind the
    request), which its holder sees."""
    credential_id = credential.get("id") if isinstance(credential, dict) else None
    if isinstance(credential_id, str) and trust.recorded_issuance(credential_id) is not None:
        log.put(credential_id, report.verdict.value, channel=channel, client=client)


def verify_with_records(
    session: Session,
    credential: Any,
    log: VerificationLogQueue,
    *,
    settings: VerificationSettings,
    channel: str = "api",
    client: str = "script",
    only: frozenset[Check] | None = None,
    challenge: str | None = None,
    domain: str | None = None,
) -> VerificationReport:
    """Verify ``credential`` with this service's keys and live status bits (``only``: the checks
    asked for, None: all; ``challenge``/``domain``: compared with the proof's when given)."""
    trust = DatabaseTrust(session, settings)
    report = verify_credential(credential, trust, only=only, challenge=challenge, domain=domain)
    _log_if_ours(trust, credential, report, log, channel=channel, client=client)
    return report


def verify_presentation_with_records(
    session: Session,
    presentation: Any,
    log: VerificationLogQueue,
    *,
    settings: VerificationSettings,
    challenge: str | None = None,
    domain: str | None = None,
    only: frozenset[Check] | None = None,
    client: str = "script",
) -> PresentationReport:
    """Verify a presentation and each credential it carries, as ``verify_with_records`` does one;
    each of this service's credentials in it gets its line in the verification log."""
    trust = DatabaseTrust(session, settings)
    report = verify_presentation(presentation, trust, challenge=challenge, domain=domain, only=only)
    for presented in report.credentials:
        if presented.report is not None:
            _log_if_ours(
                trust, presented.credential, presented.report, log, channel="presentation", client=client
            )
    return report


def trust_bundle(
    open_read: OpenSession, open_write: OpenSession, keystore: KeyStore, *, public_base_url: str
) -> dict[str, Any]:
    """Everything an offline verifier needs: DID documents, key lifecycles, signed status lists, schemas.
    Read without the write lock; a status list changed since it was last signed is signed in a write."""
    base = public_base_url.rstrip("/")
    with open_read() as session:
        every_issuer = issuers.all_issuers(session)
        did_documents = {i.did: issuers.did_document(i) for i in every_issuer}
        key_lifecycles = {i.did: issuers.key_lifecycle_document(i) for i in every_issuer}
        list_ids = status_lists.all_list_ids(session)
        log_section = transparency_log.bundle_section(session)
    return {
        "didDocuments": did_documents,
        "keyLifecycles": key_lifecycles,
        "statusLists": {
            status_lists.list_url(base, list_id): status_lists.signed_status_list(
                open_read, open_write, keystore, list_id, public_base_url=base
            )[0]
            for list_id in list_ids
        },
        "transparencyLog": log_section,
        "schemas": {
            f"{base}/schemas/{path.name}": published_schema(path.name)
            for path in sorted(SCHEMAS_DIR.glob("*.json"))
        },
    }


def queue_log(
    queue: VerificationLogQueue, result: TokenVerification, *, channel: str, user_agent: str | None
) -> None:
    """Log a look-up of a certificate of ours behind the request (nothing logged for a forged token)."""
    VERIFICATIONS.labels(verdict=result.verdict.value, channel=channel).inc()
    if result.credential_id is not None:
        queue.put(
            result.credential_id, result.verdict.value, channel=channel, client=client_class(user_agent)
        )


def queue_logs(
    queue: VerificationLogQueue, results: Iterable[TokenVerification], *, channel: str, user_agent: str | None
) -> None:
    """Log each certificate a look-up (by number and name, or a list) found."""
    for result in results:
        queue_log(queue, result, channel=channel, user_agent=user_agent)


def verifications_of(session: Session, credential_ids: Sequence[str]) -> list[VerificationEvent]:
    """Newest first."""
    if not credential_ids:
        return []
    return list(
        session.scalars(
            select(VerificationEvent)
            .where(VerificationEvent.credential_id.in_(credential_ids))
            .order_by(VerificationEvent.verified_at.desc())
            .limit(500)
        )
    )


def client_class(user_agent: str | None) -> str:
    """mobile / desktop / script: enough to tell a scan from an integration, nothing more."""
    agent = (user_agent or "").lower()
    if any(word in agent for word in ("iphone", "android", "mobile", "micromessenger")):
        return "mobile"
    if "mozilla" in agent:
        return "desktop"
    return "script"
