"""Masking per document type (decision 025) on every page and printout that shows an ID number: the
worker's own page, the public 公示 page and the printable certificate. A number shorter than 15
characters shows at most 4 of them; none is ever shown whole."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import date, timedelta

import pypdfium2 as pdfium
import pytest
from fastapi.testclient import TestClient

from credential_service.assessment.organisations import service as organisations
from credential_service.assessment.workflow import plans, submissions
from credential_service.assessment.workflow.results.sheet import read_csv
from credential_service.certificates import service as certificates
from credential_service.identity.rules import DOCUMENT_TYPE_NAMES, DocumentType, gb11643_check_char
from credential_service.issuers.models import Issuer
from credential_service.runtime import Runtime
from tests.conftest import ORG_CODE
from tests.factories import form_csrf, issue_certificate

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # pages: one backend is enough


def _gb11643(first17: str) -> str:
    return first17 + gb11643_check_char(first17)


NUMBERS = {
    DocumentType.RESIDENT_ID: _gb11643("14010519900101123"),
    DocumentType.HK_MO_RESIDENCE: _gb11643("81000019900101123"),
    DocumentType.TW_RESIDENCE: _gb11643("83000019850505456"),
    DocumentType.FOREIGN_PERMANENT: "USA140090010101",  # the 2017 card: 3 letters and 12 digits
    DocumentType.HK_MO_PASS: "H12345678",
    DocumentType.TW_PASS: "12345678",
    DocumentType.PASSPORT: "E12345678",
}
NAMES = dict(zip(NUMBERS, ("王小明", "陈家豪", "林志玲", "史密斯", "李嘉欣", "张惠妹", "约翰"), strict=True))


def visible_characters_of(number: str, text: str) -> int:
    """How many characters of ``number`` its masked form in ``text`` shows (0 when absent): the
    characters around a run of ``*`` that begin and end the number."""
    assert number not in text, f"{number} shown whole"
    shown = [
        len(head) + len(tail)
        for head, tail in re.findall(r"([0-9A-Za-z]*)\*+([0-9A-Za-z]*)", text)
        if (head or tail) and number.startswith(head) and number.endswith(tail)
    ]
    return max(shown, default=0)


def assert_masked(number: str, text: str, where: str) -> None:
    visible = visible_characters_of(number, text)
    limit = 7 if len(number) >= 15 else 4
    assert 0 < visible <= limit, f"{where}: {visible} characters of {number} visible"


def test_every_document_type_is_masked_on_the_worker_page_and_the_printout(
    client: TestClient, runtime: Runtime, organisation: Issuer
) -> None:
    for kind, number in NUMBERS.items():
        who = certificates.Holder(NAMES[kind], kind, number)
        certificate = issue_certificate(runtime, organisation, who=who).certificate_number
        client.cookies.clear()
        form = {"document_type": kind.value, "id_number": number, "name": who.name}
        form["csrf"] = form_csrf(client, "/signin")
        assert client.post("/signin/dev", data=form, follow_redirects=False).status_code == 303
        page = client.get("/me")
        assert page.status_code == 200
        assert_masked(number, page.text, f"/me ({kind.value})")
        pdf = client.get(f"/me/certificates/{certificate}/certificate.pdf")
        if pdf.status_code == 503:
            pytest.skip("no CJK font for the printable certificate (scripts/setup_system.sh installs it)")
        assert pdf.status_code == 200
        document = pdfium.PdfDocument(pdf.content)
        printed = document[0].get_textpage().get_text_range()
        document.close()
        assert DOCUMENT_TYPE_NAMES[kind] in printed
        assert_masked(number, printed, f"certificate.pdf ({kind.value})")


def test_every_document_type_is_masked_on_the_public_publicity_page(
    client: TestClient, runtime: Runtime
) -> None:
    rows = "".join(f"{DOCUMENT_TYPE_NAMES[k]},{n},{NAMES[k]},80,85\n" for k, n in NUMBERS.items())
    sheet = ("证件类型,证件号码,姓名,理论知识成绩,技能操作成绩\n" + rows).encode()
    exam = date.today() - timedelta(days=3)
    with runtime.session() as session:
        organisation = organisations.get_organisation(session, ORG_CODE)
        plans.file_plan(
            session, organisation, plan_ref="MASKS", occupation_code="6-18-02-04", subtype="电焊工",
            level=4, exam_start=exam, exam_end=exam,
            examiners=[{"name": "考评员", "certificate_number": "KP0001"}],
        )  # fmt: skip
        submission = submissions.submit_results(
            session, runtime.keystore, runtime.settings.data_key_bytes, organisation,
            plan_ref="MASKS", rows=read_csv(io.BytesIO(sheet)), source="csv",
            content_sha256=hashlib.sha256(sheet).hexdigest(),
        )  # fmt: skip
        assert submission.rows_accepted == len(NUMBERS)
    page = client.get("/publicity")
    assert page.status_code == 200
    for kind, number in NUMBERS.items():
        assert_masked(number, page.text, f"/publicity ({kind.value})")
