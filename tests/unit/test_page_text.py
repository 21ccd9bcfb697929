"""What people read on pages, printouts and exports: Beijing dates and times (issue 12)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from credential_service.core.clock import beijing_text
from credential_service.web.i18n import FACT_LABELS, fact_text, in_lang, yuan_text


def test_pages_show_beijing_dates_and_times() -> None:
    # A completion recorded for 2026-05-24 is stored at Beijing midnight, 16:00 UTC the day before.
    midnight = datetime(2026, 5, 23, 16, 0, tzinfo=UTC)
    assert beijing_text(midnight) == "2026-05-24"
    assert beijing_text(datetime(2026, 12, 4, 5, 36, tzinfo=UTC), minutes=True) == "2026-12-04 13:36"
    assert beijing_text(date(2026, 5, 24)) == "2026-05-24"
    assert beijing_text(None) == "—"


def test_facts_read_in_words_and_beijing_time() -> None:
    assert fact_text("result", "pass", lang="zh") == "合格"
    assert fact_text("result", "fail", lang="en") == "failed"
    assert fact_text("method", "e_card", lang="zh") == "电子社保卡"
    assert fact_text("time", "2026-05-23T00:04:00Z", lang="zh") == "2026-05-23 08:04"
    assert fact_text("flagged", True, lang="zh") == "是"
    assert fact_text("score", 96.8, lang="zh") == "96.8"
    assert fact_text("time", "not a time", lang="zh") == "not a time"


def test_amounts_in_yuan_and_staff_postings_with_chinese_labels() -> None:
    assert fact_text("amount_yuan", "99999", lang="zh") == "¥99,999.00"
    assert fact_text("amount", 1234.5, lang="en") == "¥1,234.50"
    assert yuan_text("not a number") == "not a number"
    for key in ("subsidy_type", "amount_yuan", "fund", "paid_on", "paid_to", "certificate_number"):
        assert not FACT_LABELS["zh"][key].isascii(), key


def test_verification_records_in_words() -> None:
    words = [fact_text("channel", v, lang="zh") for v in ("page", "api", "query", "bulk", "share")]
    words += [fact_text("client", v, lang="zh") for v in ("mobile", "desktop", "script")]
    words += [
        fact_text("verdict", v, lang="zh") for v in ("genuine", "not_genuine", "revoked", "cannot_tell")
    ]
    assert all(not any(c.isascii() and c.isalpha() for c in w) for w in words), words


def test_bilingual_messages_read_in_one_language() -> None:
    message = "证件号码校验码不正确 / the check character is wrong"
    assert in_lang(message, "zh") == "证件号码校验码不正确"
    assert in_lang(message, "en") == "the check character is wrong"
    name = "姓名标识应为 1–40 个字母、数字或 . _ - / the name is 1-40 letters, digits, '.', '_' or '-'"
    assert in_lang(name, "zh") == "姓名标识应为 1–40 个字母、数字或 . _ -"
    assert in_lang("第 1 / 3 页", "zh") == "第 1 / 3 页"  # not a pair: whole
    bracketed = "单元格内容过长（上限 200）/ a cell is too long (limit max_cell_chars = 200)"
    assert in_lang(bracketed, "zh") == "单元格内容过长（上限 200）"
    assert in_lang(bracketed, "en") == "a cell is too long (limit max_cell_chars = 200)"
    assert in_lang("只有中文", "en") == "只有中文"
    assert in_lang(None, "zh") == ""


def test_subsidy_steps_in_words() -> None:
    for key in ("class_ref", "outcome", "rule_set", "account"):
        assert not FACT_LABELS["zh"][key].isascii(), key
    for state in ("waiting", "eligible", "refused", "paid", "to_recover", "recovered", "waived"):
        assert not any(c.isascii() and c.isalpha() for c in fact_text("outcome", state, lang="zh")), state
