"""The generated province (issue 14, decision 041), on SQLite and PostgreSQL: every planted case of
every check is found, nothing on the clean part is, and scanning again opens no case."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from credential_service.core.clock import beijing_today
from credential_service.runtime import Runtime
from credential_service.supervision.models import SupervisionCase
from credential_service.supervision.province import generate as province
from credential_service.supervision.rules.registry import CHECKS


def test_every_planted_case_is_found_and_nothing_else(runtime: Runtime) -> None:
    world, _ = province.generate(
        runtime.session,
        keystore=runtime.keystore,
        settings=runtime.settings,
        persons=3000,
        seed=7,
        planted=3,
        today=beijing_today(),
        actor="test",
    )
    assert {p.check for p in world.plants} == set(CHECKS)
    reports, _ = province.full_scan(
        runtime.session, data_key=runtime.settings.data_key_bytes, opened_by="test"
    )
    with runtime.session() as session:
        scores = province.score(session, world)
        cases = session.scalar(select(func.count()).select_from(SupervisionCase))
    assert [s.code for s in scores if not s.perfect] == [], scores
    assert all(s.planted == 3 for s in scores)
    assert cases == sum(r.opened for r in reports) == 3 * len(CHECKS)
    again, _ = province.full_scan(runtime.session, data_key=runtime.settings.data_key_bytes, opened_by="test")
    assert sum(r.opened for r in again) == 0


def test_the_command_generates_scores_and_refuses_a_second_province(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from credential_service.cli import app as cli

    monkeypatch.setenv("CS_DATABASE_URL", f"sqlite:///{tmp_path / 'province.sqlite3'}")
    monkeypatch.setenv("CS_KEYSTORE_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("CS_KEYSTORE_PASSPHRASE", "province test")
    runner = CliRunner()
    assert runner.invoke(cli, ["init"]).exit_code == 0
    made = runner.invoke(cli, ["supervise", "generate", "--persons", "2000", "--planted", "2", "--seed", "3"])
    assert made.exit_code == 0, made.output
    assert "漏报 0 件，误报 0 件" in made.output and "device_shared_across_trainees" in made.output
    again = runner.invoke(cli, ["supervise", "generate", "--persons", "2000", "--planted", "2"])
    assert again.exit_code == 1 and "空数据库" in again.output
    scanned = runner.invoke(cli, ["supervise", "run", "--full"])
    assert scanned.exit_code == 0 and "新开案件 0 件" in scanned.output
    too_many = tmp_path / "small"
    monkeypatch.setenv("CS_DATABASE_URL", f"sqlite:///{too_many}.sqlite3")
    assert runner.invoke(cli, ["init"]).exit_code == 0
    refused = runner.invoke(cli, ["supervise", "generate", "--persons", "1000", "--planted", "20"])
    assert refused.exit_code == 1 and "人数不足" in refused.output
