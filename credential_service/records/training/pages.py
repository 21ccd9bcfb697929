"""A training institution's pages (/institution): its officer signs in with a one-time link, opens
classes, uploads each class's roster (CSV or Excel, every bad row named), posts attendance and
completions, and follows each trainee. Chinese first, Beijing time, no JavaScript, no clear ID number.

Thin handlers: read the form, call the service, show the answer; ``forms`` turns form text into the
service's requests and its problems into Chinese, field by field.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import StringConstraints

from credential_service.core.clock import beijing_now, beijing_today
from credential_service.core.errors import InvalidInput, ServiceError
from credential_service.identity.rules import DOCUMENT_TYPE_NAMES
from credential_service.platform.tokens import Role
from credential_service.records.training import institutions, postings, roster, service, signin
from credential_service.records.training.errors import RosterRejected
from credential_service.records.training.forms import (
    ClassForm,
    FormProblem,
    attendance_request,
    class_request,
    completion_request,
    posting_problems,
)
from credential_service.records.training.models import (
    TRAINING_TYPE_NAMES,
    AssessmentResult,
    AttendanceMethod,
    TrainingType,
)
from credential_service.records.training.rules import CLASS_STATE_NAMES, class_state
from credential_service.records.training.schemas import MAX_ROWS, RosterAttendance, RosterCompletions
from credential_service.web.http import RuntimeDep, check_csrf
from credential_service.web.i18n import Lang, fact_text, in_lang, pick_lang
from credential_service.web.sessions import LinkSession, LinkSignIn, PageSession, sign_out, signed_in
from credential_service.web.templating import render

router = APIRouter(include_in_schema=False)
Officer = Annotated[PageSession, Depends(signed_in(Role.INSTITUTION, signin_path=signin.SIGNIN_PATH))]
Csrf = Annotated[str, Form(max_length=64)]
Text = Annotated[str, Form(max_length=200)]
ClassRef = Annotated[str, Form(max_length=64)]
# One value per trainee row of a form (roster numbers, hours, results, scores): short values, at
# most a posting's rows.
PerTrainee = Annotated[list[Annotated[str, StringConstraints(max_length=12)]], Form(max_length=MAX_ROWS)]
LEVEL_NAMES = {5: "五级/初级工", 4: "四级/中级工", 3: "三级/高级工", 2: "二级/技师", 1: "一级/高级技师"}
# What the class page says after a form was recorded (``?done=…&n=…``).
NOTICES = {
    "opened": "培训班已开设，请上传学员名册。 / The class is open: upload its roster.",
    "roster": "名册已上传：{n} 名学员已报名。 / Roster uploaded: {n} trainees enrolled.",
    "attendance": "考勤已登记：{n} 人次。 / Attendance recorded: {n} check-ins.",
    "completions": "结业已登记：{n} 人。 / Completions recorded: {n} trainees.",
}


# --- sign-in -----------------------------------------------------------------------------------------


INSTITUTION_SIGNIN = LinkSignIn("institution_signin.html", "培训机构登录", "/institution")


@router.get(signin.SIGNIN_PATH)
def institution_signin(
    request: Request, runtime: RuntimeDep, token: Annotated[str, Query(max_length=4000)] = ""
) -> HTMLResponse:
    """The page a sign-in link opens: one button posts the link's token (opening it uses nothing up)."""
    return INSTITUTION_SIGNIN.page(request, runtime, token)


@router.post(signin.SIGNIN_PATH)
def institution_signin_post(
    request: Request, runtime: RuntimeDep, token: Annotated[str, Form(max_length=4000)], csrf: Csrf = ""
) -> Response:
    def spend(link_token: str) -> LinkSession:
        with runtime.session() as session:
            return signin.redeem_signin_link(session, runtime.keystore, runtime.settings, link_token)

    return INSTITUTION_SIGNIN.redeem(request, runtime, token, csrf, spend)


@router.post("/institution/signout")
def institution_signout(request: Request, runtime: RuntimeDep, csrf: Csrf = "") -> Response:
    return sign_out(request, runtime, csrf, Role.INSTITUTION, signin_path=signin.SIGNIN_PATH)


# --- pages -------------------------------------------------------------------------------------------


def _lang(request: Request) -> Lang:
    return pick_lang(request.query_params.get("lang"), request.cookies.get("lang"))


def _text(request: Request, message: str) -> str:
    """A service's bilingual message in the page's language."""
    return in_lang(message, _lang(request))


