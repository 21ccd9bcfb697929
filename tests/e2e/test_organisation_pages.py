"""An organisation's officer and the department on phones, in Chromium: the officer files a plan with
the form, uploads results with a bad row, reads the row's error in Chinese, fixes the sheet and
confirms; the public objects on the 公示 page; an administrator resolves the objection on /admin; the
officer issues on /org and sees the export. No page is wider than the phone's 390 px."""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from openpyxl import Workbook
from sqlalchemy import update

from credential_service.assessment.organisations import clients as org_clients
from credential_service.assessment.organisations import service as organisations
from credential_service.assessment.organisations.rules import ScopeRowInput
from credential_service.assessment.workflow.models import ResultSubmission
from credential_service.core.clock import utcnow
from credential_service.demo import demo_credit_code
from credential_service.identity.clients.models import ClientAuthMethod
from credential_service.identity.rules import gb11643_check_char
from credential_service.identity.signin import staff as staff_signin
from credential_service.platform.tokens import Role
from credential_service.runtime import Runtime
from tests.e2e import expect

if TYPE_CHECKING:
    from playwright.sync_api import Page

TODAY = date.today()
ORG_NAME = "山西省电工技能评价站"


def _sheet(path: Path, rows: list[tuple[object, ...]]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["证件类型", "证件号码", "姓名", "理论知识成绩", "技能操作成绩"])
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    path.write_bytes(out.getvalue())
    return path


def _fits(page: Page) -> None:
    """Nothing on the page is wider than the phone's screen."""
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, page.url


