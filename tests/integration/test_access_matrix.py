"""The access matrix: every route of ``create_app()`` × every kind of caller gets exactly the
expected status.

Callers: no token, an expired token, a token for another audience (both an administrator's), worker
A and B, training institution A and B, evaluation organisation A and B, an administrator, an auditor.
Objects in the URLs are tenant A's, so B is "another tenant": the service's rule is that another
tenant's object is *not found* (404), exactly as one that does not exist, so nobody can probe which
ids or certificate numbers exist; a role that may never call a route gets 403; a missing or bad token
401. Pages answer a caller without the right session with a redirect to their sign-in page (303);
a signed-in auditor posting an administrator's form gets 403.

API routes get the caller's token as ``Authorization: Bearer``, pages as the session cookie. Every
request is well-formed (a valid body; a fresh target where the caller may succeed), so the answer is
about access, not validation. Every route must have a row in ``EXPECTED``: a route added without
one fails ``test_every_route_has_a_row``.

Runs on SQLite only: one module-wide database with real data, about 1,300 requests; the database
layer is tested on both backends elsewhere, and the rules here live above it.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from credential_service.app import create_app
from credential_service.assessment.organisations import clients as org_clients
from credential_service.assessment.organisations import service as organisations
from credential_service.assessment.organisations.rules import ScopeRowInput
from credential_service.assessment.workflow.models import ResultSubmission
from credential_service.certificates import holders, qr_codes
from credential_service.certificates import service as certificates
from credential_service.certificates.rules import SkillLevel
from credential_service.certificates.status import service as status_changes
from credential_service.certificates.status.rules import Actor, StatusAction
from credential_service.core.clock import utcnow
from credential_service.core.config import Settings
from credential_service.crypto.jsonld import PINNED_CONTEXTS
from credential_service.crypto.multibase import encode_ed25519_public_key
from credential_service.demo import demo_credit_code, demo_id_number, demo_name
from credential_service.identity import service as identity
from credential_service.identity.clients.models import ClientAuthMethod
from credential_service.identity.signin import staff as staff_signin
from credential_service.identity.signin.assertions import AssertedIdentity, dev_assertion
from credential_service.issuers import service as issuers
from credential_service.platform.tokens import (
    ORGANISATION_SCOPES,
    Principal,
    Role,
    ensure_token_key,
    mint_token,
)
from credential_service.records.training import institutions
from credential_service.records.training import signin as institution_signin
from credential_service.records.training.models import RosterMember, TrainingClass
from credential_service.runtime import Runtime, build_runtime
from credential_service.subsidies import claims as subsidy_claims
from credential_service.subsidies import decisions as subsidy_decisions
from credential_service.subsidies import service as subsidy_rule_sets
from credential_service.subsidies.rules import Employment
from credential_service.subsidies.social_insurance import record_demo_facts
from credential_service.supervision import service as supervision
from credential_service.supervision.rules.cases import Finding, Subject, SubjectType
from credential_service.supervision.rules.registry import CHECKS
from credential_service.verification.pages.bulk import seal_results
from credential_service.web.http import FORM_COOKIE, SESSION_COOKIE, csrf_token, form_csrf_token
from credential_service.worker import service as worker
from tests.conftest import BASE_URL
from tests.factories import holder, plain_credential
from tests.integration.test_vcdm2_presentations import CHALLENGE, DOMAIN, HOLDER, sign_as_the_suite

# --- who calls ------------------------------------------------------------------------------------

NONE, EXPIRED, WRONG_AUDIENCE = "none", "expired", "wrong_audience"
WORKER_A, WORKER_B = "worker_a", "worker_b"
INSTITUTION_A, INSTITUTION_B = "institution_a", "institution_b"
ORGANISATION_A, ORGANISATION_B = "organisation_a", "organisation_b"
ADMIN, AUDITOR = "admin", "auditor"
CALLERS = (
    NONE,
    EXPIRED,
    WRONG_AUDIENCE,
    WORKER_A,
    WORKER_B,
    INSTITUTION_A,
    INSTITUTION_B,
    ORGANISATION_A,
    ORGANISATION_B,
    ADMIN,
    AUDITOR,
)
NO_VALID_TOKEN = (NONE, EXPIRED, WRONG_AUDIENCE)


@dataclass(frozen=True)
class Expect:
    status: dict[str, int]  # caller → the exact status
    allowed: frozenset[str]  # the callers that succeed (they get a fresh target where it matters)


def public(status: int = 200) -> Expect:
    """Anyone, with or without a token, gets ``status``."""
    return Expect(dict.fromkeys(CALLERS, status), frozenset(CALLERS))


def _succeeding(listed: dict[str, int]) -> frozenset[str]:
    return frozenset(c for c, status in listed.items() if status < 400)


def api(listed: dict[str, int]) -> Expect:
    """``listed`` callers get their status; no valid token 401; every other role 403."""
    return Expect(
        {c: listed.get(c, 401 if c in NO_VALID_TOKEN else 403) for c in CALLERS}, _succeeding(listed)
    )


def page(listed: dict[str, int]) -> Expect:
    """A page: ``listed`` callers get their status; anyone else is sent to a sign-in page (303)."""
    return Expect({c: listed.get(c, 303) for c in CALLERS}, _succeeding(listed))


STAFF_READ = {ADMIN: 200, AUDITOR: 200}
ADMIN_PAGE_WRITE = {ADMIN: 303, AUDITOR: 403}  # the redirect after the post; auditors read only
OWN_CERTIFICATE = {
    ADMIN: 200,
    AUDITOR: 200,
    ORGANISATION_A: 200,
    ORGANISATION_B: 404,
    WORKER_A: 200,
    WORKER_B: 404,
}
CHANGE_CERTIFICATE = {ADMIN: 200, ORGANISATION_A: 200, ORGANISATION_B: 404}
WORKERS = {WORKER_A: 200, WORKER_B: 200}


# --- the data the routes are called on ------------------------------------------------------------

TODAY = date.today()
SCOPE = ScopeRowInput("6-18-02-04", "电焊工", (5, 4, 3), date(2024, 1, 1), date(2029, 12, 31))
SCOPE_JSON = {
    "occupation_code": "6-18-02-04",
    "subtype": "电焊工",
    "levels": [5, 4, 3],
    "valid_from": "2024-01-01",
    "valid_to": "2029-12-31",
}
GROUNDS = {"reason_code": "fraud", "evidence": "晋人社稽〔2026〕3号", "authority": "山西省人社厅"}
LIFT = {"evidence": "复查结论 2026-07", "authority": "山西省人社厅"}
SHEET_HEADER = "证件类型,证件号码,姓名,理论知识成绩,技能操作成绩,综合评审成绩\n"


@dataclass
class Call:
    method: str
    path: str
    json: Any = None
    data: dict[str, Any] | None = None
    files: dict[str, Any] | None = None
    params: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)


@dataclass
class World:
    runtime: Runtime
    client: TestClient
    tokens: dict[str, str]
    org_a: str
    org_b: str
    org_c: str  # an organisation whose status the administrator changes
    institution_a: str
    institution_b: str
    institution_c: str  # an institution whose status the administrator changes
    person_a: str
    holder_a: certificates.Holder
    holder_b: certificates.Holder
    number_a: str  # worker A's certificate from organisation A: its files are read, never changed
    credential_a: dict[str, Any]
    status_list: str
    qr_token: str
    share_token: str
    client_a: dict[str, str]
    plan_a: str
    issued_batch: str  # organisation A's, publicity over and issued
    publicity_batch: str  # organisation A's, under publicity
    candidate: str  # under publicity
    class_a: str
    checkpoint_size: int
    claim_a: str = ""  # worker A's 技能提升补贴 claim on number_a (waiting: the source cannot tell)
    counter: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    rng: random.Random = field(default_factory=lambda: random.Random(606))

    def n(self) -> int:
        return next(self.counter)

    @cached_property
    def presentation_a(self) -> dict[str, Any]:
        """Worker A's certificate presented from a wallet (a did:key holder), signed once."""
        return sign_as_the_suite(
            {
                "@context": ["https://www.w3.org/ns/credentials/v2"],
                "type": ["VerifiablePresentation"],
                "holder": HOLDER,
                "verifiableCredential": [self.credential_a],
            }
        )

    def csrf(self, who: str) -> str:
        return csrf_token(self.tokens.get(who, "no session"))

    def as_org(self, code: str) -> dict[str, str]:
        principal = Principal(Role.ORGANISATION, f"org:{code}", ORGANISATION_SCOPES, tenant=code)
        return {"Authorization": f"Bearer {_token(self.runtime, principal)}"}

    def ok(self, response: Any, status: int) -> Any:
        assert response.status_code == status, response.text
        self.client.cookies.clear()
        return response

    # Fresh targets for the callers that may succeed (the others are refused before touching them).

    def fresh_certificate(self, org: str | None = None) -> str:
        with self.runtime.session() as session:
            record = certificates.issue_skill_certificate(
                session,
                self.runtime.keystore,
                self.runtime.issuance,
                issuer=issuers.get_issuer(session, org or self.org_a),
                holder=holder(),
                occupation=_welding(),
                level=SkillLevel.LEVEL_4,
                data_key=self.runtime.settings.data_key_bytes,
                exam_date=TODAY - timedelta(days=20),
            )
            return record.certificate_number or ""

    def suspended_certificate(self) -> str:
        number = self.fresh_certificate()
        with self.runtime.session() as session:  # suspended by the organisation: it and staff may lift it
            status_changes.change_status(
                session,
                Actor("organisation", f"org:{self.org_a}", self.org_a),
                number,
                StatusAction.SUSPEND,
                reason="inspection_order",
                evidence="现场检查记录",
                authority="评价站",
            )
        return number

    def fresh_plan(self, org: str | None = None) -> str:
        ref = f"M-{self.n()}"
        body = _plan_body(ref)
        self.ok(self.client.post("/api/v1/plans", json=body, headers=self.as_org(org or self.org_a)), 201)
        return ref

    def submission(self, *, issued: bool) -> str:
        plan = self.fresh_plan()
        rows = {"rows": [self.result_row()]}
        report = self.ok(
            self.client.post(f"/api/v1/plans/{plan}/results", json=rows, headers=self.as_org(self.org_a)), 201
        ).json()
        if issued:
            with self.runtime.session() as session:
                session.execute(
                    update(ResultSubmission)
                    .where(ResultSubmission.public_id == report["public_id"])
                    .values(publicity_ends_on=TODAY - timedelta(days=1))
                )
            path = f"/api/v1/submissions/{report['public_id']}/issue"
            self.ok(self.client.post(path, headers=self.as_org(self.org_a)), 200)
        return str(report["public_id"])

    def result_row(self) -> dict[str, Any]:
        return {
            "document_type": "resident_id",
            "id_number": demo_id_number(self.rng),
            "name": demo_name(self.rng),
            "theory": 80,
            "skill": 85,
        }

    def sheet(self) -> bytes:
        return (
            SHEET_HEADER + f"居民身份证,{demo_id_number(self.rng)},{demo_name(self.rng)},80,85,\n"
        ).encode()

    def share_link_id(self) -> str:
        with self.runtime.session() as session:
            person = identity.get_person(session, self.person_a)
            return worker.create_share_link(
                session, person, certificate_number=self.number_a, days=7
            ).link.public_id

    def fresh_class(self, *, enrolled: bool) -> str:
        ref = f"M-CLASS-{self.n()}"
        headers = _bearer(self.runtime, _institution(self.institution_a))
        self.ok(
            self.client.post("/api/v1/classes", json=_class_body(ref, [self.holder_a]), headers=headers), 201
        )
        if enrolled:
            body = {
                "enrolments": [
                    {**_trainee(self.holder_a), "enrolled_on": (TODAY - timedelta(days=30)).isoformat()}
                ]
            }
            self.ok(self.client.post(f"/api/v1/classes/{ref}/enrolments", json=body, headers=headers), 201)
        return ref

    def roster_member(self, class_ref: str) -> str:
        """The number the class page gives worker A on a class of institution A's roster."""
        with self.runtime.session() as session:
            member = session.scalar(
                select(RosterMember.id)
                .join(TrainingClass, TrainingClass.id == RosterMember.class_id)
                .where(TrainingClass.class_ref == class_ref)
            )
        return str(member)

    def fresh_case(self) -> str:
        """A new open supervision case (about an institution of its own)."""
        code = demo_credit_code(random.Random(), "140100")
        finding = Finding("volume_spike", (Subject(SubjectType.INSTITUTION, code),), "矩阵测试")
        with self.runtime.session() as session:
            supervision.open_cases(
                session, CHECKS["volume_spike"], [finding], opened_by="matrix", now=utcnow()
            )
            return supervision.list_cases(session, supervision.CaseFilter())[0][0].case_id

    def completed_class(self) -> str:
        """A fresh ended class of institution A whose one trainee (worker A) has a completion."""
        ref = self.fresh_class(enrolled=True)
        completion = {
            **_trainee(self.holder_a),
            "attended_hours": 110,
            "result": "pass",
            "score": 88,
            "completed_on": (TODAY - timedelta(days=5)).isoformat(),
        }
        headers = _bearer(self.runtime, _institution(self.institution_a))
        path = f"/api/v1/classes/{ref}/completions"
        self.ok(self.client.post(path, json={"completions": [completion]}, headers=headers), 201)
        return ref

    def fresh_claim(self, *, paid_and_revoked: bool = False) -> str:
        """A new person's 技能提升补贴 claim, waiting for an officer; or paid, its certificate then
        revoked (a recovery to resolve)."""
        who = holder()
        number = self.fresh_certificate_of(who)
        key = self.runtime.settings.data_key_bytes
        with self.runtime.session() as session:
            person = identity.register_person(
                session, key, identity.identify("resident_id", who.id_number), ""
            )
            if paid_and_revoked:
                record_demo_facts(
                    session,
                    key,
                    person,
                    insured_months=24,
                    employment=Employment.ENTERPRISE_EMPLOYEE,
                    card_account="6217000010001234567",
                )
            claim = subsidy_claims.claim_skill_upgrade(
                session,
                self.runtime.social_insurance,
                data_key=key,
                person=person,
                certificate_number=number,
                actor="matrix",
            ).claim
            if paid_and_revoked:
                subsidy_decisions.decide(
                    session,
                    self.runtime.social_insurance,
                    data_key=key,
                    claim_id=claim.public_id,
                    approve=True,
                    reason="材料齐全",
                    officer="admin:matrix",
                )
                status_changes.change_status(
                    session,
                    Actor("admin", "admin:matrix"),
                    number,
                    StatusAction.REVOKE,
                    reason="fraud",
                    evidence="晋人社稽〔2026〕3号",
                    authority="山西省人社厅",
                )
            return claim.public_id

    def fresh_certificate_of(self, who: certificates.Holder) -> str:
        with self.runtime.session() as session:
            record = certificates.issue_skill_certificate(
                session,
                self.runtime.keystore,
                self.runtime.issuance,
                issuer=issuers.get_issuer(session, self.org_a),
                holder=who,
                occupation=_welding(),
                level=SkillLevel.LEVEL_4,
                data_key=self.runtime.settings.data_key_bytes,
                exam_date=TODAY - timedelta(days=20),
            )
            return record.certificate_number or ""

    def objection(self) -> str:
        answer = self.client.post(
            f"/api/v1/publicity/{self.candidate}/objections",
            json={"reason": "考试时有他人替考的情况，请核查"},
        )
        return str(self.ok(answer, 201).json()["objection_id"])

    def client_id(self) -> str:
        path = f"/api/v1/organisations/{self.org_a}/clients"
        return str(
            self.ok(self.client.post(path, json={}, headers=_bearer(self.runtime, _admin())), 201).json()[
                "client_id"
            ]
        )

    def client_key(self) -> str:
        path = f"/api/v1/organisations/{self.org_a}/client-keys"
        answer = self.client.post(path, json=_key_body(), headers=_bearer(self.runtime, _admin()))
        return str(self.ok(answer, 201).json()["kid"])

    def staged_upload(self, who: str) -> str:
        """Organisation A's checked sheet, staged by the upload page; its digest confirms it."""
        content = self.sheet()
        answer = self.client.post(
            "/org/upload",
            data={"csrf": self.csrf(who), "plan_ref": self.plan_a},
            files={"file": ("results.csv", content, "text/csv")},
            headers={"Cookie": f"{SESSION_COOKIE}={self.tokens[who]}"},
        )
        self.ok(answer, 200)
        return hashlib.sha256(content).hexdigest()


