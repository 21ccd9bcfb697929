"""The money half of the generated province: skill-upgrade claims judged by the rule set in force,
officers' decisions and payments, each step in the person's file (decision 041)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from credential_service.core.clock import BEIJING
from credential_service.records import service as records
from credential_service.records.rules import EntryKind
from credential_service.subsidies import service as rule_sets
from credential_service.subsidies.judging import fen, places_held, yuan
from credential_service.subsidies.models import (
    ClaimState,
    OfficerDecision,
    SubsidyClaim,
    SubsidyPayment,
)
from credential_service.subsidies.rules import (
    CertificateFacts,
    ClaimFacts,
    Decision,
    PersonFacts,
    RuleSet,
    SubsidyType,
    Verdict,
    evaluate,
)
from credential_service.subsidies.social_insurance import mask_account, seal_account
from credential_service.subsidies.steps import claim_entry_facts
from credential_service.subsidies.views import PAID_TO
from credential_service.supervision.province.bulk import (
    Sessions,
    at_hour,
    chunks,
    insert_rows,
)
from credential_service.supervision.province.plans import (
    ClaimPlan,
    World,
)


@dataclass
class _Judged:
    claim: ClaimPlan
    facts: ClaimFacts
    decision: Decision
    rule_set: RuleSet
    filed_state: ClaimState  # what the rules made of it when filed
    state: ClaimState  # where it stands now
    decided: bool | None  # the officer's approval; None: no decision recorded


_STATE_OF_VERDICT = {
    Verdict.ELIGIBLE: ClaimState.ELIGIBLE,
    Verdict.WAITS: ClaimState.WAITING,
    Verdict.REFUSED: ClaimState.REFUSED,
}


def _judge(session: Session, claim: ClaimPlan, cache: dict[date, RuleSet]) -> _Judged:
    cert = claim.certificate
    issued_on = cert.issued_at.astimezone(BEIJING).date()
    facts = ClaimFacts(
        subsidy_type=SubsidyType.SKILL_UPGRADE,
        claimed_on=claim.claimed_on,
        person=PersonFacts(insured_months=claim.insured_months, employment=claim.employment),
        certificate=CertificateFacts(
            number=cert.number,
            occupation_code=cert.occupation.code,
            level=cert.level,
            issued_on=issued_on,
            state="valid",
        ),
    )
    if issued_on not in cache:
        cache[issued_on] = rule_sets.rule_set_in_force(session, SubsidyType.SKILL_UPGRADE, issued_on)
    decision = evaluate(facts, cache[issued_on])
    filed = _STATE_OF_VERDICT[decision.verdict]
    if claim.tamper is not None:  # planted: paid whatever the rules said
        return _Judged(
            claim,
            facts,
            decision,
            cache[issued_on],
            filed,
            ClaimState.PAID,
            None if claim.tamper == "no_decision" else True,
        )
    if filed is ClaimState.REFUSED:
        return _Judged(claim, facts, decision, cache[issued_on], filed, filed, None)
    state = {"paid": ClaimState.PAID, "refused_by_officer": ClaimState.REFUSED}.get(claim.outcome, filed)
    decided = {"paid": True, "refused_by_officer": False}.get(claim.outcome)
    return _Judged(claim, facts, decision, cache[issued_on], filed, state, decided)


def _claim_row(judged: _Judged) -> dict[str, Any]:
    claim, facts, decision = judged.claim, judged.facts, judged.decision
    cert = claim.certificate
    slot, once = places_held(facts, decision, judged.rule_set, set())
    if judged.state is ClaimState.REFUSED:
        slot = once = None  # a refused claim holds no place
    claimed_at = at_hour(claim.claimed_on, 10)
    return {
        "public_id": claim.public_id,
        "subsidy_type": SubsidyType.SKILL_UPGRADE.value,
        "person_id": cert.person.db_id,
        "certificate_number": cert.number,
        "class_id": None,
        "institution_id": None,
        "occupation_code": cert.occupation.code,
        "level": cert.level,
        "training_type": None,
        "claimed_on": claim.claimed_on,
        "qualifying_date": decision.qualifying_date,
        "state": judged.filed_state.value,
        "rule_set_version": decision.rule_set_version,
        "rule_set_sha256": decision.rule_set_sha256,
        "fund": judged.rule_set.fund,
        "decision_json": json.dumps(decision.as_record(), ensure_ascii=False),
        "amount_fen": fen(decision.amount.yuan),
        "yearly_slot": slot,
        "once_key": once,
        "claimed_by": f"worker:{cert.person.public_id}",
        "claimed_at": claimed_at,
        "updated_at": claimed_at,
    }


OFFICER = "officer:province"


def claims(sessions: Sessions, world: World, data_key: bytes) -> None:
    """Skill-upgrade claims judged by the rule set in force, the officers' decisions, the payments to
    the card account, and each step in the person's file."""
    cache: dict[date, RuleSet] = {}
    for chunk in chunks(world.claims):
        with sessions() as session:
            judged = [_judge(session, claim, cache) for claim in chunk]
            rows = [_claim_row(j) for j in judged]
            filed_entries = [
                records.NewEntry(
                    j.claim.person.db_id,
                    EntryKind.SUBSIDY_CLAIM,
                    _step_facts(claim_entry_facts(SubsidyClaim(**row), j.decision, None)),
                    row["claimed_by"],
                    row["claimed_at"],
                )
                for j, row in zip(judged, rows, strict=True)
            ]
            for row, j in zip(rows, judged, strict=True):
                row["state"] = j.state.value
            ids = insert_rows(session, SubsidyClaim, rows)
            records.append_entries(session, filed_entries)
            decisions, steps, payments = [], [], []
            for j, row, claim_id in zip(judged, rows, ids, strict=True):
                j.claim.id = claim_id
                day = j.claim.claimed_on + timedelta(days=7)
                if j.decided is not None:
                    decisions.append(_decision_row(j, claim_id, day))
                if j.state is ClaimState.PAID:
                    steps.append(_paid_entry(j, row, day))
                    payments.append(_payment_row(j, row, claim_id=claim_id, day=day, data_key=data_key))
                elif j.decided is False:
                    steps.append(_refused_entry(j, row, day))
            if decisions:
                session.execute(insert(OfficerDecision), decisions)
            step_ids = records.append_entries(session, steps)
            paid_ids = iter(
                i for i, step in zip(step_ids, steps, strict=True) if step.kind is EntryKind.SUBSIDY_PAID
            )
            for payment in payments:
                payment["file_entry_id"] = next(paid_ids)
            if payments:
                session.execute(insert(SubsidyPayment), payments)


