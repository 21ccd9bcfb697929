"""Exactly once under concurrency (issue 13, decision 032): two processes claim at the same moment,
over HTTP, against one database (SQLite and PostgreSQL): one claim is accepted, never two."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from credential_service.certificates import service as certificates
from credential_service.core.config import Settings
from credential_service.identity import service as identity
from credential_service.identity.models import Person
from credential_service.issuers.models import Issuer
from credential_service.platform.tokens import Principal, Role, mint_token
from credential_service.runtime import Runtime
from credential_service.subsidies import service as rule_sets
from credential_service.subsidies.models import SubsidyClaim
from credential_service.subsidies.rules import Employment
from credential_service.subsidies.social_insurance import record_demo_facts
from tests.conftest import BASE_URL
from tests.factories import holder, issue_certificate
from tests.integration.test_numbering import ROOT, _worker_env


def _claimant(runtime: Runtime, who: certificates.Holder) -> str:
    """The worker's token; their file opened, insured and rules loaded."""
    key = runtime.settings.data_key_bytes
    with runtime.session() as session:
        rule_sets.ensure_shipped_rule_sets(session, actor="test")
        person = identity.register_person(
            session, key, identity.identify("resident_id", who.id_number), who.name
        )
        record_demo_facts(
            session,
            key,
            person,
            insured_months=24,
            employment=Employment.ENTERPRISE_EMPLOYEE,
            card_account="6217000010001234567",
        )
    principal = Principal(
        Role.WORKER, f"worker:{person.public_id}", frozenset({"file:read", "L2"}), person.public_id
    )
    return mint_token(runtime.keystore, issuer=BASE_URL, audience=BASE_URL, principal=principal, minutes=5)


def _race(settings: Settings, tmp_path: Path, token: str, numbers: list[str]) -> list[list[str]]:
    """Each certificate claimed by its own process, the requests released together."""
    go = tmp_path / "go"
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.integration.claim_worker",
                "--token",
                token,
                "--certificate",
                n,
                "--go",
                str(go),
            ],
            env=_worker_env(settings),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for n in numbers
    ]
    for worker in workers:
        assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
    go.touch()
    outputs = [w.communicate(timeout=120) for w in workers]
    assert all(w.returncode == 0 for w in workers), [err[-2000:] for _, err in outputs]
    return [out.split() for out, _ in outputs]


def _claims(runtime: Runtime) -> list[SubsidyClaim]:
    with runtime.session() as session:
        return list(session.scalars(select(SubsidyClaim).order_by(SubsidyClaim.id)))


def test_the_same_certificate_claimed_twice_at_once_gives_one_claim(
    runtime: Runtime, settings: Settings, organisation: Issuer, tmp_path: Path
) -> None:
    who = holder()
    number = issue_certificate(runtime, organisation, who=who).certificate_number or ""
    token = _claimant(runtime, who)
    answers = _race(settings, tmp_path, token, [number, number])
    assert sorted(a[0] for a in answers) == ["200", "201"], answers
    assert answers[0][1] == answers[1][1]  # both answer with the one claim
    (claim,) = _claims(runtime)
    assert claim.public_id == answers[0][1] and claim.state == "eligible"


def test_two_certificates_claimed_at_once_fill_a_yearly_cap_of_one_once(
    runtime: Runtime, settings: Settings, organisation: Issuer, tmp_path: Path
) -> None:
    """2025 rules: one 技能提升补贴 a year outside the shortage list; two claims released together on
    two certificates give one accepted claim, and the other is refused by the cap."""
    who = holder()
    numbers = [
        issue_certificate(runtime, organisation, who=who, occupation=code).certificate_number or ""
        for code in ("6-31-01-03", "6-18-01-01")
    ]
    token = _claimant(runtime, who)
    answers = _race(settings, tmp_path, token, numbers)
    assert [a[0] for a in answers] == ["201", "201"], answers
    assert sorted(a[2] for a in answers) == ["eligible", "refused"], answers
    claims = _claims(runtime)
    assert len(claims) == 2 and sorted(c.state for c in claims) == ["eligible", "refused"]
    refused = next(c for c in claims if c.state == "refused")
    assert refused.yearly_slot is None and '"within_yearly_cap", "outcome": "failed"' in refused.decision_json
    with runtime.session() as session:
        assert session.get(Person, refused.person_id) is not None
