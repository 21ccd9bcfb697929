"""The facts a subsidy claim is judged on (the certificate, the class, the person's other
subsidies) and the places a live claim holds (decision 032)."""

from __future__ import annotations

import json
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from credential_service.certificates import service as certificates
from credential_service.certificates.fields import certificate_fields
from credential_service.certificates.models import IssuedCredential
from credential_service.certificates.status import service as status_changes
from credential_service.identity import service as identity
from credential_service.identity.models import Person
from credential_service.records.training.models import Completion, Enrolment, TrainingClass
from credential_service.subsidies import service as rule_sets
from credential_service.subsidies.models import (
    LIVE_STATES,
    RecoveryState,
    SubsidyClaim,
    SubsidyPayment,
    SubsidyRecovery,
)
from credential_service.subsidies.rules import (
    CertificateFacts,
    ClaimFacts,
    ClassFacts,
    Decision,
    PriorSubsidy,
    RuleSet,
    SubsidyType,
    TrainingParameters,
    Verdict,
    evaluate,
    led_to,
    qualifying_date,
)
from credential_service.subsidies.social_insurance import (
    InsuredPerson,
    SocialInsuranceSource,
    SourceAnswer,
)

# --- the facts a claim is judged on ---------------------------------------------------------------


def insured(session: Session, source: SocialInsuranceSource, data_key: bytes, person: Person) -> SourceAnswer:
    who = InsuredPerson(person.document_type, identity.clear_id_number(data_key, person), person)
    return source.ask(session, who)


def certificate_facts(session: Session, number: str) -> CertificateFacts:
    """The certificate as the registry has it now; NotFound for a number it does not know."""
    record = certificates.get_by_number(session, number)
    fields = certificate_fields(json.loads(record.credential_json))
    return CertificateFacts(
        number=number,
        occupation_code=fields.occupation_code,
        level=int(fields.level),
        issued_on=fields.issued_on,
        state=status_changes.status_view(session, record).state.value,
    )


def class_facts(session: Session, klass: TrainingClass, person_id: int) -> ClassFacts:
    completion = session.scalar(
        select(Completion)
        .join(Enrolment, Enrolment.id == Completion.enrolment_id)
        .where(Enrolment.class_id == klass.id, Enrolment.person_id == person_id)
    )
    return ClassFacts(
        training_type=klass.training_type,
        occupation_code=klass.occupation_code,
        end_date=klass.end_date,
        planned_hours=klass.planned_hours,
        attended_hours=completion.attended_hours if completion else None,
        completion_passed=completion.result == "pass" if completion else None,
    )


def certificate_from_class(
    session: Session, person: Person, klass: TrainingClass, claims: list[SubsidyClaim]
) -> CertificateFacts | None:
    """The certificate the class led to (以证定补): the person's first certificate of the class's
    occupation issued within the window after its end, unless another training claim of theirs holds
    it already (one certificate, one training subsidy)."""
    held = {c.certificate_number for c in claims if c.subsidy_type == SubsidyType.TRAINING.value}
    records = session.scalars(
        select(IssuedCredential).where(
            IssuedCredential.holder_index == person.id_blind_index,
            IssuedCredential.certificate_number.is_not(None),
        )
    )
    found = [certificate_facts(session, r.certificate_number) for r in records if r.certificate_number]
    candidates = [
        c for c in found if c.number not in held and led_to(klass.occupation_code, klass.end_date, c)
    ]
    return min(candidates, key=lambda c: (c.issued_on, c.number), default=None)


def recovered_claims(session: Session, person_id: int) -> set[int]:
    return set(
        session.scalars(
            select(SubsidyPayment.claim_id)
            .join(SubsidyRecovery, SubsidyRecovery.payment_id == SubsidyPayment.id)
            .where(SubsidyPayment.person_id == person_id, SubsidyRecovery.state == RecoveryState.RECOVERED)
        )
    )


def prior(session: Session, person_id: int, *, excluding: int | None = None) -> tuple[PriorSubsidy, ...]:
    """The person's subsidies that count against a new claim: waiting, eligible or paid, and not
    recovered since."""
    return counted(claims_of(session, person_id), recovered_claims(session, person_id), excluding)


def claims_of(session: Session, person_id: int) -> list[SubsidyClaim]:
    return list(session.scalars(select(SubsidyClaim).where(SubsidyClaim.person_id == person_id)))


def counted(
    claims: list[SubsidyClaim], recovered: set[int], excluding: int | None = None
) -> tuple[PriorSubsidy, ...]:
    return tuple(
        PriorSubsidy(
            subsidy_type=SubsidyType(c.subsidy_type),
            claimed_on=c.claimed_on,
            certificate_number=c.certificate_number,
            occupation_code=c.occupation_code,
            level=c.level,
            training_type=c.training_type,
            qualifying_date=c.qualifying_date,
        )
        for c in claims
        if c.state in LIVE_STATES and c.id != excluding and c.id not in recovered
    )


def judge(session: Session, facts: ClaimFacts) -> tuple[Decision, RuleSet]:
    rule_set = rule_sets.rule_set_in_force(session, facts.subsidy_type, qualifying_date(facts))
    return evaluate(facts, rule_set), rule_set


def taken_slots(claims: list[SubsidyClaim], kind: SubsidyType) -> set[str]:
    return {c.yearly_slot for c in claims if c.subsidy_type == kind.value and c.yearly_slot is not None}


def places_held(
    facts: ClaimFacts, decision: Decision, rule_set: RuleSet, taken: set[str]
) -> tuple[str | None, str | None]:
    """The places a live claim holds (``yearly_slot``, ``once_key``); a refused claim holds none.

    技能提升补贴: the first free place of the year ("YEAR#n", after the ``taken`` ones; the cap rule
    decides whether another claim is allowed), so two claims judged at once against the same earlier
    ones cannot both take it; and one place per occupation and level. 职业培训补贴: one place a year
    per training type, unless the rule set exempts the type (创业培训). 生活费补贴: one a year."""
    if decision.verdict is Verdict.REFUSED:
        return None, None
    year = facts.claimed_on.year
    if facts.subsidy_type is SubsidyType.SKILL_UPGRADE and facts.certificate is not None:
        place = 1
        while f"{year}#{place}" in taken:
            place += 1
        cert = facts.certificate
        return f"{year}#{place}", f"{cert.occupation_code}:{cert.level}"
    if facts.subsidy_type is SubsidyType.TRAINING and facts.training_class is not None:
        params = rule_set.parameters
        kind = facts.training_class.training_type
        exempt = isinstance(params, TrainingParameters) and kind in params.yearly_exempt_training_types
        return (None if exempt else f"{year}:{kind}"), None
    return str(year), None


def fen(amount: Decimal | None) -> int | None:
    return None if amount is None else int((amount * 100).to_integral_value())


def yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))
