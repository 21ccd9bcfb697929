"""Bitstring Status Lists per issuer and purpose: random index allocation, bit flips, signed lists."""

from __future__ import annotations

import json
import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ScalarSelect, Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from credential_service.certificates.errors import StatusListNotFound
from credential_service.certificates.models import StatusEntry, StatusList
from credential_service.core.clock import to_xsd, utcnow
from credential_service.core.db import OpenSession, dialect_insert
from credential_service.crypto import status_list as bits_codec
from credential_service.crypto.data_integrity import create_proof
from credential_service.crypto.keystore import KeyStore
from credential_service.crypto.status_list import StatusPurpose
from credential_service.issuers import service as issuers
from credential_service.issuers.models import Issuer

PURPOSES = tuple(StatusPurpose)
VC_V2 = "https://www.w3.org/ns/credentials/v2"
# Fill a list only to half: random indexes stay cheap to find and every list keeps herd privacy.
FILL_RATIO = 0.5
MAX_INDEX_TRIES = 64


@dataclass(frozen=True)
class StatusAssignment:
    list_id: str
    index: int
    purpose: StatusPurpose

    def entry(self, public_base_url: str) -> dict[str, Any]:
        """The ``BitstringStatusListEntry`` placed in a credential's ``credentialStatus``."""
        url = list_url(public_base_url, self.list_id)
        return {
            "id": f"{url}#{self.index}",
            "type": "BitstringStatusListEntry",
            # the plain string: an enum member would send signing down RDFC's slow path (decision 039)
            "statusPurpose": str(self.purpose),
            "statusListIndex": str(self.index),
            "statusListCredential": url,
        }


def list_url(public_base_url: str, list_id: str) -> str:
    return f"{public_base_url.rstrip('/')}/status/{list_id}"


def _open_list(session: Session, issuer: Issuer, purpose: StatusPurpose, size: int) -> tuple[str, int, int]:
    """(list id, size, room left) of the issuer's current list for ``purpose`` with room left,
    creating one when needed. Reads three columns: the bitstring is not needed to hand out indexes."""
    current = session.execute(
        select(StatusList.list_id, StatusList.size, StatusList.used)
        .where(
            StatusList.issuer_id == issuer.id,
            StatusList.purpose == purpose,
            StatusList.used < StatusList.size * FILL_RATIO,
        )
        .order_by(StatusList.created_at)
        .limit(1)
    ).first()
    if current is not None:
        return current.list_id, current.size, _room(current.size, current.used)
    created = StatusList(
        list_id=f"{purpose[0]}{secrets.token_hex(8)}",
        issuer_id=issuer.id,
        purpose=purpose,
        size=size,
        used=0,
        bits=bytes(bits_codec.empty_bitstring(size)),
        version=1,
        created_at=utcnow(),
        signed_version=0,
    )
    session.add(created)
    session.flush()
    return created.list_id, created.size, _room(size, 0)


def _room(size: int, used: int) -> int:
    """Indexes a list may still hand out (``used < size * FILL_RATIO`` holds before each one)."""
    return math.ceil(size * FILL_RATIO) - used


def assign_status(
    session: Session, issuer: Issuer, purpose: StatusPurpose, credential_id: str, *, size: int
) -> StatusAssignment:
    """Reserve a random, never-used index; the unique (list, index) constraint settles races."""
    return assign_statuses(session, issuer, purpose, [credential_id], size=size)[0]


def assign_statuses(
    session: Session, issuer: Issuer, purpose: StatusPurpose, credential_ids: Sequence[str], *, size: int
) -> list[StatusAssignment]:
    """A random, never-used index for each credential (in order), a list filled only to half and
    a new one opened when it is: a few statements however many credentials."""
    assigned: list[StatusAssignment] = []
    while len(assigned) < len(credential_ids):
        list_id, list_size, room = _open_list(session, issuer, purpose, size)
        wanted = credential_ids[len(assigned) : len(assigned) + room]
        indexes = _reserve_indexes(session, list_id, list_size, wanted)
        session.execute(
            update(StatusList).where(StatusList.list_id == list_id).values(used=StatusList.used + len(wanted))
        )
        assigned.extend(StatusAssignment(list_id, indexes[c], purpose) for c in wanted)
    return assigned


def _reserve_indexes(
    session: Session, list_id: str, list_size: int, credential_ids: Sequence[str]
) -> dict[str, int]:
    """Random free indexes of one list for ``credential_ids``. A taken index (or one a concurrent
    issuance just took) inserts nothing and is drawn again. (No savepoint: the conflict is not an
    error that would abort the transaction.)"""
    table = StatusEntry.__table__
    assert isinstance(table, Table)
    reserved: dict[str, int] = {}
    for _ in range(MAX_INDEX_TRIES):
        waiting = [c for c in credential_ids if c not in reserved]
        if not waiting:
            return reserved
        drawn: dict[int, str] = {}
        for credential_id in waiting:
            index = secrets.randbelow(list_size)
            while index in drawn:
                index = secrets.randbelow(list_size)
            drawn[index] = credential_id
        # RETURNING, not rowcount: psycopg 3.3 reports -1 for an INSERT … ON CONFLICT on PostgreSQL.
        taken = session.scalars(
            dialect_insert(session)(table)
            .on_conflict_do_nothing(index_elements=["list_id", "index"])
            .returning(table.c.index),
            [{"list_id": list_id, "index": i, "credential_id": c} for i, c in drawn.items()],
        ).all()
        reserved.update((drawn[index], index) for index in taken)
    raise RuntimeError("no free status index found")  # only if FILL_RATIO were ignored


