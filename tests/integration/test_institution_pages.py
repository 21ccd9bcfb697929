"""A training institution's pages over real HTTP (SQLite and PostgreSQL): the one-time sign-in link
(once, only on its own page, from the command line), and every form's happy path and bad input —
open a class, upload a roster (CSV and Excel, every bad row named, nothing changed), post attendance
and completions — with CSRF honoured, answers in Chinese and no clear ID number on any page."""

from __future__ import annotations

import io
import random
import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from credential_service.cli import app as cli
from credential_service.core.clock import beijing_date, utcnow
from credential_service.core.config import Settings
from credential_service.identity.credit_code import ALPHABET, credit_code_check_char
from credential_service.identity.rules import gb11643_check_char
from credential_service.identity.signin import staff as staff_signin
from credential_service.platform.tokens import Role
from credential_service.records.training import institutions, signin
from credential_service.records.training.models import (
    AttendanceEvent,
    Completion,
    Enrolment,
    RosterMember,
    TrainingClass,
    TrainingType,
)
from credential_service.records.training.rules import InstitutionStatus
from credential_service.runtime import Runtime
from credential_service.web.http import SESSION_COOKIE, csrf_token
from tests.conftest import BASE_URL

TODAY = beijing_date(utcnow())
START, END = TODAY - timedelta(days=20), TODAY + timedelta(days=10)
HEADER = "证件类型,证件号码,姓名,报名日期"
ENGLISH_LEAK = re.compile(r"\b(None|True|False|resident_id|skill_upgrade|not_started|running|pass|fail)\b")


def _credit_code(seed: int) -> str:
    rng = random.Random(seed)
    first17 = "52140100" + "".join(rng.choice(ALPHABET) for _ in range(9))
    return first17 + credit_code_check_char(first17)


CODE = _credit_code(11)
NUMBERS = [f + gb11643_check_char(f) for f in ("14010519900101123", "14010519851212456", "14020219790303789")]
WRONG = NUMBERS[2][:-1] + ("0" if NUMBERS[2][-1] != "0" else "1")  # check character wrong


@pytest.fixture
def school(runtime: Runtime) -> str:
    with runtime.session() as session:
        institutions.register_institution(
            session,
            credit_code=CODE,
            name="太原市技能培训学校",
            city_code="140100",
            approved_projects=[("6-18-02-04", TrainingType.SKILL_UPGRADE), ("6-31-01-03", None)],
        )
    return CODE


def _open_link(browser: TestClient, link: str) -> tuple[str, str]:
    page = browser.get(link.removeprefix(BASE_URL))
    assert page.status_code == 200, page.text
    token = re.search(r'name="token" value="([^"]+)"', page.text)
    nonce = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert nonce
    return (token.group(1) if token else ""), nonce.group(1)


