"""create_app(): mounts every part's router and the error handlers (one place for HTTP errors)."""

from __future__ import annotations

import gc
import html
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError, InterfaceError, OperationalError, PendingRollbackError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from credential_service.admin.pages import router as admin_pages_router
from credential_service.admin.subsidy_pages import router as admin_subsidy_pages_router
from credential_service.assessment.organisations.pages import router as organisation_pages_router
from credential_service.assessment.organisations.routes import router as organisations_router
from credential_service.assessment.workflow.pages import router as workflow_pages_router
from credential_service.assessment.workflow.routes import router as workflow_router
from credential_service.certificates.print_routes import router as certificate_print_router
from credential_service.certificates.routes import router as certificates_router
from credential_service.certificates.status.routes import router as status_changes_router
from credential_service.core import examples
from credential_service.core.config import Settings, load_settings
from credential_service.core.errors import FieldError, InvalidInput, ServiceError
from credential_service.identity.routes import router as identity_router
from credential_service.issuers.routes import router as issuers_router
from credential_service.issuers.rules import PLATFORM_CODE, issuer_did
from credential_service.records.training.pages import router as institution_pages_router
from credential_service.records.training.routes import router as training_router
from credential_service.runtime import Runtime, build_runtime
from credential_service.site import router as web_router
from credential_service.statistics.pages import router as statistics_pages_router
from credential_service.statistics.routes import router as statistics_router
from credential_service.subsidies.pages import router as subsidy_pages_router
from credential_service.subsidies.routes import router as subsidies_router
from credential_service.supervision.pages import router as supervision_pages_router
from credential_service.supervision.routes import router as supervision_router
from credential_service.transparency.routes import router as transparency_router
from credential_service.transparency.schedule import checkpoint_schedule
from credential_service.verification.pages import router as verification_pages_router
from credential_service.verification.routes import router as verification_router
from credential_service.web.admission import AdmissionLimit
from credential_service.web.http import BodySizeLimit, SecurityHeaders, problem
from credential_service.web.observability import RequestObservation
from credential_service.web.openapi import install as install_openapi
from credential_service.web.sessions import SignInRequired, to_signin
from credential_service.web.templating import PAGE_HEADERS, STATIC, error_page
from credential_service.worker.pages import router as pages_router
from credential_service.worker.routes import router as records_router
from credential_service.worker.routes import staff_router