def _decision_row(j: _Judged, claim_id: int, day: date) -> dict[str, Any]:
    return {
        "claim_id": claim_id,
        "approved": j.decided,
        "reason": "材料齐全，符合条件" if j.decided else "经核查不符合申领条件",
        "officer": OFFICER,
        "decided_at": at_hour(day, 15),
    }


def _refused_entry(j: _Judged, row: dict[str, Any], day: date) -> records.NewEntry:
    facts = {
        "certificate_number": row["certificate_number"],
        "outcome": "refused",
        "reason": "经核查不符合申领条件",
    }
    return records.NewEntry(
        j.claim.person.db_id, EntryKind.SUBSIDY_DECISION, _step_facts(facts), OFFICER, at_hour(day, 15)
    )


def _step_facts(facts: dict[str, Any]) -> dict[str, Any]:
    """A claim step's entry facts, as ``subsidies.steps.record_step`` words them."""
    return {
        "subsidy_type": SubsidyType.SKILL_UPGRADE.title_zh,
        **{k: v for k, v in facts.items() if v is not None},
    }


def _paid_amount(j: _Judged, row: dict[str, Any]) -> int:
    amount = row["amount_fen"] or 100_000
    return amount + 50_000 if j.claim.tamper == "amount" else amount


def _paid_entry(j: _Judged, row: dict[str, Any], day: date) -> records.NewEntry:
    return records.NewEntry(
        j.claim.person.db_id,
        EntryKind.SUBSIDY_PAID,
        _step_facts(
            {
                "amount_yuan": str(yuan(_paid_amount(j, row))),
                "fund": row["fund"],
                "paid_on": day.isoformat(),
                "paid_to": PAID_TO,
                "account": mask_account(j.claim.account),
                "certificate_number": row["certificate_number"],
                "reason": "材料齐全，符合条件",
            }
        ),
        OFFICER,
        at_hour(day, 15),
    )


def _payment_row(
    j: _Judged, row: dict[str, Any], *, claim_id: int, day: date, data_key: bytes
) -> dict[str, Any]:
    return {
        "claim_id": claim_id,
        "person_id": j.claim.person.db_id,
        "certificate_number": row["certificate_number"],
        "amount_fen": _paid_amount(j, row),
        "fund": row["fund"],
        "account_sealed": seal_account(data_key, j.claim.account),
        "account_masked": mask_account(j.claim.account),
        "paid_on": day,
        "paid_by": OFFICER,
        "recorded_at": at_hour(day, 15),
        "external_ref": None,
    }
