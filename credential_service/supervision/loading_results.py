"""Read certificates, the organisations' scope, assessment results and subsidy decisions into facts
(the half of ``loading`` about what organisations and officers record)."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from credential_service.assessment.organisations.models import Organisation, ScopeRow
from credential_service.assessment.workflow.models import AssessmentPlan, Candidate, ResultSubmission
from credential_service.certificates.credential import NO_SUBTYPE
from credential_service.certificates.fields import certificate_fields
from credential_service.certificates.models import IssuedCredential
from credential_service.certificates.status.models import CertificateStatusChange
from credential_service.identity.models import Person
from credential_service.records.models import FileEntry
from credential_service.records.rules import EntryKind
from credential_service.supervision.rules.common import city_of_credit_code
from credential_service.supervision.rules.facts import CandidateFacts, CertificateFacts, ScopeFacts

if TYPE_CHECKING:
    from credential_service.supervision.loading import Scope

ENDING_ACTIONS = ("revoke", "supersede")  # a certificate no longer in force


def _ended(session: Session, numbers: Collection[str] | None = None) -> set[str]:
    """The certificates no longer in force: all of them, or those among ``numbers`` (a posting's
    scope: its cost follows the scope, not the whole register)."""
    query = select(CertificateStatusChange.certificate_number).where(
        CertificateStatusChange.action.in_(ENDING_ACTIONS)
    )
    if numbers is None:
        return set(session.scalars(query))
    wanted = sorted(numbers)
    chunks = (wanted[i : i + 1000] for i in range(0, len(wanted), 1000))
    return {
        n
        for chunk in chunks
        for n in session.scalars(query.where(CertificateStatusChange.certificate_number.in_(chunk)))
    }


def certificates(session: Session, scope: Scope | None) -> list[CertificateFacts]:
    """Certificates issued here, each with its holder's file (when one exists) and organisation; in a
    scope, the scope's certificates and every certificate of their holders and the scope's people."""
    query = (
        select(
            IssuedCredential.credential_json,
            Person.id,
            Organisation.id,
            Organisation.code,
            Organisation.credit_code,
            IssuedCredential.certificate_number,
        )
        .outerjoin(Person, Person.id_blind_index == IssuedCredential.holder_index)
        .outerjoin(Organisation, Organisation.issuer_id == IssuedCredential.issuer_id)
        .where(IssuedCredential.certificate_number.is_not(None))
    )
    if scope is not None:
        holders = set(
            session.scalars(
                select(IssuedCredential.holder_index).where(
                    IssuedCredential.certificate_number.in_(sorted(scope.certificate_numbers))
                )
            )
        )
        holders |= set(
            session.scalars(select(Person.id_blind_index).where(Person.id.in_(sorted(scope.person_ids))))
        )
        query = query.where(IssuedCredential.holder_index.in_(sorted(h for h in holders if h)))
    rows = session.execute(query).all()
    ended = _ended(session, None if scope is None else {number for *_, number in rows if number is not None})
    return [_certificate(row, ended) for row in rows]


def _certificate(row: Any, ended: set[str]) -> CertificateFacts:
    credential_json, person_id, organisation_id, code, credit_code, _ = row
    fields = certificate_fields(json.loads(credential_json))
    return CertificateFacts(
        number=fields.certificate_number,
        person_id=person_id,
        organisation_id=organisation_id,
        organisation_code=code or fields.issuer_did,
        city_code=city_of_credit_code(credit_code) if credit_code else None,
        occupation_code=fields.occupation_code,
        subtype=None if fields.subtype == NO_SUBTYPE else fields.subtype,
        level=fields.level.value,
        issued_on=fields.issued_on,
        exam_date=fields.exam_date,
        ended=fields.certificate_number in ended,
    )


def scopes(session: Session, organisation_ids: Collection[int | None]) -> list[ScopeFacts]:
    wanted = sorted(i for i in organisation_ids if i is not None)
    rows = session.scalars(select(ScopeRow).where(ScopeRow.organisation_id.in_(wanted)))
    return [
        ScopeFacts(
            row.organisation_id,
            row.occupation_code,
            row.subtype,
            frozenset(int(level) for level in row.levels.split(",") if level.strip()),
            row.valid_from,
            row.valid_to,
        )
        for row in rows
    ]


def _publicised(
    session: Session, keys: Collection[str] | None
) -> dict[str, tuple[int, tuple[Any, Any, Any]]]:
    """The exam results the people's files recorded when each sheet was publicised, by entry key."""
    query = select(FileEntry.id, FileEntry.idempotency_key, FileEntry.payload).where(
        FileEntry.kind == EntryKind.EXAM_RESULT.value
    )
    if keys is not None:
        query = query.where(FileEntry.idempotency_key.in_(sorted(keys)))
    found = {}
    for entry_id, key, payload in session.execute(query):
        facts = json.loads(payload)
        found[str(key)] = (entry_id, (facts.get("theory"), facts.get("skill"), facts.get("review")))
    return found


def candidates(session: Session, person_ids: Collection[int] | None) -> list[CandidateFacts]:
    """Every candidate of every submitted sheet (or the given people's), with the scores publicised."""
    query = (
        select(
            Candidate,
            ResultSubmission,
            AssessmentPlan,
            Organisation.code,
            Organisation.credit_code,
            Person.public_id,
        )
        .join(ResultSubmission, ResultSubmission.id == Candidate.submission_id)
        .join(AssessmentPlan, AssessmentPlan.id == ResultSubmission.plan_id)
        .join(Organisation, Organisation.id == ResultSubmission.organisation_id)
        .join(Person, Person.id == Candidate.person_id)
    )
    if person_ids is not None:
        query = query.where(Candidate.person_id.in_(sorted(person_ids)))
    rows = list(session.execute(query))
    keys = None if person_ids is None else [f"exam:{sub.public_id}:{pid}" for _, sub, _, _, _, pid in rows]
    publicised = _publicised(session, keys)
    found = []
    for cand, sub, plan, code, credit_code, person_public_id in rows:
        entry = publicised.get(f"exam:{sub.public_id}:{person_public_id}")
        found.append(
            CandidateFacts(
                public_id=cand.public_id,
                person_id=cand.person_id,
                submission_id=sub.public_id,
                submitted_at=sub.created_at,
                published_on=sub.published_on,
                plan_id=plan.id,
                organisation_id=sub.organisation_id,
                organisation_code=code,
                city_code=city_of_credit_code(credit_code),
                occupation_code=plan.occupation_code,
                level=plan.level,
                scores=(cand.theory, cand.skill, cand.review),
                publicised_scores=entry[1] if entry else None,
                passed=cand.passed,
                file_entry_id=entry[0] if entry else None,
            )
        )
    return found


def failed_hard_rules(decision_json: str) -> tuple[str, ...]:
    """The rules of a stored decision that failed and are not advisory."""
    decision = json.loads(decision_json)
    return tuple(
        str(r["rule"])
        for r in decision.get("results", [])
        if r.get("outcome") == "failed" and not r.get("advisory", False)
    )
