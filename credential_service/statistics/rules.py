"""Pure rules of the programme statistics: where a certificate counts, how certificates are tallied,
the shares against the plan's targets, and what a row of the employment sheet must hold.

Targets: Shanxi's 2022–2025 plan (DOMAIN.md "Shanxi"): at least 500,000 subsidised trainings a year;
by the end of 2025 skilled workers (技能人才) at 37 % of the employed, high-skilled workers (高技能人才:
三级/高级工 and above) at 30 % or more of the skilled.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Literal

from credential_service.certificates.rules import SkillLevel
from credential_service.core.errors import FieldError
from credential_service.core.sheets import SheetRow, SheetShape
from credential_service.records.training.rules import SHANXI_CITIES

SKILLED_SHARE_TARGET = Fraction(37, 100)  # 技能人才占就业人员比例
HIGH_SKILLED_SHARE_TARGET = Fraction(30, 100)  # 高技能人才占技能人才比例
SUBSIDISED_TRAININGS_TARGET = 500_000  # 补贴性职业技能培训（人次/年）
HIGH_SKILLED_LEVELS = frozenset({SkillLevel.LEVEL_3, SkillLevel.LEVEL_2, SkillLevel.LEVEL_1})

Dimension = Literal["city", "occupation", "level", "month"]
DIMENSIONS: tuple[Dimension, ...] = ("city", "occupation", "level", "month")
DIMENSION_NAMES: dict[str, tuple[str, str]] = {
    "city": ("城市", "City"),
    "occupation": ("职业", "Occupation"),
    "level": ("等级", "Level"),
    "month": ("月份", "Month"),
}
# A certificate whose organisation is registered at province level or outside Shanxi (decision 038).
OTHER_CITY = "other"
OTHER_CITY_NAMES = ("其他（省级或省外登记）", "Other (registered by the province or elsewhere)")


def city_of_credit_code(credit_code: str | None) -> str | None:
    """The Shanxi prefecture (GB/T 2260, e.g. 140100) an organisation is registered in, read from its
    统一社会信用代码: characters 3–8 are the registering authority's division (GB 32100 §4), a county's
    code (140105 小店区) belongs to its prefecture (140100). None for a province-level or outside code."""
    if not credit_code or len(credit_code) != 18:
        return None
    city = credit_code[2:6] + "00"
    return city if city in SHANXI_CITIES else None


def city_name(code: str, *, english: bool = False) -> str:
    if code == OTHER_CITY:
        return OTHER_CITY_NAMES[1] if english else OTHER_CITY_NAMES[0]
    return SHANXI_CITIES.get(code, code)


@dataclass(frozen=True)
class CertificateFact:
    """What the figures read of one issued certificate: no name, no number, no ID number."""

    holder: str | None  # the holder's blind index: one person, however many certificates
    city: str | None  # the issuing organisation's prefecture; None: OTHER_CITY
    occupation: str  # 职业编码
    level: SkillLevel
    issued_on: date  # Beijing date
    valid: bool  # neither revoked, suspended nor superseded now


@dataclass(frozen=True)
class CountRow:
    key: str  # city code, occupation code, level digit or YYYY-MM
    issued: int
    valid: int


def key_of(fact: CertificateFact, by: Dimension) -> str:
    if by == "city":
        return fact.city or OTHER_CITY
    if by == "occupation":
        return fact.occupation
    if by == "level":
        return str(int(fact.level))
    return f"{fact.issued_on:%Y-%m}"


def _months_between(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:])
    months = []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def count_by(facts: Iterable[CertificateFact], by: Dimension) -> list[CountRow]:
    """Certificates issued and valid now, by one dimension. Every city and level is listed (zeros too,
    so a table and its chart always have the same rows); months run without gaps from the first to the
    last; occupations most certificates first."""
    issued: Counter[str] = Counter()
    valid: Counter[str] = Counter()
    for fact in facts:
        key = key_of(fact, by)
        issued[key] += 1
        valid[key] += fact.valid
    if by == "city":
        keys = [*SHANXI_CITIES, *([OTHER_CITY] if issued[OTHER_CITY] else [])]
    elif by == "level":
        keys = [str(int(level)) for level in sorted(SkillLevel, reverse=True)]  # 五级 first
    elif by == "month":
        keys = _months_between(min(issued), max(issued)) if issued else []
    else:
        keys = sorted(issued, key=lambda code: (-issued[code], code))
    return [CountRow(key, issued[key], valid[key]) for key in keys]


# --- the skilled and high-skilled shares ----------------------------------------------------------


@dataclass(frozen=True)
class ShareRow:
    """One city's (or the province's) skilled workers against its employed in a year."""

    key: str  # city code, or "140000" for the province
    employed: int | None  # None: no figure loaded for this city and year
    skilled: int  # holders of at least one valid certificate
    high_skilled: int  # of those, holders of a valid certificate of level 3, 2 or 1

    @property
    def skilled_share(self) -> Fraction | None:
        return Fraction(self.skilled, self.employed) if self.employed else None

    @property
    def high_skilled_share(self) -> Fraction | None:
        return Fraction(self.high_skilled, self.skilled) if self.skilled else None

    @property
    def skilled_target_met(self) -> bool | None:
        share = self.skilled_share
        return None if share is None else share >= SKILLED_SHARE_TARGET

    @property
    def high_skilled_target_met(self) -> bool | None:
        share = self.high_skilled_share
        return None if share is None else share >= HIGH_SKILLED_SHARE_TARGET


PROVINCE = "140000"


def best_certificates(facts: Iterable[CertificateFact], *, until: date) -> dict[str, CertificateFact]:
    """Each holder's highest valid certificate issued on or before ``until`` (the latest of equal
    levels): it places the person in one city, so the cities add up to the province (decision 038)."""
    best: dict[str, CertificateFact] = {}
    for fact in facts:
        if not fact.valid or fact.holder is None or fact.issued_on > until:
            continue
        held = best.get(fact.holder)
        if held is None or (-fact.level, fact.issued_on) > (-held.level, held.issued_on):
            best[fact.holder] = fact
    return best


def shares(
    facts: Iterable[CertificateFact], employed: Mapping[str, int], *, until: date
) -> tuple[list[ShareRow], ShareRow]:
    """Per city (all eleven, and OTHER_CITY when someone counts there) and for the province. The
    province's employed is the cities' sum, and only when every city's figure is loaded."""
    skilled: Counter[str] = Counter()
    high: Counter[str] = Counter()
    for fact in best_certificates(facts, until=until).values():
        city = fact.city or OTHER_CITY
        skilled[city] += 1
        high[city] += fact.level in HIGH_SKILLED_LEVELS
    keys = [*SHANXI_CITIES, *([OTHER_CITY] if skilled[OTHER_CITY] else [])]
    rows = [ShareRow(key, employed.get(key), skilled[key], high[key]) for key in keys]
    every_city = all(code in employed for code in SHANXI_CITIES)
    province = ShareRow(
        PROVINCE,
        sum(employed[code] for code in SHANXI_CITIES) if every_city else None,
        sum(skilled.values()),
        sum(high.values()),
    )
    return rows, province


