"""Shared fixtures: a migrated database per test on SQLite and on the real PostgreSQL server.

Each backend is migrated once per session (so once per xdist worker) into a template (a file for
SQLite, a template database for PostgreSQL); every test gets an empty copy (a copied file; a clone
of the template, reused once emptied), so tests never see each other's data.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool
from xdist.scheduler import LoadScopeScheduling

from credential_service.app import create_app
from credential_service.core.config import Settings
from credential_service.core.db import make_engine
from credential_service.core.migrations import upgrade
from credential_service.crypto import keystore
from credential_service.issuers import service as issuers
from credential_service.issuers.models import Issuer, IssuerKind
from credential_service.platform.tokens import (
    ORGANISATION_SCOPES,
    Principal,
    Role,
    ensure_token_key,
    mint_token,
)
from credential_service.runtime import Runtime, build_runtime
from tests.factories import register_organisation

VECTORS = Path(__file__).parent / "vectors"
BASE_URL = "https://skills.test"
ORG_CODE = "Y000014010001"
ORG_NAME = "太原重型机械集团有限公司"
IN_CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_URL = os.environ.get("CS_TEST_POSTGRES_URL")


# Sealing a key file costs one scrypt at N = 2**15 (~0.1 s); each test's runtime seals three keys or
# more. Tests seal at N = 2**10: the file records its N, so every reader (a worker subprocess too)
# opens it at the same cost. tests/unit/test_keystore.py keeps the production cost.
PRODUCTION_SCRYPT_N = keystore.SCRYPT_N
QUICK_SCRYPT_N = 2**10


@pytest.fixture(scope="session", autouse=True)
def quick_key_sealing() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(keystore, "SCRYPT_N", QUICK_SCRYPT_N)
        yield


def need(reason_missing: str | None) -> None:
    """Skip for a missing system part, except under CI where nothing may be skipped."""
    if reason_missing is None:
        return
    if IN_CI:
        pytest.fail(f"required under CI: {reason_missing}")
    pytest.skip(reason_missing)


# Under xdist (-n), tests that share something costly to set up run on one worker: a module's
# fixture (the access matrix's world, schemathesis' demo per backend) or Chromium. Every other test
# is its own unit, handed to whichever worker is free. pytest-xdist's own loadgroup (xdist_group
# marks) does nothing on pytest 9.2 (pytest-dev/pytest-xdist#1386), hence paths here.
XDIST_GROUPS = {
    "tests/e2e/": "browser",
    "tests/integration/test_access_matrix.py::": "access_matrix",
    "tests/integration/test_schemathesis.py::": "schemathesis",
}


class _GroupedScheduling(LoadScopeScheduling):
    def _split_scope(self, nodeid: str) -> str:
        return next((group for prefix, group in XDIST_GROUPS.items() if nodeid.startswith(prefix)), nodeid)


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> LoadScopeScheduling | None:
    """With -n's default --dist load, schedule by XDIST_GROUPS in collection order (slow first)."""
    if config.getvalue("dist") != "load":
        return None
    config.option.loadscopereorder = False
    return _GroupedScheduling(config, log)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked slow first: under xdist the longest ones start at once and the many short
    ones fill the other workers around them, instead of one slow test ending the run alone."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


