"""Spreadsheets in and out, for every sheet the service takes or gives (result sheets, training
rosters): row-by-row reading of CSV and Excel within ``SheetLimits``, templates, and exports that
spreadsheets cannot run as formulas.

Files are read as streams (CSV line by line, Excel with openpyxl's read-only mode); what a file may
cost is bounded by its limits, not by its size in bytes. Each row comes out with its row number as
the officer sees it in the sheet, its cells keyed by the field of their column (``SheetShape``).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import IO, Any, BinaryIO
from xml.parsers import expat

from openpyxl import Workbook, load_workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from credential_service.core.csv_input import csv_rows
from credential_service.core.errors import FieldError, InvalidInput


class SheetError(InvalidInput):
    """The file is not the expected sheet (wrong headers, not CSV or Excel) or is over one of its limits."""

    def __init__(self, message: str, loc: str = "file") -> None:
        super().__init__(message, [FieldError(loc, message)], "bad_sheet")


@dataclass(frozen=True)
class SheetShape:
    """What one kind of sheet looks like: its columns (header → field, in the template's order) and
    the fields that must have a column (the others may be left out)."""

    columns: tuple[tuple[str, str], ...]
    required: frozenset[str]

    @property
    def headers(self) -> list[str]:
        return [header for header, _ in self.columns]


@dataclass(frozen=True)
class SheetLimits:
    """How much work one uploaded result sheet may cause. A sheet over any limit is refused with a 422
    naming the limit, before (zip container, declared dimension) or while (rows, cells) it is read,
    so a 2 KB file cannot cost minutes or hundreds of MiB. Sized for the largest real submission:
    20,000 candidates in the template's 6 columns, with room to spare."""

    max_rows: int = 20_000
    """Rows after the header, blank ones included: skipping rows costs work too."""
    max_columns: int = 16
    """The template has 6 columns; officers add a few of their own (ignored)."""
    max_cells: int = 200_000
    """Non-blank cells after the header: 20,000 rows of 6 cells are 120,000."""
    max_cell_chars: int = 200
    """Characters in one cell: the longest real value is a 50-character name."""
    max_zip_entries: int = 64
    """Parts of the .xlsx container: Excel writes about 10."""
    max_worksheet_bytes: int = 32 * 2**20
    """Declared uncompressed size of a worksheet part (``xl/worksheets/``), which openpyxl streams: a
    full 20,000-row sheet is about 8 MiB."""
    max_shared_strings_bytes: int = 4 * 2**20
    """Declared uncompressed size of ``xl/sharedStrings.xml``, which openpyxl loads whole: 40,000
    distinct names and numbers take about 2 MiB."""
    max_other_part_bytes: int = 1 * 2**20
    """Any other part (workbook, styles, theme, relationships), also loaded whole: tens of KiB in a
    real file. A part with an unusual name gets this bound, so renaming cannot escape the others."""
    max_xlsx_bytes: int = 48 * 2**20
    """All parts together, uncompressed as declared."""
    max_compression_ratio: int = 100
    """Declared uncompressed ÷ compressed size of the whole container: real sheets are 5–20, zip bombs
    1,000."""
    max_row_cells: int = 256
    """``<c>`` elements in one ``<row>`` of the XML: openpyxl builds every cell of a row before it
    cuts the row to ``max_columns``, so 2.6 M empty cells in one row cost 2.7 GB."""
    max_xml_elements: int = 1_500_000
    """Elements in a worksheet or the shared strings: 20,000 rows of 16 inline-string cells are 1 M."""
    max_xml_depth: int = 24
    """Nesting in a worksheet or the shared strings: Excel writes at most 8 levels."""
    max_markup_gap_bytes: int = 64 * 2**10
    """Bytes between one ``<`` and the next in any XML part: a tag with its attributes, or a text. A
    real tag is under 300 bytes and a cell's text under 1 KiB; this bounds what expat and openpyxl
    build at once, however the bytes are spelled (``>`` in attribute values, comments, CDATA)."""


LIMITS = SheetLimits()


def _over(limit: str, value: int, zh: str, en: str, loc: str = "file") -> SheetError:
    # The setting's name is for programs and operators: the Chinese half, which pages show, goes without.
    return SheetError(f"{zh}（上限 {value}）/ {en} (limit {limit} = {value})", loc)


@dataclass(frozen=True)
class SheetRow:
    row_number: int  # as shown in the spreadsheet (the header is row 1)
    values: dict[str, str]


def read_sheet(
    stream: BinaryIO, shape: SheetShape, limits: SheetLimits = LIMITS
) -> tuple[str, list[SheetRow]]:
    """The format ("xlsx" or "csv", told by the first bytes) and every row of an uploaded sheet.

    Read whole before any database work, so that reading (however hostile the file) never holds a
    write transaction; rows within the limits take a few MiB (about 600 bytes each).
    """
    is_xlsx = stream.read(2) == b"PK"  # .xlsx is a zip container
    stream.seek(0)
    if is_xlsx:
        return "xlsx", list(read_xlsx(stream, shape, limits))
    return "csv", list(read_csv(stream, shape, limits))


# 2026-09-01, 2026/9/1, 2026.9.1, and Excel's date cells as read (2026-09-01 00:00:00).
_SHEET_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?: 00:00:00)?$")


