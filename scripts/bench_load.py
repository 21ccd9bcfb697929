"""Mixed load on the production shape (issue 16): verification, issuance and file reads together.

1. ``scripts/cluster up`` in a temporary folder on free ports: a PostgreSQL primary, its synchronous
   hot standby, the service with ``--workers`` (4) processes, the demo data (``--attach`` uses a
   cluster already up instead, from the ``CS_*`` variables ``scripts/cluster`` reads).
2. What the requests need, read from the cluster's database and keystore: every demo certificate's
   QR token, an access token for every demo worker and one for an administrator (60 minutes each).
3. **Capacity of each kind alone**, closed loop (each connection sends its next request when the
   last one is answered), at 4, 8, 16 and 32 connections until one more step adds less than 5 %;
   the capacity is the best step's successful answers per second:
   - ``verify``: ``GET /api/v1/verify/{token}``, the demo certificates' QR tokens in turn (read from
     the standby; after a token's first scan each process keeps its answer, decision 040);
   - ``file``: ``GET /api/v1/me/file`` with the workers' tokens in turn (a whole lifelong file);
   - ``issue``: ``POST /credentials/issue`` as an administrator (a VC 2.0 credential signed with
     eddsa-rdfc-2022, given a status-list index and appended to the transparency log; a skill
     certificate's own path waits out a 公示 publicity period, decision 043).
4. **Mixed load, open loop** (wrk2-style: requests leave at fixed times whatever the answers, and a
   request's latency counts from the time it was due, so a slow server cannot hide its queue): each
   kind takes an equal share of the capacity (``--mix``), so at load L kind k is sent at
   L × share(k) × capacity(k) requests per second. Three phases back to back: ``normal`` at
   ``--normal`` (70 %) for ``--seconds`` (60), ``overload`` at ``--overload`` (150 %) for as long,
   then ``recovery`` at the normal rate for ``--recovery-seconds`` (30), as soon as the overload's
   last answer came back. Per phase and kind: answers by status, p50/p99/max latency of the
   successful ones, and how late the generator sent (it must keep up for the figures to hold).
5. The service's own access log is read for any 5xx other than 503; ``scripts/cluster down``.

Success: the normal and recovery phases have no error at all (every answer 2xx), and no phase has a
500. Under overload the service is expected to refuse what it cannot do in time with 503 (and
``Retry-After``), by the per-process admission limit (``web.admission``, ``CS_MAX_IN_FLIGHT``).

The generator is one asyncio process on the same machine, on keep-alive HTTP/1.1 connections whose
answers httptools parses (uvicorn's own parser): about 20 µs of CPU a request, where httpx's client
took 1.1 ms here, which at these rates would have taken a core from the service it measures.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httptools
import orjson
import uvloop

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from credential_service.certificates.models import CertificateQRCode  # noqa: E402
from credential_service.core.config import Settings  # noqa: E402
from credential_service.identity.models import Person  # noqa: E402
from credential_service.issuers.rules import PLATFORM_CODE, issuer_did  # noqa: E402
from credential_service.platform.tokens import STAFF_SCOPES, Principal, Role, mint_token  # noqa: E402
from credential_service.runtime import build_runtime  # noqa: E402

CLUSTER = ROOT / "scripts" / "cluster"
PASSPHRASE = "cluster demo passphrase"  # scripts/cluster's default (benchmark data only)
KINDS = ("verify", "file", "issue")
ROUTES = {
    "verify": "GET /api/v1/verify/{token}",
    "file": "GET /api/v1/me/file",
    "issue": "POST /credentials/issue",
}
RAMP = (4, 8, 16, 32)
RAMP_GAIN = 1.05  # a step must add 5 % to be worth the next one
TIMEOUT = 10.0  # seconds: an answer later than this counts as a timeout (an error)
MAX_CONNECTIONS = 512  # open-loop connections at most; a request beyond waits (and its wait counts)
SHED = (429, 503)

# ---------------------------------------------------------------------------------------------
# HTTP/1.1 over keep-alive connections
# ---------------------------------------------------------------------------------------------


class _Answer:
    """httptools callbacks: only the end of the message matters (the body is not kept)."""

    __slots__ = ("done",)

    def __init__(self) -> None:
        self.done = False

    def on_message_complete(self) -> None:
        self.done = True


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def exchange(self, request: bytes) -> tuple[int, bool]:
        """Send one request; the answer's status and whether the connection may be used again."""
        self.writer.write(request)
        answer = _Answer()
        parser = httptools.HttpResponseParser(answer)
        while not answer.done:
            data = await self.reader.read(65536)
            if not data:
                raise ConnectionResetError("the server closed the connection")
            parser.feed_data(data)
        return parser.get_status_code(), parser.should_keep_alive()

    def close(self) -> None:
        self.writer.close()