def _welding() -> Any:
    from credential_service.assessment.occupations.rules import builtin_occupation

    return builtin_occupation("6-18-02-04")


def _token(runtime: Runtime, principal: Principal, **kwargs: Any) -> str:
    options: dict[str, Any] = {"issuer": BASE_URL, "audience": BASE_URL, "minutes": 30, **kwargs}
    return mint_token(runtime.keystore, principal=principal, **options)


def _bearer(runtime: Runtime, principal: Principal) -> dict[str, str]:
    return {"Authorization": f"Bearer {_token(runtime, principal)}"}


def _admin() -> Principal:
    return Principal(Role.ADMIN, "admin:matrix", frozenset({"admin"}))


def _institution(code: str) -> Principal:
    return Principal(Role.INSTITUTION, f"institution:{code}", frozenset({"train"}), tenant=code)


def _trainee(who: certificates.Holder) -> dict[str, str]:
    return {"document_type": who.document_type.value, "id_number": who.id_number, "name": who.name}


def _class_body(ref: str, people: list[certificates.Holder]) -> dict[str, Any]:
    return {
        "class_ref": ref,
        "occupation_code": "6-18-02-04",
        "subtype": "电焊工",
        "target_level": 4,
        "training_type": "skill_upgrade",
        "start_date": (TODAY - timedelta(days=40)).isoformat(),
        "end_date": (TODAY - timedelta(days=5)).isoformat(),
        "planned_hours": 120,
        "roster": [_trainee(p) for p in people],
    }


def _plan_body(ref: str) -> dict[str, Any]:
    return {
        "plan_ref": ref,
        "occupation_code": "6-18-02-04",
        "subtype": "电焊工",
        "level": 4,
        "exam_start": (TODAY - timedelta(days=22)).isoformat(),
        "exam_end": (TODAY - timedelta(days=20)).isoformat(),
        "examiners": [{"name": "赵考评", "certificate_number": "KP1400012345"}],
    }


def _key_body() -> dict[str, str]:
    raw = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    return {"public_key_multibase": encode_ed25519_public_key(raw)}


def _register_organisation(runtime: Runtime, site: str, seed: int) -> str:
    with runtime.session() as session:
        return organisations.register_organisation(
            session,
            runtime.keystore,
            runtime.settings,
            org_type="S",
            credit_code=demo_credit_code(random.Random(seed), "140100"),
            name=f"山西省焊接技能评价站{site}",
            mohrss_code="0000",
            site_serial=site,
            scope=[SCOPE],
            actor="admin:matrix",
        ).code


