"""Hand-made .xlsx files, as the hostile tester of issue 10 built them: a 2 KB sheet that declares
``A1:XFD300000`` and holds rows 2 and 300000, and a sheet whose one shared string is hundreds of MiB
(under 0.5 MB compressed). Written part by part with zipfile, so every byte is under control."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from functools import cache
from xml.sax.saxutils import escape

from openpyxl.utils import get_column_letter

HEADER = ("证件类型", "证件号码", "姓名", "理论知识成绩", "技能操作成绩")
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_TYPES = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE = "http://schemas.openxmlformats.org/package/2006"


def row_xml(number: int, cells: Iterable[str]) -> str:
    """One row of inline-string cells (a value ``#0`` refers to shared string 0)."""
    out = []
    for column, value in enumerate(cells, start=1):
        ref = f"{get_column_letter(column)}{number}"
        if value == "#0":
            out.append(f'<c r="{ref}" t="s"><v>0</v></c>')
        elif value:
            out.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>')
    return f'<row r="{number}">{"".join(out)}</row>'


def sheet_xml(rows: dict[int, Iterable[str]], dimension: str | None = None) -> str:
    declared = f'<dimension ref="{dimension}"/>' if dimension else ""
    body = "".join(row_xml(n, cells) for n, cells in sorted(rows.items()))
    return f'<worksheet xmlns="{MAIN}">{declared}<sheetData>{body}</sheetData></worksheet>'


def workbook(sheet: str, shared_strings: Iterable[bytes] | None = None, extra_parts: int = 0) -> bytes:
    """A minimal .xlsx around ``sheet``; ``shared_strings`` (chunks, streamed into the zip) becomes
    xl/sharedStrings.xml; ``extra_parts`` adds that many small unused parts."""
    shared = shared_strings is not None
    overrides = f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPES}.sheet.main+xml"/>'
    overrides += f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_TYPES}.worksheet+xml"/>'
    if shared:
        overrides += f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_TYPES}.sharedStrings+xml"/>'
    rels = f'<Relationship Id="rId1" Type="{_RELATIONSHIPS}/worksheet" Target="worksheets/sheet1.xml"/>'
    if shared:
        rels += f'<Relationship Id="rId2" Type="{_RELATIONSHIPS}/sharedStrings" Target="sharedStrings.xml"/>'
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr(
            "[Content_Types].xml",
            f'<Types xmlns="{_PACKAGE}/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            f'<Default Extension="xml" ContentType="application/xml"/>{overrides}</Types>',
        )
        archive.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{_PACKAGE}/relationships"><Relationship Id="rId1" '
            f'Type="{_RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{MAIN}" xmlns:r="{_RELATIONSHIPS}"><sheets>'
            '<sheet name="评价结果" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{_PACKAGE}/relationships">{rels}</Relationships>',
        )
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        if shared_strings is not None:
            with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
                for chunk in shared_strings:
                    part.write(chunk)
        for i in range(extra_parts):
            archive.writestr(f"docProps/extra{i}.xml", "<x/>")
    return out.getvalue()


def candidate(id_number: str, name: str) -> tuple[str, ...]:
    return ("居民身份证", id_number, name, "80", "85")


@cache
def crafted_dimension_xlsx(id_number: str) -> bytes:
    """Declares A1:XFD300000 (16,384 columns, 300,000 rows); holds only rows 1, 2 and 300000."""
    row = candidate(id_number, "王伟")
    return workbook(sheet_xml({1: HEADER, 2: row, 300_000: row}, dimension="A1:XFD300000"))


def shared_string_chunks(chars: int, chunk: int = 1 << 20) -> Iterable[bytes]:
    yield f'<sst xmlns="{MAIN}" count="1" uniqueCount="1"><si><t>'.encode()
    for start in range(0, chars, chunk):
        yield b"A" * min(chunk, chars - start)
    yield b"</t></si></sst>"


@cache
def huge_cell_xlsx(id_number: str, chars: int = 400 * 2**20) -> bytes:
    """Row 2's name is shared string 0: ``chars`` letters (400 MiB, about 0.4 MB compressed)."""
    rows = {1: HEADER, 2: ("居民身份证", id_number, "#0", "80", "85")}
    return workbook(sheet_xml(rows, dimension="A1:E2"), shared_string_chunks(chars))
