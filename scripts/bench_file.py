"""Reading one worker's whole lifelong file, with up to ten million entries in the database.

    scripts/bench file                                  1,000,000 entries, 100,000 people, SQLite
    scripts/bench file --entries 10000000               10,000,000 entries, 1,000,000 people
    scripts/bench file --entries 10000000 --database-url postgresql+psycopg://…/EMPTY_DB
    scripts/bench file --keep DIR …  then  --keep DIR --reuse   (measure a kept SQLite database again)

Generation. A fresh database (SQLite in a temporary folder, or an empty PostgreSQL database with
``--database-url``), migrated by the service's own migrations, gets ``--persons`` people (default:
``--entries`` / 10) with 2–150 entries each, right-skewed, one at 150 (enrolments, attendance with
check-in photo hashes, completions, exam results, certificates, subsidies, the odd correction),
every file a valid hash chain. People are bulk-loaded first, then the files cohort by cohort: each
cohort (~250,000 entries) is built in memory, merged in the order its entries were recorded across
its people, as the service appends them (so one person's file is spread over the table, each entry
on a page of its own, never stored contiguously), and loaded; memory stays flat at any size.
PostgreSQL loads with ``COPY … FROM STDIN``, SQLite with ``executemany`` of 50,000-row transactions
under load pragmas (``synchronous=OFF``, a 2 GB page cache for the unique indexes, temp in memory),
each value passed through the column type's own bind processor (stored exactly as the service
stores it); PostgreSQL is then ANALYZEd, as autovacuum would. On this shared 2-core machine
10,000,000 entries took 31 (PostgreSQL) and 39 minutes (SQLite), run side by side, most of it
building the files and their hash chains in Python (the load itself: 28,000 rows/s by COPY, 16,000
by executemany); the generator stays near 300 MB (plus SQLite's 2 GB page cache); about 8 GB on
either backend: delete the kept database (or ``DROP DATABASE``) afterwards.

Measurement. For a random sample of people (``--samples``, always including one with the most
entries), interleaved in shuffled order after one untimed read of each file (warm caches):
- ``GET /api/v1/me/file`` with a signed-in worker's token, against ``uvicorn`` serving the app on
  this database in a child process (``--no-http`` to leave it out; skipped, with a message, on a
  404); ``--compare-source DIR`` serves another source tree's app too (e.g. a checkout of main),
  for a before and after in one run; and ``GET /healthz`` on the same server, the floor (HTTP, the
  app, one ``SELECT 1``);
- ``worker.file_of``: what the route runs below HTTP (the person's id, then the entries), and the
  older ``records.timeline`` after ``identity.get_person``, inside ``session_scope``;
- ``verify_file``: the chain check on the same file, for reference;
- the baseline, on a plain DBAPI connection to the same database:
  ``SELECT payload FROM file_entries WHERE person_id = ? ORDER BY seq`` (the raw indexed SELECT).
Latencies (median, p90, p99, max), each method's ratio to the baseline, the query plan (EXPLAIN
ANALYZE on PostgreSQL), and with ``--profile N`` cProfile's top N entries of the route's own work.
``--json`` for a machine-readable result.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import heapq
import json
import math
import os
import random
import resource
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, Table, func, make_url, select  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from credential_service.assessment.occupations.rules import BUILTIN_OCCUPATIONS  # noqa: E402
from credential_service.certificates.credential import Occupation  # noqa: E402
from credential_service.core.clock import to_xsd  # noqa: E402
from credential_service.core.db import make_engine, session_factory, session_scope  # noqa: E402
from credential_service.core.migrations import upgrade  # noqa: E402
from credential_service.crypto.jcs import canonical_json  # noqa: E402
from credential_service.crypto.sealed import seal  # noqa: E402
from credential_service.demo import DEMO_ORGANISATIONS, demo_id_number, demo_name  # noqa: E402
from credential_service.identity.models import Person  # noqa: E402
from credential_service.identity.rules import (  # noqa: E402
    DocumentType,
    blind_index,
    derived_facts,
    mask_id_number,
)
from credential_service.identity.service import ID_NUMBER_PURPOSE, get_person  # noqa: E402
from credential_service.records.models import FileEntry  # noqa: E402
from credential_service.records.rules import GENESIS, ChainedFields, EntryKind, entry_hash  # noqa: E402
from credential_service.records.service import timeline, verify_file  # noqa: E402
from credential_service.worker.service import file_of  # noqa: E402

DATA_KEY = hashlib.sha256(b"bench_file data key").digest()  # benchmark data only
KEYSTORE_PASSPHRASE = "bench-file-passphrase"
FILE_ROUTE = "/api/v1/me/file"
ASGI_APP = "credential_service.asgi:app"
MIN_ENTRIES, MAX_ENTRIES = 2, 150  # an enrolment and one more, up to a long working life
ENTRIES_PER_PERSON = 10  # the default --persons is --entries / 10
EARLIEST, LATEST = date(2012, 1, 1), date(2026, 10, 31)  # no file starts before or ends after
# The rows FileWriter builds, in this order (recorded_at first: the inserts are merged on it).
ENTRY_COLUMNS = ("recorded_at", "person_id", "seq", "kind", "occurred_at", "source", "payload",
                 "supersedes_seq", "reason", "idempotency_key", "prev_hash", "entry_hash")  # fmt: skip

RAW_PAYLOAD_SQL = "SELECT payload FROM file_entries WHERE person_id = {p} ORDER BY seq"
TIMELINE_SQL = (
    "SELECT seq, kind, occurred_at, recorded_at, source, payload, supersedes_seq, reason, entry_hash "
    "FROM file_entries WHERE person_id = {p} ORDER BY seq"
)

# ---------------------------------------------------------------------------------------------
# Realistic data
# ---------------------------------------------------------------------------------------------

DISTRICTS = (
    "太原市迎泽区",
    "太原市杏花岭区",
    "大同市平城区",
    "长治市潞州区",
    "晋城市城区",
    "晋中市榆次区",
    "临汾市尧都区",
    "运城市盐湖区",
    "吕梁市离石区",
    "忻州市忻府区",
)
SCHOOL_KINDS = ("职业培训学校", "职业技能培训中心", "技工学校", "高级技工学校", "职业技术学院")
FUNDS = ("职业技能提升行动专账资金", "就业补助资金", "失业保险基金")
RECORDED_CATEGORIES = (
    ("职业资格", "山西省人力资源和社会保障厅"),
    ("专项职业能力", "太原市职业技能鉴定中心"),
    ("培训合格", "山西省总工会职工技能培训中心"),
)
STATUS_REASONS = (
    ("suspended", "持证人信息核查中"),
    ("revoked", "考核过程违规，证书依规撤销"),
    ("reinstated", "核查完毕，恢复有效"),
)


@dataclass(frozen=True)
class Institution:
    credit_code: str
    name: str
    source: str


def institutions(rng: random.Random, count: int = 240) -> list[Institution]:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    result = []
    for i in range(count):
        district = rng.choice(DISTRICTS)
        code = "5214" + "".join(rng.choice(alphabet) for _ in range(14))
        name = f"{district}{'恒华育才明德天成众诚晋阳新技泰安'[i % 14]}{i:03d}{rng.choice(SCHOOL_KINDS)}"
        result.append(Institution(code, name, f"institution:{code}"))
    return result


@dataclass
class World:
    institutions: list[Institution]
    organisations: tuple[tuple[str, str], ...] = DEMO_ORGANISATIONS
    training_serial: int = 0
    certificate_serial: int = 0


def _hex(rng: random.Random, bits: int = 256) -> str:
    return f"{rng.getrandbits(bits):0{bits // 4}x}"


def _at(day: date, seconds: int) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(seconds=seconds)


@dataclass
class FileWriter:
    """One person's file as it is recorded: seq, chain and a strictly increasing recorded_at.

    A ``dry`` writer only keeps the count and the last time (to plan the dates of the real one)."""

    person_id: int
    limit: int
    dry: bool = False
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    size: int = 0
    prev_hash: str = GENESIS
    last_recorded: datetime = datetime(2000, 1, 1, tzinfo=UTC)

    @property
    def full(self) -> bool:
        return self.size >= self.limit

    def add(
        self,
        kind: EntryKind,
        facts: dict[str, Any],
        *,
        source: str,
        occurred_at: datetime,
        delay: int,
        idempotency_key: str | None = None,
        supersedes_seq: int | None = None,
        reason: str | None = None,
    ) -> int:
        if self.full:
            return 0
        self.size = seq = self.size + 1
        recorded_at = max(occurred_at + timedelta(seconds=delay), self.last_recorded + timedelta(seconds=1))
        self.last_recorded = recorded_at
        if self.dry:
            return seq
        payload = canonical_json(facts).decode("utf-8")
        digest = entry_hash(
            self.prev_hash,
            ChainedFields(seq, kind.value, occurred_at, recorded_at, source, payload, supersedes_seq, reason),
        )
        self.rows.append(
            (
                recorded_at,
                self.person_id,
                seq,
                kind.value,
                occurred_at,
                source,
                payload,
                supersedes_seq,
                reason,
                idempotency_key,
                self.prev_hash,
                digest,
            )
        )
        self.prev_hash = digest
        return seq


@dataclass
class Life:
    """What the rest of a person's file refers back to."""

    day: date
    attendance: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    certificates: list[str] = field(default_factory=list)