def _register_institution(runtime: Runtime, seed: int) -> str:
    code = demo_credit_code(random.Random(seed), "140100")
    with runtime.session() as session:
        institutions.register_institution(
            session,
            credit_code=code,
            name=f"太原市焊接培训学校{seed}",
            city_code="140100",
            approved_projects=[("6-18-02-04", None)],
        )
    return code


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("matrix")
    shutil.copy(sqlite_template, tmp / "db.sqlite3")
    settings = Settings(
        environment="test",
        database_url=f"sqlite:///{tmp / 'db.sqlite3'}",
        keystore_dir=tmp / "keys",
        keystore_passphrase="test passphrase",
        public_base_url=BASE_URL,
        verify_queries_per_minute=100_000,  # one look-up per caller, not a rate-limit test
        verify_bulk_rows_per_hour=100_000,
        signin_attempts_per_minute=100_000,
        objections_per_hour=100_000,
    )
    runtime = build_runtime(settings)
    ensure_token_key(runtime.keystore)
    with runtime.session() as session:
        issuers.ensure_platform_issuer(session, runtime.keystore, public_base_url=BASE_URL)
    org_a, org_b, org_c = (_register_organisation(runtime, f"99010{i}", i) for i in (1, 2, 3))
    inst_a, inst_b, inst_c = (_register_institution(runtime, 700 + i) for i in (1, 2, 3))
    holder_a, holder_b = holder(), holder()
    with runtime.session() as session:
        for who, org in ((holder_a, org_a), (holder_b, org_b)):
            certificates.issue_skill_certificate(
                session,
                runtime.keystore,
                runtime.issuance,
                issuer=issuers.get_issuer(session, org),
                holder=who,
                occupation=_welding(),
                level=SkillLevel.LEVEL_4,
                data_key=settings.data_key_bytes,
                exam_date=TODAY - timedelta(days=30),
            )
        key = settings.data_key_bytes
        person_a = identity.register_person(
            session, key, identity.identify("resident_id", holder_a.id_number), ""
        )
        person_b = identity.register_person(
            session, key, identity.identify("resident_id", holder_b.id_number), ""
        )
        record = holders.certificates_of_holder(session, person_a.id_blind_index)[0]
        number_a, credential_a = record.certificate_number or "", record.credential_json
        qr = qr_codes.certificate_qr(session, runtime.keystore, record, public_base_url=BASE_URL)
        status_list = next(
            entry["statusListCredential"].rsplit("/", 1)[1]
            for entry in json.loads(credential_a)["credentialStatus"]
        )
        share = worker.create_share_link(session, person_a, certificate_number=number_a, days=30)
        subsidy_rule_sets.ensure_shipped_rule_sets(session, actor="admin:matrix")
        claim_a = subsidy_claims.claim_skill_upgrade(
            session,
            runtime.social_insurance,
            data_key=key,
            person=person_a,
            certificate_number=number_a,
            actor="matrix",
        ).claim.public_id
        client_a = org_clients.create_client(
            session, org_a, ClientAuthMethod.CLIENT_SECRET, public_base_url=BASE_URL, actor="admin:matrix"
        )
        ids = (person_a.public_id, person_b.public_id)
    admin = _admin()
    tokens = {
        EXPIRED: _token(runtime, admin, now=utcnow() - timedelta(hours=2), minutes=5),
        WRONG_AUDIENCE: _token(runtime, admin, audience="https://elsewhere.example"),
        WORKER_A: _token(
            runtime, Principal(Role.WORKER, f"worker:{ids[0]}", frozenset({"file:read", "L2"}), ids[0])
        ),
        WORKER_B: _token(
            runtime, Principal(Role.WORKER, f"worker:{ids[1]}", frozenset({"file:read", "L2"}), ids[1])
        ),
        INSTITUTION_A: _token(runtime, _institution(inst_a)),
        INSTITUTION_B: _token(runtime, _institution(inst_b)),
        ORGANISATION_A: _token(
            runtime, Principal(Role.ORGANISATION, f"org:{org_a}", ORGANISATION_SCOPES, org_a)
        ),
        ORGANISATION_B: _token(
            runtime, Principal(Role.ORGANISATION, f"org:{org_b}", ORGANISATION_SCOPES, org_b)
        ),
        ADMIN: _token(runtime, admin),
        AUDITOR: _token(runtime, Principal(Role.AUDITOR, "auditor:matrix", frozenset({"audit"}))),
    }
    with TestClient(create_app(runtime=runtime), base_url=BASE_URL) as client:
        world = World(
            runtime=runtime,
            client=client,
            tokens=tokens,
            org_a=org_a,
            org_b=org_b,
            org_c=org_c,
            institution_a=inst_a,
            institution_b=inst_b,
            institution_c=inst_c,
            person_a=ids[0],
            holder_a=holder_a,
            holder_b=holder_b,
            number_a=number_a,
            credential_a=json.loads(credential_a),
            status_list=status_list,
            qr_token=qr.url.rsplit("/v/", 1)[1],
            share_token=share.token,
            client_a={"client_id": client_a.client_id, "client_secret": client_a.client_secret or ""},
            plan_a="",
            issued_batch="",
            publicity_batch="",
            candidate="",
            class_a="",
            checkpoint_size=0,
            claim_a=claim_a,
        )
        world.plan_a = world.fresh_plan()
        world.issued_batch = world.submission(issued=True)
        world.publicity_batch = world.submission(issued=False)
        listed = client.get("/api/v1/publicity", params={"limit": 500}).json()
        world.candidate = next(c["candidate_id"] for c in listed)
        world.class_a = world.fresh_class(enrolled=True)
        world.checkpoint_size = client.get("/log/checkpoint").json()["treeSize"]
        yield world
    runtime.close()


# --- the expectations -----------------------------------------------------------------------------

Build = Callable[[World, str, bool], Call]


@dataclass(frozen=True)
class Row:
    build: Build  # (world, caller, whether the caller may succeed) → the request
    expect: Expect


def _plan_form(w: World) -> dict[str, Any]:
    """The organisation's plan form (/org/plans/new) with a fresh reference."""
    body = _plan_body(f"M-PAGE-{w.n()}")
    return {
        "plan_ref": body["plan_ref"],
        "choice": f"{body['occupation_code']}|{body['level']}|{body['subtype']}",
        "exam_start": body["exam_start"],
        "exam_end": body["exam_end"],
        "examiner_name": "钱考评",
        "examiner_number": "KP770001",
    }


def _payments_sheet(w: World) -> bytes:
    """A payments import of one row, on a certificate number nobody holds."""
    header = "补贴类型,证件类型,证件号码,姓名,证书编号,发放金额（元）,发放日期,收款账号,支付流水号"
    who = f"技能提升补贴,居民身份证,{w.holder_a.id_number},{w.holder_a.name}"
    row = f"{who},S000014010001263000001,2000.00,2026-11-20,6217000010001234567,MATRIX-1"
    return f"{header}\n{row}\n".encode()


def _form(w: World, who: str, **fields: Any) -> dict[str, Any]:
    """A signed-in page's form: the CSRF value bound to the caller's session."""
    return {"csrf": w.csrf(who), **fields}


FORM_NONCE = "matrix-form-nonce-0001"


def _before_session(path: str, w: World, **fields: Any) -> Call:
    """A form posted before there is a session (sign-in, objection), with its signed double submit."""
    data = {"csrf": form_csrf_token(w.runtime, FORM_NONCE), **fields}
    return Call("POST", path, data=data, cookies={FORM_COOKIE: FORM_NONCE})


def _institution_link(w: World) -> str:
    with w.runtime.session() as session:
        link = institution_signin.signin_link(
            session, w.runtime.keystore, w.runtime.settings, w.institution_a
        )
    return link.split("token=", 1)[1]


def _class_form(w: World) -> dict[str, str]:
    return {
        "class_ref": f"M-PAGE-{w.n()}",
        "occupation_code": "6-18-02-04",
        "training_type": "skill_upgrade",
        "start_date": (TODAY - timedelta(days=40)).isoformat(),
        "end_date": (TODAY - timedelta(days=5)).isoformat(),
        "planned_hours": "120",
    }


def _roster_sheet() -> bytes:
    """A roster of one new person (each upload lists someone not yet on the class)."""
    who = holder()
    return f"证件类型,证件号码,姓名\n居民身份证,{who.id_number},{who.name}\n".encode()


def _page_posting(w: World, who: str, ok: bool, what: str) -> Call:
    """Attendance or a completion from the class page, for worker A on a fresh class of institution A."""
    ref = w.fresh_class(enrolled=True) if ok else w.class_a
    member = w.roster_member(ref) if ok else "1"
    day = (TODAY - timedelta(days=20)).isoformat()
    if what == "attendance":
        fields = {"day": day, "time": f"09:{w.n() % 60:02d}", "place": "培训基地", "method": "face"}
    else:
        fields = {"completed_on": day, "hours": "100", "result": "pass", "score": ""}
    return Call("POST", f"/institution/classes/{ref}/{what}", data=_form(w, who, member=member, **fields))


def _certificate_call(method: str, suffix: str, body: Callable[[World, str], Any] | None = None) -> Build:
    """A change of a certificate: a fresh one of organisation A for each caller that may succeed."""

    def build(w: World, who: str, ok: bool) -> Call:
        if suffix == "reinstate":
            number = w.suspended_certificate() if ok else w.number_a
        else:
            number = w.fresh_certificate() if ok else w.number_a
        return Call(method, f"/api/v1/certificates/{number}/{suffix}", json=body(w, who) if body else None)

    return build


