"""Start-up refusals and the command line, as a newcomer would run them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from credential_service.cli import app as cli
from credential_service.core.config import Settings
from credential_service.core.errors import ConfigurationError
from credential_service.runtime import build_runtime

ROOT = Path(__file__).resolve().parents[2]


def test_app_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'empty.sqlite3'}", keystore_dir=tmp_path / "k")
    with pytest.raises(ConfigurationError, match="credential-service init"):
        build_runtime(settings)


def test_wrong_passphrase_is_a_start_up_error(settings: Settings, runtime: object) -> None:
    wrong = settings.model_copy(update={"keystore_passphrase": "not the passphrase"})
    with pytest.raises(ConfigurationError, match="CS_KEYSTORE_PASSPHRASE"):
        build_runtime(wrong)


def test_production_refuses_placeholder_secrets() -> None:
    with pytest.raises(ValueError, match="CS_KEYSTORE_PASSPHRASE"):
        Settings(environment="production")


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CS_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("CS_KEYSTORE_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("CS_KEYSTORE_PASSPHRASE", "cli test")
    monkeypatch.setenv("CS_PUBLIC_BASE_URL", "http://127.0.0.1:8000")
    return tmp_path


def test_init_demo_token_keys_and_offline_verify(cli_env: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["init"]).exit_code == 0
    assert runner.invoke(cli, ["init"]).exit_code == 0  # idempotent
    demo = runner.invoke(cli, ["demo", "--json"])
    assert demo.exit_code == 0, demo.output
    manifest = json.loads(demo.stdout)
    assert len(manifest["organisations"]) == 3 and len(manifest["institutions"]) == 4
    assert manifest["workers"] == 300 and len(manifest["certificates"]) > 50
    again = json.loads(runner.invoke(cli, ["demo", "--json"]).stdout)
    assert again == manifest  # the demo is loaded once

    token = runner.invoke(cli, ["token", "admin"]).stdout.strip()
    assert token.count(".") == 2
    assert runner.invoke(cli, ["token", "org", "Y999999999999"]).exit_code == 1

    from fastapi.testclient import TestClient

    from credential_service.app import create_app

    with TestClient(create_app(Settings()), base_url="http://127.0.0.1:8000") as client:
        number = manifest["certificates"][0]["certificateNumber"]
        vc = client.get(
            f"/api/v1/certificates/{number}/credential.json", headers={"Authorization": f"Bearer {token}"}
        )
        assert vc.status_code == 200
        bundle = client.get("/api/v1/trust-bundle").json()
    (cli_env / "vc.json").write_text(json.dumps(vc.json(), ensure_ascii=False))
    (cli_env / "bundle.json").write_text(json.dumps(bundle))
    offline = runner.invoke(
        cli, ["verify", str(cli_env / "vc.json"), "--bundle", str(cli_env / "bundle.json"), "--json"]
    )
    assert offline.exit_code == 0, offline.output
    assert json.loads(offline.stdout)["verdict"] == "valid"
    # Without the status lists an offline verifier cannot know about revocation: "cannot tell".
    (cli_env / "no-status.json").write_text(json.dumps({**bundle, "statusLists": {}}))
    unknown = runner.invoke(
        cli, ["verify", str(cli_env / "vc.json"), "--bundle", str(cli_env / "no-status.json"), "--json"]
    )
    report = json.loads(unknown.stdout)
    assert unknown.exit_code == 1 and report["verdict"] == "cannot_tell"
    assert {c["check"]: c["outcome"] for c in report["checks"]}["status_revocation"] == "cannot_tell"
    assert {c["check"]: c["outcome"] for c in report["checks"]}["proof"] == "valid"
    local = runner.invoke(cli, ["verify", str(cli_env / "vc.json")])
    assert local.exit_code == 0 and "valid" in local.stdout

    tampered = vc.json()
    tampered["credentialSubject"]["name"] = "冒名"
    (cli_env / "bad.json").write_text(json.dumps(tampered, ensure_ascii=False))
    refused = runner.invoke(
        cli, ["verify", str(cli_env / "bad.json"), "--bundle", str(cli_env / "bundle.json")]
    )
    assert refused.exit_code == 1 and "invalid" in refused.stdout
    assert runner.invoke(cli, ["verify", str(cli_env / "missing.json")]).exit_code == 1

    rotated = runner.invoke(cli, ["keys", "rotate", "Y000014010001"])
    assert rotated.exit_code == 0 and "new key" in rotated.stdout
    listing = runner.invoke(cli, ["keys", "list", "Y000014010001"])
    assert listing.exit_code == 0 and listing.stdout.count("did:web") >= 2
    bad_since = runner.invoke(cli, ["keys", "compromise", "platform", "key-x", "--since", "yesterday"])
    assert bad_since.exit_code == 1


def test_every_command_has_help() -> None:
    runner = CliRunner()
    for command in (
        [],
        ["init"],
        ["serve"],
        ["demo"],
        ["keys"],
        ["keys", "rotate"],
        ["keys", "compromise"],
        ["token"],
        ["token", "admin"],
        ["token", "org"],
        ["verify"],
        ["orgs"],
        ["orgs", "add"],
    ):
        result = runner.invoke(cli, [*command, "--help"])
        assert result.exit_code == 0, command
        assert "Usage" in result.stdout


def test_console_script_is_installed(cli_env: Path) -> None:
    exe = Path(sys.executable).parent / "credential-service"
    result = subprocess.run(
        [str(exe), "--help"], capture_output=True, text=True, env=os.environ.copy(), check=False
    )
    assert result.returncode == 0 and "credential-service" in result.stdout


def test_migrations_match_the_models(settings: Settings) -> None:
    """The tables Alembic builds are exactly the ones the models declare (on SQLite and PostgreSQL)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from credential_service.core.db import make_engine
    from credential_service.models import metadata

    engine = make_engine(settings.database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []
    engine.dispose()


def test_import_results_and_issue_batch_from_the_command_line(cli_env: Path) -> None:
    from datetime import date, timedelta

    from sqlalchemy import update

    from credential_service.assessment.organisations import service as organisations
    from credential_service.assessment.workflow import plans
    from credential_service.assessment.workflow.models import ResultSubmission
    from credential_service.core.config import load_settings
    from credential_service.identity.rules import gb11643_check_char

    runner = CliRunner()
    assert runner.invoke(cli, ["init"]).exit_code == 0
    assert runner.invoke(cli, ["demo"]).exit_code == 0
    runtime = build_runtime(load_settings())
    code = "S000014010003"
    with runtime.session() as session:
        plans.file_plan(
            session,
            organisations.get_organisation(session, code),
            plan_ref="CLI-1",
            occupation_code="6-31-01-03",
            subtype=None,
            level=4,
            exam_start=date(2026, 11, 2),
            exam_end=date(2026, 11, 3),
            examiners=[{"name": "考评员", "certificate_number": "KP0002"}],
        )
    numbers = [
        f + gb11643_check_char(f) for f in ("14010519900101551", "14010519900101552", "14010519900101553")
    ]
    sheet = cli_env / "results.csv"
    sheet.write_text(
        "证件类型,证件号码,姓名,理论知识成绩,技能操作成绩\n"
        + "".join(f"居民身份证,{n},考生{name},80,70\n" for name, n in zip("甲乙丙", numbers, strict=True)),
        encoding="utf-8-sig",
    )
    bad = cli_env / "bad.csv"
    bad.write_text(
        "证件类型,证件号码,姓名,理论知识成绩,技能操作成绩\n居民身份证,123,某人,80,70\n", encoding="utf-8"
    )
    refused = runner.invoke(cli, ["import-results", str(bad), "--org", code, "--plan", "CLI-1"])
    assert refused.exit_code == 1 and "row 2: 证件号码" in refused.stdout
    imported = runner.invoke(cli, ["import-results", str(sheet), "--org", code, "--plan", "CLI-1"])
    assert imported.exit_code == 0, imported.stdout
    submission_id = imported.stdout.split()[1].rstrip(":")
    too_early = runner.invoke(cli, ["issue-batch", submission_id, "--org", code])
    assert too_early.exit_code == 1 and "公示" in too_early.stdout
    with runtime.session() as session:
        session.execute(update(ResultSubmission).values(publicity_ends_on=date.today() - timedelta(days=1)))
    issued = runner.invoke(cli, ["issue-batch", submission_id, "--org", code])
    assert issued.exit_code == 0 and "issued 3" in issued.stdout
    assert "issued 0" in runner.invoke(cli, ["issue-batch", submission_id, "--org", code]).stdout
    runtime.close()
