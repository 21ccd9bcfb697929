"""Subsidies in chromium, on a phone (issue 13): a worker claims the 技能提升补贴 with one click from
/me and reads each rule's answer; an officer finds the claim in the queue on /admin/subsidies, reads
the rules and the rule sets, and approves it with a reason; the worker then reads it as paid. Nothing
scrolls sideways at 390 px."""

from __future__ import annotations

from typing import TYPE_CHECKING

from credential_service.identity import service as identity
from credential_service.identity.signin import staff as staff_signin
from credential_service.issuers import service as issuers
from credential_service.platform.tokens import Role
from credential_service.runtime import Runtime
from credential_service.subsidies import service as rule_sets
from credential_service.subsidies.rules import Employment
from credential_service.subsidies.social_insurance import record_demo_facts
from tests.conftest import ORG_CODE, need
from tests.e2e import expect
from tests.e2e.test_every_page import AXE, Crawl, check_page
from tests.factories import holder, issue_certificate

if TYPE_CHECKING:
    from playwright.sync_api import Page


def _fits(page: Page) -> None:
    """Plain Chinese, no sideways scrolling at 390 px, no axe-core violation (phone and desktop): the
    crawl of every page checks these on the demo, whose queue is empty; here it is not."""
    found = Crawl()
    check_page(page, page.url, found, axe_desktop=True)
    assert found.problems == [], "\n".join(found.problems)


def test_a_worker_claims_and_an_officer_approves_on_a_phone(
    live_site: str, live_runtime: Runtime, phone_page: Page
) -> None:
    need(None if AXE.exists() else f"{AXE} is missing (scripts/setup_node.sh installs it)")
    runtime, page = live_runtime, phone_page
    who = holder()
    with runtime.session() as session:
        rule_sets.ensure_shipped_rule_sets(session, actor="e2e")
        issuer = issuers.get_issuer(session, ORG_CODE)
        session.expunge(issuer)
    number = issue_certificate(runtime, issuer, who=who).certificate_number or ""
    with runtime.session() as session:
        person = identity.register_person(
            session,
            runtime.settings.data_key_bytes,
            identity.identify(who.document_type.value, who.id_number),
            who.name,
        )
        record_demo_facts(
            session,
            runtime.settings.data_key_bytes,
            person,
            insured_months=24,
            employment=Employment.ENTERPRISE_EMPLOYEE,
            card_account="6217000010001234567",
        )

    page.goto(live_site + "/signin")
    page.select_option("#document_type", who.document_type.value)
    page.fill("#id_number", who.id_number)
    page.fill("#name", who.name)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(live_site + "/me")
    mine = page.locator(f'li.claimable-certificate[data-number="{number}"]')
    _fits(page)
    mine.get_by_role("button", name="申请技能提升补贴").click()
    expect(page.locator("#claim-filed")).to_be_visible()
    claim = page.locator("#subsidies li.claim").first
    expect(claim.locator(".claim-state")).to_have_text("符合条件，待审批")
    expect(claim).to_contain_text("¥2,000.00")
    expect(claim.locator("tr.rule").first).to_contain_text("通过")
    expect(mine).to_contain_text("已申请")
    _fits(page)

    officer = page.context.browser.new_context(viewport={"width": 390, "height": 844})  # type: ignore[union-attr]
    admin = officer.new_page()
    admin.goto(staff_signin.signin_link(runtime.keystore, runtime.settings, Role.ADMIN, "e2e"))
    admin.get_by_role("button", name="登录管理页面").click()
    admin.get_by_role("link", name="补贴审核").click()
    expect(admin).to_have_url(live_site + "/admin/subsidies")
    queued = admin.locator("#queue li.claim").first
    expect(queued).to_contain_text(number)
    expect(admin.locator("#rule-sets")).to_contain_text("2025.1")
    _fits(admin)
    queued.get_by_label("审核意见（理由）").fill("材料齐全，予以发放")
    queued.get_by_role("button", name="批准并发放").click()
    expect(admin.locator("#done")).to_contain_text("已批准")
    expect(admin.locator("#queue")).to_contain_text("没有待审核的补贴申请")
    officer.close()

    page.reload()
    expect(page.locator("#subsidies li.claim .claim-state").first).to_have_text("已发放")
    expect(page.locator("#subsidies li.claim").first).to_contain_text("****4567")
