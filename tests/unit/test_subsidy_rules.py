"""Subsidy rules (issue 13): each rule passing, failing and unable to tell; amounts; the overall
decision; the rule-set file format; the version in force on a date."""

from __future__ import annotations

import json
import tomllib
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from credential_service.subsidies import rules
from credential_service.subsidies.errors import InvalidRuleSet, MissingClaimFacts
from credential_service.subsidies.rules import (
    CertificateFacts,
    ClaimFacts,
    ClassFacts,
    Employment,
    Outcome,
    PersonFacts,
    PriorSubsidy,
    RuleSet,
    SubsidyType,
    Verdict,
    evaluate,
)

RULESETS = Path(rules.__file__).resolve().parents[1] / "rulesets"
WELDER, COOK, CARER = (
    "6-18-02-04",
    "4-03-02-01",
    "4-10-01-05",
)  # 焊工 (shortage), 中式烹调师, 养老护理员 (shortage)


def shipped(name: str) -> dict[str, Any]:
    return tomllib.loads((RULESETS / name).read_text("utf-8"))


def rule_set(name: str, **changes: Any) -> RuleSet:
    data = shipped(name)
    data.update(changes)
    return rules.parse_rule_set(data)


SKILL_2025 = rule_set("skill_upgrade-2025.1.toml")
SKILL_2024 = rule_set("skill_upgrade-2024.1.toml")
TRAINING = rule_set("training-shanxi-2020.1.toml")
LIVING = rule_set("living_allowance-shanxi-2020.1.toml")


def skill_claim(**changes: Any) -> ClaimFacts:
    """An eligible 技能提升补贴 claim: a level-4 welding certificate issued in March 2025."""
    facts = ClaimFacts(
        subsidy_type=SubsidyType.SKILL_UPGRADE,
        claimed_on=date(2025, 6, 1),
        person=PersonFacts(insured_months=30, employment=Employment.ENTERPRISE_EMPLOYEE),
        certificate=CertificateFacts(
            number="Y000014000001254000001",
            occupation_code=COOK,
            level=4,
            issued_on=date(2025, 3, 10),
            state="valid",
        ),
    )
    return replace(facts, **changes)


def with_person(**changes: Any) -> ClaimFacts:
    facts = skill_claim()
    return replace(facts, person=replace(facts.person, **changes))


def with_certificate(**changes: Any) -> ClaimFacts:
    facts = skill_claim()
    assert facts.certificate is not None
    return replace(facts, certificate=replace(facts.certificate, **changes))


def skill_prior(occupation: str = COOK, level: int = 4, **changes: Any) -> PriorSubsidy:
    values: dict[str, Any] = {
        "subsidy_type": SubsidyType.SKILL_UPGRADE,
        "claimed_on": date(2025, 2, 1),
        "certificate_number": "Y000014000001245000009",
        "occupation_code": occupation,
        "level": level,
    }
    return PriorSubsidy(**(values | changes))


def training_claim(kind: SubsidyType = SubsidyType.TRAINING, **class_changes: Any) -> ClaimFacts:
    """An eligible claim for a trainee of a completed 120-hour class ending in May 2025."""
    training_class = ClassFacts(
        training_type="employment_skills",
        occupation_code=COOK,
        end_date=date(2025, 5, 20),
        planned_hours=120,
        attended_hours=120,
        completion_passed=True,
    )
    return ClaimFacts(
        subsidy_type=kind,
        claimed_on=date(2025, 6, 1),
        person=PersonFacts(groups=frozenset({"rural_migrant", "employment_difficulty"})),
        training_class=replace(training_class, **class_changes),
    )


def outcome(facts: ClaimFacts, rule_set: RuleSet, rule: str) -> tuple[Outcome, str]:
    (result,) = [r for r in evaluate(facts, rule_set).results if r.rule == rule]
    return result.outcome, result.reason