def _older_certificate(out: FileWriter, rng: random.Random, life: Life) -> None:
    category, issuer = rng.choice(RECORDED_CATEGORIES)
    occupation = rng.choice(BUILTIN_OCCUPATIONS)
    number = f"{rng.randrange(10**17):017d}"
    facts = {
        "category": category,
        "certificateNumber": number,
        "issuer": issuer,
        "issuedOn": (life.day - timedelta(days=rng.randrange(200, 3000))).isoformat(),
        "occupation": {"code": occupation.code, "name": occupation.name},
        "evidence": {"scanSha256": _hex(rng), "mediaType": "application/pdf"},
    }
    when = _at(life.day, 9 * 3600)
    out.add(
        EntryKind.CERTIFICATE_RECORDED,
        facts,
        source="platform",
        occurred_at=when,
        delay=rng.randrange(60, 86400),
    )
    life.certificates.append(number)


@dataclass(frozen=True)
class Training:
    training_id: str
    institution: Institution
    occupation: Occupation
    level: int
    subsidised: bool


def _training(out: FileWriter, world: World, rng: random.Random, life: Life) -> Training:
    """Enrolment, one attendance entry per session (check-in/out photo hashes), completion."""
    institution = rng.choice(world.institutions)
    occupation = rng.choice(BUILTIN_OCCUPATIONS)
    level = rng.choice((5, 5, 4, 4, 4, 3, 3, 2))
    sessions = rng.randrange(6, 31)
    world.training_serial += 1
    training = Training(
        f"PX{life.day.year}{institution.credit_code[4:10]}{world.training_serial:07d}",
        institution,
        occupation,
        level,
        rng.random() < 0.7,
    )
    out.add(
        EntryKind.ENROLMENT,
        {
            "trainingId": training.training_id,
            "institution": {"creditCode": institution.credit_code, "name": institution.name},
            "occupation": _occupation(occupation),
            "level": level,
            "programme": f"{occupation.name}（{level}级）职业技能提升培训",
            "plannedHours": sessions * 4,
            "startDate": (life.day + timedelta(days=7)).isoformat(),
            "endDate": (life.day + timedelta(days=7 + sessions * 2)).isoformat(),
            "subsidised": training.subsidised,
            **({"fund": rng.choice(FUNDS)} if training.subsidised else {}),
        },
        source=institution.source,
        occurred_at=_at(life.day, rng.randrange(8 * 3600, 18 * 3600)),
        delay=rng.randrange(5, 600),
        idempotency_key=_hex(rng, 128),
    )
    class_day, hours = life.day + timedelta(days=7), 0
    for n in range(1, sessions + 1):
        if out.full:
            break  # no draws for sessions past the file's end (the dry run stops at the same point)
        class_day += timedelta(days=rng.choice((1, 1, 1, 2, 3)))
        start = rng.randrange(8 * 3600 + 1800, 9 * 3600)
        length = rng.choice((3, 4, 4, 4)) * 3600 + rng.randrange(-300, 600)
        facts = {
            "trainingId": training.training_id,
            "session": n,
            "date": class_day.isoformat(),
            "checkIn": {
                "at": to_xsd(_at(class_day, start)),
                "photoSha256": _hex(rng),
                "faceMatch": rng.randrange(86, 100),
                "device": f"KQ-{rng.randrange(1, 40):03d}",
            },
            "checkOut": {
                "at": to_xsd(_at(class_day, start + length)),
                "photoSha256": _hex(rng),
                "faceMatch": rng.randrange(86, 100),
            },
            "hours": length // 3600,
            "method": "face",
        }
        hours += length // 3600
        seq = out.add(
            EntryKind.ATTENDANCE,
            facts,
            source=institution.source,
            occurred_at=_at(class_day, start + length),
            delay=rng.randrange(30, 7200),
            idempotency_key=_hex(rng, 128),
        )
        if seq:
            life.attendance.append((seq, facts))
    life.day = class_day + timedelta(days=rng.randrange(1, 10))
    out.add(
        EntryKind.COMPLETION,
        {
            "trainingId": training.training_id,
            "hoursAttended": hours,
            "hoursRequired": sessions * 4,
            "result": "结业" if hours >= sessions * 3 else "肄业",
            "completionNumber": f"JY{life.day.year}{world.training_serial:09d}",
        },
        source=institution.source,
        occurred_at=_at(life.day, 10 * 3600),
        delay=rng.randrange(600, 86400),
        idempotency_key=_hex(rng, 128),
    )
    return training


