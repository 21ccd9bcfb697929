"""The programme statistics API: public, aggregates only (counts, no name or number), each figure as
JSON and as a CSV or Excel download whose cells are never formulas (decision 038)."""

from __future__ import annotations

from fractions import Fraction
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from credential_service.core.sheets import XLSX_MEDIA_TYPE, rows_as_csv, rows_as_xlsx
from credential_service.statistics import service
from credential_service.statistics.rules import (
    HIGH_SKILLED_SHARE_TARGET,
    SKILLED_SHARE_TARGET,
    SUBSIDISED_TRAININGS_TARGET,
    Dimension,
    ShareRow,
    count_sheet,
    key_label,
    shares_sheet,
    trainings_sheet,
)
from credential_service.web.http import JSON, RuntimeDep, private_download
from credential_service.web.openapi import answer

router = APIRouter(tags=["statistics"])
By = Annotated[Dimension, Query(description="city | occupation | level | month (Beijing time)")]
Year = Annotated[
    int | None,
    Query(ge=2000, le=2100, description="the year whose employed the shares are measured against"),
]
Format = Literal["csv", "xlsx"]
SHEET: dict[int | str, dict[str, Any]] = {
    200: answer("the figure as a sheet (every cell text, never a formula)", "text/csv")
    | {"content": {"text/csv": {"schema": {}}, XLSX_MEDIA_TYPE: {"schema": {}}}},
    422: {"description": "which parameter is wrong, and why"},
}
ERRORS: dict[int | str, dict[str, Any]] = {422: {"description": "which parameter is wrong, and why"}}


def sheet(fmt: Format, name: str, title: str, header: list[str], rows: list[list[object]]) -> Response:
    if fmt == "csv":
        return private_download(rows_as_csv(header, rows), "text/csv; charset=utf-8", f"{name}.csv")
    return private_download(rows_as_xlsx(header, rows, title=title), XLSX_MEDIA_TYPE, f"{name}.xlsx")


@router.get(
    "/api/v1/stats/certificates",
    responses={200: {"description": "rows of {key, label, issued, valid}"}, **ERRORS},
    summary="Skill certificates issued and valid now, by city (the issuing organisation's), occupation, "
    "level or month",
)
def certificates(runtime: RuntimeDep, by: By = "city") -> JSON:
    with runtime.read_session() as session:
        counts = service.certificate_counts(session, by)
    return JSON(
        [
            {"key": r.key, "label": key_label(by, r.key, counts.labels), "issued": r.issued, "valid": r.valid}
            for r in counts.rows
        ]
    )


@router.get(
    "/api/v1/stats/certificates.{fmt}",
    responses=SHEET,
    summary="The certificate counts as CSV or Excel",
)
def certificates_sheet(fmt: Format, runtime: RuntimeDep, by: By = "city") -> Response:
    with runtime.read_session() as session:
        counts = service.certificate_counts(session, by)
    header, rows = count_sheet(by, counts.rows, counts.labels)
    return sheet(fmt, f"certificates-by-{by}", "证书统计", header, rows)


def _rounded(share: Fraction | None) -> float | None:
    return None if share is None else round(float(share), 4)


def _share_json(row: ShareRow) -> dict[str, Any]:
    return {
        "key": row.key,
        "employed": row.employed,
        "skilled": row.skilled,
        "skilled_share": _rounded(row.skilled_share),
        "skilled_target_met": row.skilled_target_met,
        "high_skilled": row.high_skilled,
        "high_skilled_share": _rounded(row.high_skilled_share),
        "high_skilled_target_met": row.high_skilled_target_met,
    }


@router.get(
    "/api/v1/stats/skill-shares",
    responses={200: {"description": "the shares per city and for the province, with the targets"}, **ERRORS},
    summary="Skilled workers (holders of a valid certificate) against the employed (target 37 %), and "
    "high-skilled (level 3 and above) against the skilled (target 30 %), per city",
)
def skill_shares(runtime: RuntimeDep, year: Year = None) -> JSON:
    with runtime.read_session() as session:
        found = service.skill_shares(session, year)
    return JSON(
        {
            "year": found.year,
            "targets": {
                "skilled_share": float(SKILLED_SHARE_TARGET),
                "high_skilled_share": float(HIGH_SKILLED_SHARE_TARGET),
            },
            "cities": [_share_json(r) for r in found.rows],
            "province": _share_json(found.province),
            "years_with_employment_figures": found.years_loaded,
        }
    )


@router.get("/api/v1/stats/skill-shares.{fmt}", responses=SHEET, summary="The skill shares as CSV or Excel")
def skill_shares_sheet(fmt: Format, runtime: RuntimeDep, year: Year = None) -> Response:
    with runtime.read_session() as session:
        found = service.skill_shares(session, year)
    header, rows = shares_sheet(found.year, [*found.rows, found.province])
    return sheet(fmt, f"skill-shares-{found.year}", "技能人才占比", header, rows)


@router.get(
    "/api/v1/stats/subsidised-trainings",
    responses={200: {"description": "rows of {year, trainings, target}"}},
    summary="Subsidised trainings (paid 职业培训补贴 claims) per year, against 500,000 a year",
)
def subsidised_trainings(runtime: RuntimeDep) -> JSON:
    with runtime.read_session() as session:
        years = service.subsidised_trainings(session)
    return JSON(
        [{"year": y.year, "trainings": y.trainings, "target": SUBSIDISED_TRAININGS_TARGET} for y in years]
    )


@router.get(
    "/api/v1/stats/subsidised-trainings.{fmt}",
    responses=SHEET,
    summary="Subsidised trainings per year as CSV or Excel",
)
def subsidised_trainings_sheet(fmt: Format, runtime: RuntimeDep) -> Response:
    with runtime.read_session() as session:
        years = service.subsidised_trainings(session)
    header, rows = trainings_sheet(years)
    return sheet(fmt, "subsidised-trainings", "补贴性培训", header, rows)
