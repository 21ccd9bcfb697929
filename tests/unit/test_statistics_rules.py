"""The statistics part's pure rules: a certificate's city, tallies, the shares, the employment sheet."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from credential_service.certificates.rules import SkillLevel
from credential_service.core.sheets import SheetRow
from credential_service.statistics.rules import (
    OTHER_CITY,
    PROVINCE,
    CertificateFact,
    TrainingYear,
    best_certificates,
    city_of_credit_code,
    count_by,
    employment_row,
    employment_rows,
    key_label,
    percent,
    shares,
)

TAIYUAN, CHANGZHI = "140100", "140400"


def fact(
    holder: str | None = "p1",
    city: str | None = TAIYUAN,
    level: int = 5,
    on: date = date(2025, 5, 1),
    *,
    valid: bool = True,
    occupation: str = "6-31-01-03",
) -> CertificateFact:
    return CertificateFact(holder, city, occupation, SkillLevel(level), on, valid)


def test_the_city_is_the_prefecture_of_the_credit_codes_division() -> None:
    assert city_of_credit_code("91140105MA0XXXXXX1") == TAIYUAN  # 小店区 belongs to 太原
    assert city_of_credit_code("52141100MA0XXXXXX1") == "141100"
    assert city_of_credit_code("91140000MA0XXXXXX1") is None  # registered by the province
    assert city_of_credit_code("91110105MA0XXXXXX1") is None  # Beijing
    assert city_of_credit_code(None) is None and city_of_credit_code("9114") is None


def test_counts_list_every_city_and_level_and_months_without_gaps() -> None:
    facts = [
        fact(city=CHANGZHI, on=date(2025, 11, 30)),
        fact(city=None, on=date(2026, 2, 1), valid=False),
        fact(level=3, on=date(2025, 11, 2)),
    ]
    by_city = count_by(facts, "city")
    assert [r.key for r in by_city][:2] == [TAIYUAN, "140200"] and len(by_city) == 12
    assert by_city[-1].key == OTHER_CITY and (by_city[-1].issued, by_city[-1].valid) == (1, 0)
    assert [r.key for r in count_by(facts, "level")] == ["5", "4", "3", "2", "1"]
    months = count_by(facts, "month")
    assert [(r.key, r.issued) for r in months] == [
        ("2025-11", 2),
        ("2025-12", 0),
        ("2026-01", 0),
        ("2026-02", 1),
    ]
    assert count_by([], "month") == []
    occupations = count_by([*facts, fact(occupation="6-18-01-01")], "occupation")
    assert [(r.key, r.issued) for r in occupations] == [("6-31-01-03", 3), ("6-18-01-01", 1)]
    assert count_by([fact(city=None)], "city")[-1].key == OTHER_CITY
    assert OTHER_CITY not in [r.key for r in count_by([fact()], "city")]


def test_keys_read_in_words() -> None:
    assert key_label("city", TAIYUAN, {}) == "太原市"
    assert key_label("city", OTHER_CITY, {}).startswith("其他")
    assert key_label("level", "3", {}) == "三级/高级工"
    assert key_label("month", "2026-01", {}) == "2026年1月"
    assert key_label("occupation", "6-31-01-03", {"6-31-01-03": "电工"}) == "电工"
    assert key_label("occupation", "9-99-99-99", {}) == "9-99-99-99"


def test_each_person_counts_once_at_their_highest_valid_certificate() -> None:
    facts = [
        fact("p1", TAIYUAN, 5, date(2025, 1, 1)),
        fact("p1", CHANGZHI, 3, date(2025, 6, 1)),  # p1's highest: 长治
        fact("p1", TAIYUAN, 2, date(2025, 7, 1), valid=False),  # revoked: not held
        fact("p2", TAIYUAN, 4, date(2025, 1, 1)),
        fact("p2", CHANGZHI, 4, date(2025, 3, 1)),  # equal levels: the later one
        fact("p3", TAIYUAN, 1, date(2026, 1, 1)),  # after the year's end
        fact(None, TAIYUAN, 1, date(2025, 1, 1)),  # nobody to count
    ]
    best = best_certificates(facts, until=date(2025, 12, 31))
    assert {h: (f.city, int(f.level)) for h, f in best.items()} == {"p1": (CHANGZHI, 3), "p2": (CHANGZHI, 4)}
    cities, province = shares(facts, {TAIYUAN: 100, CHANGZHI: 4}, until=date(2025, 12, 31))
    changzhi = next(r for r in cities if r.key == CHANGZHI)
    assert (changzhi.skilled, changzhi.high_skilled) == (2, 1)
    assert changzhi.skilled_share == Fraction(1, 2) and changzhi.skilled_target_met
    assert changzhi.high_skilled_share == Fraction(1, 2) and changzhi.high_skilled_target_met
    taiyuan = next(r for r in cities if r.key == TAIYUAN)
    assert taiyuan.skilled_share == 0 and taiyuan.skilled_target_met is False
    assert taiyuan.high_skilled_share is None and taiyuan.high_skilled_target_met is None
    assert province.key == PROVINCE and province.employed is None  # nine cities have no figure
    assert (province.skilled, province.high_skilled) == (2, 1)


def test_the_province_is_the_sum_of_every_city() -> None:
    from credential_service.records.training.rules import SHANXI_CITIES

    _, province = shares([fact()], dict.fromkeys(SHANXI_CITIES, 10), until=date(2025, 12, 31))
    assert province.employed == 110 and province.skilled_share == Fraction(1, 110)


def test_percent_and_the_training_target() -> None:
    assert percent(Fraction(37, 100)) == "37.0%" and percent(None) == "—"
    year = TrainingYear(2025, 250_000)
    assert percent(year.share_of_target) == "50.0%" and not year.target_met
    assert TrainingYear(2025, 500_000).target_met


def row(number: int, **values: str) -> SheetRow:
    return SheetRow(number, values)


def test_an_employment_row_names_its_row_and_column() -> None:
    parsed, problems = employment_row(row(2, year="2025", city_code="140100", employed="2,960,000"))
    assert problems == [] and parsed is not None and parsed.employed == 2_960_000
    parsed, problems = employment_row(
        row(7, year="二〇二五", city_code="110100", city_name="北京", employed="296万", source="x" * 201)
    )
    assert parsed is None
    assert [p.loc for p in problems] == ["row 7.year", "row 7.city_code", "row 7.employed", "row 7.source"]
    assert problems[0].reason.startswith("第 7 行「年份」列：")
    _, problems = employment_row(row(3, year="2025", city_code="140100", city_name="大同市", employed="1"))
    assert [p.loc for p in problems] == ["row 3.city_name"]
    _, problems = employment_row(row(3, year="2025", city_code="140100", employed="0"))
    assert [p.loc for p in problems] == ["row 3.employed"]


def test_a_city_and_year_twice_is_refused() -> None:
    rows, problems = employment_rows(
        [
            row(2, year="2025", city_code="140100", employed="1"),
            row(3, year="2024", city_code="140100", employed="1"),
            row(4, year="2025", city_code="140100", employed="2"),
        ]
    )
    assert len(rows) == 2
    assert [p.loc for p in problems] == ["row 4.city_code"] and "第 2 行" in problems[0].reason
