"""Mixed load on the production shape (issue 16): verification, issuance and file reads together.

1. ``scripts/cluster up`` with ``--workers`` (4) service processes: a PostgreSQL primary, its
   synchronous hot standby, the demo data (ports from ``CS_PORT``, ``CS_PG_PORT``,
   ``CS_PG_STANDBY_PORT`` when set, else free ones; state in a temporary folder; torn down at the
   end). ``--url URL`` uses a service already running instead; the database and keystore it uses
   are read from ``CS_DATABASE_URL``, ``CS_KEYSTORE_DIR``, … (``eval "$(scripts/cluster env)"``),
   or from ``scripts/cluster env`` when those are unset.
2. What the requests need, from the cluster's database and keystore: the demo certificates' QR
   tokens, a 60-minute access token for each demo worker and each demo organisation, and result
   sheets of ``--batch`` (1) candidates each, filed by the three demo organisations a month ago, so
   their 公示 publicity is over and each can be issued once.
3. The kinds, mixed by request count as ``--mix`` says (default verify=6,file=3,issue=1):
   ``verify`` ``GET /api/v1/verify/{token}`` (read from the standby; a token scanned before is
   answered from the process's settled scans, decision 040), ``file`` ``GET /api/v1/me/file`` (a
   worker's whole lifelong file), ``issue`` ``POST /api/v1/submissions/{id}/issue`` as the
   organisation (sign, number, status-list index, transparency log, file entries; the commit waits
   for the standby).
4. **Capacity**: the highest rate of the mix the service sustains. From the rate of a closed loop
   (16 connections, ``--warmup`` s: it waits on the slowest answers, so it finds less than the
   service can do), open-loop steps of ``--step-seconds`` (5), each 1.2× the last, until one is not
   sustained: an answer not 2xx, a kind's p99 over 1 s, or the last answers back more than 1 s
   after the last request was due (a queue left growing). The capacity is the last sustained rate.
5. **Phases**, open loop at fixed rates (load_generator.py): ``normal`` at 70 % of the capacity for
   ``--duration`` (60 s), ``overload`` at 150 % for as long, ``recovery`` at 70 % for a third of it,
   each as soon as the answers of the one before are back. Per phase and kind: answers by status,
   p50/p99/max latency of the successful ones (from the time each request was due), how late the
   generator sent. The service's own count of answers by status (``/metrics``) before and after.

Exit 1 if any 500 (or other 5xx but 503) is seen, by the generator or in the service's metrics, or
if the normal phase has any error. Under overload the service is expected to refuse what it cannot
do in time with 503 and ``Retry-After`` (``web.admission``: ``CS_MAX_IN_FLIGHT`` reads and
``CS_MAX_WRITES_IN_FLIGHT`` writes a process; rate limits answer 429) and to serve the recovery
phase cleanly; both are reported.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import uvloop

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from load_generator import Supply, Target, closed_loop, interleaved, open_loop  # noqa: E402
from load_report import report, verdicts  # noqa: E402
from sqlalchemy import select  # noqa: E402

from credential_service.assessment.occupations.rules import BUILTIN_OCCUPATIONS  # noqa: E402
from credential_service.assessment.organisations import service as organisations  # noqa: E402
from credential_service.assessment.workflow import plans, submissions  # noqa: E402
from credential_service.assessment.workflow.results.sheet import read_csv  # noqa: E402
from credential_service.certificates.models import CertificateQRCode  # noqa: E402
from credential_service.core.clock import beijing_date, utcnow  # noqa: E402
from credential_service.core.config import Settings  # noqa: E402
from credential_service.demo import DEMO_ORGANISATIONS, demo_id_number, demo_name  # noqa: E402
from credential_service.identity.models import Person  # noqa: E402
from credential_service.platform.tokens import ORGANISATION_SCOPES, Principal, Role, mint_token  # noqa: E402
from credential_service.runtime import Runtime, build_runtime  # noqa: E402

CLUSTER = ROOT / "scripts" / "cluster"
PASSPHRASE = "cluster demo passphrase"  # scripts/cluster's default (benchmark data only)
KINDS = ("verify", "file", "issue")
WARM_CONNECTIONS = 16
RAMP_GROWTH = 1.2  # each capacity step offers this much more than the last
MAX_STEPS = 16
P99_LIMIT_MS = 1000  # a step is sustained when every kind's p99 is within this,
LATE_LIMIT = 1.0  # the last answers come back within this many seconds of the last due,
SETTLE_SECONDS = 1.0  # and every answer is 2xx; between steps a pause
SHEET_HEADER = "证件类型,证件号码,姓名,理论知识成绩,技能操作成绩\n"
SHEETS_A_TRANSACTION = 50
FILED_DAYS_AGO = 30  # publicity (5 working days) long over

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
def cluster(args: argparse.Namespace) -> Iterator[dict[str, str]]:
    """The CLI environment of a running service: ``--url``'s, or a cluster's brought up for the run."""
    if args.url:
        named = {k: v for k, v in os.environ.items() if k.startswith("CS_")}
        if "CS_DATABASE_URL" not in named:
            shown = subprocess.run([CLUSTER, "env"], check=True, capture_output=True, text=True).stdout
            named = {**exported(shown), **named}
        yield {**named, "CS_PUBLIC_BASE_URL": named.get("CS_PUBLIC_BASE_URL", args.url.rstrip("/"))}
        return
    place = Path(tempfile.mkdtemp(prefix="cs-bench-load-"))
    place.chmod(0o755)  # PostgreSQL's own user must reach its data directories
    spare = iter(free_ports(3))
    ports = [
        os.environ.get(name) or str(next(spare)) for name in ("CS_PORT", "CS_PG_PORT", "CS_PG_STANDBY_PORT")
    ]
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),  # the workers import this checkout, whatever the venv points at
        "CS_CLUSTER_DIR": str(place / "cluster"),
        "CS_CLUSTER_BOOTSTRAP": "0",  # scripts/bench has just run it
        "CS_PORT": ports[0],
        "CS_PG_PORT": ports[1],
        "CS_PG_STANDBY_PORT": ports[2],
        "CS_WORKERS": str(args.workers),
        "CS_KEYSTORE_PASSPHRASE": os.environ.get("CS_KEYSTORE_PASSPHRASE", PASSPHRASE),
    }
    print(f"==> scripts/cluster up ({args.workers} workers, ports {'/'.join(ports)})", file=sys.stderr)
    try:
        up = subprocess.run(
            [CLUSTER, "up"], check=False, env=env, capture_output=True, text=True, timeout=900
        )
        if up.returncode != 0:
            raise SystemExit(f"scripts/cluster up failed:\n{up.stdout}\n{up.stderr}")
        yield {**exported(up.stdout), "CS_KEYSTORE_PASSPHRASE": env["CS_KEYSTORE_PASSPHRASE"]}
    finally:
        print("==> scripts/cluster down", file=sys.stderr)
        subprocess.run([CLUSTER, "down"], check=False, env=env, capture_output=True, timeout=300)
        shutil.rmtree(place, ignore_errors=True)


def _raw(method: str, path: str, host: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", *(f"{k}: {v}" for k, v in headers.items())]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class Prepared:
    """The requests of each kind, and more issuance requests on demand (each issues a batch once)."""

    def __init__(self, environment: dict[str, str], batch: int) -> None:
        self.base = environment["CS_PUBLIC_BASE_URL"]
        where = urlsplit(self.base)
        self.host, self.port, self.netloc = where.hostname or "127.0.0.1", where.port or 80, where.netloc
        self.batch, self.rng, self.filed = batch, random.Random(time.time_ns()), 0
        self.runtime: Runtime = build_runtime(
            Settings(
                environment="development",
                database_url=environment["CS_DATABASE_URL"],
                keystore_dir=Path(environment["CS_KEYSTORE_DIR"]),
                keystore_passphrase=environment.get("CS_KEYSTORE_PASSPHRASE", PASSPHRASE),
                public_base_url=self.base,
            )
        )
        with self.runtime.read_session() as session:
            tokens = list(session.scalars(select(CertificateQRCode.token).order_by(CertificateQRCode.token)))
            people = list(session.scalars(select(Person.public_id).order_by(Person.public_id)))
        if not tokens or not people:
            raise SystemExit("the service has no demo certificates or workers (CS_CLUSTER_DEMO=0?)")
        workers = [self.bearer(Principal(Role.WORKER, f"worker:{p}", frozenset(), p)) for p in people]
        self.organisations = {
            code: self.bearer(Principal(Role.ORGANISATION, f"org:{code}", ORGANISATION_SCOPES, tenant=code))
            for code, _ in DEMO_ORGANISATIONS
        }
        self.plans = {code: f"LOAD-{time.time_ns() % 10**9}-{i}" for i, code in enumerate(self.organisations)}
        supplies = {
            "verify": Supply([_raw("GET", f"/api/v1/verify/{t}", self.netloc, {}) for t in tokens]),
            "file": Supply(
                [_raw("GET", "/api/v1/me/file", self.netloc, {"Authorization": w}) for w in workers]
            ),
            "issue": Supply([], once=True),
        }
        self.target = Target(self.host, self.port, supplies)
        self.counts = {"certificates": len(tokens), "workers": len(people)}

    def bearer(self, principal: Principal) -> str:
        minted = mint_token(
            self.runtime.keystore, issuer=self.base, audience=self.base, principal=principal, minutes=60
        )
        return f"Bearer {minted}"

    def top_up_issuance(self, wanted: int) -> None:
        """File result sheets until ``wanted`` issuance requests are left (publicity long over)."""
        missing = wanted - self.target.supplies["issue"].left
        while missing > 0:
            chunk = min(missing, SHEETS_A_TRANSACTION)
            self.target.supplies["issue"].items += self._file_sheets(chunk)
            missing -= chunk

    def _file_sheets(self, count: int) -> list[bytes]:
        filed_at = utcnow() - timedelta(days=FILED_DAYS_AGO)
        occupation, requests = BUILTIN_OCCUPATIONS[0], []
        with self.runtime.session() as session:
            for n in range(count):
                code = list(self.organisations)[(self.filed + n) % len(self.organisations)]
                organisation = organisations.get_organisation(session, code)
                if self.filed + n < len(self.organisations):  # each organisation's plan, once
                    exam_end = beijing_date(filed_at) - timedelta(days=3)
                    plans.file_plan(
                        session,
                        organisation,
                        plan_ref=self.plans[code],
                        occupation_code=occupation.code,
                        subtype=occupation.subtype,
                        level=4,
                        exam_start=exam_end - timedelta(days=1),
                        exam_end=exam_end,
                        examiners=[{"name": "李考评", "certificate_number": "KP1401000001"}],
                        now=filed_at,
                    )
                sheet = self._sheet()
                submission = submissions.submit_results(
                    session,
                    self.runtime.keystore,
                    self.runtime.settings.data_key_bytes,
                    organisation,
                    plan_ref=self.plans[code],
                    rows=read_csv(io.BytesIO(sheet)),
                    source="csv",
                    content_sha256=hashlib.sha256(sheet).hexdigest(),
                    accept_valid_rows=True,
                    now=filed_at,
                )
                path = f"/api/v1/submissions/{submission.public_id}/issue"
                requests.append(_raw("POST", path, self.netloc, {"Authorization": self.organisations[code]}))
        self.filed += count
        return requests

    def _sheet(self) -> bytes:
        rows = "".join(
            f"居民身份证,{demo_id_number(self.rng)},{demo_name(self.rng)},"
            f"{self.rng.randint(62, 95)},{self.rng.randint(64, 96)}\n"
            for _ in range(self.batch)
        )
        return (SHEET_HEADER + rows).encode()


def served_statuses(base: str) -> Counter[str]:
    """The service's own count of answers by status, all processes (``/metrics``, loopback)."""
    with urllib.request.urlopen(f"{base}/metrics", timeout=10) as answer:
        text = answer.read().decode()
    counted: Counter[str] = Counter()
    for line in text.splitlines():
        if line.startswith("http_request_duration_seconds_count{") and (
            m := re.search(r'status="(\d+)"', line)
        ):
            counted[m.group(1)] += int(float(line.rsplit(" ", 1)[1]))
    return counted


# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------


async def phase(prepared: Prepared, rates: dict[str, float], seconds: float) -> dict[str, Any]:
    """The mix at fixed rates for ``seconds`` (open loop), until the last answer is back."""
    prepared.top_up_issuance(math.ceil(rates["issue"] * seconds * 1.1) + 10)
    shown = ", ".join(f"{k} {r:,.1f}/s" for k, r in rates.items())
    print(f"==> {seconds:.3g} s at {shown}", file=sys.stderr)
    cpu = time.process_time()
    samples, drained = await open_loop(prepared.target, rates, seconds)
    result = {
        "seconds": round(seconds, 1),
        "rates": {k: round(r, 1) for k, r in rates.items()},
        "kinds": {kind: s.summary(seconds) for kind, s in samples.items()},
        "drained_seconds": round(drained, 2),
        "generator_cpu_share": round((time.process_time() - cpu) / (seconds + drained), 3),
    }
    for kind, s in result["kinds"].items():
        print(f"    {kind:<7} {s['statuses']} p50 {s['p50_ms']} ms, p99 {s['p99_ms']} ms", file=sys.stderr)
    return result


def sustained(step: dict[str, Any]) -> bool:
    """The service kept up: every answer 2xx, every kind's p99 within P99_LIMIT_MS, and the last
    answers back within LATE_LIMIT seconds of the last request due (no queue left growing)."""
    kinds = step["kinds"].values()
    return (
        all(status.startswith("2") for kind in kinds for status in kind["statuses"])
        and all((kind["p99_ms"] or 0) <= P99_LIMIT_MS for kind in kinds)
        and step["drained_seconds"] <= LATE_LIMIT
    )


