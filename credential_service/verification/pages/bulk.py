"""The HR clerk's list check (/check/bulk): upload a list of 证书编号,姓名 (Excel or CSV, as the API's
``POST /api/v1/verify/bulk`` takes it), see a verdict per row, download the results as Excel or CSV.

The list is read by the API's bounded reader and checked by its service, under the same limiter
(each row costs one). The results page carries the results sealed (an HMAC under a key derived from
the data key), so that the downloads need neither a second check nor anything kept on the server,
and a download says only what this service answered.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

import orjson
from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from credential_service.certificates.rules import CERTIFICATE_NUMBER
from credential_service.core import sheets
from credential_service.core.clock import beijing_text, utcnow
from credential_service.core.errors import InvalidInput, TooManyRequests
from credential_service.verification import lookup, service
from credential_service.verification.lookup import BulkRow
from credential_service.verification.pages.verdicts import page_lang, status_note
from credential_service.verification.ports import VerifyingRuntime, VerifyingRuntimeDep
from credential_service.verification.rules import Verdict
from credential_service.verification.tokens import TokenVerification
from credential_service.web.http import check_form_csrf, private_download, rate_limit
from credential_service.web.i18n import TEXTS, Lang, in_lang
from credential_service.web.sessions import pre_session_form
from credential_service.web.templating import render

router = APIRouter(include_in_schema=False)
NO_MATCH, BAD_ROW = "no_match", "bad_row"
ROW_VERDICTS = (*(v.value for v in Verdict), NO_MATCH, BAD_ROW)  # as the summary lists them
# The sealed results of 500 rows take about 40 KB; a form field is bounded well above that.
MAX_SEALED_CHARS = 900_000
Csrf = Annotated[str, Form(max_length=64)]


# ------------------------------------------------------------------------------ the rows in words


def row_problem(row: BulkRow) -> str | None:
    """What keeps a row from being checked ("中文 / English"), or None. Said only of what anyone can
    see in the row itself: a number of the wrong shape, an empty cell."""
    if not row.certificate_number:
        return "缺少证书编号 / the certificate number is missing"
    if not CERTIFICATE_NUMBER.match(row.certificate_number.strip().upper()):
        return "证书编号应为 22 位：字母 Y 或 S 加 21 位数字 / a certificate number is Y or S and 21 digits"
    if not row.name.strip():
        return "缺少姓名 / the name is missing"
    return None


@dataclass(frozen=True)
class BulkLine:
    """One row of the results: its verdict (a ``Verdict`` value, ``no_match`` or ``bad_row``) and the
    cells shown on the page and written to the downloads, in ``header`` order."""

    verdict: str
    cells: list[str]


def header(lang: Lang) -> list[str]:
    t = TEXTS[lang]
    return [
        t["col_row"], t["number"], t["name"], t["col_verdict"], t["col_detail"], t["col_holder"],
        t["occupation"], t["level"], t["issuer"], t["issued"], t["col_checked_at"],
    ]  # fmt: skip


def bulk_line(row: BulkRow, result: TokenVerification | None, *, lang: Lang, checked_at: str) -> BulkLine:
    """A checked row in words; the row number is the spreadsheet's (the header is row 1)."""
    t = TEXTS[lang]
    problem = row_problem(row)
    if problem is not None:
        verdict, detail = BAD_ROW, in_lang(problem, lang)
    elif result is None:  # a wrong name and an unknown number read the same
        verdict, detail = NO_MATCH, t["no_match_detail"]
    else:
        verdict, detail = result.verdict.value, status_note(result, lang)
    found = result.certificate if result is not None else None
    facts = ["—"] * 5
    if found is not None:
        level = found.level_zh if lang == "zh" else found.level_en
        occupation = f"{found.occupation_name}（{found.subtype}）" if found.subtype else found.occupation_name
        facts = [found.masked_name, occupation, level, found.issuer_name, beijing_text(found.issued_on)]
    cells = [str(row.row + 1), row.certificate_number, row.name, t["verdict_" + verdict], detail or "—"]
    return BulkLine(verdict, [*cells, *facts, checked_at])


def summary(lines: Sequence[BulkLine], lang: Lang) -> str:
    """ "真实有效 12 · 已撤销 1 · 未查到 5 · …", in the order of ``ROW_VERDICTS``."""
    counts = Counter(line.verdict for line in lines)
    return " · ".join(f"{TEXTS[lang]['verdict_' + v]} {counts[v]}" for v in ROW_VERDICTS if counts[v])


# ------------------------------------------------------------------------------ sealed results


def _seal_key(runtime: VerifyingRuntime) -> bytes:
    return hmac.new(
        runtime.settings.data_key_bytes, b"credential-service bulk check results", "sha256"
    ).digest()


