"""Hardening at the HTTP edge: rate limits, security headers on every page, CSRF on every form post,
strict input, and an OpenAPI document whose every error is the problem document it answers."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from credential_service.app import create_app
from credential_service.core.config import Settings
from credential_service.core.ratelimit import RateLimiter
from credential_service.platform.tokens import Principal, Role, mint_token
from credential_service.runtime import Runtime
from credential_service.web.http import FORM_COOKIE, SESSION_COOKIE, form_csrf_token
from credential_service.web.openapi import api_routes
from tests.conftest import BASE_URL, ORG_CODE
from tests.factories import form_csrf

LIMIT = 3  # sign-in attempts a minute and objections an hour, per client, in these tests


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"signin_attempts_per_minute": LIMIT, "objections_per_hour": LIMIT})


def _session(runtime: Runtime, role: Role) -> str:
    tenants = {Role.WORKER: "no-such-person", Role.ORGANISATION: ORG_CODE, Role.INSTITUTION: "x"}
    principal = Principal(role, f"{role.value}:hardening", frozenset({"admin"}), tenants.get(role))
    return mint_token(runtime.keystore, issuer=BASE_URL, audience=BASE_URL, principal=principal, minutes=5)


def _retry_after(answer: Any) -> int:
    assert answer.status_code == 429, answer.text
    seconds = int(answer.headers["retry-after"])
    assert 1 <= seconds <= 3600
    return seconds


# --- rate limits ----------------------------------------------------------------------------------


def _assertion(client: TestClient) -> Any:
    return client.post("/api/v1/auth/assertion", json={"assertion": "not-an-assertion.x.y"})


def _oauth(client: TestClient) -> Any:
    return client.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": "nobody"})


def _dev_signin(client: TestClient) -> Any:
    form = {
        "document_type": "resident_id",
        "id_number": "1",
        "name": "张三",
        "csrf": form_csrf(client, "/signin"),
    }
    return client.post("/signin/dev", data=form)


def _org_signin(client: TestClient) -> Any:
    form = {"client_id": "nobody", "client_secret": "wrong", "csrf": form_csrf(client, "/org/signin")}
    return client.post("/org/signin", data=form)


@pytest.mark.parametrize("attempt", [_assertion, _oauth, _dev_signin, _org_signin], ids=lambda f: f.__name__)
def test_sign_in_attempts_are_limited_per_client(client: TestClient, runtime: Runtime, attempt: Any) -> None:
    for _ in range(LIMIT):
        refused = attempt(client)
        assert refused.status_code in (400, 401, 403, 422), refused.text  # wrong, but not limited yet
    limited = attempt(client)
    _retry_after(limited)
    if limited.headers["content-type"].startswith("text/html"):  # the forms: a page for a person
        assert "429" in limited.text and "请求过于频繁" in limited.text
        assert "'unsafe-inline'" not in limited.headers["content-security-policy"]
    else:
        assert limited.headers["content-type"] == "application/problem+json"
        assert limited.json()["code"] == "rate_limited"
    # Another client still gets through: the budget is per client address.
    with TestClient(create_app(runtime=runtime), base_url=BASE_URL, client=("198.51.100.7", 1)) as other:
        assert attempt(other).status_code != 429


def _objection_api(client: TestClient) -> Any:
    return client.post(
        "/api/v1/publicity/no-such-candidate/objections", json={"reason": "考试时有人替考，请核查"}
    )


def _objection_form(client: TestClient, runtime: Runtime) -> Any:
    form = {"reason": "考试时有人替考，请核查", "csrf": _form_token(client, runtime, "/publicity")}
    return client.post("/publicity/no-such-candidate/objection", data=form)


def _form_token(client: TestClient, runtime: Runtime, page: str) -> str:
    """The token a page's forms carry (computed: an empty publicity list shows no form)."""
    client.get(page)
    return form_csrf_token(runtime, client.cookies[FORM_COOKIE])


@pytest.mark.parametrize("form", [False, True], ids=["api", "form"])
def test_objections_are_limited_per_client(client: TestClient, runtime: Runtime, form: bool) -> None:
    def lodge() -> Any:
        return _objection_form(client, runtime) if form else _objection_api(client)

    for _ in range(LIMIT):
        assert lodge().status_code == 404  # no such candidate, but counted
    limited = lodge()
    assert _retry_after(limited) > 60  # an hourly budget refills slowly


# --- security headers -----------------------------------------------------------------------------

DOWNLOADS = (".json", ".pdf")  # page routes that answer a file, not a page


def _page_routes(client: TestClient, method: str) -> list[tuple[str, APIRoute]]:
    app = client.app
    assert hasattr(app, "routes")
    return [
        (path, route)
        for path, route in api_routes(app.routes)
        if method in (route.methods or ()) and not route.include_in_schema
    ]


