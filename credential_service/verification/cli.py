"""Commands of the verification part: ``credential-service verify`` a credential file or a QR token."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from credential_service.crypto.qr_token import token_from_text
from credential_service.platform.commands import console, fail, runtime_of
from credential_service.verification.ports import VerifyingRuntime
from credential_service.verification.rules import CheckResult

app = typer.Typer()


@app.command()
def verify(
    ctx: typer.Context,
    source: Annotated[
        str,
        typer.Argument(
            help="a credential JSON file ('-' for stdin), or a QR code's URL (…/v/TOKEN) or token"
        ),
    ],
    bundle: Annotated[
        Path | None,
        typer.Option(
            help="offline trust bundle (GET /api/v1/trust-bundle); without it, this service's own database"
        ),
    ] = None,
    offline: Annotated[
        bool, typer.Option("--offline", help="never touch the network or the database (needs --bundle)")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
) -> None:
    """Verify a credential or a QR token; exit 0 only when every check passes (2: cannot tell)."""
    if offline and bundle is None:
        fail("--offline needs --bundle FILE (download it from /api/v1/trust-bundle while online)")
    if source == "-" or Path(source).is_file():
        _verify_credential_file(ctx, source, bundle, as_json)
    else:
        _verify_token(ctx, token_from_text(source), bundle, as_json)


def _verify_credential_file(ctx: typer.Context, source: str, bundle: Path | None, as_json: bool) -> None:
    from credential_service.verification.trust import BundleTrust, DatabaseTrust
    from credential_service.verification.verifier import verify_credential

    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
        credential = json.loads(text)
    except (OSError, ValueError) as exc:
        fail(f"cannot read a JSON credential from {source}: {exc}")
    if bundle is not None:
        report = verify_credential(credential, BundleTrust.from_file(bundle))
    else:
        runtime: VerifyingRuntime = runtime_of(ctx)
        with runtime.session() as session:
            report = verify_credential(credential, DatabaseTrust(session, runtime.verification))
    _print_checks(report.checks, report.verdict.value, report.as_dict(), as_json)
    raise typer.Exit(code=0 if report.verified else 1)


def _verify_token(ctx: typer.Context, token: str, bundle: Path | None, as_json: bool) -> None:
    from credential_service.verification.rules import Verdict
    from credential_service.verification.tokens import verify_token, verify_token_offline
    from credential_service.verification.trust import BundleTrust

    if bundle is not None:
        try:
            result = verify_token_offline(token, BundleTrust.from_file(bundle))
        except (OSError, ValueError) as exc:
            fail(f"cannot read the trust bundle {bundle}: {exc}")
    else:
        runtime: VerifyingRuntime = runtime_of(ctx)
        result = verify_token(
            token,
            runtime.key_directory,
            runtime.read_session,
            settings=runtime.verification,
        )
    if not as_json and result.certificate is not None:
        facts = result.certificate.as_dict()
        console.print(" · ".join(str(v) for v in facts.values()))
    _print_checks(result.checks, result.verdict.value, result.as_dict(), as_json)
    codes = {Verdict.GENUINE: 0, Verdict.CANNOT_TELL: 2}
    raise typer.Exit(code=codes.get(result.verdict, 1))


def _print_checks(
    checks: Sequence[CheckResult], verdict: str, as_dict: dict[str, Any], as_json: bool
) -> None:
    from credential_service.verification.rules import Outcome

    if as_json:
        sys.stdout.write(json.dumps(as_dict, ensure_ascii=False, indent=2) + "\n")
        return
    marks = {
        Outcome.VALID: "[green]✔[/green]",
        Outcome.INVALID: "[red]✘[/red]",
        Outcome.CANNOT_TELL: "[yellow]?[/yellow]",
    }
    for check in checks:
        console.print(f"{marks[check.outcome]} {check.check}: {check.message_zh} {check.message_en}")
    console.print(f"结论 / verdict: {verdict}")
