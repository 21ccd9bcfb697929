"""Back the database up to one file and restore it into an empty database.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies a consistent snapshot page by
page while the service keeps running (WAL readers and writers are not stopped). PostgreSQL:
``pg_dump -Fc`` (one consistent snapshot, custom format) and ``pg_restore``, the binaries that
``scripts/pg`` uses (``PATH`` first, then the newest ``/usr/lib/postgresql/*/bin``).

The private keys are not in the database (they are sealed files in the keystore folder), so a
backup of the database alone holds no key; see docs/decisions/019-hardening.md for the keystore.
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url

from credential_service.core.errors import ConfigurationError, Conflict, InvalidInput

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
BACKUP_PAGES_PER_STEP = 1024  # lets writers in between steps on a large file


@dataclass(frozen=True)
class BackupResult:
    path: Path
    backend: str  # "sqlite" or "postgresql"
    bytes: int


def _backend(database_url: str) -> str:
    name = make_url(database_url).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise ConfigurationError(f"backup supports SQLite and PostgreSQL, not {name}")
    return name


def _sqlite_path(database_url: str) -> Path:
    database = make_url(database_url).database
    if not database or database == ":memory:":
        raise ConfigurationError("backup needs a SQLite file, not an in-memory database")
    return Path(database)


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if not candidates:
        raise ConfigurationError(f"{name} not found: install the PostgreSQL client (postgresql-client)")
    return candidates[-1]


def _pg_connection(database_url: str) -> tuple[str, dict[str, str]]:
    """A libpq URI without the password (it goes in PGPASSWORD, not on a command line)."""
    url = make_url(database_url)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        tool = Path(command[0]).name
        raise ConfigurationError(f"{tool} failed: {done.stderr.strip() or done.returncode}")


def database_is_empty(database_url: str) -> bool:
    """True when the database has no table at all (a fresh file or a new PostgreSQL database)."""
    if _backend(database_url) == "sqlite" and not _sqlite_path(database_url).exists():
        return True
    engine = create_engine(database_url)
    try:
        return not inspect(engine).get_table_names()
    finally:
        engine.dispose()


def backup(database_url: str, target: Path) -> BackupResult:
    """Write a consistent copy of the database to ``target`` (refuses to overwrite a file)."""
    backend = _backend(database_url)
    if target.exists():
        raise Conflict(f"{target} 已存在 / {target} exists: choose a new file", "backup_exists")
    target.parent.mkdir(parents=True, exist_ok=True)
    if backend == "sqlite":
        source_path = _sqlite_path(database_url)
        if not source_path.exists():
            raise ConfigurationError(f"no database at {source_path}")
        source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
        copy = sqlite3.connect(target)
        try:
            with copy:
                source.backup(copy, pages=BACKUP_PAGES_PER_STEP)
        finally:
            copy.close()
            source.close()
    else:
        uri, env = _pg_connection(database_url)
        _run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={target}", uri], env)
    return BackupResult(target, backend, target.stat().st_size)


def restore(database_url: str, source: Path, *, force: bool = False) -> str:
    """Restore ``source`` into the database of ``database_url``; returns the backend's name.

    Refuses (409) a database that already has tables unless ``force``, and (422) a file that is not
    a backup for this kind of database. Stop the service first: a restore replaces its data.
    """
    backend = _backend(database_url)
    if not source.is_file():
        raise InvalidInput(f"没有这个备份文件 / no backup file {source}")
    with source.open("rb") as stream:
        head = stream.read(16)
    expected = SQLITE_MAGIC if backend == "sqlite" else PG_DUMP_MAGIC
    if not head.startswith(expected):
        raise InvalidInput(
            f"{source} 不是 {backend} 的备份 / {source} is not a {backend} backup "
            "(SQLite backups restore into SQLite, pg_dump files into PostgreSQL)"
        )
    if not force and not database_is_empty(database_url):
        raise Conflict(
            "目标数据库不是空的 / the target database is not empty: restore into a new one, or pass --force",
            "database_not_empty",
        )
    if backend == "sqlite":
        path = _sqlite_path(database_url)
        path.parent.mkdir(parents=True, exist_ok=True)
        copy = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        target = sqlite3.connect(path)
        try:
            with target:
                copy.backup(target)  # replaces every page of the target, WAL included
        finally:
            target.close()
            copy.close()
    else:
        uri, env = _pg_connection(database_url)
        clean = ["--clean", "--if-exists"] if force else []
        _run(
            [_pg_tool("pg_restore"), "--no-owner", "--exit-on-error", *clean, f"--dbname={uri}", str(source)],
            env,
        )
    return backend
