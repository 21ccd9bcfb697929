"""Result sheets are read, checked and recorded a chunk at a time (decision 016), on SQLite and
PostgreSQL: duplicates are found across chunks, a refused sheet leaves nothing even if the caller
commits, problems beyond the first 1,000 are counted, and memory does not grow with the sheet."""

from __future__ import annotations

import hashlib
import io
import json
import random
import tracemalloc
from datetime import date

import pytest
from sqlalchemy import func, select

from credential_service.assessment.organisations import service as organisations
from credential_service.assessment.workflow import errors as workflow_errors
from credential_service.assessment.workflow import plans, submissions
from credential_service.assessment.workflow.models import Candidate, ResultSubmission, SheetIdentity
from credential_service.assessment.workflow.results.rows import CHUNK_ROWS, MAX_LISTED_ERRORS
from credential_service.assessment.workflow.results.sheet import read_csv
from credential_service.demo import demo_id_number, demo_name
from credential_service.identity.models import Person
from credential_service.records.models import FileEntry
from credential_service.records.service import verify_file
from credential_service.runtime import Runtime
from tests.integration.test_assessment_workflow import SCOPE, _credit_code

HEADER = "证件类型,证件号码,姓名,理论知识成绩,技能操作成绩\n"


@pytest.fixture
def code(runtime: Runtime) -> str:
    with runtime.session() as session:
        registered = organisations.register_organisation(
            session,
            runtime.keystore,
            runtime.settings,
            org_type="S",
            credit_code=_credit_code(31),
            name="山西省焊接技能评价站",
            mohrss_code="0000",
            site_serial="990031",
            scope=[SCOPE],
            actor="admin:test",
        )
        for ref in ("P1", "P2", "P2b", "P3", "P3b", "P4"):
            plans.file_plan(
                session,
                organisations.get_organisation(session, registered.code),
                plan_ref=ref,
                occupation_code="6-18-02-04",
                subtype="电焊工",
                level=4,
                exam_start=date(2026, 11, 2),
                exam_end=date(2026, 11, 3),
                examiners=[{"name": "考评员", "certificate_number": "KP0001"}],
            )
    return registered.code


