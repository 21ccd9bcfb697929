"""Payments made by the external payment system, imported through the same rules (issue 13,
decision 037): each row becomes a claim judged by the rule set in force, paid to the person's own
card account, only when every rule passes, the amount is the rules' amount and the account is the
one the social-insurance source names. A refused row says which rule (or column) and why, and
changes nothing; a row imported before (its 支付流水号) is not imported again.

The file is read twice as a stream: first every row's format (any problem: nothing is imported),
then row by row against the files, committed in chunks, so memory stays flat however long it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from credential_service.certificates.rules import CERTIFICATE_NUMBER
from credential_service.core import sheets
from credential_service.core.clock import beijing_today, utcnow
from credential_service.core.errors import FieldError, InvalidInput, ServiceError
from credential_service.identity import service as identity
from credential_service.identity.models import Person
from credential_service.identity.rules import DOCUMENT_TYPE_NAMES, DocumentType, name_problem
from credential_service.records.training import service as training
from credential_service.subsidies import claims, decisions
from credential_service.subsidies.judging import insured
from credential_service.subsidies.models import SubsidyPayment
from credential_service.subsidies.rules import Decision, Outcome, PersonFacts, SubsidyType
from credential_service.subsidies.social_insurance import SocialInsuranceSource

COLUMNS = (
    ("补贴类型", "subsidy_type"),
    ("证件类型", "document_type"),
    ("证件号码", "id_number"),
    ("姓名", "name"),
    ("证书编号", "certificate_number"),
    ("培训机构统一社会信用代码", "institution_code"),
    ("培训班编号", "class_ref"),
    ("发放金额（元）", "amount_yuan"),
    ("发放日期", "paid_on"),
    ("收款账号", "account"),
    ("支付流水号", "payment_ref"),
)
COLUMN_NAMES = {f: h for h, f in COLUMNS}
PAYMENT_SHEET = sheets.SheetShape(
    COLUMNS,
    frozenset(
        {
            "subsidy_type",
            "document_type",
            "id_number",
            "name",
            "amount_yuan",
            "paid_on",
            "account",
            "payment_ref",
        }
    ),
)
# A year of a province's payments in one file (the benchmark imports 100,000 rows); every other
# bound as for uploaded sheets.
IMPORT_LIMITS = sheets.SheetLimits(
    max_rows=200_000,
    max_cells=2_400_000,
    max_worksheet_bytes=160 * 2**20,
    max_shared_strings_bytes=48 * 2**20,
    max_xlsx_bytes=256 * 2**20,
    max_xml_elements=6_000_000,
)
CHUNK = 500  # rows per transaction
TEMPLATE_EXAMPLE = (
    "技能提升补贴",
    "居民身份证",
    "140105199003127613",
    "王建国",
    "S000014010001263000001",
    "",
    "",
    "2000.00",
    "2026-11-20",
    "6217000012345678901",
    "ZF2026112000001",
)
TYPES = {t.title_zh: t for t in SubsidyType} | {t.value: t for t in SubsidyType}
DOCUMENT_TYPES = {name: kind for kind, name in DOCUMENT_TYPE_NAMES.items()} | {
    k.value: k for k in DocumentType
}
_ACCOUNT = re.compile(r"^\d{12,19}$")
_REF = re.compile(r"^[0-9A-Za-z_-]{1,64}$")


@dataclass(frozen=True)
class Refusal:
    row: int
    what: str  # the column, or the rule's Chinese title
    reason: str


@dataclass(frozen=True)
class PaymentRow:
    row: int
    subsidy_type: SubsidyType
    who: identity.Identity
    name: str
    certificate_number: str | None
    institution_code: str | None
    class_ref: str | None
    amount_fen: int
    paid_on: date
    account: str
    payment_ref: str


@dataclass
class ImportReport:
    rows: int = 0
    imported: int = 0
    already: int = 0  # imported before (same 支付流水号)
    refused: list[Refusal] = field(default_factory=list)
    amount_fen: int = 0  # of the rows imported now


class ImportRejected(InvalidInput):
    """Rows whose format is wrong: nothing was imported."""

    def __init__(self, problems: list[Refusal]) -> None:
        super().__init__(
            f"{len(problems)} 处格式错误，未导入任何记录 / {len(problems)} format problems: nothing imported",
            [FieldError(f"row {p.row}", f"{p.what}：{p.reason}") for p in problems[:100]],
            "payment_import_rejected",
        )
        self.problems = problems


class _RowRefused(Exception):
    def __init__(self, *refusals: Refusal) -> None:
        self.refusals = refusals


# --- reading the file ---------------------------------------------------------------------------------


def _rows(stream: BinaryIO, limits: sheets.SheetLimits) -> Iterator[sheets.SheetRow]:
    stream.seek(0)
    is_xlsx = stream.read(2) == b"PK"
    stream.seek(0)
    return (
        sheets.read_xlsx(stream, PAYMENT_SHEET, limits)
        if is_xlsx
        else sheets.read_csv(stream, PAYMENT_SHEET, limits)
    )


def parse_row(row: sheets.SheetRow, today: date) -> PaymentRow | list[Refusal]:
    """The row as a payment, or every problem of its format (column and why, in Chinese first)."""
    v = {k: value.strip() for k, value in row.values.items()}
    problems: list[Refusal] = []

    def problem(column: str, reason: str) -> None:
        problems.append(Refusal(row.row_number, COLUMN_NAMES[column], reason))

    kind = TYPES.get(v.get("subsidy_type", ""))
    if kind is None:
        problem("subsidy_type", "应为 技能提升补贴、职业培训补贴 或 生活费补贴 / unknown subsidy type")
    doc = DOCUMENT_TYPES.get(v.get("document_type", ""))
    if doc is None:
        problem("document_type", f"未知证件类型，应为：{'、'.join(DOCUMENT_TYPE_NAMES.values())} / unknown")
    who = None
    if doc is not None:
        try:
            who = identity.identify(doc.value, v.get("id_number", ""), today=today)
        except ServiceError as exc:
            problem("id_number", exc.errors[0].reason if exc.errors else exc.message)
    name = v.get("name", "")
    if (bad := name_problem(name)) is not None:
        problem("name", bad)
    number = v.get("certificate_number") or None
    institution, class_ref = v.get("institution_code") or None, v.get("class_ref") or None
    if kind is SubsidyType.SKILL_UPGRADE and (number is None or not CERTIFICATE_NUMBER.match(number)):
        problem("certificate_number", "技能提升补贴须填写 22 位证书编号 / a 22-character certificate number")
    if kind in claims.CLASS_SUBSIDIES and (institution is None or class_ref is None):
        problem(
            "class_ref", "培训补贴须填写培训机构代码和培训班编号 / the institution and class are required"
        )
    amount = _fen(v.get("amount_yuan", ""))
    if amount is None:
        problem("amount_yuan", "金额应为正数，最多两位小数，如 1500.00 / a positive amount such as 1500.00")
    paid_on = sheets.sheet_date(v.get("paid_on", ""))
    if paid_on is None or paid_on > today:
        problem("paid_on", "日期应为不晚于今天的日期，如 2026-09-01 / a date not after today")
    account = v.get("account", "")
    if not _ACCOUNT.match(account):
        problem("account", "收款账号应为 12–19 位数字 / 12 to 19 digits")
    ref = v.get("payment_ref", "")
    if not _REF.match(ref):
        problem("payment_ref", "支付流水号应为 1–64 位字母、数字、- 或 _ / 1 to 64 letters, digits, - or _")
    if problems or kind is None or who is None or amount is None or paid_on is None:
        return problems
    return PaymentRow(
        row.row_number, kind, who, name, number, institution, class_ref, amount, paid_on, account, ref
    )


def _fen(text: str) -> int | None:
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None
    if not value.is_finite() or value <= 0 or value != value.quantize(Decimal("0.01")) or value > 10**7:
        return None
    return int(value * 100)


def check_format(stream: BinaryIO, limits: sheets.SheetLimits = IMPORT_LIMITS) -> list[Refusal]:
    """Every format problem of the file (the first pass); no database work."""
    today = beijing_today()
    problems: list[Refusal] = []
    refs: set[str] = set()
    for row in _rows(stream, limits):
        parsed = parse_row(row, today)
        if isinstance(parsed, list):
            problems.extend(parsed)
        elif parsed.payment_ref in refs:
            problems.append(
                Refusal(row.row_number, COLUMN_NAMES["payment_ref"], "支付流水号在文件中重复 / repeated")
            )
        else:
            refs.add(parsed.payment_ref)
    return problems


# --- importing ----------------------------------------------------------------------------------------


def import_payments(
    sessions: Callable[[], AbstractContextManager[Session]],
    source: SocialInsuranceSource,
    stream: BinaryIO,
    *,
    data_key: bytes,
    actor: str,
    limits: sheets.SheetLimits = IMPORT_LIMITS,
) -> ImportReport:
    """Import the file's payments. Raises ImportRejected (nothing imported) when any row's format is
    wrong, SheetError when the file is not a payment sheet or is over a limit."""
    problems = check_format(stream, limits)
    if problems:
        raise ImportRejected(problems)
    report = ImportReport()
    today = beijing_today()
    rows = (r for r in (parse_row(row, today) for row in _rows(stream, limits)) if isinstance(r, PaymentRow))
    while True:
        chunk = [row for _, row in zip(range(CHUNK), rows, strict=False)]
        if not chunk:
            return report
        with sessions() as session:
            for row in chunk:
                _import_one(session, source, row, data_key=data_key, actor=actor, report=report)


def _import_one(
    session: Session,
    source: SocialInsuranceSource,
    row: PaymentRow,
    *,
    data_key: bytes,
    actor: str,
    report: ImportReport,
) -> None:
    report.rows += 1
    if session.scalar(select(SubsidyPayment.id).where(SubsidyPayment.external_ref == row.payment_ref)):
        report.already += 1
        return
    try:
        with session.begin_nested():  # a refused row leaves nothing behind
            _record(session, source, row, data_key=data_key, actor=actor)
    except IntegrityError:  # the same 支付流水号 imported by a concurrent run, which committed first
        report.already += 1
        return
    except _RowRefused as refused:
        report.refused.extend(refused.refusals)
        return
    except ServiceError as exc:  # an unknown certificate or class, no rule set in force, …
        what = "证书编号" if row.subsidy_type is SubsidyType.SKILL_UPGRADE else "培训班编号"
        report.refused.append(Refusal(row.row, what, exc.message))
        return
    report.imported += 1
    report.amount_fen += row.amount_fen


def _record(
    session: Session, source: SocialInsuranceSource, row: PaymentRow, *, data_key: bytes, actor: str
) -> None:
    person = identity.find_person(session, data_key, row.who)
    if person is None:
        raise _RowRefused(
            Refusal(row.row, COLUMN_NAMES["id_number"], "未找到此人的终身职业技能培训档案 / no file")
        )
    if person.name != row.name:
        raise _RowRefused(
            Refusal(row.row, COLUMN_NAMES["name"], "姓名与档案不一致 / the name differs from the file")
        )
    answer = insured(session, source, data_key, person)
    if answer.card_account != row.account:
        why = (
            "无法核实本人社会保障卡金融账户" if answer.card_account is None else "不是本人社会保障卡金融账户"
        )
        raise _RowRefused(
            Refusal(row.row, COLUMN_NAMES["account"], f"{why} / not the person's own card account")
        )
    filed = claims.file_claim(
        session, _filing(session, row, person, answer.facts), actor=actor, accept=_accepting(row)
    )
    if not filed.created:
        raise _RowRefused(
            Refusal(
                row.row, "申领", f"已有同一申请（编号 {filed.claim.public_id}），不重复记录 / claimed before"
            )
        )
    decisions.pay(
        session,
        filed.claim,
        person,
        account=row.account,
        data_key=data_key,
        reason=f"外部支付系统导入，支付流水号 {row.payment_ref}",
        officer=actor,
        day=row.paid_on,
        now=utcnow(),
        external_ref=row.payment_ref,
    )


def _filing(session: Session, row: PaymentRow, person: Person, facts: PersonFacts) -> claims.Filing:
    if row.subsidy_type is SubsidyType.SKILL_UPGRADE:
        return claims.certificate_filing(session, person, facts, row.certificate_number or "", row.paid_on)
    institution = training.tenant(session, row.institution_code or "")
    klass = training.own_class(session, institution, row.class_ref or "")
    return claims.class_filing(
        session, person=person, person_facts=facts, klass=klass, kind=row.subsidy_type, day=row.paid_on
    )


def _accepting(row: PaymentRow) -> Callable[[Decision], None]:
    """Every rule must pass (a rule that cannot tell refuses an import: the money is gone already,
    so it goes on record only with its basis), and the amount must be the rules' amount."""

    def accept(decision: Decision) -> None:
        refusals = [
            Refusal(row.row, r.title_zh, r.reason)
            for r in decision.results
            if r.outcome is not Outcome.PASSED
        ]
        expected = decision.amount.yuan
        if not refusals and (expected is None or int(expected * 100) != row.amount_fen):
            shown = "无" if expected is None else f"{expected:.2f}"
            refusals.append(
                Refusal(
                    row.row,
                    COLUMN_NAMES["amount_yuan"],
                    f"与规则计算的金额（{shown} 元）不符 / differs from the rules' amount",
                )
            )
        if refusals:
            raise _RowRefused(*refusals)

    return accept
