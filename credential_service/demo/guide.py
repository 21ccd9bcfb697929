"""The try-it guide ``scripts/run`` prints on every start: where to click and how to sign in as each
kind of user of the demo. Sign-ins are fresh each time: the organisation's demo client secret is
replaced (the previous one revoked), and staff get new one-time links (valid 5 minutes)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from credential_service.assessment.organisations import clients as organisation_clients
from credential_service.core.clock import beijing_date, utcnow
from credential_service.demo.ports import DemoRuntime
from credential_service.demo.workers import DemoManifest
from credential_service.identity.clients.models import ClientAuthMethod, OrganisationClient
from credential_service.identity.signin import staff as staff_signin
from credential_service.platform.tokens import Role
from credential_service.records.training import signin as institution_signin

GUIDE_ACTOR = "demo-guide"


@dataclass(frozen=True)
class OrganisationSignIn:
    url: str
    code: str
    client_id: str
    client_secret: str


@dataclass(frozen=True)
class DemoGuide:
    base: str
    genuine_url: str
    revoked_url: str
    worker: dict[str, str]
    organisation: OrganisationSignIn
    admin_link: str
    auditor_link: str
    institution: dict[str, str]  # name and one-time link of a demo training institution
    batches: list[dict[str, str]]
    subsidies: dict[str, Any]  # the worker's eligible certificate, the class ready to claim


def fresh_organisation_sign_in(runtime: DemoRuntime, code: str) -> OrganisationSignIn:
    """New client credentials for the demo organisation; those the guide printed before are revoked."""
    with runtime.session() as session:
        earlier = session.scalars(
            select(OrganisationClient.client_id).where(
                OrganisationClient.created_by == GUIDE_ACTOR, OrganisationClient.revoked_at.is_(None)
            )
        ).all()
        for client_id in earlier:
            organisation_clients.revoke_client(session, code, client_id, actor=GUIDE_ACTOR)
        created = organisation_clients.create_client(
            session,
            code,
            ClientAuthMethod.CLIENT_SECRET,
            public_base_url=runtime.settings.public_base_url,
            actor=GUIDE_ACTOR,
        )
    assert created.client_secret is not None  # a client_secret client always gets one
    url = f"{runtime.settings.public_base_url}/org/signin"
    return OrganisationSignIn(url, code, created.client_id, created.client_secret)


def institution_sign_in(runtime: DemoRuntime, institution: dict[str, str]) -> dict[str, str]:
    with runtime.session() as session:
        link = institution_signin.signin_link(
            session, runtime.keystore, runtime.settings, institution["creditCode"]
        )
    return {"name": institution["name"], "creditCode": institution["creditCode"], "link": link}


def demo_guide(runtime: DemoRuntime, manifest: DemoManifest) -> DemoGuide:
    settings = runtime.settings
    by_status = manifest.certificates_by_status
    return DemoGuide(
        base=settings.public_base_url,
        genuine_url=by_status["valid"][0]["verificationUrl"],
        revoked_url=by_status["revoked"][0]["verificationUrl"],
        worker=manifest.sign_in,
        organisation=fresh_organisation_sign_in(runtime, manifest.batches[0]["organisation"]),
        admin_link=staff_signin.signin_link(runtime.keystore, settings, Role.ADMIN, "demo"),
        institution=institution_sign_in(
            runtime, manifest.subsidies.get("institution") or manifest.institutions[0]
        ),
        auditor_link=staff_signin.signin_link(runtime.keystore, settings, Role.AUDITOR, "demo"),
        batches=manifest.batches,
        subsidies=manifest.subsidies,
    )


def _batch_state(ends_on: str, today: str) -> str:
    if ends_on >= today:
        return f"公示期至 {ends_on}"
    return f"公示期已于 {ends_on} 结束，可发证 / ready to issue"


def _class_to_claim(base: str, ready: dict[str, str] | None) -> list[str]:
    if not ready:
        return []  # every demo class was claimed already
    ref = ready["classRef"]
    page = f"{base}/institution/classes/{ref}/subsidy"
    return [f"   已结业、可申请培训补贴的班 / a class ready to claim: {ref}（{page}）"]


def guide_text(guide: DemoGuide) -> str:
    worker, org, subsidies = guide.worker, guide.organisation, guide.subsidies
    today = beijing_date(utcnow()).isoformat()
    publicity = [b for b in guide.batches if b["state"] == "publicity"]
    lines = [
        f"试用指南 / Try it — {guide.base}/",
        "",
        "1. 用人单位查验证书 (employer): 打开 / open",
        f"   真实有效 genuine:  {guide.genuine_url}",
        f"   已撤销 revoked:    {guide.revoked_url}",
        f"   按编号和姓名查验:  {guide.base}/check",
        f"2. 劳动者 (worker): {worker['url']}",
        f"   证件号码 {worker['idNumber']}　姓名 {worker['name']}（虚构人员 made-up person）",
        f"   可申请技能提升补贴 / may claim the skill-upgrade subsidy: "
        f"证书 {subsidies['worker']['certificateNumber']}",
        f"3. 评价机构 (organisation {org.code}): {org.url}",
        f"   client_id {org.client_id}",
        f"   client_secret {org.client_secret}",
        "   公示中和可发证的批次 / batches in publicity and ready to issue:",
        *(
            f"     {b['planRef']}  {_batch_state(b['publicityEndsOn'], today)}"
            f"  (submission {b['submission']})"
            for b in publicity
        ),
        f"4. 培训机构 (training institution {guide.institution['name']}，一次性链接 / one-time link):",
        f"   {guide.institution['link']}",
        *_class_to_claim(guide.base, subsidies.get("institution")),
        f"5. 管理员 (administrator, 5 分钟内一次有效 / one use within 5 minutes): {guide.admin_link}",
        f"   补贴审核 subsidy claims: {guide.base}/admin/subsidies",
        f"   补贴追回 recoveries: {guide.base}/admin/recoveries",
        f"   审计员 (auditor): {guide.auditor_link}",
        "6. 命令行 (command line): scripts/cs --help",
        f"   scripts/cs verify '{guide.genuine_url}'",
        "   scripts/cs token admin --link      (a new administrator sign-in link)",
        f"   scripts/cs token institution {guide.institution['creditCode']} --link",
    ]
    return "\n".join(lines) + "\n"
