"""Judging a claim, pure: the facts a claim knows, one small function per rule (passed, failed or
cannot tell, with a reason in Chinese then English), the amount, and the overall decision."""

from __future__ import annotations

import calendar
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

from credential_service.certificates.rules import SkillLevel
from credential_service.subsidies.errors import MissingClaimFacts
from credential_service.subsidies.rules.ruleset import (
    Employment,
    LivingAllowanceParameters,
    RuleSet,
    SkillUpgradeParameters,
    SubsidyType,
    TrainingParameters,
)

# A class leads to the certificate of its occupation issued within this many months after it ends
# (the assessment usually follows within weeks; a year covers a re-sit): a training subsidy on the
# class and a 技能提升补贴 on that certificate are the same money twice (decision 035).
TRAINING_TO_CERTIFICATE_MONTHS = 12


class Outcome(StrEnum):
    PASSED = "passed"  # 符合
    FAILED = "failed"  # 不符合
    CANNOT_TELL = "cannot_tell"  # 无法判断 (a source could not answer): the claim waits


class Verdict(StrEnum):
    ELIGIBLE = "eligible"  # 符合条件: an officer still approves
    WAITS = "waits"  # 待人工审核: some rule cannot tell, or an advisory rule failed
    REFUSED = "refused"  # 不予受理: a hard rule failed


# ---------------------------------------------------------------------------------------------
# What a claim knows


@dataclass(frozen=True, kw_only=True)
class PersonFacts:
    """About the claimant, from the social-insurance source; None wherever it cannot tell."""

    insured_months: int | None = None  # 失业保险累计参保月数
    employment: Employment | None = None
    groups: frozenset[str] | None = None  # the eligible-group codes the person belongs to


@dataclass(frozen=True, kw_only=True)
class CertificateFacts:
    number: str
    occupation_code: str
    level: int  # 5 = 五级/初级工 … 1
    issued_on: date  # 发证日期
    state: str | None  # valid / revoked / suspended / superseded in the registry; None: not in it


@dataclass(frozen=True, kw_only=True)
class ClassFacts:
    """One trainee in one class, as the institution posted it."""

    training_type: str  # records.training TrainingType value, e.g. employment_skills
    occupation_code: str
    end_date: date
    planned_hours: int
    attended_hours: int | None = None  # None: no completion (结业) recorded
    completion_passed: bool | None = None  # 结业考核; None: not recorded


@dataclass(frozen=True, kw_only=True)
class PriorSubsidy:
    """A subsidy the person already has: paid, approved or still waiting (not refused, not recovered)."""

    subsidy_type: SubsidyType
    claimed_on: date
    certificate_number: str | None = None
    occupation_code: str | None = None
    level: int | None = None
    training_type: str | None = None
    qualifying_date: date | None = None  # the class's end date (职业培训补贴), the issue date …


@dataclass(frozen=True, kw_only=True)
class ClaimFacts:
    subsidy_type: SubsidyType
    claimed_on: date  # 申领日期 (Beijing); yearly limits count claims by its calendar year
    person: PersonFacts
    certificate: CertificateFacts | None = None  # required for skill_upgrade; optional for training
    training_class: ClassFacts | None = None  # required for training and living_allowance
    prior: tuple[PriorSubsidy, ...] = ()


def qualifying_date(facts: ClaimFacts) -> date:
    """The date whose rule set judges the claim: the certificate's issue date (技能提升补贴), the
    class's end date (职业培训补贴, 生活费补贴). Raises MissingClaimFacts when that fact is absent."""
    if facts.subsidy_type is SubsidyType.SKILL_UPGRADE:
        return _certificate(facts).issued_on
    return _training_class(facts).end_date


def _certificate(facts: ClaimFacts) -> CertificateFacts:
    if facts.certificate is None:
        raise MissingClaimFacts("certificate", "技能提升补贴须凭证书申领 / a certificate is required")
    return facts.certificate


def _training_class(facts: ClaimFacts) -> ClassFacts:
    if facts.training_class is None:
        raise MissingClaimFacts("training_class", "须凭培训班申领 / a training class is required")
    return facts.training_class


# ---------------------------------------------------------------------------------------------
# The rules: each takes the facts and its type's parameters, and returns one RuleResult


