"""An organisation's officer on /org over real HTTP: files a plan with the form (choices limited to the
registered scope, each bad field named in Chinese, nothing recorded on error, CSRF), follows plans and
batches, uploads results, sees objections, issues and downloads the national export; another
organisation sees none of it. The organisation's submissions are listed by the API too."""

from __future__ import annotations

import io
import random
import re
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import select, update

from credential_service.assessment.organisations import service as organisations
from credential_service.assessment.organisations.rules import ScopeRowInput
from credential_service.assessment.workflow import plans
from credential_service.assessment.workflow.models import AssessmentPlan, ResultSubmission
from credential_service.audit import service as audit
from credential_service.core.clock import utcnow
from credential_service.demo import demo_credit_code
from credential_service.identity.rules import gb11643_check_char
from credential_service.platform.tokens import ORGANISATION_SCOPES, Principal, Role, mint_token
from credential_service.runtime import Runtime
from credential_service.web.http import SESSION_COOKIE, csrf_token
from tests.conftest import BASE_URL

TODAY = date.today()
ELECTRICIAN = "6-31-01-03"


def _register(runtime: Runtime, site: str, name: str) -> str:
    """An organisation registered for 电工 at levels 5 and 4 only, valid from a month ago for a year."""
    scope = [
        ScopeRowInput(ELECTRICIAN, None, (5, 4), TODAY - timedelta(days=30), TODAY + timedelta(days=365))
    ]
    with runtime.session() as session:
        return organisations.register_organisation(
            session,
            runtime.keystore,
            runtime.settings,
            org_type="S",
            credit_code=demo_credit_code(random.Random(site), "140100"),
            name=name,
            mohrss_code="0000",
            site_serial=site,
            scope=scope,
            actor="admin:test",
            now=utcnow() - timedelta(days=30),
        ).code


def _principal(code: str) -> Principal:
    return Principal(Role.ORGANISATION, f"org:{code}", ORGANISATION_SCOPES, tenant=code)


def _token(runtime: Runtime, code: str) -> str:
    return mint_token(
        runtime.keystore, issuer=BASE_URL, audience=BASE_URL, principal=_principal(code), minutes=30
    )


def _officer(client: TestClient, runtime: Runtime, code: str) -> TestClient:
    """A browser of its own, signed in to /org as the organisation's officer."""
    browser = TestClient(client.app, base_url=BASE_URL)
    browser.cookies.set(SESSION_COOKIE, _token(runtime, code), domain="skills.test")
    return browser


def _csrf(browser: TestClient) -> str:
    return csrf_token(browser.cookies[SESSION_COOKIE])


def _plan_form(browser: TestClient, **changes: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "csrf": _csrf(browser),
        "plan_ref": "DG-2026-11",
        "choice": f"{ELECTRICIAN}|4|",
        "exam_start": (TODAY - timedelta(days=3)).isoformat(),
        "exam_end": (TODAY - timedelta(days=2)).isoformat(),
        "examiner_name": ["钱考评", ""],
        "examiner_number": ["KP770001", ""],
    }
    form.update(changes)
    return form


def _plans(runtime: Runtime) -> list[str]:
    with runtime.session() as session:
        return list(session.scalars(select(AssessmentPlan.plan_ref)))


def _errors(html: str) -> dict[str, str]:
    return dict(re.findall(r'<p class="error" id="(\w+)-error">([^<]*)</p>', html))


@pytest.fixture
def org_a(runtime: Runtime) -> str:
    return _register(runtime, "990501", "山西省电工技能评价站")


@pytest.fixture
def org_b(runtime: Runtime) -> str:
    return _register(runtime, "990502", "山西省另一家评价站")


