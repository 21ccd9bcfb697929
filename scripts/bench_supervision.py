"""Supervision on a generated province (issue 14, decision 041): the full scan and the cost a
posting pays for its checks.

Builds a fresh SQLite database (or PostgreSQL with ``--database-url``), generates a province of
``--persons`` people (``credential-service supervise generate``: classes and a million check-ins at
100,000 people, exams, certificates, claims, ``--planted`` cases of every check), then:

- the full scan (``supervise run --full``): seconds, and how many planted cases it found and what it
  found on the clean part; then the same scan again (it opens nothing: idempotent), whose peak traced
  memory is the scan's working set;
- one attendance posting (one check-in of a generated trainee, through ``records.training.postings``)
  committed with the supervision hook (the service's sessions) and without it (a session factory on
  the same engine with no listener), ``--postings`` of each, alternating; the median of each and
  their ratio, measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from credential_service.core.clock import beijing_today  # noqa: E402
from credential_service.core.config import Settings  # noqa: E402
from credential_service.core.db import make_engine, session_factory, session_scope  # noqa: E402
from credential_service.core.migrations import upgrade  # noqa: E402
from credential_service.records.training import postings  # noqa: E402
from credential_service.records.training.schemas import AttendanceIn, AttendancePosting  # noqa: E402
from credential_service.runtime import build_runtime  # noqa: E402
from credential_service.supervision.province import generate as province  # noqa: E402
from credential_service.supervision.province.plans import EnrolmentPlan, World  # noqa: E402


def post_once(open_session: Callable[[], object], key: bytes, enrolment: EnrolmentPlan, minute: int) -> float:
    """One check-in of ``enrolment``'s trainee, at noon on the class's first day plus ``minute``
    seconds (a time not yet recorded), committed; returns the seconds."""
    klass, person = enrolment.klass, enrolment.person
    at = klass.start.strftime("%Y-%m-%d")
    moment = f"{at}T12:{minute // 60:02d}:{minute % 60:02d}+08:00"
    posting = AttendancePosting(
        events=[
            AttendanceIn(
                document_type="resident_id",
                id_number=person.id_number,
                name=person.name,
                occurred_at=moment,
                place=klass.place,
                method=klass.method,
                latitude=klass.institution.latitude,
                longitude=klass.institution.longitude,
            )
        ]
    )
    started = time.perf_counter()
    with open_session() as session:  # type: ignore[attr-defined]
        postings.post(
            session,
            key,
            credit_code=klass.institution.credit_code,
            class_ref=klass.class_ref,
            posting=posting,
        )
    return time.perf_counter() - started


def posting_cost(runtime, world: World, count: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Median seconds of a posting with the hook and without, alternating, on different trainees."""
    plain = session_factory(runtime.engine)  # no supervision listener on this factory

    def unwatched() -> object:
        return session_scope(plain)

    key = runtime.settings.data_key_bytes
    trainees = [e for k in world.classes[len(world.classes) // 3 :] for e in k.members if e.checks_in][
        : 2 * count + 4
    ]
    for n, enrolment in enumerate(trainees[:4]):  # warm both paths (statement caches, imports)
        post_once(runtime.session if n % 2 else unwatched, key, enrolment, n)
    watched_s, plain_s = [], []
    for n, enrolment in enumerate(trainees[4:]):
        if n % 2:
            watched_s.append(post_once(runtime.session, key, enrolment, 100 + n))
        else:
            plain_s.append(post_once(unwatched, key, enrolment, 100 + n))
    with_hook, without = statistics.median(watched_s), statistics.median(plain_s)
    return {
        "posting_ms_with_checks": round(with_hook * 1000, 2),
        "posting_ms_without_checks": round(without * 1000, 2),
        "posting_ratio": round(with_hook / without, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--planted", type=int, default=20)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--postings", type=int, default=40, help="postings timed with and without checks")
    parser.add_argument("--database-url")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-supervision-"))
    settings = Settings(
        environment="test",
        database_url=args.database_url or f"sqlite:///{folder / 'db.sqlite3'}",
        keystore_dir=folder / "keys",
        keystore_passphrase="bench",
        public_base_url="https://skills.test",
    )
    engine = make_engine(settings.database_url)
    upgrade(engine)
    engine.dispose()
    runtime = build_runtime(settings)
    world, generate_seconds = province.generate(
        runtime.session,
        keystore=runtime.keystore,
        settings=settings,
        persons=args.persons,
        seed=args.seed,
        planted=args.planted,
        today=beijing_today(),
        actor="bench",
        progress=lambda line: print(f"  {line}", file=sys.stderr),
    )
    checkins = sum(e.events for e in world.enrolments())
    _, scan_seconds = province.full_scan(runtime.session, data_key=settings.data_key_bytes, opened_by="bench")
    with runtime.session() as session:
        scores = province.score(session, world)
    tracemalloc.start()
    again, rescan_seconds = province.full_scan(
        runtime.session, data_key=settings.data_key_bytes, opened_by="bench"
    )
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    costs = posting_cost(runtime, world, args.postings)
    result = {
        "database": "postgresql" if settings.database_url.startswith("postgresql") else "sqlite",
        "persons": len(world.persons),
        "attendance_events": checkins,
        "certificates": len(world.certificates),
        "claims": len(world.claims),
        "generate_s": round(generate_seconds, 1),
        "full_scan_s": round(scan_seconds, 1),
        "rescan_s (idempotent, traced)": round(rescan_seconds, 1),
        "rescan_opened": sum(r.opened for r in again),
        "scan_peak_traced_mib": round(peak / 2**20, 1),
        "planted": sum(s.planted for s in scores),
        "found": sum(s.found for s in scores),
        "false_findings": sum(s.false_findings for s in scores),
        **costs,
        "max_rss_mib": round(_max_rss() / 1024, 1),
    }
    print(
        json.dumps(result, ensure_ascii=False, indent=2)
        if args.json
        else "\n".join(f"  {k:<32} {v}" for k, v in result.items())
    )
    runtime.close()


def _max_rss() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


if __name__ == "__main__":
    main()
