"""What people read on pages, printouts and exports: Beijing dates and times (issue 12)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from credential_service.core.clock import beijing_text


def test_pages_show_beijing_dates_and_times() -> None:
    # A completion recorded for 2026-05-24 is stored at Beijing midnight, 16:00 UTC the day before.
    midnight = datetime(2026, 5, 23, 16, 0, tzinfo=UTC)
    assert beijing_text(midnight) == "2026-05-24"
    assert beijing_text(datetime(2026, 12, 4, 5, 36, tzinfo=UTC), minutes=True) == "2026-12-04 13:36"
    assert beijing_text(date(2026, 5, 24)) == "2026-05-24"
    assert beijing_text(None) == "—"
