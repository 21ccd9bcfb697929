"""Test data builders (valid by default; tests change what they are about)."""

from __future__ import annotations

import dataclasses
import random
from datetime import date, datetime
from typing import Any

from credential_service.assessment.occupations.rules import BUILTIN_OCCUPATIONS, builtin_occupation
from credential_service.assessment.organisations import service as organisations
from credential_service.assessment.organisations.rules import ScopeRowInput
from credential_service.certificates import service as certificates
from credential_service.certificates.models import IssuedCredential
from credential_service.certificates.rules import SkillLevel
from credential_service.demo import demo_credit_code, demo_id_number, demo_name
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
    around_registry: bool = False,
    **kwargs: Any,
) -> IssuedCredential:
    """``around_registry``: sign without asking the registry, as a rogue path with the organisation's
    key would; only for showing that verification refuses what issuance would have."""
    settings = runtime.issuance
    if around_registry:
        settings = dataclasses.replace(settings, registry=lambda *_args, **_kwargs: [])
    with runtime.session() as session:
        issuer = issuers.get_issuer(session, issuer.code)  # fresh: keys may have rotated
        return certificates.issue_skill_certificate(
            session,
            runtime.keystore,
            settings,
            issuer=issuer,
            holder=who or holder(),
            occupation=builtin_occupation(occupation),
            level=level,
            data_key=runtime.settings.data_key_bytes,
            exam_date=date(2026, 11, 1),
            cryptosuite=cryptosuite,
            **kwargs,
        )


def register_organisation(runtime: Runtime, code: str, name: str, *, now: datetime | None = None) -> Issuer:
    """A registered (备案) organisation for every built-in occupation at every level, from ``now``:
    the registry lets an organisation issue only within its scope (tests of scope make their own)."""
    with runtime.session() as session:
        organisations.register_organisation(
            session,
            runtime.keystore,
            runtime.settings,
            org_type=code[0],
            credit_code=demo_credit_code(random.Random(code), "140100"),
            name=name,
            mohrss_code=code[1:5],
            site_serial=code[7:13],
            scope=[
                ScopeRowInput(o.code, o.subtype, (5, 4, 3, 2, 1), date(2020, 1, 1), date(2099, 12, 31))
                for o in BUILTIN_OCCUPATIONS
            ],
            actor="admin:test",
            now=now,
        )
        return issuers.get_issuer(session, code)


ORG_DID = "did:web:skills.test:orgs:Y000014010001"
PLATFORM_DID = "did:web:skills.test"  # who signs through /credentials/issue (decision 022)


def plain_credential(issuer_did: str | None = None, **extra: Any) -> dict[str, Any]:
    """A minimal VC 2.0 credential as a VC API client would send it."""
    credential: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential", "ExampleAchievementCredential"],
        "credentialSubject": {"id": "did:example:worker", "name": "张三"},
    }
    credential["issuer"] = issuer_did or PLATFORM_DID
    credential.update(extra)
    return credential


def form_csrf(client: Any, page: str) -> str:
    """The hidden ``csrf`` field of a page's form (GET sets the form cookie in the client's jar)."""
    import re

    found = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get(page).text)
    assert found, f"no CSRF field on {page}"
    return found.group(1)


def submission_past_publicity(
    runtime: Runtime, organisation_code: str, *, candidates: int, plan_ref: str = "BATCH", seed: int = 5
) -> str:
    """A plan and a result sheet of ``candidates`` passing candidates whose publicity is over: ready
    to issue. Returns the submission's public id."""
    import hashlib
    import io
    from datetime import timedelta

    from sqlalchemy import update

    from credential_service.assessment.workflow import plans, submissions
    from credential_service.assessment.workflow.models import ResultSubmission
    from credential_service.assessment.workflow.results.sheet import read_csv

    occupation = builtin_occupation("6-18-02-04")
    rng = random.Random(seed)
    numbers = list(dict.fromkeys(demo_id_number(rng) for _ in range(candidates * 2)))[:candidates]
    content = (
        "证件类型,证件号码,姓名,理论知识成绩,技能操作成绩\n"
        + "".join(f"居民身份证,{n},{demo_name(rng)},80,85\n" for n in numbers)
    ).encode()
    with runtime.session() as session:
        organisation = organisations.get_organisation(session, organisation_code)
        plans.file_plan(
            session,
            organisation,
            plan_ref=plan_ref,
            occupation_code=occupation.code,
            subtype=occupation.subtype,
            level=5,
            exam_start=date(2026, 11, 2),
            exam_end=date(2026, 11, 3),
            examiners=[{"name": "考评员", "certificate_number": "KP0001"}],
        )
        submission = submissions.submit_results(
            session,
            runtime.keystore,
            runtime.settings.data_key_bytes,
            organisation,
            plan_ref=plan_ref,
            rows=read_csv(io.BytesIO(content)),
            source="csv",
            content_sha256=hashlib.sha256(content).hexdigest(),
        )
        session.execute(
            update(ResultSubmission)
            .where(ResultSubmission.id == submission.id)
            .values(publicity_ends_on=date.today() - timedelta(days=1))
        )
        return submission.public_id
