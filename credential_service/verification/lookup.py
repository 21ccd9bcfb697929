"""The national-query-site style look-ups: certificate number + name, or ID number + name; and the
HR bulk list. A wrong name and an unknown number get the same answer, so a look-up never confirms
that a number exists (DESIGN §4)."""

from __future__ import annotations

import io
import json
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import BinaryIO, TypeVar

import anyio
import anyio.to_thread
from sqlalchemy.orm import Session

from credential_service.certificates import holders
from credential_service.certificates import service as certificates
from credential_service.certificates.fields import certificate_fields
from credential_service.certificates.models import IssuedCredential
from credential_service.certificates.rules import CERTIFICATE_NUMBER
from credential_service.core import sheets
from credential_service.core.errors import FieldError, InvalidInput
from credential_service.identity import service as identity
from credential_service.identity.rules import blind_index
from credential_service.verification.schemas import QueryRequest
from credential_service.verification.tokens import TokenVerification, verify_record
from credential_service.verification.trust import VerificationSettings

T = TypeVar("T")


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


def query(
    session: Session, data_key: bytes, body: QueryRequest, *, settings: VerificationSettings
) -> list[TokenVerification]:
    """The certificates matching a look-up by number + name or by ID number + name (none, one, or
    for an ID number every certificate of its holder under that name)."""
    if body.certificateNumber is not None:
        found = by_number(session, body.certificateNumber, body.name, settings=settings)
        return [found] if found is not None else []
    assert body.idNumber is not None  # the schema asks for one of the two
    return by_identity(session, data_key, body.idType, body.idNumber, body.name, settings=settings)


# Every answer to a look-up takes at least this long, so its timing cannot tell a registered ID
# number (or certificate number) with a wrong name from an unknown one.
QUERY_FLOOR_SECONDS = 0.05


async def no_sooner_than(seconds: float, work: Callable[[], T]) -> T:
    """``work()`` in a worker thread, answered no sooner than ``seconds`` after the start; the wait
    holds no thread."""
    started = time.monotonic()
    answer = await anyio.to_thread.run_sync(work)
    await anyio.sleep(max(0.0, seconds - (time.monotonic() - started)))
    return answer


@dataclass(frozen=True)
class BulkRow:
    row: int  # 1-based data row (the header is row 0)
    certificate_number: str
    name: str


# The list as the API and the page take it: 证书编号,姓名 (or certificate_number,name), other columns
# ignored; read by the one bounded sheet reader (core.sheets), CSV or Excel.
BULK_COLUMNS = (("证书编号", "certificate_number"), ("姓名", "name"))
BULK_SHEET = sheets.SheetShape(
    (*BULK_COLUMNS, ("certificate_number", "certificate_number"), ("name", "name")),
    frozenset({"certificate_number", "name"}),
)
BULK_TEMPLATE = sheets.SheetShape(BULK_COLUMNS, BULK_SHEET.required)
BULK_EXAMPLE = ("Y000014010001263000001", "张三")


def _bulk_limits(max_rows: int) -> sheets.SheetLimits:
    # Blank lines between blocks are common in hand-made lists: twice the rows leaves room for them;
    # the rows to check are counted on their own (``bulk_rows``), with a message saying how many.
    return replace(sheets.LIMITS, max_rows=2 * max_rows, max_cells=2 * max_rows * sheets.LIMITS.max_columns)


def bulk_rows(rows: Iterable[sheets.SheetRow], *, max_rows: int) -> list[BulkRow]:
    """The rows to check, numbered from the first data row (1; the header is row 0); more than
    ``max_rows`` of them is a 422."""
    listed: list[BulkRow] = []
    for row in rows:
        if len(listed) == max_rows:
            raise InvalidInput(
                f"一次最多核验 {max_rows} 行 / at most {max_rows} rows per request",
                [FieldError("body", f"more than {max_rows} rows")],
            )
        values = row.values
        listed.append(
            BulkRow(row.row_number - 1, values.get("certificate_number", ""), values.get("name", ""))
        )
    return listed


def parse_bulk_csv(data: bytes, *, max_rows: int) -> list[BulkRow]:
    """A CSV list (UTF-8 with or without BOM, or GB 18030; any line ends); a malformed or oversized
    file is a 422 naming the row, a header without 证书编号 and 姓名 a 422 on ``header``."""
    return bulk_rows(sheets.read_csv(io.BytesIO(data), BULK_SHEET, _bulk_limits(max_rows)), max_rows=max_rows)


def read_bulk_sheet(stream: BinaryIO, *, max_rows: int) -> list[BulkRow]:
    """An uploaded list, CSV or Excel (.xlsx), as ``parse_bulk_csv`` reads it."""
    return bulk_rows(sheets.read_sheet(stream, BULK_SHEET, _bulk_limits(max_rows))[1], max_rows=max_rows)


def bulk_template_csv() -> bytes:
    return sheets.template_csv(BULK_TEMPLATE, BULK_EXAMPLE)


def bulk_template_xlsx() -> bytes:
    return sheets.template_xlsx(
        BULK_TEMPLATE, BULK_EXAMPLE, title="证书核验名单", text_columns="A", widths=(26, 14)
    )


def bulk_check(
    session: Session, rows: list[BulkRow], *, settings: VerificationSettings
) -> list[tuple[BulkRow, TokenVerification | None]]:
    """One answer per row; a malformed number is "no match", like an unknown one."""
    return [(row, by_number(session, row.certificate_number, row.name, settings=settings)) for row in rows]
