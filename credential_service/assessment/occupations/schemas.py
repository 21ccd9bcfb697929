"""Response models of the occupation catalogue (职业分类大典)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class OccupationOut(BaseModel):
    code: str
    name: str
    major_class: str | None
    middle_class: str | None
    minor_class: str | None
    digital: bool = Field(description="S: 数字职业")
    green: bool = Field(description="L: 绿色职业")
    subtypes: list[str] = Field(description="工种")


class OccupationList(BaseModel):
    occupations: list[OccupationOut]
    total: int
    limit: int
    offset: int


class ImportReport(BaseModel):
    rows: int
    created: int
    updated: int
    unchanged: int
    ignored_columns: list[str] = Field(default_factory=list, description="CSV columns not understood")
