"""The README's pictures: every user's pages, from the demo, on a phone (390 px, Chromium).

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

Builds a fresh demo in a temporary folder (SQLite, its own keys), serves it with uvicorn on a free
port, signs in as each kind of user the way a person does (the worker's development sign-in form,
the organisation's client credentials, a staff one-time link, an institution's one-time link) and
saves one full-page PNG per page. Needs Debian's chromium (scripts/setup_system.sh) and playwright.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from credential_service.core.config import Settings  # noqa: E402
from credential_service.demo import DemoManifest, load_demo  # noqa: E402
from credential_service.demo.guide import fresh_organisation_sign_in  # noqa: E402
from credential_service.identity.signin import staff as staff_signin  # noqa: E402
from credential_service.platform.tokens import Role  # noqa: E402
from credential_service.records.training import signin as institution_signin  # noqa: E402
from credential_service.runtime import Runtime, build_runtime  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    command = [str(ROOT / ".venv" / "bin" / "credential-service"), "serve", "--port", str(port)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the service did not start")


class Shots:
    def __init__(self, page: Page, site: str, out: Path) -> None:
        self.page, self.site, self.out, self.taken = page, site, out, []

    def take(self, name: str, path: str | None = None, then: Callable[[Page], None] | None = None) -> None:
        if path is not None:
            self.page.goto(self.site + path if path.startswith("/") else path)
        if then is not None:
            then(self.page)
        file = self.out / f"{name}.png"
        self.page.screenshot(path=str(file), full_page=True)
        self.taken.append(file.name)


def employer_checks(shots: Shots, manifest: DemoManifest) -> None:
    """/check answering for the demo worker's first certificate (number and full name); the list form."""
    page = shots.page
    page.goto(shots.site + "/check")
    page.fill("#certificate_number", manifest.certificates[0]["certificateNumber"])
    page.fill("#name", manifest.sign_in["name"])
    page.locator("#by-number button[type=submit]").click()
    shots.take("employer-check")
    shots.take("employer-check-bulk", "/check/bulk")


def worker_pages(shots: Shots, manifest: DemoManifest) -> None:
    who = manifest.sign_in
    shots.take("worker-signin", "/signin")
    page = shots.page
    page.select_option("#document_type", who["documentType"])
    page.fill("#id_number", who["idNumber"])
    page.fill("#name", who["name"])
    page.get_by_role("button", name="登录").click()
    shots.take("worker-file", "/me")
    page.get_by_role("button", name="生成分享链接").click()
    shared = page.locator("#share-url").inner_text().strip()
    shots.take("worker-shared-view", shared)
    page.context.clear_cookies()


def organisation_pages(shots: Shots, runtime: Runtime, manifest: DemoManifest) -> None:
    sign_in = fresh_organisation_sign_in(runtime, manifest.batches[0]["organisation"])
    shots.take("organisation-signin", "/org/signin")
    page = shots.page
    page.fill("#client_id", sign_in.client_id)
    page.fill("#client_secret", sign_in.client_secret)
    page.get_by_role("button", name="登录").click()
    shots.take("organisation-home", "/org")
    for name, path in (("organisation-new-plan", "/org/plans/new"),):
        if httpx.get(shots.site + path, cookies=_cookies(page), follow_redirects=False).status_code == 200:
            shots.take(name, path)
    page.goto(shots.site + "/org")
    for name, link in (("organisation-plan", "li.plan a"), ("organisation-batch", "li.submission a")):
        found = page.locator(link).first
        if found.count():
            shots.take(name, found.get_attribute("href"))
    page.context.clear_cookies()


def institution_pages(shots: Shots, runtime: Runtime, manifest: DemoManifest) -> None:
    with runtime.session() as session:
        link = institution_signin.signin_link(
            session, runtime.keystore, runtime.settings, manifest.institutions[0]["creditCode"]
        )
    shots.take("institution-signin", link)
    page = shots.page
    page.get_by_role("button", name="登录培训机构页面").click()
    shots.take("institution-home", "/institution")
    first_class = page.locator("main td a[href^='/institution/classes/']").first
    if first_class.count():
        shots.take("institution-class", first_class.get_attribute("href"))
    shots.take("institution-new-class", "/institution/classes/new")
    page.context.clear_cookies()


def staff_pages(shots: Shots, runtime: Runtime) -> None:
    page = shots.page
    page.goto(staff_signin.signin_link(runtime.keystore, runtime.settings, Role.ADMIN, "wang"))
    shots.take("admin-signin")
    page.get_by_role("button", name="登录管理页面").click()
    for name, path in (
        ("admin-home", "/admin"),
        ("admin-organisations", "/admin/organisations"),
        ("admin-batches", "/admin/batches"),
        ("admin-objections", "/admin/objections"),
        ("admin-status-changes", "/admin/status-changes"),
        ("admin-subsidies", "/admin/subsidies"),
        ("admin-recoveries", "/admin/recoveries"),
        ("admin-cases", "/admin/cases"),
        ("admin-dashboard", "/admin/dashboard"),
        ("admin-audit", "/admin/audit"),
    ):
        shots.take(name, path)
    page.context.clear_cookies()


def _cookies(page: Page) -> dict[str, str]:
    return {c["name"]: c["value"] for c in page.context.cookies()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        port = free_port()
        site = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "CS_ENVIRONMENT": "development",
            "CS_DATABASE_URL": f"sqlite:///{folder}/demo.sqlite3",
            "CS_KEYSTORE_DIR": f"{folder}/keys",
            "CS_PUBLIC_BASE_URL": site,
        }
        os.environ.update(env)
        subprocess.run([str(ROOT / ".venv" / "bin" / "credential-service"), "init"], env=env, check=True)
        runtime = build_runtime(Settings())
        manifest = load_demo(runtime)
        server = serve(env, port)
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
                context = browser.new_context(
                    viewport=PHONE, device_scale_factor=1, locale="zh-CN", timezone_id="Asia/Shanghai"
                )
                shots = Shots(context.new_page(), site, args.out)
                shots.take("home", "/")
                by_status = manifest.certificates_by_status
                shots.take("employer-genuine", by_status["valid"][0]["verificationUrl"])
                shots.take("employer-revoked", by_status["revoked"][0]["verificationUrl"])
                employer_checks(shots, manifest)
                shots.take("publicity", "/publicity")
                shots.take("statistics", "/stats")
                worker_pages(shots, manifest)
                organisation_pages(shots, runtime, manifest)
                institution_pages(shots, runtime, manifest)
                staff_pages(shots, runtime)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
            runtime.close()
    print("\n".join(f"{args.out / name}" for name in shots.taken))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
