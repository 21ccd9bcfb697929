from __future__ import annotations

import pytest

from credential_service.certificates.rules import (
    CERTIFICATE_NUMBER,
    CertificateNumberError,
    SkillLevel,
    format_number,
    number_prefix,
    parse_number,
)


def test_number_has_the_national_22_character_layout() -> None:
    number = format_number(number_prefix("Y000014010001", 2026, SkillLevel.LEVEL_3), 1)
    assert number == "Y000014010001263000001"
    assert len(number) == 22 and CERTIFICATE_NUMBER.match(number)
    parsed = parse_number(number)
    assert (parsed.org_type, parsed.mohrss_code, parsed.province, parsed.site_serial) == (
        "Y",
        "0000",
        "14",
        "010001",
    )
    assert (parsed.year, parsed.level, parsed.serial) == (26, SkillLevel.LEVEL_3, 1)
    assert str(parsed) == number


@pytest.mark.parametrize(
    "bad",
    ["X000014010001263000001", "Y00001401000126300000", "Y000014010001266000001", "Y0000140100012630000011"],
)
def test_malformed_numbers_are_refused(bad: str) -> None:
    with pytest.raises(CertificateNumberError):
        parse_number(bad)


def test_serial_bounds() -> None:
    prefix = number_prefix("S123414000001", 2031, SkillLevel.LEVEL_1)
    assert format_number(prefix, 999_999).endswith("999999")
    with pytest.raises(CertificateNumberError):
        format_number(prefix, 1_000_000)
    with pytest.raises(CertificateNumberError):
        number_prefix("Y00001401", 2026, SkillLevel.LEVEL_1)


def test_level_titles_are_printed_as_on_the_certificate() -> None:
    assert SkillLevel.LEVEL_3.title_zh == "三级/高级工"
    assert SkillLevel.LEVEL_1.title_zh == "一级/高级技师"
