"""The occupation catalogue's pure rules: the small built-in set (职业分类大典 2022) used by the demo
and tests, and reading a catalogue file (JSON or CSV) into rows, every bad cell named.

The full catalogue is imported as data (`credential-service occupations import`, issue 4).
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass

from credential_service.assessment.occupations.errors import InvalidOccupationFile
from credential_service.assessment.organisations.rules import normalise_subtype
from credential_service.certificates.credential import Occupation
from credential_service.core.csv_input import csv_rows
from credential_service.core.errors import FieldError
from credential_service.core.inputs import OCCUPATION_CODE

MAX_IMPORT_ERRORS = 100

BUILTIN_OCCUPATIONS: tuple[Occupation, ...] = (
    Occupation("6-18-01-01", "车工"),
    Occupation("6-18-02-04", "焊工", "电焊工"),
    Occupation("6-31-01-03", "电工"),
    Occupation("6-20-01-01", "装配钳工"),
    Occupation("4-12-01-01", "汽车维修工", "汽车机械维修工"),
    Occupation("4-03-02-01", "中式烹调师"),
    Occupation("4-10-01-05", "养老护理员"),
    Occupation("4-10-01-06", "家政服务员"),
    Occupation("4-01-06-02", "互联网营销师", "直播销售员"),
    Occupation("4-04-05-05", "人工智能训练师", "数据标注员"),
)


def builtin_occupation(code: str) -> Occupation:
    for occupation in BUILTIN_OCCUPATIONS:
        if occupation.code == code:
            return occupation
    raise KeyError(code)


def like_pattern(text: str, *, prefix: bool = False) -> str:
    """A SQL ``LIKE`` pattern (escape character ``\\``) for ``text`` anywhere, or at the start."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%" if prefix else f"%{escaped}%"


@dataclass(frozen=True)
class OccupationRow:
    """One occupation read from a file; ``None`` means the file does not say (kept on update)."""

    code: str
    name: str
    major_class: str | None = None
    middle_class: str | None = None
    minor_class: str | None = None
    digital: bool | None = None
    green: bool | None = None
    subtypes: tuple[str, ...] | None = None
    source: str = ""  # where in the file, for messages: "row 3" (CSV) or "occupations.2" (JSON)


_COLUMNS = {
    "code": ("code", "职业编码", "编码", "职业代码"),
    "name": ("name", "职业名称", "名称"),
    "subtypes": ("subtypes", "subtype", "工种"),
    "digital": ("digital", "s", "数字职业"),
    "green": ("green", "l", "绿色职业"),
    "markers": ("markers", "标识", "标注"),
    "major": ("major", "major_class", "大类"),
    "middle": ("middle", "middle_class", "中类"),
    "minor": ("minor", "minor_class", "小类"),
}
_HEADER_NAMES = {alias.lower(): key for key, aliases in _COLUMNS.items() for alias in aliases}
_TRUE = frozenset({"1", "true", "yes", "y", "是", "√", "✓", "s", "l"})
_FALSE = frozenset({"", "0", "false", "no", "n", "否"})
_SUBTYPE_SEPARATORS = ("、", "；", ";", "|", "，", ",", "\n")


class RowErrors:
    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, loc: str, reason: str) -> None:
        if len(self.errors) < MAX_IMPORT_ERRORS:
            self.errors.append(FieldError(loc, reason))

    def raise_if_any(self) -> None:
        if self.errors:
            raise InvalidOccupationFile(
                "职业目录文件有误，未导入任何内容 / the catalogue file has errors: nothing was imported",
                self.errors,
            )


def _split_subtypes(value: object) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, list):
        items = [str(v) for v in value]
    else:
        text = str(value)
        for separator in _SUBTYPE_SEPARATORS[1:]:
            text = text.replace(separator, _SUBTYPE_SEPARATORS[0])
        items = text.split(_SUBTYPE_SEPARATORS[0])
    cleaned = [normalise_subtype(item) for item in items]
    return tuple(dict.fromkeys(s for s in cleaned if s is not None))


def _flag(value: object, loc: str, errors: RowErrors) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    errors.add(loc, f"应为 是/否（1/0） / must be yes or no (1/0), got {str(value)[:20]!r}")
    return None


def _markers(value: object, loc: str, errors: RowErrors) -> tuple[bool | None, bool | None]:
    """``S`` (数字职业), ``L`` (绿色职业), both (``S/L``) or none."""
    if value is None:
        return None, None
    text = str(value).upper()
    letters = {c for c in text if not c.isspace() and c not in "/,、，;；|"}
    if letters - {"S", "L"}:
        errors.add(
            loc, "标识只能是 S（数字职业）和/或 L（绿色职业） / markers are S (digital) and/or L (green)"
        )
        return None, None
    return "S" in letters, "L" in letters


def _optional_text(value: object, loc: str, errors: RowErrors) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if len(text) > 100:
        errors.add(loc, "过长（最多 100 字） / at most 100 characters")
    return text or None


