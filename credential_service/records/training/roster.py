"""A class's roster (培训学员名册) from a sheet: the institution uploads CSV or Excel with the template's
Chinese headers; every row is checked (type, number, name, date; someone on file under their
recorded name; nobody twice), then the rows are listed on the roster and enrolled (培训报名) in the
same transaction. One bad row refuses the whole sheet, naming each problem by row and column.

The sheet is read by ``core.sheets`` within ``ROSTER_LIMITS`` before any database work.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import BinaryIO

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from credential_service.core import sheets
from credential_service.core.clock import beijing_date, utcnow
from credential_service.core.errors import FieldError
from credential_service.identity.rules import DOCUMENT_TYPE_NAMES, DocumentType, name_problem
from credential_service.records.training import postings
from credential_service.records.training.errors import (
    DuplicateRows,
    RosterRejected,
    RowProblem,
    RowsRejected,
)
from credential_service.records.training.models import RosterMember
from credential_service.records.training.schemas import MAX_ROSTER, EnrolmentIn, EnrolmentPosting, Trainee
from credential_service.records.training.service import identify_roster, list_people, own_class, tenant

COLUMNS: tuple[tuple[str, str], ...] = (
    ("证件类型", "document_type"),
    ("证件号码", "id_number"),
    ("姓名", "name"),
    ("报名日期", "enrolled_on"),  # may be left out or blank: the day of the upload
)
COLUMN_NAMES = {field: header for header, field in COLUMNS}
COLUMN_ORDER = {header: i for i, (header, _) in enumerate(COLUMNS)}
ROSTER_SHEET = sheets.SheetShape(COLUMNS, frozenset({"document_type", "id_number", "name"}))
ROSTER_LIMITS = sheets.SheetLimits(max_rows=MAX_ROSTER, max_cells=MAX_ROSTER * 8)
EXAMPLE_ROW = ("居民身份证", "11010519491231002X", "张三", "")
DOCUMENT_TYPES = {name: kind for kind, name in DOCUMENT_TYPE_NAMES.items()}
_INDEXED = re.compile(r"^(?:roster|enrolments)\.(\d+)(?:\.(\w+))?$")


def read_roster(stream: BinaryIO) -> list[sheets.SheetRow]:
    """Every row of an uploaded roster, bounded (raises SheetError naming the limit or the header)."""
    return sheets.read_sheet(stream, ROSTER_SHEET, ROSTER_LIMITS)[1]


def template_csv() -> bytes:
    return sheets.template_csv(ROSTER_SHEET, EXAMPLE_ROW)


def template_xlsx() -> bytes:
    return sheets.template_xlsx(
        ROSTER_SHEET, EXAMPLE_ROW, title="培训学员名册", text_columns="BD", widths=(16, 22, 12, 14)
    )


def add_roster(
    session: Session,
    data_key: bytes,
    *,
    credit_code: str,
    class_ref: str,
    rows: Sequence[sheets.SheetRow],
    now: datetime | None = None,
) -> int:
    """List and enrol the sheet's people in one of the calling institution's classes; the number added.

    Raises RosterRejected naming every problem by row and column (nothing is changed then), and what
    a posting raises for the institution and the class (403, ClassNotFound).
    """
    moment = now or utcnow()
    institution = tenant(session, credit_code)
    klass = own_class(session, institution, class_ref)
    default_day = min(beijing_date(moment), klass.end_date)
    problems: list[RowProblem] = []
    if not rows:
        problems.append(RowProblem(2, COLUMN_NAMES["name"], "名册里没有学员 / the sheet lists nobody"))
    parsed = [(row.row_number, *_parse(row, default_day, problems)) for row in rows]
    # The rows that parsed are checked against the files and each other even when others did not:
    # the officer sees every problem of the sheet at once.
    numbers = [number for number, trainee, _ in parsed if trainee is not None]
    enrolments = [
        EnrolmentIn(**trainee.model_dump(), enrolled_on=day)
        for _, trainee, day in parsed
        if trainee is not None and day is not None
    ]
    listed = set(session.scalars(select(RosterMember.person_id).where(RosterMember.class_id == klass.id)))
    found: list[FieldError] = []
    people = identify_roster(
        session,
        data_key,
        enrolments,
        found,
        listed=listed,
        row_label=lambda i: (f"第 {numbers[i]} 行", f"row {numbers[i]}"),
    )
    problems += _by_row(found, numbers)
    if problems:
        raise RosterRejected(sorted(problems, key=lambda p: (p.row, COLUMN_ORDER.get(p.column, 9))))
    list_people(session, data_key, klass, people, moment)
    try:
        postings.post(
            session,
            data_key,
            credit_code=credit_code,
            class_ref=class_ref,
            posting=EnrolmentPosting(enrolments=enrolments),
            now=moment,
        )
    except (RowsRejected, DuplicateRows) as exc:  # the roster rows above are rolled back with it
        raise RosterRejected(_by_row(exc.errors, numbers)) from exc
    return len(enrolments)


def _parse(
    row: sheets.SheetRow, default_day: date, problems: list[RowProblem]
) -> tuple[Trainee | None, date | None]:
    """The row as a trainee and their enrolment date, or Nones after recording each problem."""
    before = len(problems)

    def problem(field: str, reason: str) -> None:
        problems.append(RowProblem(row.row_number, COLUMN_NAMES[field], reason))

    values = row.values
    kind_text = values.get("document_type", "").strip()
    kind = DOCUMENT_TYPES.get(kind_text) or next((k for k in DocumentType if k.value == kind_text), None)
    if kind is None:
        names = "、".join(DOCUMENT_TYPE_NAMES.values())
        problem("document_type", f"未知证件类型，应为：{names} / unknown document type")
    if not values.get("id_number", "").strip():
        problem("id_number", "证件号码不能为空 / the ID number is required")
    name = values.get("name", "").strip()
    if (bad_name := name_problem(name)) is not None:
        problem("name", bad_name)
    day = _day(values.get("enrolled_on", "").strip(), default_day)
    if day is None:
        problem("enrolled_on", "日期格式应为 2026-09-01 / a date such as 2026-09-01")
    if kind is None or len(problems) > before:
        return None, None
    try:
        trainee = Trainee(document_type=kind, id_number=values["id_number"], name=name)
    except ValidationError:
        problem("id_number", "证件号码过长 / the ID number is too long")
        return None, None
    return trainee, day


def _day(text: str, default_day: date) -> date | None:
    if not text:
        return default_day
    return sheets.sheet_date(text)


def _by_row(errors: Sequence[FieldError], numbers: Sequence[int]) -> list[RowProblem]:
    """A service's row problems (``roster.3.name``, ``enrolments.3.enrolled_on``) by sheet row and column."""
    problems = []
    for error in errors:
        match = _INDEXED.match(error.loc)
        if match is None:
            problems.append(RowProblem(numbers[0] if numbers else 2, "—", error.reason))
            continue
        field = match[2] or "id_number"
        column = COLUMN_NAMES.get(field, COLUMN_NAMES["id_number"])
        problems.append(RowProblem(numbers[int(match[1])], column, error.reason))
    return problems
