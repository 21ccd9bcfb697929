"""Commands of the transparency part: ``credential-service log`` (checkpoint, verify, monitor)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from credential_service.core.errors import ServiceError
from credential_service.platform.commands import console, fail, runtime_of
from credential_service.platform.runtime import Platform

app = typer.Typer()
log_app = typer.Typer(
    help="The transparency log: sign a checkpoint, audit the stored log, monitor a server's log.",
    no_args_is_help=True,
)
app.add_typer(log_app, name="log")


@log_app.command("checkpoint")
def log_checkpoint(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="print the checkpoint as JSON")] = False,
) -> None:
    """Sign a checkpoint of the log now with the platform key (the latest again if nothing was added)."""
    from credential_service.transparency import service as transparency_log

    runtime: Platform = runtime_of(ctx)
    with runtime.session() as session:
        try:
            signed = transparency_log.sign_checkpoint(
                session, runtime.keystore, public_base_url=runtime.settings.public_base_url
            )
        except ServiceError as exc:
            fail(exc.message)
        document = transparency_log.checkpoint_document(signed)
    if as_json:
        sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(document["note"])


@log_app.command("verify")
def log_verify(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="print the findings as JSON")] = False,
) -> None:
    """Recompute the log from storage and check it against every signed checkpoint.

    Every altered, removed or re-ordered leaf is reported with its position; exit code 1 then.
    """
    from credential_service.transparency.storage import verify_storage

    runtime: Platform = runtime_of(ctx)
    with runtime.read_session() as session:
        report = verify_storage(session, public_base_url=runtime.settings.public_base_url)
    if as_json:
        findings = [{"position": p.position, "kind": p.kind, "detail": p.detail} for p in report.problems]
        sys.stdout.write(
            json.dumps(
                {
                    "clean": report.clean,
                    "leaves": report.leaves,
                    "checkpoints": report.checkpoints,
                    "problems": findings,
                },
                ensure_ascii=False,
                indent=2,
            )
            + "\n"
        )
    else:
        for problem in report.problems:
            where = "-" if problem.position is None else problem.position
            console.print(f"[red]✘[/red] position {where}: {problem.kind} — {problem.detail}")
        verdict = (
            "完好 / intact"
            if report.clean
            else f"发现 {len(report.problems)} 处问题 / {len(report.problems)} problems"
        )
        console.print(f"{report.leaves} leaves, {report.checkpoints} checkpoints: {verdict}")
    raise typer.Exit(code=0 if report.clean else 1)


@log_app.command("monitor")
def log_monitor(
    url: Annotated[str, typer.Argument(help="the service's base URL, e.g. https://skills.example.cn")],
    state: Annotated[
        Path, typer.Option(help="where the last verified checkpoint and the pinned keys are kept")
    ] = Path("log-monitor.json"),
    once: Annotated[bool, typer.Option("--once", help="check once and exit")] = False,
    interval: Annotated[int, typer.Option(help="seconds between rounds", min=1)] = 300,
    repin: Annotated[
        bool,
        typer.Option("--repin", help="accept platform keys added since the first round (after a rotation)"),
    ] = False,
) -> None:
    """Watch a log as an outside auditor: each new checkpoint must verify and be consistent with the
    last one seen. Exit 1 when the log misbehaves (forked, rewritten, shrank, bad signature), 2 when
    it cannot be checked (unreachable)."""
    import time

    import httpx

    from credential_service.transparency.monitor import MonitorFailure, check_once

    base = url.rstrip("/")
    with httpx.Client(base_url=base, timeout=30, follow_redirects=False) as client:
        while True:
            try:
                result = check_once(client, state, url=base, repin=repin)
            except MonitorFailure as exc:
                console.print(f"[red]✘ 透明日志监测失败 / LOG MONITOR FAILURE[/red]: {exc}")
                raise typer.Exit(code=2 if exc.unreachable else 1) from None
            if result.newly_pinned:
                console.print(f"pinned platform keys: {', '.join(result.newly_pinned)}")
            seen = "first checkpoint" if result.first_round else f"consistent with {result.previous_size}"
            when = f"{result.timestamp:%Y-%m-%dT%H:%M:%SZ}"
            console.print(f"[green]✔[/green] {base}: {result.tree_size} leaves at {when} ({seen})")
            if once:
                return
            time.sleep(interval)
