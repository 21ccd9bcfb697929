"""Page texts: Chinese first, English available (``?lang=en``, remembered in a cookie). The texts
of each kind of page are in ``web/texts/``; here they are gathered, with what turns stored values into
words (facts, amounts, Beijing time, a bilingual message's half)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Literal

from credential_service.core.clock import beijing_text, parse_xsd
from credential_service.web.texts import (
    admin,
    checks,
    common,
    department_forms,
    institution,
    organisation,
    organisation_forms,
    statistics,
    subsidies,
    supervision,
    verification,
)

Lang = Literal["zh", "en"]

TEXTS: dict[str, dict[str, str]] = {"zh": {}, "en": {}}
for _texts in (
    common,
    organisation,
    verification,
    admin,
    institution,
    checks,
    organisation_forms,
    department_forms,
    subsidies,
    supervision,
    statistics,
):
    TEXTS["zh"].update(_texts.ZH)
    TEXTS["en"].update(_texts.EN)


def pick_lang(query: str | None, cookie: str | None) -> Lang:
    for candidate in (query, cookie):
        if candidate == "en":
            return "en"
        if candidate == "zh":
            return "zh"
    return "zh"


# Names of the facts recorded in file entries, as a worker reads them (unknown keys show as they are).
FACT_LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "certificateNumber": "证书编号",
        "certificateType": "证书类型",
        "occupationCode": "职业编码",
        "occupationName": "职业",
        "subtype": "工种",
        "level": "等级",
        "issuer": "发证机构",
        "institution": "培训机构",
        "classRef": "班级",
        "trainingType": "培训类型",
        "startDate": "开始",
        "endDate": "结束",
        "plannedHours": "计划课时",
        "attendedHours": "实到课时",
        "result": "结果",
        "score": "成绩",
        "place": "地点",
        "method": "方式",
        "purpose": "状态类型",
        "flagged": "生效",
        "theory": "理论知识",
        "skill": "技能操作",
        "review": "综合评审",
        "amount": "金额",
        "trainingTypeName": "培训类型",
        "targetLevel": "目标等级",
        "attendanceEvents": "考勤次数",
        "completedOn": "结业日期",
        "enrolledOn": "报名日期",
        "institutionCreditCode": "机构代码",
        "occurredAt": "时间",
        "time": "时间",
        "matchScore": "比对分数",
        # entries posted by staff (records.schemas: certificates, subsidies, exam results, corrections)
        "certificate_type": "证书类型",
        "certificate_number": "证书编号",
        "title": "名称",
        "issued_on": "发证日期",
        "subsidy_type": "补贴类型",
        "amount_yuan": "金额",
        "fund": "资金来源",
        "paid_on": "发放日期",
        "paid_to": "发放至",
        "occupation_code": "职业编码",
        "exam_date": "考核日期",
        "organisation": "评价机构",
        "supersedes": "更正条目",
        "reason": "原因",
        # subsidy claims' steps (subsidies.claims, decision 032)
        "class_ref": "培训班",
        "outcome": "结果",
        "rule_set": "规则版本",
        "account": "发放账户",
    },
    "en": {
        "certificateNumber": "certificate",
        "certificateType": "type",
        "occupationCode": "occupation code",
        "occupationName": "occupation",
        "subtype": "sub-type",
        "level": "level",
        "issuer": "issued by",
        "institution": "institution",
        "classRef": "class",
        "trainingType": "training type",
        "startDate": "from",
        "endDate": "to",
        "plannedHours": "planned hours",
        "attendedHours": "hours attended",
        "result": "result",
        "score": "score",
        "place": "place",
        "method": "method",
        "purpose": "status",
        "flagged": "in force",
        "theory": "theory",
        "skill": "skill",
        "review": "review",
        "amount": "amount",
        "trainingTypeName": "training type",
        "targetLevel": "target level",
        "attendanceEvents": "check-ins",
        "completedOn": "completed",
        "enrolledOn": "enrolled",
        "institutionCreditCode": "institution code",
        "occurredAt": "time",
        "time": "time",
        "matchScore": "match score",
        "certificate_type": "certificate type",
        "certificate_number": "certificate",
        "title": "title",
        "issued_on": "issued on",
        "subsidy_type": "subsidy",
        "amount_yuan": "amount",
        "fund": "fund",
        "paid_on": "paid on",
        "paid_to": "paid to",
        "occupation_code": "occupation code",
        "exam_date": "exam date",
        "organisation": "organisation",
        "supersedes": "corrects entry",
        "reason": "reason",
        "class_ref": "class",
        "outcome": "outcome",
        "rule_set": "rules version",
        "account": "paid into",
    },
}
# Enumerated fact values in words (the file stores the machine value).
FACT_VALUES: dict[str, dict[str, str]] = {
    "zh": {
        "pass": "合格",
        "fail": "不合格",
        "face": "人脸识别",
        "card": "刷卡",
        "qr": "扫码",
        "e_card": "电子社保卡",
        "revocation": "撤销",
        "suspension": "暂停",
        # how and with what a certificate was checked, and the answer (the verification records)
        "page": "扫码查验",
        "api": "接口查验",
        "query": "按编号和姓名查询",
        "bulk": "批量查验",
        "share": "分享链接",
        "presentation": "出示文件核验",
        "mobile": "手机",
        "desktop": "电脑",
        "script": "系统对接",
        "genuine": "真实有效",
        "not_genuine": "不是真实证书",
        "valid": "有效",
        "revoked": "已撤销",
        "suspended": "已暂停",
        "superseded": "已更正换发",
        "expired": "已过有效期",
        "cannot_tell": "暂时无法判断",
        # a subsidy claim's state, a recovery's state
        "waiting": "待人工审核",
        "eligible": "符合条件，待审批",
        "refused": "不予补贴",
        "paid": "已发放",
        "to_recover": "待追回",
        "recovered": "已追回",
        "waived": "免于追回",
    },
    "en": {
        "pass": "passed",
        "fail": "failed",
        "face": "face recognition",
        "card": "card",
        "qr": "QR code",
        "e_card": "electronic social-security card",
        "revocation": "revocation",
        "suspension": "suspension",
        "page": "QR code (page)",
        "api": "QR code (API)",
        "query": "number and name",
        "bulk": "list check",
        "share": "share link",
        "presentation": "presentation",
        "mobile": "phone",
        "desktop": "computer",
        "script": "system",
        "genuine": "genuine",
        "not_genuine": "not genuine",
        "valid": "valid",
        "revoked": "revoked",
        "suspended": "suspended",
        "superseded": "superseded",
        "expired": "expired",
        "cannot_tell": "cannot tell",
        "waiting": "waiting for an officer",
        "eligible": "eligible, waiting for approval",
        "refused": "refused",
        "paid": "paid",
        "to_recover": "to recover",
        "recovered": "recovered",
        "waived": "waived",
    },
}
TIME_FACTS = frozenset({"time", "occurredAt"})  # stored as ISO 8601 in UTC: shown in Beijing time
AMOUNT_FACTS = frozenset({"amount", "amount_yuan", "amountYuan"})  # yuan: shown as ¥1,234.50


def yuan_text(value: object) -> str:
    """An amount of yuan as people write it: ¥ and thousands separators, two decimals."""
    try:
        return f"¥{Decimal(str(value)):,.2f}"
    except InvalidOperation:
        return str(value)


def fact_text(key: str, value: object, *, lang: Lang) -> str:
    """A fact's value as a person reads it: Beijing time, words for enumerated values, 是/否."""
    if key in TIME_FACTS and isinstance(value, str):
        try:
            return beijing_text(parse_xsd(value), minutes=True)
        except ValueError:
            return value
    if key in AMOUNT_FACTS and not isinstance(value, bool):
        return yuan_text(value)
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    text = str(value)
    return FACT_VALUES[lang].get(text, text)


HIDDEN_FACTS = frozenset({"credentialId", "photoHash", "photoSha256", "trainingType"})


_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


def in_lang(text: object, lang: Lang) -> str:
    """A service message written "中文 / English" as its reader's half (the API keeps both); a text
    that is not such a pair is returned whole."""
    whole = "" if text is None else str(text)
    for at in _PAIR.finditer(whole):
        chinese, english = whole[: at.start()], whole[at.end() :]
        if _CJK.search(chinese) and english.strip() and not _CJK.search(english):
            return chinese.strip() if lang == "zh" else english.strip()
    return whole


# " / " between the halves, or "/ " right after a closing full-width bracket ("（上限 200）/ a cell…").
_PAIR = re.compile(r" / |(?<=[）】》」])/ ")
