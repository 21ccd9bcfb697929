"""The check pages' own rules: what a form asks for, what keeps a list row from being checked, a
refused list in one language."""

from __future__ import annotations

import pytest

from credential_service.core.errors import FieldError, InvalidInput
from credential_service.core.sheets import SheetError
from credential_service.verification.lookup import BulkRow
from credential_service.verification.pages.bulk import (
    BAD_ROW,
    NO_MATCH,
    BulkLine,
    bulk_line,
    row_problem,
    sheet_error_text,
    summary,
)
from credential_service.verification.pages.check import CheckForm, FormProblem, read_check_form
from credential_service.verification.schemas import QueryRequest

NUMBER = "Y000014010001263000001"


def test_a_form_becomes_the_apis_query_or_names_its_field() -> None:
    asked = read_check_form(CheckForm("number", f" {NUMBER.lower()} ", name=" 张三 "), "")
    assert asked == QueryRequest(name="张三", certificateNumber=NUMBER)
    asked = read_check_form(CheckForm("identity", id_type="passport", name="张三"), " E12345678 ")
    assert asked == QueryRequest(name="张三", idType="passport", idNumber="E12345678")
    for form, id_number, field in (
        (CheckForm("number", "", name="张三"), "", "certificate_number"),
        (CheckForm("number", "S1", name="张三"), "", "certificate_number"),
        (CheckForm("number", NUMBER, name=""), "", "name"),
        (CheckForm("identity", id_type="card", name="张三"), "1", "id_type"),
        (CheckForm("identity", name="张三"), "  ", "id_number"),
        (CheckForm("identity", name="张三"), "1" * 41, "id_number"),
        (CheckForm("identity", name="张" * 51), "1", "id_name"),
        (CheckForm("post", name="张三"), "", ""),
    ):
        problem = read_check_form(form, id_number)
        assert isinstance(problem, FormProblem) and problem.field == field, (form, problem)
        assert " / " in problem.message  # a "中文 / English" pair: the page shows one half


def test_a_row_is_checked_unless_a_cell_is_empty_or_the_number_malformed() -> None:
    assert row_problem(BulkRow(1, NUMBER, "张三")) is None
    assert row_problem(BulkRow(1, NUMBER.lower(), "张三")) is None  # as the look-up reads it
    assert row_problem(BulkRow(1, "", "张三")) == "缺少证书编号 / the certificate number is missing"
    assert (row_problem(BulkRow(1, "Y1", "张三")) or "").startswith("证书编号应为 22 位")
    assert row_problem(BulkRow(1, NUMBER, " ")) == "缺少姓名 / the name is missing"


def test_a_row_without_a_certificate_reads_in_words() -> None:
    unknown = bulk_line(BulkRow(4, NUMBER, "张三"), None, lang="zh", checked_at="2026-12-04 13:36")
    assert unknown.verdict == NO_MATCH
    assert unknown.cells[:5] == ["5", NUMBER, "张三", "未查到", "证书编号与姓名不匹配，或没有这本证书"]
    assert unknown.cells[5:] == ["—"] * 5 + ["2026-12-04 13:36"]
    bad = bulk_line(BulkRow(1, "", "张三"), None, lang="en", checked_at="")
    assert bad.verdict == BAD_ROW and bad.cells[3:5] == ["Not checked", "the certificate number is missing"]


def test_the_summary_lists_verdicts_in_a_fixed_order() -> None:
    lines = [BulkLine(v, []) for v in (BAD_ROW, NO_MATCH, "genuine", "genuine", "revoked")]
    assert summary(lines, "zh") == "真实有效 2 · 已撤销 1 · 未查到 1 · 无法查验 1"


@pytest.mark.parametrize(
    ("error", "zh", "en"),
    [
        (SheetError("缺少列 / missing columns: 证书编号", "header"), "名单第一行应为表头：证书编号,姓名",
         "the first row must be the template's header: 证书编号,姓名 (certificate number, name)"),
        (SheetError("单元格内容过长（上限 200）/ a cell is too long (limit max_cell_chars = 200)", "row 7"),
         "第 7 行：单元格内容过长（上限 200）", "row 7: a cell is too long (limit max_cell_chars = 200)"),
        (InvalidInput("第 3 行：超过 16 列 / more than 16 columns", [FieldError("row 3", "x")]),
         "第 3 行：超过 16 列", "row 3: more than 16 columns"),
    ],
)  # fmt: skip
def test_a_refused_list_reads_in_one_language(error: InvalidInput, zh: str, en: str) -> None:
    assert sheet_error_text(error, "zh") == zh
    assert sheet_error_text(error, "en") == en
