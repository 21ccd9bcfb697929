"""Subsidy rule sets in the database (issue 13, decision 031): loading is idempotent, a changed
version is refused, the version in force on a claim's qualifying date judges it, the commands
list and load, and the migration goes up and down."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, update
from typer.testing import CliRunner

from credential_service.audit import service as audit
from credential_service.core.errors import ConfigurationError
from credential_service.core.migrations import alembic_config, current_revision, upgrade
from credential_service.runtime import Runtime
from credential_service.subsidies import service
from credential_service.subsidies.errors import (
    InvalidRuleSet,
    NoRuleSetInForce,
    RuleSetChanged,
    RuleSetStartTaken,
)
from credential_service.subsidies.models import SubsidyRuleSet
from credential_service.subsidies.rules import (
    CertificateFacts,
    ClaimFacts,
    Employment,
    PersonFacts,
    SubsidyType,
    Verdict,
    evaluate,
)

SKILL_2025 = service.SHIPPED_RULE_SETS / "skill_upgrade-2025.1.toml"


def variant(tmp_path: Path, name: str, *replacements: tuple[str, str]) -> Path:
    """A copy of the shipped 2025 skill-upgrade file with some text replaced."""
    text = SKILL_2025.read_text("utf-8")
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def claim_for_certificate_issued(issued_on: date, claimed_on: date) -> ClaimFacts:
    return ClaimFacts(
        subsidy_type=SubsidyType.SKILL_UPGRADE,
        claimed_on=claimed_on,
        person=PersonFacts(insured_months=24, employment=Employment.ENTERPRISE_EMPLOYEE),
        certificate=CertificateFacts(
            number="Y000014000001263000001",
            occupation_code="6-31-01-03",
            level=3,
            issued_on=issued_on,
            state="valid",
        ),
    )


def test_loading_the_same_file_twice_changes_nothing(runtime: Runtime) -> None:
    with runtime.session() as session:
        first = service.load_rule_file(session, SKILL_2025, actor="admin:wang")
        assert first.created
    with runtime.session() as session:
        again = service.load_rule_file(session, SKILL_2025, actor="admin:li")
        assert not again.created and again.row.id == first.row.id
        assert again.row.loaded_by == "admin:wang"
        (row,) = service.list_rule_sets(session)
        assert (row.subsidy_type, row.version, row.valid_from, row.valid_until) == (
            "skill_upgrade",
            "2025.1",
            date(2025, 1, 1),
            None,
        )
        assert row.source_document.startswith("《人力资源社会保障部 2025 年技能提升补贴政策")
        loads = audit.events(session, action="subsidies.rules.load")
        assert [(e.actor, e.subject) for e in loads] == [("admin:wang", "subsidy-rules:skill_upgrade:2025.1")]


def test_a_changed_file_under_the_same_version_is_refused(runtime: Runtime, tmp_path: Path) -> None:
    changed = variant(tmp_path, "changed.toml", ('"4" = 1500', '"4" = 1600'))
    with runtime.session() as session:
        loaded = service.load_rule_file(session, SKILL_2025, actor="admin:wang")
    with runtime.session() as session, pytest.raises(RuleSetChanged) as refused:
        service.load_rule_file(session, changed, actor="admin:wang")
    assert refused.value.status == 409
    assert refused.value.message.startswith("技能提升补贴 规则版本 2025.1 已加载，内容不同")
    assert "请使用新的版本号" in refused.value.message and loaded.row.sha256[:12] in refused.value.message
    # A comment is not content: the same version with another comment loads as unchanged.
    commented = variant(tmp_path, "commented.toml", ("# 技能提升补贴", "# 已核对 技能提升补贴"))
    with runtime.session() as session:
        assert not service.load_rule_file(session, commented, actor="admin:wang").created
        assert len(service.list_rule_sets(session)) == 1


def test_two_versions_cannot_start_on_the_same_day(runtime: Runtime, tmp_path: Path) -> None:
    twin = variant(tmp_path, "twin.toml", ('version = "2025.1"', 'version = "2025.2"'))
    with runtime.session() as session:
        service.load_rule_file(session, SKILL_2025, actor="admin:wang")
    with runtime.session() as session, pytest.raises(RuleSetStartTaken, match="2025-01-01"):
        service.load_rule_file(session, twin, actor="admin:wang")


def test_a_broken_file_names_the_problem(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text('format = 1\nsubsidy_type = "training"\nversion = ', "utf-8")
    with pytest.raises(InvalidRuleSet) as refused:
        service.read_rule_file(broken)
    assert refused.value.errors[0].loc == "file" and "broken.toml" in refused.value.message
    with pytest.raises(InvalidRuleSet):
        service.read_rule_file(tmp_path / "missing.toml")


def test_a_claim_is_judged_by_the_version_in_force_on_its_qualifying_date(
    runtime: Runtime, tmp_path: Path
) -> None:
    # Two versions of one type with different amounts: 2,000 元 for level 3 until 2026, 2,400 after.
    raised = variant(
        tmp_path,
        "raised.toml",
        ('version = "2025.1"', 'version = "2026.1"'),
        ("valid_from = 2025-01-01", "valid_from = 2026-01-01"),
        ('"3" = 2000', '"3" = 2400'),
    )
    with runtime.session() as session:
        service.load_rule_file(session, SKILL_2025, actor="admin:wang")
        service.load_rule_file(session, raised, actor="admin:wang")
    decisions = {}
    with runtime.session() as session:
        for issued in (date(2025, 12, 31), date(2026, 1, 1)):
            facts = claim_for_certificate_issued(issued, claimed_on=date(2026, 2, 1))
            decisions[issued] = service.judge(session, facts)
            assert decisions[issued] == evaluate(
                facts, service.rule_set_in_force(session, SubsidyType.SKILL_UPGRADE, issued)
            )
        with pytest.raises(NoRuleSetInForce) as none:
            service.rule_set_in_force(session, SubsidyType.SKILL_UPGRADE, date(2024, 12, 31))
        assert none.value.status == 422 and "2024-12-31 没有施行中的技能提升补贴规则" in none.value.message
        both = service.rule_sets_of(session, SubsidyType.SKILL_UPGRADE)
    old, new = decisions[date(2025, 12, 31)], decisions[date(2026, 1, 1)]
    assert (old.rule_set_version, old.amount.yuan) == ("2025.1", Decimal(2000))
    assert (new.rule_set_version, new.amount.yuan) == ("2026.1", Decimal(2400))
    assert old.verdict is new.verdict is Verdict.ELIGIBLE
    assert [r.version for r in both] == ["2025.1", "2026.1"]
    assert old.rule_set_sha256 == both[0].sha256


def test_a_stored_rule_set_that_no_longer_matches_its_hash_is_not_used(runtime: Runtime) -> None:
    with runtime.session() as session:
        service.load_rule_file(session, SKILL_2025, actor="admin:wang")
        session.execute(
            update(SubsidyRuleSet).values(
                canonical_json=SubsidyRuleSet.canonical_json.op("||")(" ")  # any change at all
            )
        )
    with runtime.session() as session, pytest.raises(ConfigurationError, match="SHA-256"):
        service.rule_set_in_force(session, SubsidyType.SKILL_UPGRADE, date(2025, 6, 1))


def test_the_shipped_rule_sets_load_and_cover_today(runtime: Runtime) -> None:
    with runtime.session() as session:
        loaded = service.ensure_shipped_rule_sets(session, actor="cli:init")
        assert len(loaded) == 4 and all(item.created for item in loaded)
        assert not any(item.created for item in service.ensure_shipped_rule_sets(session, actor="cli:init"))
        for kind in SubsidyType:
            assert service.rule_set_in_force(session, kind, date(2026, 12, 4)).subsidy_type is kind
        assert (
            service.rule_set_in_force(session, SubsidyType.SKILL_UPGRADE, date(2024, 6, 1)).version
            == "2024.1"
        )


def test_the_migration_upgrades_and_downgrades(runtime: Runtime) -> None:
    with runtime.session() as session:
        service.ensure_shipped_rule_sets(session, actor="cli:init")
    assert "subsidy_rule_sets" in inspect(runtime.engine).get_table_names()
    command.downgrade(alembic_config(runtime.engine), "0011")
    assert current_revision(runtime.engine) == "0011"
    assert "subsidy_rule_sets" not in inspect(runtime.engine).get_table_names()
    upgrade(runtime.engine, "0012")
    assert current_revision(runtime.engine) == "0012"
    with runtime.session() as session:
        assert service.list_rule_sets(session) == []
        assert len(service.ensure_shipped_rule_sets(session, actor="cli:init")) == 4


def test_the_commands_list_and_load_rule_sets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from credential_service.cli import app as cli

    monkeypatch.setenv("CS_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("CS_KEYSTORE_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("CS_KEYSTORE_PASSPHRASE", "cli test")
    runner = CliRunner()
    assert runner.invoke(cli, ["init"]).exit_code == 0  # loads the shipped rule sets
    listing = runner.invoke(cli, ["subsidies", "rules", "list"])
    assert listing.exit_code == 0, listing.output
    for expected in (
        "职业培训补贴",
        "技能提升补贴",
        "生活费补贴",
        "2024.1",
        "2025.1",
        "SX-2020.1",
        "财社〔2023〕181号",
    ):
        assert expected in listing.output
    only = runner.invoke(cli, ["subsidies", "rules", "list", "--type", "training"])
    assert "SX-2020.1" in only.output and "2025.1" not in only.output
    assert runner.invoke(cli, ["subsidies", "rules", "list", "--type", "bonus"]).exit_code == 1

    again = runner.invoke(cli, ["subsidies", "rules", "load", str(SKILL_2025)])
    assert again.exit_code == 0 and "已存在，未变" in again.output
    raised = variant(
        tmp_path,
        "raised.toml",
        ('version = "2025.1"', 'version = "2026.1"'),
        ("valid_from = 2025-01-01", "valid_from = 2026-01-01"),
    )
    loaded = runner.invoke(cli, ["subsidies", "rules", "load", str(raised)])
    assert loaded.exit_code == 0 and "已加载 / loaded: skill_upgrade 2026.1" in loaded.output
    assert "2026.1" in runner.invoke(cli, ["subsidies", "rules", "list"]).output

    changed = variant(tmp_path, "changed.toml", ('"5" = 1000', '"5" = 900'))
    refused = runner.invoke(cli, ["subsidies", "rules", "load", str(raised), str(changed)])
    assert refused.exit_code == 1 and "已加载，内容不同" in refused.output
    assert runner.invoke(cli, ["subsidies", "rules", "load"]).exit_code == 1
    assert runner.invoke(cli, ["subsidies", "rules", "load", str(tmp_path / "none.toml")]).exit_code == 1
    assert "已存在" in runner.invoke(cli, ["subsidies", "rules", "load", "--shipped"]).output
    for words in (["subsidies"], ["subsidies", "rules"], ["subsidies", "rules", "load"]):
        assert "Usage" in runner.invoke(cli, [*words, "--help"]).output