def _page(
    request: Request, officer: PageSession, template: str, title: str, status: int = 200, **extra: Any
) -> HTMLResponse:
    context = {
        "title": title,
        "signed_in": True,
        "signout_action": "/institution/signout",
        "csrf": officer.csrf,
        "training_type_names": TRAINING_TYPE_NAMES,
        "level_names": LEVEL_NAMES,
        "state_names": CLASS_STATE_NAMES,
        "document_type_names": {kind.value: name for kind, name in DOCUMENT_TYPE_NAMES.items()},
        "bilingual": lambda message: _text(request, message),
        "word": lambda key, value: fact_text(key, value, lang=_lang(request)),
        "methods": list(AttendanceMethod),
        "results": list(AssessmentResult),
        **extra,
    }
    return render(request, template, context, status=status)


@router.get("/institution")
def institution_home(request: Request, runtime: RuntimeDep, officer: Officer) -> Response:
    today = beijing_today()
    with runtime.read_session() as session:
        institution = institutions.get_institution(session, officer.tenant)
        classes = service.list_classes(session, officer.tenant, limit=500).classes
    states = {
        k.class_ref: class_state(k.start_date, k.end_date, today, enrolled=k.enrolled, completed=k.completed)
        for k in classes
    }
    return _page(
        request,
        officer,
        "institution_home.html",
        institution.name,
        institution=institution,
        classes=classes,
        states=states,
    )


def _class_form(
    request: Request, officer: PageSession, runtime: RuntimeDep, form: ClassForm, status: int = 200
) -> HTMLResponse:
    with runtime.read_session() as session:
        institution = institutions.get_institution(session, officer.tenant)
    occupations = list(dict.fromkeys(p.occupation_code for p in institution.approved_projects))
    return _page(
        request,
        officer,
        "institution_class_new.html",
        "开设培训班",
        status,
        form=form,
        occupations=occupations,
        training_types=list(TrainingType),
    )


@router.get("/institution/classes/new")
def new_class(request: Request, runtime: RuntimeDep, officer: Officer) -> Response:
    return _class_form(request, officer, runtime, ClassForm())


@router.post("/institution/classes/new")
def new_class_post(
    request: Request,
    runtime: RuntimeDep,
    officer: Officer,
    class_ref: ClassRef = "",
    occupation_code: Annotated[str, Form(max_length=20)] = "",
    subtype: Annotated[str, Form(max_length=100)] = "",
    target_level: Annotated[str, Form(max_length=2)] = "",
    training_type: Annotated[str, Form(max_length=40)] = "",
    start_date: Annotated[str, Form(max_length=20)] = "",
    end_date: Annotated[str, Form(max_length=20)] = "",
    planned_hours: Annotated[str, Form(max_length=10)] = "",
    csrf: Csrf = "",
) -> Response:
    check_csrf(officer.token, csrf)
    form = ClassForm(
        class_ref, occupation_code, subtype, target_level, training_type, start_date, end_date, planned_hours
    )
    details = class_request(form)
    if details is not None:
        try:
            with runtime.session() as session:
                service.open_class(session, credit_code=officer.tenant, details=details)
        except InvalidInput as exc:
            form.problems_from(exc.errors)
        except ServiceError as exc:
            if exc.code != "class_exists":
                raise
            form.errors["class_ref"] = (
                "本机构已有此编号的培训班，请换一个编号 / you already have a class with this reference"
            )
    if form.errors:
        return _class_form(request, officer, runtime, form, status=422)
    return RedirectResponse(f"/institution/classes/{form.class_ref.strip()}?done=opened", status_code=303)


def _class_page(
    request: Request,
    runtime: RuntimeDep,
    officer: PageSession,
    class_ref: str,
    *,
    status: int = 200,
    errors: list[dict[str, str]] | None = None,
    errors_of: str = "",
) -> HTMLResponse:
    today = beijing_today()
    with runtime.read_session() as session:
        summary, lines = service.class_with_roster(session, officer.tenant, class_ref)
    state = class_state(
        summary.start_date, summary.end_date, today, enrolled=summary.enrolled, completed=summary.completed
    )
    done, count = request.query_params.get("done", ""), request.query_params.get("n", "")
    notice = NOTICES[done].format(n=count if count.isdigit() else "") if done in NOTICES else None
    return _page(
        request,
        officer,
        "institution_class.html",
        f"培训班 {summary.class_ref}",
        status,
        klass=summary,
        state=state,
        lines=lines,
        today=today,
        clock=beijing_now().strftime("%H:%M"),  # a check-in today defaults to now, never the future
        errors=errors or [],
        errors_of=errors_of,
        notice=notice,
    )


