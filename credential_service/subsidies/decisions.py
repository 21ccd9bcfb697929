"""An officer's decision on a waiting claim: approval judges the claim again on today's facts and
pays the person's own card account; refusal needs a reason (decision 032)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from credential_service.core.clock import beijing_date, utcnow
from credential_service.core.errors import FieldError, InvalidInput
from credential_service.identity.models import Person
from credential_service.identity.rules import id_number_problem
from credential_service.records.rules import EntryKind
from credential_service.records.training.models import TrainingClass
from credential_service.subsidies.claims import get_claim
from credential_service.subsidies.errors import (
    ClaimDecided,
    ClaimFailsRules,
    NothingPayable,
    SourceUnavailable,
)
from credential_service.subsidies.judging import (
    certificate_facts,
    class_facts,
    insured,
    judge,
    prior,
    yuan,
)
from credential_service.subsidies.models import (
    ClaimState,
    OfficerDecision,
    SubsidyClaim,
    SubsidyPayment,
)
from credential_service.subsidies.rules import (
    ClaimFacts,
    Outcome,
    SubsidyType,
)
from credential_service.subsidies.social_insurance import (
    SocialInsuranceSource,
    SourceAnswer,
    mask_account,
    seal_account,
)
from credential_service.subsidies.steps import record_step
from credential_service.subsidies.views import PAID_TO, STATE_WORDS

REASON_MIN, REASON_MAX = 2, 500

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
        certificate=certificate_facts(session, claim.certificate_number)
        if claim.certificate_number
        else None,
        training_class=class_facts(session, session.get_one(TrainingClass, claim.class_id), person.id)
        if claim.class_id is not None
        else None,
        prior=prior(session, person.id, excluding=claim.id),
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
    answer = insured(session, source, data_key, person)
    decision, _ = judge(session, _facts_now(session, claim, person, answer))
    failing = [r for r in decision.results if r.outcome is Outcome.FAILED and not r.advisory]
    if failing:
        raise ClaimFailsRules([(r.title_zh, r.title_en, r.reason) for r in failing])
    if claim.amount_fen is None or claim.amount_fen <= 0:
        raise NothingPayable()
    if answer.card_account is None:
        raise SourceUnavailable()
    return pay(
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


def pay(
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
    external_ref: str | None = None,
) -> SubsidyClaim:
    """Record the approval and the payment to ``account``, which the caller took from the
    social-insurance source (the person's own card account: no other payee exists)."""
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
            external_ref=external_ref,
        )
    )
    session.flush()
    return claim
