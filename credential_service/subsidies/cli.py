"""Commands of the subsidies part: ``credential-service subsidies rules list|load``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from credential_service.core.clock import beijing_text
from credential_service.core.errors import ServiceError
from credential_service.platform.commands import actor, console, fail, problem_text, runtime_of
from credential_service.platform.runtime import Platform

app = typer.Typer()
subsidies_app = typer.Typer(
    help="Subsidies (以证定补): the dated rule sets claims are judged by.", no_args_is_help=True
)
rules_app = typer.Typer(
    help="Versioned, dated subsidy rule sets: list the loaded versions, load a rule-set file.",
    no_args_is_help=True,
)
app.add_typer(subsidies_app, name="subsidies")
subsidies_app.add_typer(rules_app, name="rules")


@rules_app.command("list")
def rules_list(
    ctx: typer.Context,
    subsidy_type: Annotated[
        str | None, typer.Option("--type", help="only training, skill_upgrade or living_allowance")
    ] = None,
) -> None:
    """List the loaded rule-set versions: type, version, validity, source document, SHA-256."""
    from credential_service.subsidies import service
    from credential_service.subsidies.rules import SubsidyType

    try:
        wanted = SubsidyType(subsidy_type) if subsidy_type else None
    except ValueError:
        fail(f"--type must be one of {', '.join(SubsidyType)}")
    runtime: Platform = runtime_of(ctx)
    table = Table(
        "补贴 Subsidy", "版本 Version", "施行 From", "截止 Until", "依据 Source", "SHA-256", "加载 Loaded"
    )
    table.columns[1].no_wrap = True
    with runtime.session() as session:
        rows = service.list_rule_sets(session, wanted)
        for row in rows:
            table.add_row(
                f"{SubsidyType(row.subsidy_type).title_zh} {row.subsidy_type}",
                row.version,
                row.valid_from.isoformat(),
                row.valid_until.isoformat() if row.valid_until else "—",
                row.source_document,
                row.sha256[:12],
                f"{beijing_text(row.loaded_at, minutes=True)} {row.loaded_by}",
            )
    if not rows:
        console.print(
            "尚未加载补贴规则 / no subsidy rule set is loaded (credential-service subsidies rules load FILE)"
        )
        return
    console.print(table)


@rules_app.command("load")
def rules_load(
    ctx: typer.Context,
    files: Annotated[
        list[Path] | None, typer.Argument(help="rule-set files (.toml), loaded all or none")
    ] = None,
    shipped: Annotated[
        bool, typer.Option("--shipped", help="also load the rule sets shipped with the service")
    ] = False,
) -> None:
    """Load rule-set files. A version already loaded with the same content is left as it is; the same
    version with other content is refused (a change needs a new version)."""
    from credential_service.subsidies import service

    paths = [*(service.shipped_rule_files() if shipped else []), *(files or [])]
    if not paths:
        fail("give a rule-set FILE, or --shipped")
    runtime: Platform = runtime_of(ctx)
    with runtime.session() as session:
        try:
            loaded = [(path, service.load_rule_file(session, path, actor=actor())) for path in paths]
        except ServiceError as exc:
            fail(problem_text(exc))
    for path, item in loaded:
        row = item.row
        what = "已加载 / loaded" if item.created else "已存在，未变 / already loaded, unchanged"
        until = row.valid_until.isoformat() if row.valid_until else "—"
        console.print(
            f"{what}: {row.subsidy_type} {row.version} ({row.valid_from.isoformat()} – {until}) "
            f"sha256 {row.sha256[:12]} ← {path.name}"
        )


@subsidies_app.command("import")
def payments_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="payments file (.csv or .xlsx), as the template's columns")],
    report: Annotated[
        Path | None, typer.Option("--report", help="write the rows not imported, with why, to this CSV")
    ] = None,
) -> None:
    """Import payments made by the external payment system through the same rules (decision 037): a
    row is recorded only when every rule passes, the amount is the rules' and the account is the
    person's own card account. Exit status 1 when any row is not imported."""
    from credential_service.core.sheets import rows_as_csv
    from credential_service.subsidies import imports
    from credential_service.subsidies.ports import SubsidiesRuntime

    runtime: SubsidiesRuntime = runtime_of(ctx)
    try:
        with file.open("rb") as stream:
            result = imports.import_payments(
                runtime.session,
                runtime.social_insurance,
                stream,
                data_key=runtime.settings.data_key_bytes,
                actor=actor(),
            )
        refused = result.refused
    except imports.ImportRejected as exc:
        refused, result = exc.problems, None
    except (OSError, ServiceError) as exc:
        fail(problem_text(exc) if isinstance(exc, ServiceError) else str(exc))
    if result is not None:
        console.print(
            f"已导入 / imported {result.imported}（{result.amount_fen / 100:,.2f} 元）；"
            f"此前已导入 / imported before {result.already}；未导入 / not imported {len(refused)}"
        )
    else:
        console.print(
            f"[red]{len(refused)} 处格式错误，未导入任何记录 / format problems: nothing imported[/red]"
        )
    if refused:
        table = Table("行 Row", "列或规则 Column or rule", "原因 Why")
        for item in refused[:50]:
            table.add_row(str(item.row), item.what, item.reason)
        console.print(table)
        if len(refused) > 50:
            console.print(f"…… 另有 {len(refused) - 50} 行 / {len(refused) - 50} more (--report FILE)")
        if report is not None:
            rows = [[item.row, item.what, item.reason] for item in refused]
            report.write_bytes(rows_as_csv(["行", "列或规则", "原因"], rows))
        raise typer.Exit(1)
