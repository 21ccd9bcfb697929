"""Result sheets: templates, CSV (UTF-8 with BOM, GB 18030) and Excel read row by row, every row rule."""

from __future__ import annotations

import io
from collections.abc import Collection, Mapping

import pytest
from openpyxl import Workbook

from credential_service.assessment.workflow.errors import SheetError
from credential_service.assessment.workflow.results.rows import (
    CHUNK_ROWS,
    MAX_LISTED_ERRORS,
    CheckedChunk,
    Identity,
    SheetSummary,
    check_rows,
)
from credential_service.assessment.workflow.results.sheet import (
    read_csv,
    read_xlsx,
    template_csv,
    template_xlsx,
)
from credential_service.identity.rules import DocumentType, gb11643_check_char


def _number(first17: str) -> str:
    return first17 + gb11643_check_char(first17)


A, B, C = _number("14010519900101123"), _number("14010519851212456"), _number("14020219790303789")


def _csv(*rows: str, encoding: str = "utf-8-sig") -> io.BytesIO:
    text = "证件类型,证件号码,姓名,理论知识成绩,技能操作成绩,综合评审成绩\n" + "\n".join(rows) + "\n"
    return io.BytesIO(text.encode(encoding))


def test_templates_read_back_with_their_example_row() -> None:
    for reader, template in ((read_csv, template_csv()), (read_xlsx, template_xlsx())):
        rows = list(reader(io.BytesIO(template)))
        assert [(r.row_number, r.values["name"], r.values["theory"]) for r in rows] == [(2, "张三", "85")]
        assert rows[0].values["id_number"] == "11010519491231002X"
    assert template_csv().startswith(b"\xef\xbb\xbf")


def test_csv_encodings_blank_lines_and_missing_columns() -> None:
    utf8 = list(read_csv(_csv(f"居民身份证,{A},王伟,80,90,", "", f"居民身份证,{B},李娜,70,65,")))
    assert [r.row_number for r in utf8] == [2, 4]
    gbk = list(read_csv(_csv(f"居民身份证,{A},王伟,80,90,", encoding="gb18030")))
    assert gbk[0].values["name"] == "王伟"
    with pytest.raises(SheetError, match="姓名"):
        list(read_csv(io.BytesIO("证件类型,证件号码,成绩\n".encode())))
    with pytest.raises(SheetError):
        list(read_csv(io.BytesIO(b"")))
    with pytest.raises(SheetError):
        list(read_xlsx(io.BytesIO(b"not a workbook")))


def test_excel_numbers_come_back_as_typed() -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["证件类型", "证件号码", "姓名", "理论知识成绩", "技能操作成绩"])
    sheet.append(["居民身份证", A, "王伟", 85.0, 72.5])
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    [row] = list(read_xlsx(out))
    assert row.values == {
        "document_type": "居民身份证",
        "id_number": A,
        "name": "王伟",
        "theory": "85",
        "skill": "72.5",
    }


class _Lookups:
    """The database's part of the check, in memory: who was seen in earlier chunks, names, holders."""

    def __init__(self, names: dict[str, str], holders: set[str]) -> None:
        self.names, self.holders, self.seen = names, holders, dict[Identity, int]()
        self.calls = 0

    def earlier_rows(self, first_rows: Mapping[Identity, int]) -> dict[Identity, int]:
        self.calls += 1
        earlier = {who: self.seen[who] for who in first_rows if who in self.seen}
        for who, row in first_rows.items():
            self.seen.setdefault(who, row)
        return earlier

    def recorded_names(self, identities: Collection[Identity]) -> dict[Identity, str]:
        return {who: self.names[who[1]] for who in identities if who[1] in self.names}

    def certificate_holders(self, identities: Collection[Identity]) -> set[Identity]:
        return {who for who in identities if who[1] in self.holders}


