"""The subsidy pages over real HTTP (issue 13): the officers' queue on /admin/subsidies (each rule's
answer and why, approve or refuse with a reason, the rule sets read only), the worker's one-click claim
on /me, the institution's claim for its ended class. Happy paths, refusals in Chinese with nothing
changed, CSRF, auditors read only."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from credential_service.certificates import service as certificates
from credential_service.core.clock import beijing_date, utcnow
from credential_service.identity import service as identity
from credential_service.identity.models import Person
from credential_service.identity.signin import staff as staff_signin
from credential_service.issuers.models import Issuer
from credential_service.platform.tokens import Principal, Role, mint_token
from credential_service.runtime import Runtime
from credential_service.subsidies import claims
from credential_service.subsidies import service as rule_sets
from credential_service.subsidies.models import SubsidyClaim
from credential_service.subsidies.rules import Employment
from credential_service.subsidies.social_insurance import record_demo_facts
from credential_service.web.http import SESSION_COOKIE, csrf_token
from tests.conftest import BASE_URL
from tests.factories import holder, issue_certificate

ACCOUNT = "6217000010001234567"
LEAK = re.compile(
    r"\b(None|True|False|waiting|eligible|refused|paid|passed|failed|cannot_tell|skill_upgrade)\b"
)


@pytest.fixture
def rules_loaded(runtime: Runtime) -> None:
    with runtime.session() as session:
        rule_sets.ensure_shipped_rule_sets(session, actor="test")


def _text(page: str) -> str:
    """What a person reads: the page without its tags."""
    body = page.split("<main", 1)[-1]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def _plain(page: str) -> None:
    found = LEAK.search(_text(page))
    assert found is None, found


def _staff(client: TestClient, runtime: Runtime, role: Role = Role.ADMIN) -> TestClient:
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


def _person(runtime: Runtime, who: certificates.Holder, *, insured: bool = True) -> Person:
    with runtime.session() as session:
        person = identity.register_person(
            session,
            runtime.settings.data_key_bytes,
            identity.identify(who.document_type.value, who.id_number),
            who.name,
        )
        if insured:
            record_demo_facts(
                session,
                runtime.settings.data_key_bytes,
                person,
                insured_months=24,
                employment=Employment.ENTERPRISE_EMPLOYEE,
                card_account=ACCOUNT,
            )
        session.expunge(person)
    return person


def _claim(runtime: Runtime, organisation: Issuer, *, insured: bool = True) -> tuple[str, str]:
    """A new worker's 技能提升补贴 claim (eligible when insured, else waiting): (claim id, ID number)."""
    who = holder()
    number = issue_certificate(runtime, organisation, who=who).certificate_number or ""
    person = _person(runtime, who, insured=insured)
    with runtime.session() as session:
        filed = claims.claim_skill_upgrade(
            session,
            runtime.social_insurance,
            data_key=runtime.settings.data_key_bytes,
            person=session.get_one(Person, person.id),
            certificate_number=number,
            actor="test",
        )
        return filed.claim.public_id, who.id_number


def _state(runtime: Runtime, claim_id: str) -> str:
    with runtime.session() as session:
        return session.scalars(select(SubsidyClaim.state).where(SubsidyClaim.public_id == claim_id)).one()


# --- the officers' queue -----------------------------------------------------------------------------


