"""The rule-set file format (decision 031), pure: one file is one version of one subsidy type's
rules, with its source documents and validity dates; ``parse_rule_set`` reads it (or its stored
canonical JSON) and reports every wrong field at once."""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from credential_service.core.errors import FieldError
from credential_service.core.inputs import OCCUPATION_CODE
from credential_service.crypto.jcs import canonical_json
from credential_service.subsidies.errors import InvalidRuleSet

FORMAT = 1  # the rule-set file format this module reads (the ``format`` key)
_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
_REGION = re.compile(r"^\d{6}$")  # GB/T 2260


class SubsidyType(StrEnum):
    TRAINING = "training"  # 职业培训补贴 (就业补助资金)
    SKILL_UPGRADE = "skill_upgrade"  # 技能提升补贴 (失业保险基金)
    LIVING_ALLOWANCE = "living_allowance"  # 生活费补贴

    @property
    def title_zh(self) -> str:
        """The name used on pages and in file entries (as ``records.schemas.SubsidyPaid`` has it)."""
        return _TYPE_TITLES[self][0]

    @property
    def title_en(self) -> str:
        return _TYPE_TITLES[self][1]


_TYPE_TITLES = {
    SubsidyType.TRAINING: ("职业培训补贴", "training subsidy"),
    SubsidyType.SKILL_UPGRADE: ("技能提升补贴", "skill-upgrade subsidy"),
    SubsidyType.LIVING_ALLOWANCE: ("生活费补贴", "living allowance"),
}


class Employment(StrEnum):
    """What the social-insurance source says a person is, for the 技能提升补贴."""

    ENTERPRISE_EMPLOYEE = "enterprise_employee"  # 企业在职职工
    UNEMPLOYMENT_BENEFIT = "unemployment_benefit"  # 领取失业保险金人员
    NON_ENTERPRISE = "non_enterprise"  # 机关事业单位等非企业单位人员
    FLEXIBLE = "flexible"  # 灵活就业人员
    RETIRED = "retired"  # 已退休或领取养老金
    OTHER = "other"

    @property
    def title_zh(self) -> str:
        return _EMPLOYMENT_TITLES[self][0]

    @property
    def title_en(self) -> str:
        return _EMPLOYMENT_TITLES[self][1]


_EMPLOYMENT_TITLES = {
    Employment.ENTERPRISE_EMPLOYEE: ("企业在职职工", "an enterprise employee"),
    Employment.UNEMPLOYMENT_BENEFIT: ("领取失业保险金人员", "drawing unemployment benefit"),
    Employment.NON_ENTERPRISE: ("非企业单位人员", "employed outside an enterprise"),
    Employment.FLEXIBLE: ("灵活就业人员", "flexibly employed"),
    Employment.RETIRED: ("退休或领取养老金人员", "retired or drawing a pension"),
    Employment.OTHER: ("其他人员", "other"),
}


# ---------------------------------------------------------------------------------------------
# The rule-set file


@dataclass(frozen=True)
class SourceDocument:
    """A document a rule set rests on: 文号 (may be empty when not found) and title."""

    document: str
    title: str
    url: str | None = None
    note: str | None = None

    @property
    def citation(self) -> str:
        return f"{self.document} 《{self.title}》" if self.document else f"《{self.title}》"


@dataclass(frozen=True)
class DailyRate:
    """``yuan`` per person per day for days ``first_day`` to ``last_day`` of training."""

    first_day: int
    last_day: int
    yuan: Decimal


@dataclass(frozen=True, kw_only=True)
class TrainingParameters:
    """职业培训补贴: claimed by the institution for each trainee of a completed class."""

    eligible_groups: Mapping[str, str]  # code → Chinese name of the group (五类人员)
    daily_rates: tuple[DailyRate, ...]
    hours_per_day: int  # 课时 per training day (80 课时 = 10 days)
    max_days: int
    max_hours: int
    min_attendance_percent: int
    completion_must_pass: bool  # 结业考核合格
    yearly_exempt_training_types: frozenset[str]  # training types not limited to once a year (创业培训)
    not_with: frozenset[SubsidyType]  # types never paid on the same certificate


@dataclass(frozen=True, kw_only=True)
class SkillUpgradeParameters:
    """技能提升补贴: claimed by the worker for a certificate."""

    min_insured_months: int  # 失业保险参保月数
    eligible_employment: frozenset[Employment]
    amounts_by_level: Mapping[int, Decimal]  # level 5/4/3 → yuan
    claim_within_months: int  # from the certificate's 发证日期
    yearly_cap: int  # per person per calendar year of the claim
    shortage_extra: int  # more a year for occupations on the shortage list (急需紧缺)
    shortage_occupations: frozenset[str]
    not_with: frozenset[SubsidyType]


