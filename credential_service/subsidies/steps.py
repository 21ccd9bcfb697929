"""One step of a claim (filed, refused, paid, flagged for recovery, resolved) entered in the
person's file in words, in the audit trail and in the public log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from credential_service.audit import service as audit
from credential_service.identity.models import Person
from credential_service.records import service as records
from credential_service.records.rules import EntryKind
from credential_service.subsidies.judging import (
    yuan,
)
from credential_service.subsidies.models import (
    SubsidyClaim,
)
from credential_service.subsidies.rules import (
    Decision,
    Outcome,
    SubsidyType,
)
from credential_service.transparency import service as transparency_log
from credential_service.transparency.rules import LeafKind

# --- recording a step -----------------------------------------------------------------------------


def zh(reason: str) -> str:
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


def claim_entry_facts(claim: SubsidyClaim, decision: Decision, class_ref: str | None) -> dict[str, Any]:
    failed = [r for r in decision.results if r.outcome is not Outcome.PASSED]
    return {
        "certificate_number": claim.certificate_number,
        "class_ref": class_ref,
        "outcome": claim.state,
        "amount_yuan": str(yuan(claim.amount_fen)) if claim.amount_fen is not None else None,
        "rule_set": claim.rule_set_version,
        "reason": "；".join(f"{r.title_zh}：{zh(r.reason)}" for r in failed) or None,
    }
