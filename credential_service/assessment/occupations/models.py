"""The occupation catalogue (职业分类大典): one row per occupation with its 工种 and markers."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Boolean, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from credential_service.core.db import Base, UTCDateTime


class Occupation(Base):
    """One occupation (职业, 细类) of the imported catalogue, with its 工种 and markers."""

    __tablename__ = "occupations"

    code: Mapped[str] = mapped_column(String(10), primary_key=True)  # D-DD-DD-DD, e.g. 6-18-02-04
    name: Mapped[str] = mapped_column(String(100))
    major_class: Mapped[str | None] = mapped_column(String(100), default=None)  # 大类
    middle_class: Mapped[str | None] = mapped_column(String(100), default=None)  # 中类
    minor_class: Mapped[str | None] = mapped_column(String(100), default=None)  # 小类
    digital: Mapped[bool] = mapped_column(Boolean, default=False)  # S 数字职业
    green: Mapped[bool] = mapped_column(Boolean, default=False)  # L 绿色职业
    # 工种 as a JSON list of names (text, so that it can be searched the same way on every database).
    subtypes_json: Mapped[str] = mapped_column(Text, default="[]")
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @property
    def subtypes(self) -> list[str]:
        loaded = json.loads(self.subtypes_json or "[]")
        return [str(s) for s in loaded] if isinstance(loaded, list) else []
