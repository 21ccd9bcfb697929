"""Strict input types shared by the request models.

Pydantic's lax mode reads a number (or a string of digits) as a Unix time, so ``"exam_start": 0``
would quietly become 1970-01-01. Dates and times in requests are ISO 8601 text only.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from pydantic import BeforeValidator

# 职业分类大典 (2022) occupation codes: D-DD-DD-DD, major groups 1 to 8. One pattern for every part.
OCCUPATION_CODE_PATTERN = r"^[1-8]-\d{2}-\d{2}-\d{2}$"
OCCUPATION_CODE = re.compile(OCCUPATION_CODE_PATTERN)
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?")


def iso_date(value: object) -> object:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        raise ValueError("a date as YYYY-MM-DD")
    return value


def iso_datetime(value: object) -> object:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not ISO_DATETIME.fullmatch(value):
        raise ValueError("a time as ISO 8601, e.g. 2026-05-01T08:00:00+08:00")
    return value


IsoDate = Annotated[date, BeforeValidator(iso_date)]
IsoDateTime = Annotated[datetime, BeforeValidator(iso_datetime)]