def test_plan_results_publicity_objection_resolution_and_issue_on_phones(
    live_site: str,
    live_runtime: Runtime,
    make_page: Callable[..., Page],
    tmp_path: Path,
    console_errors: list[str],
) -> None:
    with live_runtime.session() as session:
        code = organisations.register_organisation(
            session,
            live_runtime.keystore,
            live_runtime.settings,
            org_type="S",
            credit_code=demo_credit_code(random.Random(3), "140100"),
            name=ORG_NAME,
            mohrss_code="0000",
            site_serial="990200",
            scope=[
                ScopeRowInput(
                    "6-31-01-03", None, (5, 4), TODAY - timedelta(days=60), TODAY + timedelta(days=700)
                )
            ],
            actor="admin:e2e",
            now=utcnow() - timedelta(days=60),
        ).code
        client = org_clients.create_client(
            session, code, ClientAuthMethod.CLIENT_SECRET, public_base_url=live_site, actor="admin:e2e"
        )
    numbers = [
        f + gb11643_check_char(f) for f in ("14010519880808121", "14010519880808122", "14010519880808123")
    ]
    good = [
        ("居民身份证", n, name, 82, 76) for n, name in zip(numbers, ("周一", "吴二", "郑三"), strict=True)
    ]
    bad = [
        *good[:2],
        ("居民身份证", numbers[2][:-1] + ("0" if numbers[2][-1] != "0" else "1"), "郑三", 82, 76),
    ]

    officer = make_page(phone=True)
    officer.goto(live_site + "/org")
    expect(officer).to_have_url(live_site + "/org/signin")
    officer.fill("#client_id", client.client_id)
    officer.fill("#client_secret", client.client_secret or "")
    officer.get_by_role("button", name="登录").click()
    expect(officer.locator("h1")).to_have_text(ORG_NAME)
    _fits(officer)

    # File a plan: the form offers only the registered scope; a bad form names its fields.
    officer.get_by_role("link", name="提交评价计划").click()
    expect(officer.locator("#choice option")).to_have_count(3)  # 请选择, level 5, level 4
    _fits(officer)
    officer.fill("#plan_ref", "DG-2026-11")
    officer.select_option("#choice", label="电工 · 四级/中级工 · 6-31-01-03")
    officer.fill("#exam_start", (TODAY - timedelta(days=3)).isoformat())
    officer.fill("#exam_end", (TODAY - timedelta(days=4)).isoformat())  # before the start
    officer.fill("#examiner_name-1", "钱考评")
    officer.fill("#examiner_number-1", "KP770001")
    officer.get_by_role("button", name="提交计划").click()
    expect(officer.locator("#exam_end-error")).to_contain_text("考核结束日期早于开始日期")
    _fits(officer)
    officer.fill("#exam_end", (TODAY - timedelta(days=2)).isoformat())
    officer.get_by_role("button", name="提交计划").click()
    expect(officer.locator("#filed")).to_contain_text("评价计划已提交")
    expect(officer.locator("#plan")).to_contain_text("四级/中级工")
    _fits(officer)

    # Results with a bad row: the row's error in Chinese; the fixed sheet is confirmed.
    officer.set_input_files("#file", str(_sheet(tmp_path / "bad.xlsx", bad)))
    officer.get_by_role("button", name="核对成绩表").click()
    expect(officer.locator("tr.row-error")).to_have_count(1)
    expect(officer.locator("#row-errors")).to_contain_text("第 4 行：证件号码")
    expect(officer.locator("#row-errors")).not_to_contain_text("row")
    _fits(officer)
    officer.get_by_role("link", name="返回评价计划").click()
    officer.set_input_files("#file", str(_sheet(tmp_path / "good.xlsx", good)))
    officer.get_by_role("button", name="核对成绩表").click()
    expect(officer.locator("main")).to_contain_text("可记录 3 行")
    officer.get_by_role("button", name="确认提交").click()
    expect(officer.locator("#batch")).to_have_attribute("data-stage", "publicity")
    expect(officer.locator("#batch")).to_contain_text("公示期至")
    batch_url = officer.url
    _fits(officer)

    # Someone objects on the public 公示 page.
    public = make_page(phone=True)
    public.goto(live_site + "/publicity")
    expect(public.locator("li.candidate")).to_have_count(3)
    public.locator("textarea[name=reason]").first.fill("该考生实操考核由他人代考，请核查")
    public.get_by_role("button", name="提交异议").first.click()
    expect(public.locator("main")).to_contain_text("异议已收到")
    officer.goto(batch_url)
    expect(officer.locator("li.objection")).to_contain_text("待人社部门处理")

    # The department resolves it on its page: dismissed, with the grounds.
    admin = make_page(phone=True)
    admin.goto(staff_signin.signin_link(live_runtime.keystore, live_runtime.settings, Role.ADMIN, "wang"))
    admin.get_by_role("button", name="登录管理页面").click()
    admin.get_by_role("link", name="公示异议").click()
    objection = admin.locator("li.objection").first
    expect(objection).to_contain_text("该考生实操考核由他人代考")
    _fits(admin)
    objection.get_by_role("button", name="提交处理结果").click()  # no decision yet: refused by the browser
    objection.get_by_label("异议不成立（可以发证）").check()
    objection.locator("textarea[name=resolution]").fill("短")
    objection.get_by_role("button", name="提交处理结果").click()
    expect(admin.locator("#resolve-error")).to_contain_text("处理意见")
    _fits(admin)
    objection = admin.locator("li.objection").first
    objection.get_by_label("异议不成立（可以发证）").check()
    objection.locator("textarea[name=resolution]").fill("经核查，考生本人参加了实操考核，举报不实")
    objection.get_by_role("button", name="提交处理结果").click()
    expect(admin.locator("#done")).to_contain_text("异议不成立")
    expect(admin.locator("li.objection").first).to_have_attribute("data-status", "dismissed")

    # Five working days later the officer issues every certificate and may download the export.
    with live_runtime.session() as session:
        session.execute(update(ResultSubmission).values(publicity_ends_on=TODAY - timedelta(days=1)))
    officer.goto(batch_url)
    expect(officer.locator("#batch")).to_have_attribute("data-stage", "ready")
    expect(officer.locator("li.objection")).to_contain_text("异议不成立")
    officer.get_by_role("button", name="发证").click()
    expect(officer.locator("#batch")).to_have_attribute("data-stage", "issued")
    expect(officer.locator("#issued-count")).to_contain_text("已发证 3 人")
    expect(officer.locator("#export a")).to_have_count(2)
    _fits(officer)
    officer.goto(live_site + "/org")
    expect(officer.locator("li.submission").first).to_have_attribute("data-stage", "issued")
    expect(officer.locator("li.submission").first).to_contain_text("共 1 件，待处理 0 件")
    _fits(officer)
    # The only console messages are the browser noting the 422s of the refused forms and sheet.
    assert [e for e in console_errors if "422" not in e] == []
