"""The worker's own file over real HTTP: sign-in, isolation, share links, exports, history, personal data."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update

from credential_service.audit import service as audit
from credential_service.core.clock import utcnow
from credential_service.identity.models import Person
from credential_service.identity.signin.assertions import DEV_IDP_ISSUER, AssertedIdentity, dev_assertion
from credential_service.issuers.models import Issuer
from credential_service.platform.tokens import Principal, Role, mint_token
from credential_service.records import service as records
from credential_service.records.models import FileEntry
from credential_service.records.rules import EntryKind
from credential_service.runtime import Runtime
from tests.conftest import BASE_URL
from tests.factories import holder, issue_certificate


def _sign_in(client: TestClient, runtime: Runtime, who: Any) -> dict[str, str]:
    assertion = dev_assertion(
        runtime.keystore,
        audience=BASE_URL,
        identity=AssertedIdentity(who.document_type.value, who.id_number, who.name, "L2"),
    )
    response = client.post("/api/v1/auth/assertion", json={"assertion": assertion})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
def two_workers(runtime: Runtime, organisation: Issuer) -> tuple[Any, Any]:
    a, b = holder(name="李明"), holder(name="王芳")
    for who in (a, b):
        issue_certificate(runtime, organisation, who=who)
    return a, b


ENDPOINTS = [
    "/api/v1/me",
    "/api/v1/me/file",
    "/api/v1/me/certificates",
    "/api/v1/me/verifications",
    "/api/v1/me/share-links",
    "/api/v1/me/export/data",
    "/api/v1/me/export/clr",
]


def test_a_worker_reads_only_their_own_file(
    client: TestClient, runtime: Runtime, two_workers: tuple[Any, Any]
) -> None:
    a, b = two_workers
    headers_a, headers_b = _sign_in(client, runtime, a), _sign_in(client, runtime, b)
    for path in ENDPOINTS:
        body_a = client.get(path, headers=headers_a)
        assert body_a.status_code == 200, (path, body_a.text)
        assert b.name not in body_a.text and b.id_number not in body_a.text, path
        assert a.id_number not in body_a.text, path  # not even their own number in clear
    certificates_a = client.get("/api/v1/me/certificates", headers=headers_a).json()
    certificates_b = client.get("/api/v1/me/certificates", headers=headers_b).json()
    assert len(certificates_a) == len(certificates_b) == 1
    number_b = certificates_b[0]["certificate_number"]
    # A's token cannot fetch, share or download B's certificate (not found, as an unknown number).
    assert (
        client.get(f"/api/v1/certificates/{number_b}/credential.json", headers=headers_a).status_code == 404
    )
    share = client.post("/api/v1/me/share-links", json={"certificate_number": number_b}, headers=headers_a)
    assert share.status_code == 404
    link_b = client.post("/api/v1/me/share-links", json={}, headers=headers_b).json()
    assert client.delete(f"/api/v1/me/share-links/{link_b['id']}", headers=headers_a).status_code == 404
    # Staff and organisation tokens are not worker tokens.
    org = {
        "Authorization": "Bearer "
        + mint_token(
            runtime.keystore,
            issuer=BASE_URL,
            audience=BASE_URL,
            principal=Principal(Role.ORGANISATION, "org:x", frozenset(), "Y000014010001"),
            minutes=5,
        )
    }
    assert client.get("/api/v1/me/file", headers=org).status_code == 403
    assert client.get("/api/v1/me/file").status_code == 401


def test_tokens_expire_and_forged_assertions_are_refused(
    client: TestClient, runtime: Runtime, two_workers: tuple[Any, Any]
) -> None:
    a, _ = two_workers
    person_id = client.get("/api/v1/me", headers=_sign_in(client, runtime, a)).json()["public_id"]
    expired = mint_token(
        runtime.keystore,
        issuer=BASE_URL,
        audience=BASE_URL,
        minutes=15,
        principal=Principal(Role.WORKER, "w", frozenset(), person_id),
        now=utcnow() - timedelta(hours=1),
    )
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {expired}"}).status_code == 401

    claims = {
        "iss": DEV_IDP_ISSUER,
        "aud": BASE_URL,
        "iat": int(utcnow().timestamp()),
        "exp": int((utcnow() + timedelta(minutes=5)).timestamp()),
        "doc_type": "resident_id",
        "id_number": a.id_number,
        "name": a.name,
    }
    forged = jwt.encode(claims, Ed25519PrivateKey.generate(), algorithm="EdDSA")  # not the provider's key
    wrong_audience = dev_assertion(
        runtime.keystore,
        audience="https://elsewhere.example",
        identity=AssertedIdentity("resident_id", a.id_number, a.name, "L2"),
    )
    stale = dev_assertion(
        runtime.keystore,
        audience=BASE_URL,
        now=utcnow() - timedelta(minutes=30),
        identity=AssertedIdentity("resident_id", a.id_number, a.name, "L2"),
    )
    unsigned = forged.rsplit(".", 1)[0] + "."  # signature stripped
    for assertion in (forged, wrong_audience, stale, unsigned, "not-a-jwt-at-all"):
        response = client.post("/api/v1/auth/assertion", json={"assertion": assertion})
        assert response.status_code in (401, 422), response.text
        assert a.id_number not in response.text
    wrong_check = "1" if a.id_number[-1] == "0" else "0"  # a check character that cannot be right
    bad_number = dev_assertion(
        runtime.keystore,
        audience=BASE_URL,
        identity=AssertedIdentity("resident_id", a.id_number[:-1] + wrong_check, a.name, "L2"),
    )
    refused = client.post("/api/v1/auth/assertion", json={"assertion": bad_number})
    assert refused.status_code == 422 and a.id_number[:-1] not in refused.text


def test_share_links_and_the_verification_log(
    client: TestClient, runtime: Runtime, two_workers: tuple[Any, Any]
) -> None:
    a, _ = two_workers
    headers = _sign_in(client, runtime, a)
    number = client.get("/api/v1/me/certificates", headers=headers).json()[0]["certificate_number"]
    created = client.post(
        "/api/v1/me/share-links", json={"certificate_number": number, "days": 7}, headers=headers
    )
    assert created.status_code == 201
    url = created.json()["url"].removeprefix(BASE_URL)
    shared = client.get(url)
    assert shared.status_code == 200 and number in shared.text
    vc = client.get(f"{url}/{number}.json").json()
    assert client.post("/credentials/verify", json={"verifiableCredential": vc}).status_code == 200
    runtime.verification_log.flush()  # the API's log line is written behind the request
    log = client.get("/api/v1/me/verifications", headers=headers).json()
    assert {entry["channel"] for entry in log} == {"share", "api"}
    assert all(entry["certificate_number"] == number for entry in log)
    assert client.delete(f"/api/v1/me/share-links/{created.json()['id']}", headers=headers).status_code == 200
    assert client.get(url).status_code == 410
    links = client.get("/api/v1/me/share-links", headers=headers).json()
    assert links[0]["state"] == "withdrawn" and "url" not in links[0]
    bad = client.post("/api/v1/me/share-links", json={"days": 9999}, headers=headers)
    assert bad.status_code == 422 and "days" in bad.text


def test_exports_clr_and_personal_data(
    client: TestClient, runtime: Runtime, two_workers: tuple[Any, Any]
) -> None:
    a, _ = two_workers
    headers = _sign_in(client, runtime, a)
    clr = client.get("/api/v1/me/export/clr", headers=headers).json()
    assert clr["type"] == ["VerifiableCredential", "ClrCredential"]
    assert len(clr["credentialSubject"]["verifiableCredential"]) == 1
    assert a.id_number not in json.dumps(clr, ensure_ascii=False)
    verified = client.post("/credentials/verify", json={"verifiableCredential": clr})
    assert verified.status_code == 200, verified.text
    embedded = clr["credentialSubject"]["verifiableCredential"][0]
    assert client.post("/credentials/verify", json={"verifiableCredential": embedded}).status_code == 200
    tampered = copy.deepcopy(clr)
    tampered["credentialSubject"]["achievement"][0]["name"] = "焊工（一级/高级技师）"
    assert client.post("/credentials/verify", json={"verifiableCredential": tampered}).status_code == 422
    data = client.get("/api/v1/me/export/data", headers=headers).json()
    assert data["person"]["name"] == a.name and data["file"][0]["kind"] == "certificate_issued"
    assert a.id_number not in json.dumps(data, ensure_ascii=False)


def test_editing_stored_history_is_detected(runtime: Runtime, two_workers: tuple[Any, Any]) -> None:
    with runtime.session() as session:
        person = session.scalars(select(Person).where(Person.name == "李明")).one()
        records.append_entry(
            session, person, EntryKind.EXAM_RESULT, {"theory": 72, "skill": 81}, source="test"
        )
        records.append_entry(
            session,
            person,
            EntryKind.CORRECTION,
            {"theory": 75},
            source="test",
            supersedes_seq=2,
            reason="阅卷复核更正 / re-marked",
        )
        assert records.verify_file(session, person) == []
        with pytest.raises(Exception, match=r"更正无效|invalid correction"):
            records.append_entry(
                session, person, EntryKind.CORRECTION, {}, source="t", supersedes_seq=9, reason="x"
            )
    with runtime.session() as session:  # someone edits the database directly
        session.execute(
            update(FileEntry).where(FileEntry.seq == 2).values(payload='{"skill":99,"theory":72}')
        )
    with runtime.session() as session:
        person = session.scalars(select(Person).where(Person.name == "李明")).one()
        problems = records.verify_file(session, person)
        assert [(p.seq, p.problem) for p in problems] == [(2, "content changed after it was recorded")]
    with runtime.session() as session:  # or deletes an entry
        session.execute(
            text(
                "DELETE FROM file_entries WHERE seq = 1 AND person_id = "
                "(SELECT id FROM persons WHERE name = '李明')"
            )
        )
    with runtime.session() as session:
        person = session.scalars(select(Person).where(Person.name == "李明")).one()
        assert {p.seq for p in records.verify_file(session, person)} >= {2}


def test_staff_reveal_is_audited(
    client: TestClient, runtime: Runtime, two_workers: tuple[Any, Any], admin_headers: dict[str, str]
) -> None:
    a, _ = two_workers
    person_id = client.get("/api/v1/me", headers=_sign_in(client, runtime, a)).json()["public_id"]
    path = f"/api/v1/admin/persons/{person_id}/reveal-id-number"
    assert client.post(path, json={"reason": ""}, headers=admin_headers).status_code == 422
    assert (
        client.post(
            path, json={"reason": "核对补贴申请材料"}, headers=_sign_in(client, runtime, a)
        ).status_code
        == 403
    )
    revealed = client.post(path, json={"reason": "核对补贴申请材料"}, headers=admin_headers)
    assert revealed.status_code == 200 and revealed.json()["id_number"] == a.id_number
    with runtime.session() as session:
        events = audit.events(session, action="person.reveal_id_number")
        assert [(e.actor, json.loads(e.detail)["reason"]) for e in events] == [
            ("admin:test", "核对补贴申请材料")
        ]
        assert a.id_number not in events[0].detail and a.id_number not in events[0].subject
        assert audit.check(audit.events(session)) == []


def test_staff_record_entries_and_corrections_into_the_file(
    client: TestClient, runtime: Runtime, two_workers: tuple[Any, Any], admin_headers: dict[str, str]
) -> None:
    a, _ = two_workers
    found = client.post(
        "/api/v1/admin/persons/lookup",
        json={"document_type": "resident_id", "id_number": a.id_number},
        headers=admin_headers,
    )
    assert found.status_code == 200 and found.json()["name"] == a.name
    assert a.id_number not in found.text
    missing = client.post(
        "/api/v1/admin/persons/lookup",
        json={"document_type": "resident_id", "id_number": "11010519491231002X"},
        headers=admin_headers,
    )
    assert missing.status_code == 404 and "11010519491231002X" not in missing.text
    path = f"/api/v1/admin/persons/{found.json()['public_id']}/entries"
    recorded = client.post(
        path,
        headers=admin_headers,
        json={
            "certificate_recorded": {
                "certificate_type": "专项职业能力证书",
                "certificate_number": "1414001000123",
                "title": "面点制作",
                "issuer": "太原市职业技能鉴定中心",
                "issued_on": "2021-06-30",
            }
        },
    )
    assert recorded.status_code == 201, recorded.text
    exam = client.post(
        path,
        headers=admin_headers,
        json={
            "exam_result": {
                "occupation_code": "6-18-01-01",
                "level": 3,
                "theory": 70,
                "skill": 80,
                "exam_date": "2026-10-01",
                "organisation": "某评价站",
            }
        },
    )
    assert exam.status_code == 201
    correction = client.post(
        path,
        headers=admin_headers,
        json={
            "correction": {
                "supersedes": exam.json()["seq"],
                "reason": "成绩录入错误 / wrong score",
                "facts": {"skill": 85},
            }
        },
    )
    assert correction.status_code == 201
    for bad in (
        {},
        {
            "subsidy_paid": {
                "subsidy_type": "技能提升补贴",
                "amount_yuan": "-5",
                "fund": "x",
                "paid_on": "2026-10-08",
            }
        },
        {"correction": {"supersedes": 99, "reason": "no such entry", "facts": {}}},
        {
            "exam_result": {
                "occupation_code": "6-18-01-01",
                "level": 3,
                "theory": 70,
                "skill": 80,
                "exam_date": "2026-10-01",
                "organisation": "某评价站",
            },
            "subsidy_paid": {
                "subsidy_type": "其他",
                "amount_yuan": "1",
                "fund": "xx",
                "paid_on": "2026-10-08",
            },
        },
    ):
        assert client.post(path, headers=admin_headers, json=bad).status_code == 422, bad
    file = client.get(f"/api/v1/admin/persons/{found.json()['public_id']}/file", headers=admin_headers).json()
    assert file["chain"]["intact"] is True
    kinds = [e["kind"] for e in file["entries"]]
    assert kinds[-3:] == ["certificate_recorded", "exam_result", "correction"]
    assert file["entries"][-2]["superseded_by"] == file["entries"][-1]["seq"]
    worker_headers = _sign_in(client, runtime, a)
    assert client.post(path, headers=worker_headers, json={"subsidy_paid": {}}).status_code in (403, 422)
    assert (
        client.get(
            f"/api/v1/admin/persons/{found.json()['public_id']}/file", headers=worker_headers
        ).status_code
        == 403
    )
    with runtime.session() as session:
        assert [e.action for e in audit.events(session)][-3:] == [
            "file.certificate_recorded",
            "file.exam_result",
            "file.correction",
        ]


def test_the_card_number_is_an_attribute_with_history(
    client: TestClient, runtime: Runtime, two_workers: tuple[Any, Any]
) -> None:
    a, _ = two_workers
    for card in ("A12345678", "A12345678", "B87654321"):
        assertion = dev_assertion(
            runtime.keystore,
            audience=BASE_URL,
            identity=AssertedIdentity(a.document_type.value, a.id_number, a.name, "L2", card_number=card),
        )
        token = client.post("/api/v1/auth/assertion", json={"assertion": assertion}).json()["access_token"]
    cards = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()["cards"]
    assert [c["cardNumber"] for c in cards] == ["A12345678", "B87654321"]
    assert cards[0]["replacedOn"] is not None and cards[1]["replacedOn"] is None
