"""Programme statistics (issue 14) on SQLite and PostgreSQL: every figure of /api/v1/stats matches a
count written directly in SQL over the same tables; the CSV and Excel downloads hold the same rows with
no formula; the employment sheet loads all rows or none, naming each bad row and column; the pages
show the tables without any script of their own inline."""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select, text, update
from typer.testing import CliRunner

from credential_service.assessment.occupations.rules import BUILTIN_OCCUPATIONS, builtin_occupation
from credential_service.assessment.organisations import service as organisations
from credential_service.assessment.organisations.rules import ScopeRowInput
from credential_service.audit import service as audit
from credential_service.certificates import service as certificates
from credential_service.certificates.rules import SkillLevel
from credential_service.certificates.status import service as status_changes
from credential_service.certificates.status.rules import Actor, StatusAction
from credential_service.cli import app as cli
from credential_service.core.clock import beijing_today
from credential_service.demo import demo_credit_code
from credential_service.identity import service as identity
from credential_service.issuers import service as issuers
from credential_service.runtime import Runtime
from credential_service.statistics.models import EmploymentFigure
from credential_service.statistics.rules import SHANXI_CITIES
from credential_service.subsidies import service as rule_sets
from credential_service.subsidies.models import SubsidyClaim
from credential_service.subsidies.social_insurance import record_demo_facts
from tests.factories import holder

TAIYUAN_ORG, CHANGZHI_ORG, PROVINCE_ORG = "Y000014010009", "Y000014040002", "S000014000007"
REGISTERED = datetime(2024, 1, 2, 2, 0, tzinfo=UTC)
GROUNDS = {"reason": "fraud", "evidence": "晋人社稽〔2026〕3号", "authority": "山西省人社厅"}
ADMIN = Actor("admin", "admin:stats")
EMPLOYMENT_CSV = (
    "年份,城市代码,城市,就业人员数,来源\n"
    + "".join(
        f"2025,{code},{name},{100 + i},测试数据\n" for i, (code, name) in enumerate(SHANXI_CITIES.items())
    )
).encode()


def _register(runtime: Runtime, code: str, division: str) -> None:
    """An organisation registered in ``division`` (its credit code's characters 3–8) since 2024."""
    with runtime.session() as session:
        organisations.register_organisation(
            session,
            runtime.keystore,
            runtime.settings,
            org_type=code[0],
            credit_code=demo_credit_code(random.Random(code), division, kind="91"),
            name=f"测试评价机构{code[-4:]}",
            mohrss_code=code[1:5],
            site_serial=code[7:13],
            scope=[
                ScopeRowInput(o.code, o.subtype, (5, 4, 3, 2, 1), date(2020, 1, 1), date(2099, 12, 31))
                for o in BUILTIN_OCCUPATIONS
            ],
            actor="admin:test",
            now=REGISTERED,
        )


def _issue(
    runtime: Runtime, code: str, who: certificates.Holder, level: int, occupation: str, at: datetime
) -> str:
    with runtime.session() as session:
        record = certificates.issue_skill_certificate(
            session,
            runtime.keystore,
            runtime.issuance,
            issuer=issuers.get_issuer(session, code),
            holder=who,
            occupation=builtin_occupation(occupation),
            level=SkillLevel(level),
            data_key=runtime.settings.data_key_bytes,
            cryptosuite="eddsa-jcs-2022",
            now=at,
        )
        return record.certificate_number or ""


def _change(runtime: Runtime, number: str, action: StatusAction) -> None:
    reason = None if action is StatusAction.REINSTATE else GROUNDS["reason"]
    with runtime.session() as session:
        status_changes.change_status(
            session,
            ADMIN,
            number,
            action,
            reason=reason,
            evidence=GROUNDS["evidence"],
            authority=GROUNDS["authority"],
        )


@dataclass
class World:
    numbers: dict[str, str]


