"""The printable certificate over real HTTP: one A4 page, Chinese text with an embedded font, a QR code
that zbar reads back as the verification URL, the same access rule as the credential file, and 503
(never boxes) without a CJK font."""

from __future__ import annotations

import dataclasses
import json
import re
from base64 import b32encode
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from fastapi.testclient import TestClient

from credential_service.app import create_app
from credential_service.certificates import printable
from credential_service.certificates import service as certificates
from credential_service.certificates.errors import PrintingUnavailable
from credential_service.certificates.fields import CertificateFields, certificate_fields
from credential_service.certificates.qr_codes import certificate_qr, render
from credential_service.certificates.rules import SkillLevel
from credential_service.identity.signin.assertions import AssertedIdentity, dev_assertion
from credential_service.issuers.models import Issuer
from credential_service.platform.tokens import ORGANISATION_SCOPES, Principal, Role, mint_token
from credential_service.runtime import Runtime
from tests.conftest import BASE_URL, ORG_NAME, need
from tests.factories import form_csrf, holder, issue_certificate, register_organisation

try:
    from pyzbar.pyzbar import ZBarSymbol
    from pyzbar.pyzbar import decode as zbar_decode
except ImportError:  # libzbar0 missing: the QR checks skip (fail under CI) below
    zbar_decode = None

A4_POINTS = (595.28, 841.89)
RENDER_DPI = 150


# ------------------------------------------------------------------------------------------ helpers


def _sign_in(client: TestClient, runtime: Runtime, who: certificates.Holder) -> dict[str, str]:
    assertion = dev_assertion(
        runtime.keystore,
        audience=BASE_URL,
        identity=AssertedIdentity(who.document_type.value, who.id_number, who.name, "L2"),
    )
    response = client.post("/api/v1/auth/assertion", json={"assertion": assertion})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _bearer(runtime: Runtime, principal: Principal) -> dict[str, str]:
    token = mint_token(runtime.keystore, issuer=BASE_URL, audience=BASE_URL, principal=principal, minutes=5)
    return {"Authorization": f"Bearer {token}"}


@dataclasses.dataclass
class Printed:
    pages: int
    size: tuple[float, float]
    text: str
    qr_codes: list[str]


def _read(pdf: bytes) -> Printed:
    """Page count, size, text layer, and the QR codes zbar finds on the page rendered at 150 dpi."""
    document = pdfium.PdfDocument(pdf)
    try:
        page = document[0]
        text_page = page.get_textpage()
        text = text_page.get_text_range()
        image = page.render(scale=RENDER_DPI / 72).to_pil()
        text_page.close()
        size = page.get_size()
        page.close()
        pages = len(document)
    finally:
        document.close()
    need(None if zbar_decode is not None else "libzbar0 is missing (scripts/setup_system.sh installs it)")
    found = [s.data.decode() for s in zbar_decode(image.convert("L"), symbols=[ZBarSymbol.QRCODE])]
    return Printed(pages, size, text, found)


def _font_dictionaries(pdf: bytes) -> list[bytes]:
    """Every font and font-descriptor dictionary (reportlab writes them as plain, unnested objects)."""
    objects = re.findall(rb"\d+ 0 obj\s*(<<(?:(?!>>).)*>>)", pdf, re.S)
    return [o for o in objects if re.search(rb"/Type /Font(Descriptor)?\b", o)]


@pytest.fixture
def worker(runtime: Runtime, organisation: Issuer) -> tuple[certificates.Holder, str]:
    who = holder(name="欧阳建国")
    record = issue_certificate(runtime, organisation, who=who, level=SkillLevel.LEVEL_2)
    assert record.certificate_number is not None
    return who, record.certificate_number


# ------------------------------------------------------------------------------------- the document