# Swagger UI's files, shipped in a wheel (fastapi-offline): /docs works without reaching a CDN.
SWAGGER_UI = Path(fastapi_offline.__file__).parent / "static"
# FastAPI's own docs page starts Swagger UI with an inline script; this one loads /static/docs.js, so
# the page keeps a CSP without 'unsafe-inline' (Swagger UI fetches /openapi.json: connect-src 'self').
DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="/static/swagger/swagger-ui.css">
<link rel="icon" href="/static/swagger/favicon.png">
</head><body><div id="swagger-ui"></div>
<script src="/static/swagger/swagger-ui-bundle.js"></script>
<script src="/static/docs.js"></script>
</body></html>"""
DOCS_HEADERS = {
    **PAGE_HEADERS,
    "Content-Security-Policy": PAGE_HEADERS["Content-Security-Policy"].replace(
        "script-src 'none'", "script-src 'self'"
    ),
    "Cache-Control": "public, max-age=300",
}
# A failover (scripts/cluster failover) takes a few seconds: clients come back after this many.
DATABASE_RETRY_AFTER_SECONDS = 5


def _loc(parts: tuple[int | str, ...]) -> str:
    """``("body", "credential", "type")`` → ``credential.type``."""
    shown = [str(p) for p in parts if p not in ("body",)]
    return ".".join(shown) or "body"


def _is_page(request: Request) -> bool:
    """A page route (outside the OpenAPI document): its errors are for a person, as a page."""
    route = request.scope.get("route")
    return isinstance(route, APIRoute) and not route.include_in_schema


def _validation_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = []
    for item in exc.errors():
        kind = item.get("type", "")
        reason = "请求体不是合法的 JSON / body is not valid JSON" if kind == "json_invalid" else item["msg"]
        if kind == "extra_forbidden":
            reason = "unknown field (not allowed here)"
        errors.append(FieldError(_loc(tuple(item.get("loc", ()))), reason))
    malformed = any(e.get("type") == "json_invalid" for e in exc.errors())
    error = InvalidInput("请求有误 / the request is invalid", errors)
    if malformed:
        error.status, error.code = 400, "malformed_json"
    if _is_page(request):
        error.message = "; ".join(f"{e.loc}: {e.reason}" for e in errors) or error.message
        return error_page(request, error)
    return problem(error)


def _to_signin(request: Request, exc: Exception) -> Response:
    """A page that needs a session sends the browser to its sign-in page (``web.sessions``)."""
    assert isinstance(exc, SignInRequired)
    return to_signin(exc.signin_path)


def _service_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ServiceError)
    return error_page(request, exc) if _is_page(request) else problem(exc)


def _data_problem(request: Request, _exc: Exception) -> Response:
    """The database refused a value (PostgreSQL's class 22: a NUL character in text, a number out of
    range, text longer than its column): bad input that got past the schema, so 422, never a 500."""
    error = InvalidInput(
        "数据库无法保存其中的某个值（如含 NUL 字符）/ a value cannot be stored (e.g. it contains a NUL "
        "character)",
        code="unstorable_value",
    )
    return error_page(request, error) if _is_page(request) else problem(error)


def _database_unavailable(request: Request, _exc: Exception) -> Response:
    """The database cannot be reached or dropped the connection (a restart, a failover to the
    standby; PostgreSQL's classes 08, 40, 53, 57, 58): 503 with Retry-After, never a 500. A write cut
    off during its commit may have committed: retrying with the same idempotency key is safe."""
    error = ServiceError(
        message="数据库暂时不可用，请稍后重试 / the database is unavailable: retry shortly",
        code="database_unavailable",
        status=503,
    )
    response = error_page(request, error) if _is_page(request) else problem(error)
    response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    return response


def _http_problem(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    error = ServiceError(message=str(exc.detail), code=f"http_{exc.status_code}", status=exc.status_code)
    return problem(error)


def _unexpected_problem(_request: Request, _exc: Exception) -> Response:
    return problem(ServiceError(message="服务内部错误 / internal error", code="internal", status=500))


# Starlette picks the handler of the most specific class; Exception answers the rest as a problem.
PROBLEM_HANDLERS: tuple[tuple[type[Exception], Callable[[Request, Exception], Response]], ...] = (
    (RequestValidationError, _validation_problem),
    (ServiceError, _service_problem),
    (SignInRequired, _to_signin),
    (StarletteHTTPException, _http_problem),
    (DataError, _data_problem),
    (OperationalError, _database_unavailable),
    (InterfaceError, _database_unavailable),  # "the connection is closed"
    (PendingRollbackError, _database_unavailable),  # a statement after the connection died mid-transaction
    (PoolTimeout, _database_unavailable),  # no pooled connection came free in time: overload, not a fault
    (Exception, _unexpected_problem),
)
ROUTERS = (
    web_router,
    issuers_router,
    certificates_router,
    status_changes_router,
    certificate_print_router,
    verification_router,
    verification_pages_router,
    transparency_router,
    identity_router,
    records_router,
    staff_router,
    pages_router,
    training_router,
    organisations_router,
    workflow_router,
    organisation_pages_router,
    workflow_pages_router,
    admin_pages_router,
    admin_subsidy_pages_router,
    institution_pages_router,
    subsidies_router,
    subsidy_pages_router,
    supervision_router,
    supervision_pages_router,
    statistics_router,
    statistics_pages_router,
)


def freeze_loaded_objects() -> None:
    """For a server process, once its app is built: what is loaded by then (modules, JSON-LD
    contexts, schemas, the app: ~200,000 objects) lives as long as the process. Out of the
    collector's sight, a full collection no longer stops every request for ~90 ms, which was the p99
    of every route, the bare one included (`scripts/bench verify`). Not for tests, which build
    many apps in one process."""
    gc.collect()
    gc.freeze()


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    """The ASGI application. Refuses to start on an unmigrated database or a wrong passphrase."""
    runtime = runtime or build_runtime(settings or load_settings())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        with checkpoint_schedule(runtime.log_signer, runtime.settings.log_checkpoint_seconds):
            yield
        runtime.close()

    app = FastAPI(
        title="职业技能等级证书服务 / Skills record and credential service",
        version="0.1.0",
        lifespan=lifespan,
        description="Lifelong training file and verifiable skill-level certificates (OB 3.0 / VC 2.0).",
        docs_url=None,  # served below from local files: the default page loads Swagger UI from a CDN
        redoc_url=None,
    )
    app.state.runtime = runtime
    for error, handler in PROBLEM_HANDLERS:
        app.add_exception_handler(error, handler)
    for router in ROUTERS:
        app.include_router(router)
    # The examples name the default deployment's DID; /docs shows this deployment's own.
    platform_did = issuer_did(runtime.settings.public_base_url, PLATFORM_CODE)
    install_openapi(app, deployment_values={examples.PLATFORM_DID: platform_did})
    app.mount("/static/swagger", StaticFiles(directory=SWAGGER_UI), name="swagger")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(DOCS_PAGE.format(title=html.escape(app.title)), headers=DOCS_HEADERS)

    app.add_middleware(
        BodySizeLimit, limit=runtime.settings.max_body_bytes, upload_limit=runtime.settings.max_upload_bytes
    )
    settings = runtime.settings
    app.add_middleware(  # sheds load before any work; its 503s are measured and logged like any answer
        AdmissionLimit,
        max_in_flight=settings.max_in_flight,
        max_writes_in_flight=settings.max_writes_in_flight,
        max_waiting=settings.max_waiting,
        max_wait_seconds=settings.max_wait_seconds,
    )
    app.add_middleware(SecurityHeaders, page_headers=PAGE_HEADERS)
    app.add_middleware(RequestObservation)  # outermost: measures and logs everything below
    return app
