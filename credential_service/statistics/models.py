"""The statistics part's one table: the employed per city and year (configured input)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from credential_service.core.db import Base, UTCDateTime


class EmploymentFigure(Base):
    """就业人员数: the employed in one Shanxi city in one year, the denominator of the skilled share.
    Not computed here: loaded from the statistics bureau's figures by
    ``credential-service stats load-employment FILE``; loading the same city and year again replaces it."""

    __tablename__ = "employment_figures"
    __table_args__ = (
        UniqueConstraint("city_code", "year", name="uq_employment_figures_city_year"),
        CheckConstraint("employed > 0", name="employed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    city_code: Mapped[str] = mapped_column(String(6))  # GB/T 2260 prefecture, e.g. 140100 太原
    year: Mapped[int] = mapped_column(Integer)
    employed: Mapped[int] = mapped_column(Integer)  # persons (人), not 万人
    source: Mapped[str] = mapped_column(String(200), default="")  # e.g. 2025年太原市统计公报
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    loaded_by: Mapped[str] = mapped_column(String(100))
