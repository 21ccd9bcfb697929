"""Realistic demo data: Shanxi training institutions, a few hundred workers with their classes,
attendance and completions, evaluation organisations and the certificates they issued.

Everything is generated from a fixed seed, so a second run recognises what exists and only reports.
The people are made up: their ID numbers have valid check digits but belong to nobody.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from credential_service.assessment.occupations.rules import BUILTIN_OCCUPATIONS
from credential_service.assessment.organisations import service as registry
from credential_service.assessment.organisations.models import Organisation
from credential_service.assessment.organisations.rules import ScopeRowInput
from credential_service.certificates import qr_codes
from credential_service.certificates import service as certificates
from credential_service.certificates.credential import Occupation
from credential_service.certificates.rules import SkillLevel
from credential_service.certificates.status import service as status_changes
from credential_service.certificates.status.rules import STATES, Actor, StatusAction
from credential_service.core.clock import BEIJING, beijing_today
from credential_service.demo import subsidies as demo_subsidies
from credential_service.demo.ports import DemoRuntime
from credential_service.identity.credit_code import ALPHABET, credit_code_check_char
from credential_service.identity.rules import DocumentType, gb11643_check_char, mask_id_number, mask_name
from credential_service.issuers import service as issuers
from credential_service.records.training import institutions, postings
from credential_service.records.training import service as training
from credential_service.records.training.models import Institution, TrainingType
from credential_service.records.training.schemas import (
    AttendanceIn,
    AttendancePosting,
    ClassCreate,
    CompletionIn,
    CompletionPosting,
    EnrolmentIn,
    EnrolmentPosting,
    Trainee,
)

DEMO_ORGANISATIONS = (
    # (organisation code = [YS] + MOHRSS code + province + site serial, name as registered)
    ("Y000014010001", "太原重型机械集团有限公司"),
    ("Y000014040002", "潞安化工集团有限公司"),
    ("S000014010003", "山西省职业技能鉴定指导中心评价站"),
)
DEMO_REGISTERED_AT = datetime(2024, 1, 2, 9, 0, tzinfo=BEIJING)
DEMO_INSTITUTIONS = (
    ("140100", "太原市技师学院职业培训中心"),
    ("140200", "大同市惠民职业技能培训学校"),
    ("140400", "长治市职业技能培训中心"),
    ("140800", "运城市盐湖区职业技能培训学校"),
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


def demo_credit_code(rng: random.Random, city: str, *, kind: str = "52") -> str:
    """A GB 32100 code registered in ``city`` with a valid check character; ``kind`` 52 is a
    民办非企业单位 (training schools), 91 an enterprise."""
    first17 = kind + city + "".join(rng.choice(ALPHABET) for _ in range(9))
    return first17 + credit_code_check_char(first17)


@dataclass
class DemoManifest:
    sign_in: dict[str, str] = field(default_factory=dict)
    organisations: list[dict[str, str]] = field(default_factory=list)
    institutions: list[dict[str, str]] = field(default_factory=list)
    workers: int = 0
    classes: int = 0
    certificates: list[dict[str, Any]] = field(default_factory=list)
    # valid / revoked / suspended / superseded: at least one of each (decision 014)
    certificates_by_status: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    batches: list[dict[str, str]] = field(default_factory=list)  # in publicity, ready to issue
    subsidies: dict[str, Any] = field(default_factory=dict)  # claims in every state, what to try


@dataclass(frozen=True)
class _Class:
    institution_code: str
    class_ref: str
    occupation: Occupation
    training_type: TrainingType
    level: SkillLevel
    start: date
    end: date
    hours: int
    people: list[certificates.Holder]


def _plan_classes(rng: random.Random, codes: list[str], people: list[certificates.Holder]) -> list[_Class]:
    today = beijing_today()
    plan, position, n = [], 0, 0
    while position < len(people):
        size = rng.randint(10, 20)
        start = today - timedelta(days=rng.randint(60, 300))
        n += 1
        plan.append(
            _Class(
                institution_code=codes[n % len(codes)],
                class_ref=f"DEMO-{start:%Y%m}-{n:03d}",
                occupation=rng.choice(BUILTIN_OCCUPATIONS),
                training_type=rng.choice(
                    (
                        TrainingType.EMPLOYMENT_SKILLS,
                        TrainingType.SKILL_UPGRADE,
                        TrainingType.NEW_APPRENTICESHIP,
                        TrainingType.PROJECT_BASED,
                    )
                ),
                level=rng.choice((SkillLevel.LEVEL_5, SkillLevel.LEVEL_4, SkillLevel.LEVEL_3)),
                start=start,
                end=start + timedelta(days=rng.randint(10, 28)),
                hours=rng.choice((40, 56, 80, 120, 160)),
                people=people[position : position + size],
            )
        )
        position += size
    return plan


def _trainee(person: certificates.Holder) -> dict[str, str]:
    return {"document_type": person.document_type.value, "id_number": person.id_number, "name": person.name}


def _run_class(
    runtime: DemoRuntime, plan: _Class, passed: list[certificates.Holder], rng: random.Random
) -> None:
    """Open the class, enrol, check in, complete (``passed`` pass the completion assessment)."""
    data_key = runtime.settings.data_key_bytes
    rows = [_trainee(p) for p in plan.people]
    with runtime.session() as session:
        training.create_class(
            session,
            data_key,
            credit_code=plan.institution_code,
            request=ClassCreate(
                class_ref=plan.class_ref,
                occupation_code=plan.occupation.code,
                subtype=plan.occupation.subtype,
                target_level=int(plan.level),
                training_type=plan.training_type,
                start_date=plan.start,
                end_date=plan.end,
                planned_hours=plan.hours,
                roster=[Trainee(**r) for r in rows],
            ),
        )
        postings.post(
            session,
            data_key,
            credit_code=plan.institution_code,
            class_ref=plan.class_ref,
            posting=EnrolmentPosting(enrolments=[EnrolmentIn(**r, enrolled_on=plan.start) for r in rows]),
        )
        postings.post(
            session,
            data_key,
            credit_code=plan.institution_code,
            class_ref=plan.class_ref,
            posting=AttendancePosting(events=_attendance(plan, rows, rng)),
        )
        postings.post(
            session,
            data_key,
            credit_code=plan.institution_code,
            class_ref=plan.class_ref,
            posting=CompletionPosting(completions=_completions(plan, passed, rng)),
        )


def _attendance(plan: _Class, rows: list[dict[str, str]], rng: random.Random) -> list[AttendanceIn]:
    """Four check-ins per trainee on four days of the class, by face, card or electronic card."""
    days = [
        plan.start + timedelta(days=d) for d in sorted(rng.sample(range((plan.end - plan.start).days), 4))
    ]
    return [
        AttendanceIn(
            **r,
            occurred_at=datetime.combine(day, time(8, rng.randint(0, 29)), BEIJING),
            place=f"{plan.class_ref} 教室",
            method=rng.choice(("face", "card", "e_card")),
            match_score=round(rng.uniform(0.86, 0.99), 2),
            photo_sha256=f"{rng.getrandbits(256):064x}",
        )
        for r in rows
        for day in days
    ]


def _completions(plan: _Class, passed: list[certificates.Holder], rng: random.Random) -> list[CompletionIn]:
    return [
        CompletionIn(
            **_trainee(p),
            attended_hours=plan.hours - rng.choice((0, 0, 4, 8)),
            result="pass" if p in passed else "fail",
            score=round(rng.uniform(60, 98) if p in passed else rng.uniform(30, 59), 1),
            completed_on=plan.end,
        )
        for p in plan.people
    ]


def load_workers(runtime: DemoRuntime, *, workers: int, seed: int) -> DemoManifest:
    """Create the demo's people, classes and certificates once (a second run only reports them)."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    manifest = DemoManifest(workers=workers)
    people = [
        certificates.Holder(demo_name(rng), DocumentType.RESIDENT_ID, demo_id_number(rng))
        for _ in range(workers)
    ]
    codes = [demo_credit_code(rng, city) for city, _ in DEMO_INSTITUTIONS]
    plan = _plan_classes(rng, codes, people)
    manifest.classes = len(plan)
    with runtime.session() as session:
        issuers.ensure_platform_issuer(
            session, runtime.keystore, public_base_url=runtime.settings.public_base_url
        )
        organisations = _demo_organisations(session, runtime, manifest, seed)
        already = _demo_institutions(session, manifest, codes)
    holders: list[certificates.Holder] = []  # the holder of each manifest certificate, in order
    for klass in plan:
        # One generator per class: a second run decides exactly as the first without touching anything.
        class_rng = random.Random(f"{seed}:{klass.class_ref}")  # noqa: S311
        passed = [p for p in klass.people if class_rng.random() < 0.9]
        if not already:
            _run_class(runtime, klass, passed, class_rng)
        certificate_rng = random.Random(f"{seed}:{klass.class_ref}:certificates")  # noqa: S311
        for n, person in enumerate(passed):
            if certificate_rng.random() >= 0.4:
                continue
            org_code = certificate_rng.choice(organisations)
            _demo_certificate(
                runtime, manifest, klass, person, org_code, idempotency_key=f"demo-{klass.class_ref}-{n}"
            )
            holders.append(person)
    changed = _demo_status_changes(runtime, manifest, holders, seed)
    free = [n for n in range(1, len(holders)) if n not in changed]
    manifest.subsidies = demo_subsidies.load_subsidies(
        runtime,
        manifest.certificates,
        holders,
        free,
        organisation=organisations[1],  # registered by the demo in 2024
    )
    return manifest


