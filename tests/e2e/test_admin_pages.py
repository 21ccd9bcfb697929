"""Staff in chromium: an administrator signs in with a link made by the command line, browses the
organisations, one organisation and the audit trail, revokes a certificate with the form and sees it
on the status-changes page; an auditor sees every page and no form; a used link is refused."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from credential_service.assessment.occupations.rules import builtin_occupation
from credential_service.assessment.organisations import service as organisations
from credential_service.assessment.organisations.rules import ScopeRowInput
from credential_service.certificates import service as certificates
from credential_service.certificates.rules import SkillLevel
from credential_service.cli import app as cli
from credential_service.demo import demo_credit_code
from credential_service.issuers import service as issuers
from credential_service.runtime import Runtime
from tests.e2e import expect
from tests.factories import holder

if TYPE_CHECKING:
    from playwright.sync_api import Page

ORG_NAME = "山西省焊接技能评价站"
PAGES = (
    "/admin",
    "/admin/organisations",
    "/admin/batches",
    "/admin/objections",
    "/admin/status-changes",
    "/admin/keys",
    "/admin/audit",
)


def _link(role: str, name: str) -> str:
    made = CliRunner().invoke(cli, ["token", role, "--link", "--name", name])
    assert made.exit_code == 0, made.output
    return made.stdout.strip()


def _sign_in(page: Page, link: str) -> None:
    page.goto(link)
    page.get_by_role("button", name="登录管理页面").click()


@pytest.fixture
def certificate_number(live_runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> str:
    """A registered organisation with one issued certificate; the CLI pointed at the live site."""
    settings = live_runtime.settings
    monkeypatch.setenv("CS_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CS_KEYSTORE_DIR", str(settings.keystore_dir))
    monkeypatch.setenv("CS_KEYSTORE_PASSPHRASE", "test passphrase")
    monkeypatch.setenv("CS_PUBLIC_BASE_URL", settings.public_base_url)
    with live_runtime.session() as session:
        code = organisations.register_organisation(
            session,
            live_runtime.keystore,
            settings,
            org_type="S",
            credit_code=demo_credit_code(random.Random(18), "140100"),
            name=ORG_NAME,
            mohrss_code="0000",
            site_serial="990300",
            scope=[ScopeRowInput("6-18-02-04", "电焊工", (5, 4, 3), date(2024, 1, 1), date(2029, 12, 31))],
            actor="admin:e2e",
        ).code
        record = certificates.issue_skill_certificate(
            session,
            live_runtime.keystore,
            live_runtime.issuance,
            issuer=issuers.get_issuer(session, code),
            holder=holder(),
            occupation=builtin_occupation("6-18-02-04"),
            level=SkillLevel.LEVEL_4,
            data_key=settings.data_key_bytes,
            exam_date=date.today() - timedelta(days=20),
        )
        return record.certificate_number or ""


def test_admin_browses_and_revokes_an_auditor_only_reads_a_link_works_once(
    live_site: str,
    certificate_number: str,
    make_page: Callable[..., Page],
    page: Page,
    phone_page: Page,
    cjk_font: str,
    console_errors: list[str],
) -> None:
    admin_link = _link("admin", "wang")
    assert admin_link.startswith(f"{live_site}/admin/signin?token=")
    _sign_in(page, admin_link)
    expect(page).to_have_url(f"{live_site}/admin")
    expect(page.locator("h1")).to_have_text("人社部门管理")
    expect(page.locator(".role")).to_contain_text("管理员 · admin:wang")

    # Organisations → one organisation → the audit trail.
    page.get_by_role("link", name="评价机构").first.click()
    row = page.locator("tr.organisation").filter(has_text=ORG_NAME)
    expect(row).to_have_attribute("data-status", "active")
    row.get_by_role("link", name=ORG_NAME).click()
    expect(page.locator("h1")).to_have_text(ORG_NAME)
    expect(page.locator("#scope tr.scope-row")).to_contain_text("6-18-02-04")
    expect(page.locator("#keys tr.key").first).to_have_attribute("data-state", "active")
    page.get_by_role("link", name="审计日志").click()
    expect(page.locator("#chain")).to_have_attribute("data-intact", "true")
    expect(page.locator("tr.event").first).to_contain_text("工作人员登录")  # the event in words

    # Revoke the certificate with the form; the change is listed at once.
    page.get_by_role("link", name="证书状态").click()
    page.fill("#certificate_number", certificate_number)
    page.select_option("#action", "revoke")
    page.select_option("#reason_code", "fraud")
    page.fill("#evidence", "晋人社稽〔2026〕3号 稽查报告")
    page.fill("#authority", "山西省人力资源和社会保障厅")
    page.get_by_role("button", name="提交").click()
    expect(page.locator("#done")).to_contain_text(certificate_number)
    change = page.locator(f'tr.change[data-number="{certificate_number}"]')
    expect(change).to_have_attribute("data-action", "revoke")
    expect(change).to_contain_text("撤销")
    page.goto(f"{live_site}/admin/status-changes?lang=en")
    expect(page.locator("h1")).to_have_text("Certificate status changes")

    # An auditor, on a phone: every page, no form but signing out, nothing wider than the screen.
    _sign_in(phone_page, _link("auditor", "li"))
    expect(phone_page).to_have_url(f"{live_site}/admin")
    for path in PAGES:
        phone_page.goto(f"{live_site}{path}?lang=zh")
        expect(phone_page.locator(".read-only")).to_be_visible()
        assert phone_page.locator("main form[method=post]").count() == 0, path
        assert phone_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), path
    phone_page.goto(f"{live_site}/admin/status-changes")
    expect(phone_page.locator(f'tr.change[data-number="{certificate_number}"]')).to_contain_text("撤销")

    # The administrator's link again, in a fresh browser: refused, still on the sign-in page.
    again = make_page()
    _sign_in(again, admin_link)
    expect(again.locator("[role=alert]")).to_contain_text("已使用过")
    again.goto(f"{live_site}/admin")
    expect(again).to_have_url(f"{live_site}/admin/signin")

    # The only console message is the browser noting the refused link's 401.
    assert [e for e in console_errors if "401 (Unauthorized)" not in e] == []
