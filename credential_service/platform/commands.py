"""What every part's commands share: the runtime the root builds from the command line's options,
one console, and failing with a plain message and exit code 1."""

from __future__ import annotations

import os
from typing import Any, NoReturn

import typer
from rich.console import Console

from credential_service.core.errors import ServiceError

console = Console(width=max(Console().width, 140))  # 22-character certificate numbers fit


def runtime_of(ctx: typer.Context) -> Any:
    """The running service for a command: the root's callback keeps a builder in ``ctx.obj``. The
    caller annotates what it uses (``runtime: Platform = runtime_of(ctx)``, or a part's Protocol);
    the root's Runtime satisfies them all (checked in ``credential_service.runtime``)."""
    return ctx.obj()


def fail(message: str) -> NoReturn:
    console.print(f"[red]错误 / error:[/red] {message}")
    raise typer.Exit(code=1)


def problem_text(exc: ServiceError) -> str:
    """The error's message and every field error, on one line."""
    return "; ".join([exc.message, *(f"{e.loc}: {e.reason}" for e in exc.errors)])


def actor() -> str:
    """Who acts from the console, as the audit trail records it."""
    return f"cli:{os.environ.get('USER') or 'unknown'}"
