from __future__ import annotations
import time
import pytest
import schemathesis
from hypothesis import HealthCheck, settings as hsettings, Phase
from fastapi.testclient import TestClient
from credential_service.app import create_app
from credential_service.demo import load_demo

@pytest.fixture
def api_schema(runtime, admin_headers):
    t=time.time()
    load_demo(runtime, workers=12)
    print("demo", time.time()-t)
    app = create_app(runtime=runtime)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    return schema

schema = schemathesis.pytest.from_fixture("api_schema")

@schema.parametrize()
@hsettings(max_examples=10, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
def test_api(case, admin_headers):
    case.call_and_validate(headers=admin_headers)