def _occupation(occupation: Occupation) -> dict[str, str]:
    shown = {"code": occupation.code, "name": occupation.name}
    return {**shown, "subtype": occupation.subtype} if occupation.subtype else shown


def _assessment(out: FileWriter, world: World, rng: random.Random, life: Life, training: Training) -> None:
    """Exam result; on a pass the certificate issued here, then (if subsidised) the subsidy paid."""
    org_code, org_name = rng.choice(world.organisations)
    life.day += timedelta(days=rng.randrange(7, 45))
    theory, practical = rng.randrange(45, 99), rng.randrange(50, 99)
    passed = theory >= 60 and practical >= 60
    out.add(
        EntryKind.EXAM_RESULT,
        {
            "examId": f"KS{life.day:%Y%m%d}{rng.randrange(10**6):06d}",
            "organisationCode": org_code,
            "occupation": _occupation(training.occupation),
            "level": training.level,
            "theory": theory,
            "practical": practical,
            "passed": passed,
            "examDate": life.day.isoformat(),
        },
        source=f"org:{org_code}",
        occurred_at=_at(life.day, 15 * 3600),
        delay=rng.randrange(86400, 864000),
        idempotency_key=_hex(rng, 128),
    )
    if not passed:
        return
    life.day += timedelta(days=rng.randrange(10, 40))
    world.certificate_serial += 1
    number = f"{org_code}{life.day.year % 100:02d}{training.level}{world.certificate_serial % 10**6:06d}"
    issued_at = _at(life.day, 9 * 3600)
    out.add(
        EntryKind.CERTIFICATE_ISSUED,
        {
            "certificateNumber": number,
            "credentialId": f"urn:uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}",
            "issuer": {
                "code": org_code,
                "name": org_name,
                "did": f"did:web:skills.example.cn:orgs:{org_code}",
            },
            "occupation": _occupation(training.occupation),
            "level": training.level,
            "issuedAt": to_xsd(issued_at),
        },
        source=f"org:{org_code}",
        occurred_at=issued_at,
        delay=rng.randrange(1, 60),
    )
    life.certificates.append(number)
    if training.subsidised and rng.random() < 0.8:
        life.day += timedelta(days=rng.randrange(20, 90))
        out.add(
            EntryKind.SUBSIDY_PAID,
            {
                "trainingId": training.training_id,
                "certificateNumber": number,
                "fund": rng.choice(FUNDS),
                "amountFen": rng.choice((80000, 100000, 150000, 200000)),
                "payee": "本人社会保障卡",
                "voucher": f"BT{life.day:%Y%m%d}{rng.randrange(10**8):08d}",
            },
            source="platform",
            occurred_at=_at(life.day, 11 * 3600),
            delay=rng.randrange(60, 3600),
        )


