"""A certificate's QR code: sign the token, draw it as PNG and SVG once, keep both."""

from __future__ import annotations

import io
from dataclasses import dataclass

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
    revocation = suspension = None
    if record.revocation_list_id is not None and record.revocation_index is not None:
        revocation = StatusRef(record.revocation_list_id, record.revocation_index)
    if record.suspension_list_id is not None and record.suspension_index is not None:
        suspension = StatusRef(record.suspension_list_id, record.suspension_index)
    return TokenClaims(
        key_fingerprint=key_fingerprint(public_key),
        issued_on=beijing_date(record.issued_at),
        certificate_number=record.certificate_number,
        credential_digest=record.digest,
        revocation=revocation,
        suspension=suspension,
    )


def create_qr(
    session: Session, keystore: KeyStore, record: IssuedCredential, *, public_base_url: str
) -> CertificateQRCode:
    """Sign the token and draw it; called in the issuance transaction."""
    key = _token_key(record, session)
    public_key = decode_ed25519_public_key(key.public_key_multibase)
    token = sign_token(_claims(record, public_key), keystore.signer(key.keystore_id).sign)
    png, svg = render(verification_url(public_base_url, token))
    stored = CertificateQRCode(
        credential_id=record.credential_id, token=token, png=png, svg=svg, created_at=utcnow()
    )
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


def certificate_qr(
    session: Session, keystore: KeyStore, record: IssuedCredential, *, public_base_url: str
) -> CertificateQR:
    """The stored QR code, or (for a certificate issued before QR codes existed) a new stored one."""
    stored = session.get(CertificateQRCode, record.credential_id)
    if stored is None:
        stored = create_qr(session, keystore, record, public_base_url=public_base_url)
    return CertificateQR(
        token=stored.token,
        url=verification_url(public_base_url, stored.token),
        png=stored.png,
        svg=stored.svg,
    )
