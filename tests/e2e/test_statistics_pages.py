"""The programme statistics in Chromium, on a phone (issue 14): /stats and /admin/dashboard show every
figure as a table without JavaScript; with it, an ECharts chart (served by this site) is drawn on a
canvas above each table, with no console error under the pages' CSP. Plain Chinese, no sideways
scrolling at 390 px, no serious axe-core finding."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import TYPE_CHECKING

from credential_service.core.clock import beijing_today
from credential_service.demo import load_demo
from credential_service.identity.signin import staff as staff_signin
from credential_service.platform.tokens import Role
from credential_service.records.training.rules import SHANXI_CITIES
from credential_service.runtime import Runtime
from credential_service.statistics import service
from tests.conftest import need
from tests.e2e import expect
from tests.e2e.test_every_page import AXE, Crawl, check_page

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHARTED = (
    "shares-table",
    "trainings-table",
    *(f"certificates-{by}-table" for by in ("city", "level", "month")),
)


def _employment(runtime: Runtime) -> None:
    year = beijing_today().year
    rows = "".join(f"{year},{code},{400_000 + i * 10_000}\n" for i, code in enumerate(SHANXI_CITIES))
    with runtime.session() as session:
        sheet = io.BytesIO(f"年份,城市代码,就业人员数\n{rows}".encode())
        service.load_employment(session, sheet, actor="cli:e2e")


def _fits(page: Page) -> None:
    found = Crawl()
    check_page(page, page.url, found, axe_desktop=True)
    assert found.problems == [], "\n".join(found.problems)


def _charts_drawn(page: Page) -> None:
    """A chart above each charted table, its canvas with ink on it."""
    for table in CHARTED:
        chart = page.locator(f"#{table}").locator("xpath=preceding-sibling::div[@class='chart'][1]")
        expect(chart).to_have_attribute("data-drawn", "true")
        expect(chart).to_have_attribute("aria-hidden", "true")
        painted = chart.locator("canvas").first.evaluate(
            """canvas => {
                const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
                let inked = 0;
                for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] > 0) inked++; }
                return {width: canvas.width, height: canvas.height, inked};
            }"""
        )
        assert painted["width"] > 0 and painted["height"] > 0, painted
        assert painted["inked"] > 1000, f"{table}: the chart's canvas is blank ({painted})"


def test_stats_reads_as_tables_without_javascript_and_draws_charts_with_it(
    live_site: str,
    live_runtime: Runtime,
    make_page: Callable[..., Page],
    console_errors: list[str],
    blocked_requests: list[str],
) -> None:
    need(None if AXE.exists() else f"{AXE} is missing (scripts/setup_node.sh installs it)")
    load_demo(live_runtime, workers=30)
    _employment(live_runtime)

    plain = make_page(phone=True, java_script_enabled=False)
    plain.goto(live_site + "/")
    plain.get_by_role("link", name="技能人才统计").click()
    expect(plain).to_have_url(live_site + "/stats")
    expect(plain.locator("h1")).to_have_text("技能人才统计")
    shares = plain.locator("#shares-table")
    expect(shares.locator("tbody tr")).to_have_count(11)
    expect(shares.locator("tbody tr").first.locator("th")).to_have_text("太原市")
    expect(shares.locator("tfoot th")).to_have_text("全省")
    changzhi = plain.locator("#certificates-city-table tbody tr[data-key='140400'] td").first
    expect(changzhi).not_to_have_text("0")  # the demo's 潞安 is registered in 长治
    expect(plain.locator("#certificates-level-table tbody th").first).to_have_text("五级/初级工")
    expect(plain.locator(".chart")).to_have_count(0)  # nothing drawn, nothing missing
    expect(plain.get_by_role("link", name="下载 Excel").first).to_have_attribute(
        "href", f"/api/v1/stats/skill-shares.xlsx?year={beijing_today().year}"
    )
    overflow = plain.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"/stats scrolls sideways by {overflow}px without JavaScript"

    page = make_page(phone=True)
    page.goto(live_site + "/stats")
    _charts_drawn(page)
    _fits(page)
    with page.expect_download() as download:
        page.locator("#certificates-by-city").get_by_role("link", name="下载 CSV").click()
    assert download.value.suggested_filename == "certificates-by-city.csv"
    assert console_errors == []
    assert blocked_requests == []


def test_the_dashboard_for_administrators_and_auditors(
    live_site: str, live_runtime: Runtime, make_page: Callable[..., Page], console_errors: list[str]
) -> None:
    need(None if AXE.exists() else f"{AXE} is missing (scripts/setup_node.sh installs it)")
    load_demo(live_runtime, workers=30)
    _employment(live_runtime)
    for role in (Role.ADMIN, Role.AUDITOR):
        page = make_page(phone=True)
        page.goto(staff_signin.signin_link(live_runtime.keystore, live_runtime.settings, role, "e2e"))
        page.get_by_role("button", name="登录管理页面").click()
        page.get_by_role("link", name="统计看板").click()
        expect(page).to_have_url(live_site + "/admin/dashboard")
        expect(page.locator("h1")).to_have_text("统计看板")
        expect(page.locator("#employment tbody tr")).to_have_count(11)
        if role is Role.AUDITOR:
            expect(page.locator(".read-only")).to_be_visible()
        _charts_drawn(page)
        _fits(page)
    plain = make_page(phone=True, java_script_enabled=False)
    plain.goto(staff_signin.signin_link(live_runtime.keystore, live_runtime.settings, Role.ADMIN, "e2e"))
    plain.get_by_role("button", name="登录管理页面").click()
    plain.goto(live_site + "/admin/dashboard")
    expect(plain.locator("#shares-table tbody tr")).to_have_count(11)
    expect(plain.locator(".chart")).to_have_count(0)
    assert console_errors == []