def seal_results(runtime: VerifyingRuntime, table: list[list[str]]) -> str:
    """The results (header first) as a form value only this service can have made."""
    payload = zlib.compress(orjson.dumps(table), 6)
    tag = hmac.new(_seal_key(runtime), payload, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(tag + payload).decode("ascii")


def open_results(runtime: VerifyingRuntime, sealed: str) -> list[list[str]] | None:
    """The results of ``seal_results``, or None for anything else."""
    try:
        raw = base64.urlsafe_b64decode(sealed.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        return None
    tag, payload = raw[:32], raw[32:]
    if not hmac.compare_digest(tag, hmac.new(_seal_key(runtime), payload, hashlib.sha256).digest()):
        return None
    table = orjson.loads(zlib.decompress(payload))  # ours, so well-formed
    return [[str(cell) for cell in row] for row in table]


# ------------------------------------------------------------------------------ pages


def _upload_page(
    request: Request, runtime: VerifyingRuntime, *, error: str = "", status: int = 200
) -> HTMLResponse:
    context = {"title": "批量查验证书", "max_rows": runtime.settings.verify_bulk_max_rows, "error": error}
    return pre_session_form(request, runtime, "check_bulk.html", context, status=status)


@router.get("/check/bulk")
def bulk_page(request: Request, runtime: VerifyingRuntimeDep) -> HTMLResponse:
    return _upload_page(request, runtime)


def sheet_error_text(error: InvalidInput, lang: Lang) -> str:
    """A refused list in the page's language: which row, what is wrong (and the header it needs)."""
    where = error.errors[0].loc if error.errors else ""
    if where == "header":  # the header's names are Chinese in both languages: no "中文 / English" pair
        if lang == "zh":
            return "名单第一行应为表头：证书编号,姓名"
        return "the first row must be the template's header: 证书编号,姓名 (certificate number, name)"
    text = in_lang(error.message, lang)
    if where.startswith("row ") and not text.startswith("第"):
        number = where.removeprefix("row ")
        return f"第 {number} 行：{text}" if lang == "zh" else f"row {number}: {text}"
    return text


@router.post("/check/bulk")
def bulk_submit(
    request: Request,
    runtime: VerifyingRuntimeDep,
    file: Annotated[UploadFile | None, File()] = None,
    csrf: Csrf = "",
) -> HTMLResponse:
    check_form_csrf(request, runtime, csrf)
    lang = page_lang(request)
    if file is None or not file.filename:
        return _upload_page(
            request, runtime, error=in_lang("请选择名单文件 / choose the list file", lang), status=422
        )
    try:
        rows = lookup.read_bulk_sheet(file.file, max_rows=runtime.settings.verify_bulk_max_rows)
        if not rows:
            raise InvalidInput("名单中没有要查验的行 / the list has no rows to check")
        rate_limit(runtime.bulk_limiter, request, cost=len(rows))
    except TooManyRequests as exc:
        response = _upload_page(request, runtime, error=in_lang(exc.message, lang), status=exc.status)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except InvalidInput as exc:  # not a list, no header, over a limit: nothing was checked
        return _upload_page(request, runtime, error=sheet_error_text(exc, lang), status=422)
    with runtime.replica_session() as session:
        checked = lookup.bulk_check(session, rows, settings=runtime.verification)
    service.queue_logs(
        runtime.verification_log,
        [result for _row, result in checked if result is not None],
        channel="bulk",
        user_agent=request.headers.get("user-agent"),
    )
    checked_at = beijing_text(utcnow(), minutes=True)
    lines = [bulk_line(row, result, lang=lang, checked_at=checked_at) for row, result in checked]
    context = {
        "title": "查验结果",
        "header": header(lang),
        "lines": lines,
        "summary": summary(lines, lang),
        "checked_at": checked_at,
        "sealed": seal_results(runtime, [header(lang), *(line.cells for line in lines)]),
    }
    return pre_session_form(request, runtime, "check_bulk_results.html", context)


EXPORTS = {
    "xlsx": (sheets.XLSX_MEDIA_TYPE, "certificate-check-results.xlsx"),
    "csv": ("text/csv; charset=utf-8", "certificate-check-results.csv"),
}


@router.post("/check/bulk/export")
def bulk_export(
    request: Request,
    runtime: VerifyingRuntimeDep,
    results: Annotated[str, Form(max_length=MAX_SEALED_CHARS)] = "",
    format: Annotated[str, Form(max_length=8)] = "xlsx",
    csrf: Csrf = "",
) -> Response:
    """The results page's rows as a download; every cell passes the formula guard (``sheets.as_text``)."""
    check_form_csrf(request, runtime, csrf)
    table = open_results(runtime, results)
    if table is None or not table or format not in EXPORTS:
        message = TEXTS[page_lang(request)]["bulk_expired"]
        return render(
            request, "message.html", {"title": "400", "heading": "400", "message": message}, status=400
        )
    head, *rows = [[sheets.as_text(cell) for cell in row] for row in table]
    media_type, filename = EXPORTS[format]
    if format == "csv":
        content = sheets.rows_as_csv(head, rows)  # escapes again: as_text leaves a guarded cell alone
    else:
        content = sheets.rows_as_xlsx(head, rows, title="核验结果")
    return private_download(content, media_type, filename)


@router.get("/check/bulk/template.{kind}")
def bulk_template(kind: str, request: Request) -> Response:
    """The list template: header 证书编号,姓名 and one example row."""
    if kind not in EXPORTS:
        return render(
            request,
            "message.html",
            {"title": "404", "heading": "404", "message": "未找到 / not found"},
            status=404,
        )
    content = lookup.bulk_template_xlsx() if kind == "xlsx" else lookup.bulk_template_csv()
    return Response(
        content,
        media_type=EXPORTS[kind][0],
        headers={"Content-Disposition": f'attachment; filename="certificate-check-template.{kind}"'},
    )
