"""Real server processes for tests that need more than one: ``credential-service serve`` on a free
loopback port, with the environment of a test's settings."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from credential_service.core.config import Settings

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(settings: Settings, **more: str) -> dict[str, str]:
    """The environment that serves ``settings``' database and keys (checkpoint schedule off)."""
    return {
        **os.environ,
        "CS_ENVIRONMENT": settings.environment,
        "CS_DATABASE_URL": settings.database_url,
        "CS_KEYSTORE_DIR": str(settings.keystore_dir),
        "CS_KEYSTORE_PASSPHRASE": settings.keystore_passphrase or "",
        "CS_LOG_CHECKPOINT_SECONDS": "0",
        **more,
    }


def serve(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    """Start a server process and wait until it answers ``/healthz``."""
    command = [str(Path(sys.executable).parent / "credential-service"), "serve", "--port", str(port)]
    env = {"CS_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", **env}
    server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    for _ in range(150):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.1)
    server.kill()
    raise AssertionError(server.communicate()[0].decode(errors="replace"))


def stop(servers: list[subprocess.Popen[bytes]]) -> str:
    """Stop the servers; what they printed."""
    printed = ""
    for server in servers:
        server.terminate()
        printed += server.communicate(timeout=20)[0].decode(errors="replace")
    return printed
