"""Request and response models of the organisation registry API (unknown fields refused).

Only shapes and sizes are checked here; the rules (credit code, codes, scope rows, overlaps, the
catalogue) are checked by ``assessment.organisations.service`` so that every message is Chinese first.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from credential_service.assessment.organisations.rules import OrganisationStatus
from credential_service.core import examples
from credential_service.identity.rules import no_id_number

MAX_SCOPE_ROWS = 500
WELDING_SCOPE = {
    "occupation_code": examples.OCCUPATION_CODE,
    "subtype": examples.SUBTYPE,
    "levels": [5, 4, 3],
    "valid_from": "2026-01-01",
    "valid_to": "2028-12-31",
}


def _iso_date(value: object) -> object:
    """A date as ``YYYY-MM-DD``, with a message people can act on."""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError("日期格式应为 YYYY-MM-DD，如 2026-01-01 / dates look like 2026-01-01") from None
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ScopeRowIn(Strict):
    """One registered row: occupation, 工种 (or none), levels, validity (both dates included)."""

    occupation_code: str = Field(max_length=20, description="职业编码 D-DD-DD-DD, e.g. 6-18-02-04")
    subtype: str | None = Field(default=None, max_length=200, description='工种; null or "--" for none')
    levels: list[int] = Field(max_length=5, description="职业技能等级 5 (五级/初级工) … 1 (一级/高级技师)")
    valid_from: IsoDate = Field(description="first day of the registration (Beijing date)")
    valid_to: IsoDate = Field(description="last day of the registration (Beijing date)")


class OrganisationCreate(Strict):
    """备案: an evaluation organisation, the parts of its code, and its scope."""

    model_config = ConfigDict(
        json_schema_extra=examples.listed(
            {
                "org_type": "Y",
                "credit_code": examples.ORGANISATION_CREDIT_CODE,
                "name": "山西晋阳重工装备有限公司",
                "mohrss_code": "0000",
                "site_serial": "010108",
                "scope": [WELDING_SCOPE],
            }
        )
    )

    org_type: str = Field(max_length=1, description="Y = 用人单位, S = 社会培训评价组织")
    credit_code: str = Field(max_length=32, description="统一社会信用代码 (GB 32100)")
    name: str = Field(max_length=200, description="机构名称, exactly as registered (备案名称)")
    mohrss_code: str = Field(
        max_length=8, description="4-digit MOHRSS code, 0000 when registered by the province"
    )
    site_serial: str = Field(max_length=12, description="6-digit site serial assigned by the province")
    scope: list[ScopeRowIn] = Field(max_length=MAX_SCOPE_ROWS)


class StatusChange(Strict):
    model_config = ConfigDict(
        json_schema_extra=examples.listed(
            {"status": "suspended", "reason": "2026年度质量督导发现考评员配备不足，暂停评价活动，限期整改"}
        )
    )

    status: OrganisationStatus = Field(description="active, suspended or exited (exit is final)")
    reason: Annotated[
        str,
        Field(max_length=500, description="why (recorded with the change; required)"),
        AfterValidator(no_id_number),
    ]


class ScopeReplace(Strict):
    model_config = ConfigDict(
        json_schema_extra=examples.listed(
            {
                "scope": [
                    WELDING_SCOPE,
                    {
                        "occupation_code": "6-31-01-03",
                        "subtype": None,
                        "levels": [5, 4],
                        "valid_from": "2026-07-01",
                        "valid_to": "2028-12-31",
                    },
                ]
            }
        )
    )

    scope: list[ScopeRowIn] = Field(max_length=MAX_SCOPE_ROWS)


class ScopeRowOut(BaseModel):
    occupation_code: str
    occupation_name: str
    subtype: str | None
    levels: list[int]
    valid_from: date
    valid_to: date


class StatusPeriodOut(BaseModel):
    status: str
    since: datetime
    reason: str


class OrganisationOut(BaseModel):
    code: str = Field(
        description="[YS] + MOHRSS code + province + site serial: starts its certificate numbers"
    )
    org_type: str
    org_type_name: str
    credit_code: str
    name: str
    did: str
    mohrss_code: str
    province_code: str
    site_serial: str
    status: OrganisationStatus
    registered_at: datetime
    scope: list[ScopeRowOut]
    status_history: list[StatusPeriodOut]
    endorsement_url: str
    endorsement_version: int


class OrganisationList(BaseModel):
    organisations: list[OrganisationOut]
    total: int
    limit: int
    offset: int
