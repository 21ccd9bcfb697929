"""Administrators' and auditors' sign-in links and pages over real HTTP (SQLite and PostgreSQL):
single use, expiry, audiences that never mix, CSRF, read-only auditors, the status-change and
key-rotation forms, the audit trail's chain check, and no clear ID number anywhere."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from credential_service.audit import service as audit
from credential_service.certificates import service as certificates
from credential_service.certificates.status import service as status_changes
from credential_service.cli import app as cli
from credential_service.core.clock import utcnow
from credential_service.core.config import Settings
from credential_service.core.db import make_engine
from credential_service.core.errors import InvalidInput
from credential_service.identity.signin import staff as staff_signin
from credential_service.issuers import service as issuers
from credential_service.issuers.models import Issuer
from credential_service.platform.tokens import Principal, Role, mint_token
from credential_service.runtime import Runtime
from credential_service.web.http import SESSION_COOKIE, csrf_token
from tests.conftest import BASE_URL
from tests.factories import holder, issue_certificate

PAGES = (
    "/admin",
    "/admin/organisations",
    "/admin/batches",
    "/admin/status-changes",
    "/admin/keys",
    "/admin/audit",
)
GROUNDS = {"reason_code": "fraud", "evidence": "晋人社稽〔2026〕3号 稽查报告", "authority": "山西省人社厅"}
POST_FORM = re.compile(r'<form[^>]*method="post"[^>]*action="([^"]+)"')


def _link(runtime: Runtime, role: Role = Role.ADMIN, name: str = "wang", now: datetime | None = None) -> str:
    return staff_signin.signin_link(runtime.keystore, runtime.settings, role, name, now=now)


def _open(browser: TestClient, link: str) -> tuple[str, str]:
    """Open a sign-in link as a person would: (token, nonce) from the page's form."""
    page = browser.get(link.removeprefix(BASE_URL))
    assert page.status_code == 200, page.text
    assert "script" not in page.text.lower()
    token = re.search(r'name="token" value="([^"]+)"', page.text)
    nonce = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert nonce and (token or '<textarea id="token"' in page.text)  # without a link: paste the token
    return token.group(1) if token else "", nonce.group(1)


