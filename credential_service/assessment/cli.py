"""Commands of the assessment part: ``orgs`` (备案, clients, keys), ``occupations import``,
``import-results`` and ``issue-batch``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from credential_service.certificates.ports import IssuingRuntime
from credential_service.core.errors import ServiceError
from credential_service.issuers import service as issuers
from credential_service.issuers.rules import PLATFORM_CODE
from credential_service.platform.commands import actor, console, fail, problem_text, runtime_of
from credential_service.platform.runtime import Platform

app = typer.Typer()
orgs_app = typer.Typer(
    help="Register (备案) evaluation organisations, change their status, mint client credentials, "
    "register the public keys they hold themselves.",
    no_args_is_help=True,
)
occupations_app = typer.Typer(help="The occupation catalogue (职业分类大典).", no_args_is_help=True)
app.add_typer(orgs_app, name="orgs")
app.add_typer(occupations_app, name="occupations")


@orgs_app.command("add")
def orgs_add(  # noqa: PLR0917 - typer arguments are positional
    ctx: typer.Context,
    org_type: Annotated[str, typer.Argument(help="Y = 用人单位 (employer), S = 社会培训评价组织")],
    credit_code: Annotated[str, typer.Argument(help="统一社会信用代码 (18 characters, GB 32100)")],
    name: Annotated[str, typer.Argument(help="name exactly as registered (备案名称)")],
    mohrss_code: Annotated[str, typer.Argument(help="4-digit MOHRSS code (0000: by the province)")],
    site_serial: Annotated[str, typer.Argument(help="6-digit site serial assigned by the province")],
    scope: Annotated[
        list[str],
        typer.Option(
            help="OCCUPATION:工种:LEVELS:FROM:TO, e.g. 6-18-02-04:电焊工:5,4,3:2026-01-01:2028-12-31 "
            "(工种 empty or -- for none); repeatable"
        ),
    ],
) -> None:
    """Register (备案) an evaluation organisation: its did:web and first key, scope, signed endorsement."""
    from credential_service.assessment.organisations import service as organisations

    runtime: Platform = runtime_of(ctx)
    with runtime.session() as session:
        try:
            rows = [organisations.parse_scope_option(item) for item in scope]
            registered = organisations.register_organisation(
                session,
                runtime.keystore,
                runtime.settings,
                org_type=org_type,
                credit_code=credit_code,
                name=name,
                mohrss_code=mohrss_code,
                site_serial=site_serial,
                scope=rows,
                actor=actor(),
            )
        except ServiceError as exc:
            fail(problem_text(exc))
        console.print(f"registered {registered.code} {registered.name}: {registered.did}")
        console.print(f"endorsement: {registered.endorsement_url}")


@orgs_app.command("list")
def orgs_list(ctx: typer.Context) -> None:
    """List registered organisations (and organisation issuers not registered yet) with their DIDs."""
    from credential_service.assessment.organisations import service as organisations

    runtime: Platform = runtime_of(ctx)
    table = Table("code", "name", "status", "scope rows", "DID")
    with runtime.session() as session:
        listing = organisations.list_organisations(
            session, public_base_url=runtime.settings.public_base_url, limit=10_000
        )
        registered = {o.code for o in listing.organisations}
        for org in listing.organisations:
            table.add_row(org.code, org.name, org.status.value, str(len(org.scope)), org.did)
        for issuer in issuers.all_issuers(session):
            if issuer.code != PLATFORM_CODE and issuer.code not in registered:
                table.add_row(issuer.code, issuer.name, "未备案 not registered", "-", issuer.did)
    console.print(table)


@orgs_app.command("status")
def orgs_status(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="organisation code, e.g. Y000014010001")],
    status: Annotated[str, typer.Argument(help="active, suspended or exited (exit is final)")],
    reason: Annotated[str, typer.Option(help="why (recorded with the change)")],
) -> None:
    """Suspend, reinstate or exit an organisation (signs a new endorsement)."""
    from credential_service.assessment.organisations import service as organisations
    from credential_service.assessment.organisations.rules import OrganisationStatus

    try:
        wanted = OrganisationStatus(status)
    except ValueError:
        fail("status must be active, suspended or exited")
    runtime: Platform = runtime_of(ctx)
    with runtime.session() as session:
        try:
            changed = organisations.change_status(
                session, runtime.keystore, runtime.settings, code, wanted, reason=reason, actor=actor()
            )
        except ServiceError as exc:
            fail(problem_text(exc))
        console.print(f"{changed.code}: {changed.status.value} (endorsement v{changed.endorsement_version})")


@orgs_app.command("client")
def orgs_client(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="organisation code, e.g. Y000014010001")],
    private_key_jwt: Annotated[
        bool, typer.Option("--private-key-jwt", help="authenticate with JWTs signed by the organisation key")
    ] = False,
) -> None:
    """Create OAuth 2 client credentials for an organisation (the secret is printed this once)."""
    from credential_service.assessment.organisations import clients as org_clients
    from credential_service.identity.clients.models import ClientAuthMethod

    method = ClientAuthMethod.PRIVATE_KEY_JWT if private_key_jwt else ClientAuthMethod.CLIENT_SECRET
    runtime: Platform = runtime_of(ctx)
    with runtime.session() as session:
        try:
            created = org_clients.create_client(
                session, code, method, public_base_url=runtime.settings.public_base_url, actor=actor()
            )
        except ServiceError as exc:
            fail(problem_text(exc))
    sys.stdout.write(json.dumps(created.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n")


@orgs_app.command("revoke-client")
def orgs_revoke_client(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="organisation code")],
    client_id: Annotated[str, typer.Argument(help="the client_id to revoke")],
) -> None:
    """Revoke an organisation's client credentials."""
    from credential_service.assessment.organisations import clients as org_clients

    runtime: Platform = runtime_of(ctx)
    with runtime.session() as session:
        try:
            revoked = org_clients.revoke_client(session, code, client_id, actor=actor())
        except ServiceError as exc:
            fail(problem_text(exc))
        console.print(f"revoked {revoked.client_id} at {revoked.revoked_at}")


