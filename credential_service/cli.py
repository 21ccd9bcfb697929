"""The ``credential-service`` command line (typer). Every command calls service functions."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from credential_service.certificates.qr_token import token_from_text
from credential_service.core.clock import parse_xsd, utcnow
from credential_service.core.config import load_settings
from credential_service.core.db import make_engine
from credential_service.core.errors import ServiceError
from credential_service.core.migrations import upgrade
from credential_service.identity.tokens import (
    ORGANISATION_SCOPES,
    STAFF_SCOPES,
    Principal,
    Role,
    ensure_token_key,
    mint_token,
)
from credential_service.issuers import service as issuers
from credential_service.issuers.rules import PLATFORM_CODE
from credential_service.runtime import Runtime, build_runtime
from credential_service.verification.verifier import CheckResult

app = typer.Typer(
    help="职业技能等级证书服务 — lifelong training file and verifiable skill certificates.\n\n"
    "Start with `credential-service init`, then `credential-service demo` and `credential-service serve`. "
    "Settings come from CS_* environment variables (CS_DATABASE_URL, CS_KEYSTORE_DIR, "
    "CS_KEYSTORE_PASSPHRASE, CS_PUBLIC_BASE_URL, CS_DATA_KEY) or the options below.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
keys_app = typer.Typer(
    help="List and manage signing keys (rotate, retire, mark compromised).", no_args_is_help=True
)
token_app = typer.Typer(help="Mint a short-lived access token for scripts.", no_args_is_help=True)
orgs_app = typer.Typer(
    help="Register (备案) evaluation organisations, change their status, mint client credentials, "
    "register the public keys they hold themselves.",
    no_args_is_help=True,
)
occupations_app = typer.Typer(help="The occupation catalogue (职业分类大典).", no_args_is_help=True)
institutions_app = typer.Typer(help="Register and list training institutions.", no_args_is_help=True)
log_app = typer.Typer(
    help="The transparency log: sign a checkpoint, audit the stored log, monitor a server's log.",
    no_args_is_help=True,
)
app.add_typer(keys_app, name="keys")
app.add_typer(token_app, name="token")
app.add_typer(orgs_app, name="orgs")
app.add_typer(occupations_app, name="occupations")
app.add_typer(institutions_app, name="institutions")
app.add_typer(log_app, name="log")
console = Console(width=max(Console().width, 140))  # 22-character certificate numbers fit


@app.callback()
def _global_options(
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


def _runtime() -> Runtime:
    try:
        return build_runtime(load_settings())
    except ServiceError as exc:
        _fail(exc.message)


def _fail(message: str) -> NoReturn:
    console.print(f"[red]错误 / error:[/red] {message}")
    raise typer.Exit(code=1)


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

    _runtime().close()  # fail fast and clearly on an unmigrated database or wrong passphrase
    uvicorn.run(
        "credential_service.asgi:app",
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        proxy_headers=False,  # X-Forwarded-For is read only from CS_TRUSTED_PROXIES (http.client_key)
    )


@app.command()
def demo(
    as_json: Annotated[bool, typer.Option("--json", help="print a machine-readable manifest")] = False,
) -> None:
    """Load demo organisations, workers and certificates (idempotent)."""
    from credential_service.demo import load_demo

    runtime = _runtime()
    manifest = load_demo(runtime)
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
    from credential_service.identity import staff_signin

    runtime = _runtime()
    try:
        url = staff_signin.signin_link(runtime.keystore, runtime.settings, role, name)
    except ServiceError as exc:
        _fail(_problem(exc))
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
            _fail(exc.message)
    _print_token(
        Principal(Role.ORGANISATION, f"org:{code}", ORGANISATION_SCOPES, tenant=code), minutes, runtime
    )


@token_app.command("institution")
def token_institution(
    credit_code: Annotated[str, typer.Argument(help="统一社会信用代码 of a registered training institution")],
    minutes: Annotated[int, typer.Option(help="lifetime in minutes")] = 60,
) -> None:
    """Mint an access token for a training institution's scripts (posts classes and attendance)."""
    from credential_service.records import institutions

    runtime = _runtime()
    with runtime.session() as session:
        try:
            code = institutions.get_institution(session, credit_code).credit_code
        except ServiceError as exc:
            _fail(exc.message)
    _print_token(
        Principal(Role.INSTITUTION, f"institution:{code}", frozenset({"train"}), tenant=code),
        minutes,
        runtime,
    )


