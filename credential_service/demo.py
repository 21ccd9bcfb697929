"""Realistic demo data: the platform, Shanxi evaluation organisations, workers and certificates."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from credential_service.assessment.occupations import BUILTIN_OCCUPATIONS
from credential_service.certificates import service as certificates
from credential_service.certificates.rules import SkillLevel
from credential_service.identity.rules import (
    DocumentType,
    gb11643_check_char,
    mask_id_number,
    mask_name,
)
from credential_service.issuers import service as issuers
from credential_service.issuers.models import Issuer, IssuerKind
from credential_service.runtime import Runtime

DEMO_ORGANISATIONS = (
    # (organisation code = [YS] + MOHRSS code + province + site serial, name as registered)
    ("Y000014010001", "太原重型机械集团有限公司"),
    ("Y000014040002", "潞安化工集团有限公司"),
    ("S000014010003", "山西省职业技能鉴定指导中心评价站"),
)
SHANXI_COUNTIES = ("140105", "140106", "140202", "140402", "140521", "140702", "140802", "141002")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马胡郭何高林罗郑梁谢宋唐"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红"


def demo_id_number(rng: random.Random) -> str:
    """A valid GB 11643 number from a Shanxi county, born 1965–2004 (never a real person's on purpose)."""
    born = date(1965, 1, 1) + timedelta(days=rng.randrange(365 * 40))
    first17 = f"{rng.choice(SHANXI_COUNTIES)}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return first17 + gb11643_check_char(first17)


def demo_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


@dataclass
class DemoManifest:
    sign_in: dict[str, str] = field(default_factory=dict)
    organisations: list[dict[str, str]] = field(default_factory=list)
    certificates: list[dict[str, Any]] = field(default_factory=list)


def load_demo(runtime: Runtime, *, certificates_per_org: int = 4, seed: int = 14) -> DemoManifest:
    """Create the demo organisations and certificates once; later runs only report what exists."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    manifest = DemoManifest()
    base = runtime.settings.public_base_url
    with runtime.session() as session:
        issuers.ensure_platform_issuer(session, runtime.keystore, public_base_url=base)
        for code, name in DEMO_ORGANISATIONS:
            issuer = session.scalar(select(Issuer).where(Issuer.code == code))
            if issuer is None:
                issuer = issuers.register_issuer(
                    session,
                    runtime.keystore,
                    public_base_url=base,
                    code=code,
                    name=name,
                    kind=IssuerKind.ORGANISATION,
                )
            manifest.organisations.append({"code": code, "name": name, "did": issuer.did})
            for n in range(certificates_per_org):
                occupation = rng.choice(BUILTIN_OCCUPATIONS)
                level = rng.choice((SkillLevel.LEVEL_5, SkillLevel.LEVEL_4, SkillLevel.LEVEL_3))
                holder = certificates.Holder(demo_name(rng), DocumentType.RESIDENT_ID, demo_id_number(rng))
                record = certificates.issue_skill_certificate(
                    session,
                    runtime.keystore,
                    runtime.issuance,
                    issuer=issuer,
                    holder=holder,
                    occupation=occupation,
                    level=level,
                    data_key=runtime.settings.data_key_bytes,
                    exam_date=date.today() - timedelta(days=10 + n),
                    idempotency_key=f"demo-{code}-{n}",
                )
                number = record.certificate_number
                if not manifest.sign_in:
                    # Made-up demo person (valid check digit, not a real one): testers sign in as them.
                    manifest.sign_in = {
                        "url": f"{base}/signin",
                        "documentType": holder.document_type.value,
                        "idNumber": holder.id_number,
                        "name": holder.name,
                    }
                manifest.certificates.append(
                    {
                        "certificateNumber": record.certificate_number,
                        "organisation": name,
                        "holder": mask_name(holder.name),
                        "idNumber": mask_id_number(holder.id_number),
                        "occupation": f"{occupation.code} {occupation.name}",
                        "level": level.title_zh,
                        "credentialId": record.credential_id,
                        "credentialUrl": f"{base}/api/v1/certificates/{number}/credential.json",
                    }
                )
    return manifest