def people(seed: int, count: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    numbers = list(dict.fromkeys(demo_id_number(rng) for _ in range(count * 2)))[:count]
    return [(n, demo_name(rng)) for n in numbers]


def sheet(rows: list[str]) -> bytes:
    return (HEADER + "".join(f"{row}\n" for row in rows)).encode("utf-8")


def submit(runtime: Runtime, code: str, plan: str, content: bytes, **options: bool) -> ResultSubmission:
    with runtime.session() as session:
        return submissions.submit_results(
            session,
            runtime.keystore,
            runtime.settings.data_key_bytes,
            organisations.get_organisation(session, code),
            plan_ref=plan,
            rows=read_csv(io.BytesIO(content)),
            source="csv",
            content_sha256=hashlib.sha256(content).hexdigest(),
            **options,
        )


def count(runtime: Runtime, model: type) -> int:
    with runtime.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_chunks_record_everything_and_find_duplicates_across_them(runtime: Runtime, code: str) -> None:
    listed = people(1, 2 * CHUNK_ROWS + 30)
    rows = [f"居民身份证,{n},{name},80,{59 if i % 10 == 0 else 85}" for i, (n, name) in enumerate(listed)]
    # The same person again, in a later chunk, and once more with a bad score.
    rows.insert(CHUNK_ROWS + 40, f"居民身份证,{listed[3][0]},{listed[3][1]},80,85")
    rows.append(f"居民身份证,{listed[3][0]},{listed[3][1]},abc,85")
    with pytest.raises(workflow_errors.RowsRejected) as refused:
        submit(runtime, code, "P1", sheet(rows))
    problems = {(e.loc, e.reason.split(" / ")[0]) for e in refused.value.errors}
    assert problems == {
        (f"row {CHUNK_ROWS + 42}: 证件号码", "与第 5 行重复"),
        (f"row {len(rows) + 1}: 理论知识成绩", "不是数字"),
        (f"row {len(rows) + 1}: 证件号码", "与第 5 行重复"),
    }
    assert [count(runtime, m) for m in (ResultSubmission, Candidate, Person, FileEntry, SheetIdentity)] == [
        0
    ] * 5

    accepted = submit(runtime, code, "P1", sheet(rows), accept_valid_rows=True)
    assert (accepted.rows_total, accepted.rows_accepted) == (len(rows), len(listed))
    assert {r["loc"] for r in json.loads(accepted.rejected_rows)} == {loc for loc, _ in problems}
    assert count(runtime, Candidate) == count(runtime, Person) == count(runtime, FileEntry) == len(listed)
    assert count(runtime, SheetIdentity) == 0  # the scratch rows are gone
    with runtime.session() as session:
        states = dict(session.execute(select(Candidate.state, func.count()).group_by(Candidate.state)).all())
    failed = len(range(0, len(listed), 10))  # every tenth scored 59
    assert states == {"publicised": len(listed) - failed, "failed": failed}
    # Everyone's file holds the exam result; a second sheet appends to the same chains, unbroken.
    again = [f"居民身份证,{n},{name},90,90" for n, name in listed[:150]]
    submit(runtime, code, "P2", sheet(again))
    assert count(runtime, Person) == len(listed) and count(runtime, FileEntry) == len(listed) + 150
    with runtime.session() as session:
        for person in session.scalars(select(Person).limit(160)):
            assert verify_file(session, person) == []


def test_a_refused_sheet_leaves_nothing_even_if_the_caller_commits(runtime: Runtime, code: str) -> None:
    listed = people(2, CHUNK_ROWS + 10)
    rows = [f"居民身份证,{n},{name},80,85" for n, name in listed] + ["驾驶证,123,某人,80,85"]
    content = sheet(rows)
    with runtime.session() as session:  # commits at the end: the refusal is caught here
        try:
            submissions.submit_results(
                session,
                runtime.keystore,
                runtime.settings.data_key_bytes,
                organisations.get_organisation(session, code),
                plan_ref="P3",
                rows=read_csv(io.BytesIO(content)),
                source="csv",
                content_sha256=hashlib.sha256(content).hexdigest(),
            )
        except workflow_errors.RowsRejected as exc:
            assert [e.loc for e in exc.errors] == [f"row {len(rows) + 1}: 证件类型"]
    assert [count(runtime, m) for m in (ResultSubmission, Candidate, Person, FileEntry, SheetIdentity)] == [
        0
    ] * 5


def test_problems_beyond_the_first_thousand_are_counted(runtime: Runtime, code: str) -> None:
    bad = ["驾驶证,1,某人,80,85"] * (MAX_LISTED_ERRORS + 20)
    good = [f"居民身份证,{n},{name},80,85" for n, name in people(3, 5)]
    submission = submit(runtime, code, "P4", sheet(bad + good), accept_valid_rows=True)
    rejected = json.loads(submission.rejected_rows)
    assert len(rejected) == MAX_LISTED_ERRORS + 1 and rejected[-1]["loc"] == "rows"
    assert "20" in rejected[-1]["reason"] and submission.rows_accepted == 5
    assert submission.rows_total == MAX_LISTED_ERRORS + 25


def test_memory_does_not_grow_with_the_sheet(runtime: Runtime, code: str) -> None:
    def peak(plan: str, rows: int, seed: int) -> int:
        content = sheet([f"居民身份证,{n},{name},80,85" for n, name in people(seed, rows)])
        tracemalloc.start()
        submit(runtime, code, plan, content)
        high = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return high

    peak("P1", CHUNK_ROWS, 4)  # caches (compiled statements, …) warm up
    # tracemalloc also counts what other threads of the test process allocate meanwhile (a
    # background thread left by an earlier test): each size is measured twice, the lower kept.
    small = min(peak("P2", 3 * CHUNK_ROWS, 5), peak("P2b", 3 * CHUNK_ROWS, 7))
    large = min(peak("P3", 15 * CHUNK_ROWS, 6), peak("P3b", 15 * CHUNK_ROWS, 8))
    # Five times the rows: the same peak (one chunk at a time), well short of growing with the file.
    assert large < small * 1.3, (small, large)
