"""Write a generated province to the database in bulk, as the services write the same facts
(decision 041): organisations and institutions through their registration services; people through
``identity.register_people`` (blind index, sealed number); every posting's file entry through
``records.append_entries`` (hash-chained, the services' idempotency keys); the rows of classes,
enrolments, check-ins, completions, plans, result sheets, candidates, certificates, claims, officers'
decisions and payments by Core inserts of many rows per statement.

What is not written, because nothing the checks read depends on it and it would only cost time: the
certificates' proofs, status-list entries and QR codes (a generated certificate is the service's
credential without its proof, stored with ``cryptosuite`` "unsigned"), the result sheets' detached
signatures, and the audit-trail and transparency-log events of each posting.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from credential_service.assessment.occupations import service as occupations
from credential_service.assessment.organisations import service as organisations
from credential_service.assessment.organisations.models import Organisation
from credential_service.assessment.organisations.rules import ScopeRowInput
from credential_service.assessment.workflow.models import AssessmentPlan, Candidate, ResultSubmission
from credential_service.assessment.workflow.rules import CandidateState
from credential_service.certificates.credential import (
    NO_SUBTYPE,
    SkillCertificate,
    skill_certificate_credential,
)
from credential_service.certificates.models import CertificateNumberCounter, IssuedCredential
from credential_service.certificates.rules import SkillLevel
from credential_service.certificates.service import credential_digest
from credential_service.core.clock import BEIJING, beijing_midnight, to_xsd
from credential_service.core.config import Settings
from credential_service.crypto.keystore import KeyStore
from credential_service.identity import service as identity
from credential_service.identity.rules import DocumentType, blind_index
from credential_service.issuers import service as issuers
from credential_service.issuers.models import Issuer
from credential_service.records import service as records
from credential_service.records.rules import EntryKind
from credential_service.records.training import institutions
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
from credential_service.subsidies import service as rule_sets
from credential_service.subsidies.judging import fen, places_held, yuan
from credential_service.subsidies.models import (
    ClaimState,
    OfficerDecision,
    SubsidyClaim,
    SubsidyPayment,
)
from credential_service.subsidies.rules import (
    CertificateFacts,
    ClaimFacts,
    Decision,
    PersonFacts,
    RuleSet,
    SubsidyType,
    Verdict,
    evaluate,
)
from credential_service.subsidies.social_insurance import mask_account, seal_account
from credential_service.subsidies.steps import claim_entry_facts
from credential_service.subsidies.views import PAID_TO
from credential_service.supervision.province.world import (
    CertificatePlan,
    CheckIn,
    ClaimPlan,
    ClassPlan,
    World,
    checkins_of,
)

Sessions = Callable[[], AbstractContextManager[Session]]
T = TypeVar("T")
CHUNK = 5_000  # rows per statement group and per commit
CLASS_CHUNK = 100  # classes whose check-ins are written together (about 25,000 check-ins)
UNSIGNED = "unsigned"  # decision 041: generated certificates carry no proof


@dataclass(frozen=True)
class Registry:
    organisation_ids: dict[int, int]  # world index → organisations.id
    issuers: dict[int, Issuer]  # world index → the organisation's issuer (id, did, name)
    institution_ids: dict[int, int]


def _chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _insert(session: Session, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` (many per statement) and return their ids, in order."""
    if not rows:
        return []
    result = session.execute(insert(model).returning(model.id, sort_by_parameter_order=True), rows)
    return list(result.scalars())


def _at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), BEIJING)


def register(
    session: Session, keystore: KeyStore, settings: Settings, world: World, *, actor: str
) -> Registry:
    """The platform issuer, the built-in occupations and rule sets, then every organisation (备案
    with its scope) and institution through their services."""
    issuers.ensure_platform_issuer(session, keystore, public_base_url=settings.public_base_url)
    occupations.ensure_builtin_occupations(session)
    rule_sets.ensure_shipped_rule_sets(session, actor=actor)
    since = world.start - timedelta(days=365)
    until = date(world.start.year + 6, 12, 31)
    organisation_ids: dict[int, int] = {}
    issuer_of: dict[int, Issuer] = {}
    for org in world.organisations:
        organisations.register_organisation(
            session, keystore, settings,
            org_type=org.org_type, credit_code=org.credit_code, name=org.name, mohrss_code=org.mohrss_code,
            site_serial=org.site_serial,
            scope=[ScopeRowInput(o.code, None, org.levels, since, until) for o in org.occupations],
            actor=actor, now=_at(since),
        )  # fmt: skip
        row = session.scalars(select(Organisation).where(Organisation.code == org.code)).one()
        organisation_ids[org.idx] = row.id
        issuer_of[org.idx] = session.get_one(Issuer, row.issuer_id)
    institution_ids: dict[int, int] = {}
    for inst in world.institutions:
        institutions.register_institution(
            session,
            credit_code=inst.credit_code,
            name=inst.name,
            city_code=inst.city,
            approved_projects=[(o.code, None) for o in inst.occupations],
            now=_at(since),
        )
        institution_ids[inst.idx] = session.scalars(
            select(Institution.id).where(Institution.credit_code == inst.credit_code)
        ).one()
    return Registry(organisation_ids, issuer_of, institution_ids)


