"""Issuing a batch end to end: validation, numbering, signing, storage, file entries.

Builds a fresh SQLite database (or PostgreSQL with ``--database-url``), registers an organisation,
writes result sheets to files, submits each (streamed from disk), ends the publicity, then issues
the batch. A first small batch warms what a running service has warm (statement caches, the signing
processes, compiled credential shapes). The batch of ``--candidates`` is timed without tracing;
memory is traced on a batch a fifth of the size and on another of the full size, to show that
neither submission nor issuance grows with the batch (``*_peak_ratio`` ≈ 1). Prints certificates
per second, with the bare signing rate of the same certificate (``create_proof``, one core) measured
in the same run as the baseline. ``--profile FILE`` writes cProfile statistics of the timed
submission to ``FILE.submit`` and of the issuance to ``FILE.issue`` (read them with
``python -m pstats``).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import random
import shutil
import sys
import tempfile
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import update  # noqa: E402

from credential_service.assessment.organisations import service as organisations  # noqa: E402
from credential_service.assessment.organisations.rules import ScopeRowInput  # noqa: E402
from credential_service.assessment.workflow import issuance, plans, submissions  # noqa: E402
from credential_service.assessment.workflow.models import ResultSubmission  # noqa: E402
from credential_service.assessment.workflow.results.sheet import file_sha256, read_csv  # noqa: E402
from credential_service.certificates.models import IssuedCredential  # noqa: E402
from credential_service.core.config import Settings  # noqa: E402
from credential_service.core.db import make_engine  # noqa: E402
from credential_service.core.migrations import upgrade  # noqa: E402
from credential_service.crypto.data_integrity import create_proof  # noqa: E402
from credential_service.demo import demo_credit_code, demo_id_number, demo_name  # noqa: E402
from credential_service.issuers import service as issuers  # noqa: E402
from credential_service.runtime import build_runtime  # noqa: E402


def write_sheet(path: Path, people: dict[str, str], rows: int, rng: random.Random) -> None:
    """A sheet of ``rows`` candidates, each new to the database (taken from ``people``): a number met
    again under another random name would be refused as differing from the person's file."""
    with path.open("w", encoding="utf-8-sig") as out:
        out.write("证件类型,证件号码,姓名,理论知识成绩,技能操作成绩\n")
        for _ in range(rows):
            number, name = people.popitem()
            out.write(f"居民身份证,{number},{name},{rng.randint(60, 99)},{rng.randint(60, 99)}\n")


def submit(runtime, code: str, plan_ref: str, path: Path) -> str:  # type: ignore[no-untyped-def]
    with path.open("rb") as stream, runtime.session() as session:
        digest = file_sha256(stream)
        submission = submissions.submit_results(
            session,
            runtime.keystore,
            runtime.settings.data_key_bytes,
            organisations.get_organisation(session, code),
            plan_ref=plan_ref,
            rows=read_csv(stream),
            source="csv",
            content_sha256=digest,
        )
        public_id = submission.public_id
        session.execute(
            update(ResultSubmission)
            .where(ResultSubmission.public_id == public_id)
            .values(publicity_ends_on=date.today() - timedelta(days=1))
        )
    return str(public_id)


def issue(runtime, code: str, public_id: str) -> int:  # type: ignore[no-untyped-def]
    return issuance.issue_submission(
        runtime.session,
        runtime.keystore,
        runtime.issuance,
        code,
        public_id,
        data_key=runtime.settings.data_key_bytes,
    )


def _timed(work, profile: Path | None, phase: str):  # type: ignore[no-untyped-def]
    """(result, seconds) of ``work()``; profiled into ``profile`` with ``.phase`` added, if given."""
    profiler = cProfile.Profile() if profile else None
    if profiler is not None:
        profiler.enable()
    started = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - started
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(f"{profile}.{phase}")
    return result, seconds


def traced(work):  # type: ignore[no-untyped-def]
    """(result, peak traced bytes) of ``work()``."""
    tracemalloc.start()
    try:
        return work(), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


PLANS = {"WARM": 3, "SMALL": 5, "BENCH": 4, "MEMORY": 3}  # plan reference: level


