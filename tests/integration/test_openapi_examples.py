"""Every request body in /docs has an example, and the examples work (issue 12).

Swagger UI fills a body in from its example; without one it invents values that the schema refuses
(``{"credential": {}}``, "string" for a pattern). Here each example is read from the app's own
OpenAPI document, checked against the route's own body model, then posted through the real app by
the caller it is meant for, in the order of the story the examples tell (decision 029): an
institution trains 王建国, an organisation assesses him, his certificate is checked and corrected.
"""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import TypeAdapter
from sqlalchemy import select

from credential_service.assessment.occupations.rules import builtin_occupation
from credential_service.certificates.rules import SkillLevel
from credential_service.core import examples
from credential_service.core.clock import utcnow
from credential_service.identity import service as identity
from credential_service.issuers.models import Issuer
from credential_service.platform.tokens import Principal, Role, mint_token
from credential_service.runtime import Runtime
from credential_service.subsidies import service as subsidy_rule_sets
from credential_service.subsidies.rules import Employment
from credential_service.subsidies.social_insurance import record_demo_facts
from credential_service.supervision import service as supervision
from credential_service.supervision.models import SupervisionCase
from credential_service.supervision.rules.cases import Finding, Subject, SubjectType
from credential_service.supervision.rules.registry import CHECKS
from credential_service.verification.schemas import BulkRequest
from credential_service.web.openapi import api_routes, replace_values
from tests.conftest import BASE_URL
from tests.factories import PLATFORM_DID, holder, issue_certificate

JSON, CSV, FORM, MULTIPART = (
    "application/json",
    "text/csv",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
)
# Bodies that pydantic does not read as JSON or form fields: the CSV is parsed by the route, the
# file is an UploadFile; both are posted below instead.
READ_BY_THE_ROUTE = {CSV, MULTIPART}
# The document does not depend on the database; what the examples do is run on every backend.
ONE_BACKEND = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _document(client: TestClient) -> dict[str, Any]:
    return client.app.openapi()  # type: ignore[attr-defined,no-any-return]