def _signed_in(client: TestClient, runtime: Runtime, role: Role = Role.ADMIN) -> TestClient:
    """A separate browser (its own cookies) signed in through a fresh link."""
    browser = TestClient(client.app, base_url=BASE_URL)
    token, nonce = _open(browser, _link(runtime, role, role.value))
    answer = browser.post("/admin/signin", data={"token": token, "csrf": nonce}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/admin", answer.text
    return browser


def _csrf(browser: TestClient) -> str:
    return csrf_token(browser.cookies[SESSION_COOKIE])


def test_a_sign_in_link_works_once_and_only_as_a_link(client: TestClient, runtime: Runtime) -> None:
    link = _link(runtime, Role.ADMIN, "wang")
    assert link.startswith(f"{BASE_URL}/admin/signin?token=")
    browser = TestClient(client.app, base_url=BASE_URL)
    assert browser.get("/admin", follow_redirects=False).headers["location"] == "/admin/signin"
    token, nonce = _open(browser, link)
    _open(browser, link)  # opening the page again (a link preview) uses nothing up
    token, nonce = _open(browser, link)

    # Without the form's cookie (another site posting the form) nothing happens.
    stranger = TestClient(client.app, base_url=BASE_URL)
    refused = stranger.post("/admin/signin", data={"token": token, "csrf": nonce}, follow_redirects=False)
    assert refused.status_code == 403 and SESSION_COOKIE not in stranger.cookies

    answer = browser.post("/admin/signin", data={"token": token, "csrf": nonce}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/admin"
    session = browser.cookies[SESSION_COOKIE]
    claims = jwt.decode(session, options={"verify_signature": False})
    assert (
        claims["role"] == "admin" and claims["sub"] == "admin:wang" and claims["exp"] - claims["iat"] == 900
    )
    home = browser.get("/admin")
    assert home.status_code == 200 and "管理员" in home.text and "admin:wang" in home.text

    # The same link again, in another browser: refused, and no session.
    again = TestClient(client.app, base_url=BASE_URL)
    token2, nonce2 = _open(again, link)
    reused = again.post("/admin/signin", data={"token": token2, "csrf": nonce2}, follow_redirects=False)
    assert reused.status_code == 401 and "已使用过" in reused.text and SESSION_COOKIE not in again.cookies

    # Expired links, access tokens and forged links are not links; links are not access tokens.
    expired = _link(runtime, now=utcnow() - timedelta(minutes=staff_signin.LINK_MINUTES + 1))
    access = mint_token(
        runtime.keystore,
        issuer=BASE_URL,
        audience=BASE_URL,
        principal=Principal(Role.ADMIN, "admin:x", frozenset({"admin"})),
        minutes=5,
    )
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    for bad in (expired.split("token=")[1], access, forged):
        fresh = TestClient(client.app, base_url=BASE_URL)
        _, fresh_nonce = _open(fresh, f"{BASE_URL}/admin/signin")
        answer = fresh.post("/admin/signin", data={"token": bad, "csrf": fresh_nonce}, follow_redirects=False)
        assert answer.status_code == 401 and SESSION_COOKIE not in fresh.cookies
    assert (
        client.get("/api/v1/organisations", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    )
    assert (
        client.get("/api/v1/organisations", headers={"Authorization": f"Bearer {session}"}).status_code == 200
    )

    with runtime.session() as db:
        signed = audit.events(db, action="staff.sign_in")
    assert [e.actor for e in signed] == ["admin:wang"]


def test_an_auditor_reads_every_page_and_changes_nothing(
    client: TestClient, runtime: Runtime, organisation: Issuer
) -> None:
    who = holder()
    number = issue_certificate(runtime, organisation, who=who).certificate_number or ""
    admin = _signed_in(client, runtime, Role.ADMIN)
    auditor = _signed_in(client, runtime, Role.AUDITOR)
    for path in PAGES:
        page = auditor.get(path)
        assert page.status_code == 200, (path, page.text)
        assert page.headers["content-security-policy"].startswith("default-src 'self'")
        assert POST_FORM.findall(page.text) == ["/admin/signout"], path  # no form but signing out
        assert "审计员（只读）" in page.text and who.id_number not in page.text
        assert "admin/status-changes" in admin.get(path).text
    assert "/admin/keys/platform/rotate" in admin.get("/admin/keys").text
    assert 'action="/admin/status-changes"' in admin.get("/admin/status-changes").text

    form = {"csrf": _csrf(auditor), "certificate_number": number, "action": "revoke", **GROUNDS}
    assert auditor.post("/admin/status-changes", data=form, follow_redirects=False).status_code == 403
    rotate = auditor.post(
        "/admin/keys/platform/rotate", data={"csrf": _csrf(auditor)}, follow_redirects=False
    )
    assert rotate.status_code == 403
    with runtime.session() as db:
        record = certificates.get_by_number(db, number)
        assert status_changes.status_view(db, record).state == "valid"
        assert len(issuers.get_issuer(db, "platform").keys) == 1


def test_an_administrator_revokes_by_form_and_rotates_a_key(
    client: TestClient, runtime: Runtime, organisation: Issuer
) -> None:
    number = issue_certificate(runtime, organisation).certificate_number or ""
    admin = _signed_in(client, runtime)
    form = {"csrf": _csrf(admin), "certificate_number": number, "action": "revoke", **GROUNDS}

    forged = admin.post("/admin/status-changes", data={**form, "csrf": "0" * 32}, follow_redirects=False)
    assert forged.status_code == 403
    unknown = admin.post(
        "/admin/status-changes", data={**form, "certificate_number": "Y000014010001261999999"}
    )
    assert unknown.status_code == 404 and "没有这个证书" in unknown.text
    no_reason = admin.post("/admin/status-changes", data={**form, "reason_code": ""})
    assert no_reason.status_code == 422 and 'role="alert"' in no_reason.text

    done = admin.post("/admin/status-changes", data=form, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/admin/status-changes?done={number}"
    page = admin.get(done.headers["location"])
    row = re.search(
        rf'<tr class="change" data-number="{number}" data-action="revoke">(.*?)</tr>', page.text, re.S
    )
    assert row and "撤销" in row.group(1) and "管理员 admin" in row.group(1)  # who, in words
    again = admin.post("/admin/status-changes", data=form)
    assert again.status_code == 409  # revocation is final
    with runtime.session() as db:
        assert status_changes.status_view(db, certificates.get_by_number(db, number)).state == "revoked"

    rotated = admin.post(
        f"/admin/keys/{organisation.code}/rotate", data={"csrf": _csrf(admin)}, follow_redirects=False
    )
    assert rotated.status_code == 303
    with runtime.session() as db:
        keys = issuers.get_issuer(db, organisation.code).keys
        assert len(keys) == 2 and sum(1 for k in keys if k.retired_at is None) == 1
        events = [(e.action, e.actor) for e in audit.events(db)]
    assert events[-3:] == [
        ("certificate.revoke", "admin:admin"),
        ("key.retire", "admin:admin"),
        ("key.create", "admin:admin"),
    ]
    assert admin.post("/admin/keys/nobody/rotate", data={"csrf": _csrf(admin)}).status_code == 404

    organisations_page = admin.get("/admin/keys?lang=en")
    assert "in use" in organisations_page.text and "retired" in organisations_page.text


def test_other_sessions_are_sent_to_the_sign_in_page(client: TestClient, runtime: Runtime) -> None:
    browser = TestClient(client.app, base_url=BASE_URL)
    for role, tenant in ((Role.WORKER, "p-1"), (Role.ORGANISATION, "Y000014010001"), (Role.INSTITUTION, "x")):
        token = mint_token(
            runtime.keystore,
            issuer=BASE_URL,
            audience=BASE_URL,
            principal=Principal(role, f"{role}:x", frozenset(), tenant=tenant),
            minutes=5,
        )
        browser.cookies.set(SESSION_COOKIE, token, domain="skills.test")
        for path in PAGES:
            answer = browser.get(path, follow_redirects=False)
            assert answer.status_code == 303 and answer.headers["location"] == "/admin/signin", (role, path)
        form = {"csrf": csrf_token(token), "certificate_number": "x", "action": "revoke", **GROUNDS}
        assert browser.post("/admin/status-changes", data=form, follow_redirects=False).status_code == 303


def test_the_audit_trail_page_checks_the_chain_and_masks_id_numbers(
    client: TestClient, runtime: Runtime
) -> None:
    who = holder()
    note = {"text": f"号码 {who.id_number}"}
    with pytest.raises(InvalidInput), runtime.session() as db:  # the service never writes one (decision 022)
        audit.record(db, actor="admin:test", action="note", subject="x", detail=note)
    # One written before that guard, or around it, is still masked on the page.
    with Session(make_engine(runtime.settings.database_url)) as db, db.begin():
        audit.record(db, actor="admin:test", action="note", subject="x", detail=note)
    auditor = _signed_in(client, runtime, Role.AUDITOR)
    page = auditor.get("/admin/audit")
    assert 'data-intact="true"' in page.text
    assert (
        who.id_number not in page.text and f"{who.id_number[:3]}***********{who.id_number[-4:]}" in page.text
    )
    with runtime.session() as db:  # someone edits a stored event behind the service's back
        event = audit.events(db, action="note")[0]
        event.subject = "y"
    broken = auditor.get("/admin/audit").text
    assert 'data-intact="false"' in broken and "断开" in broken


@pytest.fixture
def cli_env(settings: Settings, runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CS_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CS_KEYSTORE_DIR", str(settings.keystore_dir))
    monkeypatch.setenv("CS_KEYSTORE_PASSPHRASE", "test passphrase")
    monkeypatch.setenv("CS_PUBLIC_BASE_URL", BASE_URL)


def test_the_command_line_makes_links_and_tokens(cli_env: None, client: TestClient, runtime: Runtime) -> None:
    runner = CliRunner()
    token = runner.invoke(cli, ["token", "admin"]).stdout.strip()
    assert re.fullmatch(r"[\w-]+\.[\w-]+\.[\w-]+", token)  # unchanged: one JWT on one line
    assert (
        client.get("/api/v1/organisations", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    )
    auditor = runner.invoke(cli, ["token", "auditor", "--name", "li"]).stdout.strip()
    assert jwt.decode(auditor, options={"verify_signature": False})["sub"] == "auditor:li"
    headers = {"Authorization": f"Bearer {auditor}"}
    assert client.get("/api/v1/organisations", headers=headers).status_code == 200
    assert client.post("/api/v1/organisations", json={}, headers=headers).status_code in (403, 422)

    for role in ("admin", "auditor"):
        made = runner.invoke(cli, ["token", role, "--link", "--name", "zhang"])
        assert made.exit_code == 0, made.output
        link = made.stdout.strip()
        assert link.startswith(f"{BASE_URL}/admin/signin?token=")
        browser = TestClient(client.app, base_url=BASE_URL)
        token, nonce = _open(browser, link)
        assert browser.post("/admin/signin", data={"token": token, "csrf": nonce}).status_code == 200
        assert f"{role}:zhang" in browser.get("/admin").text
    bad = runner.invoke(cli, ["token", "admin", "--link", "--name", "王 五"])
    assert bad.exit_code == 1 and "--name" in bad.output
