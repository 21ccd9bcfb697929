from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from credential_service.core import examples
from credential_service.core.inputs import IsoDate
from credential_service.identity.rules import no_id_number


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Examiner(Strict):
    name: Annotated[str, Field(min_length=1, max_length=50), AfterValidator(no_id_number)]
    certificate_number: Annotated[
        str, Field(min_length=4, max_length=40, description="考评员证书编号"), AfterValidator(no_id_number)
    ]


class PlanCreate(Strict):
    model_config = ConfigDict(
        json_schema_extra=examples.listed(
            {
                "plan_ref": examples.PLAN_REF,
                "occupation_code": examples.OCCUPATION_CODE,
                "subtype": examples.SUBTYPE,
                "level": 3,  # 三级/高级工: 王建国 already holds 四级
                "exam_start": "2026-11-14",
                "exam_end": "2026-11-15",
                "examiners": [
                    {"name": "赵志刚", "certificate_number": "KPY14202403117"},
                    {"name": "孙丽华", "certificate_number": "KPY14202405026"},
                ],
            }
        )
    )

    plan_ref: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9._-]+$")
    occupation_code: str = Field(pattern=r"^\d-\d{2}-\d{2}-\d{2}$")
    subtype: str | None = Field(default=None, min_length=1, max_length=100, description="工种")
    level: int = Field(ge=1, le=5)
    exam_start: IsoDate
    exam_end: IsoDate
    examiners: list[Examiner] = Field(min_length=1, max_length=50)


class ResultRowIn(Strict):
    document_type: str = Field(max_length=24)
    id_number: str = Field(max_length=20)
    # No length here: the name rule (identity.rules.name_problem, applied in result_rows) reports a bad
    # name by its row, the same in JSON, CSV and Excel; the body limit bounds the text.
    name: str = Field(description="姓名: at most 50 characters, no control or invisible characters")
    theory: float | None = Field(default=None, allow_inf_nan=False)
    skill: float | None = Field(default=None, allow_inf_nan=False)
    review: float | None = Field(default=None, allow_inf_nan=False)


class ResultsIn(Strict):
    model_config = ConfigDict(
        json_schema_extra=examples.listed(
            {"rows": [{**examples.TRAINEE, "theory": 86, "skill": 79, "review": None}]}
        )
    )

    rows: list[ResultRowIn] = Field(min_length=1, max_length=20_000)


class ObjectionIn(Strict):
    model_config = ConfigDict(
        json_schema_extra=examples.listed(
            {"reason": "该考生技能操作考核由他人代考，2026年11月15日第二场考场监控录像可以证实"}
        )
    )

    # No ID number in it: lodge_objection checks, for the API and the page's form alike.
    reason: str = Field(
        min_length=10, max_length=1000, description="what is wrong (替考, forged documents …)"
    )


class ObjectionResolution(Strict):
    model_config = ConfigDict(
        json_schema_extra=examples.listed(
            {
                "upheld": False,
                "resolution": "经调取考场监控录像和签到照片核实，系考生本人参加考核，异议不成立",
            }
        )
    )

    upheld: bool
    resolution: Annotated[str, Field(min_length=4, max_length=1000), AfterValidator(no_id_number)]


class CalendarDayIn(Strict):
    model_config = ConfigDict(json_schema_extra=examples.listed({"kind": "holiday", "name": "元旦"}))

    kind: str = Field(pattern=r"^(holiday|workday)$")
    name: Annotated[str, Field(min_length=1, max_length=60), AfterValidator(no_id_number)]
