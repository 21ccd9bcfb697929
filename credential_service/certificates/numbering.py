"""Allocation of certificate serials: one atomic counter row per number prefix.

The counter update and the certificate row are written in the same transaction, and the
certificate number column is unique: two concurrent issuances, a retry or a crash can never give
two certificates the same number (a crash before commit rolls the counter back with the rest).
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from credential_service.certificates.models import CertificateNumberCounter
from credential_service.certificates.rules import SkillLevel, format_number, number_prefix
from credential_service.core.db import dialect_insert, table_of


def _ensure_counter(session: Session, prefix: str) -> None:
    insert = dialect_insert(session)(table_of(CertificateNumberCounter))
    session.execute(insert.values(prefix=prefix, last_serial=0).on_conflict_do_nothing())


def allocate_certificate_number(
    session: Session, *, organisation_code: str, year: int, level: SkillLevel
) -> str:
    """The next free 22-character number for this organisation, year and level."""
    return allocate_certificate_numbers(
        session, organisation_code=organisation_code, year=year, level=level, count=1
    )[0]


def allocate_certificate_numbers(
    session: Session, *, organisation_code: str, year: int, level: SkillLevel, count: int
) -> list[str]:
    """The next ``count`` free numbers for this organisation, year and level, consecutive: one
    counter update however many (a batch's chunk)."""
    prefix = number_prefix(organisation_code, year, level)
    _ensure_counter(session, prefix)
    last = session.execute(
        update(CertificateNumberCounter)
        .where(CertificateNumberCounter.prefix == prefix)
        .values(last_serial=CertificateNumberCounter.last_serial + count)
        .returning(CertificateNumberCounter.last_serial)
    ).scalar_one()
    return [format_number(prefix, serial) for serial in range(last - count + 1, last + 1)]
