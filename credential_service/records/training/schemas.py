"""Request and response models of the training-institution API (unknown fields are refused).

Shapes and sizes are checked here; the rules that need the database (roster, class dates,
duplicates, the directory) are in ``records.institutions``.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

from credential_service.core import examples
from credential_service.core.inputs import OCCUPATION_CODE_PATTERN, IsoDate, iso_datetime
from credential_service.identity.rules import DocumentType, name_problem
from credential_service.records.training.models import AssessmentResult, AttendanceMethod, TrainingType
from credential_service.records.training.rules import InstitutionStatus

MAX_ROSTER = 500  # members listed when a class is opened
MAX_ROWS = 500  # enrolments or completions in one posting
MAX_EVENTS = 2000  # attendance events in one posting
MAX_PROJECTS = 200

_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
# What an image or an encoded image starts with: data URLs, base64 of JPEG / PNG / GIF / WebP.
_IMAGE_STARTS = ("data:", "/9j/", "ivborw0kggo", "r0lgod", "uklgr")


def _photo_hash(value: object) -> object:
    """Lower-case SHA-256 hex of the photo; an image or any encoded blob is refused by name."""
    if not isinstance(value, str):
        return value  # pydantic reports the wrong type
    text = value.strip().lower()
    if len(text) > 64 or text.startswith(_IMAGE_STARTS):
        raise ValueError(
            "只接收照片的 SHA-256 摘要（64 位十六进制），不接收照片本身或其编码 / "
            "send only the photo's SHA-256 (64 hex characters), never the image or its base64"
        )
    if not _SHA256_HEX.match(text):
        raise ValueError("应为 64 位十六进制的 SHA-256 摘要 / must be a SHA-256 in 64 hex characters")
    return text


PhotoHash = Annotated[str, BeforeValidator(_photo_hash)]


def _device_hash(value: object) -> object:
    """Lower-case SHA-256 hex of the check-in device's identifier (never the identifier itself)."""
    if not isinstance(value, str):
        return value
    text = value.strip().lower()
    if not _SHA256_HEX.match(text):
        raise ValueError(
            "应为设备标识的 SHA-256 摘要（64 位十六进制） / must be the SHA-256 of the device's identifier"
        )
    return text


DeviceHash = Annotated[str, BeforeValidator(_device_hash)]


def _person_name(value: str) -> str:
    problem = name_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


