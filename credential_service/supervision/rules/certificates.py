"""Checks over certificates and assessment results (pure)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from credential_service.supervision.rules import common
from credential_service.supervision.rules.cases import Evidence, Finding, Subject, SubjectType
from credential_service.supervision.rules.facts import (
    CandidateFacts,
    CertificateFacts,
    ClassFacts,
    Facts,
    ScopeFacts,
)


def _certificate(cert: CertificateFacts) -> Subject:
    return Subject(SubjectType.CERTIFICATE, cert.number)


def _organisation(code: str) -> Subject:
    return Subject(SubjectType.ORGANISATION, code)


def _what(cert: CertificateFacts) -> str:
    subtype = f"（{cert.subtype}）" if cert.subtype else ""
    return f"{cert.occupation_code}{subtype} {cert.level} 级"


def _evidence(cert: CertificateFacts, note: str) -> Evidence:
    return Evidence("certificate", cert.number, note)


def certificate_duplicate(facts: Facts) -> Iterator[Finding]:
    """Two certificates in force for one person, occupation, 工种 and level."""
    held = [c for c in facts.certificates if c.person_id is not None and not c.ended]
    groups = common.group(held, lambda c: (c.person_id, c.occupation_code, c.subtype, c.level))
    for (person_id, *_), certs in groups.items():
        if len(certs) < 2:
            continue
        certs.sort(key=lambda c: c.number)
        yield Finding(
            "certificate_duplicate",
            (common.person(facts, int(person_id or 0)), *(_certificate(c) for c in certs)),
            f"同一人持有 {len(certs)} 张相同职业、工种和等级的有效证书：{_what(certs[0])}",
            tuple(_evidence(c, f"{c.organisation_code} 于 {c.issued_on} 颁发") for c in certs),
            certs[0].city_code,
        )


def _in_scope(cert: CertificateFacts, row: ScopeFacts) -> bool:
    return (
        row.occupation_code == cert.occupation_code
        and (row.subtype is None or row.subtype == cert.subtype)
        and cert.level in row.levels
        and row.valid_from <= cert.issued_on <= row.valid_to
    )


def certificate_outside_scope(facts: Facts) -> Iterator[Finding]:
    """A certificate its organisation was not 备案 for (occupation, 工种, level, on the day)."""
    scopes = common.group(facts.scopes, lambda s: s.organisation_id)
    for cert in facts.certificates:
        if cert.organisation_id is None:
            continue
        if not any(_in_scope(cert, row) for row in scopes.get(cert.organisation_id, [])):
            yield Finding(
                "certificate_outside_scope",
                (_certificate(cert), _organisation(cert.organisation_code)),
                f"评价机构 {cert.organisation_code} 于 {cert.issued_on} 颁发 {_what(cert)} 证书，"
                "不在其备案范围内",
                (_evidence(cert, "颁发的证书"),),
                cert.city_code,
            )


def certificate_before_exam_or_training_end(facts: Facts) -> Iterator[Finding]:
    """A certificate issued before its exam, or an exam held before the end of the training the
    holder completed for it (same occupation, the class's level or none)."""
    completed = common.group(facts.completions, lambda c: c.person_id)
    for cert in facts.certificates:
        exam = cert.exam_date
        if exam is not None and cert.issued_on < exam:
            why = f"颁发日期 {cert.issued_on} 早于考核日期 {exam}"
        else:
            taken = exam or cert.issued_on
            early = [
                facts.classes[c.class_id]
                for c in completed.get(cert.person_id or -1, [])
                if c.class_id in facts.classes
                and _trains_for(facts.classes[c.class_id], cert)
                and facts.classes[c.class_id].start_date <= taken < facts.classes[c.class_id].end_date
            ]
            if not early:
                continue
            why = f"考核日期 {taken} 早于培训班 {early[0].class_ref} 结业日期 {early[0].end_date}"
        yield Finding(
            "certificate_before_exam_or_training_end",
            (
                _certificate(cert),
                common.person(facts, cert.person_id or -1),
                _organisation(cert.organisation_code),
            ),
            why,
            (_evidence(cert, f"{_what(cert)} 证书"),),
            cert.city_code,
        )


def _trains_for(klass: ClassFacts, cert: CertificateFacts) -> bool:
    return klass.occupation_code == cert.occupation_code and klass.target_level in (None, cert.level)


def scores_changed_after_publicity(facts: Facts) -> Iterator[Finding]:
    """Scores that differ from those publicised: a candidate's stored scores against the exam result
    their file recorded at publicity, or a later sheet of the same plan giving one person other
    scores after the first sheet was publicised."""
    for cand in facts.candidates:
        if cand.publicised_scores is not None and cand.publicised_scores != cand.scores:
            yield _changed(
                facts,
                cand,
                None,
                f"成绩 {_scores(cand.scores)} 与公示时 {_scores(cand.publicised_scores)} 不一致",
            )
    for _, sheets in common.group(facts.candidates, lambda c: (c.plan_id, c.person_id)).items():
        sheets.sort(key=lambda c: (c.submitted_at, c.submission_id))
        for earlier, later in itertools.pairwise(sheets):
            if later.scores != earlier.scores and later.submitted_at.date() >= earlier.published_on:
                yield _changed(
                    facts,
                    later,
                    earlier,
                    f"同一计划公示后重新报送，成绩由 {_scores(earlier.scores)} 改为 {_scores(later.scores)}",
                )


def _scores(scores: tuple[float | None, float | None, float | None]) -> str:
    return "/".join("—" if s is None else f"{s:g}" for s in scores)


def _changed(facts: Facts, cand: CandidateFacts, earlier: CandidateFacts | None, summary: str) -> Finding:
    rows = [c for c in (earlier, cand) if c is not None]
    return Finding(
        "scores_changed_after_publicity",
        (common.person(facts, cand.person_id), _organisation(cand.organisation_code)),
        f"{summary}（{cand.occupation_code} {cand.level} 级）",
        tuple(
            Evidence(
                "entry" if c.file_entry_id else "candidate",
                str(c.file_entry_id or c.public_id),
                f"成绩单 {c.submission_id[:8]}，公示于 {c.published_on}",
                facts.person_ref(c.person_id),
            )
            for c in rows
        ),
        cand.city_code,
    )
