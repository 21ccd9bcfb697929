"""The employer scans the QR code with a phone: the verdict is on the first screen, with or without
JavaScript, in Debian's chromium."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx
from PIL import Image
from pyzbar.pyzbar import ZBarSymbol, decode
from sqlalchemy import select

from credential_service.certificates.models import CertificateQRCode, IssuedCredential
from credential_service.certificates.qr_codes import certificate_qr
from credential_service.issuers import service as issuers
from credential_service.runtime import Runtime
from tests.conftest import ORG_CODE
from tests.e2e import expect
from tests.factories import holder, issue_certificate

if TYPE_CHECKING:
    from playwright.sync_api import Page


def _scanned_url(runtime: Runtime, record: IssuedCredential) -> str:
    with runtime.session() as session:  # the image is drawn on its first request (decision 044)
        certificate_qr(session, runtime.keystore, record, public_base_url=runtime.settings.public_base_url)
        png = session.scalar(
            select(CertificateQRCode.png).where(CertificateQRCode.credential_id == record.credential_id)
        )
    assert png is not None
    return decode(Image.open(io.BytesIO(png)), symbols=[ZBarSymbol.QRCODE])[0].data.decode("ascii")


def _verdict_on_first_screen(page: Page, text: str) -> None:
    verdict = page.locator("#verdict")
    expect(verdict).to_have_text(text)
    box = verdict.bounding_box()
    viewport = page.viewport_size
    assert box is not None and viewport is not None
    assert box["y"] + box["height"] <= viewport["height"], "the verdict needs scrolling"
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]


def test_phone_sees_the_verdict_first_with_and_without_javascript(
    live_site: str,
    live_runtime: Runtime,
    make_page: Callable[..., Page],
    cjk_font: str,
    console_errors: list[str],
) -> None:
    with live_runtime.session() as session:
        organisation = issuers.get_issuer(session, ORG_CODE)
    record = issue_certificate(live_runtime, organisation, who=holder(name="欧阳明月"))
    url = _scanned_url(live_runtime, record)
    assert url.startswith(live_site + "/v/")

    for javascript in (True, False):
        page = make_page(phone=True, java_script_enabled=javascript)
        page.goto(url)
        _verdict_on_first_screen(page, "真实有效")
        expect(page.locator("#holder")).to_have_text("欧**月")
        expect(page.locator("#number")).to_have_text(str(record.certificate_number))
        assert "欧阳明月" not in page.content()
        if javascript:  # no horizontal scrolling on a phone
            assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]  # type: ignore[index]

    revoked = httpx.post(
        f"{live_site}/api/v1/certificates/{record.certificate_number}/revoke",
        json={"reason_code": "altered_scores", "evidence": "稽查 2026-11", "authority": "山西省人社厅"},
        headers={"Authorization": f"Bearer {_admin_token(live_runtime, live_site)}"},
    )
    assert revoked.is_success, revoked.text
    page = make_page(phone=True, java_script_enabled=False)
    page.goto(url)
    _verdict_on_first_screen(page, "已撤销")
    expect(page.locator(".status-detail")).to_contain_text("篡改考核成绩")

    forged = url[:-10] + ("A" if url[-10] != "A" else "B") + url[-9:]
    page.goto(forged)
    _verdict_on_first_screen(page, "不是真实证书")
    page.goto(url + "?lang=en")
    expect(page.locator("#verdict")).to_have_text("Revoked")
    assert console_errors == []


def _admin_token(runtime: Runtime, base: str) -> str:
    from credential_service.platform.tokens import Principal, Role, mint_token

    principal = Principal(Role.ADMIN, "admin:e2e", frozenset({"admin"}))
    return mint_token(runtime.keystore, issuer=base, audience=base, principal=principal, minutes=5)