@dataclass(frozen=True, kw_only=True)
class LivingAllowanceParameters:
    """生活费补贴: paid per training day attended, once a year, to the eligible groups."""

    eligible_groups: Mapping[str, str]
    yuan_per_day: Decimal | None  # None: the version states no amount (nothing is payable under it)
    hours_per_day: int
    max_days: int
    min_attendance_percent: int


Parameters = TrainingParameters | SkillUpgradeParameters | LivingAllowanceParameters

# The rules of each type, in the order they are judged (``evaluation.RULES`` holds the functions;
# a unit test keeps the two equal). ``advisory_rules`` in a file may name only these.
RULE_NAMES: dict[SubsidyType, tuple[str, ...]] = {
    SubsidyType.TRAINING: (
        "in_eligible_group",
        "class_completed",
        "attendance_enough",
        "once_a_year_per_training_type",
        "not_paid_with_excluded_subsidy",
    ),
    SubsidyType.SKILL_UPGRADE: (
        "insured_months_enough",
        "employment_eligible",
        "certificate_valid_in_registry",
        "certificate_level_covered",
        "claimed_within_deadline",
        "first_for_occupation_and_level",
        "no_higher_level_already",
        "not_paid_with_excluded_subsidy",
        "within_yearly_cap",
    ),
    SubsidyType.LIVING_ALLOWANCE: (
        "in_eligible_group",
        "class_completed",
        "attendance_enough",
        "once_a_year",
    ),
}


@dataclass(frozen=True, kw_only=True)
class RuleSet:
    """One version of one subsidy type's rules, in force from ``valid_from`` to ``valid_until``
    (inclusive; None: until a later version takes over)."""

    subsidy_type: SubsidyType
    version: str
    title: str
    region: str  # GB/T 2260 code, 140000 = 山西省
    fund: str  # 就业补助资金 / 失业保险基金
    valid_from: date
    valid_until: date | None
    sources: tuple[SourceDocument, ...]
    advisory_rules: frozenset[str]  # rules whose failure waits for an officer instead of refusing
    parameters: Parameters
    canonical: str = field(repr=False)  # RFC 8785 JSON of the file's content (comments aside)
    sha256: str

    @property
    def source_document(self) -> str:
        return "；".join(source.citation for source in self.sources)

    def in_force_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


class _Dated(Protocol):
    @property
    def valid_from(self) -> date: ...
    @property
    def valid_until(self) -> date | None: ...


D = TypeVar("D", bound=_Dated)


def in_force(versions: Iterable[D], on: date) -> D | None:
    """The version in force on ``on``: among those whose dates cover it, the one that started last
    (a new version takes over from its own start without the old file being edited)."""
    covering = [v for v in versions if v.valid_from <= on and (v.valid_until is None or on <= v.valid_until)]
    return max(covering, key=lambda v: v.valid_from, default=None)


def canonical_form(data: Mapping[str, Any]) -> str:
    """The canonical JSON (RFC 8785) of a parsed rule-set file: dates as ISO text. What is stored,
    hashed and compared, so that comments and layout of the file do not count as a change."""

    def plain(value: Any) -> Any:
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, Mapping):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        return value

    return canonical_json(plain(data)).decode("utf-8")


