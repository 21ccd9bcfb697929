"""The directory of training institutions (培训机构目录): administrators register them, change their
status; anyone signed in as staff lists them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from credential_service.core.clock import utcnow
from credential_service.core.errors import Conflict, FieldError, InvalidInput
from credential_service.core.inputs import OCCUPATION_CODE
from credential_service.identity.credit_code import CreditCodeError, validate_credit_code
from credential_service.records.training.errors import InstitutionNotFound
from credential_service.records.training.models import ApprovedProject, Institution, TrainingType
from credential_service.records.training.rules import (
    SHANXI_CITIES,
    InstitutionStatus,
    status_change_allowed,
)
from credential_service.records.training.schemas import (
    ApprovedProjectOut,
    InstitutionList,
    InstitutionOut,
)


def institution_view(institution: Institution) -> InstitutionOut:
    return InstitutionOut(
        credit_code=institution.credit_code,
        name=institution.name,
        city_code=institution.city_code,
        city_name=SHANXI_CITIES.get(institution.city_code, ""),
        status=InstitutionStatus(institution.status),
        status_reason=institution.status_reason,
        status_changed_at=institution.status_changed_at,
        registered_at=institution.registered_at,
        approved_projects=[
            ApprovedProjectOut(
                occupation_code=p.occupation_code,
                training_type=TrainingType(p.training_type) if p.training_type else None,
            )
            for p in institution.projects
        ],
    )


def find_institution(session: Session, credit_code: str) -> Institution | None:
    return session.scalar(select(Institution).where(Institution.credit_code == credit_code.strip().upper()))


def register_institution(
    session: Session,
    *,
    credit_code: str,
    name: str,
    city_code: str,
    approved_projects: Sequence[tuple[str, TrainingType | None]],
    now: datetime | None = None,
) -> InstitutionOut:
    """Add an active institution to the directory.

    Raises InvalidInput naming each bad field, Conflict when the credit code is already registered.
    """
    code = _checked_registration(credit_code, name, city_code, approved_projects)
    if find_institution(session, code) is not None:
        raise Conflict(
            "该统一社会信用代码已登记 / an institution with this credit code is already registered",
            code="institution_exists",
        )
    institution = Institution(
        credit_code=code,
        name=name.strip(),
        city_code=city_code,
        status=InstitutionStatus.ACTIVE.value,
        registered_at=now or utcnow(),
    )
    for occupation_code, kind in dict.fromkeys(approved_projects):  # keeps order, drops repeats
        institution.projects.append(
            ApprovedProject(occupation_code=occupation_code, training_type=kind.value if kind else None)
        )
    session.add(institution)
    session.flush()
    return institution_view(institution)


def _checked_registration(
    credit_code: str, name: str, city_code: str, approved_projects: Sequence[tuple[str, TrainingType | None]]
) -> str:
    """The normalised credit code, or InvalidInput naming each bad field."""
    problems: list[FieldError] = []
    code = credit_code
    try:
        code = validate_credit_code(credit_code)
    except CreditCodeError as exc:
        problems.append(FieldError("credit_code", str(exc)))
    if not name.strip():
        problems.append(FieldError("name", "机构名称不能为空 / the name must not be blank"))
    if city_code not in SHANXI_CITIES:
        problems.append(
            FieldError(
                "city_code",
                "应为山西省地级市代码，如 140100（太原） / must be a Shanxi city code, e.g. 140100",
            )
        )
    if not approved_projects:
        problems.append(FieldError("approved_projects", "至少一个可开展项目 / at least one approved project"))
    for i, (occupation_code, _kind) in enumerate(approved_projects):
        if not OCCUPATION_CODE.match(occupation_code):
            problems.append(
                FieldError(
                    f"approved_projects.{i}.occupation_code",
                    "职业编码格式为 D-DD-DD-DD，如 6-18-02-04 / occupation codes look like 6-18-02-04",
                )
            )
    if problems:
        raise InvalidInput(
            "机构信息有误 / the institution's details are invalid", problems, "invalid_institution"
        )
    return code


def list_institutions(
    session: Session, *, status: InstitutionStatus | None = None, city_code: str | None = None
) -> InstitutionList:
    """The directory, ordered by credit code, optionally one status or one city."""
    query = select(Institution).order_by(Institution.credit_code)
    if status is not None:
        query = query.where(Institution.status == status.value)
    if city_code is not None:
        query = query.where(Institution.city_code == city_code)
    return InstitutionList(institutions=[institution_view(i) for i in session.scalars(query)])


def get_institution(session: Session, credit_code: str) -> InstitutionOut:
    """One institution; raises InstitutionNotFound."""
    institution = find_institution(session, credit_code)
    if institution is None:
        raise InstitutionNotFound()
    return institution_view(institution)


def change_institution_status(
    session: Session,
    credit_code: str,
    status: InstitutionStatus,
    reason: str,
    *,
    now: datetime | None = None,
) -> InstitutionOut:
    """Suspend, reinstate or close an institution; raises InstitutionNotFound, or Conflict after closing."""
    institution = find_institution(session, credit_code)
    if institution is None:
        raise InstitutionNotFound()
    if not status_change_allowed(InstitutionStatus(institution.status), status):
        raise Conflict(
            "已注销的机构不能恢复，请重新登记 / a closed institution cannot be reopened",
            code="institution_closed",
        )
    if institution.status != status.value:
        institution.status = status.value
        institution.status_reason = reason.strip()
        institution.status_changed_at = now or utcnow()
        session.flush()
    return institution_view(institution)