def percent(share: Fraction | None) -> str:
    """``Fraction(37, 100)`` → ``37.0%``; no share → ``—``."""
    return "—" if share is None else f"{float(share) * 100:.1f}%"


# --- subsidised trainings -------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainingYear:
    year: int
    trainings: int  # paid 职业培训补贴 claims: one trainee's subsidised training (人次)

    @property
    def share_of_target(self) -> Fraction:
        return Fraction(self.trainings, SUBSIDISED_TRAININGS_TARGET)

    @property
    def target_met(self) -> bool:
        return self.trainings >= SUBSIDISED_TRAININGS_TARGET


# --- the employment sheet -------------------------------------------------------------------------

EMPLOYMENT_SHEET = SheetShape(
    columns=(
        ("年份", "year"),
        ("城市代码", "city_code"),
        ("城市", "city_name"),
        ("就业人员数", "employed"),
        ("来源", "source"),
    ),
    required=frozenset({"year", "city_code", "employed"}),
)
EMPLOYMENT_EXAMPLE = ("2025", "140100", "太原市", "2960000", "2025年太原市国民经济和社会发展统计公报")
FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_EMPLOYED = 100_000_000  # more than Shanxi's whole population: a typo (万人 × 10,000 twice)
MAX_SOURCE_CHARS = 200


@dataclass(frozen=True)
class EmploymentRow:
    year: int
    city_code: str
    employed: int
    source: str


def _cell_error(row: int, field: str, zh: str, en: str) -> FieldError:
    header = dict((f, h) for h, f in EMPLOYMENT_SHEET.columns)[field]
    message = f"第 {row} 行「{header}」列：{zh} / row {row}, column {header}: {en}"
    return FieldError(f"row {row}.{field}", message)


def _whole_number(text: str) -> int | None:
    digits = text.replace(",", "").replace("，", "").strip()
    return int(digits) if digits.isascii() and digits.isdigit() else None