def test_the_queue_shows_each_rule_and_an_officer_approves(
    client: TestClient, runtime: Runtime, organisation: Issuer, rules_loaded: None
) -> None:
    claim_id, id_number = _claim(runtime, organisation)
    admin = _staff(client, runtime)
    page = admin.get("/admin/subsidies")
    assert page.status_code == 200
    text = _text(page.text)
    assert claim_id in page.text and id_number not in page.text
    assert "技能提升补贴" in text and "通过" in text and "¥2,000.00" in text and "符合条件，待审批" in text
    assert "补贴规则版本" in text and "2025.1" in text and "至今" in text
    assert 'href="/admin/subsidies" aria-current="page"' in page.text
    _plain(page.text)
    answer = admin.post(
        f"/admin/subsidies/{claim_id}/decision",
        data={"decision": "approve", "reason": "材料齐全，予以发放", "csrf": _csrf(admin)},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/admin/subsidies?done=approve"
    assert _state(runtime, claim_id) == "paid"
    after = admin.get("/admin/subsidies?done=approve").text
    assert "已批准" in after and claim_id not in after


def test_a_claim_that_cannot_be_told_waits_and_is_refused_with_a_reason(
    client: TestClient, runtime: Runtime, organisation: Issuer, rules_loaded: None
) -> None:
    claim_id, _ = _claim(runtime, organisation, insured=False)
    admin = _staff(client, runtime)
    text = _text(admin.get("/admin/subsidies").text)
    assert "待人工审核" in text and "无法判断" in text
    # No reason: refused in Chinese, nothing changes.
    bad = admin.post(
        f"/admin/subsidies/{claim_id}/decision",
        data={"decision": "refuse", "reason": "", "csrf": _csrf(admin)},
    )
    assert bad.status_code == 422 and "请填写理由" in bad.text and "give a reason" not in bad.text
    assert _state(runtime, claim_id) == "waiting"
    # Approving a claim whose card account cannot be had pays nothing, and says so.
    unpaid = admin.post(
        f"/admin/subsidies/{claim_id}/decision",
        data={"decision": "approve", "reason": "已核实", "csrf": _csrf(admin)},
    )
    assert unpaid.status_code in (409, 503) and "未能处理" in unpaid.text
    assert _state(runtime, claim_id) == "waiting"
    refused = admin.post(
        f"/admin/subsidies/{claim_id}/decision",
        data={"decision": "refuse", "reason": "无法核实参保情况", "csrf": _csrf(admin)},
        follow_redirects=False,
    )
    assert refused.status_code == 303 and _state(runtime, claim_id) == "refused"
    twice = admin.post(
        f"/admin/subsidies/{claim_id}/decision",
        data={"decision": "approve", "reason": "再次审核", "csrf": _csrf(admin)},
    )
    assert twice.status_code == 409 and "不能再审核" in twice.text


def test_decisions_need_the_form_token_and_an_administrator(
    client: TestClient, runtime: Runtime, organisation: Issuer, rules_loaded: None
) -> None:
    claim_id, _ = _claim(runtime, organisation)
    admin = _staff(client, runtime)
    forged = admin.post(
        f"/admin/subsidies/{claim_id}/decision",
        data={"decision": "approve", "reason": "材料齐全", "csrf": "x"},
    )
    assert forged.status_code == 403 and _state(runtime, claim_id) == "eligible"
    auditor = _staff(client, runtime, Role.AUDITOR)
    page = auditor.get("/admin/subsidies")
    assert page.status_code == 200 and claim_id in page.text
    assert f'action="/admin/subsidies/{claim_id}/decision"' not in page.text
    refused = auditor.post(
        f"/admin/subsidies/{claim_id}/decision",
        data={"decision": "approve", "reason": "材料齐全", "csrf": _csrf(auditor)},
    )
    assert refused.status_code == 403 and "审计员只能查看" in refused.text
    assert _state(runtime, claim_id) == "eligible"


# --- the worker's claim on /me -------------------------------------------------------------------------


def _worker_browser(client: TestClient, runtime: Runtime, person: Person) -> TestClient:
    """A browser with the worker's page session (the cookie the sign-in sets)."""
    principal = Principal(
        Role.WORKER, f"worker:{person.public_id}", frozenset({"file:read", "L2"}), person.public_id
    )
    token = mint_token(runtime.keystore, issuer=BASE_URL, audience=BASE_URL, principal=principal, minutes=5)
    browser = TestClient(client.app, base_url=BASE_URL)
    browser.cookies.set(SESSION_COOKIE, token)
    return browser


def test_a_worker_claims_with_one_click_and_reads_the_answer(
    client: TestClient, runtime: Runtime, organisation: Issuer, rules_loaded: None
) -> None:
    who = holder()
    number = issue_certificate(runtime, organisation, who=who).certificate_number or ""
    browser = _worker_browser(client, runtime, _person(runtime, who))
    page = browser.get("/me").text
    assert f'name="certificate_number" value="{number}"' in page and "申请技能提升补贴" in page
    answer = browser.post(
        "/me/subsidy-claims",
        data={"certificate_number": number, "csrf": _csrf(browser)},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/me?claimed=1#subsidies"
    page = browser.get("/me?claimed=1").text
    text = _text(page)
    assert "已提交技能提升补贴申请" in text and "符合条件，待审批" in text and "¥2,000.00" in text
    assert "已申请：符合条件，待审批" in text and 'action="/me/subsidy-claims"' not in page
    assert who.id_number not in page
    _plain(page)
    # The same click again: the same claim, never a second.
    again = browser.post("/me/subsidy-claims", data={"certificate_number": number, "csrf": _csrf(browser)})
    assert again.status_code == 200
    with runtime.session() as session:
        assert len(session.scalars(select(SubsidyClaim)).all()) == 1


def test_a_refused_claim_says_why_in_chinese(
    client: TestClient, runtime: Runtime, organisation: Issuer, rules_loaded: None
) -> None:
    who = holder()
    number = issue_certificate(runtime, organisation, who=who).certificate_number or ""
    person = _person(runtime, who, insured=False)
    with runtime.session() as session:  # twelve months: fewer than the rule asks for
        record_demo_facts(
            session,
            runtime.settings.data_key_bytes,
            session.get_one(Person, person.id),
            insured_months=6,
            employment=Employment.ENTERPRISE_EMPLOYEE,
            card_account=ACCOUNT,
        )
    browser = _worker_browser(client, runtime, person)
    browser.post("/me/subsidy-claims", data={"certificate_number": number, "csrf": _csrf(browser)})
    text = _text(browser.get("/me").text)
    assert "不予补贴" in text and "未通过" in text and "失业保险参保月数" in text
    # Someone else's certificate, or a forged form: refused, nothing filed.
    other = holder()
    theirs = issue_certificate(runtime, organisation, who=other).certificate_number or ""
    not_mine = browser.post("/me/subsidy-claims", data={"certificate_number": theirs, "csrf": _csrf(browser)})
    assert not_mine.status_code == 404 and "证书" in _text(not_mine.text)
    forged = browser.post("/me/subsidy-claims", data={"certificate_number": number, "csrf": "x"})
    assert forged.status_code == 403
    with runtime.session() as session:
        assert len(session.scalars(select(SubsidyClaim)).all()) == 1


# --- the institution's claim for its class ---------------------------------------------------------


def _institution_browser(client: TestClient, runtime: Runtime, code: str) -> TestClient:
    principal = Principal(Role.INSTITUTION, f"institution:{code}", frozenset({"train"}), tenant=code)
    token = mint_token(runtime.keystore, issuer=BASE_URL, audience=BASE_URL, principal=principal, minutes=5)
    browser = TestClient(client.app, base_url=BASE_URL)
    browser.cookies.set(SESSION_COOKIE, token)
    return browser


def _open_class(
    client: TestClient, runtime: Runtime, code: str, ref: str, *, ended: bool
) -> certificates.Holder:
    """A class of one trainee: ended with the trainee's completion recorded, or still running."""
    from tests.integration.test_training_institutions import trainee

    headers = {
        "Authorization": f"Bearer {_institution_browser(client, runtime, code).cookies[SESSION_COOKIE]}"
    }
    who = holder()
    today = beijing_date(utcnow())
    end = today - timedelta(days=2) if ended else today + timedelta(days=10)
    body = {
        "class_ref": ref,
        "occupation_code": "6-31-01-03",
        "training_type": "employment_skills",
        "start_date": (today - timedelta(days=30)).isoformat(),
        "end_date": end.isoformat(),
        "planned_hours": 80,
        "roster": [trainee(who)],
    }
    assert client.post("/api/v1/classes", json=body, headers=headers).status_code == 201
    enrolled = {"enrolments": [{**trainee(who), "enrolled_on": (today - timedelta(days=30)).isoformat()}]}
    assert client.post(f"/api/v1/classes/{ref}/enrolments", json=enrolled, headers=headers).status_code == 201
    if ended:
        completion = {**trainee(who), "attended_hours": 76, "result": "pass", "score": 85}
        completion["completed_on"] = end.isoformat()
        posted = client.post(
            f"/api/v1/classes/{ref}/completions", json={"completions": [completion]}, headers=headers
        )
        assert posted.status_code == 201, posted.text
    return who


def test_an_institution_claims_for_its_ended_class_on_a_page(
    client: TestClient, runtime: Runtime, admin_headers: dict[str, str], rules_loaded: None
) -> None:
    from tests.integration.test_training_institutions import CODE_A, CODE_B, register

    assert register(client, admin_headers, CODE_A, "太原市技能培训学校").status_code == 201
    assert register(client, admin_headers, CODE_B.lower(), "晋中市职业培训中心").status_code == 201
    who = _open_class(client, runtime, CODE_A, "HG-2026-11", ended=True)
    _open_class(client, runtime, CODE_A, "HG-2026-12", ended=False)
    school = _institution_browser(client, runtime, CODE_A)
    assert (
        'href="/institution/classes/HG-2026-11/subsidy"' in school.get("/institution/classes/HG-2026-11").text
    )
    page = school.get("/institution/classes/HG-2026-11/subsidy")
    assert page.status_code == 200 and "为完成培训的学员申请职业培训补贴" in page.text
    assert "本班尚无补贴申请" in page.text
    claimed = school.post(
        "/institution/classes/HG-2026-11/subsidy-claims", data={"csrf": _csrf(school)}, follow_redirects=False
    )
    assert claimed.status_code == 303, claimed.text
    page = school.get(claimed.headers["location"])
    text = _text(page.text)
    assert "新增 1 项申请" in text and "职业培训补贴" in text and "培训班 HG-2026-11" in text
    assert "补贴对象" in text and who.id_number not in page.text
    _plain(page.text)
    with runtime.session() as session:
        assert len(session.scalars(select(SubsidyClaim)).all()) == 1
    # The living allowance is the other button: a claim of its own (whether he is in one of its
    # groups, the source cannot tell: it waits).
    assert "为完成培训的学员申请生活费补贴" in page.text
    living = school.post(
        "/institution/classes/HG-2026-11/subsidy-claims",
        data={"csrf": _csrf(school), "subsidy_type": "living_allowance"},
        follow_redirects=False,
    )
    assert living.status_code == 303
    text = _text(school.get(living.headers["location"]).text)
    assert "生活费补贴" in text and "待人工审核" in text
    odd = school.post(
        "/institution/classes/HG-2026-11/subsidy-claims",
        data={"csrf": _csrf(school), "subsidy_type": "bonus"},
    )
    assert odd.status_code == 422 and "请选择补贴类型" in odd.text
    with runtime.session() as session:
        assert len(session.scalars(select(SubsidyClaim)).all()) == 2
    # Refusals in Chinese, nothing filed: a class still running, a forged form, another's class.
    running = school.post("/institution/classes/HG-2026-12/subsidy-claims", data={"csrf": _csrf(school)})
    assert running.status_code == 409 and "结束后才能申领职业培训补贴" in running.text
    assert "claim the training subsidy" not in running.text
    forged = school.post("/institution/classes/HG-2026-11/subsidy-claims", data={"csrf": "x"})
    assert forged.status_code == 403
    other = _institution_browser(client, runtime, CODE_B)
    theirs = other.post("/institution/classes/HG-2026-11/subsidy-claims", data={"csrf": _csrf(other)})
    assert theirs.status_code == 404
    assert other.get("/institution/classes/HG-2026-11/subsidy").status_code == 404
    with runtime.session() as session:
        assert len(session.scalars(select(SubsidyClaim)).all()) == 2


# --- the recovery register ------------------------------------------------------------------------


def test_an_officer_resolves_a_recovery_on_the_register_page(
    client: TestClient,
    runtime: Runtime,
    organisation: Issuer,
    admin_headers: dict[str, str],
    rules_loaded: None,
) -> None:
    claim_id, id_number = _claim(runtime, organisation)
    decision = f"/api/v1/admin/subsidy-claims/{claim_id}/decision"
    assert client.post(
        decision, json={"decision": "approve", "reason": "材料齐全"}, headers=admin_headers
    ).is_success
    number = client.get(f"/api/v1/subsidy-claims/{claim_id}", headers=admin_headers).json()[
        "certificate_number"
    ]
    revoke = {"reason_code": "fraud", "evidence": "晋人社稽〔2026〕3号", "authority": "山西省人社厅"}
    assert client.post(f"/api/v1/certificates/{number}/revoke", json=revoke, headers=admin_headers).is_success
    admin = _staff(client, runtime)
    page = admin.get("/admin/recoveries")
    text = _text(page.text)
    assert page.status_code == 200 and f'action="/admin/recoveries/{claim_id}"' in page.text
    assert "待追回" in text and "证书撤销" in text and "****4567" in text and id_number not in page.text
    _plain(page.text)
    # A note is needed; a choice other than recovered or waived is refused; nothing changes.
    empty = admin.post(f"/admin/recoveries/{claim_id}", data={"csrf": _csrf(admin), "state": "recovered"})
    assert empty.status_code == 422 and "请填写说明" in empty.text
    odd = admin.post(
        f"/admin/recoveries/{claim_id}", data={"csrf": _csrf(admin), "state": "to_recover", "note": "改回"}
    )
    assert odd.status_code == 422 and "请选择已追回或免于追回" in odd.text
    auditor = _staff(client, runtime, Role.AUDITOR)
    assert 'action="/admin/recoveries/' not in auditor.get("/admin/recoveries").text
    assert (
        auditor.post(
            f"/admin/recoveries/{claim_id}",
            data={"csrf": _csrf(auditor), "state": "waived", "note": "免于追回"},
        ).status_code
        == 403
    )
    done = admin.post(
        f"/admin/recoveries/{claim_id}",
        data={"csrf": _csrf(admin), "state": "recovered", "note": "已从其社会保障卡金融账户追回"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    after = _text(admin.get(done.headers["location"]).text)
    assert "已记录：该笔补贴已追回" in after and "没有需要追回的补贴" in after
    recovered = _text(admin.get("/admin/recoveries?state=recovered").text)
    assert "已追回" in recovered and "已从其社会保障卡金融账户追回" in recovered
    sheet = admin.get("/admin/recoveries.csv?state=all")
    assert sheet.status_code == 200 and sheet.headers["cache-control"] == "private, no-store"
    body = sheet.content.decode("utf-8-sig")
    assert number in body and "已追回" in body and id_number not in body
    assert admin.get("/admin/recoveries.xlsx").status_code == 200
    assert admin.get("/admin/recoveries?state=nonsense").status_code == 422