class Pool:
    """Keep-alive connections to one server, at most ``limit``; a request beyond waits for one."""

    def __init__(self, host: str, port: int, limit: int) -> None:
        self.host, self.port, self.limit = host, port, limit
        self.idle: list[Connection] = []
        self.opened = 0
        self.waiting: collections.deque[asyncio.Future[Connection | None]] = collections.deque()

    async def request(self, raw: bytes) -> int:
        """The answer's status; TimeoutError after ``TIMEOUT`` s, OSError on a broken connection."""
        async with asyncio.timeout(TIMEOUT):
            connection = await self._acquire()
            try:
                status, keep = await connection.exchange(raw)
            except BaseException:
                self._discard(connection)
                raise
        if keep:
            self._release(connection)
        else:
            self._discard(connection)
        return status

    async def _acquire(self) -> Connection:
        if self.idle:
            return self.idle.pop()
        if self.opened >= self.limit:
            waiter: asyncio.Future[Connection | None] = asyncio.get_running_loop().create_future()
            self.waiting.append(waiter)
            try:
                handed = await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled() and (given := waiter.result()) is not None:
                    self._release(given)
                elif waiter in self.waiting:
                    self.waiting.remove(waiter)
                raise
            if handed is not None:
                return handed
        self.opened += 1  # a place freed by a discarded connection, or below the limit
        try:
            reader, writer = await asyncio.open_connection(self.host, self.port)
        except BaseException:
            self.opened -= 1
            self._wake(None)
            raise
        return Connection(reader, writer)

    def _wake(self, connection: Connection | None) -> bool:
        while self.waiting:
            waiter = self.waiting.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return True
        return False

    def _release(self, connection: Connection) -> None:
        if not self._wake(connection):
            self.idle.append(connection)

    def _discard(self, connection: Connection) -> None:
        connection.close()
        self.opened -= 1
        if self.opened < self.limit:
            self._wake(None)

    def close(self) -> None:
        for connection in self.idle:
            connection.close()
        self.idle.clear()


# ---------------------------------------------------------------------------------------------
# The cluster and what the requests need
# ---------------------------------------------------------------------------------------------


def free_ports(count: int) -> list[int]:
    import socket

    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [int(probe.getsockname()[1]) for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def exported(printed: str) -> dict[str, str]:
    """The ``export NAME=value`` lines ``scripts/cluster`` prints."""
    return dict(
        line.strip().removeprefix("export ").split("=", 1)
        for line in printed.splitlines()
        if line.strip().startswith("export ")
    )


@contextmanager
def cluster(args: argparse.Namespace) -> Iterator[tuple[dict[str, str], Path | None]]:
    """A running cluster's CLI environment and its service log (``--attach``: the one already up)."""
    if args.attach:
        shown = subprocess.run([CLUSTER, "env"], check=True, capture_output=True, text=True).stdout
        state = os.environ.get("CS_CLUSTER_DIR", str(ROOT / "var" / "cluster"))
        yield exported(shown), Path(state) / "service.log"
        return
    place = Path(tempfile.mkdtemp(prefix="cs-bench-load-"))
    place.chmod(0o755)  # PostgreSQL's own user must reach its data directories
    port, pg_port, standby_port = free_ports(3)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),  # the workers import this checkout, whatever the venv points at
        "CS_CLUSTER_DIR": str(place / "cluster"),
        "CS_PORT": str(port),
        "CS_PG_PORT": str(pg_port),
        "CS_PG_STANDBY_PORT": str(standby_port),
        "CS_WORKERS": str(args.workers),
        "CS_KEYSTORE_PASSPHRASE": PASSPHRASE,
    }
    print(
        f"==> scripts/cluster up ({args.workers} workers, ports {port}/{pg_port}/{standby_port})",
        file=sys.stderr,
    )
    try:
        up = subprocess.run(
            [CLUSTER, "up"], check=False, env=env, capture_output=True, text=True, timeout=600
        )
        if up.returncode != 0:
            raise SystemExit(f"scripts/cluster up failed:\n{up.stdout}\n{up.stderr}")
        yield exported(up.stdout), place / "cluster" / "service.log"
    finally:
        print("==> scripts/cluster down", file=sys.stderr)
        subprocess.run([CLUSTER, "down"], check=False, env=env, capture_output=True, timeout=300)
        shutil.rmtree(place, ignore_errors=True)


