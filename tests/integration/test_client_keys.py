"""Organisation-held keys over HTTP, on SQLite and PostgreSQL: administrators register, list and revoke
an organisation's own Ed25519 public keys; a result sheet signed with one (X-Content-Signature, a
detached JWS over the SHA-256 of the exact bytes) is accepted and its signature kept as evidence;
any bad signature records nothing; ``private_key_jwt`` works with such a key until it is revoked.

The organisation's side is written here from the format in docs/decisions/016 with PyNaCl alone,
independently of the service's own (PyJWT-based) verification.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import random
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from nacl.signing import SigningKey
from openpyxl import Workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from credential_service.assessment.organisations import service as organisations
from credential_service.assessment.workflow import submissions
from credential_service.assessment.workflow.models import Candidate, ResultSubmission, SheetIdentity
from credential_service.audit import service as audit
from credential_service.cli import app as cli
from credential_service.core.clock import utcnow
from credential_service.core.config import Settings
from credential_service.crypto.multibase import encode_ed25519_public_key
from credential_service.demo import demo_id_number, demo_name
from credential_service.identity.clients.models import OrganisationClientKey
from credential_service.identity.models import Person
from credential_service.platform.tokens import Principal, Role, mint_token
from credential_service.records.models import FileEntry
from credential_service.runtime import Runtime
from tests.conftest import BASE_URL
from tests.integration.test_assessment_workflow import SCOPE, _credit_code, _plan

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
HEADER = "X-Content-Signature"


def _register(runtime: Runtime, site: str, credit_code: str) -> tuple[str, dict[str, str]]:
    """A registered organisation and a token of it for every organisation scope."""
    with runtime.session() as session:
        code = organisations.register_organisation(
            session,
            runtime.keystore,
            runtime.settings,
            org_type="S",
            credit_code=credit_code,
            name=f"山西省焊接技能评价站{site}",
            mohrss_code="0000",
            site_serial=site,
            scope=[SCOPE],
            actor="admin:test",
        ).code
    principal = Principal(
        Role.ORGANISATION, f"org:{code}", frozenset({"plans", "results", "certificates"}), code
    )
    token = mint_token(runtime.keystore, issuer=BASE_URL, audience=BASE_URL, minutes=30, principal=principal)
    return code, {"Authorization": f"Bearer {token}"}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def jwk_of(key: SigningKey, **extra: str) -> dict[str, str]:
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url(bytes(key.verify_key)), **extra}


def detached_jws(key: SigningKey, kid: str, content: bytes, **header: Any) -> str:
    """The organisation's signature, exactly as documented: ``BASE64URL(header) + ".." + BASE64URL(sig)``
    where the signature covers ``BASE64URL(header) + "." + hex(SHA-256(content))``."""
    protected = b64url(
        json.dumps({"alg": "EdDSA", "kid": kid, "b64": False, "crit": ["b64"], **header}).encode()
    )
    payload = hashlib.sha256(content).hexdigest().encode("ascii")
    signature = key.sign(protected.encode("ascii") + b"." + payload).signature
    return f"{protected}..{b64url(signature)}"


def csv_sheet(rng: random.Random, rows: int) -> bytes:
    lines = ["证件类型,证件号码,姓名,理论知识成绩,技能操作成绩"]
    lines += [
        f"居民身份证,{demo_id_number(rng)},{demo_name(rng)},{rng.randint(60, 99)},80" for _ in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


def xlsx_sheet(rng: random.Random, rows: int) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["证件类型", "证件号码", "姓名", "理论知识成绩", "技能操作成绩"])
    for _ in range(rows):
        sheet.append(["居民身份证", demo_id_number(rng), demo_name(rng), 75, 80])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def add_key(client: TestClient, admin: dict[str, str], code: str, **body: Any) -> httpx.Response:
    return client.post(f"/api/v1/organisations/{code}/client-keys", json=body, headers=admin)


def recorded(runtime: Runtime) -> dict[str, int]:
    """How many rows each table a submission writes to holds."""
    with runtime.session() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (ResultSubmission, Candidate, Person, FileEntry, SheetIdentity)
        }


def upload(
    client: TestClient, headers: dict[str, str], content: bytes, name: str = "results.csv", **extra: str
) -> httpx.Response:
    return client.post(
        "/api/v1/plans/HJ-2026-11/results/upload",
        headers={**headers, **extra},
        files={"file": (name, content, "application/octet-stream")},
    )


@pytest.fixture
def org(client: TestClient, runtime: Runtime) -> tuple[str, dict[str, str]]:
    code, headers = _register(runtime, "990011", _credit_code(11))
    assert _plan(client, headers).status_code == 201
    return code, headers


def test_administrators_register_list_and_revoke_keys(
    client: TestClient,
    runtime: Runtime,
    admin_headers: dict[str, str],
    org: tuple[str, dict[str, str]],
) -> None:
    code, org_headers = org
    first, second = SigningKey.generate(), SigningKey.generate()
    by_jwk = add_key(client, admin_headers, code, jwk=jwk_of(first, kid="hr-2026", use="sig"))
    assert by_jwk.status_code == 201, by_jwk.text
    assert by_jwk.json()["kid"] == "hr-2026"
    assert by_jwk.json()["public_key_multibase"] == encode_ed25519_public_key(bytes(first.verify_key))
    multikey = encode_ed25519_public_key(bytes(second.verify_key))
    by_multikey = add_key(client, admin_headers, code, public_key_multibase=multikey).json()
    # No kid given: the RFC 7638 thumbprint (SHA-256 over {"crv","kty","x"} in that order, no spaces).
    members = f'{{"crv":"Ed25519","kty":"OKP","x":"{b64url(bytes(second.verify_key))}"}}'
    assert by_multikey["kid"] == b64url(hashlib.sha256(members.encode()).digest())
    assert by_multikey["jwk"] == jwk_of(second, kid=by_multikey["kid"])

    # Refused: the same key again (here or for another organisation), a taken kid, private or
    # foreign keys, both forms or neither; and anyone but an administrator.
    other_code, _ = _register(runtime, "990012", _credit_code(12))
    for target in (code, other_code):
        again = add_key(client, admin_headers, target, public_key_multibase=multikey, kid=f"again-{target}")
        assert again.status_code == 409 and again.json()["code"] == "client_key_registered"
    taken = add_key(client, admin_headers, code, jwk=jwk_of(SigningKey.generate()), kid="hr-2026")
    assert taken.status_code == 409 and taken.json()["code"] == "client_key_kid_taken"
    private = jwk_of(SigningKey.generate(), d=b64url(b"\x00" * 32))
    refusal = add_key(client, admin_headers, code, jwk=private)
    assert refusal.status_code == 422 and refusal.json()["errors"][0]["loc"] == "jwk.d"
    for bad in (
        {"jwk": {"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"}},
        {"jwk": {"kty": "OKP", "crv": "Ed25519", "x": "too-short"}},
        {"public_key_multibase": "z6LSbysY2xFMRpGMhb7tFTLMpeuPRaqaWM1yECx2AtzE3KCc"},  # X25519
        {"public_key_multibase": multikey, "jwk": jwk_of(first)},
        {},
        {"jwk": jwk_of(SigningKey.generate()), "kid": "has space"},
    ):
        answer = add_key(client, admin_headers, code, **bad)
        assert answer.status_code == 422, (bad, answer.text)
        assert not answer.json()["errors"][0]["reason"][0].isascii()  # Chinese first
    assert add_key(client, org_headers, code, jwk=jwk_of(SigningKey.generate())).status_code == 403
    assert (
        add_key(client, admin_headers, "Y000014999999", jwk=jwk_of(SigningKey.generate())).status_code == 404
    )

    url = f"/api/v1/organisations/{code}/client-keys"
    listed = client.get(url, headers=admin_headers).json()["keys"]
    assert [k["kid"] for k in listed] == ["hr-2026", by_multikey["kid"]]
    assert client.get(url, headers=org_headers).status_code == 403
    revoked = client.delete(f"{url}/hr-2026", params={"reason": "密钥保管人离职"}, headers=admin_headers)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert revoked.json()["revocation_reason"] == "密钥保管人离职"
    twice = client.delete(f"{url}/hr-2026", headers=admin_headers).json()
    assert twice["revoked_at"] == revoked.json()["revoked_at"]  # revoking again changes nothing
    assert client.delete(f"{url}/nope", headers=admin_headers).status_code == 404
    assert client.delete(f"{url}/{by_multikey['kid']}", headers=org_headers).status_code == 403
    # A revoked key stays listed (evidence signed before the revocation still names it).
    assert [k["revoked_at"] is not None for k in client.get(url, headers=admin_headers).json()["keys"]] == [
        True,
        False,
    ]
    with runtime.session() as session:
        actions = [e.action for e in audit.events(session)]
    assert actions.count("organisation.client_key.add") == 2
    assert actions.count("organisation.client_key.revoke") == 1


def test_a_signed_sheet_is_accepted_and_its_signature_kept(
    client: TestClient,
    runtime: Runtime,
    admin_headers: dict[str, str],
    org: tuple[str, dict[str, str]],
) -> None:
    code, headers = org
    key = SigningKey.generate()
    assert add_key(client, admin_headers, code, jwk=jwk_of(key, kid="results-1")).status_code == 201
    rng = random.Random(21)

    # CSV upload: the signature covers the file's bytes.
    sheet = csv_sheet(rng, 30)
    signature = detached_jws(key, "results-1", sheet)
    answer = upload(client, headers, sheet, **{HEADER: signature})
    assert answer.status_code == 201, answer.text
    assert answer.json()["client_kid"] == "results-1" and answer.json()["accepted"] == 30

    # Excel upload, signed as the README shows (PyJWT: b64=false, detached payload).
    workbook = xlsx_sheet(rng, 5)
    private = Ed25519PrivateKey.from_private_bytes(bytes(key))
    readme_style = jwt.api_jws.encode(
        hashlib.sha256(workbook).hexdigest().encode("ascii"),
        private,
        algorithm="EdDSA",
        headers={"kid": "results-1"},
        is_payload_detached=True,
    )
    excel = upload(client, headers, workbook, name="results.xlsx", **{HEADER: readme_style})
    assert excel.status_code == 201, excel.text
    assert excel.json()["client_kid"] == "results-1"

    # JSON: the signature covers the exact body bytes, whatever their spacing.
    rows = [
        {"document_type": "resident_id", "id_number": demo_id_number(rng), "name": demo_name(rng)}
        | {"theory": 80, "skill": 90}
    ]
    body = json.dumps({"rows": rows}, ensure_ascii=False, indent=1).encode("utf-8")
    as_json = client.post(
        "/api/v1/plans/HJ-2026-11/results",
        content=body,
        headers={**headers, "Content-Type": "application/json", HEADER: detached_jws(key, "results-1", body)},
    )
    assert as_json.status_code == 201, as_json.text
    assert as_json.json()["client_kid"] == "results-1"

    # Unsigned sheets are still accepted (the platform's own signature is the evidence then).
    plain = upload(client, headers, csv_sheet(rng, 2))
    assert plain.status_code == 201 and plain.json()["client_kid"] is None

    with runtime.session() as session:
        stored = session.scalar(
            select(ResultSubmission).where(ResultSubmission.public_id == answer.json()["public_id"])
        )
        assert stored is not None and stored.client_signature == signature
        kept = session.get_one(OrganisationClientKey, stored.client_key_id)
        assert kept.kid == "results-1"
        assert stored.content_sha256 == hashlib.sha256(sheet).hexdigest()
        # The platform's statement names the organisation's key alongside the digest it covers.
        statement = json.loads(
            jwt.api_jws.decode_complete(stored.signature, options={"verify_signature": False})["payload"]
        )
        assert statement["clientKey"] == "results-1" and statement["sha256"] == stored.content_sha256
        json_submission = session.scalar(
            select(ResultSubmission).where(ResultSubmission.public_id == as_json.json()["public_id"])
        )
        assert json_submission is not None
        assert json_submission.content_sha256 == hashlib.sha256(body).hexdigest()
    # The kept evidence verifies independently, from the stored bytes' digest alone.
    protected, _, signature_part = stored.client_signature.partition("..")
    padded = signature_part + "=" * (-len(signature_part) % 4)
    key.verify_key.verify(
        protected.encode() + b"." + stored.content_sha256.encode(), base64.urlsafe_b64decode(padded)
    )


def test_a_bad_signature_records_nothing(
    client: TestClient,
    runtime: Runtime,
    admin_headers: dict[str, str],
    org: tuple[str, dict[str, str]],
) -> None:
    code, headers = org
    mine, theirs, stranger, retired = (SigningKey.generate() for _ in range(4))
    assert add_key(client, admin_headers, code, jwk=jwk_of(mine, kid="mine")).status_code == 201
    assert add_key(client, admin_headers, code, jwk=jwk_of(retired, kid="retired")).status_code == 201
    other_code, _ = _register(runtime, "990013", _credit_code(13))
    assert add_key(client, admin_headers, other_code, jwk=jwk_of(theirs, kid="theirs")).status_code == 201
    url = f"/api/v1/organisations/{code}/client-keys/retired"
    assert client.delete(url, headers=admin_headers).status_code == 200
    rng = random.Random(22)
    sheet = csv_sheet(rng, 20)
    altered = sheet.replace(b",80\n", b",81\n", 1)
    assert altered != sheet
    before = recorded(runtime)

    cases = {
        "wrong key (a registered kid, signed by another key)": (
            detached_jws(stranger, "mine", sheet),
            "content_signature_mismatch",
        ),
        "another organisation's key": (
            detached_jws(theirs, "theirs", sheet),
            "content_signature_unknown_key",
        ),
        "a revoked key": (detached_jws(retired, "retired", sheet), "content_signature_revoked_key"),
        "altered bytes": (detached_jws(mine, "mine", altered), "content_signature_mismatch"),
        "unknown kid": (detached_jws(mine, "nobody", sheet), "content_signature_unknown_key"),
        "not a JWS": ("not-a-signature", "content_signature_malformed"),
        "payload not detached": (
            detached_jws(mine, "mine", sheet).replace("..", ".e30.", 1),
            "content_signature_malformed",
        ),
        "b64 not false (RFC 7797)": (
            detached_jws(mine, "mine", sheet, b64=True),
            "content_signature_malformed",
        ),
        "not EdDSA": (detached_jws(mine, "mine", sheet, alg="HS256"), "content_signature_malformed"),
    }
    for case, (value, code_expected) in cases.items():
        answer = upload(client, headers, sheet, **{HEADER: value})
        assert answer.status_code == 400, (case, answer.text)
        problem = answer.json()
        assert problem["code"] == code_expected, (case, problem)
        assert problem["errors"][0]["loc"] == HEADER and not problem["title"][0].isascii()
        assert recorded(runtime) == before, case  # nothing recorded

    # The JSON endpoint refuses the same way, and a signature over the bytes sent differently fails.
    body = json.dumps(
        {"rows": [{"document_type": "resident_id", "id_number": demo_id_number(rng), "name": "王伟"}]}
    ).encode()
    respaced = body.replace(b", ", b",")
    refused = client.post(
        "/api/v1/plans/HJ-2026-11/results",
        content=respaced,
        headers={**headers, "Content-Type": "application/json", HEADER: detached_jws(mine, "mine", body)},
    )
    assert refused.status_code == 400 and refused.json()["code"] == "content_signature_mismatch"
    assert recorded(runtime) == before

    # Even a sheet recorded before is not handed back for a bad signature.
    assert upload(client, headers, sheet, **{HEADER: detached_jws(mine, "mine", sheet)}).status_code == 201
    replay = upload(client, headers, sheet, **{HEADER: detached_jws(stranger, "mine", sheet)})
    assert replay.status_code == 400


def assertion(
    client_id: str, key: SigningKey, kid: str, *, lifetime: timedelta = timedelta(minutes=2)
) -> str:
    now = utcnow()
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": f"{BASE_URL}/oauth/token",
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
        "jti": str(uuid.uuid4()),
    }
    private = Ed25519PrivateKey.from_private_bytes(bytes(key))
    return jwt.encode(claims, private, algorithm="EdDSA", headers={"kid": kid})


def token_by_jwt(client: TestClient, signed: str) -> httpx.Response:
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": JWT_BEARER,
        "client_assertion": signed,
    }
    return client.post("/oauth/token", data=form)


def test_private_key_jwt_with_an_organisation_held_key(
    client: TestClient,
    runtime: Runtime,
    admin_headers: dict[str, str],
    org: tuple[str, dict[str, str]],
) -> None:
    code, _ = org
    key = SigningKey.generate()
    assert add_key(client, admin_headers, code, jwk=jwk_of(key, kid="sso")).status_code == 201
    created = client.post(
        f"/api/v1/organisations/{code}/clients",
        json={"auth_method": "private_key_jwt"},
        headers=admin_headers,
    ).json()
    client_id = created["client_id"]

    once = assertion(client_id, key, "sso")
    granted = token_by_jwt(client, once)
    assert granted.status_code == 200, granted.text
    token = granted.json()["access_token"]
    assert jwt.decode(token, options={"verify_signature": False})["tenant"] == code
    replayed = token_by_jwt(client, once)  # the jti is single-use with these keys too
    assert replayed.status_code == 400 and "jti" in replayed.json()["error_description"]
    # The token works: a sheet submitted with it, signed with the same key.
    sheet = csv_sheet(random.Random(23), 3)
    signed_upload = upload(
        client, {"Authorization": f"Bearer {token}"}, sheet, **{HEADER: detached_jws(key, "sso", sheet)}
    )
    assert signed_upload.status_code == 201 and signed_upload.json()["client_kid"] == "sso"

    # Another key under the same kid, an expired assertion, and the key after revocation: refused.
    forged = token_by_jwt(client, assertion(client_id, SigningKey.generate(), "sso"))
    assert forged.status_code == 400 and forged.json()["error"] == "invalid_client"
    expired = token_by_jwt(client, assertion(client_id, key, "sso", lifetime=-timedelta(minutes=2)))
    assert expired.status_code == 400 and "expired" in expired.json()["error_description"]
    assert (
        client.delete(f"/api/v1/organisations/{code}/client-keys/sso", headers=admin_headers).status_code
        == 200
    )
    revoked = token_by_jwt(client, assertion(client_id, key, "sso"))
    assert revoked.status_code == 400 and revoked.json()["error"] == "invalid_client"
    assert "revoked" in revoked.json()["error_description"]
    # A kid that is no client key of this organisation is looked up among its DID keys: refused.
    unknown = token_by_jwt(client, assertion(client_id, key, "no-such-kid"))
    assert unknown.status_code == 400 and unknown.json()["error"] == "invalid_client"


@pytest.fixture
def cli_env(settings: Settings, runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CS_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CS_KEYSTORE_DIR", str(settings.keystore_dir))
    monkeypatch.setenv("CS_KEYSTORE_PASSPHRASE", "test passphrase")
    monkeypatch.setenv("CS_PUBLIC_BASE_URL", BASE_URL)


def test_command_line(
    cli_env: None,
    client: TestClient,
    runtime: Runtime,
    org: tuple[str, dict[str, str]],
    tmp_path: Path,
) -> None:
    code, _ = org
    runner = CliRunner()
    one, two, three = SigningKey.generate(), SigningKey.generate(), SigningKey.generate()
    (tmp_path / "one.jwk").write_text(json.dumps(jwk_of(one, kid="desk-1")))
    (tmp_path / "set.jwks").write_text(json.dumps({"keys": [jwk_of(two, kid="desk-2")]}))
    (tmp_path / "three.txt").write_text(encode_ed25519_public_key(bytes(three.verify_key)) + "\n")
    (tmp_path / "private.jwk").write_text(json.dumps(jwk_of(SigningKey.generate(), d="AAAA")))
    (tmp_path / "junk.txt").write_text("hello")
    for name, extra in (("one.jwk", []), ("set.jwks", []), ("three.txt", ["--kid", "desk-3"])):
        added = runner.invoke(cli, ["orgs", "add-key", code, str(tmp_path / name), *extra])
        assert added.exit_code == 0, added.output
    assert "kid=desk-3" in added.stdout
    for name in ("private.jwk", "junk.txt", "missing.jwk"):
        refused = runner.invoke(cli, ["orgs", "add-key", code, str(tmp_path / name)])
        assert refused.exit_code == 1, (name, refused.output)
    listed = runner.invoke(cli, ["orgs", "keys", code])
    assert listed.exit_code == 0 and all(k in listed.stdout for k in ("desk-1", "desk-2", "desk-3"))
    revoked = runner.invoke(cli, ["orgs", "revoke-key", code, "desk-2", "--reason", "换新密钥"])
    assert revoked.exit_code == 0 and "desk-2" in revoked.stdout
    assert runner.invoke(cli, ["orgs", "revoke-key", code, "desk-9"]).exit_code == 1

    # import-results with the organisation's signature; a wrong one records nothing.
    sheet = tmp_path / "results.csv"
    sheet.write_bytes(csv_sheet(random.Random(24), 4))
    before = recorded(runtime)
    command = ["import-results", str(sheet), "--org", code, "--plan", "HJ-2026-11"]
    wrong = runner.invoke(
        cli,
        [*command, "--signature", detached_jws(two, "desk-2", sheet.read_bytes())],
    )
    assert wrong.exit_code == 1 and "X-Content-Signature" in wrong.stdout
    assert recorded(runtime) == before
    (tmp_path / "results.jws").write_text(detached_jws(one, "desk-1", sheet.read_bytes()))
    imported = runner.invoke(
        cli,
        [*command, "--signature", f"@{tmp_path / 'results.jws'}"],
    )
    assert imported.exit_code == 0, imported.output
    with runtime.session() as session:
        submission = session.scalar(select(ResultSubmission))
        assert submission is not None and submission.client_signature is not None
        assert submissions.report(session, submission).client_kid == "desk-1"