@pytest.fixture
def world(runtime: Runtime) -> World:
    """Certificates of three organisations (太原 by the fixture's, 长治, one registered by the
    province), over two years, some revoked, suspended or suspended and reinstated."""
    _register(runtime, TAIYUAN_ORG, "140105")  # a district of 太原: counts in 140100
    _register(runtime, CHANGZHI_ORG, "140402")  # a district of 长治: counts in 140400
    _register(runtime, PROVINCE_ORG, "140000")  # registered by the province: no city
    a, b, c, d = holder(), holder(), holder(), holder()
    taiyuan = TAIYUAN_ORG
    # Beijing 2025-12-31 20:00 is 12:00 UTC; 2025-12-31 17:00 UTC is already 2026-01-01 in Beijing.
    plan = {
        "a5": (taiyuan, a, 5, "6-18-02-04", datetime(2025, 3, 5, 2, tzinfo=UTC)),
        "a3": (CHANGZHI_ORG, a, 3, "6-31-01-03", datetime(2025, 12, 31, 12, tzinfo=UTC)),
        "b4": (CHANGZHI_ORG, b, 4, "6-31-01-03", datetime(2025, 12, 31, 17, tzinfo=UTC)),
        "b2": (taiyuan, b, 2, "6-18-01-01", datetime(2025, 6, 1, 2, tzinfo=UTC)),
        "c5": (PROVINCE_ORG, c, 5, "6-18-01-01", datetime(2025, 7, 9, 2, tzinfo=UTC)),
        "c4": (taiyuan, c, 4, "6-18-02-04", datetime(2025, 8, 9, 2, tzinfo=UTC)),
        "d3": (CHANGZHI_ORG, d, 3, "6-18-02-04", datetime(2025, 9, 1, 2, tzinfo=UTC)),
        "d5": (CHANGZHI_ORG, d, 5, "6-31-01-03", datetime(2025, 9, 2, 2, tzinfo=UTC)),
    }
    numbers = {name: _issue(runtime, *args) for name, args in plan.items()}
    _change(runtime, numbers["b2"], StatusAction.REVOKE)
    _change(runtime, numbers["c4"], StatusAction.SUSPEND)
    _change(runtime, numbers["d3"], StatusAction.SUSPEND)
    _change(runtime, numbers["d3"], StatusAction.REINSTATE)
    return World(numbers)


# --- the same figures, counted directly in SQL -----------------------------------------------------

VALID = """
    NOT EXISTS (SELECT 1 FROM certificate_status_changes s
                WHERE s.credential_id = c.credential_id AND s.action IN ('revoke', 'supersede'))
    AND (SELECT count(*) FROM certificate_status_changes s
         WHERE s.credential_id = c.credential_id AND s.action = 'suspend')
      = (SELECT count(*) FROM certificate_status_changes s
         WHERE s.credential_id = c.credential_id AND s.action = 'reinstate')
"""


def _sql_key(dialect: str, by: str) -> str:
    if by == "city":
        return "substr(o.credit_code, 3, 4)"
    if by == "level":
        return "substr(c.certificate_number, 16, 1)"
    if by == "occupation":
        if dialect == "postgresql":
            return "(c.credential_json::json #>> '{credentialSubject,achievement,alignment,0,targetCode}')"
        return "json_extract(c.credential_json, '$.credentialSubject.achievement.alignment[0].targetCode')"
    if dialect == "postgresql":
        return "to_char(c.issued_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')"
    return "strftime('%Y-%m', c.issued_at, '+8 hours')"


def sql_counts(runtime: Runtime, by: str) -> dict[str, tuple[int, int]]:
    """{key: (issued, valid)} by one GROUP BY over the tables (cities: the 4 digits of the division)."""
    dialect = runtime.engine.dialect.name
    key = _sql_key(dialect, by)
    query = f"""
        SELECT {key} AS k, count(*), sum(CASE WHEN {VALID} THEN 1 ELSE 0 END)
        FROM issued_credentials c LEFT JOIN organisations o ON o.issuer_id = c.issuer_id
        WHERE c.certificate_number IS NOT NULL GROUP BY {key}
    """
    with runtime.engine.connect() as connection:
        rows = connection.execute(text(query)).all()
    found = {str(k): (int(issued), int(valid)) for k, issued, valid in rows}
    if by == "city":
        found = {(f"{k}00" if f"{k}00" in SHANXI_CITIES else "other"): v for k, v in found.items()}
    return found


