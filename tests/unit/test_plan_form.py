"""The plan form's choices (the registered scope), its reading field by field, a batch's stage, and
the objection form: pure functions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from credential_service.admin.forms import ResolutionForm, resolution_request
from credential_service.assessment.organisations.rules import ScopeChoice, scope_choices
from credential_service.assessment.workflow.forms import PlanForm, choice_value, plan_request
from credential_service.assessment.workflow.rules import BatchStage, batch_stage
from credential_service.identity.rules import gb11643_check_char

TODAY = date(2026, 12, 4)


@dataclass(frozen=True)
class Row:
    occupation_code: str
    subtype: str | None
    levels: str
    valid_from: date
    valid_to: date


@dataclass(frozen=True)
class Registered:
    scope: tuple[Row, ...]


def test_choices_are_the_scope_still_in_force_level_by_level() -> None:
    registered = Registered(
        (
            Row("6-31-01-03", None, "5,4", date(2026, 1, 1), date(2027, 12, 31)),
            Row("6-18-02-04", "电焊工", "3", date(2026, 1, 1), date(2026, 12, 31)),
            Row("4-07-02-03", None, "5", date(2020, 1, 1), date(2026, 12, 3)),  # expired yesterday
        )
    )
    found = scope_choices(registered, TODAY)
    assert [(c.occupation_code, c.subtype, c.level) for c in found] == [
        ("6-18-02-04", "电焊工", 3),
        ("6-31-01-03", None, 5),
        ("6-31-01-03", None, 4),
    ]
    assert [choice_value(c) for c in found] == ["6-18-02-04|3|电焊工", "6-31-01-03|5|", "6-31-01-03|4|"]


CHOICES = [ScopeChoice("6-31-01-03", None, 4, date(2026, 1, 1), date(2027, 12, 31))]


def _form(**changes: object) -> PlanForm:
    form = PlanForm(
        plan_ref="DG-2026-11",
        choice="6-31-01-03|4|",
        exam_start="2026-11-02",
        exam_end="2026-11-03",
        examiner_name=["钱考评", "", ""],
        examiner_number=["KP770001", "", ""],
    )
    for name, value in changes.items():
        setattr(form, name, value)
    return form


def test_a_good_form_is_the_apis_request() -> None:
    body = plan_request(_form(), CHOICES)
    assert body is not None and body.level == 4 and body.subtype is None
    assert [e.name for e in body.examiners] == ["钱考评"]


def test_each_bad_field_is_named() -> None:
    form = _form(plan_ref="", choice="6-31-01-03|3|", exam_start="x", exam_end="", examiner_name=["", ""])
    assert plan_request(form, CHOICES) is None
    assert set(form.errors) == {"plan_ref", "choice", "exam_start", "exam_end", "examiners"}
    backwards = _form(exam_end="2026-11-01")
    assert plan_request(backwards, CHOICES) is None and set(backwards.errors) == {"exam_end"}
    half = _form(examiner_name=["钱考评", "孙考评"], examiner_number=["KP770001", ""])
    assert plan_request(half, CHOICES) is None and "证书编号" in half.errors["examiners"]
    stem = "14010519880808121"
    leaked = _form(examiner_number=[stem + gb11643_check_char(stem)])
    assert plan_request(leaked, CHOICES) is None and "examiners" in leaked.errors


def test_the_stage_of_a_batch() -> None:
    ends = date(2026, 12, 11)
    assert batch_stage("publicity", ends, ends, held=0) is BatchStage.PUBLICITY  # the last day counts
    assert batch_stage("publicity", ends, date(2026, 12, 12), held=0) is BatchStage.READY
    assert batch_stage("publicity", ends, date(2026, 12, 12), held=2) is BatchStage.HELD
    assert batch_stage("issued", ends, date(2026, 12, 12), held=0) is BatchStage.ISSUED


def test_the_objection_form() -> None:
    good = ResolutionForm("o-1", "dismissed", "经核查举报不实")
    body = resolution_request(good)
    assert body is not None and body.upheld is False
    bad = ResolutionForm("o-1", "maybe", "短")
    assert resolution_request(bad) is None and set(bad.errors) == {"decision", "resolution"}
    stem = "14010519880808121"
    leaked = ResolutionForm("o-1", "upheld", f"经核查 {stem}{gb11643_check_char(stem)} 属实")
    assert resolution_request(leaked) is None and leaked.resolution == ""  # never shown back
