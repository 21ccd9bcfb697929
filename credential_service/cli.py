"""The ``credential-service`` command line, assembled: every part's commands (its ``cli.py`` app),
plus what belongs to the whole service — init, serve, demo, access tokens for any tenant, backup and
restore. The options before a command set the environment; ``ctx.obj`` builds the runtime."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from credential_service.assessment import cli as assessment_cli
from credential_service.audit import cli as audit_cli
from credential_service.certificates import cli as certificates_cli
from credential_service.core.config import load_settings
from credential_service.core.db import make_engine
from credential_service.core.errors import ServiceError
from credential_service.core.migrations import upgrade
from credential_service.issuers import cli as issuers_cli
from credential_service.issuers import service as issuers
from credential_service.platform.commands import console, fail, problem_text
from credential_service.platform.tokens import (
    INSTITUTION_SCOPES,
    ORGANISATION_SCOPES,
    STAFF_SCOPES,
    Principal,
    Role,
    ensure_token_key,
    mint_token,
)
from credential_service.records import cli as records_cli
from credential_service.runtime import Runtime, build_runtime
from credential_service.statistics import cli as statistics_cli
from credential_service.subsidies import cli as subsidies_cli
from credential_service.supervision import cli as supervision_cli
from credential_service.transparency import cli as transparency_cli
from credential_service.verification import cli as verification_cli

app = typer.Typer(
    help="职业技能等级证书服务 — lifelong training file and verifiable skill certificates.\n\n"
    "Start with `credential-service init`, then `credential-service demo` and `credential-service serve`. "
    "Settings come from CS_* environment variables (CS_DATABASE_URL, CS_KEYSTORE_DIR, "
    "CS_KEYSTORE_PASSPHRASE, CS_PUBLIC_BASE_URL, CS_DATA_KEY) or the options below.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
WORKER_HEALTHCHECK_SECONDS = 30
token_app = typer.Typer(help="Mint a short-lived access token for scripts.", no_args_is_help=True)
app.add_typer(token_app, name="token")
for part_commands in (
    issuers_cli.app,
    assessment_cli.app,
    records_cli.app,
    certificates_cli.app,
    verification_cli.app,
    transparency_cli.app,
    subsidies_cli.app,
    supervision_cli.app,
    statistics_cli.app,
    audit_cli.app,
):
    app.add_typer(part_commands)


@app.callback()
def _global_options(
    ctx: typer.Context,
    database_url: Annotated[str | None, typer.Option(help="overrides CS_DATABASE_URL")] = None,
    public_base_url: Annotated[str | None, typer.Option(help="overrides CS_PUBLIC_BASE_URL")] = None,
    keystore_dir: Annotated[Path | None, typer.Option(help="overrides CS_KEYSTORE_DIR")] = None,
) -> None:
    """Options given before the command override the CS_* environment variables."""
    for name, value in (
        ("CS_DATABASE_URL", database_url),
        ("CS_PUBLIC_BASE_URL", public_base_url),
        ("CS_KEYSTORE_DIR", keystore_dir),
    ):
        if value is not None:
            os.environ[name] = str(value)  # also reaches `serve`, whose app reads the environment
    ctx.obj = _runtime


def _runtime() -> Runtime:
    try:
        return build_runtime(load_settings())
    except ServiceError as exc:
        fail(exc.message)


@app.command()
def init() -> None:
    """Create or migrate the database and create the platform issuer and its first key."""
    settings = load_settings()
    settings.ensure_local_dirs()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    engine.dispose()
    runtime = _runtime()
    with runtime.session() as session:
        platform = issuers.ensure_platform_issuer(
            session, runtime.keystore, public_base_url=settings.public_base_url
        )
        did = platform.did
        from credential_service.assessment.occupations.service import ensure_builtin_occupations

        ensure_builtin_occupations(session)  # only when the catalogue is empty
        from credential_service.subsidies.service import ensure_shipped_rule_sets

        ensure_shipped_rule_sets(session, actor="cli:init")  # versions already loaded stay as they are
    ensure_token_key(runtime.keystore)
    console.print(f"数据库已就绪 / database ready; platform issuer {did}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(help="worker processes")] = 1,
) -> None:
    """Run the HTTP service (uvicorn)."""
    import uvicorn

    from credential_service.web.observability import json_log_config

    _runtime().close()  # fail fast and clearly on an unmigrated database or wrong passphrase
    uvicorn.run(
        "credential_service.asgi:app",
        host=host,
        port=port,
        workers=workers,
        access_log=False,  # uvicorn's access log prints raw paths (tokens): ours logs route templates
        log_config=json_log_config(),
        proxy_headers=False,  # X-Forwarded-For is read only from CS_TRUSTED_PROXIES (http.client_key)
        # A worker imports the whole service before it answers the supervisor's ping: on a busy host
        # that takes longer than uvicorn's 5 s, and the worker is killed and started again, in a loop.
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
    )


@app.command()
def demo(
    as_json: Annotated[bool, typer.Option("--json", help="print a machine-readable manifest")] = False,
    guide: Annotated[
        bool, typer.Option("--guide", help="print the try-it guide with fresh sign-ins instead of the table")
    ] = False,
) -> None:
    """Load demo organisations, workers and certificates (idempotent)."""
    from credential_service.demo import load_demo
    from credential_service.demo.guide import demo_guide, guide_text

    runtime = _runtime()
    try:
        manifest = load_demo(runtime)
        if guide:
            sys.stdout.write(guide_text(demo_guide(runtime, manifest)))
            return
    finally:
        runtime.close()
    if as_json:
        sys.stdout.write(json.dumps(asdict(manifest), ensure_ascii=False, indent=2) + "\n")
        return
    table = Table(
        "证书编号 Certificate", "机构 Organisation", "持证人 Holder", "职业 Occupation", "等级 Level"
    )
    table.columns[0].no_wrap = True
    for cert in manifest.certificates:
        table.add_row(
            cert["certificateNumber"], cert["organisation"], cert["holder"], cert["occupation"], cert["level"]
        )
    console.print(table)
    who = manifest.sign_in
    console.print(
        f"\n演示登录 / demo sign-in: {who['url']} → 证件号码 {who['idNumber']}，姓名 {who['name']} "
        "(made-up demo person)"
    )


SIGNIN_LINK_HELP = (
    "print a one-time sign-in link for the administrator pages instead (valid 5 minutes, usable once; "
    "the session lasts 15 minutes)"
)


@token_app.command("admin")
def token_admin(
    name: Annotated[str, typer.Option(help="who the token is for (appears in the audit trail)")] = "admin",
    minutes: Annotated[int, typer.Option(help="lifetime in minutes")] = 60,
    link: Annotated[bool, typer.Option("--link", help=SIGNIN_LINK_HELP)] = False,
) -> None:
    """Mint an administrator's access token (or, with --link, a one-time sign-in link for the pages)."""
    if link:
        _print_signin_link(Role.ADMIN, name)
        return
    _print_token(Principal(Role.ADMIN, f"admin:{name}", STAFF_SCOPES[Role.ADMIN]), minutes)