def sheet_date(text: str) -> date | None:
    """A date as officers write it in a sheet cell, or None when it is not one."""
    match = _SHEET_DATE.match(text)
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _fields_of(header: Sequence[Any], shape: SheetShape) -> list[str | None]:
    to_field = dict(shape.columns)
    fields = [to_field.get(str(cell).strip()) if cell is not None else None for cell in header]
    missing = [h for h, f in shape.columns if f in shape.required and f not in fields]
    if missing:
        raise SheetError(f"缺少列 / missing columns: {', '.join(missing)}", "header")
    return fields


def _rows(
    header: Sequence[Any], body: Iterable[Sequence[Any]], shape: SheetShape, limits: SheetLimits
) -> Iterator[SheetRow]:
    fields = _fields_of(_bounded(header, 1, limits), shape)
    cells_read = 0
    for number, raw in enumerate(body, start=2):
        if number - 1 > limits.max_rows:
            raise _over("max_rows", limits.max_rows, "行数过多", "too many rows", f"row {number}")
        cells = _bounded(raw, number, limits)
        if not any(cells):
            continue  # blank lines between blocks are common in hand-made sheets
        cells_read += sum(1 for cell in cells if cell)
        if cells_read > limits.max_cells:
            raise _over("max_cells", limits.max_cells, "单元格过多", "too many cells", f"row {number}")
        yield SheetRow(
            number, {field: cells[i] if i < len(cells) else "" for i, field in enumerate(fields) if field}
        )


def _bounded(raw: Sequence[Any], number: int, limits: SheetLimits) -> list[str]:
    """A row's cells as trimmed text, refused when it has a cell past the last allowed column or a
    cell longer than allowed."""
    cells = ["" if c is None else str(c).strip() for c in raw]
    if any(cells[limits.max_columns :]):
        raise _over("max_columns", limits.max_columns, "列数过多", "too many columns", f"row {number}")
    if any(len(cell) > limits.max_cell_chars for cell in cells):
        raise _over(
            "max_cell_chars", limits.max_cell_chars, "单元格内容过长", "a cell is too long", f"row {number}"
        )
    return cells


def read_csv(
    stream: IO[bytes] | BinaryIO, shape: SheetShape, limits: SheetLimits = LIMITS
) -> Iterator[SheetRow]:
    """Rows of a CSV (UTF-8 with or without BOM, or GB 18030 from older Excel; any line ends)."""
    records = (
        cells
        for _, cells in csv_rows(stream, max_columns=limits.max_columns, max_cell_chars=limits.max_cell_chars)
    )
    header = next(records, None)
    if header is None:
        raise SheetError("文件是空的 / the file is empty")
    yield from _rows(header, records, shape, limits)


