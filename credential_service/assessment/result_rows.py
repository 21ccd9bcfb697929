"""Checking a result sheet row by row: every problem with its row, column and reason.

Pure apart from two look-ups passed in (the recorded name of a person, whether they already hold a
valid certificate for this occupation, 工种 and level), so the rules are tested without a database.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from credential_service.assessment.result_sheet import DOCUMENT_TYPE_NAMES, SheetRow
from credential_service.assessment.workflow_rules import PASS_MARK, Scores, missing_parts, passes
from credential_service.core.errors import FieldError
from credential_service.identity.rules import DocumentType, IdNumberError, normalise_id_number

COLUMN_NAMES = {
    "document_type": "证件类型",
    "id_number": "证件号码",
    "name": "姓名",
    "theory": "理论知识成绩",
    "skill": "技能操作成绩",
    "review": "综合评审成绩",
}


@dataclass(frozen=True)
class CandidateRow:
    row_number: int
    document_type: DocumentType
    id_number: str  # normalised; leaves this module only to be sealed or hashed
    name: str
    scores: Scores
    passed: bool

    def __repr__(self) -> str:
        return f"CandidateRow(row {self.row_number}, passed={self.passed})"


@dataclass
class CheckedSheet:
    rows: list[CandidateRow] = field(default_factory=list)
    errors: list[FieldError] = field(default_factory=list)


def _problem(row: int, column: str, reason: str) -> FieldError:
    return FieldError(f"row {row}: {COLUMN_NAMES.get(column, column)}", reason)


def _score(row: SheetRow, column: str, problems: list[FieldError]) -> float | None:
    text = row.values.get(column, "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        problems.append(_problem(row.row_number, column, "不是数字 / not a number"))
        return None
    if not math.isfinite(value) or not 0 <= value <= 100:
        problems.append(_problem(row.row_number, column, "应在 0–100 之间 / must be 0 to 100"))
        return None
    return value


def _document_type(text: str) -> DocumentType | None:
    text = text.strip()
    if text in DOCUMENT_TYPE_NAMES:
        return DOCUMENT_TYPE_NAMES[text]
    try:
        return DocumentType(text)
    except ValueError:
        return None


def check_rows(
    rows: Iterable[SheetRow],
    *,
    level: int,
    recorded_name: Callable[[DocumentType, str], str | None],
    holds_certificate: Callable[[DocumentType, str], bool],
    pass_mark: float = PASS_MARK,
) -> CheckedSheet:
    """Validate every row; rows with any problem are reported, never half-accepted."""
    checked = CheckedSheet()
    seen: dict[tuple[DocumentType, str], int] = {}
    for row in rows:
        problems: list[FieldError] = []
        n = row.row_number
        doc_type = _document_type(row.values.get("document_type", ""))
        if doc_type is None:
            problems.append(_problem(n, "document_type", "未知证件类型 / unknown document type"))
        number = None
        if doc_type is not None:
            try:
                number = normalise_id_number(doc_type, row.values.get("id_number", ""))
            except IdNumberError as exc:
                problems.append(_problem(n, "id_number", str(exc)))
        name = row.values.get("name", "").strip()
        if not name:
            problems.append(_problem(n, "name", "姓名不能为空 / the name is required"))
        scores = Scores(
            _score(row, "theory", problems), _score(row, "skill", problems), _score(row, "review", problems)
        )
        for part in missing_parts(level, scores):
            if not any(p.loc == f"row {n}: {COLUMN_NAMES[part]}" for p in problems):
                problems.append(_problem(n, part, "缺少成绩 / the score is missing"))
        if doc_type is not None and number is not None and name:
            earlier = seen.get((doc_type, number))
            if earlier is not None:
                problems.append(
                    _problem(n, "id_number", f"与第 {earlier} 行重复 / same candidate as row {earlier}")
                )
            seen.setdefault((doc_type, number), n)
            known = recorded_name(doc_type, number)
            if known is not None and known != name:
                problems.append(
                    _problem(n, "name", "姓名与档案不一致 / the name differs from the person's file")
                )
            if holds_certificate(doc_type, number):
                problems.append(
                    _problem(
                        n,
                        "id_number",
                        "已持有同职业（工种）同等级的有效证书 / already holds this certificate",
                    )
                )
        if problems:
            checked.errors.extend(problems)
            continue
        assert doc_type is not None and number is not None
        checked.rows.append(
            CandidateRow(n, doc_type, number, name, scores, passes(level, scores, pass_mark=pass_mark))
        )
    return checked