async def capacity(prepared: Prepared, shares: dict[str, float], args: argparse.Namespace) -> dict[str, Any]:
    """The highest total rate of the mix the service sustains: open-loop steps of ``step_seconds``,
    each RAMP_GROWTH times the last, from a closed loop's rate (a closed loop waits on the slowest
    answers, so it finds less than the service can do)."""
    prepared.top_up_issuance(math.ceil(args.warmup * 60 * shares["issue"]) + 10)
    warm, ran = await closed_loop(prepared.target, interleaved(args.mix), WARM_CONNECTIONS, args.warmup)
    rate = max(sum(s.ok for s in warm.values()) / ran, 5.0)
    steps: list[dict[str, Any]] = []
    best = 0.0
    for _ in range(MAX_STEPS):
        step = await phase(
            prepared, {kind: rate * share for kind, share in shares.items()}, args.step_seconds
        )
        steps.append({"offered": round(rate, 1), "sustained": sustained(step), **step})
        if steps[-1]["sustained"]:
            best, rate = rate, rate * RAMP_GROWTH
        elif best:
            break
        else:  # the closed loop's rate is already too much here: come down
            rate /= RAMP_GROWTH**2
        time.sleep(SETTLE_SECONDS)
    return {"requests_per_second": round(best, 1), "steps": steps}


