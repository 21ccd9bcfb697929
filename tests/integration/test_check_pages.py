"""The employer's and HR clerk's pages over real HTTP: /check (number + name, or ID number + name),
/check/bulk (a list, its results and their downloads), the shared view's PDF and verify links, and
the failed QR page's way to /check."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook

from credential_service.certificates.qr_codes import certificate_qr
from credential_service.core.clock import beijing_text
from credential_service.core.sheets import FORMULA_STARTS
from credential_service.identity import service as identity
from credential_service.identity.rules import DocumentType, mask_name
from credential_service.issuers.models import Issuer
from credential_service.runtime import Runtime
from credential_service.verification.pages.bulk import open_results, seal_results
from credential_service.worker import service as worker
from tests.conftest import BASE_URL
from tests.factories import form_csrf, holder, issue_certificate

UNKNOWN = "Y000014010001263999999"  # well-formed, never issued
LATIN_WORD = re.compile(r"\b[A-Za-z]{3,}\b")


def _text(html: str, element_id: str) -> str:
    """The text of the element with ``element_id`` (tags dropped, spaces collapsed)."""
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</(?:p|section|div|table|td)>', html, re.S)
    assert found, f"no #{element_id}"
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


def _post_check(client: TestClient, **fields: str) -> tuple[int, str]:
    answer = client.post("/check", data={"csrf": form_csrf(client, "/check"), **fields})
    return answer.status_code, answer.text


# ------------------------------------------------------------------------------------------ /check


def test_check_by_number_and_name_answers_as_the_api_masked(
    client: TestClient, runtime: Runtime, organisation: Issuer
) -> None:
    record = issue_certificate(runtime, organisation, who=holder(name="钱一多"))
    number = str(record.certificate_number)

    form = client.get("/check")
    assert form.status_code == 200
    assert 'action="/check"' in form.text and 'name="csrf"' in form.text and "<script" not in form.text

    status, page = _post_check(client, by="number", certificate_number=number.lower(), name="钱一多")
    assert status == 200
    assert _text(page, "verdict") == "真实有效"
    assert _text(page, "holder") == mask_name("钱一多")
    assert _text(page, "number") == number
    assert "钱一多" not in page  # the name in full is neither shown nor put back in the form

    api = client.post("/api/v1/verify/query", json={"certificateNumber": number, "name": "钱一多"}).json()
    assert api["certificates"][0]["verdict"] == "genuine" and api["certificates"][0]["certificate"][
        "name"
    ] == mask_name("钱一多")

    # A wrong name and an unknown number read the same: the answer never confirms that a number exists.
    wrong_name = _text(_post_check(client, by="number", certificate_number=number, name="钱二")[1], "answer")
    unknown = _text(_post_check(client, by="number", certificate_number=UNKNOWN, name="钱二")[1], "answer")
    assert wrong_name == unknown
    assert wrong_name.startswith("未查到")


def test_check_by_id_number_and_name_never_shows_the_id_number(
    client: TestClient, runtime: Runtime, organisation: Issuer
) -> None:
    who = holder(name="孙小二")
    issue_certificate(runtime, organisation, who=who)
    status, page = _post_check(
        client, by="identity", id_type=DocumentType.RESIDENT_ID.value, id_number=who.id_number, name="孙小二"
    )
    assert status == 200
    assert _text(page, "verdict") == "真实有效"
    assert who.id_number not in page and who.id_number[-6:] not in page


@pytest.mark.parametrize(
    ("fields", "field_id", "says"),
    [
        ({"by": "number", "certificate_number": "", "name": "钱一"}, "certificate_number", "请填写证书编号"),
        ({"by": "number", "certificate_number": "Y123", "name": "钱一"}, "certificate_number", "22 位"),
        ({"by": "number", "certificate_number": UNKNOWN, "name": " "}, "name", "请填写姓名"),
        ({"by": "number", "certificate_number": UNKNOWN, "name": "钱" * 51}, "name", "最多 50 个字"),
        ({"by": "identity", "id_type": "nonsense", "id_number": "1", "name": "钱一"}, "id_type", "证件类型"),
        (
            {"by": "identity", "id_type": "resident_id", "id_number": "", "name": "钱一"},
            "id_number",
            "证件号码",
        ),
        ({"by": "identity", "id_type": "resident_id", "id_number": "x", "name": ""}, "id_name", "请填写姓名"),
        ({"by": "somehow", "name": "钱一"}, "", "请使用页面上的表单"),
    ],
)
def test_bad_input_is_named_in_chinese_and_nothing_is_looked_up(
    client: TestClient, runtime: Runtime, fields: dict[str, str], field_id: str, says: str
) -> None:
    status, page = _post_check(client, **fields)
    assert status == 422
    error = _text(page, "check-error")
    assert says in error and not LATIN_WORD.search(error), error
    if field_id:
        assert re.search(rf'id="{field_id}"[^>]*aria-invalid="true"', page), field_id
    budget = runtime.settings.verify_queries_per_minute
    assert runtime.query_limiter.take("testclient", budget) is None  # nothing was spent


def test_a_malformed_id_number_is_said_so_in_one_language(client: TestClient) -> None:
    status, page = _post_check(
        client, by="identity", id_type="resident_id", id_number="110105194912310021", name="钱一"
    )
    assert status == 422
    assert _text(page, "check-error") == "证件号码不正确：校验码不正确"
    assert "110105194912310021" not in page


def test_the_check_form_needs_its_csrf_token(client: TestClient) -> None:
    answer = client.post("/check", data={"by": "number", "certificate_number": UNKNOWN, "name": "钱一"})
    assert answer.status_code == 403
    assert "表单已过期" in answer.text and "expired" not in answer.text


def test_check_shares_the_apis_rate_limit_and_says_so_in_chinese(
    client: TestClient, runtime: Runtime
) -> None:
    body = {"certificateNumber": UNKNOWN, "name": "某某"}
    for _ in range(runtime.settings.verify_queries_per_minute - 1):
        assert client.post("/api/v1/verify/query", json=body).status_code == 200
    assert _post_check(client, by="number", certificate_number=UNKNOWN, name="某某")[0] == 200
    answer = client.post(
        "/check",
        data={
            "csrf": form_csrf(client, "/check"),
            "by": "number",
            "certificate_number": UNKNOWN,
            "name": "某",
        },
    )
    assert answer.status_code == 429
    assert int(answer.headers["retry-after"]) >= 1
    error = _text(answer.text, "check-error")
    assert error.startswith("请求过于频繁") and not LATIN_WORD.search(error), error
    assert client.post("/api/v1/verify/query", json=body).status_code == 429  # one limiter for both


# ------------------------------------------------------------------------------------- /check/bulk


def _xlsx(rows: Sequence[Sequence[str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    for cells in sheet.iter_rows():
        for cell in cells:
            cell.data_type = "s"  # text, as typed: openpyxl would store "=…" as a formula
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _upload(client: TestClient, content: bytes, filename: str) -> tuple[int, str]:
    answer = client.post(
        "/check/bulk",
        data={"csrf": form_csrf(client, "/check/bulk")},
        files={"file": (filename, content)},
    )
    return answer.status_code, answer.text


def _result_rows(page: str) -> list[tuple[str, str]]:
    """(verdict code, the row's text) of every row of the results table."""
    rows = re.findall(r'<tr class="result [^"]*" data-verdict="(\w+)">(.*?)</tr>', page, re.S)
    return [(verdict, " ".join(re.sub(r"<[^>]+>", " ", text).split())) for verdict, text in rows]


def _sealed(page: str) -> str:
    found = re.search(r'name="results" value="([^"]+)"', page)
    assert found
    return found.group(1)


def _export(client: TestClient, page: str, kind: str) -> bytes:
    answer = client.post(
        "/check/bulk/export",
        data={"csrf": form_csrf(client, "/check/bulk"), "results": _sealed(page), "format": kind},
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "private, no-store"
    return answer.content


FORMULAS = ['=HYPERLINK("http://evil.test","点我")', "+1+1", "-2+3", "@SUM(A1)"]


@pytest.fixture
def checked_list(
    client: TestClient, runtime: Runtime, organisation: Issuer, admin_headers: dict[str, str]
) -> tuple[str, list[str]]:
    """A list with a genuine, a revoked, a wrong name, an unknown number, a malformed number, a
    missing name and formula-like cells, uploaded as Excel; (results page, certificate numbers)."""
    people = [holder(name=n) for n in ("周一", "吴二", "郑三")]
    numbers = [str(issue_certificate(runtime, organisation, who=p).certificate_number) for p in people]
    grounds = {"reason_code": "fraud", "evidence": "稽查报告 2026-07", "authority": "山西省人社厅"}
    assert client.post(
        f"/api/v1/certificates/{numbers[1]}/revoke", json=grounds, headers=admin_headers
    ).is_success
    rows = [
        ("证书编号", "姓名"),
        (numbers[0], "周一"),
        (numbers[1], "吴二"),
        (numbers[2], "王五"),
        (UNKNOWN, "周一"),
        ("Y12345", "周一"),
        (numbers[0], ""),
        ("", ""),  # blank lines are skipped
        (FORMULAS[0], FORMULAS[1]),
        (FORMULAS[2], FORMULAS[3]),
    ]
    status, page = _upload(client, _xlsx(rows), "名单.xlsx")
    assert status == 200, page
    return page, numbers


def test_a_list_gets_a_verdict_per_row_in_chinese(checked_list: tuple[str, list[str]]) -> None:
    page, numbers = checked_list
    rows = _result_rows(page)
    assert [verdict for verdict, _ in rows] == [
        "genuine", "revoked", "no_match", "no_match", "bad_row", "bad_row", "bad_row", "bad_row",
    ]  # fmt: skip
    texts = [text for _, text in rows]
    assert texts[0].startswith(f"2 {numbers[0]} 周一 真实有效")  # the spreadsheet's row number
    assert "周*" in texts[0]
    assert "已撤销" in texts[1] and "原因" in texts[1]
    assert texts[2].split()[3:] == texts[3].split()[3:]  # a wrong name reads as an unknown number
    assert "证书编号应为 22 位" in texts[4] and "缺少姓名" in texts[5]
    for text in texts:  # row errors and verdicts in Chinese only
        words = [w for w in LATIN_WORD.findall(text) if w not in {"HYPERLINK", "http", "evil", "test", "SUM"}]
        assert not words, text
    assert "共 8 行" in _text(page, "summary")


def test_results_download_as_formula_safe_excel_and_csv(
    client: TestClient, checked_list: tuple[str, list[str]]
) -> None:
    page, numbers = checked_list
    book = load_workbook(io.BytesIO(_export(client, page, "xlsx")))
    sheet = book.worksheets[0]
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type == "s" for cell in cells if cell.value is not None)  # no formula, ever
    assert not [c.value for c in cells if str(c.value or "").startswith(FORMULA_STARTS)]
    table = [[str(c.value or "") for c in row] for row in sheet.iter_rows()]
    assert table[0][:5] == ["行号", "证书编号", "姓名", "核验结论", "说明"]
    assert [row[3] for row in table[1:]] == [
        "真实有效", "已撤销", "未查到", "未查到", "无法查验", "无法查验", "无法查验", "无法查验",
    ]  # fmt: skip
    assert table[1][1] == numbers[0] and table[1][5] == "周*"
    assert table[7][1] == "'" + FORMULAS[0] and table[7][2] == "'" + FORMULAS[1]

    text = _export(client, page, "csv").decode("utf-8-sig")
    records = list(csv.reader(io.StringIO(text)))
    assert records[0] == table[0] and len(records) == 9
    for cell in (cell for record in records for cell in record):
        assert not cell.startswith(FORMULA_STARTS), cell
    assert records[7][1:3] == ["'" + FORMULAS[0], "'" + FORMULAS[1]]
    assert records[8][1:3] == ["'" + FORMULAS[2], "'" + FORMULAS[3]]


def test_a_download_is_only_of_what_this_service_answered(client: TestClient, runtime: Runtime) -> None:
    forged = seal_results(runtime, [["行号"], ["1"]])[:-4] + "AAAA"
    for results in (forged, "not sealed", ""):
        answer = client.post(
            "/check/bulk/export",
            data={"csrf": form_csrf(client, "/check/bulk"), "results": results, "format": "xlsx"},
        )
        assert answer.status_code == 400 and "请重新上传名单" in answer.text
    assert open_results(runtime, seal_results(runtime, [["a", "=b"]])) == [["a", "=b"]]
    no_csrf = client.post("/check/bulk/export", data={"results": seal_results(runtime, [["a"]])})
    assert no_csrf.status_code == 403


@pytest.mark.parametrize(
    ("content", "filename", "says"),
    [
        (b"number,who\nY1,x\n", "a.csv", "名单第一行应为表头：证书编号,姓名"),
        (b"\xff\xfe\x00garbage", "a.xlsx", "编码应为"),
        (b"PK\x03\x04 not really a zip", "a.xlsx", "不是 Excel (.xlsx) 文件"),
        ("证书编号,姓名\n".encode(), "a.csv", "名单中没有要查验的行"),
        (("证书编号,姓名\n" + "Y1,x\n" * 501).encode(), "a.csv", "一次最多核验 500 行"),
        (("证书编号,姓名\n" + "Y1," + "长" * 300 + "\n").encode(), "a.csv", "第 2 行：单元格超过 200 个字符"),
    ],
)
def test_a_bad_list_is_refused_in_chinese_and_nothing_is_checked(
    client: TestClient, runtime: Runtime, content: bytes, filename: str, says: str
) -> None:
    status, page = _upload(client, content, filename)
    assert status == 422
    error = _text(page, "bulk-error")
    assert says in error, error
    assert not [w for w in LATIN_WORD.findall(error) if w not in {"Excel", "xlsx", "UTF"}], error
    budget = runtime.settings.verify_bulk_rows_per_hour
    assert runtime.bulk_limiter.take("testclient", budget) is None  # nothing was spent


def test_a_list_without_a_file_or_csrf_is_refused(client: TestClient) -> None:
    status, page = _upload(client, b"", "")
    assert status == 422 and "请选择名单文件" in _text(page, "bulk-error")
    answer = client.post("/check/bulk", files={"file": ("a.csv", "证书编号,姓名\nY1,x\n".encode())})
    assert answer.status_code == 403


def test_the_list_check_shares_the_apis_row_budget_and_says_so_in_chinese(
    client: TestClient, runtime: Runtime
) -> None:
    rows = runtime.settings.verify_bulk_max_rows
    budget = runtime.settings.verify_bulk_rows_per_hour
    item = {"certificateNumber": UNKNOWN, "name": "某某"}
    for _ in range(budget // rows - 1):
        assert client.post("/api/v1/verify/bulk", json={"items": [item] * rows}).status_code == 200
    listed = ("证书编号,姓名\n" + f"{UNKNOWN},某某\n" * rows).encode()
    assert _upload(client, listed, "a.csv")[0] == 200
    answer = client.post(
        "/check/bulk", data={"csrf": form_csrf(client, "/check/bulk")}, files={"file": ("a.csv", listed)}
    )
    assert answer.status_code == 429 and int(answer.headers["retry-after"]) > 60
    error = _text(answer.text, "bulk-error")
    assert error.startswith("请求过于频繁") and not LATIN_WORD.search(error), error


def test_the_templates_are_lists_the_check_takes(client: TestClient) -> None:
    page = client.get("/check/bulk")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text
    xlsx = client.get("/check/bulk/template.xlsx")
    assert xlsx.status_code == 200 and xlsx.headers["content-type"].startswith("application/vnd.openxml")
    sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    assert [c.value for c in next(sheet.iter_rows())] == ["证书编号", "姓名"]
    template_csv = client.get("/check/bulk/template.csv")
    assert template_csv.content.decode("utf-8-sig").splitlines()[0] == "证书编号,姓名"
    for template in (xlsx.content, template_csv.content):
        status, results = _upload(client, template, "template")
        assert status == 200 and [v for v, _ in _result_rows(results)] == ["no_match"]
    assert client.get("/check/bulk/template.pdf").status_code == 404


# --------------------------------------------------------------------- the shared view and /v/{token}


def test_the_shared_view_links_the_pdf_and_the_verification_page(
    client: TestClient, runtime: Runtime, organisation: Issuer
) -> None:
    who = holder(name="冯小六")
    record = issue_certificate(runtime, organisation, who=who)
    number = str(record.certificate_number)
    with runtime.session() as session:
        person = identity.find_person(
            session, runtime.settings.data_key_bytes, identity.identify(who.document_type, who.id_number)
        )
        assert person is not None
        created = worker.create_share_link(session, person, certificate_number=number, days=7)
        token = certificate_qr(session, runtime.keystore, record, public_base_url=BASE_URL).token
        expires = created.link.expires_at

    page = client.get(f"/s/{created.token}")
    assert page.status_code == 200
    assert f"有效期至 {beijing_text(expires, minutes=True)}（北京时间）" in page.text
    assert "UTC" not in page.text
    assert f'href="/s/{created.token}/{number}.pdf"' in page.text
    assert f'href="/v/{token}"' in page.text

    pdf = client.get(f"/s/{created.token}/{number}.pdf")
    if pdf.status_code == 503:
        pytest.skip("no CJK font for the printable certificate (scripts/setup_system.sh installs it)")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert pdf.headers["cache-control"] == "private, no-store"
    verified = client.get(f"/v/{token}")
    assert _text(verified.text, "verdict") == "真实有效"
    assert 'href="/check"' not in verified.text  # a genuine certificate needs no other way

    other = str(issue_certificate(runtime, organisation).certificate_number)
    assert client.get(f"/s/{created.token}/{other}.pdf").status_code == 410  # not what was shared
    assert client.get(f"/s/not-a-token/{number}.pdf").status_code == 410


def test_a_failed_qr_page_offers_the_check_by_number_and_name(client: TestClient) -> None:
    page = client.get("/v/NOT-A-TOKEN")
    assert page.status_code == 200
    assert _text(page.text, "verdict") == "不是真实证书"
    assert 'href="/check"' in page.text and "用证书编号和姓名查验" in page.text
