"""Assessment plans (评价计划), submitted results, candidates under publicity (公示), objections, and
the working-day calendar."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from credential_service.core.db import Base, UTCDateTime


class CalendarDay(Base):
    """An exception to "weekdays work, weekends rest": a holiday, or a make-up working day (调休)."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # holiday / workday
    name: Mapped[str] = mapped_column(String(60))


class ResultSubmission(Base):
    """One submitted result sheet of a plan: the batch that is publicised and then issued."""

    __tablename__ = "result_submissions"
    __table_args__ = (
        # Named: the default convention names both after their first column.
        UniqueConstraint("organisation_id", "idempotency_key", name="uq_result_submissions_idempotency_key"),
        UniqueConstraint("organisation_id", "content_sha256", name="uq_result_submissions_content"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("assessment_plans.id"), index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(128), default=None)
    content_sha256: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(8))  # json / csv / xlsx
    signature: Mapped[str] = mapped_column(Text)  # detached JWS over the submitted content (evidence)
    signed_by: Mapped[str] = mapped_column(String(255))  # the verification method that signed
    # The organisation's own detached JWS over the exact bytes (X-Content-Signature), when it sent one,
    # and the registered organisation-held key it verified with (docs/decisions/016).
    client_signature: Mapped[str | None] = mapped_column(Text, default=None)
    client_key_id: Mapped[int | None] = mapped_column(ForeignKey("organisation_client_keys.id"), default=None)
    rows_total: Mapped[int] = mapped_column(Integer)
    rows_accepted: Mapped[int] = mapped_column(Integer)
    # JSON list of {loc, reason} (accepted-valid-rows mode): the first 1,000, then one line with the count
    rejected_rows: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(12))  # publicity / issued
    published_on: Mapped[date] = mapped_column(Date)
    publicity_ends_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class Candidate(Base):
    __tablename__ = "candidates"
    __table_args__ = (UniqueConstraint("submission_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True)  # objections name candidates by this
    submission_id: Mapped[int] = mapped_column(ForeignKey("result_submissions.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    row_number: Mapped[int] = mapped_column(Integer)
    theory: Mapped[float | None] = mapped_column(Float, default=None)
    skill: Mapped[float | None] = mapped_column(Float, default=None)
    review: Mapped[float | None] = mapped_column(Float, default=None)
    passed: Mapped[bool] = mapped_column(Boolean)
    state: Mapped[str] = mapped_column(String(12))  # failed / publicised / withdrawn / issued
    certificate_number: Mapped[str | None] = mapped_column(String(22), default=None, unique=True)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class Objection(Base):
    """异议: lodged by anyone during publicity; while open it holds the candidate back."""

    __tablename__ = "objections"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), index=True)
    lodged_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(10))  # open / upheld / dismissed
    resolved_by: Mapped[str | None] = mapped_column(String(100), default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    resolution: Mapped[str | None] = mapped_column(String(1000), default=None)


class SheetIdentity(Base):
    """Who appeared in a result sheet while it is being checked: finds a candidate listed twice.

    Scratch rows (a keyed hash of the ID number and the first row it appeared in), so that checking
    a sheet keeps nothing per row in memory; they are deleted when the check ends (or rolled back).
    """

    __tablename__ = "sheet_identities"
    __table_args__ = (UniqueConstraint("sheet_id", "identity_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[str] = mapped_column(String(36))  # one check of one sheet (a uuid)
    identity_key: Mapped[str] = mapped_column(String(64))  # the blind index of (证件类型, 证件号码)
    row_number: Mapped[int] = mapped_column(Integer)


class AssessmentPlan(Base):
    """评价计划: one occupation, 工种 and level, examined on given dates by named examiners."""

    __tablename__ = "assessment_plans"
    __table_args__ = (UniqueConstraint("organisation_id", "plan_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    plan_ref: Mapped[str] = mapped_column(String(40))  # the organisation's own reference
    occupation_code: Mapped[str] = mapped_column(String(10))
    subtype: Mapped[str | None] = mapped_column(String(100), default=None)
    level: Mapped[int] = mapped_column(Integer)
    exam_start: Mapped[date] = mapped_column(Date)
    exam_end: Mapped[date] = mapped_column(Date)
    examiners: Mapped[str] = mapped_column(Text)  # JSON list of {name, certificate number}
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
