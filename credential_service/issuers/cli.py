"""Commands of the issuers part: ``credential-service keys`` (list, rotate, retire, mark compromised)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from credential_service.core.clock import parse_xsd, utcnow
from credential_service.issuers import service as issuers
from credential_service.issuers.rules import PLATFORM_CODE
from credential_service.platform.commands import actor, console, fail, runtime_of
from credential_service.platform.runtime import Platform

app = typer.Typer()
keys_app = typer.Typer(
    help="List and manage signing keys (rotate, retire, mark compromised).", no_args_is_help=True
)
app.add_typer(keys_app, name="keys")


IssuerArg = Annotated[str, typer.Argument(help="'platform' or an organisation code")]


@keys_app.command("list")
def keys_list(
    ctx: typer.Context, code: Annotated[str | None, typer.Argument(help="only this issuer")] = None
) -> None:
    """Every key ever used, with created / retired / compromised-since times."""
    runtime: Platform = runtime_of(ctx)
    table = Table("issuer", "verification method", "created", "retired", "compromised since")
    with runtime.session() as session:
        chosen = [issuers.get_issuer(session, code)] if code else issuers.all_issuers(session)
        for issuer in chosen:
            for key in issuer.keys:
                table.add_row(
                    issuer.code,
                    key.verification_method,
                    str(key.created_at),
                    str(key.retired_at or "-"),
                    str(key.compromised_since or "-"),
                )
    console.print(table)


@keys_app.command("rotate")
def keys_rotate(ctx: typer.Context, code: IssuerArg = PLATFORM_CODE) -> None:
    """Start signing with a new key; the old one is retired (its credentials still verify)."""
    runtime: Platform = runtime_of(ctx)
    with runtime.session() as session:
        key = issuers.rotate_key(session, runtime.keystore, issuers.get_issuer(session, code), actor=actor())
        console.print(f"new key {key.verification_method}")


@keys_app.command("retire")
def keys_retire(
    ctx: typer.Context, code: IssuerArg, fragment: Annotated[str, typer.Argument(help="key id after '#'")]
) -> None:
    """Stop using a key for new signatures (credentials signed before stay valid)."""
    runtime: Platform = runtime_of(ctx)
    with runtime.session() as session:
        key = issuers.retire_key(issuers.get_issuer(session, code), fragment, actor=actor())
        console.print(f"retired {key.verification_method} at {key.retired_at}")


@keys_app.command("compromise")
def keys_compromise(
    ctx: typer.Context,
    code: IssuerArg,
    fragment: Annotated[str, typer.Argument(help="key id after '#'")],
    since: Annotated[str, typer.Option(help="from when the key is untrusted, e.g. 2026-11-01T00:00:00Z")],
) -> None:
    """Mark a key compromised: signatures from SINCE on fail the key check."""
    try:
        moment: datetime = parse_xsd(since)
    except ValueError as exc:
        fail(f"--since: {exc}")
    if moment > utcnow():
        fail("--since must not be in the future")
    runtime: Platform = runtime_of(ctx)
    with runtime.session() as session:
        key = issuers.compromise_key(issuers.get_issuer(session, code), fragment, moment, actor=actor())
        console.print(f"{key.verification_method} compromised since {key.compromised_since}")
