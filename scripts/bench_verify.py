"""Verifying a scanned QR token over HTTP, against a bare FastAPI route in the same server and run.

Builds a fresh database (SQLite in a temporary folder, or an empty PostgreSQL one with
``--database-url``), migrated by the service's own migrations, with the demo
(``credential_service.demo.load_demo``: 3 organisations, 300 workers, about 100 certificates), and
collects every certificate's QR token. A forged token is a real one with one character of the
signature changed (position 150): it names a known key, so only the signature can refuse it.

First, in-process (FastAPI ``TestClient`` on the same database, a SQLAlchemy
``before_cursor_execute`` listener on both engines: the service's and the one of settled scans), it
counts the SQL statements each kind of request runs: a genuine token's first scan (the whole
verifier) and a scan of a token verified before (decision 040: one statement, the trust generation
and the status bits read live), none for a forged token once the key directory is loaded, and no
INSERT/UPDATE/DELETE for a genuine one (the verification log is written behind the request, by its
own thread). Also shown, not loaded: a forged token naming an unknown key, which reads the trust
generation (one statement) and reloads the key directory only when keys changed.

Then uvicorn serves the app (one worker, a child process) with one extra route, ``GET /bench/bare``
(a tiny JSON body, same response class, a plain ``def`` like the verification routes), and a load
generator on the same machine (``wrk`` when installed, else a Python asyncio + httpx one) drives, at
a fixed number of connections, each target in turn:

- ``GET /bench/bare`` (the baseline);
- ``GET /api/v1/verify/{token}``, rotating through every token whose verdict is ``genuine``;
- ``GET /v/{token}`` (the HTML page), the same tokens;
- ``GET /api/v1/verify/{forged}``, one forged token per certificate;
- ``GET /api/v1/verify/{token}`` again on a second server that keeps nothing
  (``CS_VERIFY_SETTLED_TOKENS=0``): every scan a first scan, as most scans in a province are.

A warm-up pass over every target, then ``--rounds`` timed passes, each in the reverse order of the
one before (the second server's target after the first server's rounds). Per target: requests per
second (all rounds' requests over their time), p50 and p99 latency (the mean of the rounds'), the
server process's CPU time per request, errors, and each as a ratio to the bare route, and the page's
requests per second as a ratio to the API's. Every URL is checked once (200, the expected verdict)
before the load. ``--json`` for a machine-readable result.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import importlib.util
import json
import math
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fastapi import FastAPI  # noqa: E402
from sqlalchemy import Engine, event, func, select  # noqa: E402

from credential_service.app import create_app, freeze_loaded_objects  # noqa: E402
from credential_service.certificates.models import CertificateQRCode  # noqa: E402
from credential_service.core.config import Settings  # noqa: E402
from credential_service.core.db import make_engine  # noqa: E402
from credential_service.core.migrations import upgrade  # noqa: E402
from credential_service.runtime import Runtime, build_runtime  # noqa: E402
from credential_service.verification.models import VerificationEvent  # noqa: E402
from credential_service.web.http import JSON  # noqa: E402

DATA_KEY = hashlib.sha256(b"bench_verify data key").digest()  # benchmark data only
KEYSTORE_PASSPHRASE = "bench-verify-passphrase"
BARE_ROUTE = "/bench/bare"
API_ROUTE = "/api/v1/verify/"
PAGE_ROUTE = "/v/"
API_TARGET, PAGE_TARGET = "GET /api/v1/verify/{token}", "GET /v/{token} (HTML page)"
FIRST_SCANS = "GET /api/v1/verify/{token}, kept nothing"
FORGE_AT = 150  # a character of the signature (the signed part ends near character 118 of 221)
FINGERPRINT_AT = 3  # a character of the key fingerprint (bits 15-19 of the token)
BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
LOG_THREAD = "verification-log"  # VerificationLogQueue's writer thread
WRITES = ("INSERT", "UPDATE", "DELETE")

# ---------------------------------------------------------------------------------------------
# The app under test: the service plus one bare route (uvicorn imports this module by itself)
# ---------------------------------------------------------------------------------------------


def add_bare_route(app: FastAPI) -> FastAPI:
    @app.get(BARE_ROUTE, include_in_schema=False)
    def bare() -> JSON:  # a plain def, run in the thread pool like the verification routes
        return JSON({"ok": True})

    return app


def bench_app() -> FastAPI:
    """``uvicorn --factory bench_verify:bench_app``: the service from CS_* settings + the bare route,
    as ``credential_service.asgi`` serves it."""
    app = add_bare_route(create_app())
    freeze_loaded_objects()
    return app


# ---------------------------------------------------------------------------------------------
# The database
# ---------------------------------------------------------------------------------------------


def bench_settings(url: str, state_dir: Path, base: str) -> Settings:
    return Settings(
        environment="test",
        database_url=url,
        keystore_dir=state_dir / "keys",
        keystore_passphrase=KEYSTORE_PASSPHRASE,
        data_key=base64.b64encode(DATA_KEY).decode(),
        public_base_url=base,
    )


def server_env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "CS_ENVIRONMENT": settings.environment,
        "CS_DATABASE_URL": settings.database_url,
        "CS_KEYSTORE_DIR": str(settings.keystore_dir),
        "CS_KEYSTORE_PASSPHRASE": KEYSTORE_PASSPHRASE,
        "CS_DATA_KEY": base64.b64encode(DATA_KEY).decode(),
        "CS_PUBLIC_BASE_URL": settings.public_base_url,
    }


def prepare(settings: Settings) -> dict[str, Any]:
    """What ``credential-service init`` and ``demo`` do; returns the demo's size and the tokens."""
    from credential_service.assessment.occupations.service import ensure_builtin_occupations
    from credential_service.demo import load_demo
    from credential_service.issuers import service as issuers
    from credential_service.platform.tokens import ensure_token_key

    settings.ensure_local_dirs()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    engine.dispose()
    runtime = build_runtime(settings)
    try:
        started = time.perf_counter()
        with runtime.session() as session:
            issuers.ensure_platform_issuer(
                session, runtime.keystore, public_base_url=settings.public_base_url
            )
            ensure_builtin_occupations(session)
        ensure_token_key(runtime.keystore)
        manifest = load_demo(runtime)
        seconds = time.perf_counter() - started
        with runtime.read_session() as session:
            tokens = list(
                session.scalars(
                    select(CertificateQRCode.token).order_by(
                        CertificateQRCode.created_at, CertificateQRCode.credential_id
                    )
                )
            )
    finally:
        runtime.close()
    return {
        "organisations": len(manifest.organisations),
        "workers": manifest.workers,
        "certificates": len(manifest.certificates),
        "tokens": tokens,
        "seconds": round(seconds, 1),
    }


