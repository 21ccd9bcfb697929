"""Deciding subsidy claims in a batch: a payments file of ``--claims`` rows (职业培训补贴, one per
trainee of completed classes) imported through the rules (decision 037) — every row judged by the
rule set in force, its claim, payment, file entries, audit events and log leaves written.

Builds a fresh SQLite database (or PostgreSQL with ``--database-url``): an institution, classes of
500 trainees with their completions, each trainee's social-insurance facts in the demo source. Then
imports a fifth of the batch and the whole batch (different trainees) and prints claims per second
and the peak traced memory of each (``peak_ratio`` ≈ 1: memory stays flat as the file grows), with
the rules alone (``rules.evaluate`` on the same facts, no database) measured in the same run as the
baseline. ``--profile FILE`` writes cProfile statistics of the large import.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import random
import sys
import tempfile
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from credential_service.core.config import Settings  # noqa: E402
from credential_service.core.db import make_engine  # noqa: E402
from credential_service.core.migrations import upgrade  # noqa: E402
from credential_service.demo import demo_credit_code, demo_id_number, demo_name  # noqa: E402
from credential_service.identity import service as identity  # noqa: E402
from credential_service.records.training import institutions, postings  # noqa: E402
from credential_service.records.training import service as training  # noqa: E402
from credential_service.records.training.models import TrainingType  # noqa: E402
from credential_service.records.training.schemas import (  # noqa: E402
    MAX_ROSTER,
    ClassCreate,
    CompletionIn,
    CompletionPosting,
    EnrolmentIn,
    EnrolmentPosting,
    Trainee,
)
from credential_service.runtime import build_runtime  # noqa: E402
from credential_service.subsidies import imports  # noqa: E402
from credential_service.subsidies import service as rule_sets  # noqa: E402
from credential_service.subsidies.rules import (  # noqa: E402
    ClaimFacts,
    ClassFacts,
    PersonFacts,
    SubsidyType,
    evaluate,
)
from credential_service.subsidies.social_insurance import record_demo_facts  # noqa: E402

OCCUPATION = "6-18-02-04"
END = date(2026, 10, 30)
PAID_ON = "2026-11-20"
ACCOUNT = "62170000{:011d}"
HEADER = ",".join(imports.PAYMENT_SHEET.headers[:4] + imports.PAYMENT_SHEET.headers[5:]) + "\n"  # no 证书编号


def build_classes(runtime, code: str, people: list[tuple[str, str]], prefix: str) -> None:  # type: ignore[no-untyped-def]
    """Classes of up to 500 of ``people``, ended, every trainee completed with all 80 hours."""
    key = runtime.settings.data_key_bytes
    for n, start in enumerate(range(0, len(people), MAX_ROSTER)):
        group = people[start : start + MAX_ROSTER]
        ref = f"{prefix}-{n:04d}"
        trainees = [Trainee(document_type="resident_id", id_number=i, name=name) for i, name in group]
        with runtime.session() as session:
            training.create_class(
                session,
                key,
                credit_code=code,
                request=ClassCreate(
                    class_ref=ref,
                    occupation_code=OCCUPATION,
                    training_type=TrainingType.EMPLOYMENT_SKILLS,
                    start_date=END - timedelta(days=14),
                    end_date=END,
                    planned_hours=80,
                    roster=trainees,
                ),
            )
            enrolments = [
                EnrolmentIn(**t.model_dump(), enrolled_on=END - timedelta(days=14)) for t in trainees
            ]
            postings.post(
                session, key, credit_code=code, class_ref=ref, posting=EnrolmentPosting(enrolments=enrolments)
            )
            done = [
                CompletionIn(**t.model_dump(), attended_hours=80, result="pass", score=80, completed_on=END)
                for t in trainees
            ]
            postings.post(
                session, key, credit_code=code, class_ref=ref, posting=CompletionPosting(completions=done)
            )
            for position, (number, _) in enumerate(group):
                person = identity.find_person(session, key, identity.identify("resident_id", number))
                assert person is not None
                record_demo_facts(
                    session,
                    key,
                    person,
                    insured_months=None,
                    employment=None,
                    groups=frozenset({"rural_migrant"}),
                    card_account=ACCOUNT.format(start + position),
                )


def write_payments(path: Path, code: str, people: list[tuple[str, str]], prefix: str) -> None:
    with path.open("w", encoding="utf-8-sig") as out:
        out.write(HEADER)
        for n, (number, name) in enumerate(people):
            ref = f"{prefix}-{n // MAX_ROSTER:04d}"
            account = ACCOUNT.format(n)
            out.write(
                f"职业培训补贴,居民身份证,{number},{name},{code},{ref},1500.00,{PAID_ON},{account},{prefix}-{n:07d}\n"
            )


def run_import(
    runtime, path: Path, profiler: cProfile.Profile | None = None
) -> tuple[imports.ImportReport, float, int]:  # type: ignore[no-untyped-def]
    tracemalloc.start()
    if profiler is not None:
        profiler.enable()
    started = time.perf_counter()
    with path.open("rb") as stream:
        report = imports.import_payments(
            runtime.session,
            runtime.social_insurance,
            stream,
            data_key=runtime.settings.data_key_bytes,
            actor="bench",
        )
    elapsed = time.perf_counter() - started
    if profiler is not None:
        profiler.disable()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return report, elapsed, peak


def rules_only_rate(runtime, count: int) -> float:  # type: ignore[no-untyped-def]
    """The rules alone on the same kind of facts: the decision's floor cost, no database."""
    with runtime.session() as session:
        rule_set = rule_sets.rule_set_in_force(session, SubsidyType.TRAINING, END)
    facts = ClaimFacts(
        subsidy_type=SubsidyType.TRAINING,
        claimed_on=date(2026, 11, 20),
        person=PersonFacts(groups=frozenset({"rural_migrant"})),
        training_class=ClassFacts(
            training_type="employment_skills",
            occupation_code=OCCUPATION,
            end_date=END,
            planned_hours=80,
            attended_hours=80,
            completion_passed=True,
        ),
    )
    started = time.perf_counter()
    for _ in range(count):
        evaluate(facts, rule_set)
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--database-url")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--profile", type=Path, help="write cProfile statistics of the large import here")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-subsidies-"))
    settings = Settings(
        environment="test",
        database_url=args.database_url or f"sqlite:///{folder / 'db.sqlite3'}",
        keystore_dir=folder / "keys",
        keystore_passphrase="bench",
        public_base_url="https://skills.test",
        social_insurance_source="demo",
    )
    engine = make_engine(settings.database_url)
    upgrade(engine)
    engine.dispose()
    runtime = build_runtime(settings)
    rng = random.Random(13)
    code = demo_credit_code(rng, "140100")
    with runtime.session() as session:
        rule_sets.ensure_shipped_rule_sets(session, actor="bench")
        institutions.register_institution(
            session,
            credit_code=code,
            name="太原市技能培训学校",
            city_code="140100",
            approved_projects=[(OCCUPATION, None)],
        )
    sizes = {"WARM": 50, "SMALL": max(args.claims // 5, 1), "LARGE": args.claims}
    seen: set[str] = set()
    groups: dict[str, list[tuple[str, str]]] = {}
    for prefix, size in sizes.items():
        group = []
        while len(group) < size:
            number = demo_id_number(rng)
            if number not in seen:
                seen.add(number)
                group.append((number, demo_name(rng)))
        groups[prefix] = group
    started = time.perf_counter()
    for prefix, group in groups.items():
        build_classes(runtime, code, group, prefix)
    setup_seconds = time.perf_counter() - started
    # A payments file per size; accounts restart at 0 within each (the facts above were recorded so)
    paths = {prefix: folder / f"{prefix.lower()}.csv" for prefix in groups}
    for prefix, group in groups.items():
        write_payments(paths[prefix], code, group, prefix)
    run_import(runtime, paths["WARM"])  # first use: statement caches, imports
    small, small_seconds, small_peak = run_import(runtime, paths["SMALL"])
    profiler = cProfile.Profile() if args.profile else None
    large, large_seconds, large_peak = run_import(runtime, paths["LARGE"], profiler)
    if profiler is not None:
        profiler.dump_stats(args.profile)
    assert small.imported == sizes["SMALL"] and large.imported == sizes["LARGE"], (
        small.refused[:3],
        large.refused[:3],
    )
    baseline = rules_only_rate(runtime, 20_000)
    large_rate = large.imported / large_seconds
    result = {
        "claims": args.claims,
        "database": "postgresql" if args.database_url else "sqlite",
        "setup_seconds": round(setup_seconds, 1),
        "file_mib": round(paths["LARGE"].stat().st_size / 2**20, 2),
        f"claims_per_s ({sizes['SMALL']})": round(small.imported / small_seconds, 1),
        f"claims_per_s ({sizes['LARGE']})": round(large_rate, 1),
        "baseline_rules_only_per_s": round(baseline, 1),
        "batch_vs_rules_only": round(large_rate / baseline, 4),
        "peak_traced_mib": {
            f"{sizes['SMALL']} rows": round(small_peak / 2**20, 1),
            f"{sizes['LARGE']} rows": round(large_peak / 2**20, 1),
        },
        "peak_ratio": round(large_peak / small_peak, 2),
    }
    print(
        json.dumps(result, ensure_ascii=False, indent=2)
        if args.json
        else "\n".join(f"  {k:<32} {v}" for k, v in result.items())
    )
    runtime.close()


if __name__ == "__main__":
    main()
