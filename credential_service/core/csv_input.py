"""The one bounded reader behind every CSV the service accepts (result sheets, bulk look-ups, the
occupation catalogue).

Spreadsheets save CSV in many ways: LF, CRLF or CR-only line ends (Excel for Mac), with or without a
UTF-8 BOM, or in GB 18030 (older Chinese Excel; a superset of GBK). All of them are read here, and a
malformed or oversized file is refused with a 422 naming the row, never a 500 from ``csv.Error``.
Lines are read with a length cap, so one endless line cannot fill the memory before a cell is seen.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import IO, Any

from credential_service.core.errors import FieldError, InvalidInput

SNIFF_BYTES = 65_536  # enough text to tell UTF-8 from GB 18030


def csv_rows(stream: IO[bytes], *, max_columns: int, max_cell_chars: int) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) of each record: the header is row 1, as a spreadsheet numbers it (a quoted
    cell spanning lines is still one row). Raises InvalidInput naming the row for a record with more
    than ``max_columns`` cells or a cell longer than ``max_cell_chars``, and for a malformed file."""
    text = _decoded(stream)
    # The longest line a record within the limits can take: every cell quoted, every quote doubled.
    max_line = max_columns * (2 * max_cell_chars + 3) + 2
    row = 0

    def lines() -> Iterator[str]:
        while line := text.readline(max_line + 1):
            if len(line) > max_line:
                raise _refused(
                    row + 1, f"一行超过 {max_line} 个字符 / a line longer than {max_line} characters"
                )
            yield line

    try:
        for cells in csv.reader(lines()):
            row += 1
            if len(cells) > max_columns:
                raise _refused(row, f"超过 {max_columns} 列 / more than {max_columns} columns")
            if any(len(cell) > max_cell_chars for cell in cells):
                raise _refused(
                    row,
                    f"单元格超过 {max_cell_chars} 个字符 / a cell longer than {max_cell_chars} characters",
                )
            yield row, cells
    except csv.Error as exc:
        raise _refused(row + 1, f"CSV 格式错误 / malformed CSV: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise _refused(row + 1, "编码应为 UTF-8 或 GB 18030 / the text must be UTF-8 or GB 18030") from exc


def _refused(row: int, reason: str) -> InvalidInput:
    return InvalidInput(f"第 {row} 行：{reason}", [FieldError(f"row {row}", reason)], "bad_csv")


def _decoded(stream: IO[bytes]) -> io.TextIOWrapper:
    """The stream as text: UTF-8 (a BOM is dropped) unless its start is not UTF-8, then GB 18030.
    ``newline=""`` hands CR, LF and CRLF to the csv module untouched, which ends rows on each."""
    head = stream.read(SNIFF_BYTES)
    encoding = "utf-8-sig"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if len(head) < SNIFF_BYTES or exc.start < len(head) - 3:  # not just a character cut at the edge
            encoding = "gb18030"
    return io.TextIOWrapper(io.BufferedReader(_Prepend(head, stream)), encoding=encoding, newline="")


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
