"""The whole file as one signed 1EdTech CLR 2.0 ``ClrCredential``, certificates embedded as issued.

The platform signs it (eddsa-rdfc-2022), so it verifies with the same verifiers as a single
certificate; each embedded certificate keeps its own issuer's proof.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from credential_service.core.clock import to_xsd, utcnow
from credential_service.crypto.data_integrity import create_proof
from credential_service.crypto.keystore import KeyStore
from credential_service.identity.models import Person
from credential_service.identity.rules import salted_identity_hash
from credential_service.issuers import service as issuers
from credential_service.issuers.rules import PLATFORM_CODE
from credential_service.records import worker
from credential_service.records.rules import EntryKind

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
    session: Session, keystore: KeyStore, person: Person, *, public_base_url: str, id_number: str
) -> dict[str, Any]:
    """The signed ClrCredential of ``person``'s file. ``id_number`` only feeds the salted hash."""
    base = public_base_url.rstrip("/")
    platform = issuers.get_issuer(session, PLATFORM_CODE)
    key, signer = issuers.signer_for(platform, keystore)
    credentials = [
        worker.my_credential(session, person, summary.certificate_number)
        for summary in worker.my_certificates(session, person)
    ]
    hashed = salted_identity_hash(id_number)
    now = utcnow()
    unsigned = {
        "@context": [VC_V2, CLR_V2, OB_V3],
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": {"id": platform.did, "type": ["Profile"], "name": platform.name},
        "validFrom": to_xsd(now),
        "name": "职业技能培训电子档案 / Lifelong vocational-training record",
        "credentialSubject": {
            "type": ["ClrSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": "nationalIdentityNumber",
                    "hashed": True,
                    "identityHash": hashed.identity_hash,
                    "salt": hashed.salt,
                }
            ],
            "verifiableCredential": credentials,
            "achievement": [
                *(c["credentialSubject"]["achievement"] for c in credentials),
                *_training_achievements(session, person, base),
            ],
        },
    }
    return create_proof(
        unsigned,
        cryptosuite="eddsa-rdfc-2022",
        verification_method=key.verification_method,
        created=to_xsd(now),
        sign=signer.sign,
    )
