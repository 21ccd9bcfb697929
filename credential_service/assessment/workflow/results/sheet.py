"""Result sheets: their columns, the template (Chinese headers), and reading them row by row within
``SheetLimits`` (``core.sheets`` reads every sheet the service takes, bounded by work, not bytes).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, BinaryIO

from credential_service.core import sheets
from credential_service.core.sheets import (
    LIMITS,
    SheetLimits,
    SheetRow,
    as_text,
    file_sha256,
    rows_as_csv,
    rows_as_xlsx,
)
from credential_service.identity.rules import DocumentType

__all__ = [  # what result-sheet callers use, from core.sheets
    "COLUMNS",
    "DOCUMENT_TYPE_NAMES",
    "EXAMPLE_ROW",
    "LIMITS",
    "RESULT_SHEET",
    "SheetLimits",
    "SheetRow",
    "as_text",
    "file_sha256",
    "read_csv",
    "read_sheet",
    "read_xlsx",
    "rows_as_csv",
    "rows_as_xlsx",
    "template_csv",
    "template_xlsx",
]

# Column header → field; the order is the template's order.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("证件类型", "document_type"),
    ("证件号码", "id_number"),
    ("姓名", "name"),
    ("理论知识成绩", "theory"),
    ("技能操作成绩", "skill"),
    ("综合评审成绩", "review"),
)
# The review column may be absent (levels 5 to 3 have no 综合评审).
RESULT_SHEET = sheets.SheetShape(COLUMNS, frozenset(field for _, field in COLUMNS[:5]))
DOCUMENT_TYPE_NAMES = {
    "居民身份证": DocumentType.RESIDENT_ID,
    "港澳居民居住证": DocumentType.HK_MO_RESIDENCE,
    "台湾居民居住证": DocumentType.TW_RESIDENCE,
    "外国人永久居留身份证": DocumentType.FOREIGN_PERMANENT,
    "港澳居民来往内地通行证": DocumentType.HK_MO_PASS,
    "台湾居民来往大陆通行证": DocumentType.TW_PASS,
    "护照": DocumentType.PASSPORT,
    "其他": DocumentType.OTHER,
}
EXAMPLE_ROW = ("居民身份证", "11010519491231002X", "张三", "85", "78", "")


def read_sheet(stream: BinaryIO, limits: SheetLimits = LIMITS) -> tuple[str, list[SheetRow]]:
    """The format ("xlsx" or "csv") and every row of an uploaded result sheet (``core.sheets.read_sheet``)."""
    return sheets.read_sheet(stream, RESULT_SHEET, limits)


def read_csv(stream: IO[bytes] | BinaryIO, limits: SheetLimits = LIMITS) -> Iterator[SheetRow]:
    return sheets.read_csv(stream, RESULT_SHEET, limits)


def read_xlsx(stream: IO[bytes] | BinaryIO, limits: SheetLimits = LIMITS) -> Iterator[SheetRow]:
    return sheets.read_xlsx(stream, RESULT_SHEET, limits)


def template_csv() -> bytes:
    return sheets.template_csv(RESULT_SHEET, EXAMPLE_ROW)


def template_xlsx() -> bytes:
    return sheets.template_xlsx(
        RESULT_SHEET, EXAMPLE_ROW, title="评价结果", text_columns="B", widths=(16, 22, 12, 14, 14, 14)
    )
