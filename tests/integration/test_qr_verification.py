"""The employer's path: QR code → token → verdict; the query and bulk look-ups (issue 5)."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from pyzbar.pyzbar import ZBarSymbol, decode
from sqlalchemy import event, select

from credential_service.certificates.errors import CredentialRejected
from credential_service.certificates.models import IssuedCredential
from credential_service.certificates.qr_codes import MAX_QR_VERSION, PNG_MODULE_PIXELS, QUIET_ZONE_MODULES
from credential_service.certificates.rules import SkillLevel
from credential_service.core.clock import as_utc
from credential_service.core.config import Settings
from credential_service.core.errors import ConfigurationError
from credential_service.demo import load_demo
from credential_service.identity.rules import mask_name
from credential_service.issuers import service as issuers
from credential_service.issuers.models import Issuer
from credential_service.runtime import Runtime, build_runtime
from credential_service.transparency.models import LogLeaf
from credential_service.verification import service as verification
from credential_service.verification import tokens
from credential_service.verification.trust import BundleTrust
from tests.conftest import BASE_URL, ORG_CODE
from tests.factories import holder, issue_certificate

CLI = str(Path(sys.executable).parent / "credential-service")
GROUNDS = {"reason_code": "fraud", "evidence": "稽查报告 2026-07", "authority": "山西省人社厅"}


def qr_url(client: TestClient, number: str, headers: dict[str, str]) -> str:
    """Fetch the QR PNG and read it with zbar, as a phone camera would."""
    response = client.get(f"/api/v1/certificates/{number}/qr.png", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    modules = image.width // PNG_MODULE_PIXELS - 2 * QUIET_ZONE_MODULES
    assert (modules - 17) // 4 <= MAX_QR_VERSION
    decoded = decode(image, symbols=[ZBarSymbol.QRCODE])  # a QR code only: zbar may see a stray 1-D bar
    assert len(decoded) == 1
    url = decoded[0].data.decode("ascii")
    assert url == response.headers["x-verification-url"]
    return url


def token_of(url: str) -> str:
    assert url.startswith(f"{BASE_URL}/v/")
    return url.removeprefix(f"{BASE_URL}/v/")


@contextmanager
def statements(runtime: Runtime) -> Iterator[list[str]]:
    seen: list[str] = []

    def remember(_conn: object, _cursor: object, sql: str, *_args: object) -> None:
        # The verification-log queue writes from its own thread, on its own schedule: not the request's work.
        if threading.current_thread().name != "verification-log":
            seen.append(sql.split(None, 1)[0].upper())

    event.listen(runtime.engine, "before_cursor_execute", remember)
    try:
        yield seen
    finally:
        event.remove(runtime.engine, "before_cursor_execute", remember)


def test_qr_code_reads_with_zbar_and_the_page_says_genuine(
    client: TestClient, runtime: Runtime, organisation: Issuer, admin_headers: dict[str, str]
) -> None:
    who = holder(name="王小明")
    record = issue_certificate(runtime, organisation, who=who)
    assert record.certificate_number is not None
    url = qr_url(client, record.certificate_number, admin_headers)
    assert not re.search(r"\d{17}[\dX]", url)  # no ID number in the QR code

    page = client.get(url.removeprefix(BASE_URL))
    assert page.status_code == 200
    assert 'id="verdict">真实有效<' in page.text
    assert "王*明" in page.text and "王小明" not in page.text
    assert record.certificate_number in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "script-src 'none'" in page.headers["content-security-policy"]
    english = client.get(url.removeprefix(BASE_URL), params={"lang": "en"})
    assert "Genuine and valid" in english.text

    svg = client.get(f"/api/v1/certificates/{record.certificate_number}/qr.svg", headers=admin_headers)
    assert svg.status_code == 200 and svg.text.startswith("<svg")


def test_verdicts_follow_status_changes(
    client: TestClient, runtime: Runtime, organisation: Issuer, admin_headers: dict[str, str]
) -> None:
    records = [issue_certificate(runtime, organisation) for _ in range(4)]
    numbers = [r.certificate_number for r in records]
    tokens = [token_of(qr_url(client, str(n), admin_headers)) for n in numbers]
    valid, revoked, suspended, superseded = numbers
    assert client.post(
        f"/api/v1/certificates/{revoked}/revoke", json=GROUNDS, headers=admin_headers
    ).is_success
    assert client.post(
        f"/api/v1/certificates/{suspended}/suspend", json={**GROUNDS, "reason_code": "inspection_order"},
        headers=admin_headers,
    ).is_success  # fmt: skip
    replaced = client.post(
        f"/api/v1/certificates/{superseded}/supersede",
        json={"holder_name": "李更正", "evidence": "身份证复印件", "authority": "评价机构"},
        headers=admin_headers,
    )
    assert replaced.is_success, replaced.text

    answers = [client.get(f"/api/v1/verify/{t}").json() for t in tokens]
    assert [a["verdict"] for a in answers] == ["genuine", "revoked", "suspended", "superseded"]
    logged = [next(c for c in a["checks"] if c["check"] == "logged") for a in answers]
    assert {c["outcome"] for c in logged} == {"valid"}  # each is in a signed transparency-log checkpoint
    with runtime.session() as session:
        status_leaves = session.scalars(
            select(LogLeaf.leaf_data).where(LogLeaf.kind == "credential.status")
        ).all()
    assert len(status_leaves) == 3  # revoke, suspend, and the superseded one's revocation
    assert answers[1]["status"]["reason"] == "fraud" and answers[1]["status"]["changedAt"]
    assert answers[2]["status"]["reason"] == "inspection_order"
    new_number = answers[3]["status"]["supersededBy"]
    assert new_number and new_number != superseded
    page = client.get(f"/v/{tokens[1]}")
    assert "已撤销" in page.text and "弄虚作假" in page.text
    assert new_number in client.get(f"/v/{tokens[3]}").text

    # The corrected certificate has its own QR code, and it is genuine.
    new_token = token_of(qr_url(client, new_number, admin_headers))
    assert client.get(f"/api/v1/verify/{new_token}").json()["verdict"] == "genuine"
    # Lifting the suspension shows at once.
    lifted = client.post(
        f"/api/v1/certificates/{suspended}/reinstate",
        json={"evidence": "复查结论", "authority": "山西省人社厅"},
        headers=admin_headers,
    )
    assert lifted.is_success, lifted.text
    assert client.get(f"/api/v1/verify/{tokens[2]}").json()["verdict"] == "genuine"
    assert valid is not None


def _altered(token: str, at: int) -> str:
    swapped = "A" if token[at] != "A" else "B"
    return token[:at] + swapped + token[at + 1 :]


def test_altered_or_forged_tokens_are_not_genuine_without_a_database_read(
    client: TestClient, runtime: Runtime, organisation: Issuer, admin_headers: dict[str, str]
) -> None:
    record = issue_certificate(runtime, organisation)
    token = token_of(qr_url(client, str(record.certificate_number), admin_headers))
    assert client.get(f"/api/v1/verify/{token}").json()["verdict"] == "genuine"  # loads the key directory
    for at in range(8, len(token), 7):  # past the version and fingerprint: every other field
        with statements(runtime) as seen:
            answer = client.get(f"/api/v1/verify/{_altered(token, at)}")
        assert answer.status_code == 200
        assert answer.json()["verdict"] == "not_genuine"
        assert answer.json()["certificate"] is None
        assert seen == [], f"position {at}: {seen}"
    for junk in ("x", "A" * 301, "0189", token[:-1], token + "A", "%F0%9F%98%80"):
        answer = client.get(f"/api/v1/verify/{junk}")
        assert answer.status_code in (200, 404) and answer.status_code != 500
        if answer.status_code == 200:
            assert answer.json()["verdict"] == "not_genuine"
        assert client.get(f"/v/{junk}").status_code in (200, 404)
    page = client.get(f"/v/{_altered(token, 100)}")
    assert 'id="verdict">不是真实证书<' in page.text


def test_a_genuine_check_writes_nothing_in_the_request_and_the_worker_sees_it(
    client: TestClient, runtime: Runtime, organisation: Issuer, admin_headers: dict[str, str]
) -> None:
    record = issue_certificate(runtime, organisation)
    token = token_of(qr_url(client, str(record.certificate_number), admin_headers))
    with statements(runtime) as seen:
        assert client.get(f"/api/v1/verify/{token}").json()["verdict"] == "genuine"
        assert client.get(f"/v/{token}", headers={"User-Agent": "Mozilla/5.0 (iPhone)"}).status_code == 200
    assert not {"INSERT", "UPDATE", "DELETE"} & set(seen), seen
    runtime.verification_log.flush()
    with runtime.session() as session:
        logged = verification.verifications_of(session, [record.credential_id])
    assert {(e.channel, e.client, e.verdict) for e in logged} == {
        ("api", "script", "genuine"),
        ("page", "mobile", "genuine"),
    }


def _query(client: TestClient, **body: str) -> dict[str, object]:
    response = client.post("/api/v1/verify/query", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, object] = response.json()
    return result


def test_query_by_number_or_id_number_with_name(
    client: TestClient, runtime: Runtime, organisation: Issuer
) -> None:
    who = holder(name="赵钱孙")
    record = issue_certificate(runtime, organisation, who=who)
    number = str(record.certificate_number)
    found = _query(client, certificateNumber=number, name="赵钱孙")
    assert found["match"] is True
    [certificate] = found["certificates"]  # type: ignore[misc]
    assert certificate["verdict"] == "genuine"
    assert certificate["certificate"]["name"] == mask_name("赵钱孙") == "赵*孙"
    assert who.id_number not in str(found)
    by_id = _query(client, idType="resident_id", idNumber=who.id_number, name="赵 钱孙")
    assert by_id["match"] is True

    wrong_name = client.post("/api/v1/verify/query", json={"certificateNumber": number, "name": "赵钱李"})
    unknown = client.post(
        "/api/v1/verify/query", json={"certificateNumber": number[:-6] + "999999", "name": "赵钱孙"}
    )
    assert wrong_name.status_code == unknown.status_code == 200
    assert wrong_name.content == unknown.content == b'{"match":false,"certificates":[]}'

    bad = client.post("/api/v1/verify/query", json={"name": "赵钱孙"})
    assert bad.status_code == 422 and "certificateNumber" in bad.text
    extra = client.post("/api/v1/verify/query", json={"certificateNumber": number, "name": "x", "id": 1})
    assert extra.status_code == 422 and extra.json()["errors"][0]["loc"] == "id"
    bad_id = client.post("/api/v1/verify/query", json={"idNumber": "140101199001011234", "name": "x"})
    assert bad_id.status_code == 422 and bad_id.json()["errors"][0]["loc"] == "idNumber"


def test_query_is_rate_limited_per_client(client: TestClient, runtime: Runtime) -> None:
    body = {"certificateNumber": "Y00001401000126300" + "0001", "name": "某某"}
    limit = runtime.settings.verify_queries_per_minute
    answers = [client.post("/api/v1/verify/query", json=body) for _ in range(limit + 1)]
    assert [a.status_code for a in answers[:limit]] == [200] * limit
    assert answers[-1].status_code == 429
    assert int(answers[-1].headers["retry-after"]) >= 1
    assert answers[-1].json()["code"] == "rate_limited"


def test_bulk_check_by_json_and_csv(
    client: TestClient, runtime: Runtime, organisation: Issuer, admin_headers: dict[str, str]
) -> None:
    people = [holder(name=n) for n in ("钱一", "孙二", "李三")]
    records: list[IssuedCredential] = [issue_certificate(runtime, organisation, who=p) for p in people]
    numbers = [str(r.certificate_number) for r in records]
    assert client.post(
        f"/api/v1/certificates/{numbers[1]}/revoke", json=GROUNDS, headers=admin_headers
    ).is_success
    items = [
        {"certificateNumber": numbers[0], "name": "钱一"},
        {"certificateNumber": numbers[1], "name": "孙二"},
        {"certificateNumber": numbers[2], "name": "错名"},
        {"certificateNumber": "not-a-number", "name": "李三"},
    ]
    answer = client.post("/api/v1/verify/bulk", json={"items": items})
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [(r["row"], r["match"], r.get("verdict")) for r in results] == [
        (1, True, "genuine"),
        (2, True, "revoked"),
        (3, False, None),
        (4, False, None),
    ]
    assert results[0]["certificate"]["name"] == "钱*"

    csv_body = "证书编号,姓名\n" + "\n".join(f"{i['certificateNumber']},{i['name']}" for i in items) + "\n"
    as_csv = client.post(
        "/api/v1/verify/bulk", content=csv_body.encode("utf-8-sig"), headers={"Content-Type": "text/csv"}
    )
    assert as_csv.status_code == 200, as_csv.text
    assert as_csv.json()["results"] == results

    no_header = client.post("/api/v1/verify/bulk", content=b"a,b\n", headers={"Content-Type": "text/csv"})
    assert no_header.status_code == 422 and no_header.json()["errors"][0]["loc"] == "header"
    wrong_type = client.post("/api/v1/verify/bulk", content=b"x", headers={"Content-Type": "text/plain"})
    assert wrong_type.status_code == 415
    too_many = {"items": [items[0]] * (runtime.settings.verify_bulk_max_rows + 1)}
    assert client.post("/api/v1/verify/bulk", json=too_many).status_code == 422
    unknown_field = client.post("/api/v1/verify/bulk", json={"items": [{**items[0], "idNumber": "1"}]})
    assert unknown_field.status_code == 422 and unknown_field.json()["errors"][0]["loc"] == "items.0.idNumber"


def test_bulk_rows_are_rate_limited(client: TestClient, runtime: Runtime) -> None:
    rows = runtime.settings.verify_bulk_max_rows
    item = {"certificateNumber": "Y000014010001263000001", "name": "某某"}
    budget = runtime.settings.verify_bulk_rows_per_hour
    for _ in range(budget // rows):
        assert client.post("/api/v1/verify/bulk", json={"items": [item] * rows}).status_code == 200
    refused = client.post("/api/v1/verify/bulk", json={"items": [item] * rows})
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 60


def test_a_base_url_too_long_for_a_version_10_qr_code_is_a_start_up_error(settings: Settings) -> None:
    long_url = "https://" + "skills." * 9 + "gov.cn"
    with pytest.raises(ConfigurationError, match="CS_PUBLIC_BASE_URL"):
        build_runtime(settings.model_copy(update={"public_base_url": long_url}))


NO_NETWORK = """
import socket