def _occupation_row(record: Mapping[str, object], where: str, errors: RowErrors) -> OccupationRow | None:
    code = str(record.get("code") or "").strip()
    name = str(record.get("name") or "").strip()
    before = len(errors.errors)
    if not OCCUPATION_CODE.match(code):
        errors.add(f"{where}.code", "职业编码格式为 D-DD-DD-DD，如 6-18-02-04 / codes look like 6-18-02-04")
    if not name:
        errors.add(f"{where}.name", "职业名称不能为空 / the name must not be blank")
    elif len(name) > 100:
        errors.add(f"{where}.name", "职业名称过长（最多 100 字） / at most 100 characters")
    digital = _flag(record.get("digital"), f"{where}.digital", errors)
    green = _flag(record.get("green"), f"{where}.green", errors)
    marked_digital, marked_green = _markers(record.get("markers"), f"{where}.markers", errors)
    subtypes = _split_subtypes(record.get("subtypes"))
    if subtypes and any(len(s) > 100 for s in subtypes):
        errors.add(f"{where}.subtypes", "工种名称过长（最多 100 字） / a 工种 has at most 100 characters")
    row = OccupationRow(
        code=code,
        name=name,
        major_class=_optional_text(record.get("major"), f"{where}.major", errors),
        middle_class=_optional_text(record.get("middle"), f"{where}.middle", errors),
        minor_class=_optional_text(record.get("minor"), f"{where}.minor", errors),
        digital=digital if marked_digital is None else (marked_digital or bool(digital)),
        green=green if marked_green is None else (marked_green or bool(green)),
        subtypes=subtypes,
        source=where,
    )
    return row if len(errors.errors) == before else None


def parse_occupations_json(data: bytes) -> list[OccupationRow]:
    """A JSON list of occupations, or ``{"occupations": [...]}`` (the 2022 catalogue's shape).

    Keys: code, name, major, middle, minor, subtypes (or 工种: list or text), digital/green or
    S/L, markers. Raises InvalidOccupationFile naming every bad entry.
    """
    errors = RowErrors()
    try:
        loaded = json.loads(data)
    except ValueError as exc:
        raise InvalidOccupationFile(
            "不是合法的 JSON 文件 / not a valid JSON file", [FieldError("file", str(exc))]
        ) from exc
    entries = loaded.get("occupations") if isinstance(loaded, dict) else loaded
    if not isinstance(entries, list):
        raise InvalidOccupationFile(
            'JSON 应为职业列表或 {"occupations": [...]} / expected a list of occupations',
            [FieldError("file", "expected a list or an object with an occupations list")],
        )
    rows = []
    for i, entry in enumerate(entries):
        where = f"occupations.{i}"
        if not isinstance(entry, dict):
            errors.add(where, "应为对象 / must be an object")
            continue
        record = {_HEADER_NAMES.get(str(k).strip().lower(), str(k)): v for k, v in entry.items()}
        row = _occupation_row(record, where, errors)
        if row is not None:
            rows.append(row)
    errors.raise_if_any()
    return rows


OCCUPATION_CSV_MAX_COLUMNS = 32  # the nine known columns and remarks of one's own (ignored)
OCCUPATION_CSV_MAX_CELL_CHARS = 2_000  # a long list of 工种 (subtypes) fits


def parse_occupations_csv(data: bytes) -> tuple[list[OccupationRow], list[str]]:
    """CSV with a header row (English or Chinese names: code/职业编码, name/职业名称, 工种, S, L,
    markers/标识, 大类, 中类, 小类), UTF-8 or GB 18030, any line ends. Returns the rows and the ignored
    column names.

    Raises InvalidOccupationFile naming every bad cell by its row number (the header is row 1), or the first
    malformed or oversized row.
    """
    errors = RowErrors()
    records = csv_rows(
        io.BytesIO(data),
        max_columns=OCCUPATION_CSV_MAX_COLUMNS,
        max_cell_chars=OCCUPATION_CSV_MAX_CELL_CHARS,
    )
    first = next(records, None)
    if first is None:
        raise InvalidOccupationFile("文件为空 / the file is empty", [FieldError("file", "no header row")])
    header = first[1]
    keys = [_HEADER_NAMES.get(h.strip().lower()) for h in header]
    ignored = [h for h, k in zip(header, keys, strict=True) if k is None and h.strip()]
    missing = [c for c in ("code", "name") if c not in keys]
    if missing:
        raise InvalidOccupationFile(
            "缺少必需的列：职业编码（code）和职业名称（name） / the code and name columns are required",
            [FieldError(f"header.{c}", "missing column") for c in missing],
        )
    rows = []
    for line, cells in records:
        if not any(c.strip() for c in cells):
            continue
        record = {k: v for k, v in zip(keys, cells, strict=False) if k is not None}
        row = _occupation_row(record, f"row {line}", errors)
        if row is not None:
            rows.append(row)
    errors.raise_if_any()
    return rows, ignored
