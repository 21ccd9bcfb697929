"""Subsidy rules (§27 以证定补), pure: the rule-set file format (``ruleset``), and judging a claim
(``evaluation``): the facts it knows, one small function per rule, the amount, the decision.

Every figure lives in a dated, versioned rule-set file (``rulesets/*.toml``, decision 031), never in
this module: amounts, caps and deadlines change by year and province (reference/domain.md §5, §9.3).
A claim is judged by the version in force on its qualifying date (the certificate's issue date, the
class's end date); the decision records that version and the SHA-256 of its canonical JSON.

Each rule answers passed, failed or cannot tell, with a reason in Chinese then English. A source that
cannot answer (the social-insurance system, a certificate outside the registry) makes a rule "cannot
tell": the claim waits for an officer, it never passes on a guess.
"""

from __future__ import annotations

from credential_service.subsidies.rules.evaluation import (
    RULE_TITLES,
    RULES,
    Amount,
    CertificateFacts,
    ClaimFacts,
    ClassFacts,
    Decision,
    Outcome,
    PersonFacts,
    PriorSubsidy,
    RuleResult,
    Verdict,
    add_months,
    amount_for,
    evaluate,
    led_to,
    qualifying_date,
    training_days,
    verdict_of,
)
from credential_service.subsidies.rules.ruleset import (
    FORMAT,
    RULE_NAMES,
    DailyRate,
    Employment,
    LivingAllowanceParameters,
    Parameters,
    RuleSet,
    SkillUpgradeParameters,
    SourceDocument,
    SubsidyType,
    TrainingParameters,
    canonical_form,
    in_force,
    parse_rule_set,
)

__all__ = [
    "FORMAT",
    "RULES",
    "RULE_NAMES",
    "RULE_TITLES",
    "Amount",
    "CertificateFacts",
    "ClaimFacts",
    "ClassFacts",
    "DailyRate",
    "Decision",
    "Employment",
    "LivingAllowanceParameters",
    "Outcome",
    "Parameters",
    "PersonFacts",
    "PriorSubsidy",
    "RuleResult",
    "RuleSet",
    "SkillUpgradeParameters",
    "SourceDocument",
    "SubsidyType",
    "TrainingParameters",
    "Verdict",
    "add_months",
    "amount_for",
    "canonical_form",
    "evaluate",
    "in_force",
    "led_to",
    "parse_rule_set",
    "qualifying_date",
    "training_days",
    "verdict_of",
]
