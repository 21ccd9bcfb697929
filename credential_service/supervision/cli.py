"""Commands of the supervision part: ``credential-service supervise checks|run``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from credential_service.platform.commands import actor, console, fail, runtime_of
from credential_service.platform.runtime import Platform

app = typer.Typer()
supervise_app = typer.Typer(
    help="Supervision (§28): named, versioned checks whose findings open cases.", no_args_is_help=True
)
app.add_typer(supervise_app, name="supervise")


@supervise_app.command("checks")
def checks() -> None:
    """List the checks: code, version, severity, what they look for, when they run."""
    from credential_service.supervision.rules.registry import CHECKS, Trigger

    table = Table("检查 Check", "版本", "严重程度", "说明", "运行时机")
    for spec in CHECKS.values():
        when = "全量扫描" if Trigger.POPULATION in spec.triggers else "数据到达时及全量扫描"
        table.add_row(
            f"{spec.title}\n{spec.code}", str(spec.version), spec.severity.title_zh, spec.description, when
        )
    console.print(table)


@supervise_app.command("run")
def run(
    ctx: typer.Context,
    full: Annotated[
        bool, typer.Option("--full", help="every check over all data (else: the checks postings do not run)")
    ] = False,
    check: Annotated[list[str] | None, typer.Option("--check", help="only this check (repeatable)")] = None,
) -> None:
    """Scan the data and open a case for each new finding. Idempotent: a finding that has a case
    (open or closed) opens no second one, however often the scan runs (decision 036)."""
    from credential_service.supervision import service
    from credential_service.supervision.rules.registry import CHECKS, Trigger

    unknown = [code for code in check or [] if code not in CHECKS]
    if unknown:
        fail(f"没有这项检查 / no such check: {', '.join(unknown)} (credential-service supervise checks)")
    if check:
        specs = [CHECKS[code] for code in check]
    elif full:
        specs = list(CHECKS.values())
    else:
        specs = [spec for spec in CHECKS.values() if Trigger.POPULATION in spec.triggers]
    runtime: Platform = runtime_of(ctx)
    with runtime.session() as session:
        reports = service.run_checks(
            session,
            data_key=runtime.settings.data_key_bytes,
            specs=specs,
            scope=None,
            opened_by=actor(),
        )
    table = Table("检查 Check", "版本 Version", "发现 Findings", "新开案件 Opened")
    for report in reports:
        table.add_row(report.code, str(report.version), str(report.findings), str(report.opened))
    console.print(table)
    console.print(
        f"新开案件 {sum(r.opened for r in reports)} 件 / {sum(r.opened for r in reports)} cases opened"
    )