def _api_counts(client: TestClient, by: str) -> dict[str, tuple[int, int]]:
    answer = client.get("/api/v1/stats/certificates", params={"by": by})
    assert answer.status_code == 200, answer.text
    return {row["key"]: (row["issued"], row["valid"]) for row in answer.json() if row["issued"]}


@pytest.mark.parametrize("by", ["city", "occupation", "level", "month"])
def test_certificate_counts_match_direct_sql(
    client: TestClient, runtime: Runtime, world: World, by: str
) -> None:
    assert _api_counts(client, by) == sql_counts(runtime, by)


def test_certificate_counts_read_as_the_plan_has_them(client: TestClient, world: World) -> None:
    by_city = {r["key"]: r for r in client.get("/api/v1/stats/certificates?by=city").json()}
    assert list(by_city)[:11] == list(SHANXI_CITIES)  # every city, in code order, zeros too
    assert (by_city["140100"]["issued"], by_city["140100"]["valid"]) == (3, 1)  # b2 revoked, c4 suspended
    assert (by_city["140400"]["issued"], by_city["140400"]["valid"]) == (4, 4)  # d3 reinstated
    assert by_city["140400"]["label"] == "长治市" and by_city["140200"]["issued"] == 0
    assert by_city["other"]["issued"] == 1 and by_city["other"]["label"].startswith("其他")
    months = [r["key"] for r in client.get("/api/v1/stats/certificates?by=month").json()]
    assert months[0] == "2025-03" and months[-1] == "2026-01"  # 2025-12-31 17:00 UTC is January in Beijing
    assert len(months) == 11  # no gap between the first month and the last
    levels = client.get("/api/v1/stats/certificates?by=level").json()
    assert [r["key"] for r in levels] == ["5", "4", "3", "2", "1"]
    assert levels[0]["label"] == "五级/初级工"