def _amendments(out: FileWriter, rng: random.Random, life: Life, training: Training) -> None:
    """The odd certificate status change, and corrections that supersede a wrong attendance entry."""
    if life.certificates and rng.random() < 0.03:
        status, why = rng.choice(STATUS_REASONS)
        out.add(
            EntryKind.CERTIFICATE_STATUS,
            {"certificateNumber": rng.choice(life.certificates), "status": status},
            source="platform",
            occurred_at=_at(life.day, 16 * 3600),
            delay=rng.randrange(60, 3600),
            reason=why,
        )
    if life.attendance and rng.random() < 0.08:
        wrong_seq, wrong = rng.choice(life.attendance)
        out.add(
            EntryKind.CORRECTION,
            {**wrong, "hours": max(1, wrong["hours"] - 1), "corrects": "attendance"},
            source=training.institution.source,
            occurred_at=_at(life.day, 17 * 3600),
            delay=rng.randrange(60, 3600),
            supersedes_seq=wrong_seq,
            reason="签退时间识别有误，按监控记录更正学时",
            idempotency_key=_hex(rng, 128),
        )


def person_file(world: World, rng: random.Random, person_id: int, count: int) -> list[tuple[Any, ...]]:
    """``count`` entries of a working life: trainings (enrolment, attendance, completion), exams,
    certificates (issued here or recorded from elsewhere), subsidies, status changes, corrections.
    A file may stop in the middle of a training, as a real one does; its last entry falls in the
    last five years, never in the future (a dry run with the same random draws finds the span)."""
    last_day = LATEST - timedelta(days=rng.randrange(5 * 365))
    state = rng.getstate()
    trial = FileWriter(person_id, count, dry=True)
    _working_life(trial, world, rng, EARLIEST)
    rng.setstate(state)
    out = FileWriter(person_id, count)
    _working_life(out, world, rng, max(EARLIEST, EARLIEST + (last_day - trial.last_recorded.date())))
    return out.rows


def _working_life(out: FileWriter, world: World, rng: random.Random, first_day: date) -> None:
    life = Life(first_day)
    if rng.random() < 0.3:
        _older_certificate(out, rng, life)
    while not out.full:
        training = _training(out, world, rng, life)
        if rng.random() < 0.85:
            _assessment(out, world, rng, life, training)
        _amendments(out, rng, life, training)
        life.day += timedelta(days=rng.randrange(30, 400))


def entry_counts(rng: random.Random, entries: int, persons: int) -> list[int]:
    """Per-person entry counts in [10, 150], right-skewed, summing to ``entries``, one at the maximum."""
    share = (entries / persons - MIN_ENTRIES) / (MAX_ENTRIES - MIN_ENTRIES)
    if share <= 0 or share >= 1:
        counts = [MIN_ENTRIES if share <= 0 else MAX_ENTRIES] * persons
    else:
        a = 1.3
        counts = [
            MIN_ENTRIES + round((MAX_ENTRIES - MIN_ENTRIES) * rng.betavariate(a, a * (1 - share) / share))
            for _ in range(persons)
        ]
    counts[rng.randrange(persons)] = MAX_ENTRIES
    heaviest = counts.index(MAX_ENTRIES)
    diff = entries - sum(counts)
    while diff:
        i = rng.randrange(persons)
        if i == heaviest:
            continue
        if diff > 0 and counts[i] < MAX_ENTRIES:
            counts[i], diff = counts[i] + 1, diff - 1
        elif diff < 0 and counts[i] > MIN_ENTRIES:
            counts[i], diff = counts[i] - 1, diff + 1
    return counts


# ---------------------------------------------------------------------------------------------
# Generation: streamed in cohorts, bulk-loaded (COPY on PostgreSQL, executemany on SQLite)
# ---------------------------------------------------------------------------------------------

PERSON_COLUMNS = ("id", "public_id", "document_type", "id_blind_index", "id_number_sealed",
                  "id_number_masked", "name", "sex", "birth_date", "created_at")  # fmt: skip
LOAD_BATCH = 50_000  # rows per load transaction
# Entries built, merged by recorded_at and loaded at a time: memory stays flat at any --entries.
COHORT_ENTRIES = 250_000
SQLITE_LOAD_PRAGMAS = ("synchronous=OFF", "cache_size=-2000000", "temp_store=MEMORY")