@token_app.command("auditor")
def token_auditor(
    name: Annotated[str, typer.Option(help="who the token is for (appears in the audit trail)")] = "auditor",
    minutes: Annotated[int, typer.Option(help="lifetime in minutes")] = 60,
    link: Annotated[bool, typer.Option("--link", help=SIGNIN_LINK_HELP)] = False,
) -> None:
    """Mint an auditor's read-only access token (or, with --link, a one-time sign-in link for the pages)."""
    if link:
        _print_signin_link(Role.AUDITOR, name)
        return
    _print_token(Principal(Role.AUDITOR, f"auditor:{name}", STAFF_SCOPES[Role.AUDITOR]), minutes)


def _print_signin_link(role: Role, name: str) -> None:
    from credential_service.identity.signin import staff as staff_signin

    runtime = _runtime()
    try:
        url = staff_signin.signin_link(runtime.keystore, runtime.settings, role, name)
    except ServiceError as exc:
        fail(problem_text(exc))
    finally:
        runtime.close()
    sys.stdout.write(url + "\n")


@token_app.command("org")
def token_org(
    code: Annotated[str, typer.Argument(help="organisation code, e.g. Y000014010001")],
    minutes: Annotated[int, typer.Option(help="lifetime in minutes")] = 60,
) -> None:
    """Mint an access token for an evaluation organisation's scripts."""
    runtime = _runtime()
    with runtime.session() as session:
        try:
            issuers.get_issuer(session, code)
        except ServiceError as exc:
            fail(exc.message)
    _print_token(
        Principal(Role.ORGANISATION, f"org:{code}", ORGANISATION_SCOPES, tenant=code), minutes, runtime
    )