def people(sessions: Sessions, world: World, data_key: bytes) -> None:
    """Every person through ``register_people``; their ids and public ids noted in the world."""
    created = _at(world.start - timedelta(days=30))
    for chunk in _chunks(world.persons):
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
        created_at=_at(klass.approved_on or klass.start) - timedelta(hours=1),
    )


_COLUMNS = (
    "institution_id", "class_ref", "occupation_code", "subtype", "target_level", "training_type",
    "start_date", "end_date", "planned_hours", "teacher", "venue_capacity", "approved_on", "created_at",
)  # fmt: skip


def classes(sessions: Sessions, world: World, registry: Registry) -> dict[int, dict[str, Any]]:
    """Classes with their rosters; returns what every file entry about each class says."""
    facts: dict[int, dict[str, Any]] = {}
    for chunk in _chunks(world.classes, 1_000):
        models = [_class_model(k, registry) for k in chunk]
        with sessions() as session:
            ids = _insert(session, TrainingClass, [{c: getattr(m, c) for c in _COLUMNS} for m in models])
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
    return _insert(session, model, rows)


def enrolments(sessions: Sessions, world: World, facts: dict[int, dict[str, Any]]) -> None:
    every = list(world.enrolments())
    for chunk in _chunks(every):
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
                    "recorded_at": _at(klass.start, 10),
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
    for chunk in _chunks(world.classes, CLASS_CHUNK):
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
    for chunk in _chunks(done):
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
                    "recorded_at": _at(klass.end, 17),
                }
            )
        with sessions() as session:
            _entries_then(session, entries, rows, Completion)


def exams(sessions: Sessions, world: World, registry: Registry) -> None:
    """Plans, their result sheets (publicised, then issued), candidates and the exam result each
    person's file recorded at publicity."""
    for chunk in _chunks(world.plans, 500):
        with sessions() as session:
            plan_ids = _insert(
                session,
                AssessmentPlan,
                [
                    {
                        "organisation_id": registry.organisation_ids[p.organisation.idx],
                        "plan_ref": p.plan_ref,
                        "occupation_code": p.occupation.code,
                        "subtype": p.occupation.subtype,
                        "level": p.level,
                        "exam_start": p.exam_day,
                        "exam_end": p.exam_day,
                        "examiners": json.dumps(
                            [{"name": "考评员", "certificate_number": f"KP{p.organisation.idx:04d}"}],
                            ensure_ascii=False,
                        ),
                        "created_at": _at(p.exam_day - timedelta(days=20)),
                    }
                    for p in chunk
                ],
            )
            sheet_ids = _insert(
                session,
                ResultSubmission,
                [
                    {
                        "public_id": p.submission_public_id,
                        "organisation_id": registry.organisation_ids[p.organisation.idx],
                        "plan_id": plan_id,
                        "content_sha256": hashlib.sha256(p.submission_public_id.encode()).hexdigest(),
                        "source": "csv",
                        "signature": "",
                        "signed_by": "",
                        "rows_total": len(p.candidates),
                        "rows_accepted": len(p.candidates),
                        "rejected_rows": "[]",
                        "state": "issued",
                        "published_on": p.published_on,
                        "publicity_ends_on": p.publicity_ends_on,
                        "created_at": _at(p.published_on),
                        "issued_at": p.issued_at,
                    }
                    for p, plan_id in zip(chunk, plan_ids, strict=True)
                ],
            )
            candidates, entries = [], []
            for plan, sheet_id in zip(chunk, sheet_ids, strict=True):
                level = SkillLevel(plan.level).title_zh
                for row, cand in enumerate(plan.candidates, start=2):
                    cert = cand.certificate
                    cand.public_id = str(uuid.uuid4())
                    candidates.append(
                        {
                            "public_id": cand.public_id,
                            "submission_id": sheet_id,
                            "person_id": cand.person.db_id,
                            "row_number": row,
                            "theory": cand.scores[0],
                            "skill": cand.scores[1],
                            "review": cand.scores[2],
                            "passed": cand.passed,
                            "state": (CandidateState.ISSUED if cand.passed else CandidateState.FAILED).value,
                            "certificate_number": cert.number if cert else None,
                            "issued_at": plan.issued_at if cert else None,
                        }
                    )
                    theory, skill, review = cand.publicised
                    entries.append(
                        records.NewEntry(
                            cand.person.db_id,
                            EntryKind.EXAM_RESULT,
                            {
                                "organisation": plan.organisation.name,
                                "occupationCode": plan.occupation.code,
                                "subtype": plan.occupation.subtype or NO_SUBTYPE,
                                "level": level,
                                "theory": theory,
                                "skill": skill,
                                "review": review,
                                "result": "pass" if cand.passed else "fail",
                                "examDate": plan.exam_day.isoformat(),
                            },
                            f"organisation:{plan.organisation.code}",
                            beijing_midnight(plan.exam_day),
                            f"exam:{plan.submission_public_id}:{cand.person.public_id}",
                        )
                    )
            for rows in _chunks(candidates):
                session.execute(insert(Candidate), list(rows))
            for some in _chunks(entries):
                records.append_entries(session, list(some))


