"""Request bodies of the status-change endpoints (strict: unknown fields are refused)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from credential_service.core import examples
from credential_service.identity.rules import no_id_number

# Every reason code a person may choose (``superseded`` is set by a correction only).
ChosenReason = Literal["fraud", "outside_scope", "altered_scores", "duplicate", "inspection_order", "other"]


FreeText = Annotated[str, Field(min_length=2, max_length=200), AfterValidator(no_id_number)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Grounds(_Strict):
    """Why, on what evidence and on whose authority (revoke, suspend, batch revoke)."""

    model_config = ConfigDict(
        json_schema_extra=examples.listed(
            {
                "reason_code": "altered_scores",
                "evidence": "晋人社稽〔2026〕第0312号现场检查报告：技能操作成绩被改动",
                "authority": "山西省人力资源和社会保障厅 晋人社鉴〔2026〕12号",
            }
        )
    )

    reason_code: ChosenReason = Field(
        description="fraud / outside_scope / altered_scores / duplicate / inspection_order / other"
    )
    evidence: FreeText = Field(description="evidence reference, e.g. an inspection report number")
    authority: FreeText = Field(description="acting authority, e.g. 山西省人社厅 晋人社鉴〔2026〕12号")


class ReinstateIn(_Strict):
    """Lifting a suspension: the evidence and authority; a reason code is optional."""

    model_config = ConfigDict(
        json_schema_extra=examples.listed(
            {
                "evidence": "复核报告：原始评分记录与上报成绩一致，暂停理由不成立",
                "authority": "山西省职业技能鉴定指导中心 晋技鉴复〔2026〕7号",
            }
        )
    )

    reason_code: ChosenReason | None = None
    evidence: FreeText
    authority: FreeText


class SupersedeIn(_Strict):
    """A correction (更正): the corrected holder name; the old certificate is revoked as superseded."""

    model_config = ConfigDict(
        json_schema_extra=examples.listed(
            {
                "holder_name": examples.NAME,
                "evidence": "本人更正申请及户籍证明核对记录（证书误印为“王健国”）",
                "authority": "太原重型机械集团有限公司职业技能等级认定站",
            }
        )
    )

    holder_name: Annotated[str, Field(min_length=1, max_length=100), AfterValidator(no_id_number)] = Field(
        description="the holder's name as it should have been printed"
    )
    evidence: FreeText
    authority: FreeText


# The answers every status-change endpoint documents (OpenAPI).
CHANGE_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no or bad access token"},
    403: {
        "description": "not an administrator or an organisation, a token without the scope, or a "
        "suspension only the department may lift"
    },
    404: {"description": "no such certificate (also another organisation's)"},
    409: {
        "description": "the rules forbid this change now (e.g. a revoked certificate: revocation is final)"
    },
    413: {"description": "body too large"},
    422: {"description": "a field is missing or wrong (which field and why)"},
}
