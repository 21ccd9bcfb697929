"""The department's forms on /admin over real HTTP: resolving an objection, correcting a holder's name
and revoking a whole batch, each with the API's service (happy path, bad input named in Chinese with
nothing changed, CSRF, auditors read only); the audit trail in words; no page sends the officer to
the API."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from credential_service.assessment.workflow.models import Candidate, Objection, ResultSubmission
from credential_service.audit import service as audit
from credential_service.certificates import service as certificates
from credential_service.certificates.status import service as status_changes
from credential_service.identity.rules import gb11643_check_char
from credential_service.identity.signin import staff as staff_signin
from credential_service.issuers.models import Issuer
from credential_service.platform.tokens import Role
from credential_service.runtime import Runtime
from credential_service.web.http import SESSION_COOKIE, csrf_token
from tests.conftest import BASE_URL
from tests.factories import holder, issue_certificate

GROUNDS = {"evidence": "晋人社稽〔2026〕3号 稽查报告", "authority": "山西省人社厅"}
PLAN = {
    "plan_ref": "DG-2026-11",
    "occupation_code": "6-31-01-03",
    "level": 4,
    "exam_start": "2026-11-02",
    "exam_end": "2026-11-03",
    "examiners": [{"name": "钱考评", "certificate_number": "KP770001"}],
}


def _signed_in(client: TestClient, runtime: Runtime, role: Role = Role.ADMIN) -> TestClient:
    browser = TestClient(client.app, base_url=BASE_URL)
    link = staff_signin.signin_link(runtime.keystore, runtime.settings, role, role.value)
    page = browser.get(link.removeprefix(BASE_URL)).text
    token = re.search(r'name="token" value="([^"]+)"', page)
    nonce = re.search(r'name="csrf" value="([^"]+)"', page)
    assert token and nonce
    answer = browser.post(
        "/admin/signin", data={"token": token.group(1), "csrf": nonce.group(1)}, follow_redirects=False
    )
    assert answer.status_code == 303
    return browser


def _csrf(browser: TestClient) -> str:
    return csrf_token(browser.cookies[SESSION_COOKIE])


@pytest.fixture
def batch(client: TestClient, org_headers: dict[str, str]) -> str:
    """A batch of two passing candidates under publicity, one of them objected to."""
    assert client.post("/api/v1/plans", json=PLAN, headers=org_headers).status_code == 201
    rows = [
        {"document_type": "居民身份证", "id_number": f"{stem}{gb11643_check_char(stem)}", "name": name,
         "theory": 80, "skill": 85}
        for stem, name in (("14010519880808121", "周一"), ("14010519880808122", "吴二"))
    ]  # fmt: skip
    answer = client.post("/api/v1/plans/DG-2026-11/results", json={"rows": rows}, headers=org_headers)
    assert answer.status_code == 201, answer.text
    candidate = client.get("/api/v1/publicity").json()[0]["candidate_id"]
    lodged = client.post(f"/api/v1/publicity/{candidate}/objections", json={"reason": "该考生实操由他人代考"})
    assert lodged.status_code == 201
    return str(answer.json()["public_id"])


def _objection(runtime: Runtime) -> Objection:
    with runtime.session() as session:
        found = session.scalars(select(Objection)).one()
        session.expunge(found)
        return found


def test_an_administrator_resolves_an_objection_with_the_form(
    client: TestClient, runtime: Runtime, batch: str
) -> None:
    admin = _signed_in(client, runtime)
    objection = _objection(runtime).public_id
    page = admin.get("/admin/objections")
    assert page.status_code == 200
    assert "该考生实操由他人代考" in page.text and "待人社部门处理" in page.text
    assert f'action="/admin/objections/{objection}/resolve"' in page.text
    assert "周一" not in page.text and "14010519880808121" not in page.text  # masked
    url = f"/admin/objections/{objection}/resolve"

    bad = admin.post(url, data={"csrf": _csrf(admin), "decision": "", "resolution": "短"})
    assert bad.status_code == 422 and 'role="alert"' in bad.text
    assert "处理结果：请选择异议成立或不成立" in bad.text and "处理意见" in bad.text
    assert "choose upheld" not in bad.text
    id_number = "14010519880808121" + gb11643_check_char("14010519880808121")
    with_number = admin.post(
        url, data={"csrf": _csrf(admin), "decision": "upheld", "resolution": f"经核查 {id_number} 属实"}
    )
    assert with_number.status_code == 422 and id_number not in with_number.text
    forged = admin.post(url, data={"csrf": "0" * 32, "decision": "upheld", "resolution": "经核查属实"})
    assert forged.status_code == 403
    auditor = _signed_in(client, runtime, Role.AUDITOR)
    assert 'action="/admin/objections/' not in auditor.get("/admin/objections").text
    assert (
        auditor.post(
            url, data={"csrf": _csrf(auditor), "decision": "upheld", "resolution": "经核查属实"}
        ).status_code
        == 403
    )
    assert _objection(runtime).status == "open"  # nothing changed

    done = admin.post(
        url, data={"csrf": _csrf(admin), "decision": "upheld", "resolution": "经核查属实，不予发证"},
        follow_redirects=False,
    )  # fmt: skip
    assert done.status_code == 303 and done.headers["location"] == "/admin/objections?done=upheld"
    assert "异议成立，该考生不予发证" in admin.get(done.headers["location"]).text
    resolved = _objection(runtime)
    assert resolved.status == "upheld" and resolved.resolved_by == "admin:admin"
    with runtime.session() as session:
        held = session.get_one(Candidate, resolved.candidate_id)
        assert held.state == "withdrawn"
        assert [e.action for e in audit.events(session)][-1] == "objection.resolve"
    again = admin.post(url, data={"csrf": _csrf(admin), "decision": "dismissed", "resolution": "再次处理"})
    assert again.status_code == 409 and "该异议已处理" in again.text
    unknown = admin.post(
        "/admin/objections/nobody/resolve",
        data={"csrf": _csrf(admin), "decision": "upheld", "resolution": "经核查属实"},
    )
    assert unknown.status_code == 404


def test_an_administrator_corrects_a_holders_name_with_the_form(
    client: TestClient, runtime: Runtime, organisation: Issuer
) -> None:
    who = holder("张三")
    number = issue_certificate(runtime, organisation, who=who).certificate_number or ""
    admin = _signed_in(client, runtime)
    page = admin.get("/admin/status-changes").text
    assert 'action="/admin/corrections"' in page and "接口" not in page

    form = {"csrf": _csrf(admin), "certificate_number": number, "holder_name": "张叁", **GROUNDS}
    same = admin.post("/admin/corrections", data={**form, "holder_name": "张三", "evidence": "x"})
    assert same.status_code == 422 and 'id="correction-error"' in same.text
    assert "更正后的姓名：与原证书姓名相同" in same.text and "依据（文号、报告编号）：" in same.text
    assert admin.post("/admin/corrections", data={**form, "csrf": ""}).status_code == 403
    auditor = _signed_in(client, runtime, Role.AUDITOR)
    assert (
        admin.post(
            "/admin/corrections", data={**form, "certificate_number": "Y0000140100012699999"}
        ).status_code
        == 404
    )
    assert auditor.post("/admin/corrections", data={**form, "csrf": _csrf(auditor)}).status_code == 403
    with runtime.session() as session:
        assert (
            status_changes.status_view(session, certificates.get_by_number(session, number)).state == "valid"
        )

    done = admin.post("/admin/corrections", data=form, follow_redirects=False)
    assert done.status_code == 303, done.text
    new_number = done.headers["location"].removeprefix("/admin/status-changes?corrected=")
    assert new_number and new_number != number
    assert f"新证书编号 {new_number}" in admin.get(done.headers["location"]).text
    with runtime.session() as session:
        old = certificates.get_by_number(session, number)
        assert status_changes.status_view(session, old).state == "superseded"
        assert certificates.get_by_number(session, new_number) is not None
        event = audit.events(session)[-1]
    assert (event.action, event.actor) == ("certificate.supersede", "admin:admin")


def test_an_administrator_revokes_a_whole_batch_with_the_form(
    client: TestClient, runtime: Runtime, batch: str, org_headers: dict[str, str]
) -> None:
    with runtime.session() as session:
        session.execute(update(ResultSubmission).values(publicity_ends_on=date.today() - timedelta(days=1)))
    assert client.post(f"/api/v1/submissions/{batch}/issue", headers=org_headers).json()["issued"] == 1
    admin = _signed_in(client, runtime)
    page = admin.get("/admin/batches").text
    assert f'action="/admin/batches/{batch}/revoke"' in page
    url = f"/admin/batches/{batch}/revoke"

    bad = admin.post(url, data={"csrf": _csrf(admin), "reason_code": "", "evidence": "x", "authority": ""})
    assert (
        bad.status_code == 422 and 'id="batch-error"' in bad.text and "依据（文号、报告编号）：" in bad.text
    )
    assert admin.post(url, data={"csrf": "", "reason_code": "fraud", **GROUNDS}).status_code == 403
    with runtime.session() as session:
        numbers = [n for n in session.scalars(select(Candidate.certificate_number)) if n]
        assert (
            status_changes.status_view(session, certificates.get_by_number(session, numbers[0])).state
            == "valid"
        )

    done = admin.post(
        url, data={"csrf": _csrf(admin), "reason_code": "fraud", **GROUNDS}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == f"/admin/batches?done={batch}"
    with runtime.session() as session:
        assert (
            status_changes.status_view(session, certificates.get_by_number(session, numbers[0])).state
            == "revoked"
        )


def test_the_audit_trail_reads_in_words(client: TestClient, runtime: Runtime) -> None:
    with runtime.session() as session:
        audit.record(session, actor="cli:unknown", action="calendar.set", subject="2026-10-01", detail={})
        audit.record(session, actor="cli:root", action="key.create", subject="issuer:platform", detail={})
    auditor = _signed_in(client, runtime, Role.AUDITOR)
    for path in ("/admin/audit", "/admin"):
        page = auditor.get(path).text
        cells = " ".join(re.findall(r"<td[^>]*>([^<]*)</td>", page))
        for raw in ("staff.sign_in", "cli:unknown", "calendar.set", "auditor:auditor"):
            assert raw not in cells, (path, raw)
        for words in ("工作人员登录", "设置节假日/调休", "命令行", "审计员 auditor"):
            assert words in cells, (path, words)
    assert "命令行（root）" in auditor.get("/admin/audit").text
    english = auditor.get("/admin/audit?lang=en").text
    assert "staff signed in" in english and "command line" in english


def test_no_admin_page_sends_the_officer_to_the_api(client: TestClient, runtime: Runtime) -> None:
    admin = _signed_in(client, runtime)
    for path in ("/admin", "/admin/batches", "/admin/objections", "/admin/status-changes", "/admin/audit"):
        page = admin.get(path)
        assert page.status_code == 200, path
        assert "接口" not in page.text and "supersede" not in page.text, path