class BulkLoader:
    """Rows into a table the fastest way the backend offers, on one raw DBAPI connection.

    PostgreSQL: ``COPY … FROM STDIN`` (psycopg adapts the Python values). SQLite: ``executemany`` of
    plain tuples, each value passed through the column type's own bind processor (so the stored text
    of a timestamp is exactly what the service writes), with the pragmas of a load on this connection
    only: no fsync, a 2 GB page cache (the unique indexes of ten million rows stay in memory), temp
    tables in memory."""

    def __init__(self, engine: Engine) -> None:
        self.dialect = engine.dialect
        self.postgres = engine.dialect.name == "postgresql"
        self.raw = engine.raw_connection()
        self.connection: Any = self.raw.driver_connection
        if self.postgres:
            self.connection.execute("SET synchronous_commit = off")
        else:
            for pragma in SQLITE_LOAD_PRAGMAS:
                self.connection.execute(f"PRAGMA {pragma}")
        self.connection.commit()

    def load(self, table: Table, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> float:
        """``rows`` (Python values in ``columns`` order) in one transaction; returns the seconds taken."""
        start = time.perf_counter()
        names = ", ".join(columns)
        if self.postgres:
            with (
                self.connection.cursor() as cursor,
                cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        else:
            processors = [table.c[name].type.dialect_impl(self.dialect).bind_processor(self.dialect)
                          for name in columns]  # fmt: skip
            converting = [(i, p) for i, p in enumerate(processors) if p is not None]
            prepared = rows
            if converting:
                prepared = []
                for row in rows:
                    values = list(row)
                    for i, process in converting:
                        values[i] = process(values[i])
                    prepared.append(tuple(values))
            marks = ", ".join("?" * len(columns))
            # The engine's sqlite3 connections run in autocommit (SQLAlchemy begins its own
            # transactions): without BEGIN every row would be a transaction of its own.
            self.connection.execute("BEGIN")
            self.connection.executemany(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", prepared)
        self.connection.commit()
        return time.perf_counter() - start

    def next_id(self, table: Table) -> int:
        cursor = self.connection.cursor()
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table.name}")
        (found,) = cursor.fetchone()
        cursor.close()
        return int(found)

    def ids_given(self, table: Table) -> None:
        """After loading explicit ids: PostgreSQL's sequence moves past them (SQLite needs nothing)."""
        if self.postgres:
            self.connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), MAX(id)) FROM {table.name}"
            )
            self.connection.commit()

    def close(self) -> None:
        self.raw.close()