@router.get("/institution/classes/{class_ref}")
def class_page(class_ref: str, request: Request, runtime: RuntimeDep, officer: Officer) -> Response:
    return _class_page(request, runtime, officer, class_ref)


def _done(class_ref: str, what: str, n: int) -> RedirectResponse:
    return RedirectResponse(f"/institution/classes/{class_ref}?done={what}&n={n}#{what}", status_code=303)


@router.post("/institution/classes/{class_ref}/roster")
def upload_roster(
    class_ref: str,
    request: Request,
    runtime: RuntimeDep,
    officer: Officer,
    file: Annotated[UploadFile, File()],
    csrf: Csrf = "",
) -> Response:
    """Check the sheet and record it whole, or name every bad row and change nothing."""
    check_csrf(officer.token, csrf)
    try:
        rows = roster.read_roster(file.file)  # read and bounded before any transaction
        with runtime.session() as session:
            added = roster.add_roster(
                session,
                runtime.settings.data_key_bytes,
                credit_code=officer.tenant,
                class_ref=class_ref,
                rows=rows,
            )
    except RosterRejected as exc:
        errors = [
            {"row": str(p.row), "column": p.column, "reason": _text(request, p.reason)} for p in exc.problems
        ]
        return _class_page(
            request, runtime, officer, class_ref, status=422, errors=errors, errors_of="roster"
        )
    except InvalidInput as exc:  # not a sheet, wrong headers, over a limit
        errors = [{"row": "", "column": "", "reason": _text(request, exc.message)}]
        return _class_page(
            request, runtime, officer, class_ref, status=422, errors=errors, errors_of="roster"
        )
    return _done(class_ref, "roster", added)


@router.post("/institution/classes/{class_ref}/attendance")
def post_attendance(
    class_ref: str,
    request: Request,
    runtime: RuntimeDep,
    officer: Officer,
    day: Annotated[str, Form(max_length=20)] = "",
    time: Annotated[str, Form(max_length=10)] = "",
    place: Text = "",
    method: Annotated[str, Form(max_length=20)] = "",
    member: PerTrainee = [],  # noqa: B006 - FastAPI copies defaults
    csrf: Csrf = "",
) -> Response:
    check_csrf(officer.token, csrf)
    posting, problems = attendance_request(day, time, place, method, member)
    return _posted(request, runtime, officer, class_ref, "attendance", posting, problems)


@router.post("/institution/classes/{class_ref}/completions")
def post_completions(
    class_ref: str,
    request: Request,
    runtime: RuntimeDep,
    officer: Officer,
    completed_on: Annotated[str, Form(max_length=20)] = "",
    member: PerTrainee = [],  # noqa: B006 - FastAPI copies defaults
    hours: PerTrainee = [],  # noqa: B006
    result: PerTrainee = [],  # noqa: B006
    score: PerTrainee = [],  # noqa: B006
    csrf: Csrf = "",
) -> Response:
    check_csrf(officer.token, csrf)
    posting, problems = completion_request(completed_on, member, hours, result, score)
    return _posted(request, runtime, officer, class_ref, "completions", posting, problems)


def _posted(
    request: Request,
    runtime: RuntimeDep,
    officer: PageSession,
    class_ref: str,
    what: str,
    posting: RosterAttendance | RosterCompletions | None,
    problems: list[FormProblem],
) -> Response:
    """Record a posting built from a form, or show the class page with each problem in words (the
    trainee by name)."""
    if posting is not None:
        try:
            with runtime.session() as session:
                answer = postings.post(
                    session,
                    runtime.settings.data_key_bytes,
                    credit_code=officer.tenant,
                    class_ref=class_ref,
                    posting=posting,
                )
            return _done(class_ref, what, int(answer.body["recorded"]))
        except InvalidInput as exc:
            problems = posting_problems(exc, posting)
        except ServiceError as exc:
            if exc.status != 409:
                raise
            problems = posting_problems(exc, posting)
    with runtime.read_session() as session:
        lines = service.class_with_roster(session, officer.tenant, class_ref)[1]
    names = {line.member: line.name for line in lines}
    errors = [
        {
            "row": names.get(p.member, "") if p.member else "",
            "column": p.field,
            "reason": _text(request, p.reason),
        }
        for p in problems
    ]
    return _class_page(request, runtime, officer, class_ref, status=422, errors=errors, errors_of=what)
