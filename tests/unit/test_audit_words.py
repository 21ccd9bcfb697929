"""Every audit event code the service writes has words on the audit page, and actors read in words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from credential_service.admin.rules import AUDIT_EVENTS, actor_text, audit_event_text, subject_text
from credential_service.certificates.status.rules import StatusAction
from credential_service.records.schemas import EntryPosting

PACKAGE = Path(__file__).resolve().parents[2] / "credential_service"
LITERAL = re.compile(r'action="([a-z_]+\.[a-z_.]+)"|audit_entry=\(actor, "([a-z_]+\.[a-z_.]+)"')
# The codes made from a value: each f-string, with every value it can take.
MADE = {
    'action=f"certificate.{row.action}"': {f"certificate.{a.value}" for a in StatusAction},
    'action=f"key.{action}"': {"key.create", "key.retire", "key.compromise"},
    'action=f"file.{name}"': {f"file.{name}" for name in EntryPosting.model_fields},
    'action=f"subsidy.{step}"': {f"subsidy.{step}" for step in ("claim", "refuse", "pay", "recovery")},
}


def _emitted() -> set[str]:
    codes: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        codes |= {a or b for a, b in LITERAL.findall(text)}
        for made in re.findall(r'action=f"[^"]*"', text):
            assert made in MADE, f"{path}: a new audit code pattern {made}: add its words to AUDIT_EVENTS"
            codes |= MADE[made]
    return codes


HISTORICAL = {"file.subsidy_paid"}  # staff posted payments by hand until claims (issue 13)


def test_every_audit_code_the_service_writes_has_words() -> None:
    emitted = _emitted()
    assert {"staff.sign_in", "plan.file", "objection.resolve", "certificate.supersede"} <= emitted
    assert emitted - set(AUDIT_EVENTS) == set()
    # No words for a code nobody writes, except codes older audit trails still hold.
    assert set(AUDIT_EVENTS) - emitted == HISTORICAL


@pytest.mark.parametrize(
    ("actor", "zh", "en"),
    [
        ("cli:unknown", "命令行", "command line"),
        ("cli:root", "命令行（root）", "command line (root)"),
        ("admin:wang", "管理员 wang", "administrator wang"),
        ("org:Y000014010001", "评价机构 Y000014010001", "organisation Y000014010001"),
        ("client:abc", "评价机构系统 abc", "organisation's system abc"),
        ("public", "社会公众", "the public"),
        ("system", "系统", "the system"),
        ("somebody", "somebody", "somebody"),
    ],
)
def test_actors_in_words(actor: str, zh: str, en: str) -> None:
    assert actor_text(actor) == zh
    assert actor_text(actor, english=True) == en


def test_events_and_subjects_in_words() -> None:
    assert audit_event_text("staff.sign_in") == "工作人员登录"
    assert audit_event_text("staff.sign_in", english=True) == "staff signed in"
    assert audit_event_text("unknown.code") == "unknown.code"
    assert subject_text("certificate:Y0000140100012600001") == "证书 Y0000140100012600001"
    assert subject_text("admin:wang") == "管理员 wang"
    assert subject_text("2026-10-01") == "2026-10-01"
