"""The plain facts the checks read, loaded from the database by ``supervision.facts`` (pure data).

A check names the kinds of facts it reads (``CheckSpec.reads``): the loader fills only those.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class PersonFacts:
    id: int
    public_id: str
    birth_date: date | None
    sex: str | None  # M / F, derived from the ID number


@dataclass(frozen=True)
class ClassFacts:
    id: int
    class_ref: str
    institution_id: int
    institution_code: str  # 统一社会信用代码
    city_code: str
    occupation_code: str
    target_level: int | None
    training_type: str
    start_date: date
    end_date: date
    planned_hours: int
    teacher: str | None
    venue_capacity: int | None
    approved_on: date | None

    @property
    def ref(self) -> str:
        """The class as a subject: the institution's credit code and its class_ref."""
        return f"{self.institution_code}/{self.class_ref}"


@dataclass(frozen=True)
class EnrolmentFacts:
    id: int
    class_id: int
    person_id: int
    enrolled_on: date
    file_entry_id: int


@dataclass(frozen=True)
class CheckInFacts:
    id: int
    class_id: int
    person_id: int
    at: datetime  # UTC
    place: str
    method: str
    photo_sha256: str | None
    device_sha256: str | None
    latitude: float | None
    longitude: float | None
    file_entry_id: int


@dataclass(frozen=True)
class CompletionFacts:
    class_id: int
    person_id: int
    attended_hours: int
    passed: bool
    completed_on: date
    file_entry_id: int


@dataclass(frozen=True)
class CertificateFacts:
    number: str
    person_id: int | None  # None: the holder has no file here
    organisation_id: int | None
    organisation_code: str
    city_code: str | None
    occupation_code: str
    subtype: str | None
    level: int
    issued_on: date  # Beijing
    exam_date: date | None
    ended: bool  # revoked or superseded


@dataclass(frozen=True)
class ScopeFacts:
    organisation_id: int
    occupation_code: str
    subtype: str | None  # None: any 工种
    levels: frozenset[int]
    valid_from: date
    valid_to: date


@dataclass(frozen=True)
class CandidateFacts:
    """One person's result in one submitted sheet, and (when known) the scores their file recorded
    when the sheet was publicised."""

    public_id: str
    person_id: int
    submission_id: str
    submitted_at: datetime
    published_on: date
    plan_id: int
    organisation_id: int
    organisation_code: str
    city_code: str | None
    occupation_code: str
    level: int
    scores: tuple[float | None, float | None, float | None]  # theory, skill, review
    publicised_scores: tuple[float | None, float | None, float | None] | None
    passed: bool
    file_entry_id: int | None


@dataclass(frozen=True)
class ClaimFacts:
    public_id: str
    person_id: int
    institution_id: int | None
    institution_code: str | None
    city_code: str | None
    state: str
    amount_fen: int | None
    failed_hard_rules: tuple[str, ...]
    approved: bool | None  # the officer's decision; None: none yet


@dataclass(frozen=True)
class PaymentFacts:
    id: int
    claim_public_id: str
    claim_state: str
    claim_amount_fen: int | None
    approved: bool | None
    person_id: int
    amount_fen: int
    account_key: str  # keyed hash of the card account: compared, never shown
    file_entry_id: int


@dataclass
class Facts:
    """Everything a run reads; each list holds only what the run's scope needs."""

    today: date
    persons: dict[int, PersonFacts] = field(default_factory=dict)
    classes: dict[int, ClassFacts] = field(default_factory=dict)
    enrolments: list[EnrolmentFacts] = field(default_factory=list)
    checkins: list[CheckInFacts] = field(default_factory=list)
    completions: list[CompletionFacts] = field(default_factory=list)
    certificates: list[CertificateFacts] = field(default_factory=list)
    scopes: list[ScopeFacts] = field(default_factory=list)
    candidates: list[CandidateFacts] = field(default_factory=list)
    claims: list[ClaimFacts] = field(default_factory=list)
    payments: list[PaymentFacts] = field(default_factory=list)

    def person_ref(self, person_id: int) -> str:
        person = self.persons.get(person_id)
        return person.public_id if person is not None else str(person_id)
