"""Commands of the certificates part: revoke, suspend and reinstate a certificate at the console."""

from __future__ import annotations

from typing import Annotated

import typer

from credential_service.certificates.status.rules import StatusAction
from credential_service.core.errors import ServiceError
from credential_service.platform.commands import actor, console, fail, problem_text, runtime_of
from credential_service.platform.runtime import Platform

app = typer.Typer()


NumberArg = Annotated[str, typer.Argument(help="the 22-character certificate number (证书编号)")]


EvidenceOpt = Annotated[str, typer.Option(help="evidence reference, e.g. an inspection report number")]


AuthorityOpt = Annotated[str, typer.Option(help="acting authority, e.g. '山西省人社厅 晋人社鉴〔2026〕12号'")]


REASON_HELP = "fraud, outside_scope, altered_scores, duplicate, inspection_order or other"
ReasonOpt = Annotated[str, typer.Option(help=REASON_HELP)]


def _status_change(
    ctx: typer.Context,
    action: StatusAction,
    number: str,
    *,
    reason: str | None,
    evidence: str,
    authority: str,
) -> None:
    """One status change as an administrator at the server's console (the actor is cli:$USER)."""
    from credential_service.certificates.status import service as status_changes
    from credential_service.certificates.status.rules import Actor

    runtime: Platform = runtime_of(ctx)
    with runtime.session() as session:
        try:
            result = status_changes.change_status(
                session,
                Actor("admin", actor()),
                number,
                action,
                reason=reason,
                evidence=evidence,
                authority=authority,
            )
        except ServiceError as exc:
            fail(problem_text(exc))
    console.print(f"{number}: {result.status.state} ({result.change.reason_zh or '-'})")
    if result.subsidies_to_recover:
        console.print(f"已发放补贴需追回 / subsidies to recover: file entries {result.subsidies_to_recover}")


def _grounded_command(action: StatusAction, summary: str) -> None:
    """Register ``revoke`` or ``suspend``: a reason, evidence and authority are all required."""

    def command(
        ctx: typer.Context,
        number: NumberArg,
        reason: ReasonOpt,
        evidence: EvidenceOpt,
        authority: AuthorityOpt,
    ) -> None:
        _status_change(ctx, action, number, reason=reason, evidence=evidence, authority=authority)

    command.__doc__ = summary
    app.command(action.value)(command)


_grounded_command(
    StatusAction.REVOKE, "Revoke (撤销) a certificate: final; the public page shows it at once."
)
_grounded_command(StatusAction.SUSPEND, "Suspend (暂停) a valid certificate until the suspension is lifted.")


@app.command()
def reinstate(
    ctx: typer.Context,
    number: NumberArg,
    evidence: EvidenceOpt,
    authority: AuthorityOpt,
    reason: Annotated[str | None, typer.Option(help=f"optional: {REASON_HELP}")] = None,
) -> None:
    """Lift a suspension (恢复)."""
    _status_change(ctx, StatusAction.REINSTATE, number, reason=reason, evidence=evidence, authority=authority)
