"""People: register, find by (type, number) through the blind index, reveal the number to staff."""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from credential_service.audit import service as audit
from credential_service.core.clock import beijing_today, utcnow
from credential_service.core.config import Settings
from credential_service.core.db import dialect_insert, table_of
from credential_service.core.errors import FieldError, InvalidInput
from credential_service.crypto.keystore import FileKeyStore
from credential_service.crypto.sealed import seal, unseal
from credential_service.identity.errors import InvalidIdNumber, PersonNotFound
from credential_service.identity.models import Person, SocialSecurityCard
from credential_service.identity.rules import (
    DocumentType,
    IdNumberError,
    blind_index,
    derived_facts,
    mask_id_number,
    normalise_id_number,
    stored_value_holds_id_number,
)
from credential_service.identity.signin.assertions import read_assertion, trusted_providers
from credential_service.platform.tokens import Principal, Role, mint_token

ID_NUMBER_PURPOSE = "person.id_number"


@dataclass(frozen=True)
class Identity:
    """A validated (type, number) pair; build it with ``identify`` so the number is normalised."""

    document_type: DocumentType
    number: str

    def __repr__(self) -> str:  # keep the clear number out of logs and tracebacks
        return f"Identity({self.document_type.value}, {mask_id_number(self.number)})"


def identify(
    document_type: str, number: str, *, field: str = "id_number", today: date | None = None
) -> Identity:
    """Validate and normalise; raises InvalidIdNumber naming ``field`` (never echoing the number)."""
    try:
        doc_type = DocumentType(document_type)
    except ValueError as exc:
        allowed = ", ".join(t.value for t in DocumentType)
        raise InvalidIdNumber("document_type", f"must be one of: {allowed}") from exc
    try:
        return Identity(doc_type, normalise_id_number(doc_type, number, today=today))
    except IdNumberError as exc:
        raise InvalidIdNumber(field, str(exc)) from exc


def find_person(session: Session, data_key: bytes, identity: Identity) -> Person | None:
    return find_by_blind_index(session, blind_index(data_key, identity.document_type, identity.number))


def find_by_blind_index(session: Session, index: str) -> Person | None:
    return session.scalar(select(Person).where(Person.id_blind_index == index))


def get_person(session: Session, public_id: str) -> Person:
    person = session.scalar(select(Person).where(Person.public_id == public_id))
    if person is None:
        raise PersonNotFound()
    return person


_PERSON_ID = select(Person.id).where(Person.public_id == bindparam("public_id"))  # built once


def person_id_of(session: Session, public_id: str) -> int:
    """The database id of the person ``public_id`` names: one indexed read, no entity (nor its cards)
    loaded, for reads that need only the key. Raises PersonNotFound."""
    found = session.scalar(_PERSON_ID, {"public_id": public_id})
    if found is None:
        raise PersonNotFound()
    return int(found)


def register_person(
    session: Session, data_key: bytes, identity: Identity, name: str, *, now: datetime | None = None
) -> Person:
    """The person with this identity, created on first sight (the name is kept as first given)."""
    existing = find_person(session, data_key, identity)
    if existing is not None:
        return existing
    facts = derived_facts(identity.document_type, identity.number)
    person = Person(
        public_id=str(uuid.uuid4()),
        document_type=identity.document_type.value,
        id_blind_index=blind_index(data_key, identity.document_type, identity.number),
        id_number_sealed=seal(data_key, identity.number, ID_NUMBER_PURPOSE),
        id_number_masked=mask_id_number(identity.number),
        name=name.strip(),
        sex=facts.sex,
        birth_date=facts.birth_date,
        created_at=now or utcnow(),
    )
    session.add(person)
    session.flush()
    return person


@dataclass(frozen=True)
class PersonRef:
    """A person's ids and name, read without loading the whole record."""

    id: int
    public_id: str
    name: str


def people_by_blind_index(session: Session, indexes: Collection[str]) -> dict[str, PersonRef]:
    """The recorded people among ``indexes`` (blind indexes), in one query."""
    if not indexes:
        return {}
    rows = session.execute(
        select(Person.id_blind_index, Person.id, Person.public_id, Person.name).where(
            Person.id_blind_index.in_(list(indexes))
        )
    )
    return {row.id_blind_index: PersonRef(row.id, row.public_id, row.name) for row in rows}


def register_people(
    session: Session, data_key: bytes, people: Sequence[tuple[Identity, str]], *, now: datetime | None = None
) -> dict[str, PersonRef]:
    """``register_person`` for many at once (bulk insert, no ORM objects kept): each (identity, name)
    is found or created; returns every one of them by blind index. A person created meanwhile by
    another transaction is found, not duplicated (the blind index is unique)."""
    wanted = {blind_index(data_key, i.document_type, i.number): (i, n) for i, n in people}
    found = people_by_blind_index(session, wanted.keys())
    missing = [(index, identity, name) for index, (identity, name) in wanted.items() if index not in found]
    if missing:
        created = now or utcnow()
        rows = []
        for index, identity, name in missing:
            facts = derived_facts(identity.document_type, identity.number)
            rows.append(
                {
                    "public_id": str(uuid.uuid4()),
                    "document_type": identity.document_type.value,
                    "id_blind_index": index,
                    "id_number_sealed": seal(data_key, identity.number, ID_NUMBER_PURPOSE),
                    "id_number_masked": mask_id_number(identity.number),
                    "name": name.strip(),
                    "sex": facts.sex,
                    "birth_date": facts.birth_date,
                    "created_at": created,
                }
            )
        insert = dialect_insert(session)(table_of(Person))
        session.execute(insert.on_conflict_do_nothing(index_elements=["id_blind_index"]), rows)
        found |= people_by_blind_index(session, [index for index, _, _ in missing])
    return found


