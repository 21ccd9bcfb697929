"""Shared fixtures: a migrated database per test on SQLite and on the real PostgreSQL server.

Each backend is migrated once per session into a template (a file for SQLite, a template database
for PostgreSQL); every test gets a fresh copy, so tests never see each other's data.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from credential_service.app import create_app
from credential_service.core.config import Settings
from credential_service.core.db import make_engine
from credential_service.core.migrations import upgrade
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


def need(reason_missing: str | None) -> None:
    """Skip for a missing system part, except under CI where nothing may be skipped."""
    if reason_missing is None:
        return
    if IN_CI:
        pytest.fail(f"required under CI: {reason_missing}")
    pytest.skip(reason_missing)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str | None]:
    if POSTGRES_URL is None:
        yield None
        return
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"cs_template_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}")
    upgrade(engine)
    engine.dispose()
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _fresh_database(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        path = tmp_path / "db.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    template = request.getfixturevalue("postgres_template")
    need(
        None if template else "PostgreSQL is not running (scripts/test starts it; CS_TEST_POSTGRES_URL unset)"
    )
    assert POSTGRES_URL is not None
    name = f"cs_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    admin.dispose()

    def drop() -> None:
        cleanup = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with cleanup.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        cleanup.dispose()

    request.addfinalizer(drop)
    return POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"


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
