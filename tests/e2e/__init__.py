"""Real-browser end-to-end tests: Debian's Chromium driven by Playwright against a live uvicorn server.

Fixtures (tests/e2e/conftest.py): ``live_server`` (the shared ``runtime``), ``live_runtime`` +
``live_site`` (a runtime whose ``public_base_url`` is the live server's own URL), ``browser``,
``make_page``, ``page``, ``phone_page``, ``console_errors``, ``blocked_requests``.
Helpers below are plain functions: ``from tests.e2e import cjk_glyphs, expect, save_screenshot``.
Test modules import ``expect`` from here and Playwright's types only under TYPE_CHECKING, so that
without the playwright package they are skipped by the ``browser`` fixture (failed under CI=true)
instead of breaking collection.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from credential_service.platform.tokens import Principal, mint_token

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - the `browser` fixture skips (or fails under CI) first

    def expect(*_args: Any, **_kwargs: Any) -> Any:  # type: ignore[no-redef]
        raise RuntimeError("the playwright package is missing (scripts/bootstrap --test installs it)")


if TYPE_CHECKING:
    from playwright.sync_api import Page

    from credential_service.runtime import Runtime

__all__ = ["ARTIFACTS", "CHROMIUM", "auth_headers", "cjk_glyphs", "expect", "save_screenshot"]

ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "e2e-artifacts"
CHROMIUM = os.environ.get("CS_E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}

_GLYPHS_JS = """(args) => {
  const [chars, font] = args;
  return chars.map((ch) => {
    const c = document.createElement('canvas');
    c.width = 96; c.height = 96;
    const g = c.getContext('2d');
    g.font = font; g.fillStyle = '#000'; g.textBaseline = 'top';
    g.fillText(ch, 8, 8);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    let ink = 0, hash = 0;
    for (let i = 3; i < d.length; i += 4) { if (d[i]) ink++; hash = (hash * 31 + d[i]) >>> 0; }
    return {ch, width: g.measureText(ch).width, ink, hash};
  });
}"""


def cjk_glyphs(page: Page, text: str, selector: str = "body") -> list[dict[str, Any]]:
    """Draw each distinct Han character of ``text`` in the font ``selector`` computes to.

    Returns ``{ch, width, ink, hash}`` per character. With a CJK font every character has its own
    picture; without one, all of them are the same "tofu" box (same hash), so a test can assert
    ``len({g["hash"] for g in glyphs}) == len(glyphs)``.
    """
    chars = sorted(set(re.findall(r"[\u4e00-\u9fff]", text)))
    font = page.eval_on_selector(
        selector, "(e) => { const s = getComputedStyle(e); return `48px ${s.fontFamily}`; }"
    )
    result: list[dict[str, Any]] = page.evaluate(_GLYPHS_JS, [chars, font])
    return result


def save_screenshot(page: Page, name: str) -> Path:
    """Save a full-page PNG (and the page's HTML) under var/e2e-artifacts/; returns the PNG path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_")[:150] or "page"
    png = ARTIFACTS / f"{stem}.png"
    page.screenshot(path=str(png), full_page=True)
    (ARTIFACTS / f"{stem}.html").write_text(page.content(), encoding="utf-8")
    return png


def auth_headers(runtime: Runtime, principal: Principal, minutes: int = 5) -> dict[str, str]:
    """A bearer token the given runtime accepts (issuer and audience are its public_base_url)."""
    base = runtime.settings.public_base_url
    token = mint_token(runtime.keystore, issuer=base, audience=base, principal=principal, minutes=minutes)
    return {"Authorization": f"Bearer {token}"}
