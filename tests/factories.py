"""Test data builders (valid by default; tests change what they are about)."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from credential_service.assessment.occupations import builtin_occupation
from credential_service.certificates import service as certificates
from credential_service.certificates.models import IssuedCredential
from credential_service.certificates.rules import SkillLevel
from credential_service.demo import demo_id_number, demo_name
from credential_service.identity.rules import DocumentType
from credential_service.issuers import service as issuers
from credential_service.issuers.models import Issuer
from credential_service.runtime import Runtime

_rng = random.Random(2026)


def holder(name: str | None = None, id_number: str | None = None) -> certificates.Holder:
    return certificates.Holder(
        name=name or demo_name(_rng),
        document_type=DocumentType.RESIDENT_ID,
        id_number=id_number or demo_id_number(_rng),
    )


def issue_certificate(
    runtime: Runtime,
    issuer: Issuer,
    *,
    level: SkillLevel = SkillLevel.LEVEL_3,
    occupation: str = "6-18-02-04",
    cryptosuite: certificates.Cryptosuite = "eddsa-rdfc-2022",
    who: certificates.Holder | None = None,
    **kwargs: Any,
) -> IssuedCredential:
    with runtime.session() as session:
        issuer = issuers.get_issuer(session, issuer.code)  # fresh: keys may have rotated
        return certificates.issue_skill_certificate(
            session,
            runtime.keystore,
            runtime.issuance,
            issuer=issuer,
            holder=who or holder(),
            occupation=builtin_occupation(occupation),
            level=level,
            data_key=runtime.settings.data_key_bytes,
            exam_date=date(2026, 11, 1),
            cryptosuite=cryptosuite,
            **kwargs,
        )


ORG_DID = "did:web:skills.test:orgs:Y000014010001"


def plain_credential(issuer_did: str | None = None, **extra: Any) -> dict[str, Any]:
    """A minimal VC 2.0 credential as a VC API client would send it."""
    credential: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential", "ExampleAchievementCredential"],
        "credentialSubject": {"id": "did:example:worker", "name": "张三"},
    }
    credential["issuer"] = issuer_did or ORG_DID
    credential.update(extra)
    return credential


def form_csrf(client: Any, page: str) -> str:
    """The hidden ``csrf`` field of a page's form (GET sets the form cookie in the client's jar)."""
    import re

    found = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get(page).text)
    assert found, f"no CSRF field on {page}"
    return found.group(1)
