"""Issue 10: a certificate that verifies is genuine, and nothing a stranger sees gives an ID number away.

Regression tests of the hostile findings 1 and 3, on both backends: the registry decides who issued
what (never the caller's JSON), ``/credentials/verify`` and the QR code give the same verdict through
one set of checks, and no public artefact holds a value derived from the ID number.
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from credential_service.certificates import service as certificates
from credential_service.certificates.errors import CredentialRejected
from credential_service.certificates.models import IssuedCredential
from credential_service.certificates.rules import SkillLevel
from credential_service.core.clock import to_xsd, utcnow
from credential_service.crypto.data_integrity import create_proof
from credential_service.issuers import service as issuers
from credential_service.issuers.models import Issuer
from credential_service.issuers.rules import PLATFORM_CODE
from credential_service.runtime import Runtime
from credential_service.verification.trust import DatabaseTrust
from credential_service.verification.verifier import verify_credential
from tests.conftest import BASE_URL, ORG_CODE
from tests.factories import (
    ORG_DID,
    PLATFORM_DID,
    holder,
    issue_certificate,
    plain_credential,
    register_organisation,
)

OTHER_CODE = "Y000014040002"
OTHER_NAME = "阳泉煤业（集团）有限责任公司"
ID_NUMBER = "140521199712232987"  # valid check character; nobody's
PLATFORM_NAME = "山西省职业技能评价服务平台"  # the platform as registered (issuers.service)


def _issued_count(runtime: Runtime) -> int:
    with runtime.session() as session:
        return session.scalar(select(func.count()).select_from(IssuedCredential)) or 0


def _issue(client: TestClient, headers: dict[str, str], credential: dict[str, Any]) -> Any:
    return client.post("/credentials/issue", json={"credential": credential}, headers=headers)


def _locs(answer: Any) -> set[str]:
    assert answer.status_code == 422, answer.text
    return {e["loc"] for e in answer.json()["errors"]}


def _qr_verdict(client: TestClient, number: str, headers: dict[str, str]) -> str:
    url = client.get(f"/api/v1/certificates/{number}/qr.png", headers=headers).headers["x-verification-url"]
    return str(client.get(f"/api/v1/verify/{url.removeprefix(BASE_URL + '/v/')}").json()["verdict"])


def _verify_conclusion(client: TestClient, credential: dict[str, Any]) -> str:
    return str(
        client.post("/credentials/verify", json={"verifiableCredential": credential}).json()["conclusion"]
    )


# --- finding 1: forgery through POST /credentials/issue -------------------------------------------


def test_a_copy_of_a_genuine_certificate_is_not_signed(
    client: TestClient,
    runtime: Runtime,
    org_headers: dict[str, str],
    admin_headers: dict[str, str],
) -> None:
    other = register_organisation(runtime, OTHER_CODE, OTHER_NAME)
    genuine = json.loads(issue_certificate(runtime, other).credential_json)
    forged = copy.deepcopy(genuine)
    for field in ("proof", "id", "credentialStatus"):
        forged.pop(field)
    forged["issuer"] = {"id": ORG_DID, "type": ["Profile"], "name": OTHER_NAME}
    forged["credentialSubject"]["result"][0]["achievedLevel"] = f"{BASE_URL}/levels#1"
    before = _issued_count(runtime)
    # An organisation signs nothing here: its certificates come from the workflow (decision 022) ...
    refused = _issue(client, org_headers, forged)
    assert refused.status_code == 403, refused.text
    # ... and the platform, which may, is refused what only the registry may say.
    forged["issuer"]["id"] = PLATFORM_DID
    locs = _locs(_issue(client, admin_headers, forged))
    assert {
        "issuer.name",
        "name",
        "credentialSchema[0].id",
        "credentialSubject[0].licenseNumber",
        "credentialSubject[0].achievement.alignment",
    } <= locs
    assert _issued_count(runtime) == before  # nothing signed, nothing stored


def test_the_registered_name_is_the_issuer_name(client: TestClient, admin_headers: dict[str, str]) -> None:
    credential = plain_credential()
    credential["issuer"] = {"id": PLATFORM_DID, "type": ["Profile"]}
    answer = _issue(client, admin_headers, credential)
    assert answer.status_code == 201, answer.text
    assert answer.json()["verifiableCredential"]["issuer"]["name"] == PLATFORM_NAME


ISSUER_NAMES_ACCEPTED = {  # VC DM 2.0 §4.6: a string or language value objects, all of the registered name
    "a string": PLATFORM_NAME,
    "a language value": {"@value": PLATFORM_NAME, "@language": "zh-CN"},
    "with direction": {"@value": PLATFORM_NAME, "@language": "zh-CN", "@direction": "ltr"},
    "a list": [{"@value": PLATFORM_NAME, "@language": "zh-CN"}, {"@value": PLATFORM_NAME, "@language": "zh"}],
}
ISSUER_NAMES_REFUSED = {  # the W3C suite's names (test "If present (on `issuer`), the value of the name
    # property MUST be …"): a caller may not name the issuer, whatever the form (decision 022, 033)
    "another string": ("ExampleIssuer", "issuer.name"),
    "another name in a language value": ({"@value": "ExampleIssuer", "@language": "en"}, "issuer.name"),
    "another name among the registered": (
        [{"@value": PLATFORM_NAME, "@language": "zh-CN"}, {"@value": "Chien", "@language": "fr"}],
        "issuer.name",
    ),
    "an empty list": ([], "issuer.name"),
    # not a language value object: JSON-LD expansion refuses it first
    "the registered name with an extra key": (
        {"@value": PLATFORM_NAME, "@language": "zh", "url": PLATFORM_DID},
        "credential",
    ),
}


@pytest.mark.parametrize("name", ISSUER_NAMES_ACCEPTED.values(), ids=ISSUER_NAMES_ACCEPTED.keys())
def test_the_registered_name_may_be_written_in_any_form_the_model_allows(
    client: TestClient, admin_headers: dict[str, str], name: Any
) -> None:
    credential = plain_credential()
    credential["issuer"] = {"id": PLATFORM_DID, "name": name}
    answer = _issue(client, admin_headers, credential)
    assert answer.status_code == 201, answer.text
    assert answer.json()["verifiableCredential"]["issuer"]["name"] == name  # as written: it says the same


@pytest.mark.parametrize(("name", "loc"), ISSUER_NAMES_REFUSED.values(), ids=ISSUER_NAMES_REFUSED.keys())
def test_no_other_issuer_name_is_signed(
    client: TestClient, runtime: Runtime, admin_headers: dict[str, str], name: Any, loc: str
) -> None:
    credential = plain_credential()
    credential["issuer"] = {"id": PLATFORM_DID, "name": name}
    before = _issued_count(runtime)
    assert loc in _locs(_issue(client, admin_headers, credential))
    assert _issued_count(runtime) == before


def test_a_suspended_organisation_issues_nothing(
    client: TestClient, runtime: Runtime, org_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    suspended = client.put(
        f"/api/v1/organisations/{ORG_CODE}/status",
        json={"status": "suspended", "reason": "年度检查不合格"},
        headers=admin_headers,
    )
    assert suspended.status_code == 200, suspended.text
    before = _issued_count(runtime)
    refused = _issue(client, org_headers, plain_credential(ORG_DID))  # its tokens stop (decision 021)
    assert refused.status_code == 403 and refused.json()["code"] == "organisation_not_active"
    with runtime.session() as session, pytest.raises(CredentialRejected) as rejected:  # the service too
        certificates.issue_requested_credential(
            session,
            runtime.keystore,
            runtime.issuance,
            issuer=issuers.get_issuer(session, ORG_CODE),
            credential=plain_credential(ORG_DID),
        )
    assert [e.loc for e in rejected.value.errors] == ["issuer"]
    with pytest.raises(CredentialRejected) as refused_certificate:  # every path asks the registry
        issue_certificate(runtime, _issuer(runtime, ORG_CODE))
    assert [e.loc for e in refused_certificate.value.errors] == ["issuer"]
    assert _issued_count(runtime) == before


def _issuer(runtime: Runtime, code: str) -> Issuer:
    with runtime.session() as session:
        return issuers.get_issuer(session, code)


@pytest.mark.parametrize(
    "where",
    ["identifier", "name", "idempotency"],
)
def test_clear_id_numbers_are_refused_and_never_stored(
    client: TestClient, runtime: Runtime, admin_headers: dict[str, str], settings: Any, where: str
) -> None:
    credential = plain_credential()
    options: dict[str, Any] = {}
    if where == "identifier":
        credential["@context"].append("https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json")
        credential["credentialSubject"]["identifier"] = [
            {
                "type": "IdentityObject",
                "identityType": "nationalIdentityNumber",
                "hashed": False,
                "identityHash": ID_NUMBER,
            }
        ]
    elif where == "name":
        credential["credentialSubject"]["name"] = f"张三 {ID_NUMBER}"
    else:
        options["credentialId"] = f"retry-{ID_NUMBER}"
    answer = client.post(
        "/credentials/issue", json={"credential": credential, "options": options}, headers=admin_headers
    )
    assert answer.status_code == 422, answer.text
    assert any(ID_NUMBER not in e["reason"] for e in answer.json()["errors"])
    assert ID_NUMBER not in answer.text
    with runtime.session() as session:
        stored = " ".join(session.scalars(select(IssuedCredential.credential_json)))
        assert ID_NUMBER not in stored
    if settings.database_url.startswith("sqlite"):
        path = settings.database_url.removeprefix("sqlite:///")
        for suffix in ("", "-wal"):
            try:
                with open(path + suffix, "rb") as raw:
                    assert ID_NUMBER.encode() not in raw.read()
            except FileNotFoundError:
                pass


# --- one verdict for /credentials/verify and the QR code ------------------------------------------


def _post(
    client: TestClient, number: str, action: str, headers: dict[str, str], body: dict[str, Any]
) -> None:
    answer = client.post(f"/api/v1/certificates/{number}/{action}", json=body, headers=headers)
    assert answer.status_code in (200, 201), answer.text


GROUNDS = {"evidence": "晋人社稽〔2026〕3号 稽查报告", "authority": "山西省人社厅"}


def test_verify_and_the_qr_code_agree(
    client: TestClient, runtime: Runtime, organisation: Issuer, admin_headers: dict[str, str]
) -> None:
    records = {
        state: issue_certificate(runtime, organisation)
        for state in ("genuine", "revoked", "suspended", "superseded")
    }
    number = {state: record.certificate_number or "" for state, record in records.items()}
    _post(client, number["revoked"], "revoke", admin_headers, {**GROUNDS, "reason_code": "fraud"})
    _post(
        client, number["suspended"], "suspend", admin_headers, {**GROUNDS, "reason_code": "inspection_order"}
    )
    _post(client, number["superseded"], "supersede", admin_headers, {**GROUNDS, "holder_name": "更正名"})
    for state, record in records.items():
        credential = json.loads(record.credential_json)
        assert _qr_verdict(client, number[state], admin_headers) == state
        assert _verify_conclusion(client, credential) == state


def test_a_credential_signed_with_a_registered_key_but_never_issued_is_not_genuine(
    client: TestClient, runtime: Runtime, organisation: Issuer
) -> None:
    genuine = json.loads(issue_certificate(runtime, organisation).credential_json)
    forged = copy.deepcopy(genuine)
    forged.pop("proof")
    forged["id"] = "urn:uuid:00000000-0000-4000-8000-000000000001"
    forged["credentialSubject"]["name"] = "冒名顶替"
    with runtime.session() as session:
        key, signer = issuers.signer_for(issuers.get_issuer(session, ORG_CODE), runtime.keystore)
        forged = create_proof(
            forged,
            cryptosuite="eddsa-rdfc-2022",
            verification_method=key.verification_method,
            created=to_xsd(utcnow()),
            sign=signer.sign,
        )
    answer = client.post("/credentials/verify", json={"verifiableCredential": forged}).json()
    checks = {c["check"]: (c["outcome"], c["code"]) for c in answer["checks"]}
    assert checks["proof"] == ("valid", "signature_valid")  # the stolen key did sign it ...
    assert checks["record"] == ("invalid", "not_in_registry")  # ... but the registry never issued it
    assert answer["verified"] is False and answer["conclusion"] == "not_genuine"


def test_outside_the_scope_is_refused_at_issue_and_not_genuine_if_signed_around_it(
    client: TestClient, runtime: Runtime, admin_headers: dict[str, str]
) -> None:
    from tests.integration.test_assessment_workflow import _credit_code, _register

    code, _headers = _register(runtime, "990101", _credit_code(7))  # 6-18-02-04 电焊工, levels 5-3
    scoped = _issuer(runtime, code)
    with pytest.raises(CredentialRejected) as refused:
        issue_certificate(runtime, scoped, level=SkillLevel.LEVEL_1)
    assert [e.loc for e in refused.value.errors] == ["credentialSubject.achievement"]
    rogue = issue_certificate(runtime, scoped, level=SkillLevel.LEVEL_1, around_registry=True)
    assert _verify_conclusion(client, json.loads(rogue.credential_json)) == "not_genuine"
    assert _qr_verdict(client, rogue.certificate_number or "", admin_headers) == "not_genuine"


# --- finding 3: nothing public derives from the ID number -----------------------------------------


def _strings(document: Any) -> list[str]:
    if isinstance(document, str):
        return [document]
    if isinstance(document, dict):
        return [s for k, v in document.items() for s in (str(k), *_strings(v))]
    if isinstance(document, list):
        return [s for v in document for s in _strings(v)]
    return [str(document)]


def test_no_public_artefact_holds_a_value_derived_from_the_id_number(
    client: TestClient, runtime: Runtime, organisation: Issuer, admin_headers: dict[str, str]
) -> None:
    who = holder(name="刘洋", id_number=ID_NUMBER)
    record = issue_certificate(runtime, organisation, who=who)
    number = record.certificate_number or ""
    qr = client.get(f"/api/v1/certificates/{number}/qr.png", headers=admin_headers).headers[
        "x-verification-url"
    ]
    public = {
        "credential": json.loads(record.credential_json),
        "qr": qr,
        "page": client.get(qr.removeprefix(BASE_URL)).text,
        "verify": client.get("/api/v1/verify/" + qr.removeprefix(BASE_URL + "/v/")).json(),
        "bundle": client.get("/api/v1/trust-bundle").json(),
        "log": client.get("/log/leaves?start=0&end=50").json(),
    }
    texts = _strings(public)
    joined = "\n".join(texts)
    assert ID_NUMBER not in joined and ID_NUMBER[:-4] not in joined
    # No salted or plain SHA-256 of the number, whatever salt the documents carry.
    digests = {hashlib.sha256((ID_NUMBER + salt).encode()).hexdigest() for salt in {"", *texts}}
    assert not any(d in joined for d in digests)
    assert "identifier" not in public["credential"]["credentialSubject"]


# --- the property: a mutated credential never verifies --------------------------------------------


def _paths(document: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(document, dict):
        return [p for k, v in document.items() for p in [(*prefix, k), *_paths(v, (*prefix, k))]]
    if isinstance(document, list):
        return [p for i, v in enumerate(document) for p in [(*prefix, i), *_paths(v, (*prefix, i))]]
    return []


def _mutate(credential: dict[str, Any], path: tuple[Any, ...], how: str, value: Any) -> dict[str, Any]:
    mutated = copy.deepcopy(credential)
    parent = mutated
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if how == "delete":
        del parent[last]
    elif how == "replace":
        parent[last] = value
    elif isinstance(parent, dict):
        parent[f"{last}x"] = value  # an extra member next to it
    else:
        parent.insert(last, value)
    return mutated


@pytest.fixture
def issued(runtime: Runtime, organisation: Issuer) -> dict[str, Any]:
    return dict(json.loads(issue_certificate(runtime, organisation).credential_json))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_mutations_never_verify(runtime: Runtime, issued: dict[str, Any], data: Any) -> None:
    paths = _paths(issued)
    path = data.draw(st.sampled_from(paths), label="path")
    how = data.draw(st.sampled_from(["delete", "replace", "add"]), label="how")
    value = data.draw(
        st.one_of(st.text(max_size=8), st.integers(), st.booleans(), st.none(), st.just([])), label="value"
    )
    mutated = _mutate(issued, path, how, value)
    if mutated == issued:
        return
    with runtime.read_session() as session:
        report = verify_credential(mutated, DatabaseTrust(session, runtime.verification))
    assert not report.verified, (path, how, value)


# --- the second round of hostile testing ------------------------------------------------------------

OB_LICENSE = "https://purl.imsglobal.org/spec/vc/ob/vocab.html#licenseNumber"


def _posing(variant: str, issuer_did: str = PLATFORM_DID) -> dict[str, Any]:
    credential = plain_credential(issuer_did)
    subject = credential["credentialSubject"]
    if variant == "alias":
        credential["@context"].append({"certNo": OB_LICENSE})
        subject["certNo"] = "Y000014040002263000001"
    elif variant == "full_iri":
        subject[OB_LICENSE] = "Y000014040002263000001"
    elif variant == "value_object":
        credential["@context"].append("https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json")
        credential["name"] = {"@value": "职业技能等级证书", "@language": "zh"}
    elif variant == "zero_width":
        credential["@context"].append("https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json")
        credential["name"] = "职业技能\u200b等级证书 "
    elif variant == "vocab":
        credential["@context"].append({"@vocab": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#"})
        subject["licenseNumber"] = "Y000014040002263000001"
    return credential


@pytest.mark.parametrize("variant", ["alias", "full_iri", "value_object", "zero_width", "vocab"])
def test_a_skill_certificate_in_other_words_is_not_signed(
    client: TestClient, runtime: Runtime, organisation: Issuer, admin_headers: dict[str, str], variant: str
) -> None:
    before = _issued_count(runtime)
    answer = _issue(client, admin_headers, _posing(variant))
    assert answer.status_code == 422, answer.text
    assert _issued_count(runtime) == before


@pytest.mark.parametrize("issuer", ["organisation", "platform"])
def test_a_recorded_credential_without_a_registry_number_is_no_certificate(
    client: TestClient, runtime: Runtime, issuer: str
) -> None:
    """As one signed through /credentials/issue before decision 022 would be: an organisation's
    credential without a number, or the platform's carrying a licence number it never gave."""
    code, did = (ORG_CODE, ORG_DID) if issuer == "organisation" else (PLATFORM_CODE, PLATFORM_DID)
    with runtime.session() as session:
        record = certificates.issue_credential(
            session,
            runtime.keystore,
            runtime.issuance,
            issuer=issuers.get_issuer(session, code),
            credential=_posing("full_iri", did),
        )
    signed = json.loads(record.credential_json)
    answer = client.post("/credentials/verify", json={"verifiableCredential": signed})
    checks = {c["check"]: (c["outcome"], c["code"]) for c in answer.json()["checks"]}
    assert checks["record"] == ("invalid", "unnumbered_certificate")
    assert answer.json()["conclusion"] == "not_genuine"