def read_xlsx(
    stream: IO[bytes] | BinaryIO, shape: SheetShape, limits: SheetLimits = LIMITS
) -> Iterator[SheetRow]:
    """Rows of the first worksheet of an .xlsx file, read in streaming (read-only) mode once the
    container and the sheet's declared size are within the limits."""
    try:
        with zipfile.ZipFile(stream) as archive:
            _check_container(archive.infolist(), limits)
            for part in archive.namelist():
                if not part.startswith(BINARY_FOLDERS) and not part.lower().endswith(BINARY_SUFFIXES):
                    _check_xml(archive, part, limits)  # any name: a worksheet may be called anything
        stream.seek(0)
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except SheetError:
        raise
    except Exception as exc:  # zipfile and openpyxl raise many types for a file that is not a workbook
        raise SheetError("不是 Excel (.xlsx) 文件 / not an Excel (.xlsx) file") from exc
    try:
        sheet = workbook.worksheets[0]
        if not isinstance(sheet, ReadOnlyWorksheet):
            raise SheetError("不是工作表 / the first sheet is not a worksheet")
        _check_dimension(sheet, limits)
        # The declared size is not trusted for reading: openpyxl would pad every row to it. One
        # column past the limit is read, so that a value there is refused rather than dropped.
        sheet.reset_dimensions()
        rows = sheet.iter_rows(max_col=limits.max_columns + 1, values_only=True)
        header = next(rows, None)
        if header is None:
            raise SheetError("工作表是空的 / the worksheet is empty")
        yield from _rows(header, (_excel_cells(r) for r in rows), shape, limits)
    finally:
        workbook.close()


# Parts that are not XML (pictures, printer settings): openpyxl does not parse them as XML.
BINARY_FOLDERS = ("xl/media/", "docProps/thumbnail")
BINARY_SUFFIXES = (".bin", ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".emf", ".wmf")


def _is_worksheet(name: str) -> bool:
    return name.startswith("xl/worksheets/") and name.count("/") == 2


def _check_container(parts: list[zipfile.ZipInfo], limits: SheetLimits) -> None:
    """Refuse a container whose zip metadata (as declared; zipfile never inflates a part past its
    declared size) is over a limit, before openpyxl reads any part of it."""
    if len(parts) > limits.max_zip_entries:
        raise _over(
            "max_zip_entries", limits.max_zip_entries, "压缩包内文件过多", "too many parts in the file"
        )
    for part in parts:
        if _is_worksheet(part.filename):
            limit, value = "max_worksheet_bytes", limits.max_worksheet_bytes
        elif part.filename == "xl/sharedStrings.xml":
            limit, value = "max_shared_strings_bytes", limits.max_shared_strings_bytes
        else:
            limit, value = "max_other_part_bytes", limits.max_other_part_bytes
        if part.file_size > value:
            raise _over(limit, value, f"{part.filename} 过大", f"{part.filename} is too large")
    unpacked = sum(part.file_size for part in parts)
    if unpacked > limits.max_xlsx_bytes:
        raise _over("max_xlsx_bytes", limits.max_xlsx_bytes, "解压后过大", "too large once unpacked")
    if unpacked > limits.max_compression_ratio * max(sum(part.compress_size for part in parts), 1):
        raise _over(
            "max_compression_ratio",
            limits.max_compression_ratio,
            "压缩比异常",
            "compressed suspiciously well",
        )


def _feed(archive: zipfile.ZipFile, part: str, parser: expat.XMLParserType, limits: SheetLimits) -> None:
    """Stream ``part`` into ``parser``, refusing a run of bytes without markup before expat sees it."""
    long_gap = re.compile(rb"[^<]{%d}" % limits.max_markup_gap_bytes)
    tail = b""
    try:
        with archive.open(part) as raw:
            while chunk := raw.read(1 << 16):
                if long_gap.search(tail + chunk):
                    raise _over(
                        "max_markup_gap_bytes",
                        limits.max_markup_gap_bytes,
                        f"{part} 的标签或文字过长",
                        "a tag or text is too long",
                    )
                tail = chunk[-limits.max_markup_gap_bytes :]
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise SheetError(
            f"不是 Excel (.xlsx) 文件：{part} 不是 XML / not an Excel file: {part} is not XML"
        ) from exc