def test_the_plan_form_offers_only_the_registered_scope_and_files_a_plan(
    client: TestClient, runtime: Runtime, org_a: str
) -> None:
    officer = _officer(client, runtime, org_a)
    home = officer.get("/org")
    assert home.status_code == 200 and 'href="/org/plans/new"' in home.text
    assert "通过接口" not in home.text and "尚无评价计划" in home.text

    form = officer.get("/org/plans/new")
    assert form.status_code == 200
    options = re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', form.text)
    assert [value for value, _ in options] == [f"{ELECTRICIAN}|5|", f"{ELECTRICIAN}|4|"]
    assert all("电工" in words and ELECTRICIAN in words for _, words in options)
    assert "五级/初级工" in options[0][1] and "四级/中级工" in options[1][1]

    filed = officer.post("/org/plans/new", data=_plan_form(officer), follow_redirects=False)
    assert filed.status_code == 303 and filed.headers["location"] == "/org/plans/DG-2026-11?filed=1"
    page = officer.get(filed.headers["location"])
    assert page.status_code == 200
    for fact in ("评价计划已提交", "电工", "四级/中级工", "钱考评（KP770001）", 'action="/org/upload"'):
        assert fact in page.text, fact
    assert 'name="plan_ref" value="DG-2026-11"' in page.text  # the upload form is this plan's
    assert 'href="/org/plans/DG-2026-11"' in officer.get("/org").text

    with runtime.session() as session:  # the API's service: the same audit event
        (event,) = audit.events(session, action="plan.file")
    assert event.actor == f"org:{org_a}" and event.subject == f"{org_a}/DG-2026-11"


def test_a_bad_plan_form_names_each_field_in_chinese_and_records_nothing(
    client: TestClient, runtime: Runtime, org_a: str
) -> None:
    officer = _officer(client, runtime, org_a)
    bad = officer.post(
        "/org/plans/new",
        data=_plan_form(
            officer,
            plan_ref="计划 一",
            choice=f"{ELECTRICIAN}|3|",  # level 3 is not in the scope: never offered
            exam_start="2026-13-01",
            exam_end="",
            examiner_name=["", ""],
            examiner_number=["", ""],
        ),
    )
    assert bad.status_code == 422
    errors = _errors(bad.text)
    assert set(errors) == {"plan_ref", "choice", "exam_start", "exam_end", "examiners"}
    assert (
        "备案范围" in errors["choice"] and "考评员" in errors["examiners"] and "日期" in errors["exam_start"]
    )
    assert not re.search(r"[A-Za-z]{4,}", "".join(errors.values()))  # Chinese only on a Chinese page
    assert 'value="计划 一"' in bad.text  # what was typed is kept
    assert 'aria-invalid="true"' in bad.text and 'role="alert"' in bad.text

    # The service's own rules, put back on their fields: outside the scope's validity on the exam
    # dates, the end before the start.
    late = TODAY + timedelta(days=400)
    outside = officer.post(
        "/org/plans/new", data=_plan_form(officer, exam_start=late.isoformat(), exam_end=late.isoformat())
    )
    assert outside.status_code == 422 and "不在备案范围内" in _errors(outside.text)["exam_start"]
    backwards = officer.post(
        "/org/plans/new",
        data=_plan_form(
            officer, exam_start=TODAY.isoformat(), exam_end=(TODAY - timedelta(days=1)).isoformat()
        ),
    )
    assert "早于开始日期" in _errors(backwards.text)["exam_end"]
    assert _plans(runtime) == []

    assert officer.post("/org/plans/new", data=_plan_form(officer), follow_redirects=False).status_code == 303
    taken = officer.post("/org/plans/new", data=_plan_form(officer))
    assert taken.status_code == 422 and "计划编号已使用" in _errors(taken.text)["plan_ref"]
    assert _plans(runtime) == ["DG-2026-11"]


def test_the_plan_form_refuses_a_post_without_its_csrf_token(
    client: TestClient, runtime: Runtime, org_a: str
) -> None:
    officer = _officer(client, runtime, org_a)
    for csrf in ("", "0" * 32):
        refused = officer.post("/org/plans/new", data=_plan_form(officer, csrf=csrf))
        assert refused.status_code == 403 and "表单已过期" in refused.text
    assert _plans(runtime) == []
    anonymous = TestClient(client.app, base_url=BASE_URL)
    assert anonymous.get("/org/plans/new", follow_redirects=False).headers["location"] == "/org/signin"
    assert anonymous.post("/org/plans/new", data={"csrf": "x"}, follow_redirects=False).status_code == 303
    assert _plans(runtime) == []


