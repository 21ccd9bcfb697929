"""Evaluation organisations (评价机构), their registered scope and status history, and the platform's
signed endorsements of each version of a registration (备案)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from credential_service.core.db import Base, UTCDateTime


class Organisation(Base):
    """A registered (备案) evaluation organisation: Y = 用人单位 (企业自主评价), S = 社会培训评价组织.

    Its issuer (did:web, keys) lives in ``issuers``; ``code`` is the shared 13-character code
    ([YS] + MOHRSS code + province + site serial) that starts its certificate numbers.
    """

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("issuers.id"), unique=True)
    code: Mapped[str] = mapped_column(String(13), unique=True)
    org_type: Mapped[str] = mapped_column(String(1))  # Y / S
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)  # 统一社会信用代码
    name: Mapped[str] = mapped_column(String(200))  # exactly as registered
    status: Mapped[str] = mapped_column(String(16))  # active / suspended / exited
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime())

    scope: Mapped[list[ScopeRow]] = relationship(
        back_populates="organisation", lazy="selectin", order_by="ScopeRow.id"
    )


class ScopeRow(Base):
    """One registered (occupation, 工种, levels, validity) row of an organisation's scope."""

    __tablename__ = "organisation_scope"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    occupation_code: Mapped[str] = mapped_column(String(10))
    subtype: Mapped[str | None] = mapped_column(String(100), default=None)  # None: no 工种
    levels: Mapped[str] = mapped_column(String(16))  # "5,4,3"
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)

    organisation: Mapped[Organisation] = relationship(back_populates="scope")


class StatusPeriod(Base):
    """History of an organisation's status, so "active on the exam date" can be answered later."""

    __tablename__ = "organisation_status_periods"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    since: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(String(500))


class Endorsement(Base):
    """The platform-signed OB 3.0 EndorsementCredential of one version of a registration.

    A new version is signed whenever the scope or the status changes; old versions stay.
    """

    __tablename__ = "organisation_endorsements"
    __table_args__ = (UniqueConstraint("organisation_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    credential_json: Mapped[str] = mapped_column(Text)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime())