@token_app.command("institution")
def token_institution(
    credit_code: Annotated[str, typer.Argument(help="统一社会信用代码 of a registered training institution")],
    minutes: Annotated[int, typer.Option(help="lifetime in minutes")] = 60,
    link: Annotated[
        bool,
        typer.Option(
            "--link",
            help="print a one-time sign-in link for the institution's pages (/institution) instead "
            "(valid 5 minutes, usable once; the session lasts 15 minutes)",
        ),
    ] = False,
) -> None:
    """Mint an access token for a training institution's scripts (posts classes and attendance), or
    with --link a one-time sign-in link for its officer's pages."""
    from credential_service.records.training import institutions, signin

    runtime = _runtime()
    with runtime.session() as session:
        try:
            if link:
                url = signin.signin_link(session, runtime.keystore, runtime.settings, credit_code)
            else:
                code = institutions.get_institution(session, credit_code).credit_code
        except ServiceError as exc:
            fail(exc.message)
    if link:
        runtime.close()
        sys.stdout.write(url + "\n")
        return
    _print_token(
        Principal(Role.INSTITUTION, signin.institution_subject(code), INSTITUTION_SCOPES, tenant=code),
        minutes,
        runtime,
    )


def _print_token(principal: Principal, minutes: int, runtime: Runtime | None = None) -> None:
    runtime = runtime or _runtime()
    base = runtime.settings.public_base_url
    sys.stdout.write(
        mint_token(runtime.keystore, issuer=base, audience=base, principal=principal, minutes=minutes) + "\n"
    )


@app.command("backup")
def backup_database(
    file: Annotated[Path, typer.Argument(help="the backup file to write (must not exist)")],
) -> None:
    """Back the database up to FILE while the service runs: SQLite's online backup, or pg_dump -Fc.

    The keystore (sealed private keys) is not in the database: copy CS_KEYSTORE_DIR as well (its
    files are encrypted; keep the passphrase apart from them).
    """
    from credential_service.core import backup

    settings = load_settings()
    try:
        done = backup.backup(settings.database_url, file)
    except ServiceError as exc:
        fail(exc.message)
    console.print(f"已备份 / backed up ({done.backend}, {done.bytes:,} bytes) → {done.path}")
    console.print(f"密钥库另行备份 / back the keystore up separately: {settings.keystore_dir}")


@app.command("restore")
def restore_database(
    file: Annotated[Path, typer.Argument(help="a file written by `credential-service backup`")],
    force: Annotated[
        bool, typer.Option("--force", help="replace the data of a database that is not empty")
    ] = False,
) -> None:
    """Restore FILE into the configured database (stop the service first). Refuses a database that
    already has data unless --force. Then run `credential-service init` (migrates an older backup)."""
    from credential_service.core import backup

    settings = load_settings()
    try:
        backend = backup.restore(settings.database_url, file, force=force)
    except ServiceError as exc:
        fail(exc.message)
    console.print(f"已恢复 / restored ({backend}) from {file}")


def main() -> None:
    app()
