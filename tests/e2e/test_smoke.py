"""Smoke: the service's pages open in a real Chromium, Chinese renders as glyphs, no console errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from tests.e2e import cjk_glyphs, expect

if TYPE_CHECKING:
    from playwright.sync_api import Page

TITLE = "职业技能等级证书服务"
WAYS_IN = {
    "查验证书": "/check",
    "我的档案": "/me",
    "企业自主评价": "/org",
    "培训机构": "/institution",
    "评价结果公示": "/publicity",
    "技能人才统计": "/stats",
    "管理": "/admin",
}


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_home_page_renders_its_chinese_title(
    live_server: str,
    make_page: Callable[..., Page],
    phone: bool,
    cjk_font: str,
    console_errors: list[str],
    blocked_requests: list[str],
) -> None:
    page = make_page(phone=phone)
    response = page.goto(live_server + "/")
    assert response is not None and response.status == 200
    assert page.title() == TITLE
    heading = page.locator("h1")
    expect(heading).to_be_visible()
    expect(heading).to_contain_text(TITLE)
    for name, href in WAYS_IN.items():  # a way in for each kind of user, developers' links in the footer
        expect(page.locator("main").get_by_role("link", name=name)).to_have_attribute("href", href)
    expect(page.locator("footer").get_by_role("link", name="接口文档")).to_have_attribute("href", "/docs")

    glyphs = cjk_glyphs(page, TITLE, "h1")
    assert glyphs and all(g["width"] > 0 and g["ink"] > 0 for g in glyphs), glyphs
    # without a CJK font every character is the same "tofu" box: each must have its own picture
    assert len({g["hash"] for g in glyphs}) == len(glyphs), f"Chinese renders as tofu ({cjk_font=})"

    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px"
    assert console_errors == []
    assert blocked_requests == []


def test_docs_page_and_openapi_load(
    live_server: str, page: Page, console_errors: list[str], blocked_requests: list[str]
) -> None:
    response = page.goto(live_server + "/docs")
    assert response is not None and response.status == 200
    assert TITLE in page.title()
    spec = page.request.get(live_server + "/openapi.json")
    assert spec.ok and spec.json()["info"]["title"].startswith(TITLE)
    # FastAPI's default /docs loads Swagger UI from a CDN, which tests (and offline sites) never
    # reach: every console error must come from such a blocked third-party asset, none from us.
    ours = [e for e in console_errors if live_server in e]
    assert ours == [], ours
    assert all(not url.startswith(live_server) for url in blocked_requests)


def test_docs_renders_swagger_ui_offline(live_server: str, page: Page, console_errors: list[str]) -> None:
    page.goto(live_server + "/docs", wait_until="load")
    # Swagger UI draws itself after load; give a loaded 2-core machine time to do so.
    expect(page.locator(".swagger-ui .info .title")).to_contain_text(TITLE, timeout=15_000)
    assert console_errors == []