class _Table:
    """Reads one table of a rule-set file, collecting every problem with its path; a wrong value
    reads as a harmless default so that all problems are reported at once."""

    def __init__(self, data: object, path: str, errors: list[FieldError]) -> None:
        self.path, self.errors = path, errors
        self.data: Mapping[str, Any] = data if isinstance(data, Mapping) else {}
        self.read: set[str] = set()
        if not isinstance(data, Mapping):
            self.error(None, "应为表 / must be a table")

    def where(self, key: str | None) -> str:
        return ".".join(p for p in (self.path, key) if p) or "file"

    def error(self, key: str | None, reason: str) -> None:
        self.errors.append(FieldError(self.where(key), reason))

    def get(self, key: str, required: bool = True) -> Any:
        self.read.add(key)
        if key not in self.data and required:
            self.error(key, "缺少此项 / required")
        return self.data.get(key)

    def text(self, key: str, *, required: bool = True, pattern: re.Pattern[str] | None = None) -> str:
        value = self.get(key, required)
        if value is None:
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            self.error(key, "应为非空文字 / must be non-empty text")
            return ""
        if pattern is not None and not pattern.fullmatch(value):
            self.error(key, f"格式不对 / must match {pattern.pattern}")
        return value

    def integer(self, key: str, *, minimum: int = 0, maximum: int = 1_000_000) -> int:
        value = self.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
            if value is not None:
                self.error(
                    key, f"应为 {minimum}–{maximum} 的整数 / must be a whole number {minimum}–{maximum}"
                )
            return minimum
        return value

    def boolean(self, key: str) -> bool:
        value = self.get(key)
        if not isinstance(value, bool):
            if value is not None:
                self.error(key, "应为 true 或 false / must be true or false")
            return False
        return value

    def day(self, key: str, *, required: bool = True) -> date | None:
        value = self.get(key, required)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):  # not a date: reported below
                value = date.fromisoformat(value)
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if value is not None:
            self.error(key, "应为日期，如 2025-01-01 / must be a date such as 2025-01-01")
        return None

    def strings(self, key: str, *, required: bool = True) -> tuple[str, ...]:
        value = self.get(key, required)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self.error(key, "应为文字列表 / must be a list of text")
            return ()
        return tuple(value)

    def yuan(self, value: object, key: str) -> Decimal:
        """An amount in yuan: a whole number, or text with at most 2 decimals ("12.50")."""
        try:
            amount = Decimal(value) if isinstance(value, int | str) and not isinstance(value, bool) else None
        except InvalidOperation:
            amount = None
        exponent = amount.as_tuple().exponent if amount is not None else None
        if amount is None or not isinstance(exponent, int) or exponent < -2 or amount < 0:
            self.error(key, "应为不小于 0 的金额（元）/ must be an amount in yuan, 0 or more")
            return Decimal(0)
        return amount

    def done(self) -> None:
        for key in sorted(set(self.data) - self.read):
            self.error(key, "未知的项 / unknown key")


def _subsidy_types(table: _Table, key: str) -> frozenset[SubsidyType]:
    names = table.strings(key, required=False)
    known = {t.value for t in SubsidyType}
    for name in names:
        if name not in known:
            table.error(key, f"未知的补贴类型 {name} / unknown subsidy type {name}")
    return frozenset(SubsidyType(n) for n in names if n in known)


def _groups(table: _Table, key: str) -> Mapping[str, str]:
    groups = _Table(table.get(key), table.where(key), table.errors)
    result = {code: groups.text(code) for code in groups.data}
    if not result:
        table.error(key, "至少列出一类人员 / list at least one group")
    return result


def _attendance(table: _Table) -> int:
    return table.integer("min_attendance_percent", maximum=100)


def _training(table: _Table) -> TrainingParameters:
    rates: list[DailyRate] = []
    raw_rates = table.get("daily_rates")
    for i, raw in enumerate(raw_rates if isinstance(raw_rates, list) else []):
        row = _Table(raw, table.where(f"daily_rates[{i}]"), table.errors)
        first, last = row.integer("from_day", minimum=1), row.integer("to_day", minimum=1)
        expected = rates[-1].last_day + 1 if rates else 1
        if first != expected or last < first:
            row.error("from_day", f"应从第 {expected} 天起且不晚于 to_day / must start at day {expected}")
        rates.append(DailyRate(first, last, row.yuan(row.get("yuan"), "yuan")))
        row.done()
    max_days = table.integer("max_days", minimum=1, maximum=366)
    if not rates or rates[-1].last_day < max_days:
        table.error("daily_rates", "须连续覆盖第 1 天至 max_days / must cover day 1 to max_days")
    return TrainingParameters(
        eligible_groups=_groups(table, "eligible_groups"),
        daily_rates=tuple(rates),
        hours_per_day=table.integer("hours_per_day", minimum=1, maximum=24),
        max_days=max_days,
        max_hours=table.integer("max_hours", minimum=1),
        min_attendance_percent=_attendance(table),
        completion_must_pass=table.boolean("completion_must_pass"),
        yearly_exempt_training_types=frozenset(table.strings("yearly_exempt_training_types", required=False)),
        not_with=_subsidy_types(table, "not_with"),
    )


