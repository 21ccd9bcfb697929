"""Commands of the records part: ``credential-service institutions`` (register, list)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from credential_service.core.errors import ServiceError
from credential_service.platform.commands import console, fail, problem_text, runtime_of
from credential_service.platform.runtime import Platform

app = typer.Typer()
institutions_app = typer.Typer(help="Register and list training institutions.", no_args_is_help=True)
app.add_typer(institutions_app, name="institutions")


@institutions_app.command("add")
def institutions_add(
    ctx: typer.Context,
    credit_code: Annotated[str, typer.Argument(help="统一社会信用代码 (18 characters, GB 32100)")],
    name: Annotated[str, typer.Argument(help="the institution's registered name")],
    city: Annotated[str, typer.Option(help="Shanxi city code, e.g. 140100 (太原)")],
    project: Annotated[
        list[str],
        typer.Option(
            help="approved project OCCUPATION[:TRAINING_TYPE], e.g. 6-18-02-04:skill_upgrade; repeatable"
        ),
    ],
) -> None:
    """Register a training institution (active) with its approved projects."""
    from credential_service.records.training import institutions
    from credential_service.records.training.models import TrainingType

    projects: list[tuple[str, TrainingType | None]] = []
    for item in project:
        occupation, _, kind = item.partition(":")
        try:
            projects.append((occupation, TrainingType(kind) if kind else None))
        except ValueError:
            fail(f"--project {item}: training type must be one of {', '.join(TrainingType)}")
    runtime: Platform = runtime_of(ctx)
    with runtime.session() as session:
        try:
            registered = institutions.register_institution(
                session, credit_code=credit_code, name=name, city_code=city, approved_projects=projects
            )
        except ServiceError as exc:
            fail(problem_text(exc))
        console.print(f"registered {registered.credit_code} {registered.name} ({registered.city_name})")


@institutions_app.command("list")
def institutions_list(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help="only active, suspended or closed")] = None,
) -> None:
    """List training institutions with their status and approved projects."""
    from credential_service.records.training import institutions
    from credential_service.records.training.rules import InstitutionStatus

    try:
        wanted = InstitutionStatus(status) if status else None
    except ValueError:
        fail("--status must be active, suspended or closed")
    runtime: Platform = runtime_of(ctx)
    table = Table("credit code", "name", "city", "status", "approved projects")
    with runtime.session() as session:
        for item in institutions.list_institutions(session, status=wanted).institutions:
            projects = ", ".join(
                p.occupation_code + (f":{p.training_type.value}" if p.training_type else "")
                for p in item.approved_projects
            )
            table.add_row(item.credit_code, item.name, item.city_name, item.status.value, projects)
    console.print(table)