def _fill(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


def _check_page_headers(answer: Any) -> None:
    csp = answer.headers.get("content-security-policy", "")
    assert csp, answer.request.url
    directives = dict([*d.strip().split(" ", 1), ""][:2] for d in csp.split(";") if d.strip())
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert directives["frame-ancestors"] == "'none'"
    assert directives["script-src"] in ("'none'", "'self'")
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "no-referrer"


def test_every_page_has_csp_without_inline_scripts_and_no_referrer(
    client: TestClient, runtime: Runtime
) -> None:
    sessions = {"anonymous": None, **{role.value: _session(runtime, role) for role in Role}}
    routes = _page_routes(client, "GET")
    assert len(routes) >= 9
    for path, _route in routes:
        html_answers = 0
        for token in sessions.values():
            client.cookies.clear()
            if token:
                client.cookies.set(SESSION_COOKIE, token)
            answer = client.get(_fill(path), follow_redirects=False)
            assert answer.status_code < 500, path
            if answer.headers.get("content-type", "").startswith("text/html"):
                html_answers += 1
                _check_page_headers(answer)
        assert html_answers or path.endswith(DOWNLOADS), f"{path} never answered a page"
    client.cookies.clear()
    # The framework's own HTML (an unknown page is a problem document, but the docs page is HTML).
    _check_page_headers(client.get("/docs"))
    assert client.get("/static/docs.js").status_code == 200


def test_json_answers_say_nosniff(client: TestClient, admin_headers: dict[str, str]) -> None:
    for path in ("/healthz", "/.well-known/did.json", "/api/v1/trust-bundle", "/no/such/path"):
        assert client.get(path).headers["x-content-type-options"] == "nosniff", path
    refused = client.post("/api/v1/organisations", json={"unknown": 1}, headers=admin_headers)
    assert refused.status_code == 422 and refused.headers["x-content-type-options"] == "nosniff"
    too_large = client.post(
        "/credentials/verify",
        content=b"{" + b" " * 1_000_001 + b"}",
        headers={"content-type": "application/json"},
    )
    assert too_large.status_code == 413 and too_large.headers["x-content-type-options"] == "nosniff"


# --- CSRF on every form post ----------------------------------------------------------------------

# A valid value for each form field the pages ask for: a new form with a field not listed here fails
# the test below until it is added (so no form post escapes the check).
FORM_FIELDS: dict[str, Any] = {
    "document_type": "resident_id",
    "id_number": "11010519491231002X",
    "name": "张三",
    "client_id": "nobody",
    "client_secret": "wrong",
    "plan_ref": "PLAN-1",
    "digest": "0" * 64,
    "reason": "考试时有人替考，请核查",
    "certificate_number": "Y000014010001261000001",
    "action": "revoke",
    "evidence": "晋人社稽〔2026〕3号",
    "authority": "山西省人社厅",
    "reason_code": "fraud",
    "token": "not-a-sign-in-link",
    "days": "30",
}
CSRF_FIELDS = ("csrf", "nonce")  # the admin sign-in link's form names its double-submit value "nonce"


def _form_for(route: APIRoute) -> tuple[dict[str, Any], dict[str, Any]]:
    data: dict[str, Any] = {}
    files: dict[str, Any] = {}
    for field in route.dependant.body_params:
        if field.name in CSRF_FIELDS:
            continue
        if field.name == "file":
            files["file"] = (
                "results.csv",
                "证件类型,证件号码,姓名\n".encode(),
                "text/csv",
            )
        elif field.name in FORM_FIELDS:
            data[field.name] = FORM_FIELDS[field.name]
        else:
            missing = f"add a value for form field {field.name!r} of {route.path} to FORM_FIELDS"
            assert not field.field_info.is_required(), missing
    return data, files


def test_every_form_post_refuses_a_missing_or_wrong_csrf_token(client: TestClient, runtime: Runtime) -> None:
    sessions = {"anonymous": None, **{role.value: _session(runtime, role) for role in Role}}
    # Many posts from one client: lift the limits, which would otherwise answer first (429).
    runtime.signin_limiter = runtime.objection_limiter = RateLimiter(1_000_000, per_seconds=60)
    routes = _page_routes(client, "POST")
    assert len(routes) >= 9
    for path, route in routes:
        data, files = _form_for(route)
        refused_as = []
        for who, token in sessions.items():
            for submitted in (None, "0" * 32):
                client.cookies.clear()
                if token:
                    client.cookies.set(SESSION_COOKIE, token)
                client.get("/signin")  # a form cookie, but …
                fields = dict(data)
                if submitted is not None:  # … a token that is not made from it
                    fields.update(dict.fromkeys(CSRF_FIELDS, submitted))
                answer = client.post(_fill(path), data=fields, files=files or None, follow_redirects=False)
                assert not answer.is_success, (path, who, submitted, answer.status_code)
                location = answer.headers.get("location", "")
                assert answer.status_code != 303 or "signin" in location, (path, who, location)
                if answer.status_code == 403 or (submitted is None and answer.status_code == 422):
                    refused_as.append((who, submitted))
        assert {s for _, s in refused_as} == {None, "0" * 32}, f"{path} never refused for its CSRF token"
    client.cookies.clear()


def test_pre_session_forms_work_with_their_token(client: TestClient, runtime: Runtime) -> None:
    """The positive control: the same form with the page's token is taken (here: a wrong secret)."""
    form = {"client_id": "nobody", "client_secret": "wrong", "csrf": form_csrf(client, "/org/signin")}
    answer = client.post("/org/signin", data=form)
    assert answer.status_code == 401 and 'role="alert"' in answer.text
    client.cookies.clear()
    stolen = client.post("/org/signin", data=form)  # the token without the browser's cookie
    assert stolen.status_code == 403 and stolen.headers["content-type"].startswith("text/html")


# --- strict input ---------------------------------------------------------------------------------


def test_dates_are_iso_text_not_unix_times(client: TestClient, org_headers: dict[str, str]) -> None:
    plan = {
        "plan_ref": "P-2026-1",
        "occupation_code": "6-18-02-04",
        "level": 3,
        "exam_start": 0,
        "exam_end": "1700000000",
        "examiners": [{"name": "李四", "certificate_number": "KP-0001"}],
    }
    refused = client.post("/api/v1/plans", json=plan, headers=org_headers)
    assert refused.status_code == 422
    places = {e["loc"] for e in refused.json()["errors"]}
    assert {"exam_start", "exam_end"} <= places


def test_unknown_fields_are_refused_with_their_name(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    refused = client.post(
        "/api/v1/certificates/Y000014010001261000001/revoke",
        json={"reason_code": "fraud", "evidence": "x", "authority": "y", "backdate": "2020-01-01"},
        headers=admin_headers,
    )
    assert refused.status_code == 422
    assert {"loc": "backdate", "reason": "unknown field (not allowed here)"} in refused.json()["errors"]


def test_page_sizes_and_offsets_are_bounded(client: TestClient, admin_headers: dict[str, str]) -> None:
    for query in ("limit=501", "offset=-1", "offset=99999999999999999999"):
        answer = client.get(f"/api/v1/organisations?{query}", headers=admin_headers)
        assert answer.status_code == 422, query
        assert answer.json()["errors"][0]["loc"] in ("query.limit", "query.offset")


def test_every_error_in_the_openapi_document_is_a_problem_document(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            for status, response in responses.items():
                if status.startswith("4"):
                    assert "application/problem+json" in response.get("content", {}), (method, path, status)
            if "requestBody" in operation:
                assert {"400", "413", "422"} <= responses.keys(), (method, path)
            if any(p["in"] == "path" for p in operation.get("parameters", [])):
                assert "404" in responses, (method, path)


def test_a_nul_character_is_refused_not_a_server_error(
    client: TestClient, admin_headers: dict[str, str], backend: str
) -> None:
    """PostgreSQL cannot store NUL in text (SQLite can): a 422 naming why, never a 500."""
    answers = [
        client.get("/api/v1/occupations?q=a%00b", headers=admin_headers),
        client.get("/api/v1/organisations?q=a%00b", headers=admin_headers),
        client.post("/api/v1/verify/query", json={"certificateNumber": "Y" * 21 + "\x00", "name": "张三"}),
        client.post("/api/v1/publicity/a%00b/objections", json={"reason": "考试时有人替考，请\x00核查"}),
    ]
    for answer in answers:
        assert answer.status_code < 500, answer.text
        if backend == "postgres" and answer.status_code == 422:
            assert answer.headers["content-type"] == "application/problem+json"
    if backend == "postgres":
        assert answers[0].status_code == 422 and answers[0].json()["code"] == "unstorable_value"


def test_a_database_out_of_reach_is_503_with_retry_after_not_500(
    client: TestClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A restart or a failover to the standby (scripts/cluster failover): the answer says come back
    shortly, as a problem document for the API and as a page for a person."""
    from contextlib import AbstractContextManager

    from sqlalchemy.exc import InterfaceError, OperationalError, PendingRollbackError

    def gone() -> AbstractContextManager[Any]:
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(runtime, "read_session", gone)
    api = client.get("/api/v1/publicity")
    assert api.status_code == 503 and api.headers["retry-after"] == "5"
    assert api.headers["content-type"] == "application/problem+json"
    assert api.json()["code"] == "database_unavailable"
    page = client.get("/publicity")
    assert page.status_code == 503 and page.headers["retry-after"] == "5"
    assert page.headers["content-type"].startswith("text/html") and "数据库暂时不可用" in page.text

    def closed() -> AbstractContextManager[Any]:  # a pooled connection whose server went away
        raise InterfaceError("SELECT 1", {}, Exception("the connection is closed"))

    monkeypatch.setattr(runtime, "read_session", closed)
    assert client.get("/api/v1/publicity").status_code == 503

    def cut_mid_transaction() -> AbstractContextManager[Any]:  # seen in the failover drill
        raise PendingRollbackError("Can't reconnect until invalid transaction is rolled back")

    monkeypatch.setattr(runtime, "read_session", cut_mid_transaction)
    assert client.get("/api/v1/publicity").status_code == 503