def certificates(
    sessions: Sessions, world: World, registry: Registry, data_key: bytes, public_base_url: str
) -> None:
    """The certificates as the service builds them (unsigned: decision 041), the entry in each
    holder's file, and the number counters."""
    candidate_of = {
        id(c.certificate): c.public_id for p in world.plans for c in p.candidates if c.certificate is not None
    }
    for chunk in _chunks(world.certificates):
        rows, entries = [], []
        for cert in chunk:
            issuer = registry.issuers[cert.organisation.idx]
            credential = skill_certificate_credential(
                SkillCertificate(
                    certificate_number=cert.number,
                    issuer_did=issuer.did,
                    issuer_name=issuer.name,
                    holder_name=cert.person.name,
                    occupation=cert.occupation,
                    level=SkillLevel(cert.level),
                    issued_at=cert.issued_at,
                    exam_date=cert.exam_day,
                ),
                public_base_url=public_base_url,
            )
            candidate = candidate_of.get(id(cert))
            rows.append(
                {
                    "credential_id": credential["id"],
                    "issuer_id": issuer.id,
                    "certificate_number": cert.number,
                    "idempotency_key": f"candidate:{candidate}" if candidate else None,
                    "holder_index": blind_index(data_key, DocumentType.RESIDENT_ID, cert.person.id_number),
                    "credential_json": json.dumps(credential, ensure_ascii=False),
                    "digest": credential_digest(credential),
                    "verification_method": "",
                    "cryptosuite": UNSIGNED,
                    "issued_at": cert.issued_at,
                }
            )
            entries.append(_certificate_entry(cert, issuer, credential["id"]))
        with sessions() as session:
            session.execute(insert(IssuedCredential), rows)
            records.append_entries(session, entries)
    with sessions() as session:
        session.execute(
            insert(CertificateNumberCounter),
            [{"prefix": prefix, "last_serial": serial} for prefix, serial in world.counters.items()],
        )


def _certificate_entry(cert: CertificatePlan, issuer: Issuer, credential_id: str) -> records.NewEntry:
    """What the holder's file says about a certificate (as ``certificates.service`` writes it)."""
    occupation = cert.occupation
    return records.NewEntry(
        cert.person.db_id,
        EntryKind.CERTIFICATE_ISSUED,
        {
            "certificateNumber": cert.number,
            "certificateType": "职业技能等级证书",
            "occupationCode": occupation.code,
            "occupationName": occupation.name,
            "subtype": occupation.subtype or NO_SUBTYPE,
            "level": SkillLevel(cert.level).title_zh,
            "issuer": issuer.name,
            "credentialId": credential_id,
        },
        f"organisation:{issuer.code}",
        cert.issued_at,
        f"certificate:{cert.number}",
    )


@dataclass
class _Judged:
    claim: ClaimPlan
    facts: ClaimFacts
    decision: Decision
    rule_set: RuleSet
    filed_state: ClaimState  # what the rules made of it when filed
    state: ClaimState  # where it stands now
    decided: bool | None  # the officer's approval; None: no decision recorded


