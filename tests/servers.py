"""Real servers for tests: ``credential-service serve`` processes on a free loopback port, with the
environment of a test's settings; or uvicorn in a thread of the test (``serve_in_thread``)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from starlette.types import ASGIApp

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


def bind_loopback() -> socket.socket:
    """A socket bound to a free loopback port, for a server started later (its URL known before)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def url_of(sock: socket.socket) -> str:
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


@contextmanager
def serve_in_thread(app: ASGIApp, sock: socket.socket, *, http: str = "h11") -> Iterator[str]:
    """Run ``app`` with uvicorn on the bound ``sock`` in a daemon thread until the block ends; its URL."""
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="on",
        http=http,
        ws="none",
        timeout_graceful_shutdown=3,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="test-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            pytest.fail("the live uvicorn server did not start")
        time.sleep(0.01)
    try:
        yield url_of(sock)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        if thread.is_alive():
            pytest.fail("the live uvicorn server did not stop within 10 s")
