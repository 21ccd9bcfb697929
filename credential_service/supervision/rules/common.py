"""What several checks share: subjects of the facts, evidence lines, grouping (pure)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

from credential_service.core.clock import BEIJING, as_utc
from credential_service.supervision.rules.cases import MAX_EVIDENCE, Evidence, Subject, SubjectType
from credential_service.supervision.rules.facts import CheckInFacts, ClassFacts, Facts

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


def group(items: Iterable[T], key: Callable[[T], K]) -> dict[K, list[T]]:
    grouped: dict[K, list[T]] = defaultdict(list)
    for item in items:
        grouped[key(item)].append(item)
    return grouped


def person(facts: Facts, person_id: int) -> Subject:
    return Subject(SubjectType.PERSON, facts.person_ref(person_id))


def klass(facts_class: ClassFacts) -> Subject:
    return Subject(SubjectType.CLASS, facts_class.ref)


def institution(facts_class: ClassFacts) -> Subject:
    return Subject(SubjectType.INSTITUTION, facts_class.institution_code)


def beijing_clock(event: CheckInFacts) -> str:
    """The check-in's Beijing time as a page shows it, e.g. 2026-09-01 08:30:05."""
    return as_utc(event.at).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def checkin_evidence(facts: Facts, event: CheckInFacts, note: str = "") -> Evidence:
    klass_ = facts.classes.get(event.class_id)
    where = f"培训班 {klass_.class_ref}，" if klass_ is not None else ""
    line = f"{where}考勤 北京时间 {beijing_clock(event)}，地点 {event.place}"
    return Evidence("entry", str(event.file_entry_id), f"{line}{note}", facts.person_ref(event.person_id))


def capped(evidence: Iterable[Evidence]) -> tuple[Evidence, ...]:
    return tuple(list(evidence)[:MAX_EVIDENCE])


def city_of_credit_code(credit_code: str) -> str | None:
    """The prefecture (GB/T 2260, e.g. 140100) of a 统一社会信用代码: characters 3–8 are the
    registering authority's division (GB 32100), whose first four digits name the prefecture."""
    division = credit_code[2:8]
    return f"{division[:4]}00" if len(division) == 6 and division.isdigit() else None