_STATE_OF_VERDICT = {
    Verdict.ELIGIBLE: ClaimState.ELIGIBLE,
    Verdict.WAITS: ClaimState.WAITING,
    Verdict.REFUSED: ClaimState.REFUSED,
}


def _judge(session: Session, claim: ClaimPlan, cache: dict[date, RuleSet]) -> _Judged:
    cert = claim.certificate
    issued_on = cert.issued_at.astimezone(BEIJING).date()
    facts = ClaimFacts(
        subsidy_type=SubsidyType.SKILL_UPGRADE,
        claimed_on=claim.claimed_on,
        person=PersonFacts(insured_months=claim.insured_months, employment=claim.employment),
        certificate=CertificateFacts(
            number=cert.number,
            occupation_code=cert.occupation.code,
            level=cert.level,
            issued_on=issued_on,
            state="valid",
        ),
    )
    if issued_on not in cache:
        cache[issued_on] = rule_sets.rule_set_in_force(session, SubsidyType.SKILL_UPGRADE, issued_on)
    decision = evaluate(facts, cache[issued_on])
    filed = _STATE_OF_VERDICT[decision.verdict]
    if claim.tamper is not None:  # planted: paid whatever the rules said
        return _Judged(
            claim,
            facts,
            decision,
            cache[issued_on],
            filed,
            ClaimState.PAID,
            None if claim.tamper == "no_decision" else True,
        )
    if filed is ClaimState.REFUSED:
        return _Judged(claim, facts, decision, cache[issued_on], filed, filed, None)
    state = {"paid": ClaimState.PAID, "refused_by_officer": ClaimState.REFUSED}.get(claim.outcome, filed)
    decided = {"paid": True, "refused_by_officer": False}.get(claim.outcome)
    return _Judged(claim, facts, decision, cache[issued_on], filed, state, decided)


def _claim_row(judged: _Judged) -> dict[str, Any]:
    claim, facts, decision = judged.claim, judged.facts, judged.decision
    cert = claim.certificate
    slot, once = places_held(facts, decision, judged.rule_set, set())
    if judged.state is ClaimState.REFUSED:
        slot = once = None  # a refused claim holds no place
    claimed_at = _at(claim.claimed_on, 10)
    return {
        "public_id": claim.public_id,
        "subsidy_type": SubsidyType.SKILL_UPGRADE.value,
        "person_id": cert.person.db_id,
        "certificate_number": cert.number,
        "class_id": None,
        "institution_id": None,
        "occupation_code": cert.occupation.code,
        "level": cert.level,
        "training_type": None,
        "claimed_on": claim.claimed_on,
        "qualifying_date": decision.qualifying_date,
        "state": judged.filed_state.value,
        "rule_set_version": decision.rule_set_version,
        "rule_set_sha256": decision.rule_set_sha256,
        "fund": judged.rule_set.fund,
        "decision_json": json.dumps(decision.as_record(), ensure_ascii=False),
        "amount_fen": fen(decision.amount.yuan),
        "yearly_slot": slot,
        "once_key": once,
        "claimed_by": f"worker:{cert.person.public_id}",
        "claimed_at": claimed_at,
        "updated_at": claimed_at,
    }


