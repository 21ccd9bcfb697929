"""Training institutions' API: the directory (administrators) and classes and postings (institutions).

An institution's token names its 统一社会信用代码 as tenant; it only ever sees its own classes.
Postings take an optional ``Idempotency-Key`` header: a retry gets the first answer again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import Response

from credential_service.core.sheets import XLSX_MEDIA_TYPE
from credential_service.platform.runtime import Platform
from credential_service.platform.tokens import Principal, Role, allow
from credential_service.records.training import institutions, postings, roster, service
from credential_service.records.training.rules import InstitutionStatus
from credential_service.records.training.schemas import (
    AttendancePosting,
    ClassCreate,
    ClassDetail,
    ClassList,
    CompletionPosting,
    EnrolmentPosting,
    InstitutionCreate,
    InstitutionList,
    InstitutionOut,
    Posted,
    StatusChange,
)
from credential_service.web.http import JSON, MAX_OFFSET, CurrentPrincipal, RuntimeDep
from credential_service.web.openapi import answer

router = APIRouter(tags=["training"])
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="a retry with the same key returns the first answer and changes nothing",
    ),
]
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no or bad access token"},
    403: {"description": "not allowed, not a registered institution, or the institution is not active"},
    404: {"description": "no such class of yours"},
    409: {"description": "already recorded (which rows), or the class reference is taken"},
    413: {"description": "body too large"},
    422: {"description": "every problem, by row and field (nothing was recorded)"},
}


def _answer(answer: service.Answer) -> JSON:
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
    return JSON(answer.body, status_code=answer.status, headers=headers)


# --- directory (administrators) ---


@router.post(
    "/api/v1/institutions",
    status_code=201,
    responses={201: {"model": InstitutionOut}, **ERRORS},
    summary="Register a training institution (培训机构) in the directory",
)
def register_institution(body: InstitutionCreate, principal: CurrentPrincipal, runtime: RuntimeDep) -> JSON:
    allow(principal, Role.ADMIN)
    with runtime.session() as session:
        institution = institutions.register_institution(
            session,
            credit_code=body.credit_code,
            name=body.name,
            city_code=body.city_code,
            approved_projects=[(p.occupation_code, p.training_type) for p in body.approved_projects],
        )
        return JSON(institution.model_dump(mode="json"), status_code=201)


@router.get(
    "/api/v1/institutions",
    responses={200: {"model": InstitutionList}, **ERRORS},
    summary="The directory of training institutions",
)
def list_institutions(
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    status: InstitutionStatus | None = None,
    city_code: Annotated[str | None, Query(min_length=6, max_length=6)] = None,
) -> JSON:
    allow(principal, Role.ADMIN, Role.AUDITOR)
    with runtime.read_session() as session:
        listing = institutions.list_institutions(session, status=status, city_code=city_code)
        return JSON(listing.model_dump(mode="json"))


@router.get(
    "/api/v1/institutions/{credit_code}",
    responses={200: {"model": InstitutionOut}, **ERRORS},
    summary="One training institution",
)
def get_institution(credit_code: str, principal: CurrentPrincipal, runtime: RuntimeDep) -> JSON:
    allow(principal, Role.ADMIN, Role.AUDITOR)
    with runtime.read_session() as session:
        return JSON(institutions.get_institution(session, credit_code).model_dump(mode="json"))


@router.put(
    "/api/v1/institutions/{credit_code}/status",
    responses={200: {"model": InstitutionOut}, **ERRORS},
    summary="Suspend, reinstate or close an institution (closing is final)",
)
def change_status(
    credit_code: str, body: StatusChange, principal: CurrentPrincipal, runtime: RuntimeDep
) -> JSON:
    allow(principal, Role.ADMIN)
    with runtime.session() as session:
        institution = institutions.change_institution_status(session, credit_code, body.status, body.reason)
        return JSON(institution.model_dump(mode="json"))


# --- classes and postings (institutions) ---


@router.get(
    "/api/v1/rosters/template.csv",
    summary="Roster template for the institution's pages (CSV: 证件类型, 证件号码, 姓名, 报名日期)",
    responses={200: answer("the template", "text/csv")},
)
def roster_template_csv() -> Response:
    return Response(
        roster.template_csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="roster-template.csv"'},
    )


@router.get(
    "/api/v1/rosters/template.xlsx",
    summary="Roster template for the institution's pages (Excel: 证件类型, 证件号码, 姓名, 报名日期)",
    responses={200: answer("the template", XLSX_MEDIA_TYPE)},
)
def roster_template_xlsx() -> Response:
    return Response(
        roster.template_xlsx(),
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": 'attachment; filename="roster-template.xlsx"'},
    )


@router.post(
    "/api/v1/classes",
    status_code=201,
    responses={201: {"model": ClassDetail}, **ERRORS},
    summary="Open a class (开班) with its roster; roster members are registered on first sight",
)
def create_class(
    body: ClassCreate,
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    idempotency_key: IdempotencyKey = None,
) -> JSON:
    allow(principal, Role.INSTITUTION)
    with runtime.session() as session:
        return _answer(
            service.create_class(
                session,
                runtime.settings.data_key_bytes,
                credit_code=principal.tenant or "",
                request=body,
                raw_idempotency_key=idempotency_key,
            )
        )


@router.get(
    "/api/v1/classes",
    responses={200: {"model": ClassList}, **ERRORS},
    summary="Your institution's classes",
)
def list_classes(
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> JSON:
    allow(principal, Role.INSTITUTION)
    with runtime.read_session() as session:
        listing = service.list_classes(session, principal.tenant or "", limit=limit, offset=offset)
        return JSON(listing.model_dump(mode="json"))


@router.get(
    "/api/v1/classes/{class_ref}",
    responses={200: {"model": ClassDetail}, **ERRORS},
    summary="One of your classes with its roster (ID numbers masked)",
)
def get_class(class_ref: str, principal: CurrentPrincipal, runtime: RuntimeDep) -> JSON:
    allow(principal, Role.INSTITUTION)
    with runtime.read_session() as session:
        return JSON(service.get_class(session, principal.tenant or "", class_ref).model_dump(mode="json"))


@dataclass(frozen=True)
class _Poster:
    """Who posts, through which runtime, under which Idempotency-Key (access is checked in the
    handler, after the body: a bad body is a 422 for anyone)."""

    principal: Principal
    runtime: Platform
    idempotency_key: str | None


def _poster(
    principal: CurrentPrincipal, runtime: RuntimeDep, idempotency_key: IdempotencyKey = None
) -> _Poster:
    return _Poster(principal, runtime, idempotency_key)


PosterDep = Annotated[_Poster, Depends(_poster)]
POSTED: dict[str, Any] = {"status_code": 201, "responses": {201: {"model": Posted}, **ERRORS}}


@router.post(
    "/api/v1/classes/{class_ref}/enrolments", **POSTED, summary="Post enrolments (培训报名) of roster members"
)
def post_enrolments(class_ref: str, body: EnrolmentPosting, poster: PosterDep) -> JSON:
    return _posted(poster, class_ref, body)


@router.post(
    "/api/v1/classes/{class_ref}/attendance",
    **POSTED,
    summary="Post a batch of attendance events (考勤); photos only as SHA-256",
)
def post_attendance(class_ref: str, body: AttendancePosting, poster: PosterDep) -> JSON:
    return _posted(poster, class_ref, body)


@router.post(
    "/api/v1/classes/{class_ref}/completions",
    **POSTED,
    summary="Post completions (结业): attended hours and the completion assessment",
)
def post_completions(class_ref: str, body: CompletionPosting, poster: PosterDep) -> JSON:
    return _posted(poster, class_ref, body)


def _posted(
    poster: _Poster, class_ref: str, body: EnrolmentPosting | AttendancePosting | CompletionPosting
) -> JSON:
    allow(poster.principal, Role.INSTITUTION)
    with poster.runtime.session() as session:
        return _answer(
            postings.post(
                session,
                poster.runtime.settings.data_key_bytes,
                credit_code=poster.principal.tenant or "",
                class_ref=class_ref,
                posting=body,
                raw_idempotency_key=poster.idempotency_key,
            )
        )
