"""Time in one place: UTC, second precision, XML Schema dateTimeStamp text (VC 2.0 §4.9)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# XMLSCHEMA11-2 dateTimeStamp: the time zone is mandatory.
_DATETIME_STAMP = re.compile(r"^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


# Dates on certificates, classes, scope rows and in the national rules are Beijing dates, whatever
# the server's own time zone (containers run in UTC: ``date.today()`` is a day behind after 16:00).
BEIJING = ZoneInfo("Asia/Shanghai")


def beijing_date(moment: datetime) -> date:
    """The Beijing calendar date of a moment."""
    return as_utc(moment).astimezone(BEIJING).date()


def beijing_now() -> datetime:
    return utcnow().astimezone(BEIJING)


def beijing_today() -> date:
    return beijing_date(utcnow())


def beijing_midnight(day: date) -> datetime:
    """The start of a Beijing calendar day, as an aware moment (for date-only facts)."""
    return datetime.combine(day, time(0), BEIJING)


def beijing_text(moment: datetime | date | None, *, minutes: bool = False) -> str:
    """What a person reads: a moment as its Beijing date (and time to the minute), a date as
    recorded, nothing as "—" (pages, printouts, exports; the JSON API keeps ISO 8601)."""
    if moment is None:
        return "—"
    if not isinstance(moment, datetime):
        return moment.isoformat()
    local = as_utc(moment).astimezone(BEIJING)
    return local.strftime("%Y-%m-%d %H:%M" if minutes else "%Y-%m-%d")


def china_day_bounds(day: date) -> tuple[datetime, datetime]:
    """The first instant of a Beijing calendar day and the first instant of the next one."""
    start = beijing_midnight(day)
    return start, start + timedelta(days=1)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def to_xsd(moment: datetime) -> str:
    """``2026-11-27T04:54:02Z`` for an aware datetime."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    # isoformat, not strftime (a quarter of the time: many are written per certificate)
    return moment.astimezone(UTC).isoformat(timespec="seconds")[:19] + "Z"


def parse_xsd(text: str) -> datetime:
    """Parse a dateTimeStamp; raises ValueError for anything without a time zone or not a date."""
    if not isinstance(text, str) or not _DATETIME_STAMP.match(text):
        raise ValueError("not an XML Schema dateTimeStamp (e.g. 2026-01-01T00:00:00Z)")
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def as_utc(moment: datetime) -> datetime:
    """Database drivers may hand back naive datetimes (SQLite): they are UTC by our convention."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
