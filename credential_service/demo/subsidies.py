"""The demo's subsidies (issue 13): claims in every state — paid, eligible (waiting for approval),
waiting (the source cannot tell), refused by a rule (a certificate issued 13 months ago: past the
12-month deadline) — a payment to recover after its certificate was revoked, and two things left for
the visitor to try: a worker with an eligible, unclaimed certificate and an institution with a
completed class ready to claim (``demo --json`` names both under ``subsidies``).

Idempotent like the rest of the demo: a claim filed before is found again, never filed twice."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from credential_service.assessment.occupations.rules import BUILTIN_OCCUPATIONS
from credential_service.certificates import service as certificates
from credential_service.certificates.rules import SkillLevel
from credential_service.core.clock import utcnow
from credential_service.demo.ports import DemoRuntime
from credential_service.identity.models import Person
from credential_service.issuers import service as issuers
from credential_service.records import staff
from credential_service.records.training.models import Completion, Enrolment, Institution, TrainingClass
from credential_service.subsidies import claims, decisions
from credential_service.subsidies import service as rule_sets
from credential_service.subsidies.models import ClaimState, SubsidyClaim
from credential_service.subsidies.rules import Employment
from credential_service.subsidies.social_insurance import record_demo_facts

ACTOR = "admin:demo"
OLD_CERTIFICATE_AGE = timedelta(days=396)  # 13 months: the 12-month deadline of the 技能提升补贴 has passed


def _person(session: Session, runtime: DemoRuntime, holder: certificates.Holder) -> Person:
    found = staff.find_person(
        session, runtime.settings.data_key_bytes, holder.document_type.value, holder.id_number
    )
    assert found is not None  # every demo holder has a file (their certificate opened it)
    return found


def insured(
    session: Session, runtime: DemoRuntime, person: Person, *, groups: frozenset[str] | None = None
) -> None:
    """What the demo social-insurance source answers for the person: 24 insured months, employed,
    and a made-up card account derived from the person's public id."""
    digits = "".join(str(int(c, 16) % 10) for c in person.public_id.replace("-", ""))[:11]
    record_demo_facts(
        session,
        runtime.settings.data_key_bytes,
        person,
        insured_months=24,
        employment=Employment.ENTERPRISE_EMPLOYEE,
        groups=groups,
        card_account="62170000" + digits,
    )


def claim(session: Session, runtime: DemoRuntime, person: Person, number: str) -> SubsidyClaim:
    return claims.claim_skill_upgrade(
        session,
        runtime.social_insurance,
        data_key=runtime.settings.data_key_bytes,
        person=person,
        certificate_number=number,
        actor=ACTOR,
    ).claim


def approve(session: Session, runtime: DemoRuntime, filed: SubsidyClaim) -> None:
    if filed.state in (ClaimState.ELIGIBLE, ClaimState.WAITING):
        decisions.decide(
            session,
            runtime.social_insurance,
            data_key=runtime.settings.data_key_bytes,
            claim_id=filed.public_id,
            approve=True,
            reason="材料齐全，予以发放",
            officer=ACTOR,
        )


def paid_then_revoked(
    session: Session, runtime: DemoRuntime, holder: certificates.Holder, number: str
) -> None:
    """The holder claims the 技能提升补贴 on the certificate and is paid: the revocation that follows
    puts the payment in the recovery register (decision 032)."""
    rule_sets.ensure_shipped_rule_sets(session, actor=ACTOR)
    person = _person(session, runtime, holder)
    insured(session, runtime, person)
    approve(session, runtime, claim(session, runtime, person, number))


def load_subsidies(
    runtime: DemoRuntime,
    manifest_certificates: list[dict[str, Any]],
    holders: list[certificates.Holder],
    free: list[int],
    *,
    organisation: str,
) -> dict[str, Any]:
    """Claims in every state on the certificates at positions ``free`` (holders without a status
    change), and what the visitor can try; the ``subsidies`` part of the demo manifest."""
    found: dict[str, Any] = {"claims": {}}
    with runtime.session() as session:
        rule_sets.ensure_shipped_rule_sets(session, actor=ACTOR)
        worker = _person(session, runtime, holders[0])  # the demo sign-in: eligible, left unclaimed
        insured(session, runtime, worker)
        found["worker"] = {"certificateNumber": manifest_certificates[0]["certificateNumber"]}
        people = [(n, _person(session, runtime, holders[n])) for n in free if holders[n] != holders[0]]
        distinct = list({person.id: (n, person) for n, person in people}.values())
        for state, (n, person) in zip(("paid", "eligible", "waiting", "refused"), distinct, strict=False):
            number = manifest_certificates[n]["certificateNumber"]
            if state == "refused":
                number = _old_certificate(session, runtime, holders[n], organisation)
            if state != "waiting":  # the source cannot tell about the waiting one: it has no row
                insured(session, runtime, person)
            filed = claim(session, runtime, person, number)
            if state == "paid":
                approve(session, runtime, filed)
            found["claims"][state] = {"claimId": filed.public_id, "certificateNumber": number}
        found["institution"] = _class_ready_to_claim(session, runtime)
    return found


def _old_certificate(
    session: Session, runtime: DemoRuntime, holder: certificates.Holder, organisation: str
) -> str:
    """A certificate issued 13 months ago by a demo organisation (registered in 2024)."""
    issued = certificates.issue_skill_certificate(
        session,
        runtime.keystore,
        runtime.issuance,
        issuer=issuers.get_issuer(session, organisation),
        holder=holder,
        occupation=BUILTIN_OCCUPATIONS[0],
        level=SkillLevel.LEVEL_5,
        data_key=runtime.settings.data_key_bytes,
        exam_date=(utcnow() - OLD_CERTIFICATE_AGE - timedelta(days=10)).date(),
        idempotency_key="demo-thirteen-months-old",
        now=utcnow() - OLD_CERTIFICATE_AGE,
        actor=ACTOR,
    )
    return issued.certificate_number or ""


def _class_ready_to_claim(session: Session, runtime: DemoRuntime) -> dict[str, str]:
    """The first demo class with completions and no claim, and its institution: its trainees are in
    an eligible group of the 职业培训补贴, so the institution's claim can be seen passing. Empty when
    every class was claimed (the visitor claimed them all)."""
    claimed = select(SubsidyClaim.class_id).where(SubsidyClaim.class_id.is_not(None))
    completed = select(Enrolment.class_id).join(Completion, Completion.enrolment_id == Enrolment.id)
    klass = session.scalars(
        select(TrainingClass)
        .where(TrainingClass.id.not_in(claimed), TrainingClass.id.in_(completed))
        .order_by(TrainingClass.class_ref)
    ).first()
    if klass is None:
        return {}
    institution = session.get_one(Institution, klass.institution_id)
    trainees = session.scalars(
        select(Person)
        .join(Enrolment, Enrolment.person_id == Person.id)
        .join(Completion, Completion.enrolment_id == Enrolment.id)
        .where(Enrolment.class_id == klass.id)
    )
    for person in trainees:
        insured(session, runtime, person, groups=frozenset({"rural_migrant"}))
    return {"creditCode": institution.credit_code, "name": institution.name, "classRef": klass.class_ref}
