"""Supervision's tables: the cases findings open, and each step of their handling (decision 036)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from credential_service.core.db import Base, UTCDateTime


class SupervisionCase(Base):
    """One finding of one check: opened once (``finding_key`` is unique, however often the scan
    runs), handled by people, closed confirmed or with no issue. Nothing is refused by a case."""

    __tablename__ = "supervision_cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True)  # in URLs; never the database id
    finding_key: Mapped[str] = mapped_column(String(64), unique=True)  # rules.cases.finding_key
    check_code: Mapped[str] = mapped_column(String(48), index=True)
    check_version: Mapped[int] = mapped_column(Integer)
    severity: Mapped[str] = mapped_column(String(8))  # rules.cases.Severity
    status: Mapped[str] = mapped_column(String(16), index=True)  # rules.cases.CaseStatus
    outcome: Mapped[str | None] = mapped_column(String(16), default=None)  # rules.cases.Outcome
    city_code: Mapped[str | None] = mapped_column(String(6), index=True, default=None)
    summary: Mapped[str] = mapped_column(String(1000))
    subjects_json: Mapped[str] = mapped_column(Text)  # [{"type": …, "ref": …}]
    evidence_json: Mapped[str] = mapped_column(Text)  # [{"kind": …, "ref": …, "note": …}]
    opened_by: Mapped[str] = mapped_column(String(40))  # scan:full / scan:posting
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CaseStep(Base):
    """A step of a case's handling: who moved it from which status to which, and why."""

    __tablename__ = "supervision_case_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("supervision_cases.id"), index=True)
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(16), default=None)
    reason: Mapped[str] = mapped_column(String(1000))
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