@dataclass(frozen=True)
class Requests:
    """The prepared bytes of every request of each kind, sent in turn."""

    host: str
    port: int
    by_kind: dict[str, list[bytes]]

    def maker(self, kind: str) -> Callable[[int], bytes]:
        items = self.by_kind[kind]
        return lambda n: items[n % len(items)]


def _raw(method: str, path: str, host: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", *(f"{k}: {v}" for k, v in headers.items())]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def prepare(environment: dict[str, str]) -> Requests:
    base = environment["CS_PUBLIC_BASE_URL"]
    settings = Settings(
        environment="development",
        database_url=environment["CS_DATABASE_URL"],
        database_replica_url=environment.get("CS_DATABASE_REPLICA_URL"),
        keystore_dir=Path(environment["CS_KEYSTORE_DIR"]),
        keystore_passphrase=os.environ.get("CS_KEYSTORE_PASSPHRASE", PASSPHRASE),
        public_base_url=base,
    )
    runtime = build_runtime(settings)
    try:
        with runtime.read_session() as session:
            tokens = list(session.scalars(select(CertificateQRCode.token).order_by(CertificateQRCode.token)))
            people = list(session.scalars(select(Person.public_id).order_by(Person.public_id)))

        def bearer(principal: Principal) -> str:
            minted = mint_token(runtime.keystore, issuer=base, audience=base, principal=principal, minutes=60)
            return f"Bearer {minted}"

        admin = bearer(Principal(Role.ADMIN, "admin:bench-load", STAFF_SCOPES[Role.ADMIN]))
        workers = [
            bearer(Principal(Role.WORKER, f"worker:{p}", frozenset({"file:read", "L2"}), p)) for p in people
        ]
    finally:
        runtime.close()
    if not tokens or not workers:
        raise SystemExit("the cluster has no demo certificates or workers (CS_CLUSTER_DEMO=0?)")
    where = urlsplit(base)
    host = where.netloc
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential", "ExampleAchievementCredential"],
        "issuer": issuer_did(base, PLATFORM_CODE),
        "credentialSubject": {"id": "did:example:bench-load", "name": "压测样例"},
    }
    body = orjson.dumps({"credential": credential})
    return Requests(
        host=where.hostname or "127.0.0.1",
        port=where.port or 80,
        by_kind={
            "verify": [_raw("GET", f"/api/v1/verify/{t}", host, {}) for t in tokens],
            "file": [_raw("GET", "/api/v1/me/file", host, {"Authorization": w}) for w in workers],
            "issue": [
                _raw(
                    "POST",
                    "/credentials/issue",
                    host,
                    {"Authorization": admin, "Content-Type": "application/json"},
                    body,
                )
            ],
        },
    )


# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------


