"""The subsidies part's tables: the loaded versions of the rule sets (decision 031)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from credential_service.core.db import Base, UTCDateTime


class SubsidyRuleSet(Base):
    """One loaded version of one subsidy type's rules. Never changed once loaded: a change to the
    rules is a new version, and a decision names the version (and SHA-256) it was judged by."""

    __tablename__ = "subsidy_rule_sets"
    __table_args__ = (
        UniqueConstraint("subsidy_type", "version", name="uq_subsidy_rule_sets_version"),
        # Two versions starting on one day would leave "the version in force" ambiguous.
        UniqueConstraint("subsidy_type", "valid_from", name="uq_subsidy_rule_sets_start"),
        CheckConstraint("valid_until IS NULL OR valid_until >= valid_from", name="dates"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subsidy_type: Mapped[str] = mapped_column(String(32))  # rules.SubsidyType
    version: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    source_document: Mapped[str] = mapped_column(String(1000))  # 文号《标题》, one per source
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date, default=None)  # None: until superseded
    canonical_json: Mapped[str] = mapped_column(Text)  # RFC 8785 JSON of the file's content
    sha256: Mapped[str] = mapped_column(String(64))  # of canonical_json (UTF-8), lower-case hex
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    loaded_by: Mapped[str] = mapped_column(String(100))
