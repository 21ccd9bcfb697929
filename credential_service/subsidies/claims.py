"""Subsidy claims (§27 以证定补, decision 032): a worker claims the 技能提升补贴 for one of their
certificates, an institution claims the 职业培训补贴 for each trainee of a completed class; the rule
set in force on the qualifying date judges the claim (a failed hard rule refuses it, the rest wait
for an officer); an officer approves, which pays the person's own card account, or refuses with a
reason. Each step enters the person's file, the audit trail and the transparency log.

"Never a second claim" is the database's answer, not a check that two requests could both pass: the
unique keys of ``subsidy_claims`` (see the model) make a concurrent duplicate fail its insert, and
the loser then finds the winner's claim (and answers with it) or is judged again against it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from credential_service.audit import service as audit
from credential_service.certificates import service as certificates
from credential_service.certificates.fields import certificate_fields
from credential_service.certificates.status import service as status_changes
from credential_service.core.clock import beijing_date, utcnow
from credential_service.core.errors import Conflict, FieldError, InvalidInput
from credential_service.identity import service as identity
from credential_service.identity.models import Person
from credential_service.identity.rules import id_number_problem, mask_name
from credential_service.records import service as records
from credential_service.records.rules import EntryKind
from credential_service.records.training import service as training
from credential_service.records.training.errors import InstitutionNotActive
from credential_service.records.training.models import Completion, Enrolment, RosterMember, TrainingClass
from credential_service.records.training.rules import InstitutionStatus
from credential_service.subsidies import service as rule_sets
from credential_service.subsidies.errors import (
    ClaimDecided,
    ClaimFailsRules,
    ClaimNotFound,
    ClassNotEnded,
    NoCompletedTrainee,
    NothingPayable,
    SourceUnavailable,
)
from credential_service.subsidies.models import (
    LIVE_STATES,
    ClaimState,
    OfficerDecision,
    RecoveryState,
    SubsidyClaim,
    SubsidyPayment,
    SubsidyRecovery,
)
from credential_service.subsidies.rules import (
    RULE_TITLES,
    CertificateFacts,
    ClaimFacts,
    ClassFacts,
    Decision,
    Outcome,
    PriorSubsidy,
    RuleSet,
    SubsidyType,
    TrainingParameters,
    Verdict,
    evaluate,
    qualifying_date,
)
from credential_service.subsidies.social_insurance import (
    InsuredPerson,
    SocialInsuranceSource,
    SourceAnswer,
    mask_account,
    seal_account,
)
from credential_service.transparency import service as transparency_log
from credential_service.transparency.rules import LeafKind

PAID_TO = "社会保障卡金融账户"  # the only payee there is (issue 13)
REASON_MIN, REASON_MAX = 2, 500
MAX_ATTEMPTS = 4  # a claim that lost a race is judged again; more losses than this is a conflict

STATE_WORDS = {
    ClaimState.WAITING: ("待人工审核", "waiting for an officer"),
    ClaimState.ELIGIBLE: ("符合条件，待审批", "eligible, waiting for approval"),
    ClaimState.REFUSED: ("不予补贴", "refused"),
    ClaimState.PAID: ("已发放", "paid"),
}
_STATE_OF_VERDICT = {
    Verdict.ELIGIBLE: ClaimState.ELIGIBLE,
    Verdict.WAITS: ClaimState.WAITING,
    Verdict.REFUSED: ClaimState.REFUSED,
}


@dataclass(frozen=True)
class Filed:
    claim: SubsidyClaim
    created: bool  # False: the same claim existed already, and this is it


# --- the facts a claim is judged on ---------------------------------------------------------------


def _insured(
    session: Session, source: SocialInsuranceSource, data_key: bytes, person: Person
) -> SourceAnswer:
    who = InsuredPerson(person.document_type, identity.clear_id_number(data_key, person), person)
    return source.ask(session, who)


def _certificate_facts(session: Session, number: str) -> CertificateFacts:
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


def _class_facts(session: Session, klass: TrainingClass, person_id: int) -> ClassFacts:
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


def _recovered_claims(session: Session, person_id: int) -> set[int]:
    return set(
        session.scalars(
            select(SubsidyPayment.claim_id)
            .join(SubsidyRecovery, SubsidyRecovery.payment_id == SubsidyPayment.id)
            .where(SubsidyPayment.person_id == person_id, SubsidyRecovery.state == RecoveryState.RECOVERED)
        )
    )


def _prior(session: Session, person_id: int, *, excluding: int | None = None) -> tuple[PriorSubsidy, ...]:
    """The person's subsidies that count against a new claim: waiting, eligible or paid, and not
    recovered since."""
    return _counted(_claims_of(session, person_id), _recovered_claims(session, person_id), excluding)


def _claims_of(session: Session, person_id: int) -> list[SubsidyClaim]:
    return list(session.scalars(select(SubsidyClaim).where(SubsidyClaim.person_id == person_id)))


def _counted(
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
        )
        for c in claims
        if c.state in LIVE_STATES and c.id != excluding and c.id not in recovered
    )


def _judge(session: Session, facts: ClaimFacts) -> tuple[Decision, RuleSet]:
    rule_set = rule_sets.rule_set_in_force(session, facts.subsidy_type, qualifying_date(facts))
    return evaluate(facts, rule_set), rule_set


def _taken_slots(claims: list[SubsidyClaim], kind: SubsidyType) -> set[str]:
    return {c.yearly_slot for c in claims if c.subsidy_type == kind.value and c.yearly_slot is not None}


def _keys(
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


def _fen(amount: Decimal | None) -> int | None:
    return None if amount is None else int((amount * 100).to_integral_value())


def yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


# --- recording a step -----------------------------------------------------------------------------


def _zh(reason: str) -> str:
    return reason.partition(" / ")[0]


def record_step(
    session: Session,
    claim: SubsidyClaim,
    person: Person,
    *,
    kind: EntryKind,
    step: str,
    actor: str,
    facts: dict[str, Any],
    audit_detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> int:
    """One step of a claim in the person's file (in words), the audit trail and the public log (the
    claim's random id only). Returns the file entry's id."""
    subsidy = SubsidyType(claim.subsidy_type)
    entry = records.append_entry(
        session,
        person,
        kind,
        {"subsidy_type": subsidy.title_zh, **{k: v for k, v in facts.items() if v is not None}},
        source=actor,
        occurred_at=at,
    )
    audit.record(
        session,
        actor=actor,
        action=f"subsidy.{step}",
        subject=f"subsidy-claim:{claim.public_id}",
        detail={"state": claim.state, "fileEntry": entry.seq, **(audit_detail or {})},
    )
    leaf: dict[str, Any] = {"claimId": claim.public_id, "step": step, "subsidyType": subsidy.value}
    if claim.amount_fen is not None and step in ("claim", "pay"):
        leaf["amountYuan"] = str(yuan(claim.amount_fen))
    if step == "claim":
        leaf |= {"ruleSetVersion": claim.rule_set_version, "ruleSetSha256": claim.rule_set_sha256}
    transparency_log.append(session, LeafKind.SUBSIDY_STEP, leaf, at=at)
    return entry.id


def _claim_entry_facts(claim: SubsidyClaim, decision: Decision, class_ref: str | None) -> dict[str, Any]:
    failed = [r for r in decision.results if r.outcome is not Outcome.PASSED]
    return {
        "certificate_number": claim.certificate_number,
        "class_ref": class_ref,
        "outcome": claim.state,
        "amount_yuan": str(yuan(claim.amount_fen)) if claim.amount_fen is not None else None,
        "rule_set": claim.rule_set_version,
        "reason": "；".join(f"{r.title_zh}：{_zh(r.reason)}" for r in failed) or None,
    }


# --- filing a claim -------------------------------------------------------------------------------


def _file(
    session: Session,
    *,
    person: Person,
    existing: Select[SubsidyClaim],
    facts_of: Callable[[tuple[PriorSubsidy, ...]], ClaimFacts],
    actor: str,
    class_ref: str | None = None,
    class_id: int | None = None,
    institution_id: int | None = None,
) -> Filed:
    """Judge and store one claim, or answer with the same claim stored before (``existing``)."""
    for _ in range(MAX_ATTEMPTS):
        found = session.scalar(existing)
        if found is not None:
            return Filed(found, created=False)
        # The claims counted against this one and the places they hold, read by one statement: under
        # READ COMMITTED each statement has its own snapshot, and a claim committed between two reads
        # would hold a place without counting against the cap (two claims of a cap of one both pass).
        recovered = _recovered_claims(session, person.id)
        claims = _claims_of(session, person.id)
        facts = facts_of(_counted(claims, recovered))
        decision, rule_set = _judge(session, facts)
        taken = _taken_slots(claims, facts.subsidy_type)
        yearly_slot, once_key = _keys(facts, decision, rule_set, taken)
        now = utcnow()
        cert, cls = facts.certificate, facts.training_class
        claim = SubsidyClaim(
            public_id=str(uuid.uuid4()),
            subsidy_type=facts.subsidy_type.value,
            person_id=person.id,
            certificate_number=cert.number if cert else None,
            class_id=class_id,
            institution_id=institution_id,
            occupation_code=cert.occupation_code if cert else cls.occupation_code if cls else "",
            level=cert.level if cert else None,
            training_type=cls.training_type if cls else None,
            claimed_on=facts.claimed_on,
            qualifying_date=decision.qualifying_date,
            state=_STATE_OF_VERDICT[decision.verdict].value,
            rule_set_version=decision.rule_set_version,
            rule_set_sha256=decision.rule_set_sha256,
            fund=rule_set.fund,
            decision_json=json.dumps(decision.as_record(), ensure_ascii=False),
            amount_fen=_fen(decision.amount.yuan),
            yearly_slot=yearly_slot,
            once_key=once_key,
            claimed_by=actor[:100],
            claimed_at=now,
            updated_at=now,
        )
        try:
            with session.begin_nested():
                session.add(claim)
        except IntegrityError:
            continue  # a concurrent claim took one of its places first: look again, judge again
        record_step(
            session,
            claim,
            person,
            kind=EntryKind.SUBSIDY_CLAIM,
            step="claim",
            actor=actor,
            facts=_claim_entry_facts(claim, decision, class_ref),
            audit_detail={"verdict": decision.verdict.value, "ruleSetVersion": claim.rule_set_version},
            at=now,
        )
        return Filed(claim, created=True)
    raise Conflict(
        "同时提交的申请过多，请稍后再试 / too many claims at the same moment: try again", "subsidy_claim_busy"
    )


def claim_skill_upgrade(
    session: Session,
    source: SocialInsuranceSource,
    *,
    data_key: bytes,
    person: Person,
    certificate_number: str,
    actor: str,
    today: date | None = None,
) -> Filed:
    """The worker claims the 技能提升补贴 for one of their own certificates.

    Another person's certificate is not found, exactly as an unknown number. The same claim again
    answers with the first (``created`` False). Raises NotFound and NoRuleSetInForce."""
    record = certificates.find_by_number(session, certificate_number)
    if record is None or record.holder_index != person.id_blind_index:
        raise certificates.certificate_not_found()
    day = today or beijing_date(utcnow())
    kind = SubsidyType.SKILL_UPGRADE

    def facts_of(prior: tuple[PriorSubsidy, ...]) -> ClaimFacts:
        answer = _insured(session, source, data_key, person)
        return ClaimFacts(
            subsidy_type=kind,
            claimed_on=day,
            person=answer.facts,
            certificate=_certificate_facts(session, certificate_number),
            prior=prior,
        )

    existing = select(SubsidyClaim).where(
        SubsidyClaim.person_id == person.id,
        SubsidyClaim.subsidy_type == kind.value,
        SubsidyClaim.certificate_number == certificate_number,
    )
    return _file(session, person=person, existing=existing, facts_of=facts_of, actor=actor)


@dataclass(frozen=True)
class Skipped:
    member: int  # the roster row's number, as the class page names trainees
    reason: str


@dataclass(frozen=True)
class ClassClaims:
    filed: list[Filed]
    skipped: list[Skipped]  # trainees with no completion recorded: nothing to claim for them yet


def claim_training(
    session: Session,
    source: SocialInsuranceSource,
    *,
    data_key: bytes,
    institution_code: str,
    class_ref: str,
    actor: str,
    today: date | None = None,
) -> ClassClaims:
    """The institution claims the 职业培训补贴 for each trainee of its ended class with a recorded
    completion (one claim per trainee; a trainee claimed before answers with that claim).

    Raises InstitutionNotRegistered / InstitutionNotActive (403), ClassNotFound (another
    institution's class too), ClassNotEnded and NoCompletedTrainee (409), NoRuleSetInForce."""
    institution = training.tenant(session, institution_code)
    if institution.status != InstitutionStatus.ACTIVE:
        raise InstitutionNotActive(institution.status)
    klass = training.own_class(session, institution, class_ref)
    day = today or beijing_date(utcnow())
    if klass.end_date > day:
        raise ClassNotEnded(klass.end_date)
    members = session.execute(
        select(RosterMember.id, Person, Completion.id)
        .join(Person, Person.id == RosterMember.person_id)
        .outerjoin(
            Enrolment, (Enrolment.class_id == RosterMember.class_id) & (Enrolment.person_id == Person.id)
        )
        .outerjoin(Completion, Completion.enrolment_id == Enrolment.id)
        .where(RosterMember.class_id == klass.id)
        .order_by(RosterMember.id)
    ).all()
    if not any(completion for _, _, completion in members):
        raise NoCompletedTrainee()
    filed: list[Filed] = []
    skipped: list[Skipped] = []
    for member, person, completion in members:
        if completion is None:
            skipped.append(Skipped(member, "尚无结业记录 / no completion is recorded"))
            continue
        filed.append(
            _claim_for_trainee(
                session, source, data_key=data_key, klass=klass, person=person, day=day, actor=actor
            )
        )
    return ClassClaims(filed, skipped)


def _claim_for_trainee(
    session: Session,
    source: SocialInsuranceSource,
    *,
    data_key: bytes,
    klass: TrainingClass,
    person: Person,
    day: date,
    actor: str,
) -> Filed:
    kind = SubsidyType.TRAINING

    def facts_of(prior: tuple[PriorSubsidy, ...]) -> ClaimFacts:
        answer = _insured(session, source, data_key, person)
        return ClaimFacts(
            subsidy_type=kind,
            claimed_on=day,
            person=answer.facts,
            training_class=_class_facts(session, klass, person.id),
            prior=prior,
        )

    existing = select(SubsidyClaim).where(
        SubsidyClaim.person_id == person.id,
        SubsidyClaim.subsidy_type == kind.value,
        SubsidyClaim.class_id == klass.id,
    )
    return _file(
        session,
        person=person,
        existing=existing,
        facts_of=facts_of,
        actor=actor,
        class_ref=klass.class_ref,
        class_id=klass.id,
        institution_id=klass.institution_id,
    )


# --- who may see a claim --------------------------------------------------------------------------


def get_claim(session: Session, claim_id: str) -> SubsidyClaim:
    claim = session.scalar(select(SubsidyClaim).where(SubsidyClaim.public_id == claim_id))
    if claim is None:
        raise ClaimNotFound()
    return claim


def claim_of_person(session: Session, claim_id: str, person_public_id: str) -> SubsidyClaim:
    """The worker's own claim; another person's is not found, exactly as an unknown id."""
    claim = get_claim(session, claim_id)
    if session.get_one(Person, claim.person_id).public_id != person_public_id:
        raise ClaimNotFound()
    return claim


def claim_of_institution(session: Session, claim_id: str, institution_code: str) -> SubsidyClaim:
    """A claim the institution filed; any other is not found."""
    claim = get_claim(session, claim_id)
    institution = training.tenant(session, institution_code)
    if claim.institution_id != institution.id:
        raise ClaimNotFound()
    return claim


def claims_of_person(session: Session, person: Person) -> list[SubsidyClaim]:
    """The person's claims, newest first (for their file's page)."""
    return list(
        session.scalars(
            select(SubsidyClaim)
            .where(SubsidyClaim.person_id == person.id)
            .order_by(SubsidyClaim.claimed_at.desc(), SubsidyClaim.id.desc())
        )
    )


@dataclass(frozen=True)
class ClassClaimsView:
    class_ref: str
    end_date: date
    claims: list[SubsidyClaim]


def claims_of_class(session: Session, institution_code: str, class_ref: str) -> ClassClaimsView:
    """The claims filed for one of the institution's classes, oldest first; another institution's
    class is not found (ClassNotFound), exactly as one that does not exist."""
    klass = training.own_class(session, training.tenant(session, institution_code), class_ref)
    found = session.scalars(
        select(SubsidyClaim)
        .where(SubsidyClaim.class_id == klass.id)
        .order_by(SubsidyClaim.claimed_at, SubsidyClaim.id)
    )
    return ClassClaimsView(klass.class_ref, klass.end_date, list(found))


def claims_waiting(session: Session, *, limit: int = 100, offset: int = 0) -> list[SubsidyClaim]:
    """The officers' queue: claims waiting for a decision, oldest first."""
    return list(
        session.scalars(
            select(SubsidyClaim)
            .where(SubsidyClaim.state.in_((ClaimState.WAITING.value, ClaimState.ELIGIBLE.value)))
            .order_by(SubsidyClaim.claimed_at, SubsidyClaim.id)
            .limit(limit)
            .offset(offset)
        )
    )


# --- an officer's decision ------------------------------------------------------------------------


def _checked_reason(reason: str) -> str:
    reason = reason.strip()
    problem = None
    if not REASON_MIN <= len(reason) <= REASON_MAX:
        problem = (
            f"请填写理由（{REASON_MIN}–{REASON_MAX} 个字）/ give a reason of {REASON_MIN} to "
            f"{REASON_MAX} characters"
        )
    elif (found := id_number_problem(reason)) is not None:
        problem = found
    if problem:
        raise InvalidInput(
            "审核意见有误 / the decision is invalid", [FieldError("reason", problem)], "invalid_decision"
        )
    return reason


def _facts_now(session: Session, claim: SubsidyClaim, person: Person, answer: SourceAnswer) -> ClaimFacts:
    """The claim's facts as they stand now (the certificate may have been revoked since)."""
    kind = SubsidyType(claim.subsidy_type)
    return ClaimFacts(
        subsidy_type=kind,
        claimed_on=claim.claimed_on,
        person=answer.facts,
        certificate=_certificate_facts(session, claim.certificate_number)
        if claim.certificate_number
        else None,
        training_class=_class_facts(session, session.get_one(TrainingClass, claim.class_id), person.id)
        if claim.class_id is not None
        else None,
        prior=_prior(session, person.id, excluding=claim.id),
    )


def decide(
    session: Session,
    source: SocialInsuranceSource,
    *,
    data_key: bytes,
    claim_id: str,
    approve: bool,
    reason: str,
    officer: str,
    today: date | None = None,
) -> SubsidyClaim:
    """An officer approves (which pays the person's own card account) or refuses a waiting claim.

    The approval judges the claim again on today's facts: a hard rule failing now (the certificate
    revoked since) refuses the approval, naming the rule. Raises ClaimNotFound, InvalidInput (the
    reason), ClaimDecided (decided before), ClaimFailsRules, NothingPayable, SourceUnavailable (the
    card account cannot be had: nothing is paid)."""
    found = get_claim(session, claim_id)
    claim = session.scalars(select(SubsidyClaim).where(SubsidyClaim.id == found.id).with_for_update()).one()
    session.refresh(claim)  # the state as the lock found it
    state = ClaimState(claim.state)
    if state not in (ClaimState.WAITING, ClaimState.ELIGIBLE):
        raise ClaimDecided(STATE_WORDS[state][0], STATE_WORDS[state][1])
    reason = _checked_reason(reason)
    person = session.get_one(Person, claim.person_id)
    now = utcnow()
    if not approve:
        return _refuse(session, claim, person, reason=reason, officer=officer, now=now)
    answer = _insured(session, source, data_key, person)
    decision, _ = _judge(session, _facts_now(session, claim, person, answer))
    failing = [r for r in decision.results if r.outcome is Outcome.FAILED and not r.advisory]
    if failing:
        raise ClaimFailsRules([(r.title_zh, r.title_en, r.reason) for r in failing])
    if claim.amount_fen is None or claim.amount_fen <= 0:
        raise NothingPayable()
    if answer.card_account is None:
        raise SourceUnavailable()
    return _pay(
        session,
        claim,
        person,
        account=answer.card_account,
        data_key=data_key,
        reason=reason,
        officer=officer,
        day=today or beijing_date(now),
        now=now,
    )


def _record_decision(
    session: Session, claim: SubsidyClaim, *, approved: bool, reason: str, officer: str, now: datetime
) -> None:
    try:
        with session.begin_nested():
            session.add(
                OfficerDecision(
                    claim_id=claim.id, approved=approved, reason=reason, officer=officer[:100], decided_at=now
                )
            )
    except IntegrityError:  # decided by a concurrent request that committed first
        raise ClaimDecided("审核", "decided") from None


def _refuse(
    session: Session, claim: SubsidyClaim, person: Person, *, reason: str, officer: str, now: datetime
) -> SubsidyClaim:
    _record_decision(session, claim, approved=False, reason=reason, officer=officer, now=now)
    claim.state = ClaimState.REFUSED.value
    claim.yearly_slot = claim.once_key = None  # a refused claim holds no place
    claim.updated_at = now
    session.flush()
    record_step(
        session,
        claim,
        person,
        kind=EntryKind.SUBSIDY_DECISION,
        step="refuse",
        actor=officer,
        facts={"certificate_number": claim.certificate_number, "outcome": claim.state, "reason": reason},
        audit_detail={"reason": reason},
        at=now,
    )
    return claim


def _pay(
    session: Session,
    claim: SubsidyClaim,
    person: Person,
    *,
    account: str,
    data_key: bytes,
    reason: str,
    officer: str,
    day: date,
    now: datetime,
) -> SubsidyClaim:
    _record_decision(session, claim, approved=True, reason=reason, officer=officer, now=now)
    claim.state = ClaimState.PAID.value
    claim.updated_at = now
    amount = claim.amount_fen or 0
    masked = mask_account(account)
    entry_id = record_step(
        session,
        claim,
        person,
        kind=EntryKind.SUBSIDY_PAID,
        step="pay",
        actor=officer,
        facts={
            "amount_yuan": str(yuan(amount)),
            "fund": claim.fund,
            "paid_on": day.isoformat(),
            "paid_to": PAID_TO,
            "account": masked,
            # certificates.status reads this to list the payments a revocation puts at risk
            "certificate_number": claim.certificate_number,
            "reason": reason,
        },
        audit_detail={"reason": reason, "amountYuan": str(yuan(amount)), "account": masked},
        at=now,
    )
    session.add(
        SubsidyPayment(
            claim_id=claim.id,
            person_id=person.id,
            certificate_number=claim.certificate_number,
            amount_fen=amount,
            fund=claim.fund,
            account_sealed=seal_account(data_key, account),
            account_masked=masked,
            paid_on=day,
            paid_by=officer[:100],
            recorded_at=now,
            file_entry_id=entry_id,
        )
    )
    session.flush()
    return claim


# --- what a claim looks like to its readers -------------------------------------------------------


@dataclass(frozen=True)
class RuleLine:
    rule: str
    title_zh: str
    title_en: str
    outcome: str
    reason: str
    advisory: bool


@dataclass(frozen=True)
class PaymentView:
    amount_yuan: Decimal
    fund: str
    paid_on: date
    paid_to: str
    account_masked: str


@dataclass(frozen=True)
class ClaimView:
    """A claim ready to show: every rule with its answer and why, the officer's decision, the
    payment (the account masked) and any recovery."""

    claim_id: str
    subsidy_type: SubsidyType
    state: ClaimState
    holder_name_masked: str
    id_number_masked: str
    certificate_number: str | None
    class_ref: str | None
    claimed_on: date
    qualifying_date: date
    rule_set_version: str
    rule_set_sha256: str
    verdict: str
    rules: list[RuleLine]
    amount_yuan: Decimal | None
    amount_basis: str
    fund: str
    claimed_by: str
    claimed_at: datetime
    decided_approved: bool | None
    decided_reason: str | None
    decided_by: str | None
    decided_at: datetime | None
    payment: PaymentView | None
    recovery_state: str | None


def view(session: Session, claim: SubsidyClaim) -> ClaimView:
    record = json.loads(claim.decision_json)
    person = session.get_one(Person, claim.person_id)
    officer = session.scalar(select(OfficerDecision).where(OfficerDecision.claim_id == claim.id))
    payment = session.scalar(select(SubsidyPayment).where(SubsidyPayment.claim_id == claim.id))
    recovery = (
        session.scalar(select(SubsidyRecovery).where(SubsidyRecovery.payment_id == payment.id))
        if payment
        else None
    )
    klass = session.get(TrainingClass, claim.class_id) if claim.class_id is not None else None

    return ClaimView(
        claim_id=claim.public_id,
        subsidy_type=SubsidyType(claim.subsidy_type),
        state=ClaimState(claim.state),
        holder_name_masked=mask_name(person.name),
        id_number_masked=person.id_number_masked,
        certificate_number=claim.certificate_number,
        class_ref=klass.class_ref if klass else None,
        claimed_on=claim.claimed_on,
        qualifying_date=claim.qualifying_date,
        rule_set_version=claim.rule_set_version,
        rule_set_sha256=claim.rule_set_sha256,
        verdict=record["verdict"],
        rules=[
            RuleLine(
                rule=r["rule"],
                title_zh=RULE_TITLES[r["rule"]][0],
                title_en=RULE_TITLES[r["rule"]][1],
                outcome=r["outcome"],
                reason=r["reason"],
                advisory=r["advisory"],
            )
            for r in record["results"]
        ],
        amount_yuan=yuan(claim.amount_fen) if claim.amount_fen is not None else None,
        amount_basis=record["amountBasis"],
        fund=claim.fund,
        claimed_by=claim.claimed_by,
        claimed_at=claim.claimed_at,
        decided_approved=officer.approved if officer else None,
        decided_reason=officer.reason if officer else None,
        decided_by=officer.officer if officer else None,
        decided_at=officer.decided_at if officer else None,
        payment=PaymentView(
            amount_yuan=yuan(payment.amount_fen),
            fund=payment.fund,
            paid_on=payment.paid_on,
            paid_to=PAID_TO,
            account_masked=payment.account_masked,
        )
        if payment
        else None,
        recovery_state=recovery.state if recovery else None,
    )


def views(session: Session, claims: Sequence[SubsidyClaim]) -> list[ClaimView]:
    return [view(session, claim) for claim in claims]
