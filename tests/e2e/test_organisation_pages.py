"""An organisation's officer, in chromium: signs in, uploads a sheet with a bad row, sees the row
errors, uploads the corrected sheet, confirms, and issues after publicity; the public objects."""

from __future__ import annotations

import io
import random
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from openpyxl import Workbook
from sqlalchemy import update

from credential_service.assessment.organisations import clients as org_clients
from credential_service.assessment.organisations import service as organisations
from credential_service.assessment.organisations.rules import ScopeRowInput
from credential_service.assessment.workflow import plans
from credential_service.assessment.workflow.models import ResultSubmission
from credential_service.demo import demo_credit_code
from credential_service.identity.clients.models import ClientAuthMethod
from credential_service.identity.rules import gb11643_check_char
from credential_service.runtime import Runtime
from tests.e2e import PHONE, expect

if TYPE_CHECKING:
    from playwright.sync_api import Page


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


def test_officer_uploads_checks_confirms_and_issues(
    live_site: str, live_runtime: Runtime, page: Page, tmp_path: Path, console_errors: list[str]
) -> None:
    with live_runtime.session() as session:
        code = organisations.register_organisation(
            session,
            live_runtime.keystore,
            live_runtime.settings,
            org_type="S",
            credit_code=demo_credit_code(random.Random(3), "140100"),
            name="山西省电工技能评价站",
            mohrss_code="0000",
            site_serial="990200",
            scope=[ScopeRowInput("6-31-01-03", None, (5, 4), date(2026, 1, 1), date(2027, 12, 31))],
            actor="admin:e2e",
        ).code
        client = org_clients.create_client(
            session, code, ClientAuthMethod.CLIENT_SECRET, public_base_url=live_site, actor="admin:e2e"
        )
        plans.file_plan(
            session,
            organisations.get_organisation(session, code),
            plan_ref="DG-2026-11",
            occupation_code="6-31-01-03",
            subtype=None,
            level=4,
            exam_start=date(2026, 11, 2),
            exam_end=date(2026, 11, 3),
            examiners=[{"name": "钱考评", "certificate_number": "KP77"}],
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

    page.goto(live_site + "/org")
    expect(page).to_have_url(live_site + "/org/signin")
    page.fill("#client_id", client.client_id)
    page.fill("#client_secret", client.client_secret or "")
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(live_site + "/org")
    expect(page.locator("h1")).to_have_text("山西省电工技能评价站")

    page.set_input_files("#file", str(_sheet(tmp_path / "bad.xlsx", bad)))
    page.get_by_role("button", name="核对成绩表").click()
    expect(page.locator("tr.row-error")).to_have_count(1)
    expect(page.locator("#row-errors")).to_contain_text("row 4: 证件号码")

    page.goto(live_site + "/org")
    page.set_input_files("#file", str(_sheet(tmp_path / "good.xlsx", good)))
    page.get_by_role("button", name="核对成绩表").click()
    expect(page.locator("main")).to_contain_text("可记录 3 行")
    page.get_by_role("button", name="确认提交").click()
    expect(page).to_have_url(live_site + "/org#submissions")
    row = page.locator("tr.submission").first
    expect(row).to_have_attribute("data-state", "publicity")

    page.set_viewport_size(PHONE["viewport"])  # 公示 on a phone: every fact visible
    page.goto(live_site + "/publicity")
    expect(page.locator("li.candidate")).to_have_count(3)
    first = page.locator("li.candidate").first
    for fact in ("电工", "6-31-01-03", "山西省电工技能评价站"):  # occupation by name and code, organisation
        expect(first).to_contain_text(fact)
    assert first.get_by_text("山西省电工技能评价站").is_visible()
    expect(page.locator("#objection-contact")).to_contain_text("12333")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.locator("textarea[name=reason]").first.fill("该考生实操考核由他人代考，请核查")
    page.get_by_role("button", name="提交异议").first.click()
    expect(page.locator("main")).to_contain_text("异议已收到")

    with live_runtime.session() as session:  # five working days later
        session.execute(update(ResultSubmission).values(publicity_ends_on=date.today() - timedelta(days=1)))
    page.goto(live_site + "/org")
    page.get_by_role("button", name="发证").click()
    row = page.locator("tr.submission").first
    expect(row).to_contain_text("已发证 2")  # one is held back by the open objection
    expect(row).to_have_attribute("data-state", "publicity")  # the batch is not done while one is held
    # The only console message is the browser noting the 422 of the sheet with a bad row.
    assert [e for e in console_errors if "422" not in e] == []