def _refuse(*_args, **_kwargs):
    raise OSError("network unavailable (test)")

socket.socket.connect = _refuse
socket.socket.connect_ex = _refuse
socket.create_connection = _refuse
socket.getaddrinfo = _refuse
"""


def test_offline_verification_of_a_token_with_the_network_unavailable(
    client: TestClient, runtime: Runtime, organisation: Issuer, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    good, bad = (issue_certificate(runtime, organisation) for _ in range(2))
    urls = [qr_url(client, str(r.certificate_number), admin_headers) for r in (good, bad)]
    assert client.post(f"/api/v1/certificates/{bad.certificate_number}/revoke", json=GROUNDS,
                       headers=admin_headers).is_success  # fmt: skip
    bundle = tmp_path / "bundle.json"
    bundle.write_bytes(client.get("/api/v1/trust-bundle").content)
    (tmp_path / "sitecustomize.py").write_text(NO_NETWORK)
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(tmp_path), "HOME": str(tmp_path)}

    def offline(target: str) -> tuple[int, dict[str, Any]]:
        done = subprocess.run(
            [CLI, "verify", target, "--offline", "--bundle", str(bundle), "--json"],
            env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path, check=False,
        )  # fmt: skip
        return done.returncode, json.loads(done.stdout)

    code, genuine = offline(urls[0])
    outcomes = {c["check"]: c["outcome"] for c in genuine["checks"]}
    assert outcomes == {
        "token": "valid",
        "issuer_key": "valid",
        "record": "cannot_tell",
        "validity_period": "valid",  # from the token's issue date (the QR path checks validFrom too)
        "status_revocation": "valid",
        "status_suspension": "valid",
    }
    assert (code, genuine["verdict"]) == (2, "cannot_tell")
    code, revoked = offline(urls[1])
    assert (code, revoked["verdict"]) == (1, "revoked")
    code, forged = offline(_altered(token_of(urls[0]), 150))
    assert (code, forged["verdict"]) == (1, "not_genuine")
    assert [c["check"] for c in forged["checks"]] == ["token"]


def test_a_certificate_outside_the_registered_scope_is_not_genuine(
    client: TestClient, runtime: Runtime, admin_headers: dict[str, str]
) -> None:
    manifest = load_demo(runtime, workers=40)  # organisations registered for levels 5, 4 and 3
    code = next(o["code"] for o in manifest.organisations if o["code"] != ORG_CODE)  # not the fixture's
    with runtime.session() as session:
        issuer = issuers.get_issuer(session, code)
    inside = issue_certificate(runtime, issuer, level=SkillLevel.LEVEL_3)
    with pytest.raises(CredentialRejected) as refused:  # the registry refuses to issue it ...
        issue_certificate(runtime, issuer, level=SkillLevel.LEVEL_1)
    assert [e.loc for e in refused.value.errors] == ["credentialSubject.achievement"]
    # ... and one signed around it (a rogue path with the organisation's key) is not genuine.
    outside = issue_certificate(runtime, issuer, level=SkillLevel.LEVEL_1, around_registry=True)
    verdicts = {}
    for record in (inside, outside):
        answer = client.get(
            f"/api/v1/verify/{token_of(qr_url(client, str(record.certificate_number), admin_headers))}"
        )
        scope = next(c for c in answer.json()["checks"] if c["check"] == "scope")
        verdicts[record.certificate_number] = (answer.json()["verdict"], scope["outcome"])
    assert verdicts == {
        inside.certificate_number: ("genuine", "valid"),
        outside.certificate_number: ("not_genuine", "invalid"),
    }


def test_a_certificate_not_yet_valid_is_refused_on_the_qr_path(
    client: TestClient, runtime: Runtime, organisation: Issuer, admin_headers: dict[str, str]
) -> None:
    """The QR path runs the validity check of ``/credentials/verify``: before its validFrom a
    certificate is not genuine, online (the registry's copy) and offline (the token's issue date)."""
    record = issue_certificate(runtime, organisation)
    token = token_of(qr_url(client, str(record.certificate_number), admin_headers))
    issued_at = as_utc(record.issued_at)
    for now, verdict in ((issued_at - timedelta(days=2), "cannot_tell"), (issued_at, "genuine")):
        online = tokens.verify_token(
            token, runtime.key_directory, runtime.read_session, settings=runtime.verification, now=now
        )
        bundle = BundleTrust(client.get("/api/v1/trust-bundle").json())
        for result in (online, tokens.verify_token_offline(token, bundle, now=now)):
            validity = next(c for c in result.checks if c.check == "validity_period")
            assert validity.code == ("not_yet_valid" if verdict != "genuine" else "within_validity_period")
        assert online.verdict.value == verdict
