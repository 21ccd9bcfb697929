"""The training half of the generated province: people, classes, rosters, check-ins and
completions, each posting's entry in the person's file (decision 041)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from credential_service.core.clock import beijing_midnight, to_xsd
from credential_service.identity import service as identity
from credential_service.identity.rules import DocumentType, blind_index
from credential_service.records import service as records
from credential_service.records.rules import EntryKind
from credential_service.records.training.models import (
    AttendanceEvent,
    Completion,
    Enrolment,
    Institution,
    RosterMember,
    TrainingClass,
)
from credential_service.records.training.rules import source_of
from credential_service.records.training.service import class_facts
from credential_service.supervision.province.bulk import (
    CHUNK,
    CLASS_CHUNK,
    Registry,
    Sessions,
    at_hour,
    chunks,
    insert_rows,
)
from credential_service.supervision.province.plans import (
    CheckIn,
    ClassPlan,
    World,
)
from credential_service.supervision.province.world import checkins_of


def people(sessions: Sessions, world: World, data_key: bytes) -> None:
    """Every person through ``register_people``; their ids and public ids noted in the world."""
    created = at_hour(world.start - timedelta(days=30))
    for chunk in chunks(world.persons):
        with sessions() as session:
            found = identity.register_people(
                session,
                data_key,
                [(identity.Identity(DocumentType.RESIDENT_ID, p.id_number), p.name) for p in chunk],
                now=created,
            )
        for person in chunk:
            ref = found[blind_index(data_key, DocumentType.RESIDENT_ID, person.id_number)]
            person.db_id, person.public_id = ref.id, ref.public_id


def _class_model(klass: ClassPlan, registry: Registry) -> TrainingClass:
    """The class as the service keeps it (not added to any session): ``class_facts`` reads it."""
    inst = klass.institution
    return TrainingClass(
        institution_id=registry.institution_ids[inst.idx],
        institution=Institution(name=inst.name, credit_code=inst.credit_code, city_code=inst.city),
        class_ref=klass.class_ref,
        occupation_code=klass.occupation.code,
        subtype=klass.occupation.subtype,
        target_level=klass.level,
        training_type=klass.training_type.value,
        start_date=klass.start,
        end_date=klass.end,
        planned_hours=klass.planned_hours,
        teacher=klass.teacher,
        venue_capacity=klass.capacity,
        approved_on=klass.approved_on,
        created_at=at_hour(klass.approved_on or klass.start) - timedelta(hours=1),
    )


_COLUMNS = (
    "institution_id", "class_ref", "occupation_code", "subtype", "target_level", "training_type",
    "start_date", "end_date", "planned_hours", "teacher", "venue_capacity", "approved_on", "created_at",
)  # fmt: skip


def classes(sessions: Sessions, world: World, registry: Registry) -> dict[int, dict[str, Any]]:
    """Classes with their rosters; returns what every file entry about each class says."""
    facts: dict[int, dict[str, Any]] = {}
    for chunk in chunks(world.classes, 1_000):
        models = [_class_model(k, registry) for k in chunk]
        with sessions() as session:
            ids = insert_rows(session, TrainingClass, [{c: getattr(m, c) for c in _COLUMNS} for m in models])
            roster = []
            for klass, model, class_id in zip(chunk, models, ids, strict=True):
                klass.id = class_id
                facts[klass.idx] = class_facts(model)
                roster += [
                    {"class_id": class_id, "person_id": e.person.db_id, "listed_at": model.created_at}
                    for e in klass.members
                ]
            session.execute(insert(RosterMember), roster)
    return facts


def _entries_then(
    session: Session, entries: list[records.NewEntry], rows: list[dict[str, Any]], model: Any
) -> list[int]:
    """Append the file entries, then insert the rows that point at them (row i ↔ entry i)."""
    for row, entry_id in zip(rows, records.append_entries(session, entries), strict=True):
        row["file_entry_id"] = entry_id
    return insert_rows(session, model, rows)


def enrolments(sessions: Sessions, world: World, facts: dict[int, dict[str, Any]]) -> None:
    every = list(world.enrolments())
    for chunk in chunks(every):
        entries, rows = [], []
        for e in chunk:
            klass, person = e.klass, e.person
            entries.append(
                records.NewEntry(
                    person.db_id,
                    EntryKind.ENROLMENT,
                    {**facts[klass.idx], "enrolledOn": klass.start.isoformat()},
                    source_of(klass.institution.credit_code),
                    beijing_midnight(klass.start),
                    f"enrolment:{klass.id}:{person.public_id}",
                )
            )
            rows.append(
                {
                    "class_id": klass.id,
                    "person_id": person.db_id,
                    "enrolled_on": klass.start,
                    "recorded_at": at_hour(klass.start, 10),
                }
            )
        with sessions() as session:
            for e, enrolment_id in zip(chunk, _entries_then(session, entries, rows, Enrolment), strict=True):
                e.id = enrolment_id


def _checkin_entry(event: CheckIn, facts: dict[str, Any]) -> records.NewEntry:
    optional = {"deviceSha256": event.device, "latitude": event.latitude, "longitude": event.longitude}
    e = event.enrolment
    return records.NewEntry(
        e.person.db_id,
        EntryKind.ATTENDANCE,
        {
            **facts,
            "time": to_xsd(event.at),
            "place": event.place,
            "method": event.method.value,
            "matchScore": event.match_score,
            "photoSha256": event.photo,
            **{k: v for k, v in optional.items() if v is not None},
        },
        source_of(e.klass.institution.credit_code),
        event.at,
        f"attendance:{e.id}:{to_xsd(event.at)}",
    )


def attendance(
    sessions: Sessions, world: World, facts: dict[int, dict[str, Any]], progress: Callable[[int], None]
) -> int:
    """Every class's check-ins, drawn as they are written; returns how many."""
    written = 0
    for chunk in chunks(world.classes, CLASS_CHUNK):
        entries, rows = [], []
        for klass in chunk:
            for event in checkins_of(world, klass):
                event.enrolment.events += 1
                entries.append(_checkin_entry(event, facts[klass.idx]))
                rows.append(
                    {
                        "enrolment_id": event.enrolment.id,
                        "occurred_at": event.at,
                        "place": event.place,
                        "method": event.method.value,
                        "match_score": event.match_score,
                        "photo_sha256": event.photo,
                        "device_sha256": event.device,
                        "latitude": event.latitude,
                        "longitude": event.longitude,
                        "recorded_at": event.at + timedelta(minutes=5),
                    }
                )
        with sessions() as session:
            for part in range(0, len(rows), CHUNK):
                _entries_then(
                    session, entries[part : part + CHUNK], rows[part : part + CHUNK], AttendanceEvent
                )
        written += len(rows)
        progress(written)
    return written


def completions(sessions: Sessions, world: World, facts: dict[int, dict[str, Any]]) -> None:
    done = [e for e in world.enrolments() if e.completes]
    for chunk in chunks(done):
        entries, rows = [], []
        for e in chunk:
            klass, result = e.klass, "pass" if e.passed else "fail"
            entries.append(
                records.NewEntry(
                    e.person.db_id,
                    EntryKind.COMPLETION,
                    {
                        **facts[klass.idx],
                        "attendedHours": e.attended_hours,
                        "attendanceEvents": e.events,
                        "result": result,
                        "score": e.score,
                        "completedOn": klass.end.isoformat(),
                    },
                    source_of(klass.institution.credit_code),
                    beijing_midnight(klass.end),
                    f"completion:{e.id}",
                )
            )
            rows.append(
                {
                    "enrolment_id": e.id,
                    "attended_hours": e.attended_hours,
                    "result": result,
                    "score": e.score,
                    "completed_on": klass.end,
                    "recorded_at": at_hour(klass.end, 17),
                }
            )
        with sessions() as session:
            _entries_then(session, entries, rows, Completion)
