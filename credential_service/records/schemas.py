from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

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
                "exam_result": {
                    "occupation_code": examples.OCCUPATION_CODE,
                    "level": 4,
                    "theory": 82,
                    "skill": 88,
                    "exam_date": "2026-11-08",
                    "organisation": "太原重型机械集团有限公司",
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
    exam_result: ExamResult | None = None
    correction: Correction | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_subsidy_by_hand(cls, data: Any) -> Any:
        # A payment comes only from an approved claim (decision 032), never typed in by staff.
        if isinstance(data, dict) and "subsidy_paid" in data:
            raise ValueError(
                "补贴只能由审批通过的补贴申请发放，不能直接录入 / a subsidy is paid only on an approved "
                "claim (/api/v1/subsidy-claims), never posted by hand"
            )
        return data
