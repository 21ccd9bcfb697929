"""Staff additions to a file: certificates recorded from elsewhere, exam results, corrections. Each
is an appended, chained entry and a line in the audit trail. A subsidy is never posted here: it is
paid only on an approved claim (subsidies.claims, decision 032)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from credential_service.audit import service as audit
from credential_service.core.errors import FieldError, InvalidInput
from credential_service.identity import service as identity
from credential_service.identity.errors import PersonNotFound
from credential_service.identity.models import Person
from credential_service.records import service as records
from credential_service.records.models import FileEntry
from credential_service.records.rules import EntryKind
from credential_service.records.schemas import EntryPosting


def find_person(session: Session, data_key: bytes, document_type: str, id_number: str) -> Person:
    """Look a person up by (type, number); PersonNotFound (never echoing the number) if absent."""
    person = identity.find_person(session, data_key, identity.identify(document_type, id_number))
    if person is None:
        raise PersonNotFound()
    return person


def record_entry(session: Session, person: Person, posting: EntryPosting, *, actor: str) -> FileEntry:
    """Append the one entry in ``posting``; InvalidInput unless exactly one kind is given."""
    given = {name: value for name, value in posting if value is not None}
    if len(given) != 1:
        raise InvalidInput(
            "请只提交一种记录 / send exactly one kind of entry",
            [FieldError("body", "one of certificate_recorded, exam_result, correction")],
        )
    ((name, value),) = given.items()
    facts: dict[str, Any] = value.model_dump(mode="json")
    supersedes = reason = None
    if name == "correction":
        supersedes, reason, facts = facts["supersedes"], facts["reason"], facts["facts"]
    entry = records.append_entry(
        session,
        person,
        EntryKind(name),
        facts,
        source=f"staff:{actor}",
        supersedes_seq=supersedes,
        reason=reason,
    )
    audit.record(
        session,
        actor=actor,
        action=f"file.{name}",
        subject=f"person:{person.public_id}",
        detail={"seq": entry.seq, "entryHash": entry.entry_hash},
    )
    return entry
