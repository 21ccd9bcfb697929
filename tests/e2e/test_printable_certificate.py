"""A worker, in Debian's chromium, downloads the printable certificate from their file: a one-page PDF
whose QR code (read by zbar from the rendered page) is the certificate's verification URL, which
opens the employer's page saying the certificate is genuine."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pypdfium2 as pdfium

from credential_service.certificates import service as certificates
from credential_service.certificates.qr_codes import certificate_qr
from credential_service.issuers import service as issuers
from credential_service.runtime import Runtime
from tests.conftest import ORG_CODE, need
from tests.e2e import expect
from tests.factories import holder, issue_certificate

if TYPE_CHECKING:
    from playwright.sync_api import Page


def test_the_worker_downloads_the_printable_certificate_from_their_file(
    live_site: str, live_runtime: Runtime, page: Page, cjk_font: str, console_errors: list[str]
) -> None:
    try:
        from pyzbar.pyzbar import ZBarSymbol, decode
    except ImportError:
        need("libzbar0 is missing (scripts/setup_system.sh installs it)")
        raise
    who = holder(name="欧阳建国")
    with live_runtime.session() as session:
        organisation = issuers.get_issuer(session, ORG_CODE)
    number = issue_certificate(live_runtime, organisation, who=who).certificate_number
    assert number is not None
    with live_runtime.session() as session:
        record = certificates.get_by_number(session, number)
        url = certificate_qr(session, live_runtime.keystore, record, public_base_url=live_site).url

    page.goto(live_site + "/signin")
    page.select_option("#document_type", who.document_type.value)
    page.fill("#id_number", who.id_number)
    page.fill("#name", who.name)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(live_site + "/me")

    link = page.locator(f'tr.certificate[data-number="{number}"] a.download-pdf')
    expect(link).to_have_text("下载打印版证书（PDF）")
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == f"{number}.pdf"
    pdf = Path(download.path()).read_bytes()
    assert pdf.startswith(b"%PDF-")

    document = pdfium.PdfDocument(pdf)
    try:
        assert len(document) == 1
        rendered = document[0].render(scale=200 / 72).to_pil()
    finally:
        document.close()
    assert [symbol.data.decode() for symbol in decode(rendered, symbols=[ZBarSymbol.QRCODE])] == [url]

    page.goto(url)  # what a phone camera would open: the employer's verification page
    expect(page.locator("#verdict")).to_have_text("真实有效")
    expect(page.locator("main")).to_contain_text(number)
    assert console_errors == []