EXPECTED: dict[tuple[str, str], Row] = {
    # --- service, schemas, contexts, documentation: public
    ("GET", "/openapi.json"): Row(lambda w, who, ok: Call("GET", "/openapi.json"), public()),
    ("GET", "/docs"): Row(lambda w, who, ok: Call("GET", "/docs"), public()),
    ("GET", "/healthz"): Row(lambda w, who, ok: Call("GET", "/healthz"), public()),
    # Metrics: loopback scrapers and the CS_METRICS_TOKEN holder only; no user token opens them.
    ("GET", "/metrics"): Row(lambda w, who, ok: Call("GET", "/metrics"), public(403)),
    ("GET", "/schemas/{name}"): Row(
        lambda w, who, ok: Call("GET", "/schemas/skill-certificate-v1.json"), public()
    ),
    ("GET", "/contexts"): Row(lambda w, who, ok: Call("GET", "/contexts"), public()),
    ("GET", "/contexts/{name}"): Row(
        lambda w, who, ok: Call("GET", f"/contexts/{next(iter(PINNED_CONTEXTS.values()))}"), public()
    ),
    ("GET", "/"): Row(lambda w, who, ok: Call("GET", "/"), public()),
    # --- issuers' DID documents and key lifecycles: public
    ("GET", "/.well-known/did.json"): Row(lambda w, who, ok: Call("GET", "/.well-known/did.json"), public()),
    ("GET", "/.well-known/keys.json"): Row(
        lambda w, who, ok: Call("GET", "/.well-known/keys.json"), public()
    ),
    ("GET", "/orgs/{org_code}/did.json"): Row(
        lambda w, who, ok: Call("GET", f"/orgs/{w.org_a}/did.json"), public()
    ),
    ("GET", "/orgs/{org_code}/keys.json"): Row(
        lambda w, who, ok: Call("GET", f"/orgs/{w.org_a}/keys.json"), public()
    ),
    ("GET", "/orgs/{code}/endorsement.json"): Row(
        lambda w, who, ok: Call("GET", f"/orgs/{w.org_a}/endorsement.json"), public()
    ),
    # --- credentials and certificates
    ("POST", "/credentials/issue"): Row(
        lambda w, who, ok: Call(
            "POST",
            "/credentials/issue",
            json={
                "credential": plain_credential()  # the platform's: decision 022
            },
        ),
        api({ADMIN: 201}),
    ),
    ("GET", "/status/{list_id}"): Row(lambda w, who, ok: Call("GET", f"/status/{w.status_list}"), public()),
    ("GET", "/api/v1/certificates/{certificate_number}/credential.json"): Row(
        lambda w, who, ok: Call("GET", f"/api/v1/certificates/{w.number_a}/credential.json"),
        api(OWN_CERTIFICATE),
    ),
    ("GET", "/api/v1/certificates/{certificate_number}/qr.{image_format}"): Row(
        lambda w, who, ok: Call("GET", f"/api/v1/certificates/{w.number_a}/qr.png"), api(OWN_CERTIFICATE)
    ),
    ("GET", "/api/v1/certificates/{certificate_number}/certificate.pdf"): Row(
        lambda w, who, ok: Call("GET", f"/api/v1/certificates/{w.number_a}/certificate.pdf"),
        api(OWN_CERTIFICATE),
    ),
    ("GET", "/api/v1/certificates/{certificate_number}/status-history"): Row(
        lambda w, who, ok: Call("GET", f"/api/v1/certificates/{w.number_a}/status-history"),
        api(OWN_CERTIFICATE),
    ),
    ("POST", "/api/v1/certificates/{certificate_number}/revoke"): Row(
        _certificate_call("POST", "revoke", lambda w, who: GROUNDS), api(CHANGE_CERTIFICATE)
    ),
    ("POST", "/api/v1/certificates/{certificate_number}/suspend"): Row(
        _certificate_call("POST", "suspend", lambda w, who: {**GROUNDS, "reason_code": "inspection_order"}),
        api(CHANGE_CERTIFICATE),
    ),
    ("POST", "/api/v1/certificates/{certificate_number}/reinstate"): Row(
        _certificate_call("POST", "reinstate", lambda w, who: LIFT), api(CHANGE_CERTIFICATE)
    ),
    ("POST", "/api/v1/certificates/{certificate_number}/supersede"): Row(
        _certificate_call("POST", "supersede", lambda w, who: {"holder_name": "更正名", **LIFT}),
        api({ADMIN: 201, ORGANISATION_A: 201, ORGANISATION_B: 404}),
    ),
    ("POST", "/api/v1/batches/{batch_id}/revoke"): Row(
        lambda w, who, ok: Call(
            "POST",
            f"/api/v1/batches/{w.submission(issued=True) if ok else w.issued_batch}/revoke",
            json=GROUNDS,
        ),
        api(CHANGE_CERTIFICATE),
    ),
    # --- verification: public
    ("POST", "/credentials/verify"): Row(
        lambda w, who, ok: Call("POST", "/credentials/verify", json={"verifiableCredential": w.credential_a}),
        public(),
    ),
    ("POST", "/presentations/verify"): Row(
        lambda w, who, ok: Call(
            "POST",
            "/presentations/verify",
            json={
                "verifiablePresentation": w.presentation_a,
                "options": {"challenge": CHALLENGE, "domain": DOMAIN},
            },
        ),
        public(),
    ),
    ("GET", "/api/v1/trust-bundle"): Row(lambda w, who, ok: Call("GET", "/api/v1/trust-bundle"), public()),
    ("GET", "/api/v1/verify/{token}"): Row(
        lambda w, who, ok: Call("GET", f"/api/v1/verify/{w.qr_token}"), public()
    ),
    ("POST", "/api/v1/verify/query"): Row(
        lambda w, who, ok: Call(
            "POST", "/api/v1/verify/query", json={"certificateNumber": w.number_a, "name": w.holder_a.name}
        ),
        public(),
    ),
    ("POST", "/api/v1/verify/bulk"): Row(
        lambda w, who, ok: Call(
            "POST",
            "/api/v1/verify/bulk",
            json={"items": [{"certificateNumber": w.number_a, "name": w.holder_a.name}]},
        ),
        public(),
    ),
    ("GET", "/v/{token}"): Row(lambda w, who, ok: Call("GET", f"/v/{w.qr_token}"), public()),
    # --- the employer's and HR clerk's pages: public forms with the pre-session CSRF protection
    ("GET", "/check"): Row(lambda w, who, ok: Call("GET", "/check"), public()),
    ("POST", "/check"): Row(
        lambda w, who, ok: _before_session(
            "/check", w, by="number", certificate_number=w.number_a, name=w.holder_a.name
        ),
        public(),
    ),
    ("GET", "/check/bulk"): Row(lambda w, who, ok: Call("GET", "/check/bulk"), public()),
    ("POST", "/check/bulk"): Row(
        lambda w, who, ok: replace(
            _before_session("/check/bulk", w),
            files={"file": ("list.csv", f"证书编号,姓名\n{w.number_a},{w.holder_a.name}\n".encode())},
        ),
        public(),
    ),
    ("POST", "/check/bulk/export"): Row(
        lambda w, who, ok: _before_session(
            "/check/bulk/export", w, format="csv", results=seal_results(w.runtime, [["行号"], ["2"]])
        ),
        public(),
    ),
    ("GET", "/check/bulk/template.{kind}"): Row(
        lambda w, who, ok: Call("GET", "/check/bulk/template.xlsx"), public()
    ),
    # --- transparency log: public
    ("GET", "/log/checkpoint"): Row(lambda w, who, ok: Call("GET", "/log/checkpoint"), public()),
    ("GET", "/log/checkpoints/{size}"): Row(
        lambda w, who, ok: Call("GET", f"/log/checkpoints/{w.checkpoint_size}"), public()
    ),
    ("GET", "/log/proof/inclusion"): Row(
        lambda w, who, ok: Call(
            "GET", "/log/proof/inclusion", params={"credential_id": w.credential_a["id"]}
        ),
        public(),
    ),
    ("GET", "/log/proof/consistency"): Row(
        lambda w, who, ok: Call("GET", "/log/proof/consistency", params={"from": 1, "to": w.checkpoint_size}),
        public(),
    ),
    ("GET", "/log/leaves"): Row(lambda w, who, ok: Call("GET", "/log/leaves", params={"start": 0}), public()),
    # --- workers' sign-in and their own file (the person comes from the token, never the URL)
    ("POST", "/api/v1/auth/assertion"): Row(
        lambda w, who, ok: Call(
            "POST",
            "/api/v1/auth/assertion",
            json={
                "assertion": dev_assertion(
                    w.runtime.keystore,
                    audience=BASE_URL,
                    identity=AssertedIdentity("resident_id", w.holder_a.id_number, w.holder_a.name, "L2"),
                )
            },
        ),
        public(),
    ),
    ("GET", "/api/v1/me"): Row(lambda w, who, ok: Call("GET", "/api/v1/me"), api(WORKERS)),
    ("GET", "/api/v1/me/file"): Row(lambda w, who, ok: Call("GET", "/api/v1/me/file"), api(WORKERS)),
    ("GET", "/api/v1/me/certificates"): Row(
        lambda w, who, ok: Call("GET", "/api/v1/me/certificates"), api(WORKERS)
    ),
    ("GET", "/api/v1/me/verifications"): Row(
        lambda w, who, ok: Call("GET", "/api/v1/me/verifications"), api(WORKERS)
    ),
    ("GET", "/api/v1/me/share-links"): Row(
        lambda w, who, ok: Call("GET", "/api/v1/me/share-links"), api(WORKERS)
    ),
    ("POST", "/api/v1/me/share-links"): Row(
        lambda w, who, ok: Call("POST", "/api/v1/me/share-links", json={"certificate_number": w.number_a}),
        api({WORKER_A: 201, WORKER_B: 404}),  # B cannot share A's certificate
    ),
    ("DELETE", "/api/v1/me/share-links/{link_id}"): Row(
        lambda w, who, ok: Call("DELETE", f"/api/v1/me/share-links/{w.share_link_id()}"),
        api({WORKER_A: 200, WORKER_B: 404}),
    ),
    ("GET", "/api/v1/me/export/data"): Row(
        lambda w, who, ok: Call("GET", "/api/v1/me/export/data"), api(WORKERS)
    ),
    ("GET", "/api/v1/me/export/clr"): Row(
        lambda w, who, ok: Call("GET", "/api/v1/me/export/clr"), api(WORKERS)
    ),
    # --- staff: people's files (auditors read; a reveal is reasoned and audited)
    ("POST", "/api/v1/admin/persons/{person_id}/reveal-id-number"): Row(
        lambda w, who, ok: Call(
            "POST",
            f"/api/v1/admin/persons/{w.person_a}/reveal-id-number",
            json={"reason": "核对补贴发放对象"},
        ),
        api(STAFF_READ),
    ),
    ("POST", "/api/v1/admin/persons/lookup"): Row(
        lambda w, who, ok: Call(
            "POST",
            "/api/v1/admin/persons/lookup",
            json={"document_type": "resident_id", "id_number": w.holder_a.id_number},
        ),
        api(STAFF_READ),
    ),
    ("GET", "/api/v1/admin/persons/{person_id}/file"): Row(
        lambda w, who, ok: Call("GET", f"/api/v1/admin/persons/{w.person_a}/file"), api(STAFF_READ)
    ),
    ("POST", "/api/v1/admin/persons/{person_id}/entries"): Row(
        lambda w, who, ok: Call(
            "POST",
            f"/api/v1/admin/persons/{w.person_a}/entries",
            json={
                "certificate_recorded": {
                    "certificate_type": "培训合格证书",
                    "certificate_number": f"PX2026{w.n():06d}",
                    "title": "电焊工",
                    "issuer": "太原市焊接培训学校",
                    "issued_on": "2026-01-15",
                }
            },
        ),
        api({ADMIN: 201}),
    ),
    # --- the worker's pages (session cookie)
    ("GET", "/signin"): Row(lambda w, who, ok: Call("GET", "/signin"), public()),
    ("POST", "/signin/dev"): Row(
        lambda w, who, ok: _before_session("/signin/dev", w, **_trainee(w.holder_a)), public(303)
    ),
    ("POST", "/signout"): Row(lambda w, who, ok: Call("POST", "/signout", data=_form(w, who)), public(303)),
    ("GET", "/me"): Row(lambda w, who, ok: Call("GET", "/me"), page(WORKERS)),
    ("GET", "/me/certificates/{certificate_number}/credential.json"): Row(
        lambda w, who, ok: Call("GET", f"/me/certificates/{w.number_a}/credential.json"),
        page({WORKER_A: 200, WORKER_B: 404}),
    ),
    ("GET", "/me/certificates/{certificate_number}/certificate.pdf"): Row(
        lambda w, who, ok: Call("GET", f"/me/certificates/{w.number_a}/certificate.pdf"),
        page({WORKER_A: 200, WORKER_B: 404}),
    ),
    ("POST", "/me/share-links"): Row(
        lambda w, who, ok: Call(
            "POST", "/me/share-links", data=_form(w, who, certificate_number=w.number_a, days=7)
        ),
        page({WORKER_A: 201, WORKER_B: 404}),
    ),
    ("POST", "/me/share-links/{link_id}/withdraw"): Row(
        lambda w, who, ok: Call("POST", f"/me/share-links/{w.share_link_id()}/withdraw", data=_form(w, who)),
        page({WORKER_A: 303, WORKER_B: 404}),
    ),
    ("POST", "/me/subsidy-claims"): Row(
        lambda w, who, ok: Call(
            "POST", "/me/subsidy-claims", data=_form(w, who, certificate_number=w.number_a)
        ),
        page({WORKER_A: 303, WORKER_B: 404}),  # A's claim exists: shown again; B's is not theirs
    ),
    ("GET", "/me/export/data.json"): Row(
        lambda w, who, ok: Call("GET", "/me/export/data.json"), page(WORKERS)
    ),
    ("GET", "/me/export/clr.json"): Row(lambda w, who, ok: Call("GET", "/me/export/clr.json"), page(WORKERS)),
    ("GET", "/s/{token}"): Row(lambda w, who, ok: Call("GET", f"/s/{w.share_token}"), public()),
    ("GET", "/s/{token}/{certificate_number}.pdf"): Row(
        lambda w, who, ok: Call("GET", f"/s/{w.share_token}/{w.number_a}.pdf"), public()
    ),
    ("GET", "/s/{token}/{certificate_number}.json"): Row(
        lambda w, who, ok: Call("GET", f"/s/{w.share_token}/{w.number_a}.json"), public()
    ),
    # --- training institutions: the directory (staff) and their own classes
    ("POST", "/api/v1/institutions"): Row(
        lambda w, who, ok: Call(
            "POST",
            "/api/v1/institutions",
            json={
                "credit_code": demo_credit_code(w.rng, "140100"),
                "name": "太原市新开培训学校",
                "city_code": "140100",
                "approved_projects": [{"occupation_code": "6-18-02-04"}],
            },
        ),
        api({ADMIN: 201}),
    ),
    ("GET", "/api/v1/institutions"): Row(
        lambda w, who, ok: Call("GET", "/api/v1/institutions"), api(STAFF_READ)
    ),
    ("GET", "/api/v1/institutions/{credit_code}"): Row(
        lambda w, who, ok: Call("GET", f"/api/v1/institutions/{w.institution_a}"), api(STAFF_READ)
    ),
    ("PUT", "/api/v1/institutions/{credit_code}/status"): Row(
        lambda w, who, ok: Call(
            "PUT",
            f"/api/v1/institutions/{w.institution_c}/status",
            json={"status": "suspended", "reason": "检查"},
        ),
        api({ADMIN: 200}),
    ),
    ("POST", "/api/v1/classes"): Row(
        lambda w, who, ok: Call("POST", "/api/v1/classes", json=_class_body(f"M-NEW-{w.n()}", [w.holder_a])),
        api({INSTITUTION_A: 201, INSTITUTION_B: 201}),  # each opens a class of its own
    ),
    ("GET", "/api/v1/classes"): Row(
        lambda w, who, ok: Call("GET", "/api/v1/classes"), api({INSTITUTION_A: 200, INSTITUTION_B: 200})
    ),
    ("GET", "/api/v1/classes/{class_ref}"): Row(
        lambda w, who, ok: Call("GET", f"/api/v1/classes/{w.class_a}"),
        api({INSTITUTION_A: 200, INSTITUTION_B: 404}),
    ),
    ("POST", "/api/v1/classes/{class_ref}/enrolments"): Row(
        lambda w, who, ok: Call(
            "POST",
            f"/api/v1/classes/{w.fresh_class(enrolled=False) if ok else w.class_a}/enrolments",
            json={
                "enrolments": [
                    {**_trainee(w.holder_a), "enrolled_on": (TODAY - timedelta(days=30)).isoformat()}
                ]
            },
        ),
        api({INSTITUTION_A: 201, INSTITUTION_B: 404}),
    ),
    ("POST", "/api/v1/classes/{class_ref}/attendance"): Row(
        lambda w, who, ok: Call(
            "POST",
            f"/api/v1/classes/{w.class_a}/attendance",
            json={
                "events": [
                    {
                        **_trainee(w.holder_a),
                        "occurred_at": f"{TODAY - timedelta(days=20)}T08:{w.n() % 60:02d}:00+08:00",
                        "place": "太原市小店区培训基地",
                        "method": "face",
                        "match_score": 0.93,
                        "photo_sha256": "ab" * 32,
                    }
                ]
            },
        ),
        api({INSTITUTION_A: 201, INSTITUTION_B: 404}),
    ),
    ("POST", "/api/v1/classes/{class_ref}/completions"): Row(
        lambda w, who, ok: Call(
            "POST",
            f"/api/v1/classes/{w.fresh_class(enrolled=True) if ok else w.class_a}/completions",
            json={
                "completions": [
                    {
                        **_trainee(w.holder_a),
                        "attended_hours": 110,
                        "result": "pass",
                        "score": 88,
                        "completed_on": (TODAY - timedelta(days=5)).isoformat(),
                    }
                ]
            },
        ),
        api({INSTITUTION_A: 201, INSTITUTION_B: 404}),
    ),
    # --- a training institution's pages (session cookie)
    ("GET", "/institution/signin"): Row(lambda w, who, ok: Call("GET", "/institution/signin"), public()),
    ("POST", "/institution/signin"): Row(
        lambda w, who, ok: _before_session("/institution/signin", w, token=_institution_link(w)),
        public(303),  # a fresh one-time link: the link, not the caller, decides
    ),
    ("POST", "/institution/signout"): Row(
        lambda w, who, ok: Call("POST", "/institution/signout", data=_form(w, who)), public(303)
    ),
    ("GET", "/institution"): Row(
        lambda w, who, ok: Call("GET", "/institution"), page({INSTITUTION_A: 200, INSTITUTION_B: 200})
    ),
    ("GET", "/institution/classes/new"): Row(
        lambda w, who, ok: Call("GET", "/institution/classes/new"),
        page({INSTITUTION_A: 200, INSTITUTION_B: 200}),
    ),
    ("POST", "/institution/classes/new"): Row(
        lambda w, who, ok: Call("POST", "/institution/classes/new", data=_form(w, who, **_class_form(w))),
        page({INSTITUTION_A: 303, INSTITUTION_B: 303}),  # each opens a class of its own
    ),
    ("GET", "/institution/classes/{class_ref}"): Row(
        lambda w, who, ok: Call("GET", f"/institution/classes/{w.class_a}"),
        page({INSTITUTION_A: 200, INSTITUTION_B: 404}),
    ),
    ("POST", "/institution/classes/{class_ref}/roster"): Row(
        lambda w, who, ok: Call(
            "POST",
            f"/institution/classes/{w.class_a}/roster",
            data=_form(w, who),
            files={"file": ("roster.csv", _roster_sheet(), "text/csv")},
        ),
        page({INSTITUTION_A: 303, INSTITUTION_B: 404}),
    ),
    ("POST", "/institution/classes/{class_ref}/attendance"): Row(
        lambda w, who, ok: _page_posting(w, who, ok, "attendance"),
        page({INSTITUTION_A: 303, INSTITUTION_B: 404}),
    ),
    ("POST", "/institution/classes/{class_ref}/completions"): Row(
        lambda w, who, ok: _page_posting(w, who, ok, "completions"),
        page({INSTITUTION_A: 303, INSTITUTION_B: 404}),
    ),
    ("GET", "/institution/classes/{class_ref}/subsidy"): Row(
        lambda w, who, ok: Call("GET", f"/institution/classes/{w.class_a}/subsidy"),
        page({INSTITUTION_A: 200, INSTITUTION_B: 404}),
    ),
    ("POST", "/institution/classes/{class_ref}/subsidy-claims"): Row(
        lambda w, who, ok: Call(
            "POST",
            f"/institution/classes/{w.completed_class() if ok else w.class_a}/subsidy-claims",
            data=_form(w, who),
        ),
        page({INSTITUTION_A: 303, INSTITUTION_B: 404}),
    ),
    ("GET", "/api/v1/rosters/template.csv"): Row(
        lambda w, who, ok: Call("GET", "/api/v1/rosters/template.csv"), public()
    ),
    ("GET", "/api/v1/rosters/template.xlsx"): Row(
        lambda w, who, ok: Call("GET", "/api/v1/rosters/template.xlsx"), public()
    ),
    # --- evaluation organisations: registration (staff), their own registration, OAuth
    ("POST", "/api/v1/organisations"): Row(
        lambda w, who, ok: Call(
            "POST",
            "/api/v1/organisations",
            json={
                "org_type": "S",
                "credit_code": demo_credit_code(w.rng, "140100"),
                "name": "山西省新备案评价站",
                "mohrss_code": "0000",
                "site_serial": f"98{w.n():04d}",
                "scope": [SCOPE_JSON],
            },
        ),
        api({ADMIN: 201}),
    ),
    ("GET", "/api/v1/organisations"): Row(
        lambda w, who, ok: Call("GET", "/api/v1/organisations"), api(STAFF_READ)
    ),
    ("GET", "/api/v1/organisations/{code}"): Row(
        lambda w, who, ok: Call("GET", f"/api/v1/organisations/{w.org_a}"),
        api({**STAFF_READ, ORGANISATION_A: 200, ORGANISATION_B: 404}),
    ),
    ("PUT", "/api/v1/organisations/{code}/status"): Row(
        lambda w, who, ok: Call(
            "PUT",
            f"/api/v1/organisations/{w.org_c}/status",
            json={"status": "suspended", "reason": "监督检查"},
        ),
        api({ADMIN: 200}),
    ),
    ("PUT", "/api/v1/organisations/{code}/scope"): Row(
        lambda w, who, ok: Call(
            "PUT", f"/api/v1/organisations/{w.org_a}/scope", json={"scope": [SCOPE_JSON]}
        ),
        api({ADMIN: 200}),
    ),
    ("POST", "/api/v1/organisations/{code}/clients"): Row(
        lambda w, who, ok: Call("POST", f"/api/v1/organisations/{w.org_a}/clients", json={}),
        api({ADMIN: 201}),
    ),
    ("GET", "/api/v1/organisations/{code}/clients"): Row(
        lambda w, who, ok: Call("GET", f"/api/v1/organisations/{w.org_a}/clients"), api(STAFF_READ)
    ),
    ("DELETE", "/api/v1/organisations/{code}/clients/{client_id}"): Row(
        lambda w, who, ok: Call(
            "DELETE",
            f"/api/v1/organisations/{w.org_a}/clients/{w.client_id() if ok else w.client_a['client_id']}",
        ),
        api({ADMIN: 200}),
    ),
    ("POST", "/api/v1/organisations/{code}/client-keys"): Row(
        lambda w, who, ok: Call("POST", f"/api/v1/organisations/{w.org_a}/client-keys", json=_key_body()),
        api({ADMIN: 201}),
    ),
    ("GET", "/api/v1/organisations/{code}/client-keys"): Row(
        lambda w, who, ok: Call("GET", f"/api/v1/organisations/{w.org_a}/client-keys"), api(STAFF_READ)
    ),
    ("DELETE", "/api/v1/organisations/{code}/client-keys/{kid}"): Row(
        lambda w, who, ok: Call(
            "DELETE", f"/api/v1/organisations/{w.org_a}/client-keys/{w.client_key() if ok else 'no-such-key'}"
        ),
        api({ADMIN: 200}),
    ),
    ("GET", "/api/v1/occupations"): Row(lambda w, who, ok: Call("GET", "/api/v1/occupations"), public()),
    ("POST", "/oauth/token"): Row(
        lambda w, who, ok: Call(
            "POST", "/oauth/token", data={"grant_type": "client_credentials", **w.client_a}
        ),
        # The client's credentials decide, not a token: a Bearer header beside client_secret is a second
        # client authentication method, refused as invalid_request (RFC 6749 §2.3).
        Expect({c: 200 if c == NONE else 400 for c in CALLERS}, frozenset(CALLERS)),
    ),
    # --- the evaluation workflow (organisations; administrators resolve objections)
    ("POST", "/api/v1/plans"): Row(
        lambda w, who, ok: Call("POST", "/api/v1/plans", json=_plan_body(f"M-NEW-{w.n()}")),
        api({ORGANISATION_A: 201, ORGANISATION_B: 201}),  # each files a plan of its own
    ),
    ("GET", "/api/v1/results/template.csv"): Row(
        lambda w, who, ok: Call("GET", "/api/v1/results/template.csv"), public()
    ),
    ("GET", "/api/v1/results/template.xlsx"): Row(
        lambda w, who, ok: Call("GET", "/api/v1/results/template.xlsx"), public()
    ),
    ("POST", "/api/v1/plans/{plan_ref}/results"): Row(
        lambda w, who, ok: Call("POST", f"/api/v1/plans/{w.plan_a}/results", json={"rows": [w.result_row()]}),
        api({ORGANISATION_A: 201, ORGANISATION_B: 404}),
    ),
    ("POST", "/api/v1/plans/{plan_ref}/results/upload"): Row(
        lambda w, who, ok: Call(
            "POST",
            f"/api/v1/plans/{w.plan_a}/results/upload",
            files={"file": ("results.csv", w.sheet(), "text/csv")},
        ),
        api({ORGANISATION_A: 201, ORGANISATION_B: 404}),
    ),
    ("GET", "/api/v1/submissions"): Row(
        lambda w, who, ok: Call("GET", "/api/v1/submissions"),
        api({ORGANISATION_A: 200, ORGANISATION_B: 200}),  # each its own
    ),
    ("GET", "/api/v1/submissions/{submission_id}"): Row(
        lambda w, who, ok: Call("GET", f"/api/v1/submissions/{w.issued_batch}"),
        api({ORGANISATION_A: 200, ORGANISATION_B: 404}),
    ),
    ("POST", "/api/v1/submissions/{submission_id}/issue"): Row(
        lambda w, who, ok: Call(
            "POST", f"/api/v1/submissions/{w.issued_batch}/issue"
        ),  # resumable: again is fine
        api({ORGANISATION_A: 200, ORGANISATION_B: 404}),
    ),
    ("GET", "/api/v1/submissions/{submission_id}/national-export.{fmt}"): Row(
        lambda w, who, ok: Call("GET", f"/api/v1/submissions/{w.issued_batch}/national-export.csv"),
        api({ORGANISATION_A: 200, ORGANISATION_B: 404}),
    ),
    ("GET", "/api/v1/publicity"): Row(lambda w, who, ok: Call("GET", "/api/v1/publicity"), public()),
    ("POST", "/api/v1/publicity/{candidate_id}/objections"): Row(
        lambda w, who, ok: Call(
            "POST",
            f"/api/v1/publicity/{w.candidate}/objections",
            json={"reason": "该考生考试时有他人替考的情况"},
        ),
        public(201),
    ),
    ("POST", "/api/v1/admin/objections/{objection_id}/resolve"): Row(
        lambda w, who, ok: Call(
            "POST",
            f"/api/v1/admin/objections/{w.objection() if ok else 'no-such-objection'}/resolve",
            json={"upheld": False, "resolution": "经核查不属实"},
        ),
        api({ADMIN: 200}),
    ),
    ("PUT", "/api/v1/admin/calendar/{day}"): Row(
        lambda w, who, ok: Call(
            "PUT", "/api/v1/admin/calendar/2027-01-01", json={"kind": "holiday", "name": "元旦"}
        ),
        api({ADMIN: 200}),
    ),
    # --- the organisation's pages (session cookie) and the public 公示 page
    ("GET", "/org/signin"): Row(lambda w, who, ok: Call("GET", "/org/signin"), public()),
    ("POST", "/org/signin"): Row(
        lambda w, who, ok: _before_session("/org/signin", w, **w.client_a), public(303)
    ),
    ("GET", "/org"): Row(
        lambda w, who, ok: Call("GET", "/org"), page({ORGANISATION_A: 200, ORGANISATION_B: 200})
    ),
    ("POST", "/org/upload"): Row(
        lambda w, who, ok: Call(
            "POST",
            "/org/upload",
            data=_form(w, who, plan_ref=w.plan_a),
            files={"file": ("results.csv", w.sheet(), "text/csv")},
        ),
        # Organisation B names A's plan: the check page lists "no such plan" as the sheet's problem.
        page({ORGANISATION_A: 200, ORGANISATION_B: 422}),
    ),
    ("POST", "/org/confirm"): Row(
        lambda w, who, ok: Call(
            "POST",
            "/org/confirm",
            data=_form(w, who, plan_ref=w.plan_a, digest=w.staged_upload(who) if ok else "0" * 64),
        ),
        page({ORGANISATION_A: 303, ORGANISATION_B: 410}),  # B has nothing staged under A's digest
    ),
    ("POST", "/org/signout"): Row(
        lambda w, who, ok: Call("POST", "/org/signout", data=_form(w, who)), public(303)
    ),
    ("GET", "/org/plans/new"): Row(
        lambda w, who, ok: Call("GET", "/org/plans/new"), page({ORGANISATION_A: 200, ORGANISATION_B: 200})
    ),
    ("POST", "/org/plans/new"): Row(
        lambda w, who, ok: Call("POST", "/org/plans/new", data=_form(w, who, **_plan_form(w))),
        page({ORGANISATION_A: 303, ORGANISATION_B: 303}),  # each files its own
    ),
    ("GET", "/org/plans/{plan_ref}"): Row(
        lambda w, who, ok: Call("GET", f"/org/plans/{w.plan_a}"),
        page({ORGANISATION_A: 200, ORGANISATION_B: 404}),
    ),
    ("GET", "/org/submissions/{submission_id}"): Row(
        lambda w, who, ok: Call("GET", f"/org/submissions/{w.issued_batch}"),
        page({ORGANISATION_A: 200, ORGANISATION_B: 404}),
    ),
    ("GET", "/org/submissions/{submission_id}/national-export.{fmt}"): Row(
        lambda w, who, ok: Call("GET", f"/org/submissions/{w.issued_batch}/national-export.csv"),
        page({ORGANISATION_A: 200, ORGANISATION_B: 404}),
    ),
    ("POST", "/org/submissions/{submission_id}/issue"): Row(
        lambda w, who, ok: Call("POST", f"/org/submissions/{w.issued_batch}/issue", data=_form(w, who)),
        page({ORGANISATION_A: 303, ORGANISATION_B: 404}),
    ),
    ("GET", "/publicity"): Row(lambda w, who, ok: Call("GET", "/publicity"), public()),
    ("POST", "/publicity/{candidate_id}/objection"): Row(
        lambda w, who, ok: _before_session(
            f"/publicity/{w.candidate}/objection", w, reason="该考生考试时有他人替考的情况"
        ),
        public(201),
    ),
    # --- administrators' and auditors' pages (session cookie)
    ("GET", "/admin/signin"): Row(lambda w, who, ok: Call("GET", "/admin/signin"), public()),
    ("POST", "/admin/signin"): Row(
        lambda w, who, ok: _before_session(
            "/admin/signin",
            w,
            token=staff_signin.signin_link(
                w.runtime.keystore, w.runtime.settings, Role.ADMIN, "matrix"
            ).split("token=", 1)[1],
        ),
        public(303),  # a fresh one-time link: the link, not the caller, decides
    ),
    ("POST", "/admin/signout"): Row(
        lambda w, who, ok: Call("POST", "/admin/signout", data=_form(w, who)), public(303)
    ),
    ("GET", "/admin"): Row(lambda w, who, ok: Call("GET", "/admin"), page(STAFF_READ)),
    ("GET", "/admin/organisations"): Row(
        lambda w, who, ok: Call("GET", "/admin/organisations"), page(STAFF_READ)
    ),
    ("GET", "/admin/organisations/{code}"): Row(
        lambda w, who, ok: Call("GET", f"/admin/organisations/{w.org_a}"), page(STAFF_READ)
    ),
    ("GET", "/admin/batches"): Row(lambda w, who, ok: Call("GET", "/admin/batches"), page(STAFF_READ)),
    ("GET", "/admin/status-changes"): Row(
        lambda w, who, ok: Call("GET", "/admin/status-changes"), page(STAFF_READ)
    ),
    ("POST", "/admin/status-changes"): Row(
        lambda w, who, ok: Call(
            "POST",
            "/admin/status-changes",
            data=_form(
                w,
                who,
                certificate_number=w.fresh_certificate() if ok else w.number_a,
                action="revoke",
                **GROUNDS,
            ),
        ),
        page(ADMIN_PAGE_WRITE),
    ),
    ("POST", "/admin/corrections"): Row(
        lambda w, who, ok: Call(
            "POST",
            "/admin/corrections",
            data=_form(
                w,
                who,
                certificate_number=w.fresh_certificate() if ok else w.number_a,
                holder_name="更正后姓名",
                **LIFT,
            ),
        ),
        page(ADMIN_PAGE_WRITE),
    ),
    ("POST", "/admin/batches/{batch_id}/revoke"): Row(
        lambda w, who, ok: Call(
            "POST",
            f"/admin/batches/{w.submission(issued=True) if ok else w.issued_batch}/revoke",
            data=_form(w, who, **GROUNDS),
        ),
        page(ADMIN_PAGE_WRITE),
    ),
    ("GET", "/admin/objections"): Row(lambda w, who, ok: Call("GET", "/admin/objections"), page(STAFF_READ)),
    ("POST", "/admin/objections/{objection_id}/resolve"): Row(
        lambda w, who, ok: Call(
            "POST",
            f"/admin/objections/{w.objection() if ok else 'no-such-objection'}/resolve",
            data=_form(w, who, decision="dismissed", resolution="经核查不属实"),
        ),
        page(ADMIN_PAGE_WRITE),
    ),
    ("GET", "/admin/keys"): Row(lambda w, who, ok: Call("GET", "/admin/keys"), page(STAFF_READ)),
    ("POST", "/admin/keys/{code}/rotate"): Row(
        lambda w, who, ok: Call("POST", f"/admin/keys/{w.org_b}/rotate", data=_form(w, who)),
        page(ADMIN_PAGE_WRITE),
    ),
    ("GET", "/admin/audit"): Row(lambda w, who, ok: Call("GET", "/admin/audit"), page(STAFF_READ)),
    ("GET", "/admin/recoveries"): Row(lambda w, who, ok: Call("GET", "/admin/recoveries"), page(STAFF_READ)),
    ("GET", "/admin/subsidies"): Row(lambda w, who, ok: Call("GET", "/admin/subsidies"), page(STAFF_READ)),
    ("POST", "/admin/subsidies/payments/upload"): Row(
        lambda w, who, ok: Call(
            "POST",
            "/admin/subsidies/payments/upload",
            data=_form(w, who),
            files={"file": ("payments.csv", _payments_sheet(w), "text/csv")},
        ),
        page({ADMIN: 200, AUDITOR: 403}),  # the report page: its one row refused (no such certificate)
    ),
    ("GET", "/admin/subsidies/payments/template.{fmt}"): Row(
        lambda w, who, ok: Call("GET", "/admin/subsidies/payments/template.xlsx"), page(STAFF_READ)
    ),
    ("GET", "/admin/recoveries.{fmt}"): Row(
        lambda w, who, ok: Call("GET", "/admin/recoveries.csv"), page(STAFF_READ)
    ),
    ("POST", "/admin/recoveries/{claim_id}"): Row(
        lambda w, who, ok: Call(
            "POST",
            f"/admin/recoveries/{w.fresh_claim(paid_and_revoked=True) if ok else w.claim_a}",
            data=_form(w, who, state="waived", note="经批准免于追回"),
        ),
        page(ADMIN_PAGE_WRITE),
    ),
    # programme statistics (issue 14): aggregates for everyone; the dashboard for staff
    ("GET", "/admin/dashboard"): Row(lambda w, who, ok: Call("GET", "/admin/dashboard"), page(STAFF_READ)),
    ("GET", "/stats"): Row(lambda w, who, ok: Call("GET", "/stats"), public()),
    ("GET", "/api/v1/stats/certificates"): Row(
        lambda w, who, ok: Call("GET", "/api/v1/stats/certificates", params={"by": "occupation"}), public()
    ),
    ("GET", "/api/v1/stats/certificates.{fmt}"): Row(
        lambda w, who, ok: Call("GET", "/api/v1/stats/certificates.xlsx", params={"by": "month"}), public()
    ),
    ("GET", "/api/v1/stats/skill-shares"): Row(
        lambda w, who, ok: Call("GET", "/api/v1/stats/skill-shares"), public()
    ),
    ("GET", "/api/v1/stats/skill-shares.{fmt}"): Row(
        lambda w, who, ok: Call("GET", "/api/v1/stats/skill-shares.csv"), public()
    ),
    ("GET", "/api/v1/stats/subsidised-trainings"): Row(
        lambda w, who, ok: Call("GET", "/api/v1/stats/subsidised-trainings"), public()
    ),
    ("GET", "/api/v1/stats/subsidised-trainings.{fmt}"): Row(
        lambda w, who, ok: Call("GET", "/api/v1/stats/subsidised-trainings.csv"), public()
    ),
    ("POST", "/admin/subsidies/{claim_id}/decision"): Row(
        lambda w, who, ok: Call(
            "POST",
            f"/admin/subsidies/{w.fresh_claim() if ok else w.claim_a}/decision",
            data=_form(w, who, decision="refuse", reason="无法核实参保情况"),
        ),
        page(ADMIN_PAGE_WRITE),
    ),
    # --- supervision cases: staff read, administrators move them
    ("GET", "/admin/cases"): Row(lambda w, who, ok: Call("GET", "/admin/cases"), page(STAFF_READ)),
    ("GET", "/admin/cases/{case_id}"): Row(
        lambda w, who, ok: Call("GET", f"/admin/cases/{w.fresh_case()}"), page(STAFF_READ)
    ),
    ("POST", "/admin/cases/{case_id}/transition"): Row(
        lambda w, who, ok: Call(
            "POST",
            f"/admin/cases/{w.fresh_case()}/transition",
            data=_form(w, who, status="investigating", reason="调取签到视频核查"),
        ),
        page(ADMIN_PAGE_WRITE),
    ),
    ("GET", "/api/v1/admin/cases"): Row(
        lambda w, who, ok: Call("GET", "/api/v1/admin/cases"), api(STAFF_READ)
    ),
    ("GET", "/api/v1/admin/cases/{case_id}"): Row(
        lambda w, who, ok: Call("GET", f"/api/v1/admin/cases/{w.fresh_case()}"), api(STAFF_READ)
    ),
    ("POST", "/api/v1/admin/cases/{case_id}/transition"): Row(
        lambda w, who, ok: Call(
            "POST",
            f"/api/v1/admin/cases/{w.fresh_case()}/transition",
            json={"status": "investigating", "reason": "调取签到视频核查"},
        ),
        api({ADMIN: 200}),
    ),
    # --- subsidies: workers and institutions claim, officers decide, the recovery register
    ("POST", "/api/v1/me/subsidy-claims"): Row(
        lambda w, who, ok: Call("POST", "/api/v1/me/subsidy-claims", json={"certificate_number": w.number_a}),
        api({WORKER_A: 200, WORKER_B: 404}),  # A's claim exists: the same one again; B's is not theirs
    ),
    ("POST", "/api/v1/subsidy-claims"): Row(
        lambda w, who, ok: Call(
            "POST", "/api/v1/subsidy-claims", json={"class_ref": w.completed_class() if ok else w.class_a}
        ),
        api({INSTITUTION_A: 201, INSTITUTION_B: 404}),
    ),
    ("GET", "/api/v1/subsidy-claims/{claim_id}"): Row(
        lambda w, who, ok: Call("GET", f"/api/v1/subsidy-claims/{w.claim_a}"),
        api({**STAFF_READ, WORKER_A: 200, WORKER_B: 404, INSTITUTION_A: 404, INSTITUTION_B: 404}),
    ),
    ("POST", "/api/v1/admin/subsidy-claims/{claim_id}/decision"): Row(
        lambda w, who, ok: Call(
            "POST",
            f"/api/v1/admin/subsidy-claims/{w.fresh_claim() if ok else w.claim_a}/decision",
            json={"decision": "refuse", "reason": "无法核实参保情况"},
        ),
        api({ADMIN: 200}),
    ),
    ("GET", "/api/v1/admin/subsidy-recoveries"): Row(
        lambda w, who, ok: Call("GET", "/api/v1/admin/subsidy-recoveries"), api(STAFF_READ)
    ),
    ("GET", "/api/v1/admin/subsidy-recoveries.{fmt}"): Row(
        lambda w, who, ok: Call("GET", "/api/v1/admin/subsidy-recoveries.xlsx"), api(STAFF_READ)
    ),
    ("POST", "/api/v1/admin/subsidy-recoveries/{claim_id}"): Row(
        lambda w, who, ok: Call(
            "POST",
            f"/api/v1/admin/subsidy-recoveries/{w.fresh_claim(paid_and_revoked=True) if ok else w.claim_a}",
            json={"state": "waived", "note": "经批准免于追回"},
        ),
        api({ADMIN: 200}),
    ),
}