@dataclass
class Sample:
    """What one kind's requests got in one phase or step."""

    statuses: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)  # seconds, successful answers only
    send_lag: list[float] = field(default_factory=list)  # open loop: seconds after the due time

    def record(self, outcome: str, seconds: float) -> None:
        self.statuses[outcome] += 1
        if outcome.startswith("2"):
            self.latencies.append(seconds)

    @property
    def ok(self) -> int:
        return sum(n for s, n in self.statuses.items() if s.startswith("2"))

    @property
    def errors(self) -> int:
        return sum(self.statuses.values()) - self.ok

    def summary(self, seconds: float) -> dict[str, Any]:
        return {
            "sent": sum(self.statuses.values()),
            "ok_per_second": round(self.ok / seconds, 1),
            "statuses": dict(sorted(self.statuses.items())),
            "p50_ms": _ms(self.latencies, 0.50),
            "p99_ms": _ms(self.latencies, 0.99),
            "max_ms": round(max(self.latencies) * 1000, 1) if self.latencies else None,
            "send_lag_p99_ms": _ms(self.send_lag, 0.99),
        }


def _ms(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)


async def _one(pool: Pool, raw: bytes, due: float, sample: Sample) -> None:
    loop = asyncio.get_running_loop()
    try:
        outcome = str(await pool.request(raw))
    except TimeoutError:
        outcome = "timeout"
    except OSError:
        outcome = "connection error"
    sample.record(outcome, loop.time() - due)


async def closed_loop(requests: Requests, kind: str, connections: int, seconds: float) -> Sample:
    """``connections`` loops, each sending its next request when the last one is answered."""
    pool = Pool(requests.host, requests.port, connections)
    make, sample, counter = requests.maker(kind), Sample(), iter(range(sys.maxsize))
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds

    async def sender() -> None:
        while loop.time() < end:
            await _one(pool, make(next(counter)), loop.time(), sample)

    await asyncio.gather(*(sender() for _ in range(connections)))
    pool.close()
    return sample


async def open_loop(
    requests: Requests, rates: dict[str, float], seconds: float
) -> tuple[dict[str, Sample], float]:
    """Each kind's requests due at fixed intervals for ``seconds``, sent when due whatever came back
    before; the samples, and how long the last answers took to come back after the last was due."""
    pool = Pool(requests.host, requests.port, MAX_CONNECTIONS)
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05
    samples = {kind: Sample() for kind in rates}
    pending: set[asyncio.Task[None]] = set()

    async def schedule(kind: str, rate: float) -> None:
        make, sample, n = requests.maker(kind), samples[kind], 0
        while (due := start + n / rate) < start + seconds:
            if (wait := due - loop.time()) > 0:
                await asyncio.sleep(wait)
            sample.send_lag.append(max(0.0, loop.time() - due))
            task = asyncio.create_task(_one(pool, make(n), due, sample))
            pending.add(task)
            task.add_done_callback(pending.discard)
            n += 1

    await asyncio.gather(*(schedule(kind, rate) for kind, rate in rates.items() if rate > 0))
    last_due = loop.time()
    while pending:
        await asyncio.gather(*list(pending))
    drained = loop.time() - last_due
    pool.close()
    return samples, drained


async def capacity(requests: Requests, kind: str, step_seconds: float, warmup: float) -> dict[str, Any]:
    """The kind's best successful answers per second over the ramp (closed loop)."""
    await closed_loop(requests, kind, RAMP[0], warmup)
    steps: list[dict[str, Any]] = []
    best: dict[str, Any] | None = None
    for connections in RAMP:
        started = time.process_time()
        sample = await closed_loop(requests, kind, connections, step_seconds)
        step = {
            "connections": connections,
            **sample.summary(step_seconds),
            "generator_cpu_share": round((time.process_time() - started) / step_seconds, 3),
        }
        steps.append(step)
        print(
            f"    {kind:<7} {connections:>3} connections: {step['ok_per_second']:>8,.1f}/s, "
            f"p99 {step['p99_ms']} ms, {step['statuses']}",
            file=sys.stderr,
        )
        if best is not None and step["ok_per_second"] < best["ok_per_second"] * RAMP_GAIN:
            best = step if step["ok_per_second"] > best["ok_per_second"] else best
            break
        best = step
    assert best is not None
    return {
        "requests_per_second": best["ok_per_second"],
        "at_connections": best["connections"],
        "steps": steps,
    }


def rates_at(load: float, capacities: dict[str, float], mix: dict[str, float]) -> dict[str, float]:
    """Requests per second of each kind so that the kinds together use ``load`` of the capacity,
    each its share of it: sum(rate(k) / capacity(k)) == load."""
    total = sum(mix.values())
    return {kind: load * mix[kind] / total * capacities[kind] for kind in mix}