class PostgresDatabases:
    """This session's (so this xdist worker's) test databases, cloned from its migrated template.

    ``CREATE DATABASE … TEMPLATE`` costs 0.1–1 s of the server's time, and some 600 tests need a
    database; emptying a used clone costs some 25 ms (TRUNCATE of every table, 0.2–0.4 s). So a
    test's database goes back to the pool when the test ends and is emptied when it is handed out
    again: every other connection to it ended, every row deleted (foreign keys not checked, as all
    go), every sequence restarted. A clone whose schema or migration version no longer matches the
    template's (a test that downgraded it) is dropped instead, as is any clone that cannot be emptied.
    """

    def __init__(self, url: str) -> None:
        self._base = url.rsplit("/", 1)[0]
        self._admin = create_engine(url, isolation_level="AUTOCOMMIT")
        self.template = f"cs_template_{uuid.uuid4().hex[:8]}"
        self._run(f'CREATE DATABASE "{self.template}"')
        engine = make_engine(self.url(self.template))
        upgrade(engine)
        engine.dispose()
        with self._connect(self.template) as conn:
            self._schema = conn.execute(text(_SCHEMA_FINGERPRINT)).scalar_one()
            self._tables = conn.execute(text(_DATA_TABLES)).scalars().all()
        self._free: list[str] = []
        self._made: list[str] = []

    def url(self, name: str) -> str:
        return f"{self._base}/{name}"

    def _run(self, statement: str) -> None:
        with self._admin.connect() as conn:
            conn.execute(text(statement))

    @contextmanager
    def _connect(self, name: str) -> Iterator[Connection]:
        engine = create_engine(self.url(name), isolation_level="AUTOCOMMIT", poolclass=NullPool)
        try:
            with engine.connect() as conn:
                yield conn
        finally:
            engine.dispose()

    def take(self) -> str:
        """The name of an empty database with the template's schema, for one test."""
        while self._free:
            name = self._free.pop()
            if self._emptied(name):
                return name
            self._drop(name)
        name = f"cs_{uuid.uuid4().hex[:12]}"
        self._run(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        self._made.append(name)
        return name

    def give_back(self, name: str) -> None:
        self._free.append(name)

    def _emptied(self, name: str) -> bool:
        try:
            with self._connect(name) as conn:
                conn.execute(text(_END_OTHER_CONNECTIONS))
                if conn.execute(text(_SCHEMA_FINGERPRINT)).scalar_one() != self._schema:
                    return False
                conn.execute(text("SET session_replication_role = replica"))
                conn.execute(text("; ".join(f'DELETE FROM "{table}"' for table in self._tables)))
                conn.execute(text(_RESTART_SEQUENCES)).all()
        except SQLAlchemyError:
            return False
        return True

    def _drop(self, name: str) -> None:
        self._run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._made.remove(name)

    def close(self) -> None:
        for name in [*self._made, self.template]:
            self._run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._admin.dispose()


# What a test may change besides rows: relations and their columns, constraints, functions,
# triggers and the migration version. Rows are deleted and sequences restarted.
_SCHEMA_FINGERPRINT = """
SELECT md5(string_agg(item, ',' ORDER BY item)) FROM (
  SELECT concat_ws(':', c.relname, c.relkind::text, a.attname, format_type(a.atttypid, a.atttypmod),
                   a.attnotnull::text, pg_get_expr(d.adbin, d.adrelid)) AS item
    FROM pg_class c
    LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
   WHERE c.relnamespace = 'public'::regnamespace
  UNION ALL SELECT conname::text || pg_get_constraintdef(oid) FROM pg_constraint
   WHERE connamespace = 'public'::regnamespace
  UNION ALL SELECT 'function:' || proname::text FROM pg_proc WHERE pronamespace = 'public'::regnamespace
  UNION ALL SELECT 'trigger:' || tgname::text FROM pg_trigger WHERE NOT tgisinternal
  UNION ALL SELECT 'version:' || version_num FROM alembic_version
) AS schema
"""
_DATA_TABLES = (
    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
)
_RESTART_SEQUENCES = """
SELECT setval(format('%I.%I', schemaname, sequencename), start_value, false) FROM pg_sequences
 WHERE schemaname = 'public' AND last_value IS NOT NULL
"""
_END_OTHER_CONNECTIONS = """
SELECT pg_terminate_backend(pid) FROM pg_stat_activity
 WHERE datname = current_database() AND pid <> pg_backend_pid()
"""


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases | None]:
    if POSTGRES_URL is None:
        yield None
        return
    databases = PostgresDatabases(POSTGRES_URL)
    yield databases
    databases.close()


def _fresh_database(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        path = tmp_path / "db.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    databases: PostgresDatabases | None = request.getfixturevalue("postgres_databases")
    need(
        None
        if databases
        else "PostgreSQL is not running (scripts/test starts it; CS_TEST_POSTGRES_URL unset)"
    )
    assert databases is not None
    name = databases.take()
    request.addfinalizer(lambda: databases.give_back(name))
    return databases.url(name)


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Settings:
    return Settings(
        environment="test",
        database_url=_fresh_database(request, backend, tmp_path),
        keystore_dir=tmp_path / "keys",
        keystore_passphrase="test passphrase",
        public_base_url=BASE_URL,
        status_list_size=131_072,
        # Tests sign in and object far more often than people do; the limits have their own tests
        # (tests/integration/test_hardening.py).
        signin_attempts_per_minute=100_000,
        objections_per_hour=100_000,
    )


@pytest.fixture
def fixture_organisation_registered() -> bool:
    """Whether ORG_CODE is a registered organisation (the default) or a bare issuer, as ``orgs add``
    used to create (the registration tests take it over)."""
    return True


@pytest.fixture
def runtime(settings: Settings, fixture_organisation_registered: bool) -> Iterator[Runtime]:
    rt = build_runtime(settings)
    with rt.session() as session:
        issuers.ensure_platform_issuer(session, rt.keystore, public_base_url=BASE_URL)
        if not fixture_organisation_registered:
            issuers.register_issuer(
                session,
                rt.keystore,
                public_base_url=BASE_URL,
                code=ORG_CODE,
                name=ORG_NAME,
                kind=IssuerKind.ORGANISATION,
            )
    if fixture_organisation_registered:
        register_organisation(rt, ORG_CODE, ORG_NAME)
    ensure_token_key(rt.keystore)
    yield rt
    rt.close()


@pytest.fixture
def organisation(runtime: Runtime) -> Issuer:
    with runtime.session() as session:
        return issuers.get_issuer(session, ORG_CODE)


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime=runtime), base_url=BASE_URL) as test_client:
        yield test_client


def _token(runtime: Runtime, principal: Principal) -> str:
    return mint_token(runtime.keystore, issuer=BASE_URL, audience=BASE_URL, principal=principal, minutes=5)


@pytest.fixture
def admin_headers(runtime: Runtime) -> dict[str, str]:
    return {
        "Authorization": "Bearer "
        + _token(runtime, Principal(Role.ADMIN, "admin:test", frozenset({"admin"})))
    }


@pytest.fixture
def org_headers(runtime: Runtime) -> dict[str, str]:
    principal = Principal(Role.ORGANISATION, f"org:{ORG_CODE}", ORGANISATION_SCOPES, tenant=ORG_CODE)
    return {"Authorization": "Bearer " + _token(runtime, principal)}