def _print_token(principal: Principal, minutes: int, runtime: Runtime | None = None) -> None:
    runtime = runtime or _runtime()
    base = runtime.settings.public_base_url
    sys.stdout.write(
        mint_token(runtime.keystore, issuer=base, audience=base, principal=principal, minutes=minutes) + "\n"
    )


def _problem(exc: ServiceError) -> str:
    return "; ".join([exc.message, *(f"{e.loc}: {e.reason}" for e in exc.errors)])


def _actor() -> str:
    return f"cli:{os.environ.get('USER') or 'unknown'}"


@orgs_app.command("add")
def orgs_add(  # noqa: PLR0917 - typer arguments are positional
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

    runtime = _runtime()
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
                actor=_actor(),
            )
        except ServiceError as exc:
            _fail(_problem(exc))
        console.print(f"registered {registered.code} {registered.name}: {registered.did}")
        console.print(f"endorsement: {registered.endorsement_url}")


@orgs_app.command("list")
def orgs_list() -> None:
    """List registered organisations (and organisation issuers not registered yet) with their DIDs."""
    from credential_service.assessment.organisations import service as organisations

    runtime = _runtime()
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
        _fail("status must be active, suspended or exited")
    runtime = _runtime()
    with runtime.session() as session:
        try:
            changed = organisations.change_status(
                session, runtime.keystore, runtime.settings, code, wanted, reason=reason, actor=_actor()
            )
        except ServiceError as exc:
            _fail(_problem(exc))
        console.print(f"{changed.code}: {changed.status.value} (endorsement v{changed.endorsement_version})")