async def phase(name: str, requests: Requests, rates: dict[str, float], seconds: float) -> dict[str, Any]:
    shown = ", ".join(f"{k} {r:,.1f}/s" for k, r in rates.items())
    print(f"==> {name}: {seconds:g} s, {shown}", file=sys.stderr)
    cpu = time.process_time()
    samples, drained = await open_loop(requests, rates, seconds)
    result = {
        "seconds": seconds,
        "rates": {k: round(r, 1) for k, r in rates.items()},
        "kinds": {kind: s.summary(seconds) for kind, s in samples.items()},
        "drained_seconds": round(drained, 2),
        "generator_cpu_share": round((time.process_time() - cpu) / (seconds + drained), 3),
    }
    for kind, s in result["kinds"].items():
        print(f"    {kind:<7} {s['statuses']} p99 {s['p99_ms']} ms", file=sys.stderr)
    return result


def server_errors(log: Path | None) -> dict[str, int]:
    """Answers of the service's own access log by 5xx status (its JSON lines), and error lines."""
    found: Counter[str] = Counter()
    if log is None or not log.exists():
        return {}
    with log.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            if '"status": 5' in line and (m := re.search(r'"status": (5\d\d)', line)):
                found[m.group(1)] += 1
            if '"level": "error"' in line:
                found["error log lines"] += 1
    return dict(sorted(found.items()))


async def measure(args: argparse.Namespace, requests: Requests) -> dict[str, Any]:
    print("==> capacity of each kind alone (closed loop)", file=sys.stderr)
    capacities = {kind: await capacity(requests, kind, args.step_seconds, args.warmup) for kind in KINDS}
    best = {kind: c["requests_per_second"] for kind, c in capacities.items()}
    normal = rates_at(args.normal, best, args.mix)
    phases = {
        "normal": await phase("normal", requests, normal, args.seconds),
        "overload": await phase("overload", requests, rates_at(args.overload, best, args.mix), args.seconds),
        "recovery": await phase("recovery", requests, normal, args.recovery_seconds),
    }
    return {"capacity": capacities, "phases": phases}


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


def verdicts(result: dict[str, Any]) -> dict[str, bool]:
    phases = result["phases"]

    def clean(name: str) -> bool:
        return all(set(k["statuses"]) <= {"200", "201"} for k in phases[name]["kinds"].values())

    overload = Counter[str]()
    for k in phases["overload"]["kinds"].values():
        overload.update(k["statuses"])
    return {
        "normal: no error": clean("normal"),
        "overload: refusals are 429/503 only": all(
            s.startswith("2") or int(s) in SHED for s in overload if s.isdigit()
        )
        and not any(not s.isdigit() for s in overload),
        "overload: the service shed load": any(overload[str(s)] for s in SHED),
        "recovery: no error": clean("recovery"),
        "no 500 anywhere (the service's own log)": not any(
            s.startswith("5") and s != "503" for s in result["server_log"]
        ),
    }