@dataclass(frozen=True)
class RuleResult:
    rule: str  # the rule's function name, stable (advisory_rules in a file names it)
    outcome: Outcome
    reason: str  # 中文 / English
    advisory: bool = False  # set from the rule set: a failure waits for an officer

    @property
    def title_zh(self) -> str:
        return RULE_TITLES[self.rule][0]

    @property
    def title_en(self) -> str:
        return RULE_TITLES[self.rule][1]


# What each rule is called on a page (the reason says why it passed or not).
RULE_TITLES = {
    "in_eligible_group": ("补贴对象", "eligible group"),
    "class_completed": ("培训结业", "class completed"),
    "attendance_enough": ("出勤学时", "attendance"),
    "once_a_year_per_training_type": ("同类型每年一次", "once a year per training type"),
    "not_paid_with_excluded_subsidy": ("不重复享受", "no overlapping subsidy on the certificate"),
    "insured_months_enough": ("失业保险参保月数", "unemployment-insurance months"),
    "employment_eligible": ("就业状态", "employment status"),
    "certificate_valid_in_registry": ("证书有效", "certificate valid in the registry"),
    "certificate_level_covered": ("证书等级", "certificate level"),
    "claimed_within_deadline": ("申领期限", "claim deadline"),
    "first_for_occupation_and_level": ("同职业同等级一次", "once per occupation and level"),
    "no_higher_level_already": ("不补较低等级", "no lower level after a higher one"),
    "within_yearly_cap": ("每年次数上限", "yearly cap"),
    "once_a_year": ("每年一次", "once a year"),
}


def _result(outcome: Outcome, zh: str, en: str) -> RuleResult:
    return RuleResult(rule="", outcome=outcome, reason=f"{zh} / {en}")


def _passed(zh: str, en: str) -> RuleResult:
    return _result(Outcome.PASSED, zh, en)


def _failed(zh: str, en: str) -> RuleResult:
    return _result(Outcome.FAILED, zh, en)


