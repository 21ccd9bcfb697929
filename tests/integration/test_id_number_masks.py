"""Stored masks of ID numbers (decision 025): a short number (passport, travel permit) shows at most
4 characters, on every page that reads the stored mask; the migration re-masks what was stored."""

from __future__ import annotations

from alembic import command
from sqlalchemy import select, update

from credential_service.core.migrations import alembic_config, upgrade
from credential_service.identity import service as identity
from credential_service.identity.models import Person
from credential_service.identity.rules import DocumentType
from credential_service.runtime import Runtime

PEOPLE = [
    (DocumentType.PASSPORT, "E12345678", "E*****678"),
    (DocumentType.HK_MO_PASS, "H12345678", "H*****678"),
    (DocumentType.RESIDENT_ID, "140105199001011234", "140***********1234"),
]


def _register(runtime: Runtime) -> dict[str, str]:
    with runtime.session() as session:
        return {
            number: identity.register_person(
                session, runtime.settings.data_key_bytes, identity.Identity(kind, number), "王小明"
            ).public_id
            for kind, number, _ in PEOPLE
        }


def _masks(runtime: Runtime, ids: dict[str, str]) -> dict[str, str]:
    with runtime.session() as session:
        return {
            number: session.scalar(select(Person.id_number_masked).where(Person.public_id == public_id)) or ""
            for number, public_id in ids.items()
        }


def test_new_people_get_the_mask_of_their_document_type(runtime: Runtime) -> None:
    masks = _masks(runtime, _register(runtime))
    assert masks == {number: masked for _, number, masked in PEOPLE}


def test_the_migration_remasks_short_numbers_stored_the_old_way(runtime: Runtime) -> None:
    ids = _register(runtime)
    with runtime.session() as session:  # as the service stored them before decision 025
        for number, public_id in ids.items():
            old = number[:3] + "*" * 11 + number[-4:]
            session.execute(update(Person).where(Person.public_id == public_id).values(id_number_masked=old))
    command.downgrade(alembic_config(runtime.engine), "0010")
    upgrade(runtime.engine)
    assert _masks(runtime, ids) == {number: masked for _, number, masked in PEOPLE}