def set_up(args: argparse.Namespace, folder: Path, rng: random.Random):  # type: ignore[no-untyped-def]
    """A migrated database, the runtime, an organisation and its plans; (runtime, organisation code)."""
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
    scope = [ScopeRowInput("6-18-02-04", "电焊工", (5, 4, 3), date(2024, 1, 1), date(2029, 12, 31))]
    with runtime.session() as session:
        issuers.ensure_platform_issuer(session, runtime.keystore, public_base_url=settings.public_base_url)
        code = organisations.register_organisation(
            session,
            runtime.keystore,
            settings,
            org_type="S",
            credit_code=demo_credit_code(rng, "140100"),
            name="山西省焊接技能评价站",
            mohrss_code="0000",
            site_serial="990100",
            scope=scope,
            actor="bench",
        ).code
        for ref, level in PLANS.items():
            plans.file_plan(
                session,
                organisations.get_organisation(session, code),
                plan_ref=ref,
                occupation_code="6-18-02-04",
                subtype="电焊工",
                level=level,
                exam_start=date(2026, 11, 2),
                exam_end=date(2026, 11, 3),
                examiners=[{"name": "考评员", "certificate_number": "KP1"}],
            )
    return runtime, code


def sign_rate(runtime, code: str) -> float:  # type: ignore[no-untyped-def]
    """Bare signing (create_proof) of an issued certificate in this process, per second."""
    with runtime.session() as session:
        sample = json.loads(session.query(IssuedCredential).first().credential_json)  # type: ignore[union-attr]
        key, signer = issuers.signer_for(issuers.get_issuer(session, code), runtime.keystore)
        vm = key.verification_method
    unsigned = {k: v for k, v in sample.items() if k != "proof"}
    count, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < 3:
        create_proof(
            unsigned,
            cryptosuite="eddsa-rdfc-2022",
            verification_method=vm,
            created="2026-11-27T00:00:00Z",
            sign=signer.sign,
        )
        count += 1
    return count / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--candidates", type=int, default=10_000)
    parser.add_argument("--database-url")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--profile",
        type=Path,
        help="write cProfile statistics of the submission to FILE.submit, of the issuance to FILE.issue",
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-issuance-"))
    rng = random.Random(10)
    runtime, code = set_up(args, folder, rng)
    sheets = {ref: folder / f"{ref.lower()}.csv" for ref in PLANS}
    sizes = {
        "WARM": 50,
        "SMALL": max(args.candidates // 5, 1),
        "BENCH": args.candidates,
        "MEMORY": args.candidates,
    }
    people: dict[str, str] = {}
    while len(people) < sum(sizes.values()):
        people.setdefault(demo_id_number(rng), demo_name(rng))
    for ref, path in sheets.items():
        write_sheet(path, people, sizes[ref], rng)
    issue(runtime, code, submit(runtime, code, "WARM", sheets["WARM"]))  # first use: caches, processes
    small_id, small_submit_peak = traced(lambda: submit(runtime, code, "SMALL", sheets["SMALL"]))
    _, small_issue_peak = traced(lambda: issue(runtime, code, small_id))

    public_id, submit_seconds = _timed(
        lambda: submit(runtime, code, "BENCH", sheets["BENCH"]), args.profile, "submit"
    )
    issued, issue_seconds = _timed(lambda: issue(runtime, code, public_id), args.profile, "issue")
    large_id, large_submit_peak = traced(lambda: submit(runtime, code, "MEMORY", sheets["MEMORY"]))
    _, large_issue_peak = traced(lambda: issue(runtime, code, large_id))
    rate = sign_rate(runtime, code)
    result = {
        "candidates": args.candidates,
        "sheet_mib": round(sheets["BENCH"].stat().st_size / 2**20, 2),
        "submit_rows_per_s": round(args.candidates / submit_seconds, 1),
        "issued": issued,
        "issue_certificates_per_s": round(issued / issue_seconds, 1),
        "end_to_end_certificates_per_s": round(issued / (submit_seconds + issue_seconds), 1),
        "baseline_sign_only_per_s": round(rate, 1),
        "issue_vs_sign_only": round((issued / issue_seconds) / rate, 3),
        "submit_peak_traced_mib": {
            f"{sizes['SMALL']} rows": round(small_submit_peak / 2**20, 1),
            f"{sizes['MEMORY']} rows": round(large_submit_peak / 2**20, 1),
        },
        "submit_peak_ratio": round(large_submit_peak / small_submit_peak, 2),
        "issue_peak_traced_mib": {
            f"{sizes['SMALL']} certificates": round(small_issue_peak / 2**20, 1),
            f"{sizes['MEMORY']} certificates": round(large_issue_peak / 2**20, 1),
        },
        "issue_peak_ratio": round(large_issue_peak / small_issue_peak, 2),
        "max_rss_mib": round(_max_rss() / 1024, 1),
    }
    print(
        json.dumps(result, ensure_ascii=False, indent=2)
        if args.json
        else "\n".join(f"  {k:<32} {v}" for k, v in result.items())
    )
    runtime.close()
    shutil.rmtree(folder, ignore_errors=True)  # the database of 22,000 certificates: ~200 MB


def _max_rss() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


if __name__ == "__main__":
    os.environ.setdefault("CS_ENVIRONMENT", "test")
    main()
