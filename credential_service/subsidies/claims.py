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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from credential_service.certificates import service as certificates
from credential_service.core.clock import beijing_date, utcnow
from credential_service.core.errors import Conflict
from credential_service.identity.models import Person
from credential_service.records.rules import EntryKind
from credential_service.records.training import service as training
from credential_service.records.training.errors import InstitutionNotActive
from credential_service.records.training.models import Completion, RosterMember, TrainingClass
from credential_service.records.training.rules import InstitutionStatus
from credential_service.subsidies.errors import (
    ClaimNotFound,
    ClassNotEnded,
    NoCompletedTrainee,
)
from credential_service.subsidies.judging import (
    certificate_facts,
    certificate_from_class,
    claims_of,
    class_facts,
    counted,
    fen,
    insured,
    judge,
    places_held,
    recovered_claims,
    taken_slots,
)
from credential_service.subsidies.models import (
    ClaimState,
    SubsidyClaim,
)
from credential_service.subsidies.rules import (
    ClaimFacts,
    Decision,
    PersonFacts,
    PriorSubsidy,
    RuleSet,
    SubsidyType,
    Verdict,
)
from credential_service.subsidies.social_insurance import (
    SocialInsuranceSource,
)
from credential_service.subsidies.steps import claim_entry_facts, record_step

MAX_ATTEMPTS = 4  # a claim that lost a race is judged again; more losses than this is a conflict
_STATE_OF_VERDICT = {
    Verdict.ELIGIBLE: ClaimState.ELIGIBLE,
    Verdict.WAITS: ClaimState.WAITING,
    Verdict.REFUSED: ClaimState.REFUSED,
}


@dataclass(frozen=True)
class Filed:
    claim: SubsidyClaim
    created: bool  # False: the same claim existed already, and this is it


# --- filing a claim -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filing:
    """What one claim is about: how to find it if it was filed before, and its facts given the
    person's other claims (those counted against it, and all of them)."""

    person: Person
    existing: Select[SubsidyClaim]
    facts_of: Callable[[tuple[PriorSubsidy, ...], list[SubsidyClaim]], ClaimFacts]
    klass: TrainingClass | None = None


def certificate_filing(
    session: Session, person: Person, person_facts: PersonFacts, certificate_number: str, day: date
) -> Filing:
    """A 技能提升补贴 claim on one of the person's own certificates; another person's certificate is
    not found, exactly as an unknown number (NotFound)."""
    record = certificates.find_by_number(session, certificate_number)
    if record is None or record.holder_index != person.id_blind_index:
        raise certificates.certificate_not_found()
    kind = SubsidyType.SKILL_UPGRADE

    def facts_of(prior: tuple[PriorSubsidy, ...], _claims: list[SubsidyClaim]) -> ClaimFacts:
        certificate = certificate_facts(session, certificate_number)
        return ClaimFacts(
            subsidy_type=kind, claimed_on=day, person=person_facts, certificate=certificate, prior=prior
        )

    existing = select(SubsidyClaim).where(
        SubsidyClaim.person_id == person.id,
        SubsidyClaim.subsidy_type == kind.value,
        SubsidyClaim.certificate_number == certificate_number,
    )
    return Filing(person, existing, facts_of)


def class_filing(
    session: Session,
    *,
    person: Person,
    person_facts: PersonFacts,
    klass: TrainingClass,
    kind: SubsidyType,
    day: date,
) -> Filing:
    """A 职业培训补贴 or 生活费补贴 claim for one trainee of a class; the training subsidy names the
    certificate the class led to, when there is one (decision 035)."""

    def facts_of(prior: tuple[PriorSubsidy, ...], claims: list[SubsidyClaim]) -> ClaimFacts:
        earned = (
            certificate_from_class(session, person, klass, claims) if kind is SubsidyType.TRAINING else None
        )
        return ClaimFacts(
            subsidy_type=kind,
            claimed_on=day,
            person=person_facts,
            training_class=class_facts(session, klass, person.id),
            certificate=earned,
            prior=prior,
        )

    existing = select(SubsidyClaim).where(
        SubsidyClaim.person_id == person.id,
        SubsidyClaim.subsidy_type == kind.value,
        SubsidyClaim.class_id == klass.id,
    )
    return Filing(person, existing, facts_of, klass)


