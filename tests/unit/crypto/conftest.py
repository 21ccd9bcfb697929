"""Shared helpers for the crypto tests: test vectors, their keys, and a realistic credential."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from credential_service.crypto import data_integrity as di
from credential_service.crypto.multibase import (
    decode_ed25519_public_key,
    decode_ed25519_secret_key,
    encode_ed25519_public_key,
)

VECTORS = Path(__file__).resolve().parents[2] / "vectors"
OB3 = VECTORS / "ob3"
NEGATIVE = VECTORS / "negative"

W3C_KEYPAIR: dict[str, str] = json.loads((VECTORS / "keypair.json").read_text())
W3C_SEED = decode_ed25519_secret_key(W3C_KEYPAIR["privateKeyMultibase"])
W3C_VM = f"did:key:{W3C_KEYPAIR['publicKeyMultibase']}#{W3C_KEYPAIR['publicKeyMultibase']}"
W3C_CREATED = "2023-02-24T23:36:38Z"

_OB3_EXPECTED: dict[str, Any] = json.loads((OB3 / "ob3-expected.json").read_text())
OB_SEED = bytes.fromhex(_OB3_EXPECTED["privateKeyHex"])[:32]  # 64-byte seed‖public key
OB_VM: str = _OB3_EXPECTED["proof"]["verificationMethod"]
OB_CREATED: str = _OB3_EXPECTED["proof"]["created"]

_CONTROLLER_FIXTURE: dict[str, Any] = json.loads((OB3 / "https-controller-document-fixture.json").read_text())

# A key that is in no vector: for property tests that sign their own credentials.
TEST_SEED = bytes(range(100, 132))
TEST_PUBLIC_KEY_MB = encode_ed25519_public_key(di.ed25519_public_key(TEST_SEED))
TEST_VM = f"did:key:{TEST_PUBLIC_KEY_MB}#{TEST_PUBLIC_KEY_MB}"


class UnknownVerificationMethod(LookupError):
    """The test key resolver knows no such verification method."""


def public_key_for(verification_method: str) -> bytes:
    """Resolve did:key URLs and the 1EdTech https controller fixture to a raw Ed25519 key."""
    if verification_method.startswith("did:key:"):
        did, _, fragment = verification_method.partition("#")
        multibase = did.removeprefix("did:key:")
        if fragment != multibase:
            raise UnknownVerificationMethod(verification_method)
        return decode_ed25519_public_key(multibase)
    method = _CONTROLLER_FIXTURE.get(verification_method)
    if method is None or method.get("type") != "Multikey":
        raise UnknownVerificationMethod(verification_method)
    controller = _CONTROLLER_FIXTURE.get(method["controller"], {})
    listed = [m.get("id") for m in controller.get("assertionMethod", [])]
    if verification_method not in listed:
        raise UnknownVerificationMethod(verification_method)
    return decode_ed25519_public_key(method["publicKeyMultibase"])


def vector(path: str) -> Any:
    """The parsed JSON vector at ``tests/vectors/<path>``."""
    return json.loads((VECTORS / path).read_text(encoding="utf-8"))


def text_vector(path: str) -> str:
    return (VECTORS / path).read_text(encoding="utf-8")


def realistic_ob3_credential() -> dict[str, Any]:
    """An unsigned OpenBadgeCredential like the service issues (~2.5 KB, 55 quads)."""
    return copy.deepcopy(_REALISTIC)


_REALISTIC: dict[str, Any] = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
    ],
    "id": "urn:uuid:1f1d6c44-7c59-4b6f-a3c4-8d1e2f9b0a77",
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "name": "工业机器人系统操作员 三级/高级工",
    "description": "职业技能等级证书（Vocational skill-level certificate）",
    "issuer": {
        "id": "https://certs.example.org/issuers/vsl-centre-0451",
        "type": ["Profile"],
        "name": "示例职业技能等级认定中心",
        "url": "https://certs.example.org",
        "email": "registry@certs.example.org",
        "phone": "+86-10-5555-0451",
        "image": {
            "id": "https://certs.example.org/static/seal.png",
            "type": "Image",
            "caption": "Centre seal",
        },
    },
    "validFrom": "2025-03-01T00:00:00Z",
    "validUntil": "2030-02-28T23:59:59Z",
    "credentialSubject": {
        "id": "did:example:learner:7b4a1f0c2d9e",
        "type": ["AchievementSubject"],
        "activityEndDate": "2025-02-20T00:00:00Z",
        "achievement": {
            "id": "https://certs.example.org/achievements/6-31-01-10/level-3",
            "type": ["Achievement"],
            "achievementType": "Certificate",
            "name": "Industrial Robot System Operator, Level 3",
            "description": "Operates, programs and maintains industrial robot work cells.",
            "criteria": {"narrative": "Theory examination ≥ 60 and the practical assessment."},
            "humanCode": "6-31-01-10-L3",
            "fieldOfStudy": "Industrial robotics",
            "tag": ["robotics", "maintenance", "level-3"],
            "alignment": [
                {
                    "type": ["Alignment"],
                    "targetName": "Industrial Robot System Operator (6-31-01-10)",
                    "targetUrl": "https://standards.example.gov/occupations/6-31-01-10",
                    "targetFramework": "National Occupational Skill Standards",
                    "targetCode": "6-31-01-10",
                },
                {
                    "type": ["Alignment"],
                    "targetName": "Qualifications framework, level 4",
                    "targetUrl": "https://standards.example.gov/qf/level-4",
                    "targetType": "CFItem",
                },
            ],
            "image": {"id": "https://certs.example.org/static/badges/robotics-l3.png", "type": "Image"},
        },
        "result": [{"type": ["Result"], "value": "Pass", "status": "Completed"}],
    },
    "evidence": [
        {
            "id": "https://certs.example.org/assessments/2025-0451-00981",
            "type": ["Evidence"],
            "name": "Practical assessment record",
            "narrative": "Programmed a palletising cell and diagnosed two injected faults.",
        }
    ],
    "credentialSchema": [
        {
            "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
            "ob_v3p0_achievementcredential_schema.json",
            "type": "1EdTechJsonSchemaValidator2019",
        }
    ],
}


@pytest.fixture
def test_signer() -> Callable[[bytes], bytes]:
    return di.ed25519_signer(TEST_SEED)
