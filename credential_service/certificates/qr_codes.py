"""A certificate's QR code: its token signed at issuance, its PNG and SVG drawn on first request
and kept (decision 044: drawing is the costly part, and most certificates are never printed)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

import qrcode
import qrcode.constants
import qrcode.util
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from credential_service.certificates.models import CertificateQRCode, IssuedCredential
from credential_service.core.clock import beijing_date, utcnow
from credential_service.core.errors import ConfigurationError
from credential_service.crypto.keystore import KeyStore
from credential_service.crypto.multibase import decode_ed25519_public_key
from credential_service.crypto.qr_token import (
    LONGEST_TOKEN_CHARS,
    StatusRef,
    TokenClaims,
    key_fingerprint,
    sign_token,
)
from credential_service.issuers import service as issuers
from credential_service.issuers.models import Issuer, IssuerKey

MAX_QR_VERSION = 10  # DESIGN §4: a phone camera must read it from a printed A4 certificate
PNG_MODULE_PIXELS = 8
QUIET_ZONE_MODULES = 4


class QRTooLarge(RuntimeError):
    """The public base URL is too long for a version-10 QR code (a configuration error)."""


@dataclass(frozen=True)
class CertificateQR:
    token: str
    url: str
    png: bytes
    svg: str


def verification_url(public_base_url: str, token: str) -> str:
    return f"{public_base_url.rstrip('/')}/v/{token}"


def qr_matrix(url: str) -> qrcode.QRCode:
    """The URL prefix in byte mode and the base32 token in alphanumeric mode, at level M."""
    prefix, _, token = url.rpartition("/v/")
    code = qrcode.QRCode(
        version=None, error_correction=qrcode.constants.ERROR_CORRECT_M, border=QUIET_ZONE_MODULES
    )
    code.add_data(qrcode.util.QRData(f"{prefix}/v/".encode(), mode=qrcode.util.MODE_8BIT_BYTE))
    code.add_data(qrcode.util.QRData(token.encode("ascii"), mode=qrcode.util.MODE_ALPHA_NUM))
    code.make(fit=True)
    if code.version > MAX_QR_VERSION:
        raise QRTooLarge(f"QR version {code.version} > {MAX_QR_VERSION}: shorten CS_PUBLIC_BASE_URL")
    return code


def check_public_base_url(public_base_url: str) -> None:
    """Refuse at start-up a base URL that would push the longest token past QR version 10."""
    try:
        qr_matrix(verification_url(public_base_url, "A" * LONGEST_TOKEN_CHARS))
    except QRTooLarge as exc:
        raise ConfigurationError(str(exc)) from exc


def render(url: str) -> tuple[bytes, str]:
    """PNG bytes and SVG text of the QR code for ``url`` (drawn from the module matrix directly:
    the library's own image drawers cost more than choosing the mask)."""
    modules = qr_matrix(url).get_matrix()  # with the quiet zone
    size = len(modules)
    image = Image.new("1", (size, size), 1)
    image.putdata([0 if dark else 1 for row in modules for dark in row])
    png = io.BytesIO()
    image.resize((size * PNG_MODULE_PIXELS,) * 2, Image.Resampling.NEAREST).save(png, format="PNG")
    return png.getvalue(), _svg(modules)


def _svg(modules: list[list[bool]]) -> str:
    """One path of horizontal runs, one unit per module: scales to any print size."""
    size = len(modules)
    runs = []
    for y, row in enumerate(modules):
        x = 0
        while x < size:
            if row[x]:
                start = x
                while x < size and row[x]:
                    x += 1
                runs.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
        f'shape-rendering="crispEdges"><rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(runs)}"/></svg>'
    )


def _token_key(record: IssuedCredential, session: Session) -> IssuerKey:
    """The key that signed the credential while it may still sign; else the issuer's active key."""
    issuer = session.get(Issuer, record.issuer_id)
    assert issuer is not None  # a foreign key
    for key in issuer.keys:
        if (
            key.verification_method == record.verification_method
            and issuers.lifecycle(key).usable_for_signing
        ):
            return key
    return issuers.active_key(issuer)


def _claims(record: IssuedCredential, public_key: bytes) -> TokenClaims:
    if record.certificate_number is None:
        raise ValueError("only skill certificates carry a QR code")
    return token_claims(
        public_key,
        issued_at=record.issued_at,
        certificate_number=record.certificate_number,
        digest=record.digest,
        revocation=(record.revocation_list_id, record.revocation_index),
        suspension=(record.suspension_list_id, record.suspension_index),
    )


def token_claims(
    public_key: bytes,
    *,
    issued_at: datetime,
    certificate_number: str,
    digest: str,
    revocation: tuple[str | None, int | None],
    suspension: tuple[str | None, int | None],
) -> TokenClaims:
    """What a certificate's token says: the signing key, the issue date, the number, the digest of
    the credential and its two status entries ((list id, index), either None when it has none)."""
    return TokenClaims(
        key_fingerprint=key_fingerprint(public_key),
        issued_on=beijing_date(issued_at),
        certificate_number=certificate_number,
        credential_digest=digest,
        revocation=_status_ref(*revocation),
        suspension=_status_ref(*suspension),
    )


def _status_ref(list_id: str | None, index: int | None) -> StatusRef | None:
    return None if list_id is None or index is None else StatusRef(list_id, index)


def create_qr(session: Session, keystore: KeyStore, record: IssuedCredential) -> CertificateQRCode:
    """Sign the certificate's token and keep it (the image is drawn on first request)."""
    key = _token_key(record, session)
    public_key = decode_ed25519_public_key(key.public_key_multibase)
    token = sign_token(_claims(record, public_key), keystore.signer(key.keystore_id).sign)
    stored = CertificateQRCode(credential_id=record.credential_id, token=token, created_at=utcnow())
    session.add(stored)
    session.flush()
    return stored


def find_with_token(session: Session, certificate_number: str) -> tuple[IssuedCredential, str | None] | None:
    """A certificate and its recorded QR token, in one query (the verification hot path)."""
    found = session.execute(
        select(IssuedCredential, CertificateQRCode.token)
        .outerjoin(CertificateQRCode, CertificateQRCode.credential_id == IssuedCredential.credential_id)
        .where(IssuedCredential.certificate_number == certificate_number)
    ).first()
    return None if found is None else (found[0], found[1])


def qr_token(session: Session, keystore: KeyStore, record: IssuedCredential) -> CertificateQRCode:
    """The certificate's stored token, signed now if it has none yet."""
    return session.get(CertificateQRCode, record.credential_id) or create_qr(session, keystore, record)


def certificate_qr(
    session: Session, keystore: KeyStore, record: IssuedCredential, *, public_base_url: str
) -> CertificateQR:
    """The certificate's QR code, drawn on its first request and kept; a certificate issued before
    QR codes existed gets its token now. Write session: the first request stores what it draws."""
    stored = qr_token(session, keystore, record)
    url = verification_url(public_base_url, stored.token)
    if stored.png is None or stored.svg is None:
        stored.png, stored.svg = render(url)
    return CertificateQR(token=stored.token, url=url, png=stored.png, svg=stored.svg)