def _bodies(document: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(method, path, content type, media type object) of every request body."""
    return [
        (method, path, content_type, media)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        for content_type, media in operation.get("requestBody", {}).get("content", {}).items()
    ]


def _examples(document: dict[str, Any], media: dict[str, Any]) -> list[Any]:
    """What Swagger UI fills in: the media type's own examples, else its schema's (``$ref``
    followed), else (a form) each field's."""
    if "example" in media:
        return [media["example"]]
    if "examples" in media:
        return [named["value"] for named in media["examples"].values()]
    schema = media.get("schema", {})
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    if "examples" in schema:
        return list(schema["examples"])
    fields = schema.get("properties", {})
    form = {name: field["examples"][0] for name, field in fields.items() if field.get("examples")}
    return [form] if form else []


def example(client: TestClient, method: str, path: str, content_type: str = JSON, index: int = 0) -> Any:
    media = _document(client)["paths"][path][method]["requestBody"]["content"][content_type]
    return copy.deepcopy(_examples(_document(client), media)[index])


@ONE_BACKEND
def test_every_request_body_has_an_example_of_each_content_type(client: TestClient) -> None:
    document = _document(client)
    bodies = _bodies(document)
    assert len(bodies) >= 33
    missing = [(m, p, t) for m, p, t, media in bodies if not _examples(document, media)]
    assert not missing, missing


@ONE_BACKEND
def test_each_json_and_form_example_is_a_valid_body_of_its_route(client: TestClient) -> None:
    """Validated as FastAPI validates the body: with the route's own body model."""
    document = _document(client)
    models = {
        (method.lower(), path): route.body_field.field_info.annotation
        for path, route in api_routes(client.app.routes)  # type: ignore[attr-defined]
        if route.body_field is not None
        for method in route.methods or ()
    }
    # verify/bulk reads its body itself (JSON or CSV), the JSON with BulkRequest
    models[("post", "/api/v1/verify/bulk")] = BulkRequest
    checked = 0
    for method, path, content_type, media in _bodies(document):
        if content_type not in READ_BY_THE_ROUTE:
            for body in _examples(document, media):
                TypeAdapter(models[(method, path)]).validate_python(body)
                checked += 1
    assert checked >= len(_bodies(document)) - len(READ_BY_THE_ROUTE)


@ONE_BACKEND
def test_the_docs_show_this_deployments_own_platform_did(client: TestClient) -> None:
    credential = example(client, "post", "/credentials/issue")["credential"]
    assert credential["issuer"] == PLATFORM_DID != examples.PLATFORM_DID
    assert examples.PLATFORM_CREDENTIAL["issuer"] == examples.PLATFORM_DID  # the model's is untouched


def test_the_issue_example_is_signed_by_the_platform(
    client: TestClient, admin_headers: dict[str, str], organisation: Issuer
) -> None:
    body = example(client, "post", "/credentials/issue")
    response = client.post("/credentials/issue", json=body, headers=admin_headers)
    assert response.status_code == 201, response.text
    signed = response.json()["verifiableCredential"]
    assert signed["issuer"] == PLATFORM_DID and signed["name"] == "2026年山西省职业技能大赛参赛证明"
    verified = client.post("/credentials/verify", json={"verifiableCredential": signed})
    assert verified.status_code == 200 and verified.json()["verified"] is True, verified.text


def test_the_plan_example_is_filed_by_an_organisation(
    client: TestClient, org_headers: dict[str, str], organisation: Issuer
) -> None:
    response = client.post(
        "/api/v1/plans", json=example(client, "post", "/api/v1/plans"), headers=org_headers
    )
    assert response.status_code == 201, response.text
    assert response.json()["plan_ref"] == examples.PLAN_REF


# --- every example, in the order of the story ---


def _bearer(runtime: Runtime, principal: Principal) -> dict[str, str]:
    token = mint_token(runtime.keystore, issuer=BASE_URL, audience=BASE_URL, principal=principal, minutes=5)
    return {"Authorization": f"Bearer {token}"}


class Story:
    """Sends each example, by its caller, to its path (``{ids}`` filled in); records what was tried."""

    def __init__(self, client: TestClient, values: dict[str, str]) -> None:
        self.client = client
        self.values = values  # the test's own data, where the examples had to guess it
        self.tried: set[tuple[str, str, str]] = set()

    def send(
        self,
        method: str,
        template: str,
        status: int,
        headers: dict[str, str],
        *,
        content_type: str = JSON,
        index: int = 0,
        fields: dict[str, str] | None = None,
        **ids: str,
    ) -> httpx.Response:
        body = replace_values(example(self.client, method, template, content_type, index), self.values)
        if fields:
            body.update(fields)
        self.tried.add((method, template, content_type))
        url = template.format(**ids)
        if content_type == JSON:
            response = self.client.request(method, url, json=body, headers=headers)
        elif content_type == FORM:
            response = self.client.request(method, url, data=body, headers=headers)
        elif content_type == MULTIPART:
            files = {name: ("results.csv", text.encode(), "text/csv") for name, text in body.items()}
            response = self.client.request(method, url, files=files, headers=headers)
        else:
            headers = {**headers, "content-type": content_type}
            response = self.client.request(method, url, content=body.encode(), headers=headers)
        assert response.status_code == status, (method, url, content_type, response.text)
        return response


def test_every_example_works_for_its_caller(
    client: TestClient,
    runtime: Runtime,
    admin_headers: dict[str, str],
    org_headers: dict[str, str],
    organisation: Issuer,
) -> None:
    assert builtin_occupation(examples.OCCUPATION_CODE).subtype == examples.SUBTYPE
    his = issue_certificate(
        runtime, organisation, level=SkillLevel.LEVEL_4, who=holder(examples.NAME, examples.ID_NUMBER)
    )
    misprinted = issue_certificate(
        runtime, organisation, level=SkillLevel.LEVEL_5, who=holder("王健国", examples.ID_NUMBER)
    )
    # The examples name his first 四级 certificate as numbered in 2026; another year numbers it otherwise.
    story = Story(client, {examples.CERTIFICATE_NUMBER: his.certificate_number})
    anyone: dict[str, str] = {}

    # An employer checks his certificate.
    checked = story.send("post", "/credentials/verify", 422, anyone)
    assert checked.json()["verified"] is False  # the example's proof is a shape only
    assert story.send("post", "/api/v1/verify/query", 200, anyone).json()["match"] is True
    assert story.send("post", "/api/v1/verify/query", 200, anyone, index=1).json()["match"] is True
    rows = story.send("post", "/api/v1/verify/bulk", 200, anyone).json()["results"]
    assert [row["match"] for row in rows] == [True, False]
    rows = story.send("post", "/api/v1/verify/bulk", 200, anyone, content_type=CSV).json()["results"]
    assert [row["match"] for row in rows] == [True]
    story.send("post", "/api/v1/auth/assertion", 401, anyone)  # a real one comes from the provider
    story.send("post", "/credentials/issue", 201, admin_headers)

    # A training institution is registered and trains him.
    story.send("post", "/api/v1/institutions", 201, admin_headers)
    code = examples.INSTITUTION_CREDIT_CODE
    school = _bearer(runtime, Principal(Role.INSTITUTION, f"institution:{code}", frozenset({"train"}), code))
    story.send("post", "/api/v1/classes", 201, school)
    for posting in ("enrolments", "attendance", "completions"):
        story.send(
            "post", f"/api/v1/classes/{{class_ref}}/{posting}", 201, school, class_ref=examples.CLASS_REF
        )
    # The school claims the 生活费补贴 for its trainees who completed the class (its 职业培训补贴 would
    # take the certificate the class led to, and he claims the 技能提升补贴 on it below).
    with runtime.session() as session:
        subsidy_rule_sets.ensure_shipped_rule_sets(session, actor="cli:init")  # as `init` loads them
    story.send("post", "/api/v1/subsidy-claims", 201, school, index=1)
    story.send("put", "/api/v1/institutions/{credit_code}/status", 200, admin_headers, credit_code=code)

    # Staff find his file, add to it, and (audited) read his number; he shares his certificate.
    person_id = story.send("post", "/api/v1/admin/persons/lookup", 200, admin_headers).json()["public_id"]
    staff = "/api/v1/admin/persons/{person_id}"
    story.send("post", f"{staff}/reveal-id-number", 200, admin_headers, person_id=person_id)
    story.send("post", f"{staff}/entries", 201, admin_headers, person_id=person_id)
    story.send("post", f"{staff}/entries", 201, admin_headers, index=1, person_id=person_id)
    worker = _bearer(
        runtime, Principal(Role.WORKER, f"worker:{person_id}", frozenset({"file:read", "L2"}), person_id)
    )
    story.send("post", "/api/v1/me/share-links", 201, worker)

    # He claims the 技能提升补贴 on his certificate; an officer approves: his card account is paid.
    with runtime.session() as session:
        record_demo_facts(
            session, runtime.settings.data_key_bytes, identity.get_person(session, person_id),
            insured_months=36, employment=Employment.ENTERPRISE_EMPLOYEE, card_account="6217000012345678901",
        )  # fmt: skip
    claim_id = story.send("post", "/api/v1/me/subsidy-claims", 201, worker).json()["claim_id"]
    decide = "/api/v1/admin/subsidy-claims/{claim_id}/decision"
    story.send("post", decide, 200, admin_headers, claim_id=claim_id)

    # An evaluation organisation is registered, gets its client credentials and signs in.
    code = story.send("post", "/api/v1/organisations", 201, admin_headers).json()["code"]
    registry = "/api/v1/organisations/{code}"
    story.send("put", f"{registry}/scope", 200, admin_headers, code=code)
    client_answer = story.send("post", f"{registry}/clients", 201, admin_headers, code=code).json()
    story.send("post", f"{registry}/client-keys", 201, admin_headers, code=code)
    secret = {"client_id": client_answer["client_id"], "client_secret": client_answer["client_secret"]}
    token = story.send("post", "/oauth/token", 200, anyone, content_type=FORM, fields=secret).json()
    assert set(token["scope"].split()) == {"plans", "results", "certificates"}
    story.send("put", f"{registry}/status", 200, admin_headers, code=code)

    # The fixture organisation assesses him for 三级; the results go to publicity.
    story.send("post", "/api/v1/plans", 201, org_headers)
    results = "/api/v1/plans/{plan_ref}/results"
    batch = story.send("post", results, 201, org_headers, plan_ref=examples.PLAN_REF).json()["public_id"]
    story.send(
        "post", f"{results}/upload", 201, org_headers, content_type=MULTIPART, plan_ref=examples.PLAN_REF
    )
    publicised = client.get("/api/v1/publicity").json()
    candidate = next(c["candidate_id"] for c in publicised if c["name_masked"].startswith("王"))
    objection = story.send(
        "post", "/api/v1/publicity/{candidate_id}/objections", 201, anyone, candidate_id=candidate
    ).json()["objection_id"]
    resolve = "/api/v1/admin/objections/{objection_id}/resolve"
    story.send("post", resolve, 200, admin_headers, objection_id=objection)
    story.send("put", "/api/v1/admin/calendar/{day}", 200, admin_headers, day="2027-01-01")
    # The body is taken; a batch in publicity has nothing issued to revoke yet.
    story.send("post", "/api/v1/batches/{batch_id}/revoke", 409, admin_headers, batch_id=batch)

    # His 四级 certificate is suspended, reinstated and revoked; his misprinted 五级 one is corrected.
    change = "/api/v1/certificates/{certificate_number}"
    for action in ("suspend", "reinstate", "revoke"):
        story.send(
            "post", f"{change}/{action}", 200, admin_headers, certificate_number=his.certificate_number
        )
    story.send(
        "post", f"{change}/supersede", 201, admin_headers, certificate_number=misprinted.certificate_number
    )
    # The revocation put his subsidy in the recovery register; it is recovered from his card account.
    recovered = "/api/v1/admin/subsidy-recoveries/{claim_id}"
    story.send("post", recovered, 200, admin_headers, claim_id=claim_id)
    # An inspector closes the supervision case a check opened on the school's class.
    with runtime.session() as session:
        spec = CHECKS["class_identical_checkin_times"]
        subject = Subject(SubjectType.CLASS, f"{examples.INSTITUTION_CREDIT_CODE}/{examples.CLASS_REF}")
        finding = Finding(spec.code, (subject,), "同一秒内多名学员签到（示例）")
        supervision.open_cases(session, spec, [finding], opened_by="scan:full", now=utcnow())
        case_id = session.scalars(select(SupervisionCase.public_id)).one()
    story.send("post", "/api/v1/admin/cases/{case_id}/transition", 200, admin_headers, case_id=case_id)
    # A presentation of the certificate, from his wallet: the example's proofs are shapes only.
    assert story.send("post", "/presentations/verify", 422, anyone).json()["verified"] is False

    everything = {(m, p, t) for m, p, t, _media in _bodies(_document(client))}
    assert story.tried == everything, everything - story.tried
