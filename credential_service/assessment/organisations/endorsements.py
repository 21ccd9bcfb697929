"""The platform's signed endorsement of a registration (备案): an OB 3.0 ``EndorsementCredential``
signed again, as a new version, whenever the scope or the status changes."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from credential_service.assessment.occupations.service import occupation_names
from credential_service.assessment.organisations.models import (
    Endorsement,
    Organisation,
    ScopeRow,
    StatusPeriod,
)
from credential_service.assessment.organisations.rules import (
    MACHINE_READABLE_MARKER,
    ORG_TYPE_NAMES,
    STATUS_NAMES,
    parse_levels,
    registration_json,
)
from credential_service.certificates.rules import SkillLevel
from credential_service.core.clock import BEIJING, as_utc, to_xsd
from credential_service.core.config import Settings
from credential_service.crypto.data_integrity import create_proof
from credential_service.crypto.keystore import KeyStore
from credential_service.issuers import service as issuers
from credential_service.issuers.models import Issuer
from credential_service.issuers.rules import PLATFORM_CODE

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"


def endorsement_url(public_base_url: str, code: str, version: int | None = None) -> str:
    """Where the newest endorsement (or one version) of organisation ``code`` is published."""
    url = f"{public_base_url.rstrip('/')}/orgs/{code}/endorsement.json"
    return url if version is None else f"{url}?version={version}"


def _scope_sentence(row: ScopeRow, names: Mapping[str, str]) -> str:
    occupation = f"{row.occupation_code} {names.get(row.occupation_code, '')}".strip()
    if row.subtype:
        occupation += f"（{row.subtype}）"
    levels = "、".join(SkillLevel(level).title_zh for level in sorted(parse_levels(row.levels), reverse=True))
    return f"{occupation}：{levels}，{row.valid_from.isoformat()} 至 {row.valid_to.isoformat()}"


def endorsement_comment(
    organisation: Organisation, periods: Sequence[StatusPeriod], names: Mapping[str, str], version: int
) -> str:
    """Chinese prose for people, then the registration as JSON for programs (see rules)."""
    scope = "；\n".join(f"{i}. {_scope_sentence(row, names)}" for i, row in enumerate(organisation.scope, 1))
    history = "；".join(
        f"{as_utc(p.since).astimezone(BEIJING):%Y-%m-%d %H:%M:%S}（北京时间）起"
        f"{STATUS_NAMES.get(p.status, p.status)}"
        for p in periods
    )
    prose = (
        f"{organisation.name}（{ORG_TYPE_NAMES.get(organisation.org_type, '')}，统一社会信用代码 "
        f"{organisation.credit_code}）经人力资源社会保障部门备案为职业技能等级认定评价机构，机构代码 "
        f"{organisation.code}，当前状态：{STATUS_NAMES.get(organisation.status, organisation.status)}。"
        f"只能在以下备案范围内、机构状态正常期间，按考核日期颁发职业技能等级证书（第 {version} 版）。\n"
        f"备案范围：\n{scope}。\n状态记录：{history}。"
    )
    machine = registration_json(
        code=organisation.code, version=version, scope=organisation.scope, status_history=periods
    )
    return f"{prose}\n{MACHINE_READABLE_MARKER}\n{machine}"


def sign_endorsement(
    session: Session,
    keystore: KeyStore,
    settings: Settings,
    organisation: Organisation,
    *,
    issuer: Issuer,
    periods: Sequence[StatusPeriod],
    now: datetime,
) -> int:
    """Sign and store the next version of the endorsement; returns its version number."""
    last = session.scalar(
        select(func.max(Endorsement.version)).where(Endorsement.organisation_id == organisation.id)
    )
    version = (last or 0) + 1
    platform = issuers.get_issuer(session, PLATFORM_CODE)
    key, signer = issuers.signer_for(platform, keystore)
    names = occupation_names(session, (row.occupation_code for row in organisation.scope))
    base = settings.public_base_url
    unsigned = {
        "@context": [VC_V2, OB_V3],
        "id": endorsement_url(base, organisation.code, version),
        "type": ["VerifiableCredential", "EndorsementCredential"],
        "issuer": {"id": platform.did, "type": ["Profile"], "name": platform.name},
        "validFrom": to_xsd(now),
        "name": "职业技能等级认定评价机构备案 / Registration of a skill-level evaluation organisation",
        "credentialSubject": {
            "id": issuer.did,
            "type": ["EndorsementSubject"],
            "name": organisation.name,
            "endorsementComment": endorsement_comment(organisation, periods, names, version),
        },
    }
    signed = create_proof(
        unsigned,
        cryptosuite="eddsa-rdfc-2022",
        verification_method=key.verification_method,
        created=to_xsd(now),
        sign=signer.sign,
    )
    session.add(
        Endorsement(
            organisation_id=organisation.id,
            version=version,
            credential_json=json.dumps(signed, ensure_ascii=False),
            signed_at=now,
        )
    )
    session.flush()
    return version