def employment_row(row: SheetRow) -> tuple[EmploymentRow | None, list[FieldError]]:
    """One sheet row as an EmploymentRow, or every problem in it (each naming its row and column)."""
    values, number = row.values, row.row_number
    problems: list[FieldError] = []
    year = _whole_number(values.get("year", ""))
    if year is None or not FIRST_YEAR <= year <= LAST_YEAR:
        problems.append(
            _cell_error(number, "year", "应为四位年份，如 2025", "must be a four-digit year such as 2025")
        )
    city = values.get("city_code", "").strip()
    if city not in SHANXI_CITIES:
        problems.append(
            _cell_error(
                number,
                "city_code",
                f"“{city}”不是山西省的地级市代码（如 140100 太原市）",
                f"{city!r} is not a Shanxi city code (e.g. 140100 for Taiyuan)",
            )
        )
    name = values.get("city_name", "").strip()
    if name and city in SHANXI_CITIES and name not in (SHANXI_CITIES[city], SHANXI_CITIES[city][:-1]):
        problems.append(
            _cell_error(
                number,
                "city_name",
                f"“{name}”与城市代码 {city}（{SHANXI_CITIES[city]}）不符",
                f"{name!r} does not match the city code {city}",
            )
        )
    employed = _whole_number(values.get("employed", ""))
    if employed is None or not 0 < employed <= MAX_EMPLOYED:
        problems.append(
            _cell_error(
                number,
                "employed",
                "应为正整数（单位：人，不是万人）",
                "must be a positive whole number of persons (not 10,000s)",
            )
        )
    source = values.get("source", "").strip()
    if len(source) > MAX_SOURCE_CHARS:
        problems.append(
            _cell_error(
                number, "source", f"不超过 {MAX_SOURCE_CHARS} 字", f"at most {MAX_SOURCE_CHARS} characters"
            )
        )
    if problems or year is None or employed is None:
        return None, problems
    return EmploymentRow(year, city, employed, source), []


def employment_rows(rows: Iterable[SheetRow]) -> tuple[list[EmploymentRow], list[FieldError]]:
    """Every row of the sheet read, and every problem in it; a city and year twice is a problem."""
    read: list[EmploymentRow] = []
    problems: list[FieldError] = []
    seen: dict[tuple[int, str], int] = {}
    for row in rows:
        parsed, errors = employment_row(row)
        problems += errors
        if parsed is None:
            continue
        first = seen.setdefault((parsed.year, parsed.city_code), row.row_number)
        if first != row.row_number:
            problems.append(
                _cell_error(
                    row.row_number,
                    "city_code",
                    f"{parsed.year} 年 {SHANXI_CITIES[parsed.city_code]}已在第 {first} 行填写",
                    f"{parsed.year} {parsed.city_code} is already given in row {first}",
                )
            )
            continue
        read.append(parsed)
    return read, problems


# --- the figures as sheets (downloads) and table rows (pages) --------------------------------------

KEY_HEADERS = {"city": "城市代码", "occupation": "职业编码", "level": "等级代码", "month": "月份"}
COUNT_HEADER_TAIL = ("发证数", "当前有效证书数")


def key_label(by: Dimension, key: str, occupation_names: Mapping[str, str], *, english: bool = False) -> str:
    """A row's key in words: 太原市, 电工, 三级/高级工, 2026年11月."""
    if by == "city":
        return city_name(key, english=english)
    if by == "occupation":
        return occupation_names.get(key, key)
    if by == "level":
        level = SkillLevel(int(key))
        return level.title_en if english else level.title_zh
    return key if english else f"{key[:4]}年{int(key[5:])}月"


def count_sheet(
    by: Dimension, rows: Iterable[CountRow], occupation_names: Mapping[str, str]
) -> tuple[list[str], list[list[object]]]:
    header = [KEY_HEADERS[by], DIMENSION_NAMES[by][0], *COUNT_HEADER_TAIL]
    return header, [[r.key, key_label(by, r.key, occupation_names), r.issued, r.valid] for r in rows]


SHARES_HEADER = (
    "年份", "城市代码", "城市", "就业人员数", "技能人才", "技能人才占就业人员比例", "目标",
    "高技能人才", "高技能人才占技能人才比例", "目标",
)  # fmt: skip


def _place_name(key: str) -> str:
    return "全省" if key == PROVINCE else city_name(key)


def _share_cells(year: int, r: ShareRow) -> list[object]:
    return [
        year, r.key, _place_name(r.key), "—" if r.employed is None else r.employed,
        r.skilled, percent(r.skilled_share), percent(SKILLED_SHARE_TARGET),
        r.high_skilled, percent(r.high_skilled_share), percent(HIGH_SKILLED_SHARE_TARGET),
    ]  # fmt: skip


def shares_sheet(year: int, rows: Iterable[ShareRow]) -> tuple[list[str], list[list[object]]]:
    return list(SHARES_HEADER), [_share_cells(year, r) for r in rows]


TRAININGS_HEADER = ("年份", "补贴性职业技能培训（人次）", "年度目标（人次）", "完成比例")


def trainings_sheet(years: Iterable[TrainingYear]) -> tuple[list[str], list[list[object]]]:
    body: list[list[object]] = [
        [y.year, y.trainings, SUBSIDISED_TRAININGS_TARGET, percent(y.share_of_target)] for y in years
    ]
    return list(TRAININGS_HEADER), body