def test_skill_shares_match_direct_sql_and_the_rules(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    with runtime.session() as session:
        from credential_service.statistics import service

        service.load_employment(session, io.BytesIO(EMPLOYMENT_CSV), actor="cli:test")
    body = client.get("/api/v1/stats/skill-shares", params={"year": 2025}).json()
    assert body["year"] == 2025 and body["targets"] == {"skilled_share": 0.37, "high_skilled_share": 0.3}
    # Province: distinct holders of a valid certificate issued by the end of 2025 (Beijing), in SQL.
    until = "2025-12-31 16:00:00"  # UTC: the end of 31 December in Beijing
    held = f"""
        SELECT count(DISTINCT c.holder_index) FROM issued_credentials c
        WHERE c.certificate_number IS NOT NULL AND c.issued_at < :until AND {VALID}
    """
    high = held + " AND substr(c.certificate_number, 16, 1) IN ('1', '2', '3')"
    with runtime.engine.connect() as connection:
        at = datetime(2025, 12, 31, 16, tzinfo=UTC) if runtime.engine.dialect.name == "postgresql" else until
        skilled = connection.execute(text(held), {"until": at}).scalar_one()
        high_skilled = connection.execute(text(high), {"until": at}).scalar_one()
    province = body["province"]
    assert (province["skilled"], province["high_skilled"]) == (skilled, high_skilled) == (3, 2)
    assert province["employed"] == sum(100 + i for i in range(11))
    cities = {row["key"]: row for row in body["cities"]}
    # a: best a3 (长治); b: b2 revoked, b4 issued in 2026 → not yet skilled in 2025; c: c4 suspended,
    # c5 (the province's) → other; d: d3 (长治, reinstated).
    assert (cities["140400"]["skilled"], cities["140400"]["high_skilled"]) == (2, 2)
    assert cities["140400"]["skilled_share"] == round(2 / 103, 4)
    assert cities["140400"]["high_skilled_share"] == 1.0 and cities["140400"]["high_skilled_target_met"]
    assert cities["140100"]["skilled"] == 0  # a counts once, in the city of a3, their highest
    assert cities["other"]["skilled"] == 1 and cities["other"]["employed"] is None


def test_shares_without_employment_figures_say_so(client: TestClient, world: World) -> None:
    body = client.get("/api/v1/stats/skill-shares", params={"year": 2025}).json()
    assert body["province"]["employed"] is None and body["province"]["skilled_share"] is None
    assert body["years_with_employment_figures"] == []
    page = client.get("/stats", params={"year": 2025})
    assert page.status_code == 200 and 'id="no-employment"' in page.text


# --- subsidised trainings -------------------------------------------------------------------------


def _trainee(who: certificates.Holder) -> dict[str, str]:
    return {"document_type": who.document_type.value, "id_number": who.id_number, "name": who.name}


def _paid_training_claims(client: TestClient, runtime: Runtime, admin_headers: dict[str, str]) -> list[str]:
    """Four trainees of an ended class claimed for by their institution; three approved (paid)."""
    from tests.integration.test_subsidy_claims import ACCOUNT, _institution
    from tests.integration.test_training_institutions import CODE_A, register

    with runtime.session() as session:
        rule_sets.ensure_shipped_rule_sets(session, actor="test")
    assert register(client, admin_headers, CODE_A, "太原市技能培训学校").status_code == 201
    school = _institution(runtime, CODE_A)
    trainees = [holder() for _ in range(4)]
    today = beijing_today()
    body = {
        "class_ref": "STATS-1",
        "occupation_code": "6-31-01-03",
        "training_type": "employment_skills",
        "start_date": (today - timedelta(days=30)).isoformat(),
        "end_date": (today - timedelta(days=2)).isoformat(),
        "planned_hours": 80,
        "roster": [_trainee(t) for t in trainees],
    }
    assert client.post("/api/v1/classes", json=body, headers=school).status_code == 201
    enrolled = {"enrolments": [{**_trainee(t), "enrolled_on": body["start_date"]} for t in trainees]}
    assert client.post("/api/v1/classes/STATS-1/enrolments", json=enrolled, headers=school).status_code == 201
    done = [
        {**_trainee(t), "attended_hours": 76, "result": "pass", "score": 85, "completed_on": body["end_date"]}
        for t in trainees
    ]
    posted = client.post("/api/v1/classes/STATS-1/completions", json={"completions": done}, headers=school)
    assert posted.status_code == 201, posted.text
    with runtime.session() as session:
        for t in trainees:
            person = identity.find_person(
                session, runtime.settings.data_key_bytes, identity.identify("resident_id", t.id_number)
            )
            assert person is not None
            record_demo_facts(
                session,
                runtime.settings.data_key_bytes,
                person,
                insured_months=None,
                employment=None,
                groups=frozenset({"rural_migrant"}),
                card_account=ACCOUNT,
            )
    filed = client.post("/api/v1/subsidy-claims", json={"class_ref": "STATS-1"}, headers=school)
    assert filed.status_code == 201, filed.text
    ids = [claim["claim_id"] for claim in filed.json()["claims"]]
    for claim_id in ids[:3]:
        decided = client.post(
            f"/api/v1/admin/subsidy-claims/{claim_id}/decision",
            json={"decision": "approve", "reason": "材料齐全"},
            headers=admin_headers,
        )
        assert decided.status_code == 200 and decided.json()["state"] == "paid", decided.text
    return ids


def test_subsidised_trainings_match_direct_sql(
    client: TestClient, runtime: Runtime, admin_headers: dict[str, str]
) -> None:
    ids = _paid_training_claims(client, runtime, admin_headers)
    this_year = beijing_today().year
    with runtime.session() as session:  # arranged: one paid claim of last year, one of another type
        session.execute(
            update(SubsidyClaim)
            .where(SubsidyClaim.public_id == ids[0])
            .values(claimed_on=date(this_year - 1, 6, 1))
        )
        session.execute(
            update(SubsidyClaim).where(SubsidyClaim.public_id == ids[1]).values(subsidy_type="skill_upgrade")
        )
    year = (
        "extract(year FROM claimed_on)"
        if runtime.engine.dialect.name == "postgresql"
        else ("CAST(strftime('%Y', claimed_on) AS INTEGER)")
    )
    query = f"""SELECT {year}, count(*) FROM subsidy_claims
                WHERE subsidy_type = 'training' AND state = 'paid' GROUP BY {year}"""
    with runtime.engine.connect() as connection:
        expected = {int(y): n for y, n in connection.execute(text(query)).all()}
    assert expected == {this_year - 1: 1, this_year: 1}
    rows = client.get("/api/v1/stats/subsidised-trainings").json()
    assert {r["year"]: r["trainings"] for r in rows} == expected
    assert all(r["target"] == 500_000 for r in rows)
    sheet = client.get("/api/v1/stats/subsidised-trainings.csv")
    lines = sheet.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "年份,补贴性职业技能培训（人次）,年度目标（人次）,完成比例"
    assert lines[-1] == f"{this_year},1,500000,0.0%"


# --- downloads ------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_downloads_hold_the_same_rows_and_never_a_formula(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    with runtime.session() as session:  # one city's employed only: the province has no share
        session.add(
            EmploymentFigure(
                city_code="140100", year=2025, employed=1000, source="测试",
                loaded_at=datetime.now(UTC), loaded_by="cli:test",
            )
        )  # fmt: skip
    for by in ("city", "occupation", "level", "month"):
        rows = client.get("/api/v1/stats/certificates", params={"by": by}).json()
        csv = client.get("/api/v1/stats/certificates.csv", params={"by": by})
        assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
        assert csv.headers["content-disposition"] == f'attachment; filename="certificates-by-{by}.csv"'
        lines = csv.content.decode("utf-8-sig").splitlines()
        assert lines[1:] == [f"{r['key']},{r['label']},{r['issued']},{r['valid']}" for r in rows]
        xlsx = client.get("/api/v1/stats/certificates.xlsx", params={"by": by})
        sheet = load_workbook(io.BytesIO(xlsx.content)).active
        assert sheet is not None
        cells = [[c.value for c in row] for row in sheet.iter_rows()]
        assert cells[1:] == [[r["key"], r["label"], str(r["issued"]), str(r["valid"])] for r in rows]
        assert all(c.data_type == "s" for row in sheet.iter_rows() for c in row)  # text, never a formula
    shares = client.get("/api/v1/stats/skill-shares.xlsx", params={"year": 2025})
    sheet = load_workbook(io.BytesIO(shares.content)).active
    assert sheet is not None
    assert [c.value for c in sheet[1]][:4] == ["年份", "城市代码", "城市", "就业人员数"]
    assert [c.value for c in sheet[2]][:6] == ["2025", "140100", "太原市", "1000", "0", "0.0%"]
    assert [c.value for c in sheet[sheet.max_row]][1:6] == ["140000", "全省", "—", "3", "—"]
    assert client.get("/api/v1/stats/certificates.pdf").status_code == 422
    assert client.get("/api/v1/stats/certificates", params={"by": "county"}).status_code == 422
    assert client.get("/api/v1/stats/skill-shares", params={"year": 1999}).status_code == 422


# --- the employment sheet -------------------------------------------------------------------------


def _cli(runtime: Runtime, *args: str) -> tuple[int, str]:
    env = {
        "CS_DATABASE_URL": runtime.settings.database_url,
        "CS_KEYSTORE_DIR": str(runtime.settings.keystore_dir),
        "CS_KEYSTORE_PASSPHRASE": "test passphrase",
        "CS_PUBLIC_BASE_URL": runtime.settings.public_base_url,
        "CS_ENVIRONMENT": "test",
    }
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.output


def _figures(runtime: Runtime) -> list[tuple[int, str, int, str]]:
    with runtime.session() as session:
        return [
            (f.year, f.city_code, f.employed, f.source)
            for f in session.scalars(
                select(EmploymentFigure).order_by(EmploymentFigure.year, EmploymentFigure.city_code)
            )
        ]


def test_the_employment_loader_loads_all_rows_or_none(runtime: Runtime, tmp_path: Path) -> None:
    good = tmp_path / "employment.csv"
    good.write_bytes(EMPLOYMENT_CSV)
    code, output = _cli(runtime, "stats", "load-employment", str(good))
    assert code == 0, output
    assert "已载入 11 行（新增 11，更新 0）" in output
    loaded = _figures(runtime)
    assert len(loaded) == 11 and loaded[0] == (2025, "140100", 100, "测试数据")

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "年份,城市代码,城市,就业人员数\n"
        "2025,140100,太原市,2960000\n"  # fine, and would replace 100: must not
        "2025,140199,太原市,1000\n"  # no such city
        "2025,140200,太原市,1000\n"  # the name is another city's
        "25,140300,阳泉市,-5\n"  # year and number
        "2026,140400,长治,1000\n"  # fine (长治 without 市 is accepted)
        "2026,140400,长治市,1001\n",  # the same city and year twice
        encoding="utf-8",
    )
    code, output = _cli(runtime, "stats", "load-employment", str(bad))
    assert code == 1
    for expected in (
        "第 3 行「城市代码」列",
        "第 4 行「城市」列",
        "第 5 行「年份」列",
        "第 5 行「就业人员数」列",
        "第 7 行「城市代码」列：2026 年 长治市已在第 6 行填写",
        "未载入任何数据",
    ):
        assert expected in output, output
    assert _figures(runtime) == loaded  # nothing changed

    missing = tmp_path / "missing.csv"
    missing.write_text("年份,城市,就业人员数\n2025,太原市,1\n", encoding="utf-8")
    code, output = _cli(runtime, "stats", "load-employment", str(missing))
    assert code == 1 and "城市代码" in output and _figures(runtime) == loaded

    update_file = tmp_path / "update.csv"
    update_file.write_text('年份,城市代码,就业人员数\n2025,140100,"2,960,000"\n', encoding="utf-8")
    code, output = _cli(runtime, "stats", "load-employment", str(update_file))
    assert code == 0 and "更新 1" in output, output
    assert _figures(runtime)[0] == (2025, "140100", 2_960_000, "")
    with runtime.session() as session:
        events = [e for e in audit.events(session) if e.action == "stats.employment.load"]
    assert [e.actor.startswith("cli:") for e in events] == [True, True]
    code, output = _cli(runtime, "stats", "employment")
    assert code == 0 and "2,960,000" in output


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_an_excel_employment_sheet_loads_too(runtime: Runtime) -> None:
    from openpyxl import Workbook

    from credential_service.statistics import service

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["年份", "城市代码", "就业人员数"])
    sheet.append([2024, 140800, 2500000])  # numbers, as Excel keeps them
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    with runtime.session() as session:
        loaded = service.load_employment(session, out, actor="cli:test")
    assert (loaded.rows, loaded.years) == (1, [2024])
    assert _figures(runtime) == [(2024, "140800", 2_500_000, "")]