def forge(token: str, at: int = FORGE_AT) -> str:
    """The token with one character changed (the next base32 letter)."""
    changed = BASE32[(BASE32.index(token[at]) + 1) % len(BASE32)]
    return token[:at] + changed + token[at + 1 :]


def log_rows(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(VerificationEvent)) or 0)


# ---------------------------------------------------------------------------------------------
# SQL statements per request, in-process
# ---------------------------------------------------------------------------------------------


@dataclass
class StatementLog:
    """Every statement the engine sends, with the name of the thread that sent it."""

    engine: Engine
    entries: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        event.listen(self.engine, "before_cursor_execute", self._record)

    def _record(self, _conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        with self.lock:
            self.entries.append((threading.current_thread().name, statement))

    def take(self) -> list[tuple[str, str]]:
        with self.lock:
            taken, self.entries = self.entries, []
        return taken

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)


def _verb(statement: str) -> str:
    return statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "?"


def count_statements(
    settings: Settings, genuine: list[str], tokens: list[str], repeat: int
) -> dict[str, Any]:
    """Statements run inside each kind of request (thread-attributed: the log thread's are not)."""
    from fastapi.testclient import TestClient

    runtime: Runtime = build_runtime(settings)  # a fresh process-like state: the key directory is cold
    statements = [StatementLog(runtime.engine), StatementLog(runtime.replica_reader)]
    client = TestClient(add_bare_route(create_app(runtime=runtime)))  # no lifespan: closed below
    behind: list[str] = []

    def drain() -> list[str]:
        """The statements sent since the last call; the log thread's go to ``behind``."""
        got = [entry for log in statements for entry in log.take()]
        behind.extend(s for thread, s in got if thread == LOG_THREAD)
        return [s for thread, s in got if thread != LOG_THREAD]

    def requests(path_of: Callable[[int], str], count: int, expect: Callable[[Any], bool]) -> dict[str, Any]:
        per_request: list[list[str]] = []
        for n in range(count):
            drain()
            response = client.get(path_of(n))
            mine = drain()
            if response.status_code != 200 or not expect(response):
                raise AssertionError(f"GET {path_of(n)[:40]}… answered {response.status_code}")
            per_request.append(mine)
        counts = [len(p) for p in per_request]
        verbs = Counter(_verb(s) for p in per_request for s in p)
        return {
            "requests": count,
            "statements_per_request": {"min": min(counts), "max": max(counts)},
            "by_verb": dict(sorted(verbs.items())),
            "writes": sum(verbs[w] for w in WRITES),
        }

    def verdict(expected: str) -> Callable[[Any], bool]:
        return lambda response: response.json()["verdict"] == expected

    def html(response: Any) -> bool:
        return str(response.headers["content-type"]).startswith("text/html")

    kinds: dict[str, dict[str, Any]] = {}
    try:
        kinds["GET /api/v1/verify/{genuine}, first request (loads the key directory)"] = requests(
            lambda n: API_ROUTE + genuine[0], 1, verdict("genuine")
        )
        kinds["GET /api/v1/verify/{genuine}, first scan of the token"] = requests(
            lambda n: API_ROUTE + genuine[(n + 1) % len(genuine)], repeat, verdict("genuine")
        )
        kinds["GET /api/v1/verify/{genuine}, scanned before (settled)"] = requests(
            lambda n: API_ROUTE + genuine[(n + 1) % len(genuine)], repeat, verdict("genuine")
        )
        kinds["GET /v/{genuine}, scanned before (settled)"] = requests(
            lambda n: PAGE_ROUTE + genuine[(n + 1) % len(genuine)], repeat, html
        )
        kinds["GET /api/v1/verify/{forged}"] = requests(
            lambda n: API_ROUTE + forge(tokens[n % len(tokens)]), repeat, verdict("not_genuine")
        )
        kinds["GET /v/{forged}"] = requests(
            lambda n: PAGE_ROUTE + forge(tokens[n % len(tokens)]), repeat, html
        )
        kinds[f"GET {BARE_ROUTE}"] = requests(
            lambda n: BARE_ROUTE, repeat, lambda r: r.json() == {"ok": True}
        )
        # Not in the load: a forged token naming no known key reads the trust generation, and the
        # directory reloads only if keys changed since it loaded (in this process or another).
        unknown_key = requests(
            lambda n: API_ROUTE + forge(forge(tokens[n % len(tokens)]), FINGERPRINT_AT),
            repeat,
            verdict("not_genuine"),
        )
        drain()
        runtime.close()  # stops the log thread; what is still pending is written now
        behind.extend(s for log in statements for _thread, s in log.take())
    finally:
        for log in statements:
            log.close()
        runtime.engine.dispose()
        runtime.replica_reader.dispose()
    genuine_kinds = [v for k, v in kinds.items() if "{genuine}" in k]
    forged_kinds = [v for k, v in kinds.items() if "{forged}" in k]
    behind_verbs = Counter(_verb(s) for s in behind)
    return {
        "kinds": kinds,
        "forged_unknown_key": unknown_key,
        "behind_the_requests": dict(sorted(behind_verbs.items())),
        "forged_reads_nothing": all(k["statements_per_request"]["max"] == 0 for k in forged_kinds),
        "genuine_writes_nothing": all(k["writes"] == 0 for k in genuine_kinds),
    }


