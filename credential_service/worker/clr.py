"""The whole file as one signed 1EdTech CLR 2.0 ``ClrCredential``, certificates embedded as issued.

The platform signs it (eddsa-rdfc-2022), so it verifies with the same verifiers as a single
certificate; each embedded certificate keeps its own issuer's proof.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy.orm import Session

from credential_service.certificates import service as certificates
from credential_service.crypto.keystore import KeyStore
from credential_service.identity import service as identity
from credential_service.identity.models import Person
from credential_service.issuers import service as issuers
from credential_service.issuers.rules import PLATFORM_CODE
from credential_service.platform.tokens import Principal
from credential_service.records.rules import EntryKind
from credential_service.worker import service as worker

VC_V2 = "https://www.w3.org/ns/credentials/v2"
CLR_V2 = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"


def _training_achievements(session: Session, person: Person, base: str) -> list[dict[str, Any]]:
    """Completed trainings (not superseded) as CLR achievements of type CertificateOfCompletion."""
    achievements = []
    for entry in worker.my_file(session, person):
        facts = entry.facts
        if (
            entry.kind != EntryKind.COMPLETION
            or entry.superseded_by is not None
            or facts.get("result") != "pass"
        ):
            continue
        name = f"{facts.get('trainingTypeName', '职业技能培训')}（职业 {facts.get('occupationCode', '--')}）"
        achievements.append(
            {
                "id": f"{base}/achievements/training/{person.public_id}/{entry.seq}",
                "type": ["Achievement"],
                "achievementType": "CertificateOfCompletion",
                "name": f"{name}（培训结业）",
                "description": f"{facts.get('institution', '')} {facts.get('classRef', '')}".strip() or name,
                "criteria": {
                    "narrative": "完成培训并通过结业考核 / completed the training and its assessment"
                },
            }
        )
    return achievements


def export_clr(
    session: Session, keystore: KeyStore, settings: certificates.IssuanceSettings, person: Person
) -> dict[str, Any]:
    """The signed ClrCredential of ``person``'s file, issued (recorded, logged, with status entries)
    like any credential of the platform, so the registry vouches for it (decision 022). Like the
    certificates it holds, it carries nothing derived from the ID number: the subject is a random id."""
    platform = issuers.get_issuer(session, PLATFORM_CODE)
    credentials = [
        worker.my_credential(session, person, summary.certificate_number)
        for summary in worker.my_certificates(session, person)
    ]
    unsigned = {
        "@context": [VC_V2, CLR_V2, OB_V3],
        "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": {"id": platform.did, "type": ["Profile"], "name": platform.name},
        "name": "职业技能培训电子档案 / Lifelong vocational-training record",
        "credentialSubject": {
            "type": ["ClrSubject"],
            "id": f"urn:uuid:{uuid.uuid4()}",
            "verifiableCredential": credentials,
            "achievement": [
                *(c["credentialSubject"]["achievement"] for c in credentials),
                *_training_achievements(session, person, settings.public_base_url.rstrip("/")),
            ],
        },
    }
    record = certificates.issue_credential(
        session,
        keystore,
        settings,
        issuer=platform,
        credential=unsigned,
        holder_index=person.id_blind_index,
        actor="worker:clr-export",
    )
    signed: dict[str, Any] = json.loads(record.credential_json)
    return signed


def export_for(
    session: Session, keystore: KeyStore, settings: certificates.IssuanceSettings, principal: Principal
) -> dict[str, Any]:
    """The signed ClrCredential of the signed-in worker's own file."""
    return export_clr(session, keystore, settings, identity.get_person(session, principal.tenant or ""))