# --- the pages ------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_pages_show_every_figure_as_a_table(client: TestClient, runtime: Runtime, world: World) -> None:
    from credential_service.platform.tokens import Role
    from tests.integration.test_admin_pages import _signed_in

    page = client.get("/stats")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "<script>" not in page.text  # the scripts are files of this site, none inline
    for table in ("shares-table", "trainings-table", "certificates-city-table", "certificates-month-table"):
        assert f'id="{table}"' in page.text
    assert "长治市" in page.text and "/static/echarts/echarts.common.min.js" in page.text
    assert client.get("/static/echarts/echarts.common.min.js").status_code == 200
    assert client.get("/static/stats.js").status_code == 200
    assert client.get("/admin/dashboard", follow_redirects=False).status_code == 303
    for role in (Role.ADMIN, Role.AUDITOR):
        browser = _signed_in(client, runtime, role)
        dashboard = browser.get("/admin/dashboard")
        assert dashboard.status_code == 200 and 'id="shares-table"' in dashboard.text
        assert 'href="/admin/dashboard" aria-current="page"' in dashboard.text
        assert 'id="employment"' in dashboard.text
    english = client.get("/stats", params={"lang": "en"})
    assert english.status_code == 200 and "Skilled workers (" in english.text
    # every other page still runs no script
    assert "script-src 'none'" in client.get("/").headers["content-security-policy"]


def test_the_employment_migration_upgrades_and_downgrades(runtime: Runtime) -> None:
    from alembic import command
    from sqlalchemy import inspect

    from credential_service.core.migrations import alembic_config, current_revision, head_revision, upgrade

    assert "employment_figures" in inspect(runtime.engine).get_table_names()
    command.downgrade(alembic_config(runtime.engine), "0016")
    assert "employment_figures" not in inspect(runtime.engine).get_table_names()
    upgrade(runtime.engine)
    assert current_revision(runtime.engine) == head_revision(runtime.engine)
    assert "employment_figures" in inspect(runtime.engine).get_table_names()
