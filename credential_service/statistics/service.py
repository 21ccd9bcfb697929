"""The programme's figures, read straight from the parts' tables (one pass each, nothing cached), and
the employment figures they are measured against.

Certificates are read once per answer: number, holder's blind index, issue time, occupation code (out
of the signed credential, by the database's JSON functions), status-list positions and the issuing
organisation's credit code; their status comes from the live status-list bits, as verification has it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, BinaryIO

from sqlalchemy import JSON, cast, func, select, type_coerce
from sqlalchemy.orm import Session

from credential_service.assessment.occupations.service import occupation_names
from credential_service.assessment.organisations.models import Organisation
from credential_service.audit import service as audit
from credential_service.certificates.models import IssuedCredential, StatusList
from credential_service.certificates.rules import CertificateNumberError, parse_number
from credential_service.core.clock import beijing_date, beijing_today, utcnow
from credential_service.core.errors import InvalidInput
from credential_service.core.sheets import read_sheet
from credential_service.crypto.status_list import get_bit
from credential_service.statistics.models import EmploymentFigure
from credential_service.statistics.rules import (
    DIMENSIONS,
    EMPLOYMENT_SHEET,
    CertificateFact,
    CountRow,
    Dimension,
    EmploymentRow,
    ShareRow,
    TrainingYear,
    city_of_credit_code,
    count_by,
    employment_rows,
    shares,
)
from credential_service.subsidies.models import ClaimState, SubsidyClaim
from credential_service.subsidies.rules import SubsidyType

# Where the occupation code sits in our OB 3.0 certificates (certificates.fields reads the same).
_OCCUPATION_PATH = ("credentialSubject", "achievement", "alignment", 0, "targetCode")


def _occupation_code(session: Session) -> Any:
    column = IssuedCredential.credential_json
    # PostgreSQL needs the text cast to json; SQLite's JSON functions read the text as it is (and its
    # CAST AS JSON would turn it into a number).
    as_json = (
        cast(column, JSON) if session.get_bind().dialect.name == "postgresql" else type_coerce(column, JSON)
    )
    return as_json[_OCCUPATION_PATH].as_string()


def _flagged(bits: dict[str, bytes], list_id: str | None, index: int | None) -> bool:
    if list_id is None or index is None or list_id not in bits:
        return False
    return get_bit(bits[list_id], index)


def certificate_facts(session: Session) -> Iterator[CertificateFact]:
    """Every skill certificate (one with a national number) as the figures count it."""
    lists = session.execute(select(StatusList.list_id, StatusList.bits))
    bits = {list_id: bytes(raw) for list_id, raw in lists}
    rows = session.execute(
        select(
            IssuedCredential.certificate_number,
            IssuedCredential.holder_index,
            IssuedCredential.issued_at,
            _occupation_code(session),
            IssuedCredential.revocation_list_id,
            IssuedCredential.revocation_index,
            IssuedCredential.suspension_list_id,
            IssuedCredential.suspension_index,
            Organisation.credit_code,
        )
        .outerjoin(Organisation, Organisation.issuer_id == IssuedCredential.issuer_id)
        .where(IssuedCredential.certificate_number.is_not(None))
        .execution_options(yield_per=5_000)
    )
    for (
        number,
        holder,
        issued_at,
        occupation,
        revoked_in,
        revoked_at,
        suspended_in,
        suspended_at,
        credit,
    ) in rows:
        try:
            level = parse_number(number).level
        except CertificateNumberError:  # not a national number: not a skill certificate to count
            continue
        yield CertificateFact(
            holder=holder,
            city=city_of_credit_code(credit),
            occupation=occupation or "",
            level=level,
            issued_on=beijing_date(issued_at),
            valid=not (_flagged(bits, revoked_in, revoked_at) or _flagged(bits, suspended_in, suspended_at)),
        )


@dataclass(frozen=True)
class CertificateCounts:
    by: Dimension
    rows: list[CountRow]
    labels: dict[str, str]  # occupation code → name (other dimensions name their keys themselves)


def certificate_counts(
    session: Session, by: Dimension, facts: Iterable[CertificateFact] | None = None
) -> CertificateCounts:
    """Certificates issued and valid now, by city, occupation, level or month. ``facts``: the
    certificates when the caller has read them already."""
    rows = count_by(certificate_facts(session) if facts is None else facts, by)
    labels = occupation_names(session, [row.key for row in rows]) if by == "occupation" else {}
    return CertificateCounts(by, rows, labels)


# --- the skilled and high-skilled shares ----------------------------------------------------------


@dataclass(frozen=True)
class SkillShares:
    year: int
    rows: list[ShareRow]  # per city
    province: ShareRow
    years_loaded: list[int]  # years with employment figures, newest first


def employment_years(session: Session) -> list[int]:
    return list(
        session.scalars(
            select(EmploymentFigure.year)
            .group_by(EmploymentFigure.year)
            .order_by(EmploymentFigure.year.desc())
        )
    )


def skill_shares(
    session: Session, year: int | None = None, facts: Iterable[CertificateFact] | None = None
) -> SkillShares:
    """The shares at the end of ``year`` (default: the newest year with employment figures, else this
    year): holders of certificates issued by 31 December that are valid today, against that year's
    employed. ``facts``: the certificates when the caller has read them already."""
    years = employment_years(session)
    year = year or (years[0] if years else beijing_today().year)
    loaded = session.execute(
        select(EmploymentFigure.city_code, EmploymentFigure.employed).where(EmploymentFigure.year == year)
    )
    employed = {city: count for city, count in loaded}
    facts = certificate_facts(session) if facts is None else facts
    rows, province = shares(facts, employed, until=date(year, 12, 31))
    return SkillShares(year, rows, province, years)


# --- subsidised trainings -------------------------------------------------------------------------


def subsidised_trainings(session: Session) -> list[TrainingYear]:
    """Paid 职业培训补贴 claims (one trainee's training each) by the year they were claimed in, the
    year the subsidy's yearly limits count by; this year is always listed."""
    year = func.extract("year", SubsidyClaim.claimed_on)
    counted = {
        int(claim_year): count
        for claim_year, count in session.execute(
            select(year, func.count())
            .where(
                SubsidyClaim.subsidy_type == SubsidyType.TRAINING.value,
                SubsidyClaim.state == ClaimState.PAID.value,
            )
            .group_by(year)
        )
    }
    counted.setdefault(beijing_today().year, 0)
    return [TrainingYear(y, counted[y]) for y in sorted(counted)]


# --- everything at once, for the pages ------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """Every figure of ``/stats`` and ``/admin/dashboard``, from one read of the certificates."""

    counts: dict[Dimension, CertificateCounts]
    shares: SkillShares
    trainings: list[TrainingYear]
    certificates: int


def figures(session: Session, year: int | None = None) -> Figures:
    facts = list(certificate_facts(session))
    return Figures(
        counts={by: certificate_counts(session, by, facts) for by in DIMENSIONS},
        shares=skill_shares(session, year, facts),
        trainings=subsidised_trainings(session),
        certificates=len(facts),
    )


# --- employment figures (configured input) --------------------------------------------------------


@dataclass(frozen=True)
class EmploymentLoad:
    rows: int
    added: int
    replaced: int
    years: list[int]


def load_employment(
    session: Session, stream: BinaryIO, *, actor: str, now: datetime | None = None
) -> EmploymentLoad:
    """Load a CSV or Excel sheet of the employed per city and year: all rows or none. A city and year
    loaded before takes the new figure. Raises InvalidInput naming every bad row and column (nothing
    is changed), SheetError for a file that is not the sheet."""
    _, sheet_rows = read_sheet(stream, EMPLOYMENT_SHEET)
    rows, problems = employment_rows(sheet_rows)
    if problems:
        raise InvalidInput(
            f"就业人员数表有 {len(problems)} 处错误，未载入任何数据 / "
            f"{len(problems)} problems in the employment sheet: nothing was loaded",
            problems,
            code="bad_employment_sheet",
        )
    if not rows:
        raise InvalidInput("表中没有数据行 / the sheet has no rows", code="bad_employment_sheet")
    now = now or utcnow()
    replaced = sum(_store(session, row, actor=actor, now=now) for row in rows)
    years = sorted({row.year for row in rows})
    audit.record(
        session,
        actor=actor,
        action="stats.employment.load",
        subject=f"employment:{','.join(map(str, years))}",
        detail={"rows": len(rows), "replaced": replaced},
    )
    return EmploymentLoad(len(rows), len(rows) - replaced, replaced, years)


def _store(session: Session, row: EmploymentRow, *, actor: str, now: datetime) -> bool:
    """Write one figure; True when it replaced one loaded before."""
    existing = session.scalar(
        select(EmploymentFigure).where(
            EmploymentFigure.city_code == row.city_code, EmploymentFigure.year == row.year
        )
    )
    figure = existing or EmploymentFigure(city_code=row.city_code, year=row.year)
    figure.employed, figure.source, figure.loaded_at, figure.loaded_by = row.employed, row.source, now, actor
    if existing is None:
        session.add(figure)
    return existing is not None


def employment_figures(session: Session) -> list[EmploymentFigure]:
    return list(
        session.scalars(
            select(EmploymentFigure).order_by(EmploymentFigure.year.desc(), EmploymentFigure.city_code)
        )
    )
