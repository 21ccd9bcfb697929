"""compose.yaml, checked against the service it runs (Docker is not on the development machine):
the cluster's shape (primary, synchronous standby, service), WAL archiving on both servers as
``scripts/cluster`` sets it, every ``CS_*`` variable a setting the service reads, and every command
and option the containers run one the command line has."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from credential_service.cli import app as cli
from credential_service.core.config import Settings

ROOT = Path(__file__).parents[2]
ARCHIVE_COMMAND = "archive_command=test ! -f /wal-archive/%f && cp %p /wal-archive/%f"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return loaded


def command_text(service: dict[str, Any]) -> str:
    return " ".join(service["command"]).replace("\\\n", " ")


def test_the_cluster_has_a_primary_a_synchronous_standby_and_the_service(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"primary", "standby", "service"}
    primary, standby = command_text(services["primary"]), command_text(services["standby"])
    waits_for = re.search(r"synchronous_standby_names=(\w+)", primary)
    assert waits_for is not None and f"application_name={waits_for.group(1)}" in standby
    assert "wal_level=replica" in primary and "hot_standby=on" in standby
    assert "pg_basebackup" in standby and " -R " in standby  # the standby's connection settings
    init = services["primary"]["volumes"][-1].split(":")[0]
    assert (ROOT / init).is_file()  # lets the standby connect for replication
    assert "DATABASE_REPLICA_URL" in str(services["service"]["environment"])


def test_both_servers_archive_wal_into_one_volume(compose: dict[str, Any]) -> None:
    for name in ("primary", "standby"):
        server = compose["services"][name]
        text = command_text(server)
        assert "archive_mode=on" in text and ARCHIVE_COMMAND in text, name
        assert "wal-archive:/wal-archive" in server["volumes"], name
        assert "chown postgres:postgres /wal-archive" in text, name  # the server may write there
    assert "wal-archive" in compose["volumes"]
    cluster = (ROOT / "scripts" / "cluster").read_text()
    assert "archive_mode = on" in cluster  # the same archiving as scripts/cluster


def test_every_service_variable_is_a_setting_the_service_reads(compose: dict[str, Any]) -> None:
    environment = compose["services"]["service"]["environment"]
    names = [name for name in environment if name.startswith("CS_")]
    assert len(names) >= 4
    unknown = [n for n in names if n.removeprefix("CS_").lower() not in Settings.model_fields]
    assert unknown == []


def test_the_service_runs_commands_and_options_the_command_line_has(compose: dict[str, Any]) -> None:
    script = compose["services"]["service"]["command"][-1]
    runs = [shlex.split(part.strip()) for part in script.split("&&") if "credential-service" in part]
    assert [words[words.index("credential-service") + 1] for words in runs] == ["init", "serve"]
    for words in runs:
        command, *arguments = words[words.index("credential-service") + 1 :]
        answer = CliRunner().invoke(cli, [command, "--help"])
        assert answer.exit_code == 0, answer.output
        for option in (w for w in arguments if w.startswith("--")):
            assert option in answer.output, (command, option)