def _sheet(rows: list[tuple[object, ...]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["证件类型", "证件号码", "姓名", "理论知识成绩", "技能操作成绩"])
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _numbers(*stems: str) -> list[str]:
    return [stem + gb11643_check_char(stem) for stem in stems]


def _confirmed_batch(officer: TestClient, plan_ref: str, rows: list[tuple[object, ...]]) -> str:
    """Upload a good sheet for the plan and confirm it: the batch's id."""
    checked = officer.post(
        "/org/upload",
        data={"csrf": _csrf(officer), "plan_ref": plan_ref},
        files={"file": ("results.xlsx", _sheet(rows), "application/octet-stream")},
    )
    assert checked.status_code == 200, checked.text
    digest = re.search(r'name="digest" value="([0-9a-f]{64})"', checked.text)
    assert digest
    confirmed = officer.post(
        "/org/confirm",
        data={"csrf": _csrf(officer), "plan_ref": plan_ref, "digest": digest.group(1)},
        follow_redirects=False,
    )
    assert confirmed.status_code == 303, confirmed.text
    return str(confirmed.headers["location"]).removeprefix("/org/submissions/")


def test_batches_objections_issuing_and_the_export_on_the_organisations_pages(
    client: TestClient, runtime: Runtime, org_a: str, admin_headers: dict[str, str]
) -> None:
    officer = _officer(client, runtime, org_a)
    officer.post("/org/plans/new", data=_plan_form(officer))
    numbers = _numbers("14010519880808121", "14010519880808122")
    rows: list[tuple[object, ...]] = [
        ("居民身份证", numbers[0], "周一", 82, 76),
        ("居民身份证", numbers[1], "吴二", 90, 88),
    ]
    wrong = numbers[1][:-1] + ("0" if numbers[1][-1] != "0" else "1")
    bad = officer.post(
        "/org/upload",
        data={"csrf": _csrf(officer), "plan_ref": "DG-2026-11"},
        files={"file": ("bad.xlsx", _sheet([rows[0], ("居民身份证", wrong, "吴二", 90, 88)]), "x")},
    )
    assert bad.status_code == 422 and "第 3 行：证件号码" in bad.text and "row 3" not in bad.text
    assert wrong not in bad.text

    batch = _confirmed_batch(officer, "DG-2026-11", rows)
    page = officer.get(f"/org/submissions/{batch}")
    assert page.status_code == 200 and 'data-stage="publicity"' in page.text
    assert "公示中" in page.text and "公示期至" in page.text and "没有收到异议" in page.text
    assert "/issue" not in page.text  # no issuing while publicity runs
    home = officer.get("/org").text
    assert f'href="/org/submissions/{batch}"' in home and "共 0 件，待处理 0 件" in home

    candidate = client.get("/api/v1/publicity").json()[0]["candidate_id"]
    lodged = client.post(f"/api/v1/publicity/{candidate}/objections", json={"reason": "该考生实操由他人代考"})
    assert lodged.status_code == 201
    page = officer.get(f"/org/submissions/{batch}").text
    assert "该考生实操由他人代考" in page and "待人社部门处理" in page and "成绩表第 2 行" in page
    assert "共 1 件，待处理 1 件" in officer.get("/org").text

    with runtime.session() as session:  # the five working days pass
        session.execute(update(ResultSubmission).values(publicity_ends_on=TODAY - timedelta(days=1)))
    page = officer.get(f"/org/submissions/{batch}").text
    assert 'data-stage="held"' in page and f'action="/org/submissions/{batch}/issue"' in page
    issued = officer.post(
        f"/org/submissions/{batch}/issue", data={"csrf": _csrf(officer)}, follow_redirects=False
    )
    assert issued.status_code == 303 and issued.headers["location"] == f"/org/submissions/{batch}"
    page = officer.get(f"/org/submissions/{batch}").text
    assert "已发证 1 人，暂缓 1 人" in page and "national-export.xlsx" in page

    export = officer.get(f"/org/submissions/{batch}/national-export.csv")
    assert export.status_code == 200 and export.headers["cache-control"] == "private, no-store"
    assert "证书编号" in export.text and export.text.count("\n") == 2  # the header and one certificate
    workbook = officer.get(f"/org/submissions/{batch}/national-export.xlsx")
    assert workbook.status_code == 200 and workbook.content[:2] == b"PK"
    with runtime.session() as session:
        assert len(audit.events(session, action="submission.national_export")) == 2

    # The department dismisses the objection: the held candidate can be issued, and the batch is done.
    objection = lodged.json()["objection_id"]
    client.post(
        f"/api/v1/admin/objections/{objection}/resolve",
        json={"upheld": False, "resolution": "经核查，举报不实"},
        headers=admin_headers,
    )
    assert "异议不成立" in officer.get(f"/org/submissions/{batch}").text
    officer.post(f"/org/submissions/{batch}/issue", data={"csrf": _csrf(officer)})
    page = officer.get(f"/org/submissions/{batch}").text
    assert 'data-stage="issued"' in page and "已发证 2 人" in page


def test_another_organisation_sees_and_does_nothing_with_this_ones_plans_and_batches(
    client: TestClient, runtime: Runtime, org_a: str, org_b: str
) -> None:
    officer = _officer(client, runtime, org_a)
    officer.post("/org/plans/new", data=_plan_form(officer))
    batch = _confirmed_batch(
        officer, "DG-2026-11", [("居民身份证", _numbers("14010519880808121")[0], "周一", 82, 76)]
    )
    with runtime.session() as session:
        session.execute(update(ResultSubmission).values(publicity_ends_on=TODAY - timedelta(days=1)))

    other = _officer(client, runtime, org_b)
    assert "DG-2026-11" not in other.get("/org").text and batch not in other.get("/org").text
    for path in (
        "/org/plans/DG-2026-11",
        f"/org/submissions/{batch}",
        f"/org/submissions/{batch}/national-export.csv",
    ):
        assert other.get(path).status_code == 404, path
    issue = other.post(f"/org/submissions/{batch}/issue", data={"csrf": _csrf(other)})
    assert issue.status_code == 404
    upload = other.post(
        "/org/upload",
        data={"csrf": _csrf(other), "plan_ref": "DG-2026-11"},
        files={
            "file": (
                "r.xlsx",
                _sheet([("居民身份证", _numbers("14010519880808122")[0], "吴二", 90, 90)]),
                "x",
            )
        },
    )
    assert upload.status_code == 422 and "评价计划" in upload.text
    # B files a plan of the same reference: its own, beside A's.
    assert other.post("/org/plans/new", data=_plan_form(other), follow_redirects=False).status_code == 303
    with runtime.session() as session:
        a = organisations.get_organisation(session, org_a)
        assert [p.plan_ref for p in plans.plans_of(session, a)] == ["DG-2026-11"]
        assert session.scalar(select(ResultSubmission.state)) == "publicity"  # B issued nothing

    headers_b = {"Authorization": f"Bearer {_token(runtime, org_b)}"}
    assert client.get("/api/v1/submissions", headers=headers_b).json()["total"] == 0


def test_the_api_lists_the_callers_own_submissions_with_a_documented_example(
    client: TestClient, runtime: Runtime, org_a: str, admin_headers: dict[str, str]
) -> None:
    officer = _officer(client, runtime, org_a)
    officer.post("/org/plans/new", data=_plan_form(officer))
    first = _confirmed_batch(
        officer, "DG-2026-11", [("居民身份证", _numbers("14010519880808121")[0], "周一", 82, 76)]
    )
    second = _confirmed_batch(
        officer, "DG-2026-11", [("居民身份证", _numbers("14010519880808122")[0], "吴二", 50, 76)]
    )
    headers = {"Authorization": f"Bearer {_token(runtime, org_a)}"}
    listed = client.get("/api/v1/submissions", headers=headers)
    assert listed.status_code == 200
    body = listed.json()
    assert body["total"] == 2 and {s["public_id"] for s in body["submissions"]} == {first, second}
    assert {s["plan_ref"] for s in body["submissions"]} == {"DG-2026-11"}
    page = client.get("/api/v1/submissions", params={"limit": 1, "offset": 1}, headers=headers).json()
    assert page["total"] == 2 and len(page["submissions"]) == 1
    assert client.get("/api/v1/submissions", headers=admin_headers).status_code == 403
    assert client.get("/api/v1/submissions").status_code == 401
    assert client.get("/api/v1/submissions", params={"limit": 0}, headers=headers).status_code == 422

    documented = client.get("/openapi.json").json()["paths"]["/api/v1/submissions"]["get"]
    example = documented["responses"]["200"]["content"]["application/json"]["example"]
    assert set(example["submissions"][0]) == set(body["submissions"][0])