async def measure(args: argparse.Namespace, prepared: Prepared) -> dict[str, Any]:
    order = interleaved(args.mix)
    shares = {kind: order.count(kind) / len(order) for kind in KINDS}
    print(f"==> capacity of the mix (open loop, {args.step_seconds:g} s a step)", file=sys.stderr)
    found = await capacity(prepared, shares, args)
    if not found["requests_per_second"]:
        raise SystemExit("no rate of the mix was sustained: is the service up?")

    def rates(load: float) -> dict[str, float]:
        return {kind: load * found["requests_per_second"] * share for kind, share in shares.items()}

    phases = {"normal": await phase(prepared, rates(args.normal), args.duration)}
    phases["overload"] = await phase(prepared, rates(args.overload), args.duration)
    phases["recovery"] = await phase(prepared, rates(args.normal), args.duration / 3)
    return {"capacity": found, "shares": shares, "phases": phases}


def parse_mix(text: str) -> dict[str, float]:
    mix = {}
    for part in text.split(","):
        kind, _, share = part.partition("=")
        try:
            mix[kind.strip()] = float(share)
        except ValueError:
            mix[kind.strip()] = -1.0
    if set(mix) != set(KINDS) or any(v < 0 for v in mix.values()) or not sum(mix.values()):
        raise argparse.ArgumentTypeError(f"--mix: KIND=SHARE for each of {', '.join(KINDS)}")
    return mix


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add = parser.add_argument
    add("--url", help="a running service (e.g. http://127.0.0.1:8100) instead of a new cluster")
    add("--workers", type=int, default=4, help="service processes of the new cluster (4)")
    add(
        "--duration",
        type=float,
        default=60,
        help="seconds of the 70 %% and 150 %% phases (60); recovery a third",
    )
    add("--normal", type=float, default=0.70, help="normal load, of the capacity (0.70)")
    add("--overload", type=float, default=1.50, help="overload, of the capacity (1.50)")
    add(
        "--mix",
        type=parse_mix,
        default=parse_mix("verify=6,file=3,issue=1"),
        help="requests of each kind (verify=6,file=3,issue=1)",
    )
    add("--batch", type=int, default=1, help="candidates an issuance request issues (1)")
    add("--step-seconds", type=float, default=5, help="capacity: seconds a ramp step (5)")
    add("--warmup", type=float, default=3, help="capacity: warm-up seconds (3)")
    add("--json", action="store_true")
    args = parser.parse_args()
    if min(args.workers, args.duration, args.batch, args.step_seconds) <= 0 or args.warmup < 0:
        parser.error("--workers, --duration, --batch and --step-seconds must be positive")
    return args


def main() -> None:
    args = arguments()
    with cluster(args) as environment:
        prepared = Prepared(environment, args.batch)
        defaults = Settings()
        result: dict[str, Any] = {
            "workers": args.workers if not args.url else None,
            "cpus": os.cpu_count(),
            "certificates": prepared.counts["certificates"],
            "people": prepared.counts["workers"],
            "batch": args.batch,
            "admission": {
                name: os.environ.get(f"CS_{name.upper()}", getattr(defaults, name))
                for name in ("max_in_flight", "max_writes_in_flight", "max_waiting", "max_wait_seconds")
            },
        }
        before = served_statuses(prepared.base)
        result.update(uvloop.run(measure(args, prepared)))
        result["served_statuses"] = dict(served_statuses(prepared.base) - before)
        prepared.runtime.close()
    result["verdicts"] = verdicts(result)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        report(result)
    sys.exit(0 if all(passed for passed, required in result["verdicts"].values() if required) else 1)


if __name__ == "__main__":
    main()
