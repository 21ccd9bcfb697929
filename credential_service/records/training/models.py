"""Training institutions (培训机构目录) and what they post: classes, rosters, enrolments, attendance,
completions.

Every posting also appends an entry to the person's lifelong file (``file_entry_id``); these tables
are the institution's side of the record, the file is the person's.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from credential_service.core.db import Base, UTCDateTime


class TrainingType(StrEnum):
    """培训类型 (two-catalogue notice: 职业技能培训需求指导目录)."""

    EMPLOYMENT_SKILLS = "employment_skills"  # 就业技能培训
    SKILL_UPGRADE = "skill_upgrade"  # 岗位技能提升培训
    ENTREPRENEURSHIP = "entrepreneurship"  # 创业培训
    NEW_APPRENTICESHIP = "new_apprenticeship"  # 新型学徒制
    PROJECT_BASED = "project_based"  # 项目制培训
    OTHER = "other"  # 其他


TRAINING_TYPE_NAMES = {
    TrainingType.EMPLOYMENT_SKILLS: "就业技能培训",
    TrainingType.SKILL_UPGRADE: "岗位技能提升培训",
    TrainingType.ENTREPRENEURSHIP: "创业培训",
    TrainingType.NEW_APPRENTICESHIP: "新型学徒制",
    TrainingType.PROJECT_BASED: "项目制培训",
    TrainingType.OTHER: "其他",
}


class AttendanceMethod(StrEnum):
    FACE = "face"  # 人脸识别
    CARD = "card"  # 刷卡 (社保卡 / 身份证)
    QR = "qr"  # 扫码
    E_CARD = "e_card"  # 电子社保卡


class AssessmentResult(StrEnum):
    PASS = "pass"  # noqa: S105 - 合格
    FAIL = "fail"  # 不合格


class Institution(Base):
    """One entry of the 培训机构目录, keyed by its 统一社会信用代码."""

    __tablename__ = "training_institutions"

    id: Mapped[int] = mapped_column(primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)  # GB 32100, upper case
    name: Mapped[str] = mapped_column(String(200))
    city_code: Mapped[str] = mapped_column(String(6))  # GB/T 2260 prefecture, e.g. 140100 太原
    status: Mapped[str] = mapped_column(String(16))
    status_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime())

    projects: Mapped[list[ApprovedProject]] = relationship(
        order_by="ApprovedProject.id", lazy="selectin", cascade="all, delete-orphan"
    )


class ApprovedProject(Base):
    """可开展项目: an occupation the institution may train, for one training type or (None) any."""

    __tablename__ = "training_institution_projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("training_institutions.id"), index=True)
    occupation_code: Mapped[str] = mapped_column(String(10))  # 职业分类大典 D-DD-DD-DD
    training_type: Mapped[str | None] = mapped_column(String(32), default=None)


class TrainingClass(Base):
    """One class (培训班) as opened by an institution, with its roster (培训学员名册)."""

    __tablename__ = "training_classes"
    __table_args__ = (
        UniqueConstraint("institution_id", "class_ref"),
        CheckConstraint("end_date >= start_date", name="dates"),
        CheckConstraint("planned_hours > 0", name="planned_hours"),
        CheckConstraint("target_level BETWEEN 1 AND 5", name="target_level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("training_institutions.id"))
    class_ref: Mapped[str] = mapped_column(String(64))  # the institution's own reference
    occupation_code: Mapped[str] = mapped_column(String(10))
    subtype: Mapped[str | None] = mapped_column(String(100), default=None)  # 工种
    target_level: Mapped[int | None] = mapped_column(Integer, default=None)  # 5 = 五级/初级工 … 1
    training_type: Mapped[str] = mapped_column(String(32))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    planned_hours: Mapped[int] = mapped_column(Integer)  # 计划课时
    # Optional, as 实名制 systems record them; supervision's checks read them (decision 036).
    teacher: Mapped[str | None] = mapped_column(String(100), default=None)  # 授课教师
    venue_capacity: Mapped[int | None] = mapped_column(Integer, default=None)  # 场地容量（人）
    approved_on: Mapped[date | None] = mapped_column(Date, default=None)  # 开班审批（备案）日期
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    institution: Mapped[Institution] = relationship(lazy="joined")


class RosterMember(Base):
    """A person on a class's roster, registered (实名) when the class is opened."""

    __tablename__ = "training_roster"
    __table_args__ = (UniqueConstraint("class_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("training_classes.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    listed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Enrolment(Base):
    """培训报名/报到: a roster member who has started the class. Attendance and completion need one."""

    __tablename__ = "training_enrolments"
    __table_args__ = (UniqueConstraint("class_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("training_classes.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    enrolled_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    file_entry_id: Mapped[int] = mapped_column(ForeignKey("file_entries.id"))


class AttendanceEvent(Base):
    """考勤: one check-in. A photo is kept only as its SHA-256, never the image."""

    __tablename__ = "training_attendance"
    __table_args__ = (
        UniqueConstraint("enrolment_id", "occurred_at"),
        CheckConstraint("match_score BETWEEN 0 AND 1", name="match_score"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("training_enrolments.id"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())  # whole seconds
    place: Mapped[str] = mapped_column(String(200))  # venue, address or IP
    method: Mapped[str] = mapped_column(String(16))
    match_score: Mapped[float | None] = mapped_column(Float, default=None)  # face match / liveness 0–1
    photo_sha256: Mapped[str | None] = mapped_column(String(64), index=True, default=None)  # lower hex
    device_sha256: Mapped[str | None] = mapped_column(
        String(64), index=True, default=None
    )  # 考勤设备标识的摘要
    latitude: Mapped[float | None] = mapped_column(Float, default=None)  # decimal degrees (WGS 84)
    longitude: Mapped[float | None] = mapped_column(Float, default=None)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    file_entry_id: Mapped[int] = mapped_column(ForeignKey("file_entries.id"))


class Completion(Base):
    """结业: attended hours and the completion assessment (结业考核). One per enrolment."""

    __tablename__ = "training_completions"
    __table_args__ = (CheckConstraint("attended_hours >= 0", name="attended_hours"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("training_enrolments.id"), unique=True)
    attended_hours: Mapped[int] = mapped_column(Integer)
    result: Mapped[str] = mapped_column(String(8))
    score: Mapped[float | None] = mapped_column(Float, default=None)  # 0–100
    completed_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    file_entry_id: Mapped[int] = mapped_column(ForeignKey("file_entries.id"))


class InstitutionRequest(Base):
    """The first answer to each ``Idempotency-Key`` an institution used, so a retry gets it again."""

    __tablename__ = "training_idempotency"
    __table_args__ = (UniqueConstraint("institution_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("training_institutions.id"))
    idempotency_key: Mapped[str] = mapped_column(String(128))
    fingerprint: Mapped[str] = mapped_column(String(64))  # SHA-256 of the operation and its body
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    response_body: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
