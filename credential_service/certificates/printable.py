"""The printable certificate: one A4 page with the fields of 人社鉴发〔2021〕1号, the QR code, the URL.

The fields are read from the stored, signed credential (the PDF never says more than the credential);
the ID number comes masked from the person record, never in clear (decision 015). Chinese text is
drawn with a CJK TrueType font embedded as a subset (FontFile2), so the page looks the same on any
viewer or printer and its text can be searched and copied. Without such a font there is no PDF
(PrintingUnavailable, 503): never boxes instead of characters.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from hashlib import sha256
from pathlib import Path
from typing import Any

from reportlab.lib.colors import Color, HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy.orm import Session

from credential_service.certificates import service
from credential_service.certificates.credential import CERTIFICATE_NAME
from credential_service.certificates.errors import PrintingUnavailable
from credential_service.certificates.fields import CertificateFields, certificate_fields
from credential_service.certificates.models import IssuedCredential
from credential_service.certificates.qr_codes import certificate_qr
from credential_service.certificates.service import current_status
from credential_service.certificates.status.rules import CertificateState
from credential_service.core.config import Settings
from credential_service.core.errors import FieldError
from credential_service.crypto.keystore import KeyStore
from credential_service.identity import service as identity
from credential_service.identity.rules import DOCUMENT_TYPE_NAMES, DocumentType
from credential_service.platform.tokens import Principal

# Where the usual CJK TrueType fonts live (first usable wins). Noto Sans CJK as Debian, Fedora and
# Arch ship it (fonts-noto-cjk, .ttc) has PostScript (CFF) outlines, which reportlab cannot embed:
# it is listed so that the 503 says so instead of "no font".
FONT_CANDIDATES: tuple[Path, ...] = (
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),  # Debian/Ubuntu fonts-wqy-zenhei
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),  # Debian/Ubuntu fonts-wqy-microhei
    Path("/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc"),  # Alpine font-wqy-zenhei, Arch
    Path("/usr/share/fonts/wenquanyi/wqy-zenhei/wqy-zenhei.ttc"),  # Fedora
    Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),  # fonts-droid-fallback
    Path("/usr/share/fonts/truetype/noto/NotoSansSC-Regular.ttf"),  # Noto Sans SC, TrueType build
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),  # fonts-noto-cjk (CFF: refused)
    Path("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc"),  # Fedora (CFF: refused)
    Path("/Library/Fonts/Arial Unicode.ttf"),  # macOS
    Path("C:/Windows/Fonts/simhei.ttf"),  # Windows 黑体
)
PROBE = CERTIFICATE_NAME + "姓名证件号码职业名称编码工种等级编号评价机构发证日期"
# The two query sites 人社鉴发〔2021〕1号 prints on every certificate (reference/domain.md §1.2).
CERTIFICATE_QUERY_SITE = "http://jndj.osta.org.cn"  # 证书信息查询网址
ORGANISATION_QUERY_SITE = "http://pjjg.osta.org.cn"  # 机构信息查询网址
MISSING_FIELD = "--"
STATUS_MARKS = {
    CertificateState.REVOKED: "已撤销 REVOKED",
    CertificateState.SUSPENDED: "已暂停 SUSPENDED",
    CertificateState.SUPERSEDED: "已换发 SUPERSEDED",
}

PAGE_WIDTH, PAGE_HEIGHT = A4  # 595.28 × 841.89 pt
INK = HexColor("#1a1a1a")
RED = HexColor("#9b1c1c")  # the seal red of Chinese certificates
GOLD = HexColor("#b08d3c")
GREY = HexColor("#555555")
QR_SIZE = 150.0  # pt (5.3 cm): at error correction M and version ≤ 10, ≥ 0.8 mm a module
MARGIN = 28.0
ONE_LINE_SIZE, MIN_SIZE, LEADING = 10.0, 5.5, 1.15  # field values: smallest single line, smallest at all


@dataclass(frozen=True)
class CjkFont:
    """A registered reportlab font (a TrueType CJK face) and where it came from."""

    name: str
    path: Path
    font: TTFont

    def missing(self, text: str) -> set[str]:
        """Characters of ``text`` that the font has no glyph for (they would print as boxes)."""
        glyphs = self.font.face.charToGlyph
        return {ch for ch in text if not ch.isspace() and ord(ch) not in glyphs}


_fonts: dict[Path, CjkFont] = {}
_fonts_lock = threading.Lock()
# reportlab keeps per-document subset state on the (shared) font object: one render at a time.
_render_lock = threading.Lock()


def _load(path: Path) -> CjkFont | str:
    """The font at ``path``, or why it cannot be used. Successes are cached (a CJK face is ~20 MB)."""
    with _fonts_lock:
        if path in _fonts:
            return _fonts[path]
        if not path.is_file():
            return f"{path}: no such file"
        name = "CJK-" + sha256(str(path).encode()).hexdigest()[:10]
        try:
            font = TTFont(name, str(path), subfontIndex=0)
        except TTFError as exc:
            reason = str(exc)
            if "postscript outlines" in reason.lower():
                reason = "PostScript (CFF) outlines cannot be embedded: use TrueType (fonts-wqy-zenhei)"
            return f"{path}: {reason}"
        except (OSError, ValueError, KeyError, IndexError) as exc:  # a damaged or foreign file
            return f"{path}: not a readable TrueType font ({type(exc).__name__})"
        loaded = CjkFont(name, path, font)
        if loaded.missing(PROBE):
            return f"{path}: has no Chinese glyphs"
        pdfmetrics.registerFont(font)
        _fonts[path] = loaded
        return loaded


def cjk_font(configured: Path | None) -> CjkFont:
    """CS_PDF_FONT when set, else the first usable of FONT_CANDIDATES.

    Raises PrintingUnavailable (503) naming what was tried and why it cannot be used.
    """
    problems: list[FieldError] = []
    for path in (configured,) if configured is not None else FONT_CANDIDATES:
        found = _load(path)
        if isinstance(found, CjkFont):
            return found
        if configured is not None or path.exists():
            problems.append(FieldError("CS_PDF_FONT", found))
    if not problems:
        problems.append(
            FieldError("CS_PDF_FONT", "no CJK TrueType font installed (apt-get install fonts-wqy-zenhei)")
        )
    raise PrintingUnavailable(problems)


@dataclass(frozen=True)
class CertificateFace:
    """What the paper certificate shows (人社鉴发〔2021〕1号)."""

    fields: CertificateFields  # read from the signed credential
    document_type: str  # 证件类型
    id_number_masked: str  # 证件号码, masked (140***********1234): the clear number is never printed
    verification_url: str  # what the QR code encodes
    status: CertificateState = CertificateState.VALID  # a printout of a withdrawn one says so


def certificate_face(
    credential: dict[str, Any],
    *,
    document_type: str | None,
    id_number_masked: str | None,
    verification_url: str,
    status: CertificateState = CertificateState.VALID,
) -> CertificateFace:
    """The printed certificate of a skill certificate's credential (as built by credential.py).

    Raises KeyError / ValueError / TypeError when the credential is not one of our certificates.
    """
    try:
        doc_type = DOCUMENT_TYPE_NAMES[DocumentType(document_type)] if document_type else MISSING_FIELD
    except ValueError:
        doc_type = MISSING_FIELD
    return CertificateFace(
        fields=certificate_fields(credential),
        document_type=doc_type,
        id_number_masked=id_number_masked or MISSING_FIELD,
        verification_url=verification_url,
        status=status,
    )


# ----------------------------------------------------------------------------------------- drawing


class _Page:
    """A canvas with the CJK font and a few layout helpers (points, origin bottom left)."""

    def __init__(self, canvas: Canvas, font: CjkFont) -> None:
        self.canvas = canvas
        self.font = font.name

    def width(self, text: str, size: float) -> float:
        return float(pdfmetrics.stringWidth(text, self.font, size))

    def text(
        self, x: float, y: float, text: str, size: float, *, color: Color = INK, centred: bool = False
    ) -> None:
        self.canvas.setFont(self.font, size)
        self.canvas.setFillColor(color)
        if centred:
            self.canvas.drawCentredString(x, y, text)
        else:
            self.canvas.drawString(x, y, text)

    def wrap(self, text: str, size: float, width: float, *, words: bool) -> list[str]:
        """Lines of ``text`` no wider than ``width``: at spaces (``words``) or anywhere (CJK, URLs)."""
        pieces = text.split(" ") if words else list(text)
        joiner = " " if words else ""
        lines: list[str] = []
        line = ""
        for piece in pieces:
            candidate = f"{line}{joiner}{piece}" if line else piece
            if line and self.width(candidate, size) > width:
                lines.append(line)
                line = piece
            else:
                line = candidate
        return [*lines, line] if line else lines

    def block(self, text: str, width: float, height: float, *, largest: float) -> tuple[float, list[str]]:
        """(size, lines): one line at the largest size down to 10 pt, else as many lines as fit
        ``height`` at a smaller size. Nothing is ever cut off (a registered name is printed whole)."""
        size = largest
        while size >= MIN_SIZE:
            for words in (True, False) if " " in text else (False,):
                lines = self.wrap(text, size, width, words=words)
                if any(self.width(line, size) > width for line in lines):
                    continue
                if len(lines) == 1 or (size <= ONE_LINE_SIZE and len(lines) * size * LEADING <= height):
                    return size, lines
            size -= 0.5
        return MIN_SIZE, self.wrap(text, MIN_SIZE, width, words=False)


def _border(page: _Page) -> None:
    c = page.canvas
    c.setStrokeColor(RED)
    c.setLineWidth(2.4)
    c.rect(MARGIN, MARGIN, PAGE_WIDTH - 2 * MARGIN, PAGE_HEIGHT - 2 * MARGIN)
    c.setStrokeColor(GOLD)
    c.setLineWidth(0.8)
    inset = MARGIN + 6
    c.rect(inset, inset, PAGE_WIDTH - 2 * inset, PAGE_HEIGHT - 2 * inset)


def _date_zh(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _rows(face: CertificateFace) -> Sequence[tuple[str, str, str, str]]:
    """(label, English label, value, English value) in the order of the national certificate."""
    f = face.fields
    return (
        ("姓名", "Name", f.holder_name, ""),
        ("证件类型", "Type of ID document", face.document_type, ""),
        ("证件号码", "ID number (partly masked)", face.id_number_masked, ""),
        ("职业名称", "Occupation", f.occupation_name, ""),
        ("职业编码", "Occupation code", f.occupation_code, ""),
        ("工种", "Sub-type", f.subtype, ""),
        ("职业技能等级", "Skill level", f.level.title_zh, f.level.title_en),
        ("证书编号", "Certificate number", f.certificate_number, ""),
        ("评价机构名称", "Evaluation organisation", f.issuer_name, ""),
        ("发证日期", "Date of issue", _date_zh(f.issued_on), f.issued_on.isoformat()),
    )


def _fields(page: _Page, face: CertificateFace, top: float) -> float:
    """The field table from ``top`` down; returns the y below it."""
    label_x, value_x, right = 84.0, 222.0, PAGE_WIDTH - 70.0
    row = 37.0
    y = top
    for label, label_en, value, value_en in _rows(face):
        page.text(label_x, y, label, 12.5)
        page.text(label_x, y - 11, label_en, 7, color=GREY)
        size, lines = page.block(value, right - value_x, row - 10, largest=14)
        # One line sits on the label's baseline; several are centred on the row.
        first = y if len(lines) == 1 else y - 4 + (len(lines) - 1) * size * LEADING / 2
        for index, line in enumerate(lines):
            page.text(value_x, first - index * size * LEADING, line, size)
        if value_en:
            page.text(value_x, y - 11, value_en, 7.5, color=GREY)
        page.canvas.setStrokeColor(HexColor("#dddddd"))
        page.canvas.setLineWidth(0.4)
        page.canvas.line(label_x, y - 17, right, y - 17)
        y -= row
    return y


def _verification(page: _Page, face: CertificateFace, qr_png: bytes, top: float) -> None:
    """The QR code (right), how to check the certificate (left) and the full URL (bottom)."""
    qr_x, qr_y = PAGE_WIDTH - 70.0 - QR_SIZE, top - QR_SIZE
    page.canvas.drawImage(ImageReader(io.BytesIO(qr_png)), qr_x, qr_y, QR_SIZE, QR_SIZE)
    page.text(qr_x + QR_SIZE / 2, qr_y - 12, "扫码核验 · Scan to verify", 8.5, centred=True)

    x, width = 84.0, qr_x - 84.0 - 18
    y = top - 12
    for line, size, color in (
        ("本证书可通过以下方式查询核验：", 10.5, INK),
        ("1. 用手机相机扫描右侧二维码；", 9.5, INK),
        ("2. 打开下方核验网址；", 9.5, INK),
        (f"3. 证书信息查询网址：{CERTIFICATE_QUERY_SITE}", 9.5, INK),
        (f"机构信息查询网址：{ORGANISATION_QUERY_SITE}", 9.5, INK),
    ):
        for part in page.wrap(line, size, width, words=False):
            page.text(x, y, part, size, color=color)
            y -= size + 5
    y -= 4
    english = (
        "This is a printout of a digitally signed certificate (W3C Verifiable Credential 2.0, "
        "Open Badges 3.0). Scan the QR code or open the address below to check that it is "
        "genuine and still valid. The ID number is partly masked to protect personal data; "
        "the electronic certificate carries nothing derived from it (check the number and name online)."
    )
    for part in page.wrap(english, 8, width, words=True):
        page.text(x, y, part, 8, color=GREY)
        y -= 10.5

    url_top = qr_y - 34
    page.text(84.0, url_top, "核验网址 / Verification URL:", 7.5, color=GREY)
    lines = page.wrap(face.verification_url, 6.5, PAGE_WIDTH - 2 * 84.0, words=False)
    for index, part in enumerate(lines):
        page.text(84.0, url_top - 10 - index * 8.5, part, 6.5, color=GREY)


def _status_mark(page: _Page, face: CertificateFace) -> None:
    """A printout of a revoked, suspended or superseded certificate says so across the page."""
    if face.status == CertificateState.VALID:
        return
    text = STATUS_MARKS.get(face.status, face.status.upper())
    c = page.canvas
    c.saveState()
    c.translate(PAGE_WIDTH / 2, PAGE_HEIGHT / 2)
    c.rotate(35)
    c.setFillColor(Color(0.75, 0.1, 0.1, alpha=0.25))
    c.setFont(page.font, 64)
    c.drawCentredString(0, 0, text)
    c.restoreState()


def render_certificate_pdf(face: CertificateFace, *, qr_png: bytes, font: CjkFont) -> bytes:
    """One A4 page (PDF bytes) of ``face``; the QR image is ``qr_png`` (it must encode
    ``face.verification_url``). Raises PrintingUnavailable when the font lacks a character."""
    missing = font.missing(" ".join(value for _, _, value, _ in _rows(face)))
    if missing:
        raise PrintingUnavailable(
            [FieldError("CS_PDF_FONT", f"{font.path.name} has no glyph for {len(missing)} character(s)")]
        )
    out = io.BytesIO()
    with _render_lock:
        # The initial font is ours, or reportlab declares an unembedded Helvetica in the page resources.
        canvas = Canvas(
            out,
            pagesize=A4,
            invariant=True,  # same inputs, same bytes
            pageCompression=1,
            initialFontName=font.name,  # type: ignore[arg-type]  # types-reportlab says float: a stub bug
        )
        canvas.setTitle(f"{CERTIFICATE_NAME} {face.fields.certificate_number}")
        canvas.setAuthor(face.fields.issuer_name)
        canvas.setSubject(f"{face.fields.occupation_name}（{face.fields.level.title_zh}）")
        canvas.setCreator("credential-service")
        page = _Page(canvas, font)
        _border(page)
        page.text(PAGE_WIDTH / 2, PAGE_HEIGHT - 118, CERTIFICATE_NAME, 32, color=RED, centred=True)
        page.text(
            PAGE_WIDTH / 2,
            PAGE_HEIGHT - 142,
            "Vocational Skill Level Certificate",
            12,
            color=GREY,
            centred=True,
        )
        canvas.setStrokeColor(GOLD)
        canvas.setLineWidth(0.8)
        canvas.line(PAGE_WIDTH / 2 - 120, PAGE_HEIGHT - 156, PAGE_WIDTH / 2 + 120, PAGE_HEIGHT - 156)
        below = _fields(page, face, PAGE_HEIGHT - 200)
        _verification(page, face, qr_png, below - 6)
        _status_mark(page, face)
        canvas.showPage()
        canvas.save()
    return out.getvalue()


# ----------------------------------------------------------------------------------------- service


def certificate_pdf(
    session: Session,
    keystore: KeyStore,
    record: IssuedCredential,
    *,
    public_base_url: str,
    font_path: Path | None,
) -> bytes:
    """The printable certificate of ``record`` (rendered on each request; see decision 015).

    Raises PrintingUnavailable (no usable CJK font) before touching anything else.
    """
    font = cjk_font(font_path)
    qr = certificate_qr(session, keystore, record, public_base_url=public_base_url)
    person = identity.find_by_blind_index(session, record.holder_index) if record.holder_index else None
    face = certificate_face(
        json.loads(record.credential_json),
        document_type=person.document_type if person else None,
        id_number_masked=person.id_number_masked if person else None,
        verification_url=qr.url,
        status=current_status(session, record),
    )
    return render_certificate_pdf(face, qr_png=qr.png, font=font)


def readable_certificate_pdf(
    session: Session, keystore: KeyStore, settings: Settings, principal: Principal, certificate_number: str
) -> bytes:
    """The printable certificate for its holder, its issuing organisation or staff (as
    ``service.readable_certificate``); the API route and the worker's page both answer with it."""
    record = service.readable_certificate(session, principal, certificate_number)
    return certificate_pdf(
        session, keystore, record, public_base_url=settings.public_base_url, font_path=settings.pdf_font
    )
