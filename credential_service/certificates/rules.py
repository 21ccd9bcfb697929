"""National rules for skill-level certificates (pure functions).

Sources: 人社鉴发〔2021〕1号 (certificate fields and the 22-character number);
人社部发〔2019〕... / 国家职业技能标准 (levels 5–1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum

# [YS] + 4-digit MOHRSS organisation code + 2-digit province + 6-digit site serial
# + 2-digit year + level 1–5 + 6-digit serial from the organisation.
CERTIFICATE_NUMBER = re.compile(r"^[YS]\d{4}\d{2}\d{6}\d{2}[1-5]\d{6}$")
ORGANISATION_CODE = re.compile(r"^[YS]\d{4}\d{2}\d{6}$")  # the first 13 characters
MAX_SERIAL = 999_999


class SkillLevel(IntEnum):
    """职业技能等级: 5 = 五级/初级工 … 1 = 一级/高级技师 (特级/首席技师 are not issued here)."""

    LEVEL_1 = 1
    LEVEL_2 = 2
    LEVEL_3 = 3
    LEVEL_4 = 4
    LEVEL_5 = 5

    @property
    def title_zh(self) -> str:
        return _LEVEL_TITLES[self][0]

    @property
    def title_en(self) -> str:
        return _LEVEL_TITLES[self][1]


_LEVEL_TITLES = {
    SkillLevel.LEVEL_5: ("五级/初级工", "Level 5 / Junior worker"),
    SkillLevel.LEVEL_4: ("四级/中级工", "Level 4 / Intermediate worker"),
    SkillLevel.LEVEL_3: ("三级/高级工", "Level 3 / Senior worker"),
    SkillLevel.LEVEL_2: ("二级/技师", "Level 2 / Technician"),
    SkillLevel.LEVEL_1: ("一级/高级技师", "Level 1 / Senior technician"),
}


class CertificateNumberError(ValueError):
    pass


@dataclass(frozen=True)
class CertificateNumber:
    org_type: str  # Y = 用人单位 (企业自主评价), S = 社会培训评价组织
    mohrss_code: str  # 4 digits, 0000 when registered by a province
    province: str
    site_serial: str
    year: int  # two digits, 2000-based
    level: SkillLevel
    serial: int

    def __str__(self) -> str:
        return f"{self.prefix}{self.serial:06d}"

    @property
    def organisation_code(self) -> str:
        return f"{self.org_type}{self.mohrss_code}{self.province}{self.site_serial}"

    @property
    def prefix(self) -> str:
        return f"{self.organisation_code}{self.year:02d}{int(self.level)}"


def number_prefix(organisation_code: str, year: int, level: SkillLevel) -> str:
    """The 16 characters before the serial; raises CertificateNumberError for a bad organisation code."""
    if not ORGANISATION_CODE.match(organisation_code):
        raise CertificateNumberError(
            "机构代码应为 Y/S + 4 位部级代码 + 2 位省代码 + 6 位站点序号 / "
            "organisation code must be [YS] + 12 digits"
        )
    return f"{organisation_code}{year % 100:02d}{int(level)}"


def format_number(prefix: str, serial: int) -> str:
    if not 1 <= serial <= MAX_SERIAL:
        raise CertificateNumberError("证书序号已用尽 / serial numbers for this year and level are exhausted")
    return f"{prefix}{serial:06d}"


def parse_number(text: str) -> CertificateNumber:
    """Parse a 22-character certificate number; raises CertificateNumberError if malformed."""
    if not CERTIFICATE_NUMBER.match(text):
        raise CertificateNumberError(
            "证书编号应为 22 位 / a certificate number has 22 characters: [YS] + 21 digits"
        )
    return CertificateNumber(
        org_type=text[0],
        mohrss_code=text[1:5],
        province=text[5:7],
        site_serial=text[7:13],
        year=int(text[13:15]),
        level=SkillLevel(int(text[15])),
        serial=int(text[16:22]),
    )
