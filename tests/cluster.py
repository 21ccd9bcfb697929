"""``scripts/cluster`` for tests: a primary, a synchronous hot standby and the service, in a private
folder on free ports, always taken down again (service and every PostgreSQL server) however the test
ends. Skipped only when the PostgreSQL binaries are missing."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from credential_service.core.config import Settings
from tests.conftest import need
from tests.servers import ROOT, free_port

CLUSTER = ROOT / "scripts" / "cluster"
PASSPHRASE = "cluster demo passphrase"  # scripts/cluster's default


def postgres_bin() -> Path:
    """The newest PostgreSQL's binaries (skips the test when there are none)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_basebackup"), key=lambda p: int(p.parts[-3]))
    need(None if found else "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin)")
    return found[-1].parent


@dataclass
class Cluster:
    env: dict[str, str]  # what runs scripts/cluster for this cluster
    place: Path  # CS_CLUSTER_DIR

    def run(self, *command: str, timeout: float = 120) -> str:
        """``scripts/cluster COMMAND …``; what it printed (fails the test when it fails)."""
        done = subprocess.run(
            [str(CLUSTER), *command],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def environment(self) -> dict[str, str]:
        """What a command line needs now (``scripts/cluster env``: it follows a failover)."""
        return dict(
            line.strip().removeprefix("export ").split("=", 1)
            for line in self.run("env").splitlines()
            if line.strip().startswith("export ")
        )

    def settings(self) -> Settings:
        printed = self.environment()
        return Settings(
            environment="development",
            database_url=printed["CS_DATABASE_URL"],
            database_replica_url=printed.get("CS_DATABASE_REPLICA_URL"),
            keystore_dir=Path(printed["CS_KEYSTORE_DIR"]),
            keystore_passphrase=PASSPHRASE,
            public_base_url=printed["CS_PUBLIC_BASE_URL"],
        )

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``credential-service ARGS`` against the cluster as it is now, as an operator runs it."""
        env = {**os.environ, **self.environment(), "CS_KEYSTORE_PASSPHRASE": PASSPHRASE}
        return subprocess.run(
            [str(ROOT / ".venv" / "bin" / "credential-service"), *args],
            env=env, capture_output=True, text=True, timeout=120, check=False, cwd=ROOT,
        )  # fmt: skip

    def service_errors(self) -> str:
        """The service log's lines about a 500 or an exception (for a failing assertion's message)."""
        log = self.place / "service.log"
        lines = log.read_text(errors="replace").splitlines() if log.exists() else []
        return "\n".join(line for line in lines if '"status": 500' in line or '"error":' in line)

    def pg_ctl(self, *args: str) -> None:
        """pg_ctl as PostgreSQL's own user (scripts/cluster runs the servers as it when root)."""
        command = " ".join([str(postgres_bin() / "pg_ctl"), *args])
        as_postgres = (
            ["su", "postgres", "-s", "/bin/sh", "-c", command] if os.getuid() == 0 else ["sh", "-c", command]
        )
        subprocess.run(as_postgres, check=True, capture_output=True, timeout=60)


@contextmanager
def running_cluster(workers: int = 2) -> Iterator[Cluster]:
    postgres_bin()
    place = Path(tempfile.mkdtemp(prefix="cs-cluster-"))
    os.chmod(place, 0o755)  # PostgreSQL's own user must reach its data directories
    env = {
        **os.environ,
        "CS_PORT": str(free_port()),
        "CS_PG_PORT": str(free_port()),
        "CS_PG_STANDBY_PORT": str(free_port()),
        "CS_CLUSTER_DIR": str(place / "cluster"),
        "CS_CLUSTER_DEMO": "0",
        "CS_CLUSTER_BOOTSTRAP": "0",  # tests never reinstall the shared .venv
        "CS_WORKERS": str(workers),
    }
    env.pop("CS_DATABASE_URL", None)
    env.pop("CS_DATABASE_REPLICA_URL", None)
    cluster = Cluster(env, place / "cluster")
    try:
        cluster.run("up", timeout=300)
        yield cluster
    finally:
        subprocess.run([str(CLUSTER), "down"], check=False, env=env, capture_output=True, timeout=120)
        shutil.rmtree(place, ignore_errors=True)
