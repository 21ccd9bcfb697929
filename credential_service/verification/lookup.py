"""The national-query-site style look-ups: certificate number + name, or ID number + name; and the
HR bulk list. A wrong name and an unknown number get the same answer, so a look-up never confirms
that a number exists (DESIGN §4)."""

from __future__ import annotations

import io
import json
import unicodedata
from dataclasses import dataclass

from sqlalchemy.orm import Session

from credential_service.certificates import holders
from credential_service.certificates import service as certificates
from credential_service.certificates.fields import certificate_fields
from credential_service.certificates.models import IssuedCredential
from credential_service.certificates.rules import CERTIFICATE_NUMBER
from credential_service.core.csv_input import csv_rows
from credential_service.core.errors import FieldError, InvalidInput
from credential_service.identity import service as identity
from credential_service.identity.rules import blind_index
from credential_service.verification.tokens import TokenVerification, verify_record
from credential_service.verification.trust import VerificationSettings

BULK_HEADERS = {"证书编号": "certificate_number", "certificate_number": "certificate_number",
                "姓名": "name", "name": "name"}  # fmt: skip


def same_name(given: str, recorded: str) -> bool:
    """Names compare after Unicode NFKC and without spaces or middle dots (``买买提·艾力``)."""

    def plain(name: str) -> str:
        return "".join(
            ch for ch in unicodedata.normalize("NFKC", name) if not ch.isspace() and ch not in "·•."
        )

    return bool(plain(given)) and plain(given) == plain(recorded)


def _holder_name(record: IssuedCredential) -> str:
    return certificate_fields(json.loads(record.credential_json)).holder_name


def by_number(
    session: Session, certificate_number: str, name: str, *, settings: VerificationSettings
) -> TokenVerification | None:
    number = certificate_number.strip().upper()
    if not CERTIFICATE_NUMBER.match(number):
        return None  # malformed is answered like unknown
    record = certificates.find_by_number(session, number)
    if record is None or not same_name(name, _holder_name(record)):
        return None
    return verify_record(session, record, settings=settings)


def by_identity(
    session: Session,
    data_key: bytes,
    id_type: str,
    id_number: str,
    name: str,
    *,
    settings: VerificationSettings,
) -> list[TokenVerification]:
    # Straight to the certificates by the blind index, without asking whether the person exists: a
    # registered number with a wrong name must cost what an unknown one does (the route adds a floor).
    who = identity.identify(id_type, id_number, field="idNumber")
    holder_index = blind_index(data_key, who.document_type, who.number)
    return [
        verify_record(session, record, settings=settings)
        for record in holders.certificates_of_holder(session, holder_index)
        if same_name(name, _holder_name(record))
    ]


@dataclass(frozen=True)
class BulkRow:
    row: int  # 1-based data row (the header is row 0)
    certificate_number: str
    name: str


BULK_MAX_COLUMNS = 16  # 证书编号, 姓名 and whatever else the HR list holds (ignored)
BULK_MAX_CELL_CHARS = 200  # a certificate number is 22 characters, a name at most 50


def parse_bulk_csv(data: bytes, *, max_rows: int) -> list[BulkRow]:
    """A CSV with the columns 证书编号,姓名 (or certificate_number,name): UTF-8 (with or without BOM) or
    GB 18030, any line ends; a malformed or oversized row is a 422 naming it."""
    records = csv_rows(io.BytesIO(data), max_columns=BULK_MAX_COLUMNS, max_cell_chars=BULK_MAX_CELL_CHARS)
    first = next(records, None)
    header = [BULK_HEADERS.get(cell.strip()) for cell in (first[1] if first else [])]
    if "certificate_number" not in header or "name" not in header:
        raise InvalidInput(
            "CSV 表头须含 证书编号 和 姓名 / the header must name 证书编号 and 姓名",
            [FieldError("header", "columns 证书编号 (certificate_number) and 姓名 (name) are required")],
        )
    number_at, name_at = header.index("certificate_number"), header.index("name")
    rows: list[BulkRow] = []
    for row_number, cells in records:
        if not any(cell.strip() for cell in cells):
            continue
        if len(rows) == max_rows:
            raise InvalidInput(
                f"一次最多核验 {max_rows} 行 / at most {max_rows} rows per request",
                [FieldError("body", f"more than {max_rows} rows")],
            )
        rows.append(BulkRow(row_number - 1, _cell(cells, number_at), _cell(cells, name_at)))
    return rows


def _cell(cells: list[str], at: int) -> str:
    return cells[at].strip() if at < len(cells) else ""


def bulk_check(
    session: Session, rows: list[BulkRow], *, settings: VerificationSettings
) -> list[tuple[BulkRow, TokenVerification | None]]:
    """One answer per row; a malformed number is "no match", like an unknown one."""
    return [(row, by_number(session, row.certificate_number, row.name, settings=settings)) for row in rows]