def test_a_course_badge_may_mention_the_certificate_it_prepares_for(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    credential = plain_credential()
    credential["credentialSubject"]["description"] = (
        "为参加焊工职业技能等级证书（三级）认定开展的考前培训，职业分类大典 6-18-02-04"
    )
    answer = _issue(client, admin_headers, credential)
    assert answer.status_code == 201, answer.text
    signed = answer.json()["verifiableCredential"]
    assert _verify_conclusion(client, signed) == "genuine"


ID_FORMS = [
    "ID14052119850305477X",
    "140521 19850305 477X",
    "140521-19850305-477X",
    "1405211985\u200b0305477X",
    "１４０５２１１９８５０３０５４７７Ｘ",
    "140521850305477",  # the 15-digit number of the first generation
]


@pytest.mark.parametrize("text", ID_FORMS)
def test_an_id_number_in_any_spelling_is_refused_at_issue(
    client: TestClient, runtime: Runtime, admin_headers: dict[str, str], text: str
) -> None:
    in_name = plain_credential()
    in_name["credentialSubject"]["name"] = f"张三 {text}"
    in_key = plain_credential()
    in_key["credentialSubject"][f"urn:id:{text}"] = "x"
    before = _issued_count(runtime)
    for credential in (in_name, in_key):
        assert _issue(client, admin_headers, credential).status_code == 422
    retry = {"credential": plain_credential(), "options": {"credentialId": f"a{text}"}}
    assert client.post("/credentials/issue", json=retry, headers=admin_headers).status_code == 422
    assert _issued_count(runtime) == before


def test_no_hash_of_an_id_number_is_signed(client: TestClient, admin_headers: dict[str, str]) -> None:
    credential = plain_credential()
    credential["@context"].append("https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json")
    credential["credentialSubject"]["identifier"] = [
        {
            "type": ["IdentityObject"],
            "identityType": "nationalIdentityNumber",
            "hashed": True,
            "identityHash": "sha256$" + hashlib.sha256(ID_NUMBER.encode()).hexdigest(),
        }
    ]
    assert "credentialSubject.identifier[0].identityHash" in _locs(_issue(client, admin_headers, credential))


def test_free_text_never_stores_an_id_number(
    client: TestClient, runtime: Runtime, admin_headers: dict[str, str]
) -> None:
    from credential_service.assessment.workflow import plans
    from credential_service.core.errors import InvalidInput

    reason = {"status": "suspended", "reason": f"考评员身份证号 {ID_FORMS[1]}"}
    answer = client.put(f"/api/v1/organisations/{ORG_CODE}/status", json=reason, headers=admin_headers)
    assert answer.status_code == 422 and answer.json()["errors"][0]["loc"].endswith("reason")
    # The last guard, whatever the path: nothing is written with a clear number in it.
    with pytest.raises(InvalidInput) as refused, runtime.session() as session:
        plans.set_calendar_day(session, utcnow().date(), "holiday", f"张三{ID_NUMBER}", actor="admin:test")
    assert refused.value.code == "clear_id_number" and refused.value.errors[0].loc.startswith("calendar")


def test_the_id_query_answers_alike_and_no_faster_than_its_floor(
    client: TestClient, runtime: Runtime, organisation: Issuer
) -> None:
    import time

    from credential_service.verification.lookup import QUERY_FLOOR_SECONDS

    issue_certificate(runtime, organisation, who=holder(name="刘洋", id_number=ID_NUMBER))
    answers = []
    for number in (ID_NUMBER, "11010519491231002X"):  # registered (wrong name), and not registered
        started = time.monotonic()
        body = {"idType": "resident_id", "idNumber": number, "name": "错名字"}
        answers.append(client.post("/api/v1/verify/query", json=body).content)
        assert time.monotonic() - started >= QUERY_FLOOR_SECONDS
    assert answers[0] == answers[1]
