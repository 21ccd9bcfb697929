"""Commands of the statistics part: ``credential-service stats load-employment FILE`` and
``credential-service stats employment`` (the figures loaded)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from credential_service.core.errors import ServiceError
from credential_service.platform.commands import actor, console, fail, runtime_of
from credential_service.platform.runtime import Platform

app = typer.Typer()
stats_app = typer.Typer(
    help="Programme statistics: the employment figures the skilled share is measured against.",
    no_args_is_help=True,
)
app.add_typer(stats_app, name="stats")


@stats_app.command("load-employment")
def load_employment(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV (UTF-8) or Excel sheet with the columns 年份, 城市代码, 就业人员数 and, optionally, "
            "城市 and 来源; one row per city and year",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
) -> None:
    """Load the employed per Shanxi city and year: every row or, on any bad row, none (each bad row and
    column is named). A city and year loaded before takes the new figure."""
    from credential_service.statistics import service

    runtime: Platform = runtime_of(ctx)
    try:
        with runtime.session() as session, file.open("rb") as stream:
            loaded = service.load_employment(session, stream, actor=actor())
    except ServiceError as exc:
        console.print(f"[red]错误 / error:[/red] {exc.message}")
        for error in exc.errors:
            console.print(f"  {error.reason}", markup=False, highlight=False)
        raise typer.Exit(code=1) from None
    years = "、".join(map(str, loaded.years))
    console.print(
        f"已载入 {loaded.rows} 行（新增 {loaded.added}，更新 {loaded.replaced}），年份：{years} / "
        f"loaded {loaded.rows} rows ({loaded.added} new, {loaded.replaced} replaced)"
    )


@stats_app.command("employment")
def list_employment(ctx: typer.Context) -> None:
    """List the employment figures loaded, newest year first."""
    from credential_service.core.clock import beijing_text
    from credential_service.statistics import service
    from credential_service.statistics.rules import city_name

    runtime: Platform = runtime_of(ctx)
    with runtime.read_session() as session:
        figures = service.employment_figures(session)
        if not figures:
            fail("尚未载入就业人员数 / no employment figures are loaded (stats load-employment FILE)")
        table = Table("年份 Year", "城市 City", "就业人员数 Employed", "来源 Source", "载入 Loaded")
        for figure in figures:
            table.add_row(
                str(figure.year),
                f"{figure.city_code} {city_name(figure.city_code)}",
                f"{figure.employed:,}",
                figure.source or "—",
                f"{beijing_text(figure.loaded_at, minutes=True)} {figure.loaded_by}",
            )
    console.print(table)
