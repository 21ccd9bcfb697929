"""Request bodies of the subsidies API (unknown fields refused)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from credential_service.core import examples


class WorkerClaim(BaseModel):
    """技能提升补贴: one of the worker's own certificates."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra=examples.listed({"certificate_number": examples.CERTIFICATE_NUMBER}),
    )

    certificate_number: str = Field(pattern=r"^[YS]\d{21}$", description="the certificate claimed on")


class InstitutionClaim(BaseModel):
    """职业培训补贴 or 生活费补贴: the institution's ended class; one claim per trainee with a recorded
    completion."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra=examples.listed(
            {"class_ref": examples.CLASS_REF},
            {"class_ref": examples.CLASS_REF, "subsidy_type": "living_allowance"},
        ),
    )

    class_ref: str = Field(min_length=1, max_length=64, description="the institution's class reference")
    subsidy_type: Literal["training", "living_allowance"] = Field(
        default="training",
        description="training: 职业培训补贴; living_allowance: 生活费补贴 (eligible groups)",
    )


class OfficerDecisionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra=examples.listed({"decision": "approve", "reason": "材料齐全，予以发放"}),
    )

    decision: Literal["approve", "refuse"] = Field(
        description="approve: pays the amount to the person's own card account; refuse: final"
    )
    reason: str = Field(min_length=2, max_length=500, description="审核意见, shown in the person's file")


class RecoveryUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra=examples.listed({"state": "recovered", "note": "已从其社会保障卡金融账户追回"}),
    )

    state: Literal["recovered", "waived"]
    note: str = Field(min_length=2, max_length=500, description="how it was recovered, or why it is waived")
