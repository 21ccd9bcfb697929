"""``credential-service log monitor URL`` against the service running in uvicorn, as an outside
auditor runs it: a separate process that only speaks HTTP to the live server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from credential_service.issuers.models import Issuer
from credential_service.runtime import Runtime
from tests.factories import issue_certificate
from tests.integration.test_transparency_log import _rewrite_history

EXE = Path(sys.executable).parent / "credential-service"


def _monitor(url: str, state: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(EXE), "log", "monitor", url, "--state", str(state), "--once"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "200"},
    )


def test_monitor_follows_the_live_log_and_fails_loudly_on_a_rewrite(
    live_server: str, runtime: Runtime, organisation: Issuer, tmp_path: Path
) -> None:
    state = tmp_path / "monitor-state.json"
    for _ in range(3):
        issue_certificate(runtime, organisation)
    first = _monitor(live_server, state)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "3 leaves" in first.stdout and "first checkpoint" in first.stdout
    saved = json.loads(state.read_text())
    assert saved["treeSize"] == 3 and saved["platformDid"] == "did:web:skills.test"
    assert saved["pinnedKeys"] and all(m.startswith("did:web:skills.test#") for m in saved["pinnedKeys"])

    issue_certificate(runtime, organisation)
    second = _monitor(live_server, state)
    assert second.returncode == 0 and "consistent with 3" in second.stdout, second.stdout

    _rewrite_history(runtime, 0)  # the operator changes the first leaf and re-signs everything
    issue_certificate(runtime, organisation)
    caught = _monitor(live_server, state)
    assert caught.returncode == 1, caught.stdout + caught.stderr
    assert "LOG MONITOR FAILURE" in caught.stdout and "rewr" in caught.stdout
    assert json.loads(state.read_text())["treeSize"] == 4  # the last good checkpoint is kept

    unreachable = _monitor("http://127.0.0.1:9", tmp_path / "other.json")
    assert unreachable.returncode == 2 and "LOG MONITOR FAILURE" in unreachable.stdout
