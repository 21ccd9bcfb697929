"""The assessment half of the generated province: plans, result sheets, candidates and the
certificates issued from them, each in the holder's file (decision 041)."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import insert

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
from credential_service.core.clock import beijing_midnight
from credential_service.identity.rules import DocumentType, blind_index
from credential_service.issuers.models import Issuer
from credential_service.records import service as records
from credential_service.records.rules import EntryKind
from credential_service.supervision.province.bulk import (
    UNSIGNED,
    Registry,
    Sessions,
    at_hour,
    chunks,
    insert_rows,
)
from credential_service.supervision.province.plans import (
    CandidatePlan,
    CertificatePlan,
    PlanPlan,
    World,
)


def exams(sessions: Sessions, world: World, registry: Registry) -> None:
    """Plans, their result sheets (publicised, then issued), candidates and the exam result each
    person's file recorded at publicity."""
    for chunk in chunks(world.plans, 500):
        with sessions() as session:
            plan_ids = insert_rows(session, AssessmentPlan, [_plan_row(p, registry) for p in chunk])
            sheet_ids = insert_rows(
                session,
                ResultSubmission,
                [_sheet_row(p, plan_id, registry) for p, plan_id in zip(chunk, plan_ids, strict=True)],
            )
            candidates, entries = [], []
            for plan, sheet_id in zip(chunk, sheet_ids, strict=True):
                for row, cand in enumerate(plan.candidates, start=2):
                    cand.public_id = str(uuid.uuid4())
                    candidates.append(_candidate_row(plan, cand, sheet_id, row))
                    entries.append(_exam_entry(plan, cand))
            for rows in chunks(candidates):
                session.execute(insert(Candidate), list(rows))
            for some in chunks(entries):
                records.append_entries(session, list(some))


def _plan_row(p: PlanPlan, registry: Registry) -> dict[str, Any]:
    return {
        "organisation_id": registry.organisation_ids[p.organisation.idx],
        "plan_ref": p.plan_ref,
        "occupation_code": p.occupation.code,
        "subtype": p.occupation.subtype,
        "level": p.level,
        "exam_start": p.exam_day,
        "exam_end": p.exam_day,
        "examiners": json.dumps(
            [{"name": "考评员", "certificate_number": f"KP{p.organisation.idx:04d}"}], ensure_ascii=False
        ),
        "created_at": at_hour(p.exam_day - timedelta(days=20)),
    }


def _sheet_row(p: PlanPlan, plan_id: int, registry: Registry) -> dict[str, Any]:
    return {
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
        "created_at": at_hour(p.published_on),
        "issued_at": p.issued_at,
    }


def _candidate_row(plan: PlanPlan, cand: CandidatePlan, sheet_id: int, row: int) -> dict[str, Any]:
    cert = cand.certificate
    return {
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


def _exam_entry(plan: PlanPlan, cand: CandidatePlan) -> records.NewEntry:
    """The exam result as the person's file recorded it at publicity."""
    theory, skill, review = cand.publicised
    return records.NewEntry(
        cand.person.db_id,
        EntryKind.EXAM_RESULT,
        {
            "organisation": plan.organisation.name,
            "occupationCode": plan.occupation.code,
            "subtype": plan.occupation.subtype or NO_SUBTYPE,
            "level": SkillLevel(plan.level).title_zh,
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


def certificates(
    sessions: Sessions, world: World, registry: Registry, data_key: bytes, public_base_url: str
) -> None:
    """The certificates as the service builds them (unsigned: decision 041), the entry in each
    holder's file, and the number counters."""
    candidate_of = {
        id(c.certificate): c.public_id for p in world.plans for c in p.candidates if c.certificate is not None
    }
    for chunk in chunks(world.certificates):
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
