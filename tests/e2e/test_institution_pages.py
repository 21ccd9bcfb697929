"""A training institution runs a class to completion in chromium on a phone (390x844): signs in with
a one-time link, opens a class, uploads a roster with a bad row and sees the row named, uploads the
corrected roster, posts attendance and completions, and sees every trainee completed; no page is
wider than the phone."""

from __future__ import annotations

import io
import random
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from openpyxl import Workbook

from credential_service.core.clock import beijing_date, utcnow
from credential_service.identity.credit_code import ALPHABET, credit_code_check_char
from credential_service.identity.rules import gb11643_check_char
from credential_service.records.training import institutions, signin
from credential_service.records.training.models import TrainingType
from credential_service.runtime import Runtime
from tests.e2e import expect

if TYPE_CHECKING:
    from playwright.sync_api import Page

HEADER = ["证件类型", "证件号码", "姓名", "报名日期"]


def _credit_code() -> str:
    rng = random.Random(12)
    first17 = "52140100" + "".join(rng.choice(ALPHABET) for _ in range(9))
    return first17 + credit_code_check_char(first17)


def _roster(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADER)
    for row in rows:
        sheet.append([*row, None])
    out = io.BytesIO()
    workbook.save(out)
    path.write_bytes(out.getvalue())
    return path


def _fits_the_phone(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, page.url


def test_an_institution_runs_a_class_to_completion(
    live_site: str, live_runtime: Runtime, phone_page: Page, tmp_path: Path, console_errors: list[str]
) -> None:
    page = phone_page
    code = _credit_code()
    with live_runtime.session() as session:
        institutions.register_institution(
            session,
            credit_code=code,
            name="太原市技能培训学校",
            city_code="140100",
            approved_projects=[("6-18-02-04", TrainingType.SKILL_UPGRADE)],
        )
        link = signin.signin_link(session, live_runtime.keystore, live_runtime.settings, code)
    today = beijing_date(utcnow())
    start, end = today - timedelta(days=10), today + timedelta(days=5)
    numbers = [
        f + gb11643_check_char(f) for f in ("14010519880808121", "14010519880808122", "14010519880808123")
    ]
    names = ("周一", "吴二", "郑三")
    good = [("居民身份证", n, name) for n, name in zip(numbers, names, strict=True)]
    wrong = numbers[2][:-1] + ("0" if numbers[2][-1] != "0" else "1")
    bad = [*good[:2], ("居民身份证", wrong, "郑三")]

    page.goto(link)  # the link opens a page with one button; opening it uses nothing up
    _fits_the_phone(page)
    page.get_by_role("button", name="登录培训机构页面").click()
    expect(page).to_have_url(live_site + "/institution")
    expect(page.locator("h1")).to_have_text("太原市技能培训学校")
    _fits_the_phone(page)

    page.get_by_role("link", name="开设新班").click()
    _fits_the_phone(page)
    page.fill("#class_ref", "HG-2026-09")
    page.select_option("#occupation_code", "6-18-02-04")
    page.fill("#subtype", "电焊工")
    page.select_option("#target_level", "4")
    page.select_option("#training_type", "skill_upgrade")
    page.fill("#start_date", start.isoformat())
    page.fill("#end_date", end.isoformat())
    page.fill("#planned_hours", "40")
    page.get_by_role("button", name="开设培训班").click()
    expect(page.locator("main")).to_contain_text("培训班已开设")
    expect(page.locator("#class-state")).to_have_text("培训中")
    _fits_the_phone(page)

    page.set_input_files("#file", str(_roster(tmp_path / "bad.xlsx", bad)))
    page.get_by_role("button", name="上传名册").click()
    errors = page.locator("tr.row-error")
    expect(errors).to_have_count(1)
    expect(errors.first).to_contain_text("4")
    expect(errors.first).to_contain_text("证件号码")
    expect(page.locator("tr.trainee")).to_have_count(0)  # nothing was changed
    _fits_the_phone(page)

    page.set_input_files("#file", str(_roster(tmp_path / "good.xlsx", good)))
    page.get_by_role("button", name="上传名册").click()
    expect(page.locator("main")).to_contain_text("名册已上传：3 名学员已报名")
    expect(page.locator('tr.trainee[data-state="enrolled"]')).to_have_count(3)
    expect(page.locator("#roster")).not_to_contain_text(numbers[0])  # masked
    _fits_the_phone(page)

    page.fill("#place", "太原市小店区培训基地 3 号教室")
    page.select_option("#method", "face")
    page.get_by_role("button", name="登记考勤").click()
    expect(page.locator("main")).to_contain_text("考勤已登记：3 人次")
    expect(page.locator("td.trainee-status").first).to_contain_text("考勤 1 次")
    _fits_the_phone(page)

    for fieldset in page.locator("fieldset.completion").all():
        fieldset.locator("select").select_option("pass")
    page.locator("fieldset.completion").first.locator("input[name=hours]").fill("38")
    page.get_by_role("button", name="登记结业").click()
    expect(page.locator("main")).to_contain_text("结业已登记：3 人")
    expect(page.locator('tr.trainee[data-state="completed"]')).to_have_count(3)
    expect(page.locator("td.trainee-status").first).to_contain_text("合格，实际课时 38")
    expect(page.locator("#class-state")).to_have_text("已全部结业")
    _fits_the_phone(page)

    page.get_by_role("link", name="返回培训班列表").click()
    row = page.locator("tr.training-class")
    expect(row).to_contain_text("名册 3 人 · 报名 3 人 · 结业 3 人")
    expect(row.locator(".class-state")).to_have_text("已全部结业")
    _fits_the_phone(page)
    # The only console message is the browser noting the 422 of the roster with a bad row.
    assert [e for e in console_errors if "422" not in e] == []