def test_an_eligible_skill_upgrade_claim_passes_every_rule_and_records_its_version() -> None:
    decision = evaluate(skill_claim(), SKILL_2025)
    assert [r.outcome for r in decision.results] == [Outcome.PASSED] * len(
        rules.RULES[SubsidyType.SKILL_UPGRADE]
    )
    assert decision.verdict is Verdict.ELIGIBLE and decision.reasons == []
    assert (decision.rule_set_version, decision.rule_set_sha256) == ("2025.1", SKILL_2025.sha256)
    assert decision.qualifying_date == date(2025, 3, 10)
    assert decision.amount.yuan == Decimal(1500)
    assert decision.amount.basis == "四级/中级工 1,500 元 / level 4: 1,500 yuan"
    record = decision.as_record()
    assert record["ruleSetVersion"] == "2025.1" and record["amountYuan"] == "1500"
    assert {r["outcome"] for r in record["results"]} == {"passed"}


@pytest.mark.parametrize(
    ("facts", "rule", "expected", "reason_part"),
    [
        (with_person(insured_months=12), "insured_months_enough", Outcome.PASSED, "参保 12 个月"),
        (with_person(insured_months=11), "insured_months_enough", Outcome.FAILED, "不足 12 个月"),
        (with_person(insured_months=None), "insured_months_enough", Outcome.CANNOT_TELL, "社保系统无法提供"),
        (
            with_person(employment=Employment.UNEMPLOYMENT_BENEFIT),
            "employment_eligible",
            Outcome.PASSED,
            "领取失业保险金",
        ),
        (
            with_person(employment=Employment.FLEXIBLE),
            "employment_eligible",
            Outcome.FAILED,
            "灵活就业人员不在",
        ),
        (with_person(employment=Employment.RETIRED), "employment_eligible", Outcome.FAILED, "退休"),
        (with_person(employment=None), "employment_eligible", Outcome.CANNOT_TELL, "无法提供就业状态"),
        (with_certificate(state="revoked"), "certificate_valid_in_registry", Outcome.FAILED, "已撤销"),
        (with_certificate(state="suspended"), "certificate_valid_in_registry", Outcome.FAILED, "已暂停"),
        (with_certificate(state=None), "certificate_valid_in_registry", Outcome.CANNOT_TELL, "需人工核验"),
        (with_certificate(level=3), "certificate_level_covered", Outcome.PASSED, "三级/高级工"),
        (
            with_certificate(level=2),
            "certificate_level_covered",
            Outcome.FAILED,
            "限五级/初级工、四级/中级工、三级/高级工",
        ),
        (
            skill_claim(claimed_on=date(2026, 3, 10)),
            "claimed_within_deadline",
            Outcome.PASSED,
            "2026-03-10 前",
        ),
        (
            skill_claim(claimed_on=date(2026, 3, 11)),
            "claimed_within_deadline",
            Outcome.FAILED,
            "已超过 12 个月",
        ),
        (skill_claim(prior=(skill_prior(),)), "first_for_occupation_and_level", Outcome.FAILED, "已享受过"),
        (
            skill_claim(prior=(skill_prior(level=5),)),
            "first_for_occupation_and_level",
            Outcome.PASSED,
            "首次",
        ),
        (
            skill_claim(prior=(skill_prior(level=3),)),
            "no_higher_level_already",
            Outcome.FAILED,
            "不再补贴较低等级",
        ),
        (skill_claim(prior=(skill_prior(level=5),)), "no_higher_level_already", Outcome.PASSED, "未享受"),
        (skill_claim(prior=(skill_prior(WELDER, 3),)), "no_higher_level_already", Outcome.PASSED, "未享受"),
    ],
)
def test_each_skill_upgrade_rule(facts: ClaimFacts, rule: str, expected: Outcome, reason_part: str) -> None:
    got, reason = outcome(facts, SKILL_2025, rule)
    assert got is expected
    assert reason_part in reason and " / " in reason  # Chinese first, then English