@orgs_app.command("add-key")
def orgs_add_key(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="organisation code")],
    file: Annotated[
        Path, typer.Argument(help="the public key: a JWK, a JWK Set, a Multikey document or a z6Mk… line")
    ],
    kid: Annotated[
        str | None, typer.Option(help="key id (default: the file's kid, else the thumbprint)")
    ] = None,
) -> None:
    """Register public key(s) the organisation holds itself (Ed25519; never send the private key)."""
    from credential_service.assessment.organisations import clients as org_clients
    from credential_service.identity.clients.rules import ClientKeyError, key_inputs_from_text

    try:
        found = key_inputs_from_text(file.read_text(encoding="utf-8"))
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror}")
    except (ClientKeyError, UnicodeDecodeError) as exc:
        fail(str(exc))
    if kid is not None and len(found) > 1:
        fail("--kid names one key; the file holds several (give each its kid in the file)")
    runtime: Platform = runtime_of(ctx)
    with runtime.session() as session:
        try:
            added = [
                org_clients.register_client_key(
                    session,
                    code,
                    jwk=item.jwk,
                    public_key_multibase=item.multibase,
                    kid=kid or item.kid,
                    actor=actor(),
                )
                for item in found
            ]
        except ServiceError as exc:
            fail(problem_text(exc))
    for key in added:
        console.print(f"registered {key.organisation_code} kid={key.kid} {key.public_key_multibase}")


@orgs_app.command("keys")
def orgs_keys(ctx: typer.Context, code: Annotated[str, typer.Argument(help="organisation code")]) -> None:
    """List an organisation's own public keys (revoked ones too)."""
    from credential_service.assessment.organisations import clients as org_clients

    runtime: Platform = runtime_of(ctx)
    table = Table("kid", "public key", "created", "revoked", "reason")
    with runtime.session() as session:
        try:
            listing = org_clients.list_client_keys(session, code)
        except ServiceError as exc:
            fail(problem_text(exc))
    for key in listing.keys:
        table.add_row(
            key.kid,
            key.public_key_multibase,
            f"{key.created_at:%Y-%m-%d %H:%M}",
            f"{key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "-",
            key.revocation_reason or "",
        )
    console.print(table)


@orgs_app.command("revoke-key")
def orgs_revoke_key(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="organisation code")],
    kid: Annotated[str, typer.Argument(help="the key's kid")],
    reason: Annotated[str | None, typer.Option(help="why (kept with the key)")] = None,
) -> None:
    """Revoke an organisation's own public key: it no longer authenticates or signs result sheets."""
    from credential_service.assessment.organisations import clients as org_clients

    runtime: Platform = runtime_of(ctx)
    with runtime.session() as session:
        try:
            revoked = org_clients.revoke_client_key(session, code, kid, actor=actor(), reason=reason)
        except ServiceError as exc:
            fail(problem_text(exc))
    console.print(f"revoked {revoked.organisation_code} kid={revoked.kid} at {revoked.revoked_at}")