def _demo_organisations(
    session: Session, runtime: DemoRuntime, manifest: DemoManifest, seed: int
) -> list[str]:
    """Register the demo organisations (once) with the built-in occupations in scope; their codes."""
    org_rng = random.Random(f"{seed}:organisations")  # noqa: S311 - demo data
    scope = [
        ScopeRowInput(o.code, o.subtype, (5, 4, 3), date(2024, 1, 1), date(2029, 12, 31))
        for o in BUILTIN_OCCUPATIONS
    ]
    for code, name in DEMO_ORGANISATIONS:
        # registered in the city its site serial names (潞安, 040002, in 长治): the statistics count
        # a certificate in its organisation's city, read from the credit code (decision 038)
        credit_code = demo_credit_code(org_rng, f"14{code[7:9]}00", kind="91")
        if session.scalar(select(Organisation.id).where(Organisation.code == code)) is None:
            registry.register_organisation(
                session,
                runtime.keystore,
                runtime.settings,
                org_type=code[0],
                credit_code=credit_code,
                name=name,
                mohrss_code=code[1:5],
                site_serial=code[7:13],
                scope=scope,
                actor="demo",
                now=DEMO_REGISTERED_AT,  # registered long before the demo batches were assessed
            )
        did = issuers.get_issuer(session, code).did
        manifest.organisations.append({"code": code, "name": name, "did": did, "creditCode": credit_code})
    return [code for code, _ in DEMO_ORGANISATIONS]


