"""Issue 5's acceptance path on the demo: the QR code in the PNG and in the printed PDF, read by zbar,
opens the right verdict for a valid, a revoked, a suspended and a superseded certificate."""

from __future__ import annotations

import io

import pypdfium2 as pdfium
from fastapi.testclient import TestClient
from PIL import Image
from pyzbar.pyzbar import ZBarSymbol, decode

from credential_service.demo import load_demo
from credential_service.runtime import Runtime
from tests.conftest import BASE_URL

EXPECTED = {"valid": "真实有效", "revoked": "已撤销", "suspended": "已暂停", "superseded": "已更正换发"}


def _read_qr(image: Image.Image) -> str:
    [found] = decode(image, symbols=[ZBarSymbol.QRCODE])  # a QR code only: zbar may see a stray 1-D bar
    return found.data.decode("ascii")


def _pdf_qr(pdf: bytes) -> str:
    document = pdfium.PdfDocument(pdf)
    assert len(document) == 1
    return _read_qr(document[0].render(scale=150 / 72).to_pil())


def test_demo_certificates_scan_to_the_right_verdict(
    client: TestClient, runtime: Runtime, admin_headers: dict[str, str]
) -> None:
    manifest = load_demo(runtime, workers=40)
    for state, words in EXPECTED.items():
        entry = manifest.certificates_by_status[state][0]
        number = entry["certificateNumber"]
        png = client.get(f"/api/v1/certificates/{number}/qr.png", headers=admin_headers)
        pdf = client.get(f"/api/v1/certificates/{number}/certificate.pdf", headers=admin_headers)
        assert png.status_code == pdf.status_code == 200
        url = _read_qr(Image.open(io.BytesIO(png.content)))
        assert url == _pdf_qr(pdf.content) == entry["verificationUrl"]
        page = client.get(url.removeprefix(BASE_URL))
        assert page.status_code == 200
        assert f'id="verdict">{words}<' in page.text, state
        token = url.rsplit("/", 1)[1]
        verdict = client.get(f"/api/v1/verify/{token}").json()["verdict"]
        assert verdict == ("genuine" if state == "valid" else state)
        for at in (0, 5, 60, 120, 200, len(token) - 1):
            altered = token[:at] + ("B" if token[at] == "A" else "A") + token[at + 1 :]
            answer = client.get(f"/api/v1/verify/{altered}")
            assert answer.status_code == 200 and answer.json()["verdict"] == "not_genuine", at
            assert client.get(f"/v/{altered}").status_code == 200
