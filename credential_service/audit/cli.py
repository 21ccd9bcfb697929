"""Commands of the audit part: ``credential-service audit verify`` (the hash chain, end to end)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Annotated

import typer

from credential_service.audit import service as audit
from credential_service.audit.models import AuditEvent
from credential_service.platform.commands import console, runtime_of
from credential_service.platform.runtime import Platform

app = typer.Typer()
audit_app = typer.Typer(help="The audit trail: check its hash chain.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="print the findings as JSON")] = False,
) -> None:
    """Recompute the audit trail's hash chain from the first event to the last.

    Every altered, removed or re-ordered event is reported by its sequence number; exit code 1 then.
    """
    runtime: Platform = runtime_of(ctx)
    read = 0

    def counted(events: Iterator[AuditEvent]) -> Iterator[AuditEvent]:
        nonlocal read
        for event in events:
            read += 1
            yield event

    with runtime.read_session() as session:
        broken = audit.check(counted(audit.stream(session)))
    if as_json:
        sys.stdout.write(json.dumps({"clean": not broken, "events": read, "broken": broken}) + "\n")
    else:
        for seq in broken:
            console.print(f"[red]✘[/red] event {seq}: the chain breaks here")
        verdict = "完好 / intact" if not broken else f"{len(broken)} 处断裂 / {len(broken)} breaks"
        console.print(f"{read} events: {verdict}")
    raise typer.Exit(code=0 if not broken else 1)