def _demo_institutions(session: Session, manifest: DemoManifest, codes: list[str]) -> bool:
    """Register the demo training institutions unless they exist; True when they already did."""
    already = session.scalar(select(Institution.id).where(Institution.credit_code == codes[0])) is not None
    for code, (city, name) in zip(codes, DEMO_INSTITUTIONS, strict=True):
        manifest.institutions.append({"creditCode": code, "name": name, "city": city})
        if not already:
            institutions.register_institution(
                session,
                credit_code=code,
                name=name,
                city_code=city,
                approved_projects=sorted({(o.code, None) for o in BUILTIN_OCCUPATIONS}),
            )
    return already


def _demo_certificate(
    runtime: DemoRuntime,
    manifest: DemoManifest,
    klass: _Class,
    person: certificates.Holder,
    org_code: str,
    *,
    idempotency_key: str,
) -> None:
    """Issue (or find, on a second run) one certificate of a class and list it in the manifest."""
    base = runtime.settings.public_base_url
    with runtime.session() as session:
        record = certificates.issue_skill_certificate(
            session,
            runtime.keystore,
            runtime.issuance,
            issuer=issuers.get_issuer(session, org_code),
            holder=person,
            occupation=klass.occupation,
            level=klass.level,
            data_key=runtime.settings.data_key_bytes,
            exam_date=klass.end + timedelta(days=7),
            idempotency_key=idempotency_key,
        )
        number = record.certificate_number
    if not manifest.sign_in:
        manifest.sign_in = {
            "url": f"{base}/signin",
            "documentType": person.document_type.value,
            "idNumber": person.id_number,
            "name": person.name,
        }
    manifest.certificates.append(
        {
            "certificateNumber": number,
            "organisation": dict(DEMO_ORGANISATIONS)[org_code],
            "holder": mask_name(person.name),
            "idNumber": mask_id_number(person.id_number),
            "occupation": f"{klass.occupation.code} {klass.occupation.name}",
            "level": klass.level.title_zh,
            "credentialId": record.credential_id,
            "credentialUrl": f"{base}/api/v1/certificates/{number}/credential.json",
        }
    )


