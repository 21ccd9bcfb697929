"""Database engine and sessions (SQLAlchemy 2): SQLite in WAL mode by default, PostgreSQL in production.

Sessions are opened inside service calls (``with session_scope(engine) as s``), never held by a
request dependency across a thread hop: that pattern deadlocks the pool under a burst
(fastapi#3205, see docs/decisions/003-sessions.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, DateTime, Engine, MetaData, Table, create_engine, event, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.types import TypeDecorator

from credential_service.core.clock import as_utc
from credential_service.core.errors import ConfigurationError

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def table_of(model: type[Base]) -> Table:
    """The Core table of a mapped class: a bulk insert into it skips the ORM's per-row work."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


def dialect_insert(session: Session) -> Callable[..., Any]:
    """The dialect's INSERT, which knows ON CONFLICT DO NOTHING (PostgreSQL and SQLite alike)."""
    return postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def bulk_insert(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (each with the same columns) the backend's fastest way: COPY on PostgreSQL,
    one stream with no statement to parse or plan per row (a multi-row INSERT of 500 rows costs
    psycopg more to turn into a query than the server to run); on SQLite, the driver's own
    ``executemany`` of one prepared statement, without SQLAlchemy building each row's parameters.
    Python-side column defaults are not applied: ``rows`` carry every value to be written.

    Whoever listens before each statement (the clear-ID-number guard, decision 022) is told of the
    rows by column name as for any insert, and a failure raises the same SQLAlchemy error an INSERT
    would."""
    if not rows:
        return
    session.flush()  # rows the ORM still holds may be what these refer to
    connection = session.connection()
    dialect = connection.dialect
    quote = dialect.identifier_preparer
    columns = [table.c[name] for name in rows[0]]
    binds = [(c.name, c.type.dialect_impl(dialect).bind_processor(dialect)) for c in columns]
    written = (
        rows
        if all(bind is None for _, bind in binds)
        else [{name: row[name] if bind is None else bind(row[name]) for name, bind in binds} for row in rows]
    )
    target = f"{quote.format_table(table)} ({', '.join(quote.format_column(c) for c in columns)})"
    copying = dialect.name == "postgresql"
    # Names quoted by the dialect; every value bound.
    statement = (
        f"COPY {target} FROM STDIN"
        if copying
        else f"INSERT INTO {target} VALUES ({', '.join(f':{c.name}' for c in columns)})"  # noqa: S608
    )
    connection.dispatch.before_cursor_execute(connection, None, statement, written, None, True)
    driver = connection.connection.driver_connection
    assert driver is not None  # a checked-out connection always has one
    try:
        if copying:
            with driver.cursor() as cursor, cursor.copy(statement) as copy:
                for row in written:
                    copy.write_row([row[c.name] for c in columns])
        else:
            driver.executemany(statement, written)
    except dialect.loaded_dbapi.Error as error:
        raise DBAPIError.instance(
            statement, None, error, dialect.loaded_dbapi.Error, dialect=dialect
        ) from error


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, on SQLite (which stores naive text) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else as_utc(value)


READ_ONLY = "credential_service_read_only"
SINGLE_READS = "credential_service_single_reads"
AUTOCOMMIT = "AUTOCOMMIT"
# Opens a unit of work (``Runtime.session`` or ``Runtime.read_session``), for code that needs both.
OpenSession = Callable[[], AbstractContextManager[Session]]
# Opens a connection of ``make_engine(single_reads=True)``, for a hot path's single statement.
OpenConnection = Callable[[], AbstractContextManager[Connection]]


def _sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # Writers take the write lock at BEGIN so they queue instead of failing on upgrade; read-only
    # sessions take none, so readers never wait for a batch being issued; a single read
    # (``make_engine(single_reads=True)``) opens no transaction at all.
    options = conn.get_execution_options()
    if not options.get(SINGLE_READS):
        conn.exec_driver_sql("BEGIN" if options.get(READ_ONLY) else "BEGIN IMMEDIATE")


def make_engine(url: str, *, single_reads: bool = False) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and serialised write transactions.

    ``single_reads``: an engine of its own for a hot path's one read-only statement, outside any
    transaction (one statement is one snapshot), without a ping before each use: one round trip
    on PostgreSQL instead of four. A connection the server dropped fails that one read, and the
    pool starts afresh; the caller answers the long way meanwhile."""
    autocommit: dict[str, Any] = {"isolation_level": AUTOCOMMIT} if single_reads else {}
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **autocommit)
        event.listen(engine, "connect", _sqlite_pragmas)

        @event.listens_for(engine, "connect")
        def _no_pysqlite_begin(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
            dbapi_connection.isolation_level = None  # let SQLAlchemy emit BEGIN itself

        event.listen(engine, "begin", _sqlite_begin)
        return engine.execution_options(**{SINGLE_READS: True}) if single_reads else engine
    if url.startswith("postgresql"):
        if single_reads:
            return create_engine(url, pool_size=5, max_overflow=10, **autocommit)
        engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)
        engine.dialect.use_insertmanyvalues_wo_returning = True
        return engine
    raise ConfigurationError(f"unsupported database URL scheme: {url.split(':', 1)[0]}")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def read_only_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for read-only paths (verification): PostgreSQL enforces it, SQLite skips the lock."""
    options: dict[str, Any] = {READ_ONLY: True}
    if engine.dialect.name == "postgresql":
        options["postgresql_readonly"] = True
    return sessionmaker(engine.execution_options(**options), expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session


def sequence_lock(session: Session, key: int) -> None:
    """Serialise the writers of one append-only sequence (audit trail, transparency log) for the
    rest of the transaction. SQLite already holds its write lock from BEGIN IMMEDIATE; PostgreSQL
    takes a transaction-scoped advisory lock, released at commit or rollback (so a killed writer
    frees it)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def planned_as_tables_grow(session: Session) -> None:
    """For a transaction that fills the tables it reads (a result sheet, a chunk of issuance):
    PostgreSQL plans each statement with the tables' size at that moment
    (``plan_cache_mode = force_custom_plan``), not once for the connection's prepared statement.
    A plan made while a table was small is a sequential scan the whole batch then repeats: measured,
    15–45 ms a look-up of 100 people instead of under 1 ms. SQLite: nothing."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


def applied_on_standby_at_commit(session: Session) -> None:
    """Make this transaction's commit return only once the synchronous hot standby has applied it
    (PostgreSQL ``synchronous_commit = remote_apply``; without a synchronous standby it is a local
    commit): a status change then shows at once to look-ups served by the standby. SQLite: nothing."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL synchronous_commit = remote_apply"))