Name = Annotated[str, Field(min_length=1, max_length=100, description="姓名"), AfterValidator(_person_name)]
IdNumber = Annotated[str, Field(min_length=1, max_length=32, description="证件号码 (never echoed back)")]
ClassRef = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[\w.\-]+$",
        description="the institution's own class reference (letters, digits, _ . -)",
    ),
]
OccupationCode = Annotated[
    str, Field(pattern=OCCUPATION_CODE_PATTERN, description="职业编码, e.g. 6-18-02-04")
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Trainee(Strict):
    """Who a row is about: 证件类型, 证件号码, 姓名 (the name must match the person's file)."""

    document_type: DocumentType = Field(description="证件类型, e.g. resident_id (居民身份证)")
    id_number: IdNumber
    name: Name


# --- directory (administrators) ---


class ApprovedProjectIn(Strict):
    occupation_code: OccupationCode
    training_type: TrainingType | None = Field(default=None, description="None: any training type")


class InstitutionCreate(Strict):
    model_config = ConfigDict(
        json_schema_extra=examples.listed(
            {
                "credit_code": examples.INSTITUTION_CREDIT_CODE,
                "name": "太原市晋阳职业技能培训学校",
                "city_code": "140100",
                "approved_projects": [
                    {"occupation_code": examples.OCCUPATION_CODE, "training_type": "skill_upgrade"},
                    {"occupation_code": "4-10-01-05", "training_type": "employment_skills"},
                ],
            }
        )
    )

    credit_code: str = Field(min_length=1, max_length=32, description="统一社会信用代码 (GB 32100)")
    name: str = Field(min_length=1, max_length=200, description="机构名称 (as registered)")
    city_code: str = Field(min_length=6, max_length=6, description="GB/T 2260 city, e.g. 140100 太原")
    approved_projects: list[ApprovedProjectIn] = Field(min_length=1, max_length=MAX_PROJECTS)


class StatusChange(Strict):
    model_config = ConfigDict(
        json_schema_extra=examples.listed(
            {"status": "suspended", "reason": "2026年度监督检查发现学员签到记录与实际出勤不符，责令整改"}
        )
    )

    status: InstitutionStatus
    reason: str = Field(min_length=1, max_length=500, description="why (recorded with the change)")


class ApprovedProjectOut(BaseModel):
    occupation_code: str
    training_type: TrainingType | None


class InstitutionOut(BaseModel):
    credit_code: str
    name: str
    city_code: str
    city_name: str
    status: InstitutionStatus
    status_reason: str | None
    status_changed_at: datetime | None
    registered_at: datetime
    approved_projects: list[ApprovedProjectOut]


class InstitutionList(BaseModel):
    institutions: list[InstitutionOut]


# --- classes (institutions) ---


class ClassDetails(Strict):
    """A class (培训班) as its institution describes it; the institution's pages open it with no
    roster yet, and add the roster from a sheet."""

    model_config = ConfigDict(
        json_schema_extra=examples.listed(
            {
                "class_ref": examples.CLASS_REF,
                "occupation_code": examples.OCCUPATION_CODE,
                "subtype": examples.SUBTYPE,
                "target_level": 4,
                "training_type": "skill_upgrade",
                "start_date": "2026-09-01",
                "end_date": "2026-10-30",
                "planned_hours": 120,
                "roster": [examples.TRAINEE],
            }
        )
    )

    class_ref: ClassRef
    occupation_code: OccupationCode
    subtype: str | None = Field(default=None, min_length=1, max_length=100, description="工种")
    target_level: int | None = Field(default=None, ge=1, le=5, description="5 = 五级/初级工 … 1 = 一级")
    training_type: TrainingType
    start_date: IsoDate
    end_date: IsoDate
    planned_hours: int = Field(gt=0, le=5000, description="计划课时")
    teacher: str | None = Field(default=None, min_length=1, max_length=100, description="授课教师")
    venue_capacity: int | None = Field(default=None, ge=1, le=10000, description="场地容量（人）")
    approved_on: IsoDate | None = Field(default=None, description="开班审批（备案）日期")


class ClassCreate(ClassDetails):
    """开班: the class and its roster (培训学员名册). Roster members are registered on first sight."""

    roster: list[Trainee] = Field(min_length=1, max_length=MAX_ROSTER)


class OnRoster(Strict):
    """Who a row posted from the institution's pages is about: a member of the class's roster, by
    the number the page gave it (pages never hold a clear ID number)."""

    member: int = Field(ge=1, description="the roster member's number, as the class page lists it")


class EnrolmentFacts(Strict):
    enrolled_on: IsoDate


class EnrolmentIn(EnrolmentFacts, Trainee):
    pass


class EnrolmentPosting(Strict):
    model_config = ConfigDict(
        json_schema_extra=examples.listed({"enrolments": [{**examples.TRAINEE, "enrolled_on": "2026-08-25"}]})
    )

    enrolments: list[EnrolmentIn] = Field(min_length=1, max_length=MAX_ROWS)


class AttendanceFacts(Strict):
    occurred_at: Annotated[AwareDatetime, BeforeValidator(iso_datetime)] = Field(
        description="check-in time with its offset, e.g. 2026-09-01T08:30:00+08:00"
    )
    place: str = Field(min_length=1, max_length=200, description="venue, address or IP")
    method: AttendanceMethod
    match_score: float | None = Field(default=None, ge=0, le=1, allow_inf_nan=False)
    photo_sha256: PhotoHash | None = Field(default=None, description="SHA-256 hex of the check-in photo")
    device_sha256: DeviceHash | None = Field(
        default=None, description="SHA-256 hex of the check-in device's identifier"
    )
    latitude: float | None = Field(default=None, ge=-90, le=90, allow_inf_nan=False, description="纬度")
    longitude: float | None = Field(default=None, ge=-180, le=180, allow_inf_nan=False, description="经度")

    @model_validator(mode="after")
    def _both_coordinates(self) -> Self:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("纬度和经度须同时填写 / latitude and longitude go together")
        return self


class AttendanceIn(AttendanceFacts, Trainee):
    pass


class AttendancePosting(Strict):
    model_config = ConfigDict(
        json_schema_extra=examples.listed(
            {
                "events": [
                    {
                        **examples.TRAINEE,
                        "occurred_at": "2026-09-01T08:30:00+08:00",
                        "place": "太原市小店区培训基地 3 号实训车间",
                        "method": "face",
                        "match_score": 0.96,
                    }
                ]
            }
        )
    )

    events: list[AttendanceIn] = Field(min_length=1, max_length=MAX_EVENTS)


class RosterAttendanceIn(AttendanceFacts, OnRoster):
    pass


class RosterAttendance(Strict):
    """考勤 posted from the class page: one check-in per chosen roster member."""

    events: list[RosterAttendanceIn] = Field(min_length=1, max_length=MAX_EVENTS)


class CompletionFacts(Strict):
    attended_hours: int = Field(ge=0, le=5000, description="实际课时")
    result: AssessmentResult = Field(description="结业考核 pass / fail")
    score: float | None = Field(default=None, ge=0, le=100, allow_inf_nan=False)
    completed_on: IsoDate


class CompletionIn(CompletionFacts, Trainee):
    pass


class CompletionPosting(Strict):
    model_config = ConfigDict(
        json_schema_extra=examples.listed(
            {
                "completions": [
                    {
                        **examples.TRAINEE,
                        "attended_hours": 118,
                        "result": "pass",
                        "score": 88.5,
                        "completed_on": "2026-10-30",
                    }
                ]
            }
        )
    )

    completions: list[CompletionIn] = Field(min_length=1, max_length=MAX_ROWS)


class RosterCompletionIn(CompletionFacts, OnRoster):
    pass


class RosterCompletions(Strict):
    """结业 posted from the class page: attended hours and the assessment, per chosen roster member."""

    completions: list[RosterCompletionIn] = Field(min_length=1, max_length=MAX_ROWS)


class RosterMemberOut(BaseModel):
    name: str
    document_type: DocumentType
    id_number_masked: str = Field(description="140***********1234; the full number is never returned")
    enrolled: bool
    attendance_events: int
    completed: bool


class ClassSummary(BaseModel):
    class_ref: str
    occupation_code: str
    subtype: str | None
    target_level: int | None
    training_type: TrainingType
    start_date: date
    end_date: date
    planned_hours: int
    teacher: str | None = None
    venue_capacity: int | None = None
    approved_on: date | None = None
    created_at: datetime
    roster_size: int
    enrolled: int
    completed: int


class ClassDetail(ClassSummary):
    roster: list[RosterMemberOut]


class ClassList(BaseModel):
    classes: list[ClassSummary]


class Posted(BaseModel):
    """The answer to a posting: how many rows were recorded, each in the person's file."""

    class_ref: str
    recorded: int
