"""The made-up people and bodies that the request examples in ``/docs`` speak of (decision 029).

One cast, so the examples tell one story that works when tried in order: an institution trains 王建国
as a welder, an organisation assesses him, the platform checks his certificate. Every value is
valid (GB 11643 and GB 32100 check characters, catalogue codes) and belongs to nobody.
"""

from __future__ import annotations

from typing import Any


def listed(*bodies: dict[str, Any]) -> dict[str, Any]:
    """A model's ``json_schema_extra``: its request examples (Swagger UI fills in the first)."""
    return {"examples": list(bodies)}


# The platform's did:web under the default public_base_url (http://127.0.0.1:8000). The OpenAPI
# document shows the running deployment's own DID in its place (app.create_app).
PLATFORM_DID = "did:web:127.0.0.1%3A8000"

ID_NUMBER = "140105199003127613"  # 太原市小店区, born 1990-03-12, male
NAME = "王建国"
OTHER_ID_NUMBER = "140108198811053522"  # 太原市尖草坪区, born 1988-11-05, female
OTHER_NAME = "李秀英"
TRAINEE = {"document_type": "resident_id", "id_number": ID_NUMBER, "name": NAME}

INSTITUTION_CREDIT_CODE = "52140105MJY4K7P2X5"  # 民办非企业单位, 小店区
ORGANISATION_CREDIT_CODE = "91140100MA0HQ3B616"  # 企业, 太原市
OCCUPATION_CODE = "6-18-02-04"  # 焊工
SUBTYPE = "电焊工"

# The first 四级 certificate that organisation Y000014010001 issued in 2026.
CERTIFICATE_NUMBER = "Y000014010001264000001"
CLASS_REF = "HG-2026-09"
PLAN_REF = "HG-2026-11"

# A platform attestation as an administrator sends it to /credentials/issue (decision 022: no skill
# certificate, number or occupation alignment: those come from the evaluation workflow only).
PLATFORM_CREDENTIAL = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ],
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "issuer": PLATFORM_DID,
    "name": "2026年山西省职业技能大赛参赛证明",
    "credentialSubject": {
        "type": ["AchievementSubject"],
        "name": NAME,
        "achievement": {
            "id": "urn:uuid:5d0c7a52-3b8e-4f61-9c2d-7e4a1b6f0a93",
            "type": ["Achievement"],
            "name": "2026年山西省职业技能大赛 焊接赛项",
            "description": "参加2026年10月在太原举行的省级职业技能大赛焊接赛项决赛",
            "criteria": {"narrative": "完成理论考试和实际操作全部赛程"},
        },
    },
}
