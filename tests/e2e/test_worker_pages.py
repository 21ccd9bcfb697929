"""A demo worker, on a phone, in Debian's chromium: signs in, reads the file, downloads, shares, withdraws."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from credential_service.demo import load_demo
from credential_service.runtime import Runtime
from tests.e2e import expect

if TYPE_CHECKING:
    from playwright.sync_api import Page


def test_worker_signs_in_reads_downloads_shares_and_withdraws(
    live_site: str, live_runtime: Runtime, phone_page: Page, cjk_font: str, console_errors: list[str]
) -> None:
    who = load_demo(live_runtime).sign_in
    page = phone_page

    page.goto(live_site + "/me")
    expect(page).to_have_url(live_site + "/signin")
    page.select_option("#document_type", who["documentType"])
    page.fill("#id_number", who["idNumber"])
    page.fill("#name", who["name"])
    page.get_by_role("button", name="登录").click()

    expect(page).to_have_url(live_site + "/me")
    expect(page.locator("h1")).to_have_text("我的职业技能培训电子档案")
    expect(page.locator("#profile")).to_contain_text(who["name"])
    assert who["idNumber"] not in page.content()  # only the masked number is shown
    expect(page.locator("#timeline li.entry").first).to_contain_text("获得证书")
    # Each entry is headed by its Beijing date: an enrolment or a completion by the date it records.
    dated = 0
    for entry in page.locator("#timeline li.entry").all():
        heading, _, facts = entry.inner_text().partition("\n")
        # Facts in words and Beijing time: no machine value, no empty value, no UTC timestamp.
        assert not re.search(r"：(None|pass|fail|card|e_card|face)(；|$)|\d{4}-\d\d-\d\dT", facts), facts
        for label in ("结业日期：", "报名日期："):
            if label in facts:
                recorded = facts.split(label, 1)[1][:10]
                assert heading.startswith(recorded), (heading, facts)
                dated += 1
    assert dated >= 2  # the demo worker enrolled in and completed a class
    first = page.locator("tr.certificate").first
    number = first.get_attribute("data-number")
    assert number
    expect(first).to_contain_text("有效")

    with page.expect_download() as download_info:
        first.locator("a.download").click()
    credential = json.loads(Path(download_info.value.path()).read_text(encoding="utf-8"))
    assert credential["credentialSubject"]["licenseNumber"] == number
    verified = httpx.post(f"{live_site}/credentials/verify", json={"verifiableCredential": credential})
    assert verified.status_code == 200, verified.text

    page.select_option("#certificate_number", number)
    page.fill("#days", "7")
    page.get_by_role("button", name="生成分享链接").click()
    share_url = page.locator("#share-url").inner_text().strip()
    assert share_url.startswith(live_site + "/s/")

    page.goto(share_url)
    expect(page.locator("h1")).to_have_text("持证人分享的证书")
    expect(page.locator("main")).to_contain_text(number)

    page.goto(live_site + "/me")
    link_row = page.locator("tr.share-link").first
    expect(link_row).to_have_attribute("data-state", "active")
    link_row.get_by_role("button", name="撤回").click()
    expect(page.locator("tr.share-link").first).to_have_attribute("data-state", "withdrawn")

    response = page.goto(share_url)
    assert response is not None and response.status == 410
    expect(page.locator("h1")).to_contain_text("链接已失效")

    live_runtime.verification_log.flush()  # look-ups are logged behind the request
    page.goto(live_site + "/me")
    records = page.locator("#verifications tbody td:nth-child(n+3)").all_inner_texts()
    assert "分享链接" in records and "有效" in records, records  # how and what, in words
    assert not re.search(r"[A-Za-z]", "".join(records)), records
    page.goto(live_site + "/me?lang=en")
    expect(page.locator("h1")).to_have_text("My lifelong vocational-training file")
    expect(page.locator("#verifications")).to_contain_text("share link")
    # The only console message is the browser noting the expected 410 of the withdrawn link.
    assert [e for e in console_errors if "410 (Gone)" not in e] == []
