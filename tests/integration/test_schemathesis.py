"""schemathesis over the service's own /openapi.json: no 5xx, no answer that breaks its own schema.

The OpenAPI document does not depend on the data, so it is read once at import (from an app on a
throwaway, unmigrated SQLite file); every operation then runs against a real database per backend
(SQLite and PostgreSQL) holding a small demo, through the ASGI app, with the token of the role that
the operation is for. Examples are bounded and derandomised so the run is quick and reproducible.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from credential_service.app import create_app
from credential_service.core.config import Settings
from credential_service.demo import load_demo
from credential_service.identity.models import Person
from credential_service.platform.tokens import Principal, Role, ensure_token_key, mint_token
from credential_service.runtime import Runtime, build_runtime
from tests.conftest import BASE_URL, _fresh_database

EXAMPLES_PER_OPERATION = 20


def _openapi_document() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        throwaway = Settings(
            environment="test",
            database_url=f"sqlite:///{Path(folder) / 'schema-only.sqlite3'}",
            keystore_dir=Path(folder) / "keys",
            keystore_passphrase="schema only",
            public_base_url=BASE_URL,
        )
        runtime = build_runtime(throwaway, require_migrated=False)
        try:
            return create_app(runtime=runtime).openapi()
        finally:
            runtime.close()


# A request the service refuses for its size (413) is as much a rejection as a 422.
REJECTED = ["400", "401", "403", "404", "405", "409", "413", "415", "422", "429"]
schema = schemathesis.openapi.from_dict(
    _openapi_document(),
    config=SchemathesisConfig.from_dict(
        {"checks": {"negative_data_rejection": {"expected-statuses": REJECTED}}}
    ),
)


@dataclass
class Target:
    app: FastAPI
    tokens: dict[Role, str]

    def headers_for(self, path: str) -> dict[str, str]:
        """The token of the role an operation is for (others' tokens are the access matrix's job)."""
        if path.startswith("/api/v1/me"):
            role = Role.WORKER
        elif path.startswith(("/api/v1/plans", "/api/v1/submissions", "/api/v1/results")):
            role = Role.ORGANISATION
        elif path.startswith("/api/v1/classes"):
            role = Role.INSTITUTION
        else:
            role = Role.ADMIN
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def _mint(runtime: Runtime, principal: Principal) -> str:
    return mint_token(runtime.keystore, issuer=BASE_URL, audience=BASE_URL, principal=principal, minutes=60)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def target(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    folder = tmp_path_factory.mktemp("schemathesis")
    settings = Settings(
        environment="test",
        database_url=_fresh_database(request, str(request.param), folder),
        keystore_dir=folder / "keys",
        keystore_passphrase="test passphrase",
        public_base_url=BASE_URL,
        # The limits have their own tests; here every call should reach the code behind them.
        verify_queries_per_minute=100_000,
        verify_bulk_rows_per_hour=1_000_000,
    )
    runtime = build_runtime(settings)
    manifest = load_demo(runtime, workers=20)
    ensure_token_key(runtime.keystore)
    organisation = manifest.organisations[0]["code"]
    institution = manifest.institutions[0]["creditCode"]
    with runtime.session() as session:
        person = session.scalars(select(Person.public_id).order_by(Person.id).limit(1)).one()
    tokens = {
        Role.ADMIN: _mint(runtime, Principal(Role.ADMIN, "admin:schemathesis", frozenset({"admin"}))),
        Role.ORGANISATION: _mint(
            runtime,
            Principal(
                Role.ORGANISATION,
                f"org:{organisation}",
                frozenset({"issue", "plans", "results", "certificates"}),
                tenant=organisation,
            ),
        ),
        Role.INSTITUTION: _mint(
            runtime,
            Principal(
                Role.INSTITUTION, f"institution:{institution}", frozenset({"train"}), tenant=institution
            ),
        ),
        Role.WORKER: _mint(
            runtime, Principal(Role.WORKER, f"worker:{person}", frozenset({"file:read", "L2"}), person)
        ),
    }
    yield Target(create_app(runtime=runtime), tokens)
    runtime.close()


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api(case: schemathesis.Case, target: Target) -> None:
    case.call_and_validate(
        app=target.app,
        headers=target.headers_for(case.path),
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
            negative_data_rejection,
        ],
    )