def _cannot_tell(zh: str, en: str) -> RuleResult:
    return _result(Outcome.CANNOT_TELL, zh, en)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day (2024-02-29 + 12 → 2025-02-28)."""
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _level(level: int) -> str:
    return SkillLevel(level).title_zh if level in {lv.value for lv in SkillLevel} else f"{level}级"


def _same_year(facts: ClaimFacts, kind: SubsidyType) -> list[PriorSubsidy]:
    return [p for p in facts.prior if p.subsidy_type is kind and p.claimed_on.year == facts.claimed_on.year]


class _GroupParameters(Protocol):
    @property
    def eligible_groups(self) -> Mapping[str, str]: ...


class _AttendanceParameters(Protocol):
    @property
    def min_attendance_percent(self) -> int: ...


class _NotWithParameters(Protocol):
    @property
    def not_with(self) -> frozenset[SubsidyType]: ...


def in_eligible_group(facts: ClaimFacts, p: _GroupParameters) -> RuleResult:
    """The person belongs to one of the eligible groups (五类人员; 生活费补贴's groups)."""
    groups = facts.person.groups
    if groups is None:
        return _cannot_tell("无法确认是否属于补贴对象人员类别", "the source cannot tell the person's group")
    matched = [name for code, name in p.eligible_groups.items() if code in groups]
    if matched:
        return _passed(
            f"属于{'、'.join(matched)}",
            f"in an eligible group ({', '.join(sorted(groups & set(p.eligible_groups)))})",
        )
    return _failed(f"不属于补贴对象（{'、'.join(p.eligible_groups.values())}）", "not in any eligible group")


def class_completed(facts: ClaimFacts, p: TrainingParameters | LivingAllowanceParameters) -> RuleResult:
    """The class has ended and the trainee's completion (结业) is recorded (and passed, if required)."""
    cls = _training_class(facts)
    if cls.end_date > facts.claimed_on:
        return _failed(
            f"培训班 {cls.end_date.isoformat()} 结束，尚未结业",
            f"the class ends on {cls.end_date.isoformat()}",
        )
    if cls.attended_hours is None or cls.completion_passed is None:
        return _failed("尚无结业记录", "no completion is recorded for this trainee")
    must_pass = isinstance(p, TrainingParameters) and p.completion_must_pass
    if must_pass and not cls.completion_passed:
        return _failed("结业考核不合格", "the completion assessment was not passed")
    return _passed("已结业", "the class is completed")


def attendance_enough(facts: ClaimFacts, p: _AttendanceParameters) -> RuleResult:
    """Hours attended are at least the configured share of the planned hours."""
    cls = _training_class(facts)
    if cls.attended_hours is None:
        return _cannot_tell("尚无出勤学时记录", "no attended hours are recorded")
    percent = 100 * cls.attended_hours / cls.planned_hours
    text_zh = f"出勤 {cls.attended_hours}/{cls.planned_hours} 课时（{percent:.0f}%）"
    text_en = f"attended {cls.attended_hours} of {cls.planned_hours} hours ({percent:.0f}%)"
    if cls.attended_hours * 100 >= p.min_attendance_percent * cls.planned_hours:
        return _passed(
            f"{text_zh}，不低于 {p.min_attendance_percent}%",
            f"{text_en}, at least {p.min_attendance_percent}%",
        )
    return _failed(
        f"{text_zh}，低于 {p.min_attendance_percent}%", f"{text_en}, below {p.min_attendance_percent}%"
    )


def once_a_year_per_training_type(facts: ClaimFacts, p: TrainingParameters) -> RuleResult:
    """每人每年只能享受一次同一类型的职业培训补贴（不含创业培训）."""
    kind = _training_class(facts).training_type
    if kind in p.yearly_exempt_training_types:
        return _passed("此培训类型不限每年一次", "this training type is not limited to once a year")
    year = facts.claimed_on.year
    if any(prior.training_type == kind for prior in _same_year(facts, SubsidyType.TRAINING)):
        return _failed(
            f"{year} 年已享受同类型职业培训补贴", f"already had this type of training subsidy in {year}"
        )
    return _passed(f"{year} 年首次申领同类型职业培训补贴", f"the first of this type in {year}")


def not_paid_with_excluded_subsidy(facts: ClaimFacts, p: _NotWithParameters) -> RuleResult:
    """The certificate drew none of the mutually exclusive subsidies (技能提升补贴 ⟂ 职业培训补贴)."""
    if facts.certificate is None:
        return _passed("未关联证书", "no certificate is named")
    cert = facts.certificate
    number = cert.number
    clashing = [p_.subsidy_type for p_ in facts.prior if p_.subsidy_type in p.not_with and _drew_on(p_, cert)]
    if clashing:
        return _failed(
            f"证书 {number} 已享受{clashing[0].title_zh}，不能同时享受",
            f"certificate {number} already drew a {clashing[0].title_en}",
        )
    return _passed(f"证书 {number} 未享受互斥补贴", f"certificate {number} drew no exclusive subsidy")


def led_to(occupation_code: str, class_end: date, certificate: CertificateFacts) -> bool:
    """Whether a class of ``occupation_code`` ending on ``class_end`` led to ``certificate``: the same
    occupation, issued on or after the end and within TRAINING_TO_CERTIFICATE_MONTHS (decision 035)."""
    return (
        certificate.occupation_code == occupation_code
        and class_end <= certificate.issued_on <= add_months(class_end, TRAINING_TO_CERTIFICATE_MONTHS)
    )


def _drew_on(prior: PriorSubsidy, certificate: CertificateFacts) -> bool:
    """Whether an earlier subsidy was paid on this certificate: named on it, or a training subsidy
    claimed before the certificate existed for the class that led to it."""
    if prior.certificate_number is not None:
        return prior.certificate_number == certificate.number
    return (
        prior.subsidy_type is SubsidyType.TRAINING
        and prior.occupation_code is not None
        and prior.qualifying_date is not None
        and led_to(prior.occupation_code, prior.qualifying_date, certificate)
    )


def insured_months_enough(facts: ClaimFacts, p: SkillUpgradeParameters) -> RuleResult:
    """失业保险参保满规定月数 (12 months since 2022/2024; 36 before)."""
    months = facts.person.insured_months
    if months is None:
        return _cannot_tell(
            "社保系统无法提供失业保险参保月数", "the social-insurance source cannot tell the insured months"
        )
    if months >= p.min_insured_months:
        return _passed(
            f"失业保险参保 {months} 个月，不少于 {p.min_insured_months} 个月",
            f"{months} insured months, at least {p.min_insured_months}",
        )
    return _failed(
        f"失业保险参保 {months} 个月，不足 {p.min_insured_months} 个月",
        f"{months} insured months, fewer than {p.min_insured_months}",
    )


def employment_eligible(facts: ClaimFacts, p: SkillUpgradeParameters) -> RuleResult:
    """An enterprise employee, or a person drawing unemployment benefit."""
    status = facts.person.employment
    if status is None:
        return _cannot_tell(
            "社保系统无法提供就业状态", "the social-insurance source cannot tell the employment status"
        )
    if status in p.eligible_employment:
        return _passed(f"为{status.title_zh}", f"{status.title_en}")
    return _failed(f"{status.title_zh}不在补贴范围", f"{status.title_en}: not covered")


def certificate_valid_in_registry(facts: ClaimFacts, p: SkillUpgradeParameters) -> RuleResult:
    """The certificate is in the registry and valid (not revoked, suspended or superseded)."""
    cert = _certificate(facts)
    if cert.state is None:
        return _cannot_tell(
            f"证书 {cert.number} 不在本系统证书库，需人工核验",
            f"certificate {cert.number} is not in the registry: check it by hand",
        )
    if cert.state == "valid":
        return _passed(f"证书 {cert.number} 有效", f"certificate {cert.number} is valid")
    state_zh = {"revoked": "已撤销", "suspended": "已暂停", "superseded": "已更正作废"}.get(
        cert.state, "无效"
    )
    return _failed(f"证书 {cert.number} {state_zh}", f"certificate {cert.number} is {cert.state}")


def certificate_level_covered(facts: ClaimFacts, p: SkillUpgradeParameters) -> RuleResult:
    """Only the levels with an amount (五级/四级/三级) are subsidised."""
    level = _certificate(facts).level
    if level in p.amounts_by_level:
        return _passed(f"{_level(level)}在补贴范围", f"level {level} is covered")
    covered = "、".join(_level(lv) for lv in sorted(p.amounts_by_level, reverse=True))
    return _failed(f"{_level(level)}不在补贴范围（限{covered}）", f"level {level} is not covered")


def claimed_within_deadline(facts: ClaimFacts, p: SkillUpgradeParameters) -> RuleResult:
    """Claimed within N months of the 发证日期 (逾期不予受理)."""
    issued = _certificate(facts).issued_on
    deadline = add_months(issued, p.claim_within_months)
    if facts.claimed_on <= deadline:
        return _passed(
            f"发证日期 {issued.isoformat()}，在 {deadline.isoformat()} 前申领",
            f"issued {issued.isoformat()}, claimed by {deadline.isoformat()}",
        )
    return _failed(
        f"发证日期 {issued.isoformat()}，已超过 {p.claim_within_months} 个月申领期限"
        f"（{deadline.isoformat()}）",
        f"issued {issued.isoformat()}: the {p.claim_within_months}-month deadline "
        f"({deadline.isoformat()}) has passed",
    )


def first_for_occupation_and_level(facts: ClaimFacts, p: SkillUpgradeParameters) -> RuleResult:
    """同一职业（工种）同一等级只能享受一次."""
    cert = _certificate(facts)
    same = (cert.occupation_code, cert.level)
    for prior in facts.prior:
        if prior.subsidy_type is SubsidyType.SKILL_UPGRADE and (prior.occupation_code, prior.level) == same:
            return _failed(
                f"{cert.occupation_code} {_level(cert.level)}已享受过技能提升补贴",
                f"already subsidised for {cert.occupation_code} level {cert.level}",
            )
    return _passed(
        f"{cert.occupation_code} {_level(cert.level)}首次申领",
        f"first claim for {cert.occupation_code} level {cert.level}",
    )


def no_higher_level_already(facts: ClaimFacts, p: SkillUpgradeParameters) -> RuleResult:
    """已享受同职业较高等级补贴的，不再享受较低等级 (level 3 is higher than level 4)."""
    cert = _certificate(facts)
    higher = [
        prior.level
        for prior in facts.prior
        if prior.subsidy_type is SubsidyType.SKILL_UPGRADE
        and prior.occupation_code == cert.occupation_code
        and prior.level is not None
        and prior.level < cert.level
    ]
    if higher:
        return _failed(
            f"已享受 {cert.occupation_code} {_level(min(higher))}补贴，不再补贴较低等级",
            f"already subsidised for level {min(higher)} of {cert.occupation_code}: no lower level",
        )
    return _passed("未享受同职业较高等级补贴", "no higher level of this occupation was subsidised")


def within_yearly_cap(facts: ClaimFacts, p: SkillUpgradeParameters) -> RuleResult:
    """At most ``yearly_cap`` a year, plus ``shortage_extra`` for occupations on the shortage list.

    The extra places serve shortage occupations only: earlier shortage claims fill them first, so
    they take the general place only when the extra ones are used up."""
    cert = _certificate(facts)
    year = facts.claimed_on.year
    earlier = _same_year(facts, SubsidyType.SKILL_UPGRADE)
    shortage = sum(1 for prior in earlier if prior.occupation_code in p.shortage_occupations)
    other = len(earlier) - shortage
    is_shortage = cert.occupation_code in p.shortage_occupations
    if is_shortage:
        allowed, used = p.yearly_cap + p.shortage_extra, shortage + other
    else:
        allowed, used = p.yearly_cap, other + max(0, shortage - p.shortage_extra)
    what_zh = "（急需紧缺职业）" if is_shortage and p.shortage_extra else ""
    if used < allowed:
        return _passed(
            f"{year} 年已享受 {len(earlier)} 次，未超过每年上限{what_zh}",
            f"{len(earlier)} so far in {year}, within the yearly cap",
        )
    return _failed(
        f"{year} 年已享受 {len(earlier)} 次，达到每年上限{what_zh}",
        f"{len(earlier)} so far in {year}: the yearly cap is reached",
    )


def once_a_year(facts: ClaimFacts, p: LivingAllowanceParameters) -> RuleResult:
    """生活费补贴每人每年一次."""
    year = facts.claimed_on.year
    if _same_year(facts, SubsidyType.LIVING_ALLOWANCE):
        return _failed(f"{year} 年已享受生活费补贴", f"already had a living allowance in {year}")
    return _passed(f"{year} 年首次申领", f"the first in {year}")


RULES: dict[SubsidyType, tuple[Callable[[ClaimFacts, Any], RuleResult], ...]] = {
    SubsidyType.TRAINING: (
        in_eligible_group,
        class_completed,
        attendance_enough,
        once_a_year_per_training_type,
        not_paid_with_excluded_subsidy,
    ),
    SubsidyType.SKILL_UPGRADE: (
        insured_months_enough,
        employment_eligible,
        certificate_valid_in_registry,
        certificate_level_covered,
        claimed_within_deadline,
        first_for_occupation_and_level,
        no_higher_level_already,
        not_paid_with_excluded_subsidy,
        within_yearly_cap,
    ),
    SubsidyType.LIVING_ALLOWANCE: (in_eligible_group, class_completed, attendance_enough, once_a_year),
}


# ---------------------------------------------------------------------------------------------
# Amounts and the decision


@dataclass(frozen=True)
class Amount:
    yuan: Decimal | None  # None: nothing can be paid (e.g. a level without an amount)
    basis: str  # how it was computed, 中文 / English


def _yuan_text(amount: Decimal) -> str:
    return f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"


def training_days(cls: ClassFacts, *, hours_per_day: int, max_days: int, max_hours: int | None = None) -> int:
    """Whole training days paid: hours attended (never more than planned, nor the cap) ÷ 课时 a day."""
    hours = min(
        cls.attended_hours or 0, cls.planned_hours, max_hours if max_hours is not None else cls.planned_hours
    )
    return min(hours // hours_per_day, max_days)


def amount_for(facts: ClaimFacts, rule_set: RuleSet) -> Amount:
    """What the claim would pay under ``rule_set``."""
    p = rule_set.parameters
    if isinstance(p, SkillUpgradeParameters):
        level = _certificate(facts).level
        yuan = p.amounts_by_level.get(level)
        if yuan is None:
            return Amount(None, f"{_level(level)}无补贴标准 / no amount for level {level}")
        return Amount(yuan, f"{_level(level)} {_yuan_text(yuan)} 元 / level {level}: {_yuan_text(yuan)} yuan")
    cls = _training_class(facts)
    if isinstance(p, TrainingParameters):
        days = training_days(cls, hours_per_day=p.hours_per_day, max_days=p.max_days, max_hours=p.max_hours)
        parts = [
            (min(days, r.last_day) - r.first_day + 1, r.yuan) for r in p.daily_rates if r.first_day <= days
        ]
    else:
        if p.yuan_per_day is None:
            return Amount(None, "本版本规则未规定金额 / this version sets no amount")
        days = training_days(cls, hours_per_day=p.hours_per_day, max_days=p.max_days)
        parts = [(days, p.yuan_per_day)] if days else []
    total = sum((n * yuan for n, yuan in parts), Decimal(0))
    terms = " + ".join(f"{n} 天 × {_yuan_text(yuan)} 元" for n, yuan in parts) or "0 天"
    terms_en = " + ".join(f"{n} days × {_yuan_text(yuan)} yuan" for n, yuan in parts) or "0 days"
    return Amount(total, f"{terms} = {_yuan_text(total)} 元 / {terms_en} = {_yuan_text(total)} yuan")


@dataclass(frozen=True)
class Decision:
    """The rules' answer to one claim; an eligible claim still needs an officer's approval."""

    subsidy_type: SubsidyType
    rule_set_version: str
    rule_set_sha256: str
    qualifying_date: date
    verdict: Verdict
    results: tuple[RuleResult, ...]
    amount: Amount

    @property
    def reasons(self) -> list[str]:
        """Why the claim is refused or waits: the failed and cannot-tell rules' reasons."""
        return [r.reason for r in self.results if r.outcome is not Outcome.PASSED]

    def as_record(self) -> dict[str, Any]:
        """The decision as JSON-ready data, to store with the claim (amount as decimal text)."""
        return {
            "subsidyType": self.subsidy_type.value,
            "ruleSetVersion": self.rule_set_version,
            "ruleSetSha256": self.rule_set_sha256,
            "qualifyingDate": self.qualifying_date.isoformat(),
            "verdict": self.verdict.value,
            "results": [
                {"rule": r.rule, "outcome": r.outcome.value, "reason": r.reason, "advisory": r.advisory}
                for r in self.results
            ],
            "amountYuan": None if self.amount.yuan is None else str(self.amount.yuan),
            "amountBasis": self.amount.basis,
        }


def verdict_of(results: Sequence[RuleResult]) -> Verdict:
    """Any hard rule failed → refused; else any rule failed (advisory) or cannot tell → waits."""
    if any(r.outcome is Outcome.FAILED and not r.advisory for r in results):
        return Verdict.REFUSED
    if any(r.outcome is not Outcome.PASSED for r in results):
        return Verdict.WAITS
    return Verdict.ELIGIBLE


def evaluate(facts: ClaimFacts, rule_set: RuleSet) -> Decision:
    """Judge ``facts`` by ``rule_set``, every rule of its type in order.

    Raises MissingClaimFacts when the claim lacks its certificate or class, and ValueError when the
    rule set is of another type or not in force on the claim's qualifying date (pick it with
    ``in_force``)."""
    if rule_set.subsidy_type is not facts.subsidy_type:
        raise ValueError(f"a {rule_set.subsidy_type} rule set cannot judge a {facts.subsidy_type} claim")
    day = qualifying_date(facts)
    if not rule_set.in_force_on(day):
        raise ValueError(f"rule set {rule_set.version} is not in force on {day.isoformat()}")
    results = tuple(
        replace(
            rule(facts, rule_set.parameters),
            rule=rule.__name__,
            advisory=rule.__name__ in rule_set.advisory_rules,
        )
        for rule in RULES[facts.subsidy_type]
    )
    return Decision(
        subsidy_type=facts.subsidy_type,
        rule_set_version=rule_set.version,
        rule_set_sha256=rule_set.sha256,
        qualifying_date=day,
        verdict=verdict_of(results),
        results=results,
        amount=amount_for(facts, rule_set),
    )