def test_a_certificate_never_draws_both_a_training_and_a_skill_upgrade_subsidy() -> None:
    number = "Y000014000001254000001"
    trained = PriorSubsidy(
        subsidy_type=SubsidyType.TRAINING, claimed_on=date(2025, 1, 5), certificate_number=number
    )
    got, reason = outcome(skill_claim(prior=(trained,)), SKILL_2025, "not_paid_with_excluded_subsidy")
    assert got is Outcome.FAILED and "已享受职业培训补贴" in reason
    elsewhere = replace(trained, certificate_number="Y000014000001254000002")
    assert (
        outcome(skill_claim(prior=(elsewhere,)), SKILL_2025, "not_paid_with_excluded_subsidy")[0]
        is Outcome.PASSED
    )
    # and the reverse: a training claim naming a certificate that drew the skill-upgrade subsidy
    upgraded = skill_prior(certificate_number=number)
    training = replace(training_claim(), certificate=skill_claim().certificate, prior=(upgraded,))
    got, reason = outcome(training, TRAINING, "not_paid_with_excluded_subsidy")
    assert got is Outcome.FAILED and "已享受技能提升补贴" in reason


@pytest.mark.parametrize(
    ("earlier", "claimed", "expected"),
    [
        ([], COOK, Outcome.PASSED),
        ([COOK], COOK, Outcome.FAILED),  # one a year
        ([COOK], WELDER, Outcome.PASSED),  # +2 for a shortage occupation
        ([COOK, WELDER], CARER, Outcome.PASSED),
        ([COOK, WELDER, CARER], WELDER, Outcome.FAILED),  # 3 in all
        ([WELDER], COOK, Outcome.PASSED),  # the shortage claim used an extra place, not the general one
        ([WELDER, CARER], COOK, Outcome.PASSED),
        ([WELDER, CARER, WELDER], COOK, Outcome.FAILED),  # the extra places ran over into the general one
    ],
)
def test_the_yearly_cap_keeps_its_extra_places_for_shortage_occupations(
    earlier: list[str], claimed: str, expected: Outcome
) -> None:
    prior = tuple(skill_prior(code, level=5 if i % 2 else 3) for i, code in enumerate(earlier))
    facts = replace(with_certificate(occupation_code=claimed), prior=prior)
    assert outcome(facts, SKILL_2025, "within_yearly_cap")[0] is expected


def test_the_yearly_cap_counts_claims_of_the_claim_year_only() -> None:
    last_year = skill_prior(claimed_on=date(2024, 12, 31), occupation=WELDER)
    assert outcome(skill_claim(prior=(last_year,)), SKILL_2025, "within_yearly_cap")[0] is Outcome.PASSED


def test_a_failed_hard_rule_refuses_and_a_rule_that_cannot_tell_waits() -> None:
    refused = evaluate(with_person(insured_months=8, employment=None), SKILL_2025)
    assert refused.verdict is Verdict.REFUSED
    assert refused.reasons == [
        "失业保险参保 8 个月，不足 12 个月 / 8 insured months, fewer than 12",
        "社保系统无法提供就业状态 / the social-insurance source cannot tell the employment status",
    ]
    waits = evaluate(with_person(insured_months=None), SKILL_2025)
    assert waits.verdict is Verdict.WAITS and len(waits.reasons) == 1


def test_a_rule_the_file_marks_advisory_makes_the_claim_wait_instead_of_refusing() -> None:
    advisory = rule_set("skill_upgrade-2025.1.toml", advisory_rules=["claimed_within_deadline"])
    decision = evaluate(skill_claim(claimed_on=date(2026, 5, 1)), advisory)
    (late,) = [r for r in decision.results if r.outcome is Outcome.FAILED]
    assert late.rule == "claimed_within_deadline" and late.advisory
    assert decision.verdict is Verdict.WAITS
    assert evaluate(skill_claim(claimed_on=date(2026, 5, 1)), SKILL_2025).verdict is Verdict.REFUSED