# --- the routes, and running the matrix -----------------------------------------------------------


def _routes(client: TestClient) -> dict[tuple[str, str], bool]:
    """Every (method, path) of the app → whether it is a page (session cookie) rather than the API."""
    app: FastAPI = client.app  # type: ignore[assignment]
    found: dict[tuple[str, str], bool] = {}
    for route in iter_route_contexts(app.routes):
        path, methods = route.path, route.methods
        if path is None or not methods:  # mounts (static files) have no methods
            continue
        original = route.original_route
        is_page = isinstance(original, APIRoute) and not original.include_in_schema
        for method in methods - {"HEAD"}:
            found[(method, path)] = is_page
    return found


def _send(w: World, call: Call, who: str, is_page: bool) -> int:
    headers = dict(call.headers)
    cookies = dict(call.cookies)
    token = w.tokens.get(who)
    if token is not None:
        if is_page:
            cookies[SESSION_COOKIE] = token
        else:
            headers["Authorization"] = f"Bearer {token}"
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    w.client.cookies.clear()  # only what this caller presents
    response = w.client.request(
        call.method,
        call.path,
        json=call.json,
        data=call.data,
        files=call.files,
        params=call.params,
        headers=headers,
        follow_redirects=False,
    )
    w.client.cookies.clear()
    return response.status_code


