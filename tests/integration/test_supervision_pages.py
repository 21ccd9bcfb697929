"""The cases on the administrators' pages (issue 14): the list with its filters, a case with its
evidence, the form that moves it (CSRF, administrators only, a refusal in Chinese changing nothing);
plain Chinese, no snake_case code or English state on the page."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from credential_service.platform.tokens import Role
from credential_service.runtime import Runtime
from credential_service.supervision.models import CaseStep, SupervisionCase
from tests.factories import holder
from tests.integration.test_subsidy_pages import _csrf, _staff, _text
from tests.integration.test_supervision_cases import _class_with, _same_second
from tests.integration.test_training_institutions import CODE_A, institution_headers, register

LEAK = re.compile(
    r"\b(None|True|False|open|investigating|closed|confirmed|no_issue|high|medium|low)\b|[a-z]+_[a-z_]+"
)


@pytest.fixture
def school(client: TestClient, runtime: Runtime, admin_headers: dict[str, str]) -> dict[str, str]:
    assert register(client, admin_headers, CODE_A, "太原市技能培训学校").status_code == 201
    return institution_headers(runtime, CODE_A)


def _plain(page: str) -> None:
    text = _text(page)
    found = LEAK.search(text)
    assert found is None, (found, text[max(0, found.start() - 80) : found.end() + 80] if found else "")


def _one_case(client: TestClient, runtime: Runtime, school: dict[str, str]) -> str:
    people = [holder(), holder(), holder()]
    _same_second(client, school, people, _class_with(client, school, people, "2026-PG-001"))
    with runtime.session() as session:
        return session.scalars(select(SupervisionCase.public_id)).one()


def test_the_list_and_a_case_in_plain_chinese(
    client: TestClient, runtime: Runtime, school: dict[str, str]
) -> None:
    case_id = _one_case(client, runtime, school)
    browser = _staff(client, runtime)
    listing = browser.get("/admin/cases")
    assert listing.status_code == 200 and "同一秒批量签到" in listing.text and case_id in listing.text
    _plain(listing.text)
    filtered = browser.get("/admin/cases", params={"status": "closed"})
    assert "没有符合条件的案件" in filtered.text
    refused = browser.get("/admin/cases", params={"city": "999999"})
    assert refused.status_code == 422 and "没有这个城市代码" in refused.text
    _plain(refused.text)
    page = browser.get(f"/admin/cases/{case_id}")
    assert page.status_code == 200
    assert "待处理" in page.text and "档案记录" in page.text and "培训班" in page.text
    _plain(page.text)
    assert browser.get("/admin/cases/nope").status_code == 404


def test_an_administrator_moves_a_case_and_an_auditor_may_not(
    client: TestClient,
    runtime: Runtime,
    school: dict[str, str],
) -> None:
    case_id = _one_case(client, runtime, school)
    path = f"/admin/cases/{case_id}/transition"
    auditor = _staff(client, runtime, Role.AUDITOR)
    assert "处理案件" not in auditor.get(f"/admin/cases/{case_id}").text
    denied = auditor.post(path, data={"status": "investigating", "reason": "核查", "csrf": _csrf(auditor)})
    assert denied.status_code == 403
    admin = _staff(client, runtime)
    assert (
        admin.post(path, data={"status": "investigating", "reason": "核查", "csrf": "x"}).status_code == 403
    )
    no_reason = admin.post(
        path, data={"status": "closed", "outcome": "confirmed", "reason": "", "csrf": _csrf(admin)}
    )
    assert no_reason.status_code == 422 and "请填写理由" in no_reason.text
    _plain(no_reason.text)
    no_outcome = admin.post(path, data={"status": "closed", "reason": "核查完毕", "csrf": _csrf(admin)})
    assert no_outcome.status_code == 409 and "结案须选择查实或未发现问题" in no_outcome.text
    with runtime.session() as session:
        assert session.scalar(select(func.count()).select_from(CaseStep)) == 0
    moved = admin.post(
        path,
        data={
            "status": "investigating",
            "outcome": "confirmed",
            "reason": "调取签到视频",
            "csrf": _csrf(admin),
        },
        follow_redirects=False,
    )
    assert moved.status_code == 303
    closed = admin.post(
        path,
        data={"status": "closed", "outcome": "confirmed", "reason": "机构承认代签", "csrf": _csrf(admin)},
    )
    assert closed.status_code == 200 and "已记录" in closed.text and "已结案（查实）" in closed.text
    assert "后续处理" in closed.text and "暂停培训机构" in closed.text
    _plain(closed.text.replace("/api/v1/institutions/", "").replace("/status", ""))


def test_the_dashboard_counts_open_cases_by_check_and_city(
    client: TestClient, runtime: Runtime, school: dict[str, str]
) -> None:
    _one_case(client, runtime, school)
    browser = _staff(client, runtime, Role.AUDITOR)
    page = browser.get("/admin/dashboard")
    section = page.text.split('id="open-cases"')[1].split("</section>")[0]
    assert "同一秒批量签到" in section and "太原市" in section
    assert 'href="/admin/cases?kind=class_identical_checkin_times&amp;city=140100"' in section
    assert ">1</a>" in section
    assert "未发现通过率异常" in page.text
    with runtime.session() as session:
        case = session.scalars(select(SupervisionCase)).one()
        case.status = "closed"
        case.outcome = "no_issue"
    assert "没有未结的监管案件" in browser.get("/admin/dashboard").text