@orgs_app.command("client")
def orgs_client(
    code: Annotated[str, typer.Argument(help="organisation code, e.g. Y000014010001")],
    private_key_jwt: Annotated[
        bool, typer.Option("--private-key-jwt", help="authenticate with JWTs signed by the organisation key")
    ] = False,
) -> None:
    """Create OAuth 2 client credentials for an organisation (the secret is printed this once)."""
    from credential_service.assessment.organisations import clients as org_clients
    from credential_service.identity.clients.models import ClientAuthMethod

    method = ClientAuthMethod.PRIVATE_KEY_JWT if private_key_jwt else ClientAuthMethod.CLIENT_SECRET
    runtime = _runtime()
    with runtime.session() as session:
        try:
            created = org_clients.create_client(
                session, code, method, public_base_url=runtime.settings.public_base_url, actor=_actor()
            )
        except ServiceError as exc:
            _fail(_problem(exc))
    sys.stdout.write(json.dumps(created.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n")


@orgs_app.command("revoke-client")
def orgs_revoke_client(
    code: Annotated[str, typer.Argument(help="organisation code")],
    client_id: Annotated[str, typer.Argument(help="the client_id to revoke")],
) -> None:
    """Revoke an organisation's client credentials."""
    from credential_service.assessment.organisations import clients as org_clients

    runtime = _runtime()
    with runtime.session() as session:
        try:
            revoked = org_clients.revoke_client(session, code, client_id, actor=_actor())
        except ServiceError as exc:
            _fail(_problem(exc))
        console.print(f"revoked {revoked.client_id} at {revoked.revoked_at}")


@orgs_app.command("add-key")
def orgs_add_key(
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
        _fail(f"cannot read {file}: {exc.strerror}")
    except (ClientKeyError, UnicodeDecodeError) as exc:
        _fail(str(exc))
    if kid is not None and len(found) > 1:
        _fail("--kid names one key; the file holds several (give each its kid in the file)")
    runtime = _runtime()
    with runtime.session() as session:
        try:
            added = [
                org_clients.register_client_key(
                    session,
                    code,
                    jwk=item.jwk,
                    public_key_multibase=item.multibase,
                    kid=kid or item.kid,
                    actor=_actor(),
                )
                for item in found
            ]
        except ServiceError as exc:
            _fail(_problem(exc))
    for key in added:
        console.print(f"registered {key.organisation_code} kid={key.kid} {key.public_key_multibase}")


@orgs_app.command("keys")
def orgs_keys(code: Annotated[str, typer.Argument(help="organisation code")]) -> None:
    """List an organisation's own public keys (revoked ones too)."""
    from credential_service.assessment.organisations import clients as org_clients

    runtime = _runtime()
    table = Table("kid", "public key", "created", "revoked", "reason")
    with runtime.session() as session:
        try:
            listing = org_clients.list_client_keys(session, code)
        except ServiceError as exc:
            _fail(_problem(exc))
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
    code: Annotated[str, typer.Argument(help="organisation code")],
    kid: Annotated[str, typer.Argument(help="the key's kid")],
    reason: Annotated[str | None, typer.Option(help="why (kept with the key)")] = None,
) -> None:
    """Revoke an organisation's own public key: it no longer authenticates or signs result sheets."""
    from credential_service.assessment.organisations import clients as org_clients

    runtime = _runtime()
    with runtime.session() as session:
        try:
            revoked = org_clients.revoke_client_key(session, code, kid, actor=_actor(), reason=reason)
        except ServiceError as exc:
            _fail(_problem(exc))
    console.print(f"revoked {revoked.organisation_code} kid={revoked.kid} at {revoked.revoked_at}")


@occupations_app.command("import")
def occupations_import(
    source: Annotated[
        Path, typer.Argument(help="JSON or CSV (UTF-8 or GB 18030): code, name, 工种, S/L markers")
    ],
) -> None:
    """Import (insert or update by code) the occupation catalogue; what a file does not say is kept."""
    from credential_service.assessment.occupations import service as occupations

    runtime = _runtime()
    with runtime.session() as session:
        try:
            rows, ignored = occupations.read_occupation_file(source)
            report = occupations.import_occupations(session, rows, ignored_columns=ignored)
        except OSError as exc:
            _fail(f"cannot read {source}: {exc.strerror}")
        except ServiceError as exc:
            _fail(_problem(exc))
    console.print(
        f"职业目录已导入 / imported {report.rows} rows: {report.created} new, {report.updated} updated, "
        f"{report.unchanged} unchanged"
    )
    if report.ignored_columns:
        console.print(f"ignored columns: {', '.join(report.ignored_columns)}")


@institutions_app.command("add")
def institutions_add(
    credit_code: Annotated[str, typer.Argument(help="统一社会信用代码 (18 characters, GB 32100)")],
    name: Annotated[str, typer.Argument(help="the institution's registered name")],
    city: Annotated[str, typer.Option(help="Shanxi city code, e.g. 140100 (太原)")],
    project: Annotated[
        list[str],
        typer.Option(
            help="approved project OCCUPATION[:TRAINING_TYPE], e.g. 6-18-02-04:skill_upgrade; repeatable"
        ),
    ],
) -> None:
    """Register a training institution (active) with its approved projects."""
    from credential_service.records import institutions
    from credential_service.records.training_models import TrainingType

    projects: list[tuple[str, TrainingType | None]] = []
    for item in project:
        occupation, _, kind = item.partition(":")
        try:
            projects.append((occupation, TrainingType(kind) if kind else None))
        except ValueError:
            _fail(f"--project {item}: training type must be one of {', '.join(TrainingType)}")
    runtime = _runtime()
    with runtime.session() as session:
        try:
            registered = institutions.register_institution(
                session, credit_code=credit_code, name=name, city_code=city, approved_projects=projects
            )
        except ServiceError as exc:
            _fail("; ".join([exc.message, *(f"{e.loc}: {e.reason}" for e in exc.errors)]))
        console.print(f"registered {registered.credit_code} {registered.name} ({registered.city_name})")


@institutions_app.command("list")
def institutions_list(
    status: Annotated[str | None, typer.Option(help="only active, suspended or closed")] = None,
) -> None:
    """List training institutions with their status and approved projects."""
    from credential_service.records import institutions
    from credential_service.records.training_models import InstitutionStatus

    try:
        wanted = InstitutionStatus(status) if status else None
    except ValueError:
        _fail("--status must be active, suspended or closed")
    runtime = _runtime()
    table = Table("credit code", "name", "city", "status", "approved projects")
    with runtime.session() as session:
        for item in institutions.list_institutions(session, status=wanted).institutions:
            projects = ", ".join(
                p.occupation_code + (f":{p.training_type.value}" if p.training_type else "")
                for p in item.approved_projects
            )
            table.add_row(item.credit_code, item.name, item.city_name, item.status.value, projects)
    console.print(table)


IssuerArg = Annotated[str, typer.Argument(help="'platform' or an organisation code")]


@keys_app.command("list")
def keys_list(code: Annotated[str | None, typer.Argument(help="only this issuer")] = None) -> None:
    """Every key ever used, with created / retired / compromised-since times."""
    runtime = _runtime()
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
def keys_rotate(code: IssuerArg = PLATFORM_CODE) -> None:
    """Start signing with a new key; the old one is retired (its credentials still verify)."""
    runtime = _runtime()
    with runtime.session() as session:
        key = issuers.rotate_key(session, runtime.keystore, issuers.get_issuer(session, code), actor=_actor())
        console.print(f"new key {key.verification_method}")


@keys_app.command("retire")
def keys_retire(code: IssuerArg, fragment: Annotated[str, typer.Argument(help="key id after '#'")]) -> None:
    """Stop using a key for new signatures (credentials signed before stay valid)."""
    runtime = _runtime()
    with runtime.session() as session:
        key = issuers.retire_key(issuers.get_issuer(session, code), fragment, actor=_actor())
        console.print(f"retired {key.verification_method} at {key.retired_at}")


@keys_app.command("compromise")
def keys_compromise(
    code: IssuerArg,
    fragment: Annotated[str, typer.Argument(help="key id after '#'")],
    since: Annotated[str, typer.Option(help="from when the key is untrusted, e.g. 2026-11-01T00:00:00Z")],
) -> None:
    """Mark a key compromised: signatures from SINCE on fail the key check."""
    try:
        moment: datetime = parse_xsd(since)
    except ValueError as exc:
        _fail(f"--since: {exc}")
    if moment > utcnow():
        _fail("--since must not be in the future")
    runtime = _runtime()
    with runtime.session() as session:
        key = issuers.compromise_key(issuers.get_issuer(session, code), fragment, moment, actor=_actor())
        console.print(f"{key.verification_method} compromised since {key.compromised_since}")


@app.command("import-results")
def import_results(
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
        _fail(f"cannot read {exc.filename}: {exc.strerror}")
    digest = file_sha256(stream)
    runtime = _runtime()
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
        _fail(exc.message)
    console.print(
        f"提交 {report.public_id}: {report.accepted} 行已记录，合格 {report.passed}，"
        f"公示至 {report.publicity_ends_on} / submission recorded; publicity until {report.publicity_ends_on}"
    )


@app.command("issue-batch")
def issue_batch(
    org: Annotated[str, typer.Option(help="the organisation's code")],
    submission: Annotated[str, typer.Argument(help="the submission id printed by import-results")],
) -> None:
    """Issue a submission's certificates after its publicity (safe to run again after an interruption)."""
    from credential_service.assessment.workflow import issuance

    runtime = _runtime()
    try:
        issued = issuance.issue_submission(
            runtime.session,
            runtime.keystore,
            runtime.issuance,
            org,
            submission,
            data_key=runtime.settings.data_key_bytes,
            actor=_actor(),
        )
    except ServiceError as exc:
        _fail(exc.message)
    console.print(f"本次签发 {issued} 张证书 / issued {issued} certificates")


NumberArg = Annotated[str, typer.Argument(help="the 22-character certificate number (证书编号)")]
EvidenceOpt = Annotated[str, typer.Option(help="evidence reference, e.g. an inspection report number")]
AuthorityOpt = Annotated[str, typer.Option(help="acting authority, e.g. '山西省人社厅 晋人社鉴〔2026〕12号'")]
REASON_HELP = "fraud, outside_scope, altered_scores, duplicate, inspection_order or other"


def _status_change(action: str, number: str, reason: str | None, evidence: str, authority: str) -> None:
    """One status change as an administrator at the server's console (the actor is cli:$USER)."""
    from credential_service.certificates import status_changes
    from credential_service.certificates.status_rules import Actor, StatusAction

    runtime = _runtime()
    with runtime.session() as session:
        try:
            result = status_changes.change_status(
                session,
                Actor("admin", _actor()),
                number,
                StatusAction(action),
                reason=reason,
                evidence=evidence,
                authority=authority,
            )
        except ServiceError as exc:
            _fail(_problem(exc))
    console.print(f"{number}: {result.status.state} ({result.change.reason_zh or '-'})")
    if result.subsidies_to_recover:
        console.print(f"已发放补贴需追回 / subsidies to recover: file entries {result.subsidies_to_recover}")


@app.command()
def revoke(
    number: NumberArg,
    reason: Annotated[str, typer.Option(help=REASON_HELP)],
    evidence: EvidenceOpt,
    authority: AuthorityOpt,
) -> None:
    """Revoke (撤销) a certificate: final; the public page shows it at once."""
    _status_change("revoke", number, reason, evidence, authority)


@app.command()
def suspend(
    number: NumberArg,
    reason: Annotated[str, typer.Option(help=REASON_HELP)],
    evidence: EvidenceOpt,
    authority: AuthorityOpt,
) -> None:
    """Suspend (暂停) a valid certificate until the suspension is lifted."""
    _status_change("suspend", number, reason, evidence, authority)


@app.command()
def reinstate(
    number: NumberArg,
    evidence: EvidenceOpt,
    authority: AuthorityOpt,
    reason: Annotated[str | None, typer.Option(help=f"optional: {REASON_HELP}")] = None,
) -> None:
    """Lift a suspension (恢复)."""
    _status_change("reinstate", number, reason, evidence, authority)


@app.command()
def verify(
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
        _fail("--offline needs --bundle FILE (download it from /api/v1/trust-bundle while online)")
    if source == "-" or Path(source).is_file():
        _verify_credential_file(source, bundle, as_json)
    else:
        _verify_token(token_from_text(source), bundle, as_json)


def _verify_credential_file(source: str, bundle: Path | None, as_json: bool) -> None:
    from credential_service.verification.trust import BundleTrust, DatabaseTrust
    from credential_service.verification.verifier import verify_credential

    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
        credential = json.loads(text)
    except (OSError, ValueError) as exc:
        _fail(f"cannot read a JSON credential from {source}: {exc}")
    if bundle is not None:
        report = verify_credential(credential, BundleTrust.from_file(bundle))
    else:
        runtime = _runtime()
        with runtime.session() as session:
            report = verify_credential(credential, DatabaseTrust(session, runtime.settings.public_base_url))
    _print_checks(report.checks, report.verdict.value, report.as_dict(), as_json)
    raise typer.Exit(code=0 if report.verified else 1)


def _verify_token(token: str, bundle: Path | None, as_json: bool) -> None:
    from credential_service.verification.tokens import verify_token, verify_token_offline
    from credential_service.verification.trust import BundleTrust
    from credential_service.verification.verifier import Verdict

    if bundle is not None:
        try:
            result = verify_token_offline(token, BundleTrust.from_file(bundle))
        except (OSError, ValueError) as exc:
            _fail(f"cannot read the trust bundle {bundle}: {exc}")
    else:
        runtime = _runtime()
        result = verify_token(
            token,
            runtime.key_directory,
            runtime.read_session,
            public_base_url=runtime.settings.public_base_url,
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
    from credential_service.verification.verifier import Outcome

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


@log_app.command("checkpoint")
def log_checkpoint(
    as_json: Annotated[bool, typer.Option("--json", help="print the checkpoint as JSON")] = False,
) -> None:
    """Sign a checkpoint of the log now with the platform key (the latest again if nothing was added)."""
    from credential_service.transparency import log as transparency_log

    runtime = _runtime()
    with runtime.session() as session:
        try:
            signed = transparency_log.sign_checkpoint(
                session, runtime.keystore, public_base_url=runtime.settings.public_base_url
            )
        except ServiceError as exc:
            _fail(exc.message)
        document = transparency_log.checkpoint_document(signed)
    if as_json:
        sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(document["note"])


@log_app.command("verify")
def log_verify(
    as_json: Annotated[bool, typer.Option("--json", help="print the findings as JSON")] = False,
) -> None:
    """Recompute the log from storage and check it against every signed checkpoint.

    Every altered, removed or re-ordered leaf is reported with its position; exit code 1 then.
    """
    from credential_service.transparency import log as transparency_log

    runtime = _runtime()
    with runtime.read_session() as session:
        report = transparency_log.verify_storage(session, public_base_url=runtime.settings.public_base_url)
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
        _fail(exc.message)
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
        _fail(exc.message)
    console.print(f"已恢复 / restored ({backend}) from {file}")


def main() -> None:
    app()
