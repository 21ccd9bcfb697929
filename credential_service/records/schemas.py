from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from credential_service.core import examples
from credential_service.core.inputs import IsoDate
from credential_service.identity.rules import no_id_number


class ShareLinkRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra=examples.listed({"certificate_number": examples.CERTIFICATE_NUMBER, "days": 30}),
    )

    certificate_number: str | None = Field(
        default=None, pattern=r"^[YS]\d{21}$", description="one certificate, or none for all of them"
    )
    days: int = Field(default=30, ge=1, le=365, description="how long the link works")


class PersonLookup(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra=examples.listed({"document_type": "resident_id", "id_number": examples.ID_NUMBER}),
    )

    document_type: str = Field(max_length=24)
    id_number: str = Field(max_length=20)


class RecordedCertificate(BaseModel):
    """A certificate issued elsewhere (职业资格证书, 专项职业能力证书, 培训合格证书, or an older 等级证书)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    certificate_type: Literal["职业资格证书", "专项职业能力证书", "培训合格证书", "职业技能等级证书"]
    certificate_number: str = Field(min_length=4, max_length=40)
    title: str = Field(min_length=1, max_length=100, description="occupation or special-ability name")
    level: str | None = Field(default=None, max_length=20)
    issuer: str = Field(min_length=2, max_length=200)
    issued_on: IsoDate


class SubsidyPaid(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    subsidy_type: Literal["职业培训补贴", "技能提升补贴", "生活费补贴", "职业技能鉴定补贴", "其他"]
    amount_yuan: Decimal = Field(gt=0, le=100_000, max_digits=9, decimal_places=2)
    fund: str = Field(min_length=2, max_length=60, description="e.g. 就业补助资金, 失业保险基金")
    paid_on: IsoDate
    paid_to: Literal["社会保障卡金融账户"] = "社会保障卡金融账户"
    certificate_number: str | None = Field(default=None, max_length=40)


class ExamResult(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    occupation_code: str = Field(pattern=r"^\d-\d{2}-\d{2}-\d{2}$")
    level: int = Field(ge=1, le=5)
    theory: float = Field(ge=0, le=100, allow_inf_nan=False)
    skill: float = Field(ge=0, le=100, allow_inf_nan=False)
    review: float | None = Field(default=None, ge=0, le=100, allow_inf_nan=False)
    exam_date: IsoDate
    organisation: str = Field(min_length=2, max_length=200)


class Correction(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    supersedes: int = Field(ge=1, description="the entry (seq) this one corrects")
    reason: Annotated[str, Field(min_length=4, max_length=500), AfterValidator(no_id_number)]
    facts: dict[str, str | int | float | bool | None] = Field(
        max_length=30, description="the corrected facts"
    )


class EntryPosting(BaseModel):
    """One entry recorded by staff; exactly one of the kinds is given."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra=examples.listed(
            {
                "subsidy_paid": {
                    "subsidy_type": "职业技能鉴定补贴",
                    "amount_yuan": 1200,
                    "fund": "就业补助资金",
                    "paid_on": "2026-11-30",
                    "certificate_number": examples.CERTIFICATE_NUMBER,
                }
            },
            {
                "certificate_recorded": {
                    "certificate_type": "专项职业能力证书",
                    "certificate_number": "1414010020250312",
                    "title": "手工电弧焊",
                    "issuer": "太原市职业技能鉴定中心",
                    "issued_on": "2025-06-18",
                }
            },
        ),
    )

    certificate_recorded: RecordedCertificate | None = None
    subsidy_paid: SubsidyPaid | None = None
    exam_result: ExamResult | None = None
    correction: Correction | None = None
