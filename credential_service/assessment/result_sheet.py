"""Result sheets in and out: the template (Chinese headers) and row-by-row reading of CSV and Excel.

Uploads are streamed: CSV line by line, Excel with openpyxl's read-only mode, so memory does not grow
with the size of the file. Each row comes out with its row number as the officer sees it in the sheet.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any, BinaryIO

from openpyxl import Workbook, load_workbook

from credential_service.identity.rules import DocumentType

# Column header → field; the order is the template's order.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("证件类型", "document_type"),
    ("证件号码", "id_number"),
    ("姓名", "name"),
    ("理论知识成绩", "theory"),
    ("技能操作成绩", "skill"),
    ("综合评审成绩", "review"),
)
HEADER_TO_FIELD = dict(COLUMNS)
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
MAX_ROWS = 20_000
EXAMPLE_ROW = ("居民身份证", "11010519491231002X", "张三", "85", "78", "")


class SheetError(ValueError):
    """The file is not a result sheet (wrong headers, not CSV/Excel, too many rows)."""


@dataclass(frozen=True)
class SheetRow:
    row_number: int  # as shown in the spreadsheet (the header is row 1)
    values: dict[str, str]


def _fields_of(header: Iterable[Any]) -> list[str | None]:
    fields = [HEADER_TO_FIELD.get(str(cell).strip()) if cell is not None else None for cell in header]
    missing = [h for h, f in COLUMNS[:5] if f not in fields]  # the review column may be absent
    if missing:
        raise SheetError(f"缺少列 / missing columns: {', '.join(missing)}")
    return fields


def _rows(header: Iterable[Any], body: Iterable[Iterable[Any]]) -> Iterator[SheetRow]:
    fields = _fields_of(header)
    for offset, raw in enumerate(body, start=2):
        cells = ["" if c is None else str(c).strip() for c in raw]
        if not any(cells):
            continue  # blank lines between blocks are common in hand-made sheets
        if offset - 1 > MAX_ROWS:
            raise SheetError(f"一次最多 {MAX_ROWS} 行 / at most {MAX_ROWS} rows per submission")
        values = {field: cells[i] if i < len(cells) else "" for i, field in enumerate(fields) if field}
        yield SheetRow(offset, values)


def read_csv(stream: IO[bytes] | BinaryIO) -> Iterator[SheetRow]:
    """Rows of a UTF-8 CSV (with or without BOM; GB 18030 from older Excel is accepted too)."""
    head = stream.read(4096)
    encoding = "utf-8-sig"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if len(head) < 4096 or exc.start < len(head) - 3:  # not just a character cut at the edge
            encoding = "gb18030"
    text = io.TextIOWrapper(io.BufferedReader(_Prepend(head, stream)), encoding=encoding, newline="")
    reader = csv.reader(text)
    try:
        header = next(reader)
    except StopIteration as exc:
        raise SheetError("文件是空的 / the file is empty") from exc
    except (csv.Error, UnicodeDecodeError) as exc:
        raise SheetError("不是 CSV 文件 / not a CSV file") from exc
    try:
        yield from _rows(header, reader)
    except (csv.Error, UnicodeDecodeError) as exc:
        raise SheetError(f"CSV 格式错误 / malformed CSV: {exc}") from exc


def read_xlsx(stream: IO[bytes] | BinaryIO) -> Iterator[SheetRow]:
    """Rows of the first worksheet of an .xlsx file, read in streaming (read-only) mode."""
    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a file that is not a workbook
        raise SheetError("不是 Excel (.xlsx) 文件 / not an Excel (.xlsx) file") from exc
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise SheetError("工作表是空的 / the worksheet is empty")
        yield from _rows(header, (_excel_cells(r) for r in rows))
    finally:
        workbook.close()


def _excel_cells(row: tuple[Any, ...]) -> list[Any]:
    # Excel stores 85 as 85.0 and long ID numbers may arrive as numbers: give them back as typed.
    return [int(c) if isinstance(c, float) and c.is_integer() else c for c in row]


class _Prepend(io.RawIOBase):
    """A byte stream that first returns ``head`` (already read to sniff the encoding), then the rest."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head, self._rest = head, rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n], self._head = self._head[:n], self._head[n:]
            return n
        chunk = self._rest.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def template_csv() -> bytes:
    """The CSV template: UTF-8 with BOM (so Excel shows the Chinese headers), one example row."""
    return rows_as_csv([header for header, _ in COLUMNS], [EXAMPLE_ROW])


def template_xlsx() -> bytes:
    """The Excel template; the ID-number column is text so Excel keeps all 18 characters."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "评价结果"
    sheet.append([header for header, _ in COLUMNS])
    sheet.append(list(EXAMPLE_ROW))
    for cell in sheet["B"]:
        cell.number_format = "@"
    for column, width in zip("ABCDEF", (16, 22, 12, 14, 14, 14), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def rows_as_csv(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    """UTF-8 CSV with BOM (Excel then shows Chinese correctly)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")


def rows_as_xlsx(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    """A one-sheet workbook, every cell text (ID and certificate numbers keep all their digits)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("证书")
    sheet.append(list(header))
    for row in rows:
        sheet.append([str(cell) for cell in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def file_sha256(stream: BinaryIO) -> str:
    """SHA-256 of a seekable stream, read in chunks; the stream is rewound afterwards."""
    digest = hashlib.sha256()
    stream.seek(0)
    for chunk in iter(lambda: stream.read(1 << 16), b""):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()
