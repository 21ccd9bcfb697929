"""Checking a result sheet row by row: every problem with its row, column and reason.

Rows are checked as they stream in, a chunk at a time, so that nothing is kept per row: the
look-ups that need the database (who appeared earlier in the sheet, a person's recorded name,
whether they already hold a valid certificate for this occupation, 工种 and level) are passed in as
``SheetLookups`` and asked once per chunk. The rules themselves stay pure and are tested without a
database (tests/unit/test_result_sheets.py).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import Protocol

from credential_service.assessment.workflow.results.sheet import DOCUMENT_TYPE_NAMES, SheetRow
from credential_service.assessment.workflow.rules import PASS_MARK, Scores, missing_parts, passes
from credential_service.core.errors import FieldError
from credential_service.identity.rules import DocumentType, IdNumberError, name_problem, normalise_id_number

COLUMN_NAMES = {
    "document_type": "证件类型",
    "id_number": "证件号码",
    "name": "姓名",
    "theory": "理论知识成绩",
    "skill": "技能操作成绩",
    "review": "综合评审成绩",
}
CHUNK_ROWS = 500  # rows checked (and recorded) together: bounds memory (~6 KiB a row), batches the queries
MAX_LISTED_ERRORS = 1_000  # problems listed one by one; beyond that only their number is given

# (证件类型, 证件号码 normalised): who a row is about. The number stays in memory for one chunk only.
Identity = tuple[DocumentType, str]


class SheetLookups(Protocol):
    """What checking needs from outside, asked once per chunk of rows."""

    def earlier_rows(self, first_rows: Mapping[Identity, int]) -> dict[Identity, int]:
        """Note each identity with the row it first appears in within this chunk; return, for those
        already noted in an earlier chunk, that earlier row."""
        ...

    def recorded_names(self, identities: Collection[Identity]) -> dict[Identity, str]:
        """The name in the person's file, for those who have one."""
        ...

    def certificate_holders(self, identities: Collection[Identity]) -> set[Identity]:
        """Those who already hold a valid certificate for the plan's occupation, 工种 and level."""
        ...


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
class CheckedChunk:
    """One chunk of the sheet: its good rows, and the problems of the others."""

    rows: list[CandidateRow] = field(default_factory=list)
    errors: list[FieldError] = field(default_factory=list)
    rows_read: int = 0
    rows_rejected: int = 0


@dataclass
class SheetSummary:
    """What a whole sheet came to, kept in bounded memory: counts, and the first problems."""

    rows_read: int = 0
    accepted: int = 0
    passed: int = 0
    rows_rejected: int = 0
    errors: list[FieldError] = field(default_factory=list)  # at most MAX_LISTED_ERRORS
    errors_not_listed: int = 0

    def add(self, chunk: CheckedChunk) -> None:
        self.rows_read += chunk.rows_read
        self.accepted += len(chunk.rows)
        self.passed += sum(row.passed for row in chunk.rows)
        self.rows_rejected += chunk.rows_rejected
        room = MAX_LISTED_ERRORS - len(self.errors)
        self.errors.extend(chunk.errors[: max(room, 0)])
        self.errors_not_listed += max(len(chunk.errors) - max(room, 0), 0)

    def listed_errors(self) -> list[FieldError]:
        """The problems as reported: the first MAX_LISTED_ERRORS, then one line saying how many more."""
        if not self.errors_not_listed:
            return list(self.errors)
        more = self.errors_not_listed
        return [
            *self.errors,
            FieldError(
                "rows",
                f"另有 {more} 个问题未逐条列出，请先更正以上问题 / {more} more problems not listed: "
                "correct the ones above first",
            ),
        ]


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


@dataclass
class _Row:
    """One row after the rules that need nothing but the row itself."""

    number: int
    identity: Identity | None  # when type, number and name are all usable
    name: str
    scores: Scores
    problems: list[FieldError]


def _check_row(row: SheetRow, level: int) -> _Row:
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
    bad_name = name_problem(name)
    if bad_name is not None:
        problems.append(_problem(n, "name", bad_name))
    scores = Scores(
        _score(row, "theory", problems), _score(row, "skill", problems), _score(row, "review", problems)
    )
    for part in missing_parts(level, scores):
        if not any(p.loc == f"row {n}: {COLUMN_NAMES[part]}" for p in problems):
            problems.append(_problem(n, part, "缺少成绩 / the score is missing"))
    identity = (doc_type, number) if doc_type is not None and number is not None and not bad_name else None
    return _Row(n, identity, name, scores, problems)


def _check_chunk(
    rows: list[SheetRow], *, level: int, lookups: SheetLookups, pass_mark: float
) -> CheckedChunk:
    checked = [_check_row(row, level) for row in rows]
    first_in_chunk: dict[Identity, int] = {}
    for row in checked:
        if row.identity is not None:
            first_in_chunk.setdefault(row.identity, row.number)
    earlier = lookups.earlier_rows(first_in_chunk)
    names = lookups.recorded_names(first_in_chunk.keys())
    holders = lookups.certificate_holders(first_in_chunk.keys())
    chunk = CheckedChunk(rows_read=len(rows))
    for row in checked:
        if row.identity is not None:
            first = earlier.get(row.identity, first_in_chunk[row.identity])
            if first != row.number:
                row.problems.append(
                    _problem(row.number, "id_number", f"与第 {first} 行重复 / same candidate as row {first}")
                )
            known = names.get(row.identity)
            if known is not None and known != row.name:
                row.problems.append(
                    _problem(row.number, "name", "姓名与档案不一致 / the name differs from the person's file")
                )
            if row.identity in holders:
                row.problems.append(
                    _problem(
                        row.number,
                        "id_number",
                        "已持有同职业（工种）同等级的有效证书 / already holds this certificate",
                    )
                )
        if row.problems or row.identity is None:
            chunk.errors.extend(row.problems)
            chunk.rows_rejected += 1
            continue
        doc_type, number = row.identity
        chunk.rows.append(
            CandidateRow(
                row.number,
                doc_type,
                number,
                row.name,
                row.scores,
                passes(level, row.scores, pass_mark=pass_mark),
            )
        )
    return chunk


def check_rows(
    rows: Iterable[SheetRow],
    *,
    level: int,
    lookups: SheetLookups,
    pass_mark: float = PASS_MARK,
    chunk_rows: int = CHUNK_ROWS,
) -> Iterator[CheckedChunk]:
    """Check every row, ``chunk_rows`` at a time; rows with any problem are reported, never half-accepted.

    A chunk is checked only when the one before it has been consumed, so a caller that records
    each chunk before asking for the next keeps at most one chunk in memory.
    """
    stream = iter(rows)
    while batch := list(islice(stream, chunk_rows)):
        yield _check_chunk(batch, level=level, lookups=lookups, pass_mark=pass_mark)
