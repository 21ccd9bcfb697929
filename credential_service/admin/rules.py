"""Pure helpers of the staff pages: paging, and masking anything shaped like an ID number."""

from __future__ import annotations

import re

from credential_service.identity.rules import mask_id_number

PAGE_SIZE = 50
# 18 characters of a 居民身份证 number (17 digits and a digit or X), not inside a longer number.
_ID_NUMBER_LIKE = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")


def mask_id_like(text: str) -> str:
    """``text`` with every ID-number-shaped run masked (140***********1234).

    The audit trail never stores a clear ID number; the staff pages mask such runs anyway, so that a
    number typed into a free-text reason cannot reach an auditor's screen.
    """
    return _ID_NUMBER_LIKE.sub(lambda m: mask_id_number(m.group(0)), text)


def page_count(total: int, size: int = PAGE_SIZE) -> int:
    """Pages needed for ``total`` rows (at least one, so an empty list still has page 1)."""
    return max(1, -(-total // size))


def page_offset(page: int, size: int = PAGE_SIZE) -> int:
    """Row offset of a 1-based page."""
    return (max(page, 1) - 1) * size


# --- the audit trail in words ---------------------------------------------------------------------
# Every event code the service writes (tests/unit/test_audit_words.py finds them in the code), as
# the officer reads it; the trail itself keeps the code (it is hashed into the chain).
AUDIT_EVENTS: dict[str, tuple[str, str]] = {
    "staff.sign_in": ("工作人员登录", "staff signed in"),
    "institution.sign_in": ("培训机构登录", "institution signed in"),
    "organisation.register": ("评价机构备案", "organisation registered"),
    "organisation.status": ("评价机构状态变更", "organisation status changed"),
    "organisation.scope": ("评价机构备案范围变更", "organisation scope changed"),
    "organisation.client.create": ("发放机构客户端凭据", "organisation client created"),
    "organisation.client.revoke": ("吊销机构客户端凭据", "organisation client revoked"),
    "organisation.client_key.add": ("登记机构签名公钥", "organisation key registered"),
    "organisation.client_key.revoke": ("吊销机构签名公钥", "organisation key revoked"),
    "plan.file": ("提交评价计划", "assessment plan filed"),
    "subsidies.rules.load": ("加载补贴规则", "subsidy rule set loaded"),
    "subsidy.claim": ("申请补贴", "subsidy claimed"),
    "subsidy.refuse": ("不予发放补贴", "subsidy claim refused"),
    "subsidy.pay": ("发放补贴", "subsidy paid"),
    "subsidy.recovery": ("补贴追回登记", "subsidy recovery recorded"),
    "stats.employment.load": ("载入就业人员数", "employment figures loaded"),
    "submission.record": ("提交评价结果", "results submitted"),
    "submission.national_export": ("导出国家数据库报送表", "national export downloaded"),
    "objection.lodge": ("提出公示异议", "objection lodged"),
    "objection.resolve": ("处理公示异议", "objection resolved"),
    "calendar.set": ("设置节假日/调休", "calendar day set"),
    "credential.issue": ("签发证书", "certificate issued"),
    "certificate.revoke": ("撤销证书", "certificate revoked"),
    "certificate.suspend": ("暂停证书", "certificate suspended"),
    "certificate.reinstate": ("恢复证书", "certificate reinstated"),
    "certificate.supersede": ("更正换发证书", "certificate corrected"),
    "batch.revoke": ("撤销整批证书", "batch revoked"),
    "key.create": ("生成签名密钥", "signing key created"),
    "key.retire": ("停用签名密钥", "signing key retired"),
    "key.compromise": ("标记密钥泄露", "signing key marked compromised"),
    "person.reveal_id_number": ("查看完整证件号码", "ID number revealed"),
    "file.certificate_recorded": ("档案登记证书", "certificate recorded in a file"),
    "file.subsidy_paid": ("档案登记补贴发放", "subsidy recorded in a file"),
    "file.exam_result": ("档案登记考核成绩", "exam result recorded in a file"),
    "file.correction": ("档案更正", "file entry corrected"),
    "case.open": ("监管检查立案", "supervision case opened"),
    "case.transition": ("监管案件处理", "supervision case moved"),
}
# Who acted, by the prefix of the recorded actor ("admin:wang", "cli:root", "org:Y000014010001").
_ACTOR_KINDS: dict[str, tuple[str, str]] = {
    "admin": ("管理员", "administrator"),
    "auditor": ("审计员", "auditor"),
    "cli": ("命令行", "command line"),
    "org": ("评价机构", "organisation"),
    "client": ("评价机构系统", "organisation's system"),
    "institution": ("培训机构", "training institution"),
    "worker": ("劳动者本人", "the worker"),
    "scan": ("监管扫描", "supervision scan"),
}
_WHOLE_ACTORS: dict[str, tuple[str, str]] = {
    "public": ("社会公众", "the public"),
    "system": ("系统", "the system"),
    "system:recoveries": ("系统（补贴追回）", "the system (recoveries)"),
    "scan:posting": ("系统（数据到达时的监管检查）", "the system (checks on arriving data)"),
    "demo": ("演示数据", "demo data"),
    "demo-guide": ("演示指引", "demo guide"),
    "cli:unknown": ("命令行", "command line"),
    "worker:clr-export": ("劳动者本人（导出档案）", "the worker (file export)"),
}
# What an event is about, by the prefix of its subject ("certificate:Y0000…", "organisation:Y…").
_SUBJECT_KINDS: dict[str, tuple[str, str]] = {
    "certificate": ("证书", "certificate"),
    "organisation": ("评价机构", "organisation"),
    "submission": ("批次", "batch"),
    "person": ("人员", "person"),
    "institution": ("培训机构", "institution"),
    "issuer": ("签发机构", "issuer"),
    "case": ("监管案件", "supervision case"),
    "employment": ("就业人员数（年度）", "employed (years)"),
}


def _pick(words: tuple[str, str], english: bool) -> str:
    return words[1] if english else words[0]


def audit_event_text(action: str, *, english: bool = False) -> str:
    """An audit event code in words (an unknown code as it is)."""
    return _pick(AUDIT_EVENTS[action], english) if action in AUDIT_EVENTS else action


def actor_text(actor: str, *, english: bool = False) -> str:
    """Who acted, in words: ``cli:root`` → 命令行（root）, ``admin:wang`` → 管理员 wang."""
    if actor in _WHOLE_ACTORS:
        return _pick(_WHOLE_ACTORS[actor], english)
    kind, _, name = actor.partition(":")
    if kind in _ACTOR_KINDS and name:
        words = _pick(_ACTOR_KINDS[kind], english)
        if kind == "cli":  # the system user who ran the command
            return f"{words} ({name})" if english else f"{words}（{name}）"
        return f"{words} {name}"
    return actor


def subject_text(subject: str, *, english: bool = False) -> str:
    """What an event is about, in words: ``certificate:Y0000…`` → 证书 Y0000…."""
    kind, _, name = subject.partition(":")
    if kind in _SUBJECT_KINDS and name:
        return f"{_pick(_SUBJECT_KINDS[kind], english)} {name}"
    return actor_text(subject, english=english)  # a sign-in is about the one who signed in