@occupations_app.command("import")
def occupations_import(
    ctx: typer.Context,
    source: Annotated[
        Path, typer.Argument(help="JSON or CSV (UTF-8 or GB 18030): code, name, 工种, S/L markers")
    ],
) -> None:
    """Import (insert or update by code) the occupation catalogue; what a file does not say is kept."""
    from credential_service.assessment.occupations import service as occupations

    runtime: Platform = runtime_of(ctx)
    with runtime.session() as session:
        try:
            rows, ignored = occupations.read_occupation_file(source)
            report = occupations.import_occupations(session, rows, ignored_columns=ignored)
        except OSError as exc:
            fail(f"cannot read {source}: {exc.strerror}")
        except ServiceError as exc:
            fail(problem_text(exc))
    console.print(
        f"职业目录已导入 / imported {report.rows} rows: {report.created} new, {report.updated} updated, "
        f"{report.unchanged} unchanged"
    )
    if report.ignored_columns:
        console.print(f"ignored columns: {', '.join(report.ignored_columns)}")


@app.command("import-results")
def import_results(  # noqa: PLR0917 - typer arguments are positional
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(help="the result sheet: CSV or .xlsx with the template's Chinese headers")
    ],
    org: Annotated[str, typer.Option(help="the organisation's code, e.g. S000014010003")],
    plan: Annotated[str, typer.Option(help="the assessment plan's reference")],
    accept_valid_rows: Annotated[bool, typer.Option(help="record the good rows and report the rest")] = False,
    signature: Annotated[
        str | None,
        typer.Option(
            help="the organisation's detached JWS over the file (as X-Content-Signature), or @FILE holding it"
        ),
    ] = None,
) -> None:
    """Submit an organisation's results from a file (row errors are listed; nothing is recorded then)."""
    from credential_service.assessment.organisations import service as organisations
    from credential_service.assessment.workflow import submissions
    from credential_service.assessment.workflow.results.sheet import file_sha256, read_sheet

    try:
        stream = file.open("rb")
        if signature is not None and signature.startswith("@"):
            signature = Path(signature[1:]).read_text(encoding="utf-8").strip()
    except OSError as exc:
        fail(f"cannot read {exc.filename}: {exc.strerror}")
    digest = file_sha256(stream)
    runtime: Platform = runtime_of(ctx)
    try:
        with console.status("读取并核对 / reading and checking"):
            source, rows = read_sheet(stream)  # read and bounded before the transaction
            with runtime.session() as session:
                submission = submissions.submit_results(
                    session,
                    runtime.keystore,
                    runtime.settings.data_key_bytes,
                    organisations.get_organisation(session, org),
                    plan_ref=plan,
                    rows=rows,
                    source=source,
                    content_sha256=digest,
                    accept_valid_rows=accept_valid_rows,
                    content_signature=signature,
                )
                report = submissions.report(session, submission)
    except ServiceError as exc:
        for error in exc.errors[:50]:
            console.print(f"  {error.loc}: {error.reason}")
        fail(exc.message)
    console.print(
        f"提交 {report.public_id}: {report.accepted} 行已记录，合格 {report.passed}，"
        f"公示至 {report.publicity_ends_on} / submission recorded; publicity until {report.publicity_ends_on}"
    )


@app.command("issue-batch")
def issue_batch(
    ctx: typer.Context,
    org: Annotated[str, typer.Option(help="the organisation's code")],
    submission: Annotated[str, typer.Argument(help="the submission id printed by import-results")],
) -> None:
    """Issue a submission's certificates after its publicity (safe to run again after an interruption)."""
    from credential_service.assessment.workflow import issuance

    runtime: IssuingRuntime = runtime_of(ctx)
    try:
        issued = issuance.issue_submission(
            runtime.session,
            runtime.keystore,
            runtime.issuance,
            org,
            submission,
            data_key=runtime.settings.data_key_bytes,
            actor=actor(),
        )
    except ServiceError as exc:
        fail(exc.message)
    console.print(f"本次签发 {issued} 张证书 / issued {issued} certificates")