def test_every_route_has_a_row(world: World) -> None:
    routes = set(_routes(world.client))
    missing = sorted(routes - set(EXPECTED))
    stale = sorted(set(EXPECTED) - routes)
    assert not missing, f"routes without a row in EXPECTED (add who may call them): {missing}"
    assert not stale, f"rows in EXPECTED for routes that no longer exist: {stale}"
    for key, row in EXPECTED.items():
        assert set(row.expect.status) == set(CALLERS), key


def test_every_route_answers_every_caller_as_expected(world: World) -> None:
    routes = _routes(world.client)
    wrong = []
    for key, row in EXPECTED.items():
        if key not in routes:
            continue  # reported by test_every_route_has_a_row
        for who in CALLERS:
            expected = row.expect.status[who]
            call = row.build(world, who, who in row.expect.allowed)
            got = _send(world, call, who, routes[key])
            if got != expected:
                wrong.append(f"{key[0]} {key[1]} as {who}: expected {expected}, got {got}")
    assert not wrong, "\n".join(wrong)


def test_an_organisation_token_needs_the_scope_of_the_route(world: World) -> None:
    """OAuth clients may ask for fewer scopes (RFC 6749 §3.3): each organisation route needs its own."""
    for scopes, plan, results, certificates_ in (
        ({"plans"}, 201, 403, 403),
        ({"results"}, 403, 201, 403),
        ({"certificates"}, 403, 403, 200),
    ):
        principal = Principal(Role.ORGANISATION, f"org:{world.org_a}", frozenset(scopes), tenant=world.org_a)
        headers = _bearer(world.runtime, principal)
        filed = world.client.post("/api/v1/plans", json=_plan_body(f"M-SCOPE-{world.n()}"), headers=headers)
        assert filed.status_code == plan, filed.text
        if plan == 403:
            assert filed.json()["code"] == "insufficient_scope"
        path = f"/api/v1/plans/{world.plan_a}/results"
        assert (
            world.client.post(path, json={"rows": [world.result_row()]}, headers=headers).status_code
            == results
        )
        path = f"/api/v1/certificates/{world.number_a}/credential.json"
        assert world.client.get(path, headers=headers).status_code == certificates_
    # A token asked for with one scope at the token endpoint carries only that one.
    granted = world.client.post(
        "/oauth/token", data={"grant_type": "client_credentials", "scope": "plans", **world.client_a}
    ).json()
    headers = {"Authorization": f"Bearer {granted['access_token']}"}
    path = f"/api/v1/certificates/{world.number_a}/credential.json"
    assert world.client.get(path, headers=headers).json()["code"] == "insufficient_scope"


def test_another_tenants_certificate_reads_exactly_as_an_unknown_number(world: World) -> None:
    """No oracle: a worker or organisation cannot tell someone else's certificate from no certificate."""
    unknown = f"{world.org_a}269999999"
    for who in (WORKER_B, ORGANISATION_B):
        headers = {"Authorization": f"Bearer {world.tokens[who]}"}
        for suffix in ("credential.json", "qr.png", "status-history"):
            theirs = world.client.get(f"/api/v1/certificates/{world.number_a}/{suffix}", headers=headers)
            missing = world.client.get(f"/api/v1/certificates/{unknown}/{suffix}", headers=headers)
            assert (
                (theirs.status_code, theirs.content)
                == (missing.status_code, missing.content)
                == (
                    404,
                    missing.content,
                )
            ), (who, suffix)
    headers = {"Authorization": f"Bearer {world.tokens[ORGANISATION_B]}"}
    theirs = world.client.post(
        f"/api/v1/certificates/{world.number_a}/suspend", json=GROUNDS, headers=headers
    )
    missing = world.client.post(f"/api/v1/certificates/{unknown}/suspend", json=GROUNDS, headers=headers)
    assert (theirs.status_code, theirs.content) == (missing.status_code, missing.content)