# ---------------------------------------------------------------------------------------------
# The server and the load generators
# ---------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """uvicorn (one worker) serving ``bench_app`` in a child process."""

    def __init__(self, settings: Settings, port: int, **env: str) -> None:
        import httpx

        self.base = f"http://127.0.0.1:{port}"
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "bench_verify:bench_app",
            "--factory",
            "--app-dir",
            str(ROOT / "scripts"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ]
        self.process = subprocess.Popen(command, env={**server_env(settings), **env}, cwd=ROOT)
        self.client = httpx.Client(base_url=self.base, timeout=60)
        deadline = time.monotonic() + 60
        while True:
            try:
                if self.client.get("/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError("uvicorn did not start (see its output above)")
            time.sleep(0.2)

    def cpu_seconds(self) -> float | None:
        """User + system CPU time of the server process so far (Linux /proc), None elsewhere."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        self.client.close()
        self.process.terminate()  # uvicorn shuts down gracefully: the verification log is flushed
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass(frozen=True)
class Target:
    name: str
    paths: list[str]
    expect: str  # verdict, "html" or "bare"


def check_targets(server: Server, targets: list[Target]) -> None:
    """Every URL of every target answers 200 with what it should, once, before any load."""
    for target in targets:
        for path in target.paths:
            response = server.client.get(path)
            if response.status_code != 200:
                raise AssertionError(f"{target.name}: GET {path[:50]}… answered {response.status_code}")
            if target.expect == "html":
                ok = response.headers["content-type"].startswith("text/html")
            elif target.expect == "bare":
                ok = response.json() == {"ok": True}
            else:
                ok = response.json()["verdict"] == target.expect
            if not ok:
                raise AssertionError(f"{target.name}: GET {path[:50]}… did not answer {target.expect}")


def classify(server: Server, tokens: list[str]) -> dict[str, str]:
    """The verdict of each real token, as the server gives it."""
    return {t: server.client.get(API_ROUTE + t).json()["verdict"] for t in tokens}


WRK_SCRIPT = r"""
-- Rotates through the paths in the file given after `--`; each thread starts at its own offset.
local paths = {}
local counter = 0
local made = 0

function setup(thread)
  thread:set("offset", made * 7919)
  made = made + 1
end

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  counter = offset or 0
end

function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_VERIFY {"requests":%d,"duration_us":%d,"errors":{"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d},"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


@dataclass
class Generator:
    name: str
    connections: int
    threads: int
    work_dir: Path
    version: str = ""

    def run(self, base: str, target: Target, seconds: float) -> dict[str, Any]:
        raise NotImplementedError

    def describe(self) -> str:
        return f"{self.version}, {self.threads} thread(s), {self.connections} connections"


class Wrk(Generator):
    def __init__(self, connections: int, threads: int, work_dir: Path) -> None:
        super().__init__("wrk", connections, threads, work_dir)
        probe = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
        self.version = (probe.stdout or probe.stderr).split("Copyright")[0].strip() or "wrk"
        self.script = work_dir / "rotate.lua"
        self.script.write_text(WRK_SCRIPT)

    def run(self, base: str, target: Target, seconds: float) -> dict[str, Any]:
        paths = self.work_dir / f"paths-{abs(hash(target.name))}.txt"
        paths.write_text("\n".join(target.paths) + "\n")
        command = ["wrk", "-t", str(self.threads), "-c", str(self.connections), "-d", f"{seconds:g}s",
                   "--timeout", "10s", "-s", str(self.script), base, "--", str(paths)]  # fmt: skip
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        line = next(x for x in out.splitlines() if x.startswith("BENCH_VERIFY "))
        raw = json.loads(line.removeprefix("BENCH_VERIFY "))
        return {
            "requests": raw["requests"],
            "seconds": raw["duration_us"] / 1e6,
            "errors": sum(raw["errors"].values()),
            "p50_ms": raw["p50_us"] / 1000,
            "p99_ms": raw["p99_us"] / 1000,
        }


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


class PythonLoad(Generator):
    """asyncio + httpx in this process (slower than wrk: it may cap the bare route's rate)."""

    def __init__(self, connections: int, threads: int, work_dir: Path) -> None:
        import httpx

        super().__init__("python", connections, 1, work_dir, f"Python asyncio + httpx {httpx.__version__}")

    def run(self, base: str, target: Target, seconds: float) -> dict[str, Any]:
        return asyncio.run(self._run(base, target, seconds))

    async def _run(self, base: str, target: Target, seconds: float) -> dict[str, Any]:
        import httpx

        latencies: list[float] = []
        errors = 0
        limits = httpx.Limits(max_connections=self.connections, max_keepalive_connections=self.connections)
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10) as client:
            deadline = time.perf_counter() + seconds

            async def worker(offset: int) -> None:
                nonlocal errors
                n = offset
                while time.perf_counter() < deadline:
                    n += 1
                    started = time.perf_counter()
                    try:
                        response = await client.get(target.paths[n % len(target.paths)])
                        failed = not 200 <= response.status_code < 300
                    except httpx.HTTPError:
                        failed = True
                    latencies.append(time.perf_counter() - started)
                    errors += failed

            started = time.perf_counter()
            await asyncio.gather(*(worker(k * 7919) for k in range(self.connections)))
            elapsed = time.perf_counter() - started
        return {
            "requests": len(latencies),
            "seconds": elapsed,
            "errors": errors,
            "p50_ms": percentile(latencies, 0.50) * 1000,
            "p99_ms": percentile(latencies, 0.99) * 1000,
        }


def make_generator(
    choice: str, connections: int, threads: int, work_dir: Path
) -> tuple[Generator, str | None]:
    if choice in {"auto", "wrk"} and shutil.which("wrk"):
        return Wrk(connections, threads, work_dir), None
    if choice == "wrk":
        raise SystemExit("wrk is not installed (apt-get install wrk), and --generator wrk was asked for")
    note = None if choice == "python" else "wrk not found: the Python load generator was used instead"
    return PythonLoad(connections, threads, work_dir), note


def load(
    server: Server,
    generator: Generator,
    targets: list[Target],
    args: argparse.Namespace,
    log: Callable[[str], None],
) -> dict[str, list[dict[str, Any]]]:
    """Warm-up over every target, then the timed rounds, each in the reverse order of the last."""
    for target in targets if args.warmup > 0 else []:
        log(f"    warm-up {target.name} ({args.warmup:g} s)")
        generator.run(server.base, target, args.warmup)
    runs: dict[str, list[dict[str, Any]]] = {t.name: [] for t in targets}
    order = list(targets)
    for round_ in range(args.rounds):
        for target in order:
            cpu_before = server.cpu_seconds()
            result = generator.run(server.base, target, args.duration)
            cpu_after = server.cpu_seconds()
            if cpu_before is not None and cpu_after is not None and result["requests"]:
                result["server_cpu_us_per_request"] = (cpu_after - cpu_before) / result["requests"] * 1e6
            result["round"] = round_ + 1
            runs[target.name].append(result)
            log(
                f"    round {round_ + 1} {target.name}: {result['requests'] / result['seconds']:,.0f} req/s, "
                f"p50 {result['p50_ms']:.2f} ms, p99 {result['p99_ms']:.2f} ms, errors {result['errors']}"
            )
        order.reverse()
    return runs


def summarise(runs: dict[str, list[dict[str, Any]]], bare: str) -> dict[str, dict[str, Any]]:
    stats: dict[str, dict[str, Any]] = {}
    for name, rounds in runs.items():
        cpu = [r["server_cpu_us_per_request"] for r in rounds if "server_cpu_us_per_request" in r]
        stats[name] = {
            "requests": sum(r["requests"] for r in rounds),
            "rps": round(sum(r["requests"] for r in rounds) / sum(r["seconds"] for r in rounds), 1),
            "p50_ms": round(statistics.mean(r["p50_ms"] for r in rounds), 3),
            "p99_ms": round(statistics.mean(r["p99_ms"] for r in rounds), 3),
            "server_cpu_us_per_request": round(statistics.mean(cpu), 1) if len(cpu) == len(rounds) else None,
            "errors": sum(r["errors"] for r in rounds),
            "rounds": [
                {k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()}
                | {"rps": round(r["requests"] / r["seconds"], 1)}
                for r in rounds
            ],
        }
    base = stats[bare]
    for s in stats.values():
        cpu, base_cpu = s["server_cpu_us_per_request"], base["server_cpu_us_per_request"]
        s["vs_bare"] = {
            "rps": round(s["rps"] / base["rps"], 3),
            "p50": round(s["p50_ms"] / base["p50_ms"], 2),
            "p99": round(s["p99_ms"] / base["p99_ms"], 2),
            "server_cpu": round(cpu / base_cpu, 2) if cpu and base_cpu else None,
            "added_ms_per_request": round(1000 / s["rps"] - 1000 / base["rps"], 3),
        }
    return stats


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


def run(args: argparse.Namespace, state_dir: Path) -> dict[str, Any]:
    def log(text: str) -> None:
        if not args.json:
            print(text, file=sys.stderr, flush=True)

    port = free_port()
    url = args.database_url or f"sqlite:///{state_dir / 'bench-verify.sqlite3'}"
    settings = bench_settings(url, state_dir, f"http://127.0.0.1:{port}")
    log(f"==> loading the demo into a fresh database ({url.split(':', 1)[0]})")
    demo = prepare(settings)
    tokens: list[str] = demo.pop("tokens")
    generator, generator_note = make_generator(args.generator, args.connections, args.threads, state_dir)

    log("==> starting uvicorn (1 worker) to classify the tokens")
    server = Server(settings, port)
    try:
        verdicts = classify(server, tokens)
    finally:
        server.close()
    genuine = [t for t in tokens if verdicts[t] == "genuine"]

    log("==> counting SQL statements per request (in-process)")
    sql = count_statements(settings, genuine, tokens, args.proof_requests)
    engine = make_engine(url)
    rows_before = log_rows(engine)

    targets = [
        Target(f"GET {BARE_ROUTE} (bare route)", [BARE_ROUTE], "bare"),
        Target(API_TARGET, [API_ROUTE + t for t in genuine], "genuine"),
        Target(PAGE_TARGET, [PAGE_ROUTE + t for t in genuine], "html"),
        Target("GET /api/v1/verify/{forged}", [API_ROUTE + forge(t) for t in tokens], "not_genuine"),
    ]
    log(f"==> load: {generator.describe()}, {args.rounds} × {args.duration:g} s per target")
    server = Server(settings, port)
    try:
        check_targets(server, targets)
        runs = load(server, generator, targets, args, log)
    finally:
        server.close()
    first_scans = [Target(FIRST_SCANS, [API_ROUTE + t for t in genuine], "genuine")]
    log("==> load: the same genuine tokens on a server that keeps nothing (every scan a first scan)")
    server = Server(settings, port, CS_VERIFY_SETTLED_TOKENS="0")
    try:
        check_targets(server, first_scans)
        runs |= load(server, generator, first_scans, args, log)
    finally:
        server.close()
    rows_after = log_rows(engine)
    engine.dispose()
    import uvicorn

    stats = summarise(runs, targets[0].name)
    return {
        "database": url.split(":", 1)[0],
        "demo": demo,
        "tokens": {
            "total": len(tokens),
            "verdicts": dict(Counter(verdicts.values())),
            "rotated": len(genuine),
        },
        "server": {
            "uvicorn": uvicorn.__version__,
            "workers": 1,
            "uvloop": importlib.util.find_spec("uvloop") is not None,
            "httptools": importlib.util.find_spec("httptools") is not None,
        },
        "generator": {
            "name": generator.name,
            "version": generator.version,
            "connections": generator.connections,
            "threads": generator.threads,
            "note": generator_note,
        },
        "warmup_seconds": args.warmup,
        "duration_seconds": args.duration,
        "rounds": args.rounds,
        "cpus": os.cpu_count(),
        "sql_per_request": sql,
        "load": stats,
        "page_vs_api_rps": round(stats[PAGE_TARGET]["rps"] / stats[API_TARGET]["rps"], 3),
        "verification_log_rows_written_during_load": rows_after - rows_before,
    }


def report(result: dict[str, Any]) -> None:
    demo, tok, gen, srv = result["demo"], result["tokens"], result["generator"], result["server"]
    print(
        f"Database: {result['database']}, the demo ({demo['organisations']} organisations, {demo['workers']} "
        f"workers, {demo['certificates']} certificates; loaded in {demo['seconds']:.0f} s). "
        f"{tok['total']} QR tokens: " + ", ".join(f"{n} {v}" for v, n in sorted(tok["verdicts"].items()))
    )
    print(
        f"Server: uvicorn {srv['uvicorn']}, 1 worker"
        + (" (uvloop, httptools)" if srv["uvloop"] and srv["httptools"] else "")
        + f", same machine as the load generator ({result['cpus']} CPUs)"
    )
    print(
        f"Load generator: {gen['version']} — {gen['threads']} thread(s), {gen['connections']} connections; "
        f"{result['warmup_seconds']:g} s warm-up per target, then {result['rounds']} rounds × "
        f"{result['duration_seconds']:g} s per target, alternating order"
    )
    if gen["note"]:
        print(f"  ({gen['note']})")

    sql = result["sql_per_request"]
    print("\nSQL statements per request (in-process TestClient, same database; listener on the engine):")
    print(f"  {'request':<72} {'n':>4} {'statements':>11}  by kind")
    shown = {**sql["kinds"], "GET /api/v1/verify/{forged, unknown key} ≥2 s later (not in the load)": (
        sql["forged_unknown_key"])}  # fmt: skip
    for name, k in shown.items():
        per = k["statements_per_request"]
        span = f"{per['min']}" if per["min"] == per["max"] else f"{per['min']}–{per['max']}"
        verbs = ", ".join(f"{n} {v}" for v, n in k["by_verb"].items()) or "none"
        print(f"  {name:<72} {k['requests']:>4} {span:>11}  {verbs} (total)")
    behind = ", ".join(f"{n} {v}" for v, n in sql["behind_the_requests"].items()) or "none"
    print(f"  written behind the requests, by the verification-log thread: {behind}")
    mark = {True: "yes", False: "NO"}
    forged_ok, genuine_ok = mark[sql["forged_reads_nothing"]], mark[sql["genuine_writes_nothing"]]
    print(f"  forged token, key directory warm: no statement at all ....... {forged_ok}")
    print(f"  genuine token: no INSERT/UPDATE/DELETE in the request ....... {genuine_ok}")

    print("\nUnder load (req/s: all rounds; p50/p99: mean of the rounds; CPU: the server process's):")
    print(
        f"  {'target':<42} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'CPU µs/req':>11} {'errors':>7}"
        f"   vs bare: {'req/s':>6} {'p50':>6} {'p99':>6} {'CPU':>6}  +ms/req"
    )
    for name, s in result["load"].items():
        r = s["vs_bare"]
        cpu = f"{s['server_cpu_us_per_request']:,.0f}" if s["server_cpu_us_per_request"] else "?"
        rcpu = f"{r['server_cpu']:.2f}×" if r["server_cpu"] else "?"
        print(
            f"  {name:<42} {s['rps']:>8,.0f} {s['p50_ms']:>8.2f} {s['p99_ms']:>8.2f} {cpu:>11}"
            f" {s['errors']:>7}            {r['rps']:>5.3f} {r['p50']:>5.2f}× {r['p99']:>5.2f}× {rcpu:>6}"
            f"  {r['added_ms_per_request']:>7.3f}"
        )
    print(
        f"\n  the page /v/{{token}} against the API: {result['page_vs_api_rps']:.3f}× its requests per second"
    )
    print("\n  per round, req/s:")
    for name, s in result["load"].items():
        print(f"  {name:<42} " + "  ".join(f"{x['rps']:>8,.0f}" for x in s["rounds"]))
    print(
        f"\n  errors: socket errors + HTTP status ≥ 400 as the generator counts them (every URL answered 200 "
        f"with the expected verdict before the load).\n  Verification log lines written behind the requests "
        f"during the load: {result['verification_log_rows_written_during_load']:,} (one per genuine look-up; "
        "none for a forged token)."
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--connections", type=int, default=8, help="concurrent connections (default 8)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    parser.add_argument(
        "--duration", type=float, default=10, help="seconds per target per round (default 10)"
    )
    parser.add_argument("--warmup", type=float, default=3, help="warm-up seconds per target (default 3)")
    parser.add_argument("--rounds", type=int, default=2, help="timed rounds, alternating order (default 2)")
    parser.add_argument(
        "--generator",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="load generator: wrk when installed (auto), or Python asyncio + httpx",
    )
    parser.add_argument(
        "--proof-requests", type=int, default=20, help="in-process requests per kind (SQL count)"
    )
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: SQLite in a temp dir)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.connections < 1 or not 1 <= args.threads <= args.connections:
        parser.error("--connections must be at least 1, --threads between 1 and --connections")
    if args.duration <= 0 or args.warmup < 0 or args.rounds < 1 or args.proof_requests < 1:
        parser.error("--duration, --rounds and --proof-requests must be positive")
    with tempfile.TemporaryDirectory(prefix="bench-verify-") as tmp:
        result = run(args, Path(tmp))
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        report(result)
    sql = result["sql_per_request"]
    errors = sum(s["errors"] for s in result["load"].values())
    if not (sql["forged_reads_nothing"] and sql["genuine_writes_nothing"]) or errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