def _officer(client: TestClient, runtime: Runtime, code: str = CODE) -> TestClient:
    """A browser of its own, signed in through a fresh link."""
    browser = TestClient(client.app, base_url=BASE_URL)
    with runtime.session() as session:
        link = signin.signin_link(session, runtime.keystore, runtime.settings, code)
    token, nonce = _open_link(browser, link)
    answer = browser.post(signin.SIGNIN_PATH, data={"token": token, "csrf": nonce}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/institution", answer.text
    return browser


def _csrf(browser: TestClient) -> str:
    return csrf_token(browser.cookies[SESSION_COOKIE])


def _plain(page: str) -> None:
    """Nothing internal on a page: no clear ID number, no enum value, no None/True/False."""
    for number in NUMBERS:
        assert number not in page
    text = re.sub(r"<[^>]+>", " ", page)
    assert not ENGLISH_LEAK.search(text), ENGLISH_LEAK.search(text)


def _count(runtime: Runtime, model: Any) -> int:
    with runtime.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _class_form(**changes: str) -> dict[str, str]:
    return {
        "class_ref": "HG-2026-09",
        "occupation_code": "6-18-02-04",
        "subtype": "电焊工",
        "target_level": "4",
        "training_type": "skill_upgrade",
        "start_date": START.isoformat(),
        "end_date": END.isoformat(),
        "planned_hours": "40",
        **changes,
    }


def _opened(browser: TestClient, ref: str = "HG-2026-09") -> str:
    answer = browser.post(
        "/institution/classes/new",
        data={**_class_form(class_ref=ref), "csrf": _csrf(browser)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return ref


def _upload(browser: TestClient, ref: str, content: bytes, name: str = "roster.csv") -> Any:
    return browser.post(
        f"/institution/classes/{ref}/roster",
        data={"csrf": _csrf(browser)},
        files={"file": (name, content)},
        follow_redirects=False,
    )


def _csv(*rows: str) -> bytes:
    return ("\ufeff" + HEADER + "\n" + "\n".join(rows) + "\n").encode()


GOOD = (
    f"居民身份证,{NUMBERS[0]},李明,",
    f"居民身份证,{NUMBERS[1]},王芳,{START}",
    f"居民身份证,{NUMBERS[2]},赵小军,",
)


def _members(page: str) -> list[str]:
    return re.findall(r'name="member" value="(\d+)"', page)


# --- sign-in ---------------------------------------------------------------------------------------


def test_a_sign_in_link_works_once_only_on_its_page(
    client: TestClient, runtime: Runtime, school: str
) -> None:
    browser = TestClient(client.app, base_url=BASE_URL)
    assert browser.get("/institution", follow_redirects=False).headers["location"] == signin.SIGNIN_PATH
    with runtime.session() as session:
        link = signin.signin_link(session, runtime.keystore, runtime.settings, school.lower())
    assert link.startswith(f"{BASE_URL}/institution/signin?token=")
    token, nonce = _open_link(browser, link)
    token, nonce = _open_link(browser, link)  # opening it again (a link preview) uses nothing up

    stranger = TestClient(client.app, base_url=BASE_URL)  # another site posting the form: no cookie
    refused = stranger.post(signin.SIGNIN_PATH, data={"token": token, "csrf": nonce}, follow_redirects=False)
    assert (
        refused.status_code == 403 and SESSION_COOKIE not in stranger.cookies and "表单已过期" in refused.text
    )

    answer = browser.post(signin.SIGNIN_PATH, data={"token": token, "csrf": nonce}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/institution"
    home = browser.get("/institution")
    assert home.status_code == 200 and "太原市技能培训学校" in home.text and CODE in home.text
    _plain(home.text)

    again = TestClient(client.app, base_url=BASE_URL)
    token2, nonce2 = _open_link(again, link)
    reused = again.post(signin.SIGNIN_PATH, data={"token": token2, "csrf": nonce2}, follow_redirects=False)
    assert reused.status_code == 401 and "已使用过" in reused.text and SESSION_COOKIE not in again.cookies
    assert "/ this sign-in link" not in reused.text  # Chinese only on a Chinese page

    # A staff link is no institution link, and an institution link is no staff link.
    admin_link = staff_signin.signin_link(runtime.keystore, runtime.settings, Role.ADMIN, "wang")
    with runtime.session() as session:
        own_link = signin.signin_link(session, runtime.keystore, runtime.settings, school)
    for page, other in ((signin.SIGNIN_PATH, admin_link), ("/admin/signin", own_link)):
        fresh = TestClient(client.app, base_url=BASE_URL)
        _, fresh_nonce = _open_link(fresh, f"{BASE_URL}{page}")
        token_of = other.split("token=")[1]
        answer = fresh.post(page, data={"token": token_of, "csrf": fresh_nonce}, follow_redirects=False)
        assert answer.status_code == 401 and SESSION_COOKIE not in fresh.cookies
    # The institution's session opens no administrator page.
    assert browser.get("/admin", follow_redirects=False).headers["location"] == "/admin/signin"


def test_closed_institutions_get_no_link_and_unknown_ones_are_named(runtime: Runtime, school: str) -> None:
    with runtime.session() as session:
        with pytest.raises(Exception, match="未在培训机构目录中登记"):
            signin.signin_link(session, runtime.keystore, runtime.settings, _credit_code(99))
        institutions.change_institution_status(session, school, InstitutionStatus.CLOSED, "退出")
    with runtime.session() as session, pytest.raises(Exception, match="已注销"):
        signin.signin_link(session, runtime.keystore, runtime.settings, school)


@pytest.fixture
def cli_env(settings: Settings, runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CS_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CS_KEYSTORE_DIR", str(settings.keystore_dir))
    monkeypatch.setenv("CS_KEYSTORE_PASSPHRASE", "test passphrase")
    monkeypatch.setenv("CS_PUBLIC_BASE_URL", BASE_URL)


def test_the_command_line_prints_a_sign_in_link(cli_env: None, client: TestClient, school: str) -> None:
    made = CliRunner().invoke(cli, ["token", "institution", school, "--link"])
    assert made.exit_code == 0, made.output
    link = made.stdout.strip()
    assert link.startswith(f"{BASE_URL}/institution/signin?token=")
    browser = TestClient(client.app, base_url=BASE_URL)
    token, nonce = _open_link(browser, link)
    answer = browser.post(signin.SIGNIN_PATH, data={"token": token, "csrf": nonce}, follow_redirects=False)
    assert answer.status_code == 303
    unknown = CliRunner().invoke(cli, ["token", "institution", _credit_code(98), "--link"])
    assert unknown.exit_code != 0 and "未在培训机构目录中登记" in unknown.output


# --- opening a class -------------------------------------------------------------------------------


def test_opening_a_class(client: TestClient, runtime: Runtime, school: str) -> None:
    browser = _officer(client, runtime)
    form = browser.get("/institution/classes/new")
    assert form.status_code == 200 and 'value="6-18-02-04"' in form.text and "岗位技能提升培训" in form.text
    _plain(form.text)

    no_csrf = browser.post("/institution/classes/new", data=_class_form(), follow_redirects=False)
    assert no_csrf.status_code == 403 and _count(runtime, TrainingClass) == 0

    assert re.search(
        r'id="class_ref-error">班级编号为',
        browser.post(
            "/institution/classes/new", data={**_class_form(class_ref="new"), "csrf": _csrf(browser)}
        ).text,
    )
    bad = browser.post(
        "/institution/classes/new",
        data={
            **_class_form(class_ref="班 1", start_date="2026-13-01", end_date="", planned_hours="四十"),
            "training_type": "bogus",
            "target_level": "9",
            "csrf": _csrf(browser),
        },
    )
    assert bad.status_code == 422
    for field, words in (
        ("class_ref", "班级编号为"),
        ("start_date", "请填写日期"),
        ("end_date", "请填写日期"),
        ("planned_hours", "计划课时应为"),
        ("training_type", "请选择培训类型"),
        ("target_level", "请选择目标等级"),
    ):
        assert re.search(rf'id="{field}-error">[^<]*{words}', bad.text), field
    assert 'value="四十"' in bad.text  # what was typed stays on the form
    _plain(bad.text)

    ruled = browser.post(
        "/institution/classes/new",
        data={
            **_class_form(end_date=(START - timedelta(days=1)).isoformat(), occupation_code="6-31-01-01"),
            "csrf": _csrf(browser),
        },
    )
    assert ruled.status_code == 422
    assert re.search(r'id="end_date-error">结业日期早于开班日期', ruled.text)
    assert re.search(r'id="occupation_code-error">不在本机构可开展项目内', ruled.text)
    assert _count(runtime, TrainingClass) == 0

    opened = browser.post(
        "/institution/classes/new", data={**_class_form(), "csrf": _csrf(browser)}, follow_redirects=False
    )
    assert opened.status_code == 303 and opened.headers["location"].startswith(
        "/institution/classes/HG-2026-09"
    )
    page = browser.get(opened.headers["location"])
    assert "培训班已开设" in page.text and "培训中" in page.text and "四级/中级工" in page.text
    _plain(page.text)
    taken = browser.post("/institution/classes/new", data={**_class_form(), "csrf": _csrf(browser)})
    assert taken.status_code == 422 and "本机构已有此编号的培训班" in taken.text
    home = browser.get("/institution")
    assert "HG-2026-09" in home.text and f"{START} – {END}" in home.text and "名册 0 人" in home.text
    assert "培训中" in home.text
    _plain(home.text)


# --- the roster ------------------------------------------------------------------------------------


def test_roster_templates_read_back(client: TestClient) -> None:
    csv = client.get("/api/v1/rosters/template.csv")
    assert csv.status_code == 200 and csv.content.startswith(b"\xef\xbb\xbf" + HEADER.encode())
    xlsx = client.get("/api/v1/rosters/template.xlsx")
    assert xlsx.status_code == 200 and "attachment" in xlsx.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None and [c.value for c in sheet[1]] == HEADER.split(",")


def test_a_roster_with_bad_rows_changes_nothing_and_names_each_row(
    client: TestClient, runtime: Runtime, school: str
) -> None:
    browser = _officer(client, runtime)
    ref = _opened(browser)
    bad = _upload(
        browser,
        ref,
        _csv(
            f"居民身份证,{NUMBERS[0]},李明,",
            f"驾驶证,{NUMBERS[1]},王芳,",
            f"居民身份证,{WRONG},赵小军,",
            f"居民身份证,{NUMBERS[0]},李明,",
            f"居民身份证,{NUMBERS[1]},王芳,2026-02-30",
            f"居民身份证,{NUMBERS[1]},=王芳,",
        ),
    )
    assert bad.status_code == 422
    rows = re.findall(r'<tr class="row-error"><td>(\d+)</td><td>([^<]*)</td><td>([^<]*)</td>', bad.text)
    named = {(int(r), c) for r, c, _ in rows}
    assert {(3, "证件类型"), (4, "证件号码"), (6, "报名日期"), (7, "姓名")} <= named, rows
    assert all(" / " not in why and why for _, _, why in rows), rows  # Chinese only
    assert _count(runtime, RosterMember) == 0
    _plain(bad.text)

    # A duplicate within the sheet and a name differing from the person's file are found too.
    twice = _upload(browser, ref, _csv(f"居民身份证,{NUMBERS[0]},李明,", f"居民身份证,{NUMBERS[0]},李明,"))
    assert twice.status_code == 422 and "与 第 2 行 是同一人" in twice.text
    assert _count(runtime, RosterMember) == 0

    not_a_sheet = _upload(browser, ref, b"PK\x03\x04 not really", "roster.xlsx")
    assert not_a_sheet.status_code == 422 and "不是 Excel" in not_a_sheet.text
    headers = _upload(browser, ref, "证件号码,姓名\n1,张三\n".encode())
    assert headers.status_code == 422 and "缺少列" in headers.text and "证件类型" in headers.text

    no_csrf = browser.post(
        f"/institution/classes/{ref}/roster", files={"file": ("r.csv", _csv(*GOOD))}, follow_redirects=False
    )
    assert no_csrf.status_code == 403 and _count(runtime, RosterMember) == 0

    good = _upload(browser, ref, _csv(*GOOD))
    assert good.status_code == 303, good.text
    page = browser.get(good.headers["location"])
    assert "名册已上传：3 名学员已报名" in page.text
    assert page.text.count('data-state="enrolled"') == 3 and f"已报名（{START}）" in page.text
    assert _count(runtime, Enrolment) == 3
    _plain(page.text)

    again = _upload(browser, ref, _csv(f"居民身份证,{NUMBERS[0]},李明,"))
    assert again.status_code == 422 and "已在本班学员名册上" in again.text
    other = _opened(browser, "HG-2026-10")
    renamed = _upload(browser, other, _csv(f"居民身份证,{NUMBERS[0]},李小明,"))
    assert renamed.status_code == 422 and "姓名与此人档案中的姓名不一致" in renamed.text


def test_an_excel_roster(client: TestClient, runtime: Runtime, school: str) -> None:
    browser = _officer(client, runtime)
    ref = _opened(browser)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADER.split(","))
    sheet.append(["居民身份证", NUMBERS[0], "李明", START])  # a real date cell
    sheet.append(["居民身份证", NUMBERS[1], "王芳", None])
    out = io.BytesIO()
    workbook.save(out)
    answer = _upload(browser, ref, out.getvalue(), "roster.xlsx")
    assert answer.status_code == 303, answer.text
    assert _count(runtime, Enrolment) == 2


# --- attendance and completions ---------------------------------------------------------------------


def test_attendance_and_completions(client: TestClient, runtime: Runtime, school: str) -> None:
    browser = _officer(client, runtime)
    ref = _opened(browser)
    assert _upload(browser, ref, _csv(*GOOD)).status_code == 303
    page = browser.get(f"/institution/classes/{ref}")
    members = _members(page.text)[:3]
    url = f"/institution/classes/{ref}"

    def attend(**changes: Any) -> Any:
        data = {
            "day": (TODAY - timedelta(days=1)).isoformat(),  # 08:30 today may still be ahead
            "time": "08:30",
            "place": "3 号教室",
            "method": "face",
            "member": members,
        }
        return browser.post(
            f"{url}/attendance", data={**data, **changes, "csrf": _csrf(browser)}, follow_redirects=False
        )

    assert browser.post(f"{url}/attendance", data={"member": members}).status_code == 403
    nobody = attend(member=[], time="25:00", place=" ", method="palm")
    assert nobody.status_code == 422
    for words in ("请至少选择一名学员", "请填写时间", "请填写考勤地点", "请选择考勤方式"):
        assert words in nobody.text
    early = attend(day=(START - timedelta(days=1)).isoformat())
    assert early.status_code == 422 and "不在培训日期内" in early.text and "李明" in early.text
    stranger = attend(member=["999999"])
    assert stranger.status_code == 422 and "不在本班学员名册上" in stranger.text
    many = attend(member=[str(n) for n in range(1000, 1030)])  # a big class's form, 30 rows
    assert many.status_code == 422 and many.text.count("不在本班学员名册上") == 30
    tampered = attend(member=["1" * 40])
    assert tampered.status_code == 422 and "<html" in tampered.text
    assert _count(runtime, AttendanceEvent) == 0
    _plain(early.text)

    done = attend()
    assert done.status_code == 303, done.text
    assert "考勤已登记：3 人次" in browser.get(done.headers["location"]).text
    twice = attend()
    assert twice.status_code == 422 and "此次考勤已记录" in twice.text
    assert attend(time="14:00", member=members[:2]).status_code == 303
    assert _count(runtime, AttendanceEvent) == 5

    def complete(rows: list[tuple[str, str, str]], day: str = TODAY.isoformat()) -> Any:
        data = {
            "completed_on": day,
            "member": members,
            "hours": [h for h, _, _ in rows],
            "result": [r for _, r, _ in rows],
            "score": [s for _, _, s in rows],
            "csrf": _csrf(browser),
        }
        return browser.post(f"{url}/completions", data=data, follow_redirects=False)

    none_given = complete([("40", "", ""), ("40", "", ""), ("40", "", "")])
    assert none_given.status_code == 422 and "请至少为一名学员选择考核结果" in none_given.text
    bad = complete([("四十", "pass", ""), ("40", "pass", "101"), ("40", "", "")], day="2026-02-30")
    assert bad.status_code == 422
    for words in ("实际课时应为", "成绩应为 0–100", "请填写日期"):
        assert words in bad.text
    future = complete(
        [("40", "pass", ""), ("40", "", ""), ("40", "", "")], day=(TODAY + timedelta(days=1)).isoformat()
    )
    assert future.status_code == 422 and "日期在将来" in future.text and "李明" in future.text
    assert _count(runtime, Completion) == 0

    first = complete([("38", "pass", "86.5"), ("40", "fail", ""), ("40", "", "")])
    assert first.status_code == 303
    page = browser.get(first.headers["location"])
    assert "结业已登记：2 人" in page.text
    assert f"已结业（{TODAY}）：合格，实际课时 38，成绩 86.5" in page.text
    assert f"已结业（{TODAY}）：不合格，实际课时 40" in page.text
    assert "考勤 2 次" in page.text and "考勤 1 次" in page.text
    _plain(page.text)

    left = _members(page.text)  # attendance checkboxes, then the one completion row left
    last = browser.post(
        f"{url}/completions",
        data={
            "completed_on": TODAY.isoformat(),
            "member": [left[-1]],
            "hours": ["36"],
            "result": ["pass"],
            "score": [""],
            "csrf": _csrf(browser),
        },
        follow_redirects=False,
    )
    assert last.status_code == 303, last.text
    page = browser.get(f"/institution/classes/{ref}")
    assert page.text.count('data-state="completed"') == 3 and "所有已报名学员均已结业" in page.text
    home = browser.get("/institution")
    assert "已全部结业" in home.text and "结业 3 人" in home.text
    _plain(home.text)


def test_a_suspended_institution_can_look_but_not_post(
    client: TestClient, runtime: Runtime, school: str
) -> None:
    browser = _officer(client, runtime)
    ref = _opened(browser)
    with runtime.session() as session:
        institutions.change_institution_status(session, school, InstitutionStatus.SUSPENDED, "整改")
    home = browser.get("/institution")
    assert home.status_code == 200 and "已暂停" in home.text
    refused = _upload(browser, ref, _csv(*GOOD))
    assert refused.status_code == 403 and "机构已暂停" in refused.text
    assert _count(runtime, RosterMember) == 0
    assert browser.get("/institution/classes/NO-SUCH").status_code == 404
