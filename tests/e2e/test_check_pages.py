"""The employer and the HR clerk, on a phone (390x844) in Debian's chromium: a clerk checks a 20-row
Excel list and downloads the results as Excel and CSV; an employer follows a worker's share link to
the printable PDF and the verification page; a failed QR page leads to the check by number and name.
No page is wider than the phone."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING

import pypdfium2 as pdfium
from openpyxl import Workbook, load_workbook

from credential_service.certificates.qr_codes import certificate_qr
from credential_service.identity import service as identity
from credential_service.issuers import service as issuers
from credential_service.runtime import Runtime
from credential_service.worker import service as worker
from tests.conftest import ORG_CODE
from tests.e2e import expect
from tests.factories import holder, issue_certificate

if TYPE_CHECKING:
    from playwright.sync_api import Page

UNKNOWN = "Y000014010001263{:06d}"  # well-formed numbers never issued (serials from 900000)


def _fits_the_phone(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, page.url


def _issue(runtime: Runtime, names: list[str]) -> list[str]:
    with runtime.session() as session:
        organisation = issuers.get_issuer(session, ORG_CODE)
    return [
        str(issue_certificate(runtime, organisation, who=holder(name=n)).certificate_number) for n in names
    ]


def _hr_list(path: Path, rows: list[tuple[str, str]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["证书编号", "姓名"])
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path


def test_an_hr_clerk_checks_a_20_row_excel_list_and_downloads_the_results(
    live_site: str, live_runtime: Runtime, phone_page: Page, cjk_font: str, tmp_path: Path,
    console_errors: list[str],
) -> None:  # fmt: skip
    names = ["陈一", "褚二", "卫三", "蒋四", "沈五", "韩六", "杨七", "朱八", "秦九", "尤十"]
    numbers = _issue(live_runtime, names)
    rows = [(number, name) for number, name in zip(numbers, names, strict=True)]  # 10 genuine
    rows += [(number, name + "某") for number, name in zip(numbers[:5], names[:5], strict=True)]  # wrong name
    rows += [(UNKNOWN.format(900_000 + i), names[i]) for i in range(5)]  # unknown number
    expected = ["真实有效"] * 10 + ["未查到"] * 10
    listed = _hr_list(tmp_path / "应聘人员证书.xlsx", rows)
    page = phone_page

    page.goto(live_site + "/check")
    _fits_the_phone(page)
    page.get_by_role("link", name="批量查验：上传名单（Excel 或 CSV）").click()
    expect(page.locator("h1")).to_have_text("批量查验证书")
    _fits_the_phone(page)
    page.set_input_files("#file", str(listed))
    page.get_by_role("button", name="上传并查验").click()

    expect(page.locator("h1")).to_have_text("查验结果")
    expect(page.locator("#summary")).to_contain_text("共 20 行：真实有效 10 · 未查到 10")
    verdicts = [row.get_attribute("data-verdict") for row in page.locator("tr.result").all()]
    assert verdicts == ["genuine"] * 10 + ["no_match"] * 10
    expect(page.locator("tr.result").first).to_contain_text(numbers[0])
    _fits_the_phone(page)

    with page.expect_download() as excel:
        page.locator("#download-xlsx").click()
    assert excel.value.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(Path(excel.value.path()).read_bytes())).worksheets[0]
    table = [[str(cell.value or "") for cell in row] for row in sheet.iter_rows()]
    assert table[0][:4] == ["行号", "证书编号", "姓名", "核验结论"]
    assert [(row[1], row[2]) for row in table[1:]] == rows
    assert [row[3] for row in table[1:]] == expected
    assert table[1][5] == "陈*"  # the holder as the service answers: masked

    with page.expect_download() as comma_separated:
        page.locator("#download-csv").click()
    records = list(
        csv.reader(io.StringIO(Path(comma_separated.value.path()).read_text(encoding="utf-8-sig")))
    )
    assert records == table
    assert not console_errors


def test_an_employer_opens_a_shared_certificate_its_pdf_and_its_verification_page(
    live_site: str, live_runtime: Runtime, phone_page: Page, cjk_font: str, console_errors: list[str]
) -> None:
    who = holder(name="欧阳小芳")
    with live_runtime.session() as session:
        organisation = issuers.get_issuer(session, ORG_CODE)
    record = issue_certificate(live_runtime, organisation, who=who)
    number = str(record.certificate_number)
    with live_runtime.session() as session:
        person = identity.find_person(
            session, live_runtime.settings.data_key_bytes, identity.identify(who.document_type, who.id_number)
        )
        assert person is not None
        share = worker.create_share_link(session, person, certificate_number=number, days=30)
        qr = certificate_qr(session, live_runtime.keystore, record, public_base_url=live_site)
    page = phone_page

    page.goto(f"{live_site}/s/{share.token}")
    expect(page.locator("h1")).to_have_text("持证人分享的证书")
    expect(page.locator("main")).to_contain_text("（北京时间）")
    _fits_the_phone(page)
    row = page.locator(f'tr.shared-certificate[data-number="{number}"]')
    expect(row.locator("a.shared-pdf")).to_have_text("打印版证书（PDF）")
    expect(row.locator("a.shared-verify")).to_have_text("核验页面")

    with page.expect_download() as download_info:
        row.locator("a.shared-pdf").click()
    assert download_info.value.suggested_filename == f"{number}.pdf"
    document = pdfium.PdfDocument(Path(download_info.value.path()).read_bytes())
    try:
        printed = document[0].get_textpage().get_text_range()
    finally:
        document.close()
    assert number in printed and "职业技能等级证书" in printed
    assert who.id_number not in printed  # masked, as on the holder's own printout

    row.locator("a.shared-verify").click()
    expect(page).to_have_url(qr.url)
    expect(page.locator("#verdict")).to_have_text("真实有效")
    expect(page.locator("#number")).to_have_text(number)
    _fits_the_phone(page)
    assert not console_errors


def test_a_failed_qr_page_leads_to_the_check_by_number_and_name(
    live_site: str, live_runtime: Runtime, phone_page: Page, cjk_font: str, console_errors: list[str]
) -> None:
    [number] = _issue(live_runtime, ["褚小明"])
    page = phone_page

    page.goto(live_site + "/v/NOT-A-REAL-TOKEN")
    expect(page.locator("#verdict")).to_have_text("不是真实证书")
    page.get_by_role("link", name="用证书编号和姓名查验").click()
    expect(page).to_have_url(live_site + "/check")
    _fits_the_phone(page)

    page.fill("#certificate_number", number)
    page.fill("#name", "褚小明")
    page.locator("#by-number").get_by_role("button", name="查验").click()
    expect(page.locator("#verdict")).to_have_text("真实有效")
    expect(page.locator("#holder")).to_have_text("褚*明")
    _fits_the_phone(page)

    page.fill("#certificate_number", UNKNOWN.format(900_001))
    page.fill("#name", "褚小明")
    page.locator("#by-number").get_by_role("button", name="查验").click()
    expect(page.locator("#verdict")).to_have_text("未查到")
    _fits_the_phone(page)
    assert not console_errors