def _batches(rows: Iterable[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def person_rows(rng: random.Random, persons: int, first_id: int) -> Iterator[tuple[Any, ...]]:
    """The people, ids ``first_id`` on, as PERSON_COLUMNS tuples (sealed and blind-indexed ID numbers)."""
    seen: set[str] = set()
    made = 0
    while made < persons:
        number = demo_id_number(rng)
        if number in seen:
            continue
        seen.add(number)
        facts = derived_facts(DocumentType.RESIDENT_ID, number)
        yield (
            first_id + made,
            str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            DocumentType.RESIDENT_ID.value,
            blind_index(DATA_KEY, DocumentType.RESIDENT_ID, number),
            seal(DATA_KEY, number, ID_NUMBER_PURPOSE),
            mask_id_number(number),
            demo_name(rng),
            facts.sex,
            facts.birth_date,
            # registered (or imported) before the earliest entry of any file
            datetime(2011, 9, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(10**7)),
        )
        made += 1


def cohorts(counts: list[int], size: int) -> Iterator[range]:
    """Consecutive people whose files hold about ``size`` entries together."""
    start, total = 0, 0
    for i, count in enumerate(counts):
        total += count
        if total >= size:
            yield range(start, i + 1)
            start, total = i + 1, 0
    if start < len(counts):
        yield range(start, len(counts))


def generate(engine: Engine, *, entries: int, persons: int, seed: int, progress: bool) -> dict[str, Any]:
    """People, then their files cohort by cohort: each cohort's files are built in memory, merged in
    recorded order across its people (as the service appends them: one person's entries end up
    spread over the cohort's ~250,000 rows, each on a page of its own) and bulk-loaded."""
    rng = random.Random(seed)
    loader = BulkLoader(engine)
    started = time.perf_counter()
    person_table, entry_table = Person.__table__, FileEntry.__table__
    first_id = loader.next_id(person_table)
    for batch in _batches(person_rows(rng, persons, first_id), LOAD_BATCH):
        loader.load(person_table, PERSON_COLUMNS, batch)
    loader.ids_given(person_table)
    persons_seconds = time.perf_counter() - started
    counts = entry_counts(rng, entries, persons)
    world = World(institutions(rng))
    build_seconds = insert_seconds = 0.0
    done = shown = 0
    for cohort in cohorts(counts, COHORT_ENTRIES):
        start = time.perf_counter()
        files = [
            person_file(world, random.Random(seed * 1_000_003 + i), first_id + i, counts[i]) for i in cohort
        ]
        build_seconds += time.perf_counter() - start
        for batch in _batches(heapq.merge(*files, key=lambda row: (row[0], row[1])), LOAD_BATCH):
            insert_seconds += loader.load(entry_table, ENTRY_COLUMNS, batch)
            done += len(batch)
        del files
        if progress and done - shown >= 500_000:
            shown = done
            rate = done / (time.perf_counter() - started - persons_seconds)
            print(f"  … {done:>11,} entries loaded ({rate:,.0f}/s)", file=sys.stderr)
    loader.close()
    finished = time.perf_counter()
    return {
        "persons": persons,
        "entries": done,
        "loader": "COPY FROM STDIN" if loader.postgres else "executemany, load pragmas",
        "persons_seconds": round(persons_seconds, 2),
        "build_seconds": round(build_seconds, 2),
        "insert_seconds": round(insert_seconds, 2),
        "total_seconds": round(finished - started, 2),
        "rows_per_second": round((done + persons) / (finished - started)),
        "insert_rows_per_second": round(done / insert_seconds) if insert_seconds else None,
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


# ---------------------------------------------------------------------------------------------
# Measurement
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sampled:
    person_id: int
    public_id: str
    entries: int


def choose_sample(factory: sessionmaker[Session], rng: random.Random, samples: int) -> list[Sampled]:
    """A random sample of people with a file, always including one with the most entries."""
    with session_scope(factory) as session:
        rows = session.execute(
            select(Person.id, Person.public_id, func.count(FileEntry.id))
            .join(FileEntry, FileEntry.person_id == Person.id)
            .group_by(Person.id, Person.public_id)
            .order_by(Person.id)
        ).all()
    everyone = [Sampled(pid, public_id, count) for pid, public_id, count in rows]
    heaviest = max(everyone, key=lambda s: s.entries)
    others = [s for s in everyone if s.person_id != heaviest.person_id]
    return [heaviest, *rng.sample(others, min(samples - 1, len(others)))]


class RawQuery:
    """A plain DBAPI connection (stdlib sqlite3 / psycopg, autocommit) to the same database."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            self.connection: Any = sqlite3.connect(parsed.database or "", isolation_level=None)
            self.placeholder = "?"
        else:
            import psycopg

            conninfo = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
            self.connection = psycopg.connect(conninfo, autocommit=True)
            self.placeholder = "%s"

    def rows(self, sql: str, person_id: int) -> list[Any]:
        cursor = self.connection.cursor()
        cursor.execute(sql.format(p=self.placeholder), (person_id,))
        rows = cursor.fetchall()
        cursor.close()
        return rows

    def plan(self, sql: str, person_id: int) -> list[str]:
        if self.placeholder == "?":
            return [str(row[-1]) for row in self.rows("EXPLAIN QUERY PLAN " + sql, person_id)]
        return [str(row[0]) for row in self.rows("EXPLAIN (ANALYZE, BUFFERS) " + sql, person_id)]

    def close(self) -> None:
        self.connection.close()


class HttpFile:
    """``GET /api/v1/me/file`` against uvicorn serving the app (a child process) on this database."""

    def __init__(self, url: str, state_dir: Path, source: Path = ROOT) -> None:
        import httpx

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.base = f"http://127.0.0.1:{port}"
        self.keystore = bench_keystore(state_dir)
        env = {**os.environ, **server_env(url, state_dir / "keys", self.base), "PYTHONPATH": str(source)}
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            ASGI_APP,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ]
        self.server = subprocess.Popen(command, env=env, cwd=source)
        self.client = httpx.Client(base_url=self.base, timeout=60)
        self.tokens: dict[str, str] = {}
        deadline = time.monotonic() + 60
        while True:
            try:
                if self.client.get("/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if self.server.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError("uvicorn did not start (see its output above)")
            time.sleep(0.2)

    def token(self, public_id: str) -> str:
        if public_id not in self.tokens:
            self.tokens[public_id] = worker_token(self.keystore, self.base, public_id)
        return self.tokens[public_id]

    def status(self, public_id: str) -> int:
        return self.get(public_id)[0]

    def get(self, public_id: str) -> tuple[int, bytes]:
        """The status and the whole body (read, not parsed: parsing is the client's own work)."""
        response = self.client.get(FILE_ROUTE, headers={"Authorization": f"Bearer {self.token(public_id)}"})
        return response.status_code, response.content

    def bare(self) -> int:
        """``GET /healthz``: the same server's floor (HTTP, the app, one ``SELECT 1``)."""
        return self.client.get("/healthz").status_code

    def close(self) -> None:
        self.client.close()
        self.server.terminate()
        try:
            self.server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.server.kill()
            self.server.wait()


def bench_keystore(state_dir: Path) -> Any:
    """The keystore the served app signs and checks access tokens with (created on first use)."""
    from credential_service.crypto.keystore import FileKeyStore
    from credential_service.platform.tokens import ensure_token_key

    keys = state_dir / "keys"
    keys.mkdir(parents=True, exist_ok=True)
    keystore = FileKeyStore(keys, KEYSTORE_PASSPHRASE)
    ensure_token_key(keystore)
    return keystore


def worker_token(keystore: Any, base: str, public_id: str) -> str:
    """A signed-in worker's access token, as the identity provider's sign-in mints it."""
    from credential_service.platform.tokens import Principal, Role, mint_token

    principal = Principal(Role.WORKER, f"worker:{public_id}", frozenset(), tenant=public_id)
    return mint_token(keystore, issuer=base, audience=base, principal=principal, minutes=120)


def server_env(url: str, keys: Path, base: str) -> dict[str, str]:
    """The service's settings for this database, as the environment of ``uvicorn`` (or ``Settings``)."""
    return {
        "CS_ENVIRONMENT": "test",
        "CS_DATABASE_URL": url,
        "CS_KEYSTORE_DIR": str(keys),
        "CS_KEYSTORE_PASSPHRASE": KEYSTORE_PASSPHRASE,
        "CS_DATA_KEY": base64.b64encode(DATA_KEY).decode(),
        "CS_PUBLIC_BASE_URL": base,
    }


def profile_route(url: str, state_dir: Path, sample: list[Sampled], *, top: int) -> str:
    """cProfile of what ``GET /api/v1/me/file`` does below the HTTP server, in this process: the
    token check, the read session, the person, the timeline and the JSON body, for every sampled
    file (once untimed, then profiled). Returns the top entries by own time and by cumulative time."""
    import cProfile
    import io
    import pstats

    from credential_service.core.config import Settings
    from credential_service.runtime import build_runtime
    from credential_service.web.http import _principal
    from credential_service.worker.routes import my_file

    base = "http://bench.invalid"
    keystore = bench_keystore(state_dir)
    env = server_env(url, state_dir / "keys", base)
    runtime = build_runtime(Settings(**{name[3:].lower(): value for name, value in env.items()}))
    tokens = {s.public_id: worker_token(keystore, base, s.public_id) for s in sample}

    def read_all() -> None:
        for s in sample:
            my_file(_principal(runtime, tokens[s.public_id]), runtime).body  # noqa: B018 - rendered

    read_all()
    profiler = cProfile.Profile()
    profiler.runcall(read_all)
    runtime.close()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "median": round(statistics.median(values), 3),
        "p90": round(percentile(values, 0.90), 3),
        "p99": round(percentile(values, 0.99), 3),
        "max": round(max(values), 3),
    }


def measure(
    factory: sessionmaker[Session],
    raw: RawQuery,
    servers: dict[str, HttpFile],
    sample: list[Sampled],
    *,
    rounds: int,
    rng: random.Random,
) -> tuple[dict[str, list[float]], dict[str, Any]]:
    """Latencies in ms per method; also the heaviest file's own figures and any chain problems."""

    def service_timeline(s: Sampled) -> int:
        with session_scope(factory) as session:
            return len(timeline(session, get_person(session, s.public_id)))

    def service_verify(s: Sampled) -> int:
        with session_scope(factory) as session:
            problems = verify_file(session, get_person(session, s.public_id))
        if problems:
            raise AssertionError(f"chain problems in a generated file: {problems[:3]}")
        return s.entries

    def service_file_of(s: Sampled) -> int:
        with session_scope(factory) as session:
            return len(file_of(session, s.public_id))

    def service_person_only(s: Sampled) -> int:
        with session_scope(factory) as session:
            get_person(session, s.public_id)
        return s.entries

    def raw_payload(s: Sampled) -> int:
        return len(raw.rows(RAW_PAYLOAD_SQL, s.person_id))

    def raw_timeline(s: Sampled) -> int:
        rows = raw.rows(TIMELINE_SQL, s.person_id)
        for row in rows:
            json.loads(row[5])
        return len(rows)

    methods: dict[str, Callable[[Sampled], int]] = {
        "worker.file_of (service, as the route reads)": service_file_of,
        "timeline (service, session_scope + get_person)": service_timeline,
        "of which session_scope + get_person alone": service_person_only,
        "verify_file (chain check, for reference)": service_verify,
        "raw SELECT payload … ORDER BY seq (baseline)": raw_payload,
        "raw SELECT timeline columns + json.loads": raw_timeline,
    }
    for label, server in servers.items():

        def over_http(s: Sampled, server: HttpFile = server) -> int:
            status, body = server.get(s.public_id)
            if status != 200:
                raise AssertionError(f"GET {FILE_ROUTE} answered {status}")
            return len(json.loads(body)) if warming else s.entries  # a JSON list, oldest first

        methods[f"GET {FILE_ROUTE} (HTTP, {label})"] = over_http
    if "uvicorn" in servers:
        floor = servers["uvicorn"]

        def bare_route(s: Sampled) -> int:
            if floor.bare() != 200:
                raise AssertionError("GET /healthz failed")
            return s.entries

        methods["GET /healthz (HTTP, same server: the floor)"] = bare_route

    warming = True
    for s in sample:  # warm-up, and every method must see the whole file
        for name, method in methods.items():
            got = method(s)
            if got != s.entries:
                raise AssertionError(f"{name} returned {got} entries, expected {s.entries}")
    warming = False
    times: dict[str, list[float]] = {name: [] for name in methods}
    heaviest: dict[str, list[float]] = {name: [] for name in methods}
    order = list(methods.items())
    for _ in range(rounds):
        people = sample[:]
        rng.shuffle(people)
        for s in people:
            rng.shuffle(order)
            for name, method in order:
                start = time.perf_counter_ns()
                method(s)
                elapsed = (time.perf_counter_ns() - start) / 1e6
                times[name].append(elapsed)
                if s is sample[0]:
                    heaviest[name].append(elapsed)
    return times, {name: round(statistics.median(v), 3) for name, v in heaviest.items()}


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


def count_entries(factory: sessionmaker[Session]) -> int:
    with session_scope(factory) as session:
        return int(session.scalar(select(func.count()).select_from(FileEntry)) or 0)


def database_bytes(engine: Engine, url: str) -> int | None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    with engine.connect() as connection:
        return int(connection.exec_driver_sql("SELECT pg_database_size(current_database())").scalar() or 0)


def run(args: argparse.Namespace, state_dir: Path) -> dict[str, Any]:
    url = args.database_url or f"sqlite:///{state_dir / 'bench-file.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    factory = session_factory(engine)
    existing = count_entries(factory)
    log = (lambda text: None) if args.json else (lambda text: print(text, file=sys.stderr))
    if existing and not args.reuse:
        raise SystemExit(
            f"the database already holds {existing:,} file entries: pass --reuse to measure them, "
            "or give an empty database"
        )
    generation: dict[str, Any] | None = None
    if existing:
        log(f"==> reusing {existing:,} entries already in the database")
    else:
        log(f"==> generating {args.entries:,} entries for {args.persons:,} people ({url.split(':', 1)[0]})")
        generation = generate(
            engine, entries=args.entries, persons=args.persons, seed=args.seed, progress=not args.json
        )
        if make_url(url).get_backend_name() == "postgresql":
            with engine.begin() as connection:  # what autovacuum would have done after the load
                connection.exec_driver_sql("ANALYZE")
    size = database_bytes(engine, url)
    rng = random.Random(args.seed + 1)
    sample = choose_sample(factory, rng, args.samples)
    raw = RawQuery(url)
    servers: dict[str, HttpFile] = {}
    http_note = None
    if args.http:
        sources = {"uvicorn": ROOT}
        if args.compare_source:
            sources[f"uvicorn, {args.compare_source}"] = args.compare_source.resolve()
        for label, source in sources.items():
            server = HttpFile(url, state_dir, source)
            status = server.status(sample[0].public_id)
            if status == 200:
                servers[label] = server
            else:
                http_note = f"GET {FILE_ROUTE} answered {status} ({label}): not measured"
                server.close()
    log(f"==> measuring {len(sample)} files × {args.rounds} rounds")
    try:
        times, heaviest = measure(factory, raw, servers, sample, rounds=args.rounds, rng=rng)
        plan = raw.plan(TIMELINE_SQL, sample[0].person_id)
    finally:
        raw.close()
        for server in servers.values():
            server.close()
        engine.dispose()
    stats = {name: summary(values) for name, values in times.items()}
    baseline = next(name for name in stats if "(baseline)" in name)
    ratios = {
        f"{name} / baseline": {q: round(stats[name][q] / stats[baseline][q], 2) for q in ("median", "p99")}
        for name in stats
        if name != baseline and not name.startswith("of which")
    }
    counts = [s.entries for s in sample]
    return {
        "database": url.split(":", 1)[0],
        "database_bytes": size,
        "entries_in_database": existing or (generation or {}).get("entries"),
        "generation": generation,
        "sample": {
            "files": len(sample),
            "rounds": args.rounds,
            "entries_per_file": {
                "min": min(counts),
                "median": statistics.median(counts),
                "p90": percentile(counts, 0.9),
                "max": max(counts),
            },
        },
        "latency_ms": stats,
        "heaviest_file_median_ms": {"entries": sample[0].entries, **heaviest},
        "ratios_to_baseline": ratios,
        "timeline_query_plan": plan,
        "http_note": http_note,
        "profile": profile_route(url, state_dir, sample, top=args.profile) if args.profile else None,
    }


def report(result: dict[str, Any]) -> None:
    gen = result["generation"]
    size = result["database_bytes"]
    print(
        f"Database: {result['database']}, {result['entries_in_database']:,} file entries"
        + (f", {size / 2**20:,.0f} MiB" if size else "")
    )
    if gen:
        print(
            f"Generated {gen['entries']:,} entries + {gen['persons']:,} people "
            f"in {gen['total_seconds']:.1f} s "
            f"({gen['rows_per_second']:,} rows/s overall; bulk insert alone {gen['insert_seconds']:.1f} s, "
            f"{gen['insert_rows_per_second']:,} rows/s; building files and hash chains "
            f"{gen['build_seconds']:.1f} s; peak memory {gen['peak_rss_mib']:,} MiB)"
        )
    sample = result["sample"]
    epf = sample["entries_per_file"]
    print(
        f"Sample: {sample['files']} files × {sample['rounds']} rounds (warm caches); entries per file "
        f"min {epf['min']}, median {epf['median']:g}, p90 {epf['p90']}, max {epf['max']}\n"
    )
    print(f"  {'latency, ms':<50} {'median':>8} {'p90':>8} {'p99':>8} {'max':>8}   heaviest file")
    heaviest = result["heaviest_file_median_ms"]
    for name, s in result["latency_ms"].items():
        shown = f"  {name}" if name.startswith("of which") else name
        print(
            f"  {shown:<50} {s['median']:>8.2f} {s['p90']:>8.2f} {s['p99']:>8.2f} {s['max']:>8.2f}"
            f"   {heaviest[name]:>6.2f} ({heaviest['entries']} entries)"
        )
    print()
    for name, r in result["ratios_to_baseline"].items():
        print(f"  {name:<62} median {r['median']:>6.1f}×   p99 {r['p99']:>6.1f}×")
    if result["http_note"]:
        print(f"\n  {result['http_note']}")
    print("\nPlan of the timeline query:")
    for line in result["timeline_query_plan"]:
        print(f"  {line}")
    if result["profile"]:
        print(f"\ncProfile of {FILE_ROUTE} below HTTP (every sampled file once):\n{result['profile']}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entries", type=int, default=1_000_000, help="file entries to generate")
    parser.add_argument(
        "--persons",
        type=int,
        help=f"people to spread them over (default: --entries / {ENTRIES_PER_PERSON}, about ten each)",
    )
    parser.add_argument("--samples", type=int, default=500, help="files to read (incl. the largest)")
    parser.add_argument("--rounds", type=int, default=3, help="timed reads of each sampled file per method")
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: SQLite in a temp dir)")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="keep the SQLite database (and keys) in DIR")
    parser.add_argument("--reuse", action="store_true", help="measure the entries already in the database")
    parser.add_argument(
        "--http",
        action=argparse.BooleanOptionalAction,
        default=True,
        help=f"also GET {FILE_ROUTE} through uvicorn (skipped by itself while the route answers 404)",
    )
    parser.add_argument(
        "--compare-source",
        type=Path,
        metavar="DIR",
        help="also serve the app from another source tree (e.g. a checkout of main) on the same "
        "database, measured interleaved with this one: before and after in one run",
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help=f"also cProfile {FILE_ROUTE} below HTTP over the sample, in this process (top N entries)",
    )
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.persons is None:
        args.persons = max(1, args.entries // ENTRIES_PER_PERSON)
    if args.persons < 1 or not (
        MAX_ENTRIES + MIN_ENTRIES * (args.persons - 1) <= args.entries <= MAX_ENTRIES * args.persons
    ):
        parser.error(f"every person gets {MIN_ENTRIES}–{MAX_ENTRIES} entries and one gets {MAX_ENTRIES}")
    if args.samples < 1 or args.rounds < 1:
        parser.error("--samples and --rounds must be at least 1")
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        result = run(args, args.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="bench-file-") as tmp:
            result = run(args, Path(tmp))
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        report(result)


if __name__ == "__main__":
    main()