def _skill_upgrade(table: _Table) -> SkillUpgradeParameters:
    employment: set[Employment] = set()
    for name in table.strings("eligible_employment"):
        if name in {e.value for e in Employment}:
            employment.add(Employment(name))
        else:
            table.error("eligible_employment", f"未知的就业状态 {name} / unknown employment status {name}")
    levels = _Table(table.get("amounts_by_level"), table.where("amounts_by_level"), table.errors)
    amounts: dict[int, Decimal] = {}
    for key, value in levels.data.items():
        levels.read.add(key)
        if key not in {"1", "2", "3", "4", "5"}:
            levels.error(key, "等级应为 1–5 / the level must be 1 to 5")
            continue
        amounts[int(key)] = levels.yuan(value, key)
    if not amounts:
        table.error("amounts_by_level", "至少列出一个等级 / list at least one level")
    shortage = table.strings("shortage_occupations", required=False)
    for code in shortage:
        if not OCCUPATION_CODE.fullmatch(code):
            table.error("shortage_occupations", f"职业编码 {code} 格式不对 / {code} is not a D-DD-DD-DD code")
    return SkillUpgradeParameters(
        min_insured_months=table.integer("min_insured_months", maximum=1200),
        eligible_employment=frozenset(employment),
        amounts_by_level=amounts,
        claim_within_months=table.integer("claim_within_months", minimum=1, maximum=120),
        yearly_cap=table.integer("yearly_cap", minimum=1, maximum=100),
        shortage_extra=table.integer("shortage_extra", maximum=100),
        shortage_occupations=frozenset(shortage),
        not_with=_subsidy_types(table, "not_with"),
    )


def _living_allowance(table: _Table) -> LivingAllowanceParameters:
    return LivingAllowanceParameters(
        eligible_groups=_groups(table, "eligible_groups"),
        yuan_per_day=None
        if (v := table.get("yuan_per_day", required=False)) is None
        else table.yuan(v, "yuan_per_day"),
        hours_per_day=table.integer("hours_per_day", minimum=1, maximum=24),
        max_days=table.integer("max_days", minimum=1, maximum=366),
        min_attendance_percent=_attendance(table),
    )


_PARAMETER_READERS: dict[SubsidyType, Callable[[_Table], Parameters]] = {
    SubsidyType.TRAINING: _training,
    SubsidyType.SKILL_UPGRADE: _skill_upgrade,
    SubsidyType.LIVING_ALLOWANCE: _living_allowance,
}


def _subsidy_type(top: _Table) -> SubsidyType | None:
    name = top.text("subsidy_type")
    if name in {t.value for t in SubsidyType}:
        return SubsidyType(name)
    if name:
        top.error(
            "subsidy_type", f"应为 {', '.join(SubsidyType)} 之一 / must be one of {', '.join(SubsidyType)}"
        )
    return None


def _sources(top: _Table) -> tuple[SourceDocument, ...]:
    sources: list[SourceDocument] = []
    raw_sources = top.get("sources")
    for i, raw in enumerate(raw_sources if isinstance(raw_sources, list) else []):
        row = _Table(raw, f"sources[{i}]", top.errors)
        sources.append(
            SourceDocument(
                document=row.text("document", required=False),
                title=row.text("title"),
                url=row.text("url", required=False) or None,
                note=row.text("note", required=False) or None,
            )
        )
        row.done()
    if not sources:
        top.error("sources", "至少列出一份依据文件 / cite at least one source document")
    return tuple(sources)


def parse_rule_set(data: Mapping[str, Any], *, source: str | None = None) -> RuleSet:
    """The rule set in a parsed file (TOML) or in its stored canonical JSON (dates as text).

    Raises InvalidRuleSet naming every wrong, missing or unknown field."""
    errors: list[FieldError] = []
    top = _Table(data, "", errors)
    if top.get("format") != FORMAT:
        top.error("format", f"应为 {FORMAT} / must be {FORMAT}")
    subsidy_type = _subsidy_type(top)
    valid_from, valid_until = top.day("valid_from"), top.day("valid_until", required=False)
    if valid_from and valid_until and valid_until < valid_from:
        top.error("valid_until", "不能早于 valid_from / must not be before valid_from")
    sources = _sources(top)
    parameters_table = _Table(top.get("parameters"), "parameters", errors)
    parameters = _PARAMETER_READERS[subsidy_type](parameters_table) if subsidy_type else None
    parameters_table.done()
    advisory = top.strings("advisory_rules", required=False)
    for name in advisory:
        if subsidy_type and name not in RULE_NAMES[subsidy_type]:
            top.error("advisory_rules", f"没有名为 {name} 的规则 / no rule named {name}")
    version, title = top.text("version", pattern=_VERSION), top.text("title")
    region, fund = top.text("region", pattern=_REGION), top.text("fund")
    top.done()
    if errors or subsidy_type is None or parameters is None or valid_from is None:
        raise InvalidRuleSet(errors, source)
    canonical = canonical_form(data)
    return RuleSet(
        subsidy_type=subsidy_type,
        valid_from=valid_from,
        valid_until=valid_until,
        sources=sources,
        advisory_rules=frozenset(advisory),
        parameters=parameters,
        canonical=canonical,
        sha256=hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
        version=version,
        title=title,
        region=region,
        fund=fund,
    )
