"""What a claim looks like to its readers: every rule with its answer and why, the officer's
decision, the payment (the account masked) and any recovery."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from credential_service.identity.models import Person
from credential_service.identity.rules import mask_name
from credential_service.records.training.models import TrainingClass
from credential_service.subsidies.judging import (
    yuan,
)
from credential_service.subsidies.models import (
    ClaimState,
    OfficerDecision,
    SubsidyClaim,
    SubsidyPayment,
    SubsidyRecovery,
)
from credential_service.subsidies.rules import (
    RULE_TITLES,
    SubsidyType,
)

PAID_TO = "社会保障卡金融账户"  # the only payee there is (issue 13)

STATE_WORDS = {
    ClaimState.WAITING: ("待人工审核", "waiting for an officer"),
    ClaimState.ELIGIBLE: ("符合条件，待审批", "eligible, waiting for approval"),
    ClaimState.REFUSED: ("不予补贴", "refused"),
    ClaimState.PAID: ("已发放", "paid"),
}

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