def _check_xml(archive: zipfile.ZipFile, part: str, limits: SheetLimits) -> None:
    """Stream one XML part through expat before openpyxl touches it, refusing what would make openpyxl
    work or allocate without bound: too many bytes without markup (checked on the raw bytes, before
    expat builds a tag's attributes), nesting too deep, too many elements, too many cells in one
    row, and what Excel never writes in these parts (a DTD, comments, CDATA, processing
    instructions)."""
    depth = elements = row_cells = 0

    def start(name: str, _attributes: list[str]) -> None:
        nonlocal depth, elements, row_cells
        depth, elements = depth + 1, elements + 1
        if depth > limits.max_xml_depth:
            raise _over("max_xml_depth", limits.max_xml_depth, f"{part} 嵌套过深", f"{part} nests too deep")
        if elements > limits.max_xml_elements:
            raise _over(
                "max_xml_elements",
                limits.max_xml_elements,
                f"{part} 元素过多",
                f"{part} has too many elements",
            )
        local = name.rpartition(":")[2]
        if local == "row":
            row_cells = 0
        elif local == "c":
            row_cells += 1
            if row_cells > limits.max_row_cells:
                raise _over(
                    "max_row_cells", limits.max_row_cells, "一行的单元格过多", "too many cells in a row"
                )

    def end(_name: str) -> None:
        nonlocal depth
        depth -= 1

    def not_excel(*_args: object) -> None:
        raise SheetError(
            f"{part} 含有 Excel 不会写入的内容（DTD、注释、CDATA 或处理指令）/ {part} holds what Excel never "
            "writes (a DTD, a comment, CDATA or a processing instruction)"
        )

    parser = expat.ParserCreate()
    parser.ordered_attributes = True
    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.StartDoctypeDeclHandler = parser.CommentHandler = not_excel
    parser.StartCdataSectionHandler = parser.ProcessingInstructionHandler = not_excel
    _feed(archive, part, parser, limits)


def _check_dimension(sheet: ReadOnlyWorksheet, limits: SheetLimits) -> None:
    """Refuse on the sheet's declared dimension (``<dimension ref="A1:F201"/>``) before reading rows;
    a sheet without one, or lying about it, is stopped as its rows are counted."""
    if sheet.max_row is not None and sheet.max_row - 1 > limits.max_rows:
        raise _over("max_rows", limits.max_rows, "工作表声明的行数过多", "the sheet declares too many rows")
    if sheet.max_column is not None and sheet.max_column > limits.max_columns:
        raise _over(
            "max_columns", limits.max_columns, "工作表声明的列数过多", "the sheet declares too many columns"
        )


def _excel_cells(row: tuple[Any, ...]) -> list[Any]:
    # Excel stores 85 as 85.0 and long ID numbers may arrive as numbers: give them back as typed.
    return [int(c) if isinstance(c, float) and c.is_integer() else c for c in row]


def template_csv(shape: SheetShape, example: Sequence[str]) -> bytes:
    """A CSV template: UTF-8 with BOM (so Excel shows the Chinese headers), one example row."""
    return rows_as_csv(shape.headers, [example])


def template_xlsx(
    shape: SheetShape, example: Sequence[str], *, title: str, text_columns: str, widths: Sequence[int]
) -> bytes:
    """An Excel template with one example row; ``text_columns`` (letters) are formatted as text so
    that Excel keeps all 18 characters of an ID number."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    sheet.append(shape.headers)
    sheet.append(list(example))
    for column in text_columns:
        for cell in sheet[column]:
            cell.number_format = "@"
    for index, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# A cell that begins like this is run as a formula by spreadsheets (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def as_text(value: object) -> str:
    """A cell's text for a CSV export: a leading ``'`` makes a formula-like value plain text, as OWASP
    advises. Exports never rely on input rules for this: every cell written out passes here."""
    text = str(value)
    # "--" is the national form's "no 工种": an operator with nothing to apply to, never a formula.
    return "'" + text if text.startswith(FORMULA_STARTS) and text != "--" else text


def rows_as_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """UTF-8 CSV with BOM (Excel then shows Chinese correctly); formula-like cells neutralised."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([as_text(cell) for cell in header])
    writer.writerows([as_text(cell) for cell in row] for row in rows)
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")


def rows_as_xlsx(header: Sequence[str], rows: Iterable[Sequence[object]], *, title: str = "证书") -> bytes:
    """A one-sheet workbook, every cell text: ID and certificate numbers keep all their digits, and a
    value beginning with ``=`` is written as a string, never as a formula (no ``<f>`` element)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    for row in (header, *rows):
        sheet.append([_text_cell(sheet, cell) for cell in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _text_cell(sheet: Any, value: object) -> Cell:
    cell = WriteOnlyCell(sheet, value=str(value))
    cell.data_type = "s"  # openpyxl types a string that begins with "=" as a formula: undo that
    return cell


def file_sha256(stream: BinaryIO) -> str:
    """SHA-256 of a seekable stream, read in chunks; the stream is rewound afterwards."""
    digest = hashlib.sha256()
    stream.seek(0)
    for chunk in iter(lambda: stream.read(1 << 16), b""):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()


XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