def test_no_amount_for_a_level_outside_the_table() -> None:
    decision = evaluate(with_certificate(level=2), SKILL_2025)
    assert decision.amount.yuan is None and decision.verdict is Verdict.REFUSED


@pytest.mark.parametrize(
    ("attended", "planned", "yuan", "basis"),
    [
        (120, 120, 2000, "10 天 × 150 元 + 5 天 × 100 元 = 2,000 元"),
        (80, 80, 1500, "10 天 × 150 元 = 1,500 元"),
        (100, 120, 1700, "10 天 × 150 元 + 2 天 × 100 元 = 1,700 元"),  # paid on hours attended
        (160, 160, 2000, "10 天 × 150 元 + 5 天 × 100 元 = 2,000 元"),  # at most 15 days / 120 课时
        (39, 40, 600, "4 天 × 150 元 = 600 元"),  # whole days only
    ],
)
def test_the_training_subsidy_pays_150_for_the_first_ten_days_and_100_after(
    attended: int, planned: int, yuan: int, basis: str
) -> None:
    decision = evaluate(training_claim(attended_hours=attended, planned_hours=planned), TRAINING)
    assert decision.amount.yuan == Decimal(yuan)
    assert decision.amount.basis.startswith(basis)
    assert decision.verdict is Verdict.ELIGIBLE
    assert decision.qualifying_date == date(2025, 5, 20)


@pytest.mark.parametrize(
    ("facts", "rule", "expected", "reason_part"),
    [
        (training_claim(), "in_eligible_group", Outcome.PASSED, "农村转移就业劳动者"),
        (
            replace(training_claim(), person=PersonFacts(groups=frozenset())),
            "in_eligible_group",
            Outcome.FAILED,
            "不属于",
        ),
        (
            replace(training_claim(), person=PersonFacts()),
            "in_eligible_group",
            Outcome.CANNOT_TELL,
            "无法确认",
        ),
        (training_claim(end_date=date(2025, 6, 2)), "class_completed", Outcome.FAILED, "尚未结业"),
        (
            training_claim(attended_hours=None, completion_passed=None),
            "class_completed",
            Outcome.FAILED,
            "尚无结业记录",
        ),
        (training_claim(completion_passed=False), "class_completed", Outcome.FAILED, "结业考核不合格"),
        (
            training_claim(attended_hours=96),
            "attendance_enough",
            Outcome.PASSED,
            "96/120 课时（80%），不低于 80%",
        ),
        (training_claim(attended_hours=95), "attendance_enough", Outcome.FAILED, "低于 80%"),
        (training_claim(attended_hours=None), "attendance_enough", Outcome.CANNOT_TELL, "尚无出勤"),
    ],
)
def test_each_training_rule(facts: ClaimFacts, rule: str, expected: Outcome, reason_part: str) -> None:
    got, reason = outcome(facts, TRAINING, rule)
    assert got is expected
    assert reason_part in reason


def test_a_training_subsidy_once_a_year_per_training_type_except_entrepreneurship() -> None:
    def prior(kind: str, year: int = 2025) -> PriorSubsidy:
        return PriorSubsidy(
            subsidy_type=SubsidyType.TRAINING, claimed_on=date(year, 1, 10), training_type=kind
        )

    rule = "once_a_year_per_training_type"
    assert (
        outcome(replace(training_claim(), prior=(prior("employment_skills"),)), TRAINING, rule)[0]
        is Outcome.FAILED
    )
    assert (
        outcome(replace(training_claim(), prior=(prior("skill_upgrade"),)), TRAINING, rule)[0]
        is Outcome.PASSED
    )
    last_year = (prior("employment_skills", 2024),)
    assert outcome(replace(training_claim(), prior=last_year), TRAINING, rule)[0] is Outcome.PASSED
    founders = replace(training_claim(training_type="entrepreneurship"), prior=(prior("entrepreneurship"),))
    got, reason = outcome(founders, TRAINING, rule)
    assert got is Outcome.PASSED and "不限每年一次" in reason


