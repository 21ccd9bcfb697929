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


@supervise_app.command("generate")
def generate(
    ctx: typer.Context,
    persons: Annotated[int, typer.Option("--persons", min=1000, help="people in the province")] = 100_000,
    seed: Annotated[int, typer.Option("--seed", help="the same seed makes the same province")] = 14,
    planted: Annotated[int, typer.Option("--planted", min=1, help="planted cases of every check")] = 20,
) -> None:
    """Generate a province on the configured (empty) database: people in Shanxi's 11 cities, classes
    with their check-ins, exams, certificates and skill-upgrade claims, with planted cases of every
    check; then run the full scan and report, per check, planted, found and false findings. Exits 1
    when a planted case is missed or the clean part is flagged (decision 041)."""
    from credential_service.core.clock import beijing_today
    from credential_service.supervision.province import generate as province
    from credential_service.supervision.province.plans import NotEnoughPeople

    runtime: Platform = runtime_of(ctx)
    with runtime.session() as session:
        if not province.is_empty(session):
            fail("数据库中已有人员：请在空数据库上生成 / the database is not empty: generate on an empty one")
    try:
        world, seconds = province.generate(
            runtime.session,
            keystore=runtime.keystore,
            settings=runtime.settings,
            persons=persons,
            seed=seed,
            planted=planted,
            today=beijing_today(),
            actor=actor(),
            progress=lambda line: console.print(f"  {line}"),
        )
    except NotEnoughPeople as exc:
        fail(f"人数不足以容纳每项检查 {planted} 个案例 / too few persons for {planted} cases a check ({exc})")
    console.print(f"生成用时 {seconds:.1f} 秒 / generated in {seconds:.1f} s")
    reports, scan_seconds = province.full_scan(
        runtime.session, data_key=runtime.settings.data_key_bytes, opened_by=actor()
    )
    console.print(f"全量扫描 {scan_seconds:.1f} 秒 / full scan in {scan_seconds:.1f} s")
    with runtime.session() as session:
        scores = province.score(session, world)
    table = Table("检查 Check", "植入 Planted", "发现 Found", "误报 False findings")
    for row in scores:
        style = "" if row.perfect else "red"
        table.add_row(
            f"{row.title}\n{row.code}", str(row.planted), str(row.found), str(row.false_findings), style=style
        )
    console.print(table)
    missed = sum(r.planted - r.found for r in scores)
    false = sum(r.false_findings for r in scores)
    console.print(
        f"漏报 {missed} 件，误报 {false} 件 / missed {missed}, false findings {false}; "
        f"cases opened {sum(r.opened for r in reports)}"
    )
    if missed or false:
        raise typer.Exit(code=1)