def clear_id_number(data_key: bytes, person: Person) -> str:
    """The clear number. Only for the holder themself or a logged staff reveal (records.service)."""
    return unseal(data_key, person.id_number_sealed, ID_NUMBER_PURPOSE)


def record_card(session: Session, person: Person, card_number: str, valid_from: date) -> SocialSecurityCard:
    """The person's current social-security card; a new number marks the previous card replaced.

    Seeing the current number again changes nothing (the history keeps every card ever held).
    """
    current = next((c for c in person.cards if c.replaced_on is None), None)
    if current is not None and current.card_number == card_number:
        return current
    for card in person.cards:
        if card.replaced_on is None:
            card.replaced_on = valid_from
    card = SocialSecurityCard(person=person, card_number=card_number, valid_from=valid_from)
    session.add(card)
    session.flush()
    return card


@dataclass(frozen=True)
class SignedIn:
    access_token: str
    expires_in: int
    person_public_id: str


def sign_in_worker(
    session: Session,
    keystore: FileKeyStore,
    settings: Settings,
    assertion: str,
) -> SignedIn:
    """Exchange an identity provider's assertion for this service's short-lived worker token.

    The worker's file is opened on first sign-in (an empty file). Raises Unauthorized for a forged,
    expired or unknown assertion, InvalidIdNumber for a malformed number in it.
    """
    providers = trusted_providers(
        keystore,
        idp_issuer=settings.idp_issuer,
        idp_public_key=settings.idp_public_key,
        dev_enabled=settings.dev_idp_enabled,
    )
    asserted = read_assertion(assertion, providers, audience=settings.public_base_url)
    person = register_person(
        session, settings.data_key_bytes, identify(asserted.document_type, asserted.id_number), asserted.name
    )
    if asserted.card_number is not None:
        record_card(session, person, asserted.card_number, beijing_today())
    principal = Principal(
        Role.WORKER,
        f"worker:{person.public_id}",
        frozenset({"file:read", asserted.assurance}),
        person.public_id,
    )
    minutes = settings.access_token_minutes
    base = settings.public_base_url
    token = mint_token(keystore, issuer=base, audience=base, principal=principal, minutes=minutes)
    return SignedIn(token, minutes * 60, person.public_id)


def reveal_id_number(session: Session, data_key: bytes, public_id: str, *, actor: str, reason: str) -> str:
    """A staff member reads a clear ID number: allowed only with a reason, and always audited."""
    if len(reason.strip()) < 4:
        raise InvalidInput("请说明查看原因 / give a reason", [FieldError("reason", "at least a few words")])
    person = get_person(session, public_id)
    audit.record(
        session,
        actor=actor,
        action="person.reveal_id_number",
        subject=f"person:{person.public_id}",
        detail={"reason": reason.strip()},
    )
    return clear_id_number(data_key, person)


_WRITES = ("INSERT", "UPDATE", "COPY")  # COPY … FROM STDIN: core.db.bulk_insert on PostgreSQL
_TABLE = re.compile(r"^\s*(?:INSERT\s+INTO|UPDATE|COPY)\s+\"?(\w+)", re.IGNORECASE)


def _texts(rows: list[Any]) -> Iterator[str]:
    for row in rows:
        for value in row.values() if isinstance(row, dict) else row or ():
            if isinstance(value, str):
                yield value


def refuse_clear_id_numbers(
    _conn: Connection, _cursor: Any, statement: str, parameters: Any, _context: Any, _executemany: bool
) -> None:
    """The last guard (decision 022): no INSERT or UPDATE writes a value holding a clear ID number,
    whatever the path (ORM, bulk Core insert or COPY, API, page, CLI). Raises InvalidInput naming the table
    and, where the driver's parameters are named, the column; nothing is written."""
    if not statement.lstrip()[:6].upper().startswith(_WRITES):
        return
    rows = parameters if isinstance(parameters, list) else [parameters]
    # One scan of every text value joined by a line break (never part of a number, so nothing is
    # found across two values): a bulk insert is checked at the cost of one regex search.
    if not stored_value_holds_id_number("\n".join(_texts(rows))):
        return
    for row in rows:
        named = row.items() if isinstance(row, dict) else (("", value) for value in row or ())
        for column, value in named:
            if isinstance(value, str) and stored_value_holds_id_number(value):
                found = _TABLE.match(statement)
                where = ".".join(part for part in (found.group(1) if found else "", column) if part)
                raise InvalidInput(
                    "不得保存明文证件号码，请删去后重试 / a clear ID number cannot be stored: remove it",
                    [FieldError(where or "input", "含有明文证件号码 / holds a clear ID number")],
                    "clear_id_number",
                )
