"""Payments imported from the external payment system (issue 13, decision 037): through the same
rules as claims, to the person's own card account only; a refused row names its rule or column and
changes nothing; a format problem anywhere imports nothing; the same 支付流水号 is never imported
twice. The command, the administrator's page, and the file's bounds."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from credential_service.audit import service as audit
from credential_service.certificates import service as certificates
from credential_service.issuers.models import Issuer
from credential_service.platform.tokens import Role
from credential_service.runtime import Runtime
from credential_service.subsidies import imports
from credential_service.subsidies.models import SubsidyClaim, SubsidyPayment
from credential_service.subsidies.rules import Employment
from tests.factories import holder, issue_certificate
from tests.integration.test_subsidy_claims import ACCOUNT, _facts, _worker, rules_loaded
from tests.integration.test_subsidy_pages import _csrf, _plain, _staff, _text

__all__ = ["rules_loaded"]

HEADER = "补贴类型,证件类型,证件号码,姓名,证书编号,发放金额（元）,发放日期,收款账号,支付流水号"
PAID_ON = "2026-11-20"


def _row(
    who: certificates.Holder, number: str, amount: str = "2000.00", account: str = ACCOUNT, ref: str = ""
) -> str:
    return f"技能提升补贴,居民身份证,{who.id_number},{who.name},{number},{amount},{PAID_ON},{account},{ref}"


def _sheet(*rows: str) -> bytes:
    return "\n".join([HEADER, *rows]).encode()


def _holder_with_certificate(
    runtime: Runtime, organisation: Issuer, *, months: int = 24
) -> tuple[certificates.Holder, str]:
    who = holder()
    number = issue_certificate(runtime, organisation, who=who).certificate_number or ""
    _, person = _worker(runtime, who)
    _facts(
        runtime,
        person,
        insured_months=months,
        employment=Employment.ENTERPRISE_EMPLOYEE,
        card_account=ACCOUNT,
    )
    return who, number


def _import(runtime: Runtime, content: bytes) -> imports.ImportReport:
    return imports.import_payments(
        runtime.session,
        runtime.social_insurance,
        io.BytesIO(content),
        data_key=runtime.settings.data_key_bytes,
        actor="cli:test",
    )


def _count(runtime: Runtime, model: type[SubsidyClaim] | type[SubsidyPayment]) -> int:
    with runtime.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_each_row_is_judged_by_the_rules_and_refused_rows_say_which(
    runtime: Runtime, organisation: Issuer, rules_loaded: None
) -> None:
    good, good_number = _holder_with_certificate(runtime, organisation)
    short, short_number = _holder_with_certificate(runtime, organisation, months=6)
    other, other_number = _holder_with_certificate(runtime, organisation)
    third, third_number = _holder_with_certificate(runtime, organisation)
    sheet = _sheet(
        _row(good, good_number, ref="ZF-0001"),
        _row(short, short_number, ref="ZF-0002"),  # 6 insured months
        _row(other, other_number, amount="2500.00", ref="ZF-0003"),  # not the rules' amount
        _row(third, third_number, account="6217000099999999999", ref="ZF-0004"),  # someone else's account
        _row(good, "S000014010001263999999", ref="ZF-0005"),  # no such certificate
    )
    report = _import(runtime, sheet)
    assert (report.rows, report.imported, report.already, report.amount_fen) == (5, 1, 0, 200_000)
    refused = {r.row: (r.what, r.reason) for r in report.refused}
    assert set(refused) == {3, 4, 5, 6}
    assert refused[3][0] == "失业保险参保月数" and "不足 12 个月" in refused[3][1]
    assert refused[4][0] == "发放金额（元）" and "2000.00" in refused[4][1]
    assert refused[5] == ("收款账号", "不是本人社会保障卡金融账户 / not the person's own card account")
    assert refused[6][0] == "证书编号"
    # Only the good row left anything behind: its claim, paid, with the payment's reference.
    assert _count(runtime, SubsidyClaim) == 1 and _count(runtime, SubsidyPayment) == 1
    with runtime.session() as session:
        claim = session.scalars(select(SubsidyClaim)).one()
        payment = session.scalars(select(SubsidyPayment)).one()
        assert claim.state == "paid" and claim.certificate_number == good_number
        assert claim.claimed_on.isoformat() == PAID_ON and claim.claimed_by == "cli:test"
        assert payment.external_ref == "ZF-0001" and payment.account_masked == "****4567"
        assert payment.paid_on.isoformat() == PAID_ON
        actions = [e.action for e in audit.events(session) if e.action.startswith("subsidy.")]
    assert actions == ["subsidy.claim", "subsidy.pay"]
    # The same file again: the payment is known by its reference; nothing new.
    again = _import(runtime, sheet)
    assert (again.imported, again.already, len(again.refused)) == (0, 1, 4)
    assert _count(runtime, SubsidyPayment) == 1


def test_a_paid_import_counts_against_a_later_claim_and_the_reverse(
    client: TestClient, runtime: Runtime, organisation: Issuer, rules_loaded: None
) -> None:
    who = holder()
    first = issue_certificate(runtime, organisation, who=who).certificate_number or ""
    worker, person = _worker(runtime, who)
    _facts(
        runtime, person, insured_months=24, employment=Employment.ENTERPRISE_EMPLOYEE, card_account=ACCOUNT
    )
    assert _import(runtime, _sheet(_row(who, first, ref="ZF-0100"))).imported == 1
    # The worker's own claim on the same certificate answers with the imported (paid) claim.
    claimed = client.post("/api/v1/me/subsidy-claims", json={"certificate_number": first}, headers=worker)
    assert claimed.status_code == 200 and claimed.json()["state"] == "paid"
    # A claim filed by the worker first makes an import of it a refusal naming that claim.
    second = (
        issue_certificate(
            runtime, organisation, who=who, level=certificates.SkillLevel.LEVEL_4
        ).certificate_number
        or ""
    )
    waiting = client.post(
        "/api/v1/me/subsidy-claims", json={"certificate_number": second}, headers=worker
    ).json()
    report = _import(runtime, _sheet(_row(who, second, amount="1500.00", ref="ZF-0101")))
    assert report.imported == 0
    ((what, why),) = [(r.what, r.reason) for r in report.refused]
    assert what == "申领" and waiting["claim_id"] in why
    assert _count(runtime, SubsidyPayment) == 1


def test_a_format_problem_anywhere_imports_nothing(
    runtime: Runtime, organisation: Issuer, rules_loaded: None
) -> None:
    who, number = _holder_with_certificate(runtime, organisation)
    wrong_check = "1" if who.id_number.endswith("0") else "0"  # a check character that is wrong
    sheet = _sheet(
        _row(who, number, ref="ZF-0200"),
        f"技能提升补贴,居民身份证,{who.id_number[:-1]}{wrong_check},{who.name},{number},2000.00,{PAID_ON},{ACCOUNT},ZF-0201",
        f"奖金,居民身份证,{who.id_number},{who.name},{number},-5,2026-02-30,12ab,=HYPERLINK(1)",
        _row(who, number, ref="ZF-0200"),  # the same reference twice in one file
    )
    with pytest.raises(imports.ImportRejected) as caught:
        _import(runtime, sheet)
    found = {(p.row, p.what) for p in caught.value.problems}
    assert (3, "证件号码") in found
    assert {
        (4, "补贴类型"),
        (4, "发放金额（元）"),
        (4, "发放日期"),
        (4, "收款账号"),
        (4, "支付流水号"),
    } <= found
    assert (5, "支付流水号") in found
    assert who.id_number not in str(caught.value.problems)
    assert _count(runtime, SubsidyClaim) == 0


def test_an_excel_file_too_is_read_and_a_declared_size_is_bounded(
    runtime: Runtime, organisation: Issuer, rules_loaded: None
) -> None:
    who, number = _holder_with_certificate(runtime, organisation)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER.split(","))
    sheet.append(_row(who, number, ref="ZF-0300").split(","))
    out = io.BytesIO()
    book.save(out)
    assert _import(runtime, out.getvalue()).imported == 1
    rows = "\n".join(_row(who, number, ref=f"ZF-{n:05d}") for n in range(30))
    tiny = imports.sheets.SheetLimits(max_rows=20)
    with pytest.raises(imports.sheets.SheetError):
        imports.import_payments(
            runtime.session,
            runtime.social_insurance,
            io.BytesIO(_sheet(rows)),
            data_key=runtime.settings.data_key_bytes,
            actor="cli:test",
            limits=tiny,
        )


def test_the_command_imports_reports_and_fails_on_refused_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from credential_service.cli import app as cli

    monkeypatch.setenv("CS_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("CS_KEYSTORE_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("CS_KEYSTORE_PASSPHRASE", "cli test")
    runner = CliRunner()
    assert runner.invoke(cli, ["init"]).exit_code == 0
    who = holder()
    payments = tmp_path / "payments.csv"
    payments.write_bytes(_sheet(_row(who, "S000014010001263000009", ref="ZF-0400")))
    report = tmp_path / "refused.csv"
    answer = runner.invoke(cli, ["subsidies", "import", str(payments), "--report", str(report)])
    assert answer.exit_code == 1, answer.output
    assert "未导入 / not imported 1" in answer.output and "终身职业技能培训档案" in answer.output
    assert "终身职业技能培训档案" in report.read_bytes().decode("utf-8-sig")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\xe5\xa7\x93\xe5\x90\x8d\n")  # a sheet without the payment columns
    assert runner.invoke(cli, ["subsidies", "import", str(bad)]).exit_code == 1


def test_the_administrator_imports_on_a_page_and_auditors_cannot(
    client: TestClient, runtime: Runtime, organisation: Issuer, rules_loaded: None
) -> None:
    who, number = _holder_with_certificate(runtime, organisation)
    admin = _staff(client, runtime)
    page = admin.get("/admin/subsidies")
    assert 'action="/admin/subsidies/payments/upload"' in page.text and "导入外部支付记录" in page.text
    sheet = _sheet(_row(who, number, ref="ZF-0500"), _row(who, number, amount="100.00", ref="ZF-0501"))
    answer = admin.post(
        "/admin/subsidies/payments/upload",
        data={"csrf": _csrf(admin)},
        files={"file": ("payments.csv", sheet, "text/csv")},
    )
    assert answer.status_code == 200, answer.text
    text = _text(answer.text)
    assert "已导入 1 笔，合计 ¥2,000.00" in text and "未导入 1 行" in text
    assert "已有同一申请" in text  # its second row: the certificate's claim was just imported
    assert who.id_number not in answer.text
    _plain(answer.text)
    rejected = admin.post(
        "/admin/subsidies/payments/upload",
        data={"csrf": _csrf(admin)},
        files={"file": ("payments.csv", _sheet(_row(who, number, amount="abc", ref="ZF-0502")), "text/csv")},
    )
    assert (
        rejected.status_code == 422
        and "未导入任何记录" in rejected.text
        and "发放金额（元）" in rejected.text
    )
    template = admin.get("/admin/subsidies/payments/template.csv")
    assert template.status_code == 200 and template.content.decode("utf-8-sig").startswith(
        "补贴类型,证件类型"
    )
    auditor = _staff(client, runtime, Role.AUDITOR)
    refused = auditor.post(
        "/admin/subsidies/payments/upload",
        data={"csrf": _csrf(auditor)},
        files={"file": ("payments.csv", sheet, "text/csv")},
    )
    assert refused.status_code == 403
    assert _count(runtime, SubsidyPayment) == 1
