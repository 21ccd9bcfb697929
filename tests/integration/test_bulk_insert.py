"""core.db.bulk_insert (COPY on PostgreSQL, executemany on SQLite) and planned_as_tables_grow, on
both backends: what they write, what the clear-ID-number guard refuses, the errors they raise."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from credential_service.assessment.workflow.models import SheetIdentity
from credential_service.audit.models import AuditEvent
from credential_service.core.db import bulk_insert, planned_as_tables_grow, table_of
from credential_service.core.errors import InvalidInput
from credential_service.runtime import Runtime

CLEAR_ID_NUMBER = "11010519491231002X"  # the GB 11643 example: a valid check character


def _events(count: int) -> list[dict[str, object]]:
    at = datetime(2026, 12, 4, 8, 30, 15, 123456, tzinfo=UTC)
    return [
        {
            "seq": 1000 + n,
            "at": at,
            "actor": "bench",
            "action": "test.bulk",
            "subject": f"第{n}号",  # not ASCII: COPY's text format must carry it as it is
            "detail": '{"quote": "\\"", "tab": "\\t", "line": "a\\nb"}',
            "prev_hash": f"{n:064x}",
            "event_hash": f"{n + 1:064x}",
        }
        for n in range(count)
    ]


def test_rows_are_written_as_an_insert_would(runtime: Runtime) -> None:
    rows = _events(1200)
    with runtime.session() as session:
        bulk_insert(session, table_of(AuditEvent), rows)
    with runtime.session() as session:
        stored = session.execute(
            select(*(table_of(AuditEvent).c[name] for name in rows[0])).where(AuditEvent.seq >= 1000)
        ).all()
    assert [dict(row._mapping) for row in sorted(stored)] == rows


def test_nothing_is_written_for_no_rows(runtime: Runtime) -> None:
    with runtime.session() as session:
        bulk_insert(session, table_of(AuditEvent), [])
        assert session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.seq >= 1000)) == 0


def test_a_clear_id_number_is_refused_and_nothing_is_written(runtime: Runtime) -> None:
    rows = [{"sheet_id": "s1", "identity_key": f"key-{n}", "row_number": n + 2} for n in range(50)]
    rows[37]["identity_key"] = f"身份证{CLEAR_ID_NUMBER}"
    with pytest.raises(InvalidInput) as refused, runtime.session() as session:
        bulk_insert(session, table_of(SheetIdentity), rows)
    assert refused.value.code == "clear_id_number"
    # The column too where the rows reach the guard by name (COPY's rows; SQLite's are positional).
    assert refused.value.errors[0].loc in {"sheet_identities.identity_key", "sheet_identities"}
    with runtime.session() as session:
        assert session.scalar(select(func.count()).select_from(SheetIdentity)) == 0


def test_a_broken_constraint_raises_the_error_an_insert_raises(runtime: Runtime) -> None:
    rows = [{"sheet_id": "s1", "identity_key": "same", "row_number": n} for n in (2, 3)]
    with pytest.raises(IntegrityError), runtime.session() as session:
        bulk_insert(session, table_of(SheetIdentity), rows)
    with runtime.session() as session:
        assert session.scalar(select(func.count()).select_from(SheetIdentity)) == 0


def test_plans_are_made_per_statement_for_that_transaction_only(runtime: Runtime, backend: str) -> None:
    with runtime.session() as session:
        planned_as_tables_grow(session)
        if backend == "postgres":
            assert session.scalar(text("SHOW plan_cache_mode")) == "force_custom_plan"
    if backend == "postgres":
        for _ in range(3):  # whichever pooled connection comes next
            with runtime.session() as session:
                assert session.scalar(text("SHOW plan_cache_mode")) == "auto"