def set_status(session: Session, list_id: str, index: int, value: bool) -> None:
    """Flip one bit and bump the list's version so the next GET re-signs it."""
    status_list = session.get(StatusList, list_id, with_for_update=True)
    if status_list is None:
        raise StatusListNotFound(list_id)
    bits = bytearray(status_list.bits)
    bits_codec.set_bit(bits, index, value)
    status_list.bits = bytes(bits)
    status_list.version += 1


def _list_credential(
    status_list: StatusList, issuer: Issuer, public_base_url: str, now: datetime
) -> dict[str, Any]:
    url = list_url(public_base_url, status_list.list_id)
    return {
        "@context": [VC_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer.did,
        "validFrom": to_xsd(now),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": status_list.purpose,
            "encodedList": bits_codec.encode_list(status_list.bits),
        },
    }


def signed_status_list(
    open_read: OpenSession, open_write: OpenSession, keystore: KeyStore, list_id: str, *, public_base_url: str
) -> tuple[dict[str, Any], int]:
    """The signed ``BitstringStatusListCredential`` and its version. Read without the write lock;
    signed and stored in a write transaction only when the list changed since it was last signed."""
    with open_read() as session:
        cached = _cached_list(session, list_id)
    if cached is not None:
        return cached
    with open_write() as session:
        return _sign_list(session, keystore, list_id, public_base_url=public_base_url)


def _cached_list(session: Session, list_id: str) -> tuple[dict[str, Any], int] | None:
    found = session.execute(
        select(StatusList.signed_json, StatusList.signed_version, StatusList.version).where(
            StatusList.list_id == list_id
        )
    ).first()
    if found is None:
        raise StatusListNotFound(list_id)
    if found.signed_json is None or found.signed_version != found.version:
        return None
    return json.loads(found.signed_json), found.version


def _sign_list(
    session: Session, keystore: KeyStore, list_id: str, *, public_base_url: str
) -> tuple[dict[str, Any], int]:
    status_list = session.get(StatusList, list_id)
    if status_list is None:
        raise StatusListNotFound(list_id)
    if status_list.signed_json is not None and status_list.signed_version == status_list.version:
        return json.loads(status_list.signed_json), status_list.version  # signed by a concurrent GET
    issuer = session.get_one(Issuer, status_list.issuer_id)
    key, signer = issuers.signer_for(issuer, keystore)
    now = utcnow()
    signed = create_proof(
        _list_credential(status_list, issuer, public_base_url, now),
        cryptosuite="eddsa-rdfc-2022",
        verification_method=key.verification_method,
        created=to_xsd(now),
        sign=signer.sign,
    )
    status_list.signed_json = json.dumps(signed, ensure_ascii=False)
    status_list.signed_version = status_list.version
    return signed, status_list.version


@dataclass(frozen=True)
class LiveEntry:
    flagged: bool
    purpose: str
    issuer_did: str


def live_entry(session: Session, list_id: str, index: int) -> LiveEntry:
    """One credential's bit in the live list with the list's purpose and issuer, in one query that
    reads only the bit's byte (the verification hot path; no signature: for our own verifier)."""
    if not 0 <= index < 1 << 31:
        raise bits_codec.StatusListError(f"index {index} is outside the list (RANGE_ERROR)")
    found = session.execute(
        select(func.substr(StatusList.bits, index // 8 + 1, 1), StatusList.purpose, Issuer.did)
        .join(Issuer, Issuer.id == StatusList.issuer_id)
        .where(StatusList.list_id == list_id)
    ).one_or_none()
    if found is None:
        raise StatusListNotFound(list_id)
    if not found[0]:
        raise bits_codec.StatusListError(f"index {index} is outside the list (RANGE_ERROR)")
    return LiveEntry(bits_codec.get_bit(bytes(found[0]), index % 8), found[1], found[2])


def live_bit(session: Session, list_id: str, index: int) -> bool:
    """One credential's bit in the live list (the byte it sits in is all that is read)."""
    return live_entry(session, list_id, index).flagged


def bit_column(n: int) -> ScalarSelect[Any]:
    """The byte that holds the ``n``th entry's bit, as a scalar subquery filled in by
    ``bit_parameters`` (read it with ``bit_of``): a caller reads a certificate's bits and whatever
    else it needs in one statement, built once."""
    return (
        select(func.substr(StatusList.bits, bindparam(f"status_byte_{n}"), 1))
        .where(StatusList.list_id == bindparam(f"status_list_{n}"))
        .scalar_subquery()
    )


def bit_parameters(entries: Sequence[tuple[str, int]]) -> dict[str, Any]:
    """The parameters of ``bit_column(0)``, ``bit_column(1)``… for these (list id, index) entries."""
    parameters: dict[str, Any] = {}
    for n, (list_id, index) in enumerate(entries):
        parameters[f"status_list_{n}"], parameters[f"status_byte_{n}"] = list_id, index // 8 + 1
    return parameters


def bit_of(byte: bytes | None, index: int) -> bool | None:
    """The bit in the byte ``bit_column`` read; None when there is no such list or index."""
    return bits_codec.get_bit(bytes(byte), index % 8) if byte and index >= 0 else None


def all_list_ids(session: Session) -> list[str]:
    return list(session.scalars(select(StatusList.list_id).order_by(StatusList.created_at)))