def report(result: dict[str, Any]) -> None:
    print(
        f"Mixed load on the cluster: {result['workers']} worker processes, PostgreSQL primary + synchronous "
        f"standby, demo data ({result['certificates']} certificates, {result['workers_in_demo']} workers); "
        f"{result['cpus']} CPUs shared with the load generator"
    )
    print(f"Admission limit per process: {result['admission']}")
    print("\nCapacity of each kind alone (closed loop, best of the ramp):")
    print(f"  {'kind':<7} {'route':<28} {'answers/s':>10} {'at conns':>9} {'p50 ms':>8} {'p99 ms':>8}")
    for kind, c in result["capacity"].items():
        step = next(s for s in c["steps"] if s["connections"] == c["at_connections"])
        print(
            f"  {kind:<7} {ROUTES[kind]:<28} {c['requests_per_second']:>10,.1f} {c['at_connections']:>9} "
            f"{step['p50_ms']!s:>8} {step['p99_ms']!s:>8}"
        )
    mix = result["mix"]
    print(f"\nMixed, open loop (shares of the capacity: {mix}); latency from the time each request was due:")
    for name, p in result["phases"].items():
        print(
            f"\n  {name} ({p['seconds']:g} s; answers in flight drained {p['drained_seconds']} s after the "
            f"last was due; generator CPU {p['generator_cpu_share']:.0%} of a core)"
        )
        print(
            f"  {'kind':<7} {'rate/s':>8} {'sent':>7} {'ok/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} "
            f"{'late p99':>9}  statuses"
        )
        for kind, k in p["kinds"].items():
            statuses = ", ".join(f"{s}: {n}" for s, n in k["statuses"].items())
            print(
                f"  {kind:<7} {p['rates'][kind]:>8,.1f} {k['sent']:>7} {k['ok_per_second']:>8,.1f} "
                f"{k['p50_ms']!s:>8} {k['p99_ms']!s:>8} {k['max_ms']!s:>8} {k['send_lag_p99_ms']!s:>9}  "
                f"{statuses}"
            )
    print(f"\nThe service's access log, 5xx answers over the whole run: {result['server_log'] or 'none'}")
    for check, passed in result["verdicts"].items():
        print(f"  {check:.<60} {'yes' if passed else 'NO'}")


def parse_mix(text: str) -> dict[str, float]:
    mix = {}
    for part in text.split(","):
        kind, _, share = part.partition("=")
        if kind.strip() not in KINDS or not share:
            raise argparse.ArgumentTypeError(f"--mix: KIND=SHARE for each of {', '.join(KINDS)}")
        mix[kind.strip()] = float(share)
    if set(mix) != set(KINDS) or any(v < 0 for v in mix.values()) or not sum(mix.values()):
        raise argparse.ArgumentTypeError(f"--mix: a share for each of {', '.join(KINDS)}")
    return mix


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, default=4, help="service worker processes (default 4)")
    parser.add_argument("--seconds", type=float, default=60, help="normal and overload phases (default 60)")
    parser.add_argument("--recovery-seconds", type=float, default=30, help="recovery phase (default 30)")
    parser.add_argument("--normal", type=float, default=0.70, help="normal load, of capacity (default 0.70)")
    parser.add_argument("--overload", type=float, default=1.50, help="overload, of capacity (default 1.50)")
    parser.add_argument("--step-seconds", type=float, default=8, help="capacity: seconds a ramp step (8)")
    parser.add_argument("--warmup", type=float, default=3, help="capacity: warm-up seconds per kind (3)")
    parser.add_argument(
        "--mix",
        type=parse_mix,
        default=parse_mix("verify=1,file=1,issue=1"),
        help="each kind's share of the capacity (default verify=1,file=1,issue=1)",
    )
    parser.add_argument(
        "--attach",
        action="store_true",
        help="use the cluster already up (CS_PORT, CS_PG_PORT, … as scripts/cluster reads them)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.workers < 1 or args.seconds <= 0 or args.recovery_seconds <= 0 or args.step_seconds <= 0:
        parser.error("--workers, --seconds, --recovery-seconds and --step-seconds must be positive")
    with cluster(args) as (environment, service_log):
        requests = prepare(environment)
        defaults = Settings()
        result: dict[str, Any] = {
            "workers": args.workers,
            "cpus": os.cpu_count(),
            "certificates": len(requests.by_kind["verify"]),
            "workers_in_demo": len(requests.by_kind["file"]),
            "admission": {
                "max_in_flight": int(os.environ.get("CS_MAX_IN_FLIGHT", defaults.max_in_flight)),
                "max_waiting": int(os.environ.get("CS_MAX_WAITING", defaults.max_waiting)),
                "max_wait_seconds": float(os.environ.get("CS_MAX_WAIT_SECONDS", defaults.max_wait_seconds)),
            },
            "mix": {k: round(v / sum(args.mix.values()), 3) for k, v in args.mix.items()},
            **uvloop.run(measure(args, requests)),
        }
        result["server_log"] = server_errors(service_log)
    result["verdicts"] = verdicts(result)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        report(result)
    sys.exit(0 if all(result["verdicts"].values()) else 1)


if __name__ == "__main__":
    main()