def test_the_living_allowance_once_a_year_for_its_groups() -> None:
    facts = training_claim(SubsidyType.LIVING_ALLOWANCE, attended_hours=80, planned_hours=80)
    decision = evaluate(facts, LIVING)
    assert decision.verdict is Verdict.ELIGIBLE
    assert decision.amount.yuan is None  # the shipped version states no amount
    priced = shipped("living_allowance-shanxi-2020.1.toml")
    priced["parameters"]["yuan_per_day"] = 60  # a version that cites one
    assert evaluate(facts, rules.parse_rule_set(priced)).amount.yuan == Decimal(600)  # 10 days × 60 元
    again = replace(
        facts, prior=(PriorSubsidy(subsidy_type=SubsidyType.LIVING_ALLOWANCE, claimed_on=date(2025, 3, 1)),)
    )
    got, reason = outcome(again, LIVING, "once_a_year")
    assert got is Outcome.FAILED and "2025 年已享受生活费补贴" in reason
    outsider = replace(
        facts, person=PersonFacts(groups=frozenset({"rural_migrant"}))
    )  # a 五类人员 group only
    assert evaluate(outsider, LIVING).verdict is Verdict.REFUSED


def test_every_rule_has_its_name_in_the_file_format_and_a_title() -> None:
    assert {
        kind: tuple(f.__name__ for f in functions) for kind, functions in rules.RULES.items()
    } == rules.RULE_NAMES
    assert {f.__name__ for functions in rules.RULES.values() for f in functions} == set(rules.RULE_TITLES)


def test_a_claim_without_its_certificate_or_class_is_refused_before_judging() -> None:
    with pytest.raises(MissingClaimFacts) as missing:
        rules.qualifying_date(replace(skill_claim(), certificate=None))
    assert missing.value.errors[0].loc == "certificate"
    with pytest.raises(MissingClaimFacts):
        evaluate(replace(training_claim(), training_class=None), TRAINING)


def test_a_rule_set_judges_only_claims_of_its_type_and_dates() -> None:
    with pytest.raises(ValueError, match="cannot judge"):
        evaluate(skill_claim(), TRAINING)
    with pytest.raises(ValueError, match="not in force on 2025-03-10"):
        evaluate(skill_claim(), SKILL_2024)


def test_the_version_in_force_is_the_latest_start_covering_the_day() -> None:
    versions = [SKILL_2024, SKILL_2025]
    assert rules.in_force(versions, date(2024, 12, 31)) is SKILL_2024
    assert rules.in_force(versions, date(2025, 1, 1)) is SKILL_2025
    assert rules.in_force(versions, date(2031, 1, 1)) is SKILL_2025  # open-ended
    assert rules.in_force(versions, date(2023, 12, 31)) is None
    # An open-ended older version is taken over by a newer one from its start, without an edit.
    later = rule_set("skill_upgrade-2025.1.toml", version="2027.1", valid_from=date(2027, 1, 1))
    assert rules.in_force([*versions, later], date(2026, 12, 31)) is SKILL_2025
    assert rules.in_force([*versions, later], date(2027, 1, 1)) is later


def test_add_months_keeps_the_day_or_takes_the_last_of_the_month() -> None:
    assert rules.add_months(date(2025, 3, 10), 12) == date(2026, 3, 10)
    assert rules.add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert rules.add_months(date(2025, 8, 31), 6) == date(2026, 2, 28)


def test_comments_and_layout_are_not_content_but_a_figure_is() -> None:
    text = (RULESETS / "skill_upgrade-2025.1.toml").read_text("utf-8")
    relaid = "# another comment\n" + text.replace(" = ", "=")
    assert rules.parse_rule_set(tomllib.loads(relaid)).sha256 == SKILL_2025.sha256
    changed = text.replace('"4" = 1500', '"4" = 1600')
    assert rules.parse_rule_set(tomllib.loads(changed)).sha256 != SKILL_2025.sha256
    # the stored canonical JSON reads back to the same rule set
    assert rules.parse_rule_set(json.loads(SKILL_2025.canonical)) == SKILL_2025