def test_the_holder_downloads_one_a4_page_with_the_fields_an_embedded_font_and_a_readable_qr_code(
    client: TestClient, runtime: Runtime, worker: tuple[certificates.Holder, str]
) -> None:
    who, number = worker
    response = client.get(
        f"/api/v1/certificates/{number}/certificate.pdf", headers=_sign_in(client, runtime, who)
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == f'attachment; filename="{number}.pdf"'
    assert response.headers["cache-control"] == "private, no-store"
    pdf = response.content
    assert pdf.startswith(b"%PDF-")

    printed = _read(pdf)
    assert printed.pages == 1
    assert printed.size == pytest.approx(A4_POINTS, abs=1)
    for field in (
        "职业技能等级证书",
        who.name,
        number,
        "焊工",
        "6-18-02-04",
        "二级/技师",
        ORG_NAME,
        "居民身份证",
    ):
        assert field in printed.text, field
    masked = who.id_number[:3] + "*" * 11 + who.id_number[-4:]
    assert masked in printed.text
    assert who.id_number not in pdf.decode("latin-1") and who.id_number not in printed.text
    assert "Vocational Skill Level Certificate" in printed.text  # the English line

    with runtime.session() as session:
        record = certificates.get_by_number(session, number)
        url = certificate_qr(session, runtime.keystore, record, public_base_url=BASE_URL).url
        issued_on = certificate_fields(json.loads(record.credential_json)).issued_on
    assert f"{issued_on.year}年{issued_on.month}月{issued_on.day}日" in printed.text
    assert printed.qr_codes == [url]
    assert url.startswith(f"{BASE_URL}/v/")
    assert url in re.sub(r"\s+", "", printed.text)  # the URL is printed in full, too

    fonts = _font_dictionaries(pdf)
    descriptors = [d for d in fonts if b"/Type /FontDescriptor" in d]
    assert descriptors, "no font descriptors"
    # Every font is a TrueType subset embedded as FontFile2; no standard font (Helvetica) left unembedded.
    assert all(b"/FontFile2" in d for d in descriptors)
    assert all(b"/Subtype /TrueType" in d and b"/FontDescriptor" in d for d in fonts if d not in descriptors)
    assert b"/Type1" not in pdf and b"Helvetica" not in pdf


def test_the_issuing_organisation_and_staff_may_print_it_and_get_the_same_qr_code(
    client: TestClient,
    runtime: Runtime,
    worker: tuple[certificates.Holder, str],
    org_headers: dict[str, str],
    admin_headers: dict[str, str],
) -> None:
    _, number = worker
    auditor = _bearer(runtime, Principal(Role.AUDITOR, "auditor:test", frozenset()))
    decoded = set()
    for headers in (org_headers, admin_headers, auditor):
        response = client.get(f"/api/v1/certificates/{number}/certificate.pdf", headers=headers)
        assert response.status_code == 200, response.text
        decoded.update(_read(response.content).qr_codes)
    assert len(decoded) == 1  # the stored QR code, not a new one per request


def test_nobody_else_gets_the_pdf(
    client: TestClient, runtime: Runtime, worker: tuple[certificates.Holder, str]
) -> None:
    _, number = worker
    path = f"/api/v1/certificates/{number}/certificate.pdf"
    assert client.get(path).status_code == 401
    assert client.get(path, headers={"Authorization": "Bearer not-a-token"}).status_code == 401

    stranger = holder(name="王芳")
    other_org = register_organisation(runtime, "Y000014010002", "山西另一家评价机构有限公司")
    issue_certificate(runtime, other_org, who=stranger)  # so the stranger can sign in
    other_worker = client.get(path, headers=_sign_in(client, runtime, stranger))
    assert other_worker.status_code == 404  # another's certificate is not found, as an unknown number
    other_org_headers = _bearer(
        runtime,
        Principal(Role.ORGANISATION, "org:Y000014010002", ORGANISATION_SCOPES, tenant="Y000014010002"),
    )
    refused = client.get(path, headers=other_org_headers)
    assert refused.status_code == 404
    assert refused.headers["content-type"] == "application/problem+json"

    missing = client.get(
        "/api/v1/certificates/Y000014010001261999999/certificate.pdf", headers=other_org_headers
    )
    assert missing.status_code == 404


def test_the_worker_page_links_the_pdf_and_the_link_downloads_it(
    client: TestClient, runtime: Runtime, worker: tuple[certificates.Holder, str], organisation: Issuer
) -> None:
    who, number = worker
    someone_else = issue_certificate(runtime, organisation, who=holder(name="王芳")).certificate_number
    link = f"/me/certificates/{number}/certificate.pdf"
    signed_out = client.get(link, follow_redirects=False)
    assert signed_out.status_code == 303 and signed_out.headers["location"] == "/signin"

    form = {"document_type": who.document_type.value, "id_number": who.id_number, "name": who.name}
    form["csrf"] = form_csrf(client, "/signin")
    assert client.post("/signin/dev", data=form, follow_redirects=False).status_code == 303
    page = client.get("/me")
    assert f'href="{link}"' in page.text
    assert "下载打印版证书（PDF）" in page.text
    download = client.get(link)
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"] == f'attachment; filename="{number}.pdf"'
    assert who.name in _read(download.content).text

    theirs = client.get(f"/me/certificates/{someone_else}/certificate.pdf")
    assert theirs.status_code == 404
    assert theirs.headers["content-type"].startswith("text/html")  # a page for a person, not JSON


def test_a_revoked_certificate_prints_with_a_revoked_mark(
    client: TestClient,
    runtime: Runtime,
    worker: tuple[certificates.Holder, str],
    admin_headers: dict[str, str],
) -> None:
    _, number = worker
    path = f"/api/v1/certificates/{number}/certificate.pdf"
    assert "已撤销" not in _read(client.get(path, headers=admin_headers).content).text
    with runtime.session() as session:
        record = certificates.get_by_number(session, number)
        certificates.set_credential_status(session, record.credential_id, "revocation", True)
    printed = _read(client.get(path, headers=admin_headers).content)
    assert "已撤销" in printed.text and "REVOKED" in printed.text
    assert len(printed.qr_codes) == 1  # the mark does not hide the QR code


def test_the_pdf_is_in_the_openapi_description(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"][
        "/api/v1/certificates/{certificate_number}/certificate.pdf"
    ]
    responses = operation["get"]["responses"]
    assert "application/pdf" in responses["200"]["content"]
    assert {"401", "403", "404", "503"} <= set(responses)


@pytest.fixture
def fontless_client(runtime: Runtime, tmp_path: Path) -> Iterator[TestClient]:
    settings = runtime.settings.model_copy(update={"pdf_font": tmp_path / "no-such-font.ttc"})
    fontless = dataclasses.replace(runtime, settings=settings)
    with TestClient(create_app(runtime=fontless), base_url=BASE_URL) as test_client:
        yield test_client


def test_without_a_cjk_font_the_answer_is_503_with_a_clear_problem(
    fontless_client: TestClient,
    runtime: Runtime,
    worker: tuple[certificates.Holder, str],
    admin_headers: dict[str, str],
) -> None:
    _, number = worker
    response = fontless_client.get(f"/api/v1/certificates/{number}/certificate.pdf", headers=admin_headers)
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "pdf_font_unavailable"
    assert "中文字体" in body["title"] and "Chinese font" in body["title"]
    assert body["errors"][0]["loc"] == "CS_PDF_FONT"
    assert "no such file" in body["errors"][0]["reason"]
    # Access is checked first: without a token it is still 401, not 503.
    assert fontless_client.get(f"/api/v1/certificates/{number}/certificate.pdf").status_code == 401


# --------------------------------------------------------------------------------- the renderer alone


def _fields(**changes: Any) -> CertificateFields:
    base = CertificateFields(
        certificate_number="S000014000001263000042",
        holder_name="张三",
        occupation_code="4-10-01-05",
        occupation_name="养老护理员",
        subtype="--",
        level=SkillLevel.LEVEL_4,
        issuer_did="did:web:skills.test:orgs:S000014000001",
        issuer_name="山西省养老服务职业技能等级认定中心",
        issued_on=date(2026, 11, 27),
        exam_date=date(2026, 11, 1),
    )
    return dataclasses.replace(base, **changes)


def _url() -> str:
    return f"{BASE_URL}/v/" + b32encode(bytes(range(142))).decode().rstrip("=")


@pytest.fixture
def font() -> printable.CjkFont:
    try:
        return printable.cjk_font(None)
    except PrintingUnavailable:
        need("no CJK TrueType font (scripts/setup_system.sh installs fonts-wqy-zenhei)")
        raise


def test_a_long_registered_name_is_printed_whole_and_a_revoked_certificate_says_so(
    font: printable.CjkFont,
) -> None:
    url = _url()
    name = "山西省太原市某某职业技能等级认定社会培训评价组织有限责任公司第二分公司" * 3
    face = printable.CertificateFace(
        fields=_fields(issuer_name=name),
        document_type="居民身份证",
        id_number_masked="110***********002X",
        verification_url=url,
        status="revoked",
    )
    printed = _read(printable.render_certificate_pdf(face, qr_png=render(url)[0], font=font))
    assert printed.pages == 1
    assert name in re.sub(r"\s+", "", printed.text)
    assert "已撤销" in printed.text and "REVOKED" in printed.text
    assert printed.qr_codes == [url]


def test_a_font_without_chinese_glyphs_is_refused_not_printed_as_boxes() -> None:
    latin_only = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if not latin_only.exists():
        pytest.skip("DejaVu Sans is not installed")
    with pytest.raises(PrintingUnavailable) as refused:
        printable.cjk_font(latin_only)
    assert "no Chinese glyphs" in refused.value.errors[0].reason
    assert refused.value.status == 503