# Status changes of three demo certificates (never the demo sign-in's: its file stays simple).
DEMO_AUTHORITY = "山西省人力资源和社会保障厅"
DEMO_CHANGES = (
    (
        StatusAction.REVOKE,
        "fraud",
        "晋人社稽〔2026〕3号 稽查报告（替考）",
        DEMO_AUTHORITY + " 晋人社鉴〔2026〕12号",
    ),
    (
        StatusAction.SUSPEND,
        "inspection_order",
        "太原市人社局 现场检查记录 2026-031",
        "太原市人力资源和社会保障局",
    ),
    (StatusAction.SUPERSEDE, None, "持证人申请更正姓名，户籍证明 2026-0417", DEMO_AUTHORITY),
)


def _demo_status_changes(
    runtime: DemoRuntime, manifest: DemoManifest, holders: list[certificates.Holder], seed: int
) -> list[int]:
    """Revoke, suspend and correct one demo certificate each (once: a second run only reports), and
    list every certificate under its status; the positions of the certificates changed."""
    signed_in = manifest.sign_in.get("idNumber")
    others = [n for n, person in enumerate(holders) if n > 0 and person.id_number != signed_in]
    chosen = others[: len(DEMO_CHANGES)]
    # A small demo (few certificates) gets as many of the changes as it has certificates for.
    for n, change in zip(chosen, DEMO_CHANGES, strict=False):
        number = manifest.certificates[n]["certificateNumber"]
        with runtime.session() as session:
            record = certificates.get_by_number(session, number)
            if not status_changes.history(session, record):  # else done on an earlier run
                _demo_change(session, runtime, number=number, holder=holders[n], change=change, seed=seed)
    manifest.certificates_by_status = _by_status(runtime, manifest)
    return chosen


def _demo_change(
    session: Session,
    runtime: DemoRuntime,
    *,
    number: str,
    holder: certificates.Holder,
    change: tuple[StatusAction, str | None, str, str],
    seed: int,
) -> None:
    action, reason, evidence, authority = change
    actor = Actor("admin", "admin:demo")
    holder_name = holder.name
    if action is StatusAction.REVOKE:  # a subsidy was paid on it: the revocation makes it one to recover
        demo_subsidies.paid_then_revoked(session, runtime, holder, number)
    if action is not StatusAction.SUPERSEDE:
        status_changes.change_status(
            session,
            actor,
            number,
            action,
            reason=reason,
            evidence=evidence,
            authority=authority,
        )
        return
    rng = random.Random(f"{seed}:correction:{number}")  # noqa: S311 - demo data
    corrected = holder_name[0] + "".join(rng.choice(GIVEN) for _ in range(len(holder_name) - 1))
    if corrected == holder_name:
        corrected = holder_name + "宁"
    status_changes.supersede(
        session,
        runtime.keystore,
        runtime.issuance,
        runtime.settings.data_key_bytes,
        actor=actor,
        certificate_number=number,
        holder_name=corrected,
        evidence=evidence,
        authority=authority,
    )


def _by_status(runtime: DemoRuntime, manifest: DemoManifest) -> dict[str, list[dict[str, Any]]]:
    """Every manifest certificate under its status, with its verification URL; a correction's
    replacement is appended to the manifest and listed in turn."""
    base = runtime.settings.public_base_url
    by_status: dict[str, list[dict[str, Any]]] = {state: [] for state in STATES}
    with runtime.session() as session:
        position = 0
        while position < len(manifest.certificates):
            entry = manifest.certificates[position]
            position += 1
            record = certificates.get_by_number(session, entry["certificateNumber"])
            view = status_changes.status_view(session, record)
            url = qr_codes.certificate_qr(session, runtime.keystore, record, public_base_url=base).url
            entry["status"] = view.state
            entry["verificationUrl"] = url
            item: dict[str, Any] = {"certificateNumber": entry["certificateNumber"], "verificationUrl": url}
            if view.reason_code:
                item["reasonCode"] = view.reason_code
            if view.superseded_by:
                item["supersededBy"] = view.superseded_by
                manifest.certificates.append(_replacement_entry(session, base, entry, view.superseded_by))
            by_status[view.state].append(item)
    return by_status


def _replacement_entry(session: Session, base: str, entry: dict[str, Any], number: str) -> dict[str, Any]:
    replacement = certificates.get_by_number(session, number)
    subject = json.loads(replacement.credential_json)["credentialSubject"]
    return {
        **entry,
        "certificateNumber": number,
        "holder": mask_name(subject["name"]),
        "credentialId": replacement.credential_id,
        "credentialUrl": f"{base}/api/v1/certificates/{number}/credential.json",
        "supersedes": entry["certificateNumber"],
    }