def file_claim(
    session: Session, filing: Filing, *, actor: str, accept: Callable[[Decision], None] | None = None
) -> Filed:
    """Judge and store one claim, or answer with the same claim stored before (``filing.existing``).

    ``accept`` sees the decision before anything is stored and may raise to store nothing (an
    imported payment is recorded only when every rule passes)."""
    person, klass = filing.person, filing.klass
    for _ in range(MAX_ATTEMPTS):
        found = session.scalar(filing.existing)
        if found is not None:
            return Filed(found, created=False)
        # The claims counted against this one and the places they hold, read by one statement: under
        # READ COMMITTED each statement has its own snapshot, and a claim committed between two reads
        # would hold a place without counting against the cap (two claims of a cap of one both pass).
        recovered = recovered_claims(session, person.id)
        claims = claims_of(session, person.id)
        facts = filing.facts_of(counted(claims, recovered), claims)
        decision, rule_set = judge(session, facts)
        if accept is not None:
            accept(decision)
        claim = _new_claim(facts, decision, rule_set, claims, person=person, klass=klass, actor=actor)
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
            facts=claim_entry_facts(claim, decision, klass.class_ref if klass else None),
            audit_detail={"verdict": decision.verdict.value, "ruleSetVersion": claim.rule_set_version},
            at=claim.claimed_at,
        )
        return Filed(claim, created=True)
    raise Conflict(
        "同时提交的申请过多，请稍后再试 / too many claims at the same moment: try again", "subsidy_claim_busy"
    )


def _new_claim(
    facts: ClaimFacts,
    decision: Decision,
    rule_set: RuleSet,
    claims: list[SubsidyClaim],
    *,
    person: Person,
    klass: TrainingClass | None,
    actor: str,
) -> SubsidyClaim:
    yearly_slot, once_key = places_held(facts, decision, rule_set, taken_slots(claims, facts.subsidy_type))
    now = utcnow()
    cert, cls = facts.certificate, facts.training_class
    return SubsidyClaim(
        public_id=str(uuid.uuid4()),
        subsidy_type=facts.subsidy_type.value,
        person_id=person.id,
        certificate_number=cert.number if cert else None,
        class_id=klass.id if klass else None,
        institution_id=klass.institution_id if klass else None,
        occupation_code=cert.occupation_code if cert else cls.occupation_code if cls else "",
        level=cert.level if cert and facts.subsidy_type is SubsidyType.SKILL_UPGRADE else None,
        training_type=cls.training_type if cls else None,
        claimed_on=facts.claimed_on,
        qualifying_date=decision.qualifying_date,
        state=_STATE_OF_VERDICT[decision.verdict].value,
        rule_set_version=decision.rule_set_version,
        rule_set_sha256=decision.rule_set_sha256,
        fund=rule_set.fund,
        decision_json=json.dumps(decision.as_record(), ensure_ascii=False),
        amount_fen=fen(decision.amount.yuan),
        yearly_slot=yearly_slot,
        once_key=once_key,
        claimed_by=actor[:100],
        claimed_at=now,
        updated_at=now,
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

    The same claim again answers with the first (``created`` False). Raises NotFound (another
    person's certificate too) and NoRuleSetInForce."""
    day = today or beijing_date(utcnow())
    person_facts = insured(session, source, data_key, person).facts
    filing = certificate_filing(session, person, person_facts, certificate_number, day)
    return file_claim(session, filing, actor=actor)


@dataclass(frozen=True)
class Skipped:
    member: int  # the roster row's number, as the class page names trainees
    reason: str


@dataclass(frozen=True)
class ClassClaims:
    filed: list[Filed]
    skipped: list[Skipped]  # trainees with no completion recorded: nothing to claim for them yet


CLASS_SUBSIDIES = (SubsidyType.TRAINING, SubsidyType.LIVING_ALLOWANCE)  # what an institution claims


def claim_for_class(
    session: Session,
    source: SocialInsuranceSource,
    *,
    data_key: bytes,
    institution_code: str,
    class_ref: str,
    actor: str,
    kind: SubsidyType = SubsidyType.TRAINING,
    today: date | None = None,
) -> ClassClaims:
    """The institution claims the 职业培训补贴 or the 生活费补贴 for each trainee of its ended class
    with a recorded completion (one claim per trainee and type; a trainee claimed before answers with
    that claim).

    Raises InstitutionNotRegistered / InstitutionNotActive (403), ClassNotFound (another
    institution's class too), ClassNotEnded and NoCompletedTrainee (409), NoRuleSetInForce."""
    if kind not in CLASS_SUBSIDIES:
        raise ValueError(kind)
    institution = training.tenant(session, institution_code)
    if institution.status != InstitutionStatus.ACTIVE:
        raise InstitutionNotActive(institution.status)
    klass = training.own_class(session, institution, class_ref)
    day = today or beijing_date(utcnow())
    if klass.end_date > day:
        raise ClassNotEnded(klass.end_date)
    members = session.execute(training.roster_query(klass, RosterMember.id, Person, Completion.id)).all()
    if not any(completion for _, _, completion in members):
        raise NoCompletedTrainee()
    filed: list[Filed] = []
    skipped: list[Skipped] = []
    for member, person, completion in members:
        if completion is None:
            skipped.append(Skipped(member, "尚无结业记录 / no completion is recorded"))
            continue
        person_facts = insured(session, source, data_key, person).facts
        filing = class_filing(
            session, person=person, person_facts=person_facts, klass=klass, kind=kind, day=day
        )
        filed.append(file_claim(session, filing, actor=actor))
    return ClassClaims(filed, skipped)


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
