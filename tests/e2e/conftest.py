"""Fixtures for real-browser tests: a live uvicorn server in a thread and Debian's Chromium via Playwright.

* ``live_server`` — serves ``create_app(runtime=runtime)`` (the shared ``runtime`` fixture, SQLite only
  here, ``public_base_url`` = https://skills.test, so ``organisation``/``admin_headers`` work as
  everywhere else) on a free 127.0.0.1 port; yields the base URL, e.g. ``http://127.0.0.1:41234``.
* ``live_runtime`` / ``live_site`` — a runtime whose ``public_base_url`` *is* the live server's URL
  (platform and demo organisation registered at that URL), for pages whose absolute links, DIDs or
  QR codes the browser must follow. ``live_site`` yields that URL; mint tokens with
  ``tests.e2e.auth_headers(live_runtime, principal)``.
* ``browser`` (session) — headless Debian Chromium; skipped when /usr/bin/chromium or playwright is
  missing, a failure under CI=true.
* ``make_page(phone=False, **context_options)`` — a new context (locale zh-CN, Asia/Shanghai) and
  page; ``page`` and ``phone_page`` (390x844, touch) are the two common cases. Requests to any host
  but loopback are aborted and listed in ``blocked_requests``; console errors and uncaught page
  exceptions of every page of the test are collected in ``console_errors``.
* On a failing test every open page is saved to var/e2e-artifacts/<test>.png (+ .html).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from credential_service.app import create_app
from credential_service.core.config import Settings
from credential_service.issuers import service as issuers
from credential_service.platform.tokens import ensure_token_key
from credential_service.runtime import Runtime, build_runtime
from tests.conftest import ORG_CODE, ORG_NAME, need
from tests.e2e import CHROMIUM, CHROMIUM_ARGS, PHONE, save_screenshot
from tests.factories import register_organisation
from tests.servers import bind_loopback, serve_in_thread, url_of

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Route

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


def _failed(request: pytest.FixtureRequest) -> bool:
    return any(r.failed for r in request.node.stash.get(_REPORTS, {}).values())


@pytest.fixture
def backend() -> str:
    """Browser tests run on SQLite only (the database layer is tested on both elsewhere)."""
    return "sqlite"


# --------------------------------------------------------------------------------------- server


@pytest.fixture
def live_server(runtime: Runtime) -> Iterator[str]:
    """Base URL (``http://127.0.0.1:PORT``) of uvicorn serving the shared ``runtime``."""
    with serve_in_thread(create_app(runtime=runtime), bind_loopback()) as url:
        yield url


@pytest.fixture
def _live_site_socket() -> Iterator[socket.socket]:
    sock = bind_loopback()
    yield sock
    sock.close()


@pytest.fixture
def live_runtime(
    request: pytest.FixtureRequest, tmp_path: Path, _live_site_socket: socket.socket
) -> Iterator[Runtime]:
    """A runtime whose ``public_base_url`` is the URL ``live_site`` serves it on."""
    base = url_of(_live_site_socket)
    database = tmp_path / "live.sqlite3"
    shutil.copy(request.getfixturevalue("sqlite_template"), database)
    settings = Settings(
        environment="test",
        database_url=f"sqlite:///{database}",
        keystore_dir=tmp_path / "live-keys",
        keystore_passphrase="test passphrase",
        public_base_url=base,
        status_list_size=131_072,
    )
    rt = build_runtime(settings)
    with rt.session() as session:
        issuers.ensure_platform_issuer(session, rt.keystore, public_base_url=base)
    register_organisation(rt, ORG_CODE, ORG_NAME)
    ensure_token_key(rt.keystore)
    yield rt
    rt.close()


@pytest.fixture
def live_site(live_runtime: Runtime, _live_site_socket: socket.socket) -> Iterator[str]:
    """Serves ``live_runtime``; yields its URL, equal to ``live_runtime.settings.public_base_url``."""
    with serve_in_thread(create_app(runtime=live_runtime), _live_site_socket) as url:
        assert url == live_runtime.settings.public_base_url
        yield url


# -------------------------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's headless Chromium (/usr/bin/chromium) driven by Playwright, one per session."""
    need(None if Path(CHROMIUM).exists() else f"{CHROMIUM} is missing (scripts/setup_system.sh installs it)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need("the playwright package is missing (scripts/bootstrap --test installs it)")
        raise
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def cjk_font() -> str:
    """The family fontconfig picks for Chinese; skipped (failed under CI) when there is none."""
    found = ""
    if shutil.which("fc-list"):
        out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False)
        found = out.stdout.strip().splitlines()[0] if out.stdout.strip() else ""
    need(None if found else "no Chinese font (scripts/setup_system.sh installs fonts-wqy-zenhei)")
    return found


@pytest.fixture
def console_errors() -> list[str]:
    """Console errors and uncaught exceptions of every page this test opened."""
    return []


@pytest.fixture
def blocked_requests() -> list[str]:
    """URLs the pages of this test tried to load from hosts other than loopback (all aborted)."""
    return []


@pytest.fixture
def make_page(
    request: pytest.FixtureRequest,
    browser: Browser,
    console_errors: list[str],
    blocked_requests: list[str],
) -> Iterator[Callable[..., Page]]:
    """``make_page(phone=False, **context_options) -> Page`` in a fresh zh-CN context."""
    contexts: list[BrowserContext] = []

    def only_loopback(route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOOPBACK:
            route.continue_()
        else:
            blocked_requests.append(route.request.url)
            route.abort("blockedbyclient")

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location.get("url", "")
            console_errors.append(f"console: {message.text}" + (f" ({where})" if where else ""))

    def make(phone: bool = False, **options: Any) -> Page:
        settings: dict[str, Any] = {"locale": "zh-CN", "timezone_id": "Asia/Shanghai"}
        settings.update(PHONE if phone else {"viewport": {"width": 1280, "height": 800}})
        settings.update(options)
        context = browser.new_context(**settings)
        context.set_default_timeout(10_000)
        context.route("**/*", only_loopback)
        contexts.append(context)
        page = context.new_page()
        page.on("console", on_console)
        page.on("pageerror", lambda error: console_errors.append(f"pageerror: {error}"))
        return page

    yield make
    failed = _failed(request)
    for number, context in enumerate(contexts):
        for index, page in enumerate(context.pages):
            if failed:
                name = f"{request.node.nodeid}-{number}-{index}"
                try:
                    print(f"\ne2e screenshot: {save_screenshot(page, name)}")
                except Exception as exc:  # a crashed page must not hide the test's own failure
                    print(f"\ne2e screenshot of {name} failed: {exc}")
        context.close()


@pytest.fixture
def page(make_page: Callable[..., Page]) -> Page:
    """A desktop-sized (1280x800) zh-CN page."""
    return make_page()


@pytest.fixture
def phone_page(make_page: Callable[..., Page]) -> Page:
    """A phone-sized (390x844, scale 3, touch) zh-CN page."""
    return make_page(phone=True)