def test_every_shipped_rule_set_cites_its_sources_and_dates() -> None:
    files = sorted(RULESETS.glob("*.toml"))
    assert len(files) == 4
    for path in files:
        parsed = rules.parse_rule_set(tomllib.loads(path.read_text("utf-8")))
        assert parsed.sources and all(s.title for s in parsed.sources)
        assert parsed.region == "140000" and parsed.fund in {"就业补助资金", "失业保险基金"}
        assert path.name.startswith(parsed.subsidy_type.value)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"format": 2}, "format"),
        ({"subsidy_type": "bonus"}, "subsidy_type"),
        ({"version": "two words"}, "version"),
        ({"valid_until": date(2024, 1, 1)}, "valid_until"),
        ({"valid_from": "2025-13-01"}, "valid_from"),
        ({"sources": []}, "sources"),
        ({"advisory_rules": ["no_such_rule"]}, "advisory_rules"),
        ({"surprise": 1}, "surprise"),
        ({"parameters": {}}, "parameters.min_insured_months"),
    ],
)
def test_a_wrong_file_is_refused_naming_the_field(change: dict[str, Any], field: str) -> None:
    data = shipped("skill_upgrade-2025.1.toml") | change
    with pytest.raises(InvalidRuleSet) as refused:
        rules.parse_rule_set(data, source="x.toml")
    assert field in {e.loc for e in refused.value.errors}
    assert refused.value.message.startswith("补贴规则文件 x.toml 无效")


@pytest.mark.parametrize(
    ("parameters", "field"),
    [
        ({"daily_rates": [{"from_day": 2, "to_day": 10, "yuan": 150}]}, "parameters.daily_rates[0].from_day"),
        ({"daily_rates": [{"from_day": 1, "to_day": 10, "yuan": 150}]}, "parameters.daily_rates"),  # day 15?
        ({"daily_rates": [{"from_day": 1, "to_day": 15, "yuan": -1}]}, "parameters.daily_rates[0].yuan"),
        ({"daily_rates": [{"from_day": 1, "to_day": 15, "yuan": "1.005"}]}, "parameters.daily_rates[0].yuan"),
        ({"min_attendance_percent": 101}, "parameters.min_attendance_percent"),
        ({"hours_per_day": True}, "parameters.hours_per_day"),
        ({"not_with": ["bonus"]}, "parameters.not_with"),
        ({"eligible_groups": {}}, "parameters.eligible_groups"),
    ],
)
def test_wrong_training_parameters_are_refused(parameters: dict[str, Any], field: str) -> None:
    data = shipped("training-shanxi-2020.1.toml")
    data["parameters"] = data["parameters"] | parameters
    with pytest.raises(InvalidRuleSet) as refused:
        rules.parse_rule_set(data)
    assert field in {e.loc for e in refused.value.errors}


def test_amounts_may_have_fen_written_as_text() -> None:
    data = shipped("living_allowance-shanxi-2020.1.toml")
    data["parameters"]["yuan_per_day"] = "42.50"
    parsed = rules.parse_rule_set(data)
    facts = training_claim(SubsidyType.LIVING_ALLOWANCE, attended_hours=16, planned_hours=16)
    assert rules.amount_for(facts, parsed).yuan == Decimal("85.00")


def test_a_version_without_an_amount_judges_eligibility_and_pays_nothing() -> None:
    """The shipped living-allowance version cites no Shanxi amount: it states none rather than guess."""
    parsed = rules.parse_rule_set(shipped("living_allowance-shanxi-2020.1.toml"))
    facts = training_claim(SubsidyType.LIVING_ALLOWANCE, attended_hours=16, planned_hours=16)
    amount = rules.amount_for(facts, parsed)
    assert amount.yuan is None and amount.basis.startswith("本版本规则未规定金额")