def _check(
    level: int,
    *rows: str,
    names: dict[str, str] | None = None,
    holders: set[str] | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> CheckedChunk:
    """Every chunk of the sheet merged into one."""
    merged = CheckedChunk()
    lookups = _Lookups(names or {}, holders or set())
    for chunk in check_rows(read_csv(_csv(*rows)), level=level, lookups=lookups, chunk_rows=chunk_rows):
        merged.rows += chunk.rows
        merged.errors += chunk.errors
        merged.rows_read += chunk.rows_read
        merged.rows_rejected += chunk.rows_rejected
    assert lookups.calls == -(-merged.rows_read // chunk_rows)  # one round of look-ups per chunk
    return merged


@pytest.mark.parametrize("chunk_rows", [CHUNK_ROWS, 1, 3])
def test_every_row_rule_with_row_and_column(chunk_rows: int) -> None:
    checked = _check(
        3,
        f"居民身份证,{A},王伟,80,90,",  # 2: fine, passes
        f"居民身份证,{B},李娜,59,90,",  # 3: fine, fails (59)
        f"居民身份证,{A[:-1]}{'0' if A[-1] != '0' else '1'},赵六,80,90,",  # 4: bad check character
        f"居民身份证,{C},,80,90,",  # 5: no name
        f"居民身份证,{C},孙七,abc,101,",  # 6: not a number, out of range
        f"居民身份证,{A},王伟,70,70,",  # 7: duplicate of row 2
        f"驾驶证,{C},孙七,70,70,",  # 8: unknown document type
        f"居民身份证,{C},孙八,70,,",  # 9: name differs from the file; skill missing
        names={C: "孙七"},
        chunk_rows=chunk_rows,  # a duplicate is found across chunks as within one
    )
    assert [(r.row_number, r.passed) for r in checked.rows] == [(2, True), (3, False)]
    assert (checked.rows_read, checked.rows_rejected) == (8, 6)
    problems = {(e.loc, e.reason.split(" / ")[0]) for e in checked.errors}
    assert ("row 4: 证件号码", "校验码不正确") in problems
    assert ("row 5: 姓名", "姓名不能为空") in problems
    assert ("row 6: 理论知识成绩", "不是数字") in problems
    assert ("row 6: 技能操作成绩", "应在 0–100 之间") in problems
    assert ("row 7: 证件号码", "与第 2 行重复") in problems
    assert ("row 8: 证件类型", "未知证件类型") in problems
    assert ("row 9: 姓名", "姓名与档案不一致") in problems
    assert ("row 9: 技能操作成绩", "缺少成绩") in problems
    assert all(A[:14] not in e.reason for e in checked.errors)  # never echoes numbers


def test_review_is_required_for_levels_2_and_1_and_existing_holders_are_refused() -> None:
    checked = _check(2, f"居民身份证,{A},王伟,80,90,", f"居民身份证,{B},李娜,80,90,75", holders={B})
    assert checked.rows == []
    assert {e.loc for e in checked.errors} == {"row 2: 综合评审成绩", "row 3: 证件号码"}
    ok = _check(2, f"居民身份证,{A},王伟,80,90,60")
    assert ok.rows[0].passed and ok.rows[0].document_type is DocumentType.RESIDENT_ID


def test_row_limit() -> None:
    from credential_service.assessment.workflow.results import sheet as result_sheet

    rows = "\n".join(f"居民身份证,{A},王伟,80,90," for _ in range(result_sheet.LIMITS.max_rows + 1))
    with pytest.raises(SheetError, match="20000"):
        list(read_csv(_csv(rows)))


def test_problems_beyond_the_first_thousand_are_counted_not_listed() -> None:
    summary = SheetSummary()
    rows = [f"驾驶证,{A},王伟,80,90," for _ in range(MAX_LISTED_ERRORS + 250)] + [
        f"居民身份证,{B},李娜,80,90,"
    ]
    for chunk in check_rows(read_csv(_csv(*rows)), level=3, lookups=_Lookups({}, set())):
        summary.add(chunk)
    assert (summary.rows_read, summary.rows_rejected, summary.accepted, summary.passed) == (1251, 1250, 1, 1)
    listed = summary.listed_errors()
    assert len(summary.errors) == MAX_LISTED_ERRORS and summary.errors_not_listed == 250
    assert len(listed) == MAX_LISTED_ERRORS + 1 and listed[-1].loc == "rows" and "250" in listed[-1].reason
    assert listed[0].loc == "row 2: 证件类型" and listed[MAX_LISTED_ERRORS - 1].loc == "row 1001: 证件类型"