def claims(sessions: Sessions, world: World, data_key: bytes) -> None:
    """Skill-upgrade claims judged by the rule set in force, the officers' decisions, the payments to
    the card account, and each step in the person's file."""
    cache: dict[date, RuleSet] = {}
    officer = "officer:province"
    for chunk in _chunks(world.claims):
        with sessions() as session:
            judged = [_judge(session, claim, cache) for claim in chunk]
            rows = [_claim_row(j) for j in judged]
            filed_entries = [
                records.NewEntry(
                    j.claim.person.db_id,
                    EntryKind.SUBSIDY_CLAIM,
                    _step_facts(claim_entry_facts(SubsidyClaim(**row), j.decision, None)),
                    row["claimed_by"],
                    row["claimed_at"],
                )
                for j, row in zip(judged, rows, strict=True)
            ]
            for row, j in zip(rows, judged, strict=True):
                row["state"] = j.state.value
            ids = _insert(session, SubsidyClaim, rows)
            records.append_entries(session, filed_entries)
            decisions, steps, payments = [], [], []
            for j, row, claim_id in zip(judged, rows, ids, strict=True):
                j.claim.id = claim_id
                day = j.claim.claimed_on + timedelta(days=7)
                if j.decided is not None:
                    reason = "材料齐全，符合条件" if j.decided else "经核查不符合申领条件"
                    decisions.append(
                        {
                            "claim_id": claim_id,
                            "approved": j.decided,
                            "reason": reason,
                            "officer": officer,
                            "decided_at": _at(day, 15),
                        }
                    )
                if j.state is ClaimState.PAID:
                    steps.append(_paid_entry(j, row, day, officer))
                    payments.append(
                        _payment_row(j, row, claim_id=claim_id, day=day, officer=officer, data_key=data_key)
                    )
                elif j.decided is False:
                    steps.append(
                        records.NewEntry(
                            j.claim.person.db_id,
                            EntryKind.SUBSIDY_DECISION,
                            _step_facts(
                                {
                                    "certificate_number": row["certificate_number"],
                                    "outcome": "refused",
                                    "reason": "经核查不符合申领条件",
                                }
                            ),
                            officer,
                            _at(day, 15),
                        )
                    )
            if decisions:
                session.execute(insert(OfficerDecision), decisions)
            step_ids = records.append_entries(session, steps)
            paid_ids = iter(
                i for i, step in zip(step_ids, steps, strict=True) if step.kind is EntryKind.SUBSIDY_PAID
            )
            for payment in payments:
                payment["file_entry_id"] = next(paid_ids)
            if payments:
                session.execute(insert(SubsidyPayment), payments)


def _step_facts(facts: dict[str, Any]) -> dict[str, Any]:
    """A claim step's entry facts, as ``subsidies.steps.record_step`` words them."""
    return {
        "subsidy_type": SubsidyType.SKILL_UPGRADE.title_zh,
        **{k: v for k, v in facts.items() if v is not None},
    }


def _paid_amount(j: _Judged, row: dict[str, Any]) -> int:
    amount = row["amount_fen"] or 100_000
    return amount + 50_000 if j.claim.tamper == "amount" else amount


def _paid_entry(j: _Judged, row: dict[str, Any], day: date, officer: str) -> records.NewEntry:
    return records.NewEntry(
        j.claim.person.db_id,
        EntryKind.SUBSIDY_PAID,
        _step_facts(
            {
                "amount_yuan": str(yuan(_paid_amount(j, row))),
                "fund": row["fund"],
                "paid_on": day.isoformat(),
                "paid_to": PAID_TO,
                "account": mask_account(j.claim.account),
                "certificate_number": row["certificate_number"],
                "reason": "材料齐全，符合条件",
            }
        ),
        officer,
        _at(day, 15),
    )


def _payment_row(
    j: _Judged, row: dict[str, Any], *, claim_id: int, day: date, officer: str, data_key: bytes
) -> dict[str, Any]:
    return {
        "claim_id": claim_id,
        "person_id": j.claim.person.db_id,
        "certificate_number": row["certificate_number"],
        "amount_fen": _paid_amount(j, row),
        "fund": row["fund"],
        "account_sealed": seal_account(data_key, j.claim.account),
        "account_masked": mask_account(j.claim.account),
        "paid_on": day,
        "paid_by": officer,
        "recorded_at": _at(day, 15),
        "external_ref": None,
    }


def store_world(
    sessions: Sessions,
    world: World,
    *,
    keystore: KeyStore,
    settings: Settings,
    data_key: bytes,
    actor: str,
    progress: Callable[[str], None] = lambda _: None,
) -> None:
    """Write the whole province, phase by phase (each phase commits in chunks)."""
    with sessions() as session:
        registry = register(session, keystore, settings, world, actor=actor)
    progress(f"registered {len(world.organisations)} organisations, {len(world.institutions)} institutions")
    people(sessions, world, data_key)
    progress(f"persons {len(world.persons)}")
    facts = classes(sessions, world, registry)
    enrolments(sessions, world, facts)
    progress(f"classes {len(world.classes)}, enrolments {sum(len(k.members) for k in world.classes)}")
    total = attendance(sessions, world, facts, lambda n: None)
    progress(f"check-ins {total}")
    completions(sessions, world, facts)
    exams(sessions, world, registry)
    progress(f"plans {len(world.plans)}, candidates {sum(len(p.candidates) for p in world.plans)}")
    certificates(sessions, world, registry, data_key, settings.public_base_url)
    progress(f"certificates {len(world.certificates)}")
    claims(sessions, world, data_key)
    progress(f"claims {len(world.claims)}")
