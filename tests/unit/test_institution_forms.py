"""The institution pages' pure parts: a class's state in words, the forms read into requests field by
field (every bad field named, in Chinese then English), and bilingual messages in one language."""

from __future__ import annotations

from datetime import date, datetime

from credential_service.core.clock import BEIJING
from credential_service.core.errors import FieldError, InvalidInput
from credential_service.records.training.forms import (
    ClassForm,
    attendance_request,
    class_request,
    completion_request,
    posting_problems,
)
from credential_service.records.training.models import AssessmentResult
from credential_service.records.training.rules import ClassState, class_state
from credential_service.web.i18n import in_lang

START, END = date(2026, 9, 1), date(2026, 9, 30)


def test_a_class_state_follows_its_beijing_dates_until_everyone_completed() -> None:
    assert class_state(START, END, date(2026, 8, 31), enrolled=0, completed=0) is ClassState.NOT_STARTED
    assert class_state(START, END, START, enrolled=3, completed=0) is ClassState.RUNNING
    assert class_state(START, END, END, enrolled=3, completed=2) is ClassState.RUNNING
    assert class_state(START, END, date(2026, 10, 1), enrolled=3, completed=2) is ClassState.ENDED
    assert class_state(START, END, START, enrolled=3, completed=3) is ClassState.COMPLETED
    assert class_state(START, END, date(2026, 10, 1), enrolled=0, completed=0) is ClassState.ENDED


def test_the_class_form_names_each_bad_field() -> None:
    good = ClassForm("HG-1", "6-18-02-04", "", "", "skill_upgrade", "2026-09-01", "2026-09-30", "40")
    details = class_request(good)
    assert details is not None and details.target_level is None and details.subtype is None
    bad = ClassForm("new", "618", "x" * 101, "7", "bogus", "2026-02-30", "", "0")
    assert class_request(bad) is None
    assert set(bad.errors) == {
        "class_ref",
        "occupation_code",
        "subtype",
        "target_level",
        "training_type",
        "start_date",
        "end_date",
        "planned_hours",
    }
    assert all(" / " in reason for reason in bad.errors.values())
    good.problems_from([FieldError("end_date", "结业日期早于开班日期 / before"), FieldError("x.y", "其他")])
    assert good.errors == {"end_date": "结业日期早于开班日期 / before", "class_ref": "其他"}


def test_the_attendance_form_is_one_beijing_check_in_per_chosen_trainee() -> None:
    posting, problems = attendance_request("2026-09-02", "08:30", " 3 号教室 ", "card", ["7", "9"])
    assert problems == [] and posting is not None
    assert [e.member for e in posting.events] == [7, 9]
    assert posting.events[0].occurred_at == datetime(2026, 9, 2, 8, 30, tzinfo=BEIJING)
    assert posting.events[0].place == "3 号教室"
    posting, problems = attendance_request("9/2", "8点", "", "palm", ["x"])
    assert posting is None
    assert {p.field for p in problems} == {"学员", "考勤日期", "考勤时间", "地点", "考勤方式"}


def test_the_completion_form_records_those_given_a_result() -> None:
    posting, problems = completion_request(
        "2026-09-30", ["1", "2", "3"], ["38", "40", "x"], ["pass", "", ""], ["", "", ""]
    )
    assert problems == [] and posting is not None
    assert [(c.member, c.attended_hours, c.result) for c in posting.completions] == [
        (1, 38, AssessmentResult.PASS)
    ]
    posting, problems = completion_request("", ["1", "2"], ["-1", "40"], ["pass", "maybe"], ["", "101"])
    assert posting is None
    assert {(p.member, p.field) for p in problems} == {
        (None, "结业日期"),
        (1, "实际课时"),
        (2, "考核结果"),
        (2, "成绩"),
    }
    posting, problems = completion_request("2026-09-30", ["1"], ["40", "40"], ["pass"], [""])
    assert posting is None and problems[0].field == "学员"  # a tampered form


def test_a_posting_refusal_lands_on_its_trainee() -> None:
    posting, _ = attendance_request("2026-09-02", "08:30", "教室", "face", ["7", "9"])
    assert posting is not None
    refused = InvalidInput("有误 / invalid", [FieldError("events.1.occurred_at", "不在培训日期内 / outside")])
    [problem] = posting_problems(refused, posting)
    assert (problem.member, problem.field) == (9, "考勤时间")


def test_bilingual_messages_in_one_language() -> None:
    assert in_lang("已使用过 / already used", "zh") == "已使用过"
    assert in_lang("已使用过 / already used", "en") == "already used"
    assert in_lang("只有中文", "en") == "只有中文"
