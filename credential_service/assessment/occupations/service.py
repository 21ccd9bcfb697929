"""The occupation catalogue (职业分类大典) in the database: the built-in set, imports of the full
catalogue (insert or update by code, all or nothing), look-ups and search."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, or_, select
from sqlalchemy.orm import Session

from credential_service.assessment.occupations.models import Occupation
from credential_service.assessment.occupations.rules import (
    BUILTIN_OCCUPATIONS,
    OccupationRow,
    RowErrors,
    like_pattern,
    parse_occupations_csv,
    parse_occupations_json,
)
from credential_service.assessment.occupations.schemas import ImportReport, OccupationList, OccupationOut
from credential_service.core.clock import utcnow

IMPORT_BATCH = 500


def catalogue(session: Session, codes: Iterable[str]) -> dict[str, list[str]]:
    """Known occupation codes among ``codes`` with their 工种."""
    wanted = sorted({c.strip() for c in codes})
    found: dict[str, list[str]] = {}
    for start in range(0, len(wanted), IMPORT_BATCH):
        chunk = wanted[start : start + IMPORT_BATCH]
        for occupation in session.scalars(select(Occupation).where(Occupation.code.in_(chunk))):
            found[occupation.code] = occupation.subtypes
    return found


def occupation_names(session: Session, codes: Iterable[str]) -> dict[str, str]:
    """The names of the known occupations among ``codes``."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    query = select(Occupation.code, Occupation.name).where(Occupation.code.in_(wanted))
    return {code: name for code, name in session.execute(query)}


def ensure_builtin_occupations(session: Session, now: datetime | None = None) -> int:
    """Load the small built-in set when the catalogue is empty; returns how many were added."""
    if session.scalar(select(func.count()).select_from(Occupation)):
        return 0
    now = now or utcnow()
    session.add_all(
        Occupation(
            code=o.code,
            name=o.name,
            subtypes_json=json.dumps([o.subtype] if o.subtype else [], ensure_ascii=False),
            digital=False,
            green=False,
            imported_at=now,
        )
        for o in BUILTIN_OCCUPATIONS
    )
    session.flush()
    return len(BUILTIN_OCCUPATIONS)


def read_occupation_file(path: Path) -> tuple[list[OccupationRow], list[str]]:
    """Rows of a ``.json`` (UTF-8) or ``.csv`` catalogue file, and the ignored CSV columns."""
    data = path.read_bytes()
    if path.suffix.lower() == ".json" or data.lstrip()[:1] in (b"[", b"{"):
        return parse_occupations_json(data), []
    return parse_occupations_csv(data)


def _refuse_duplicates(rows: Sequence[OccupationRow]) -> list[str]:
    """The codes of ``rows`` in order; raises InvalidOccupationFile when a code comes twice."""
    seen: dict[str, str] = {}
    errors = RowErrors()
    for i, row in enumerate(rows):
        where = row.source or f"occupations.{i}"
        first = seen.get(row.code)
        if first is not None:
            errors.add(
                f"{where}.code", f"编码 {row.code} 与 {first} 重复 / code {row.code} is already at {first}"
            )
        seen.setdefault(row.code, where)
    errors.raise_if_any()
    return list(seen)


def _known(session: Session, codes: Sequence[str]) -> dict[str, Occupation]:
    existing: dict[str, Occupation] = {}
    for start in range(0, len(codes), IMPORT_BATCH):
        chunk = codes[start : start + IMPORT_BATCH]
        existing.update(
            (o.code, o) for o in session.scalars(select(Occupation).where(Occupation.code.in_(chunk)))
        )
    return existing


def _stated(row: OccupationRow) -> dict[str, Any]:
    """The columns a file row says something about (what it leaves out is kept on update)."""
    values: dict[str, Any] = {"name": row.name}
    for attribute in ("major_class", "middle_class", "minor_class", "digital", "green"):
        value = getattr(row, attribute)
        if value is not None:
            values[attribute] = value
    if row.subtypes is not None:
        values["subtypes_json"] = json.dumps(list(row.subtypes), ensure_ascii=False)
    return values


def import_occupations(
    session: Session,
    rows: Sequence[OccupationRow],
    *,
    ignored_columns: Sequence[str] = (),
    now: datetime | None = None,
) -> ImportReport:
    """Insert or update (by code) every row; what a file does not say is kept. All or nothing."""
    now = now or utcnow()
    existing = _known(session, _refuse_duplicates(rows))
    created: list[dict[str, Any]] = []
    updated = unchanged = 0
    for row in rows:
        values = _stated(row)
        current = existing.get(row.code)
        if current is None:
            defaults = {"digital": False, "green": False, "subtypes_json": "[]"}
            created.append({**defaults, **values, "code": row.code, "imported_at": now})
            continue
        if all(getattr(current, k) == v for k, v in values.items()):
            unchanged += 1
            continue
        for k, v in values.items():
            setattr(current, k, v)
        current.imported_at = now
        updated += 1
    for start in range(0, len(created), IMPORT_BATCH):
        session.execute(insert(Occupation), created[start : start + IMPORT_BATCH])
    session.flush()
    return ImportReport(
        rows=len(rows),
        created=len(created),
        updated=updated,
        unchanged=unchanged,
        ignored_columns=list(ignored_columns),
    )


def _occupation_view(occupation: Occupation) -> OccupationOut:
    return OccupationOut(
        code=occupation.code,
        name=occupation.name,
        major_class=occupation.major_class,
        middle_class=occupation.middle_class,
        minor_class=occupation.minor_class,
        digital=occupation.digital,
        green=occupation.green,
        subtypes=occupation.subtypes,
    )


def search_occupations(
    session: Session, *, q: str | None = None, code: str | None = None, limit: int = 50, offset: int = 0
) -> OccupationList:
    """Occupations whose code starts with ``code`` and whose name or 工种 contain ``q``, by code."""
    query = select(Occupation)
    if code:
        query = query.where(Occupation.code.like(like_pattern(code.strip(), prefix=True), escape="\\"))
    if q and q.strip():
        pattern = like_pattern(q.strip())
        query = query.where(
            or_(
                Occupation.name.like(pattern, escape="\\"),
                Occupation.subtypes_json.like(pattern, escape="\\"),
                Occupation.code.like(pattern, escape="\\"),
            )
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = session.scalars(query.order_by(Occupation.code).limit(limit).offset(offset))
    return OccupationList(
        occupations=[_occupation_view(o) for o in page], total=total, limit=limit, offset=offset
    )
