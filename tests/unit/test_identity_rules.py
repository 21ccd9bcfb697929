from __future__ import annotations

import hashlib
import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from credential_service.identity.rules import (
    DocumentType,
    IdNumberError,
    blind_index,
    gb11643_check_char,
    holds_id_number,
    mask_id_number,
    mask_name,
    normalise_id_number,
    stored_value_holds_id_number,
)

RID = DocumentType.RESIDENT_ID


@pytest.mark.parametrize("number", ["11010519491231002X", "440524188001010014"])
def test_published_examples_are_valid(number: str) -> None:
    assert normalise_id_number(RID, number) == number


def test_lowercase_x_is_normalised() -> None:
    assert normalise_id_number(RID, " 11010519491231002x ") == "11010519491231002X"


@pytest.mark.parametrize(
    ("number", "why"),
    [
        ("110105194912310021", "校验码"),  # wrong check digit
        ("11010519491331002" + gb11643_check_char("11010519491331002"), "出生日期"),  # month 13
        ("1101051949123100", "17 位"),  # too short
    ],
)
def test_bad_numbers_are_refused_without_echoing_them(number: str, why: str) -> None:
    with pytest.raises(IdNumberError) as caught:
        normalise_id_number(RID, number)
    assert why in str(caught.value)
    assert number not in str(caught.value)


def test_future_birth_date_is_refused() -> None:
    first17 = "14010520990101001"
    with pytest.raises(IdNumberError):
        normalise_id_number(RID, first17 + gb11643_check_char(first17), today=date(2026, 1, 1))


def test_retired_county_codes_are_accepted() -> None:
    # 140111 was reorganised long ago; numbers issued there never change.
    first17 = "14011119800101001"
    assert normalise_id_number(RID, first17 + gb11643_check_char(first17))


def test_residence_permits_and_foreign_cards() -> None:
    hk = "81000019900101001"
    assert normalise_id_number(DocumentType.HK_MO_RESIDENCE, hk + gb11643_check_char(hk))
    tw = "83000019900101001"
    assert normalise_id_number(DocumentType.TW_RESIDENCE, tw + gb11643_check_char(tw))
    with pytest.raises(IdNumberError):
        normalise_id_number(RID, hk + gb11643_check_char(hk))  # a permit number is not an ID card
    foreign = "93310019900101001"
    assert normalise_id_number(DocumentType.FOREIGN_PERMANENT, foreign + gb11643_check_char(foreign))
    assert normalise_id_number(DocumentType.FOREIGN_PERMANENT, "usa123456789012") == "USA123456789012"


def test_masking() -> None:
    assert mask_id_number("140105199001011234") == "140***********1234"


# One number per document type, as issued (decision 025): what a page may show of it.
MASKED_BY_TYPE = [
    (DocumentType.RESIDENT_ID, "140105199001011234", "140***********1234"),
    (DocumentType.RESIDENT_ID, "140105900101123", "140********1123"),  # 15-digit first generation
    (DocumentType.HK_MO_RESIDENCE, "810000199001011234", "810***********1234"),
    (DocumentType.TW_RESIDENCE, "830000199001011236", "830***********1236"),
    (DocumentType.FOREIGN_PERMANENT, "USA123456789012", "USA********9012"),  # 2004 format, 15
    (DocumentType.FOREIGN_PERMANENT, "911840199001011238", "911***********1238"),  # 2023 format, 18
    (DocumentType.PASSPORT, "E12345678", "E*****678"),
    (DocumentType.HK_MO_PASS, "H12345678", "H*****678"),
    (DocumentType.TW_PASS, "12345678", "1*****678"),
    (DocumentType.OTHER, "AB12345", "A*****5"),
    (DocumentType.OTHER, "ABC", "*****"),
]


@pytest.mark.parametrize(("document_type", "number", "masked"), MASKED_BY_TYPE)
def test_masking_per_document_type(document_type: DocumentType, number: str, masked: str) -> None:
    shown = mask_id_number(number)
    assert shown == masked
    visible = sum(1 for c in shown if c != "*")
    # Short numbers (passports, travel permits) show at most 4 characters; long ones 7 of 15 or 18.
    assert visible <= (4 if len(number) < 15 else 7), (document_type, shown)
    assert number not in shown


def test_names_are_masked() -> None:
    assert mask_name("张三") == "张*"
    assert mask_name("张小三") == "张*三"
    assert mask_name("欧阳小明") == "欧**明"


def test_blind_index_is_keyed() -> None:
    a = blind_index(b"k" * 32, RID, "11010519491231002X")
    assert a == blind_index(b"k" * 32, RID, "11010519491231002X")
    assert a != blind_index(b"j" * 32, RID, "11010519491231002X")
    assert "11010519491231002X" not in a


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_every_check_char_round_trips(first17: str) -> None:
    number = first17 + gb11643_check_char(first17)
    try:
        normalise_id_number(RID, number, today=date(2026, 1, 1))
    except IdNumberError as exc:
        assert "校验码" not in str(exc)  # only dates or region may fail, never the check char


REGIONS = st.sampled_from(["110105", "140105", "140202", "141102", "440524", "650102", "140111", "810000"])
BIRTH = st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31))


@given(REGIONS, BIRTH, st.integers(min_value=0, max_value=999))
def test_generated_valid_numbers_are_accepted_and_facts_derived(region: str, born: date, serial: int) -> None:
    from credential_service.identity.rules import derived_facts

    first17 = f"{region}{born:%Y%m%d}{serial:03d}"
    number = first17 + gb11643_check_char(first17)
    doc_type = DocumentType.HK_MO_RESIDENCE if region.startswith("81") else RID
    assert normalise_id_number(doc_type, number.lower(), today=date(2026, 1, 1)) == number
    facts = derived_facts(doc_type, number)
    assert facts.birth_date == born
    assert facts.sex == ("M" if serial % 2 else "F")


@given(REGIONS, BIRTH, st.integers(min_value=0, max_value=999), st.sampled_from("0123456789X"))
def test_any_other_check_character_is_refused(region: str, born: date, serial: int, wrong: str) -> None:
    first17 = f"{region}{born:%Y%m%d}{serial:03d}"
    if wrong == gb11643_check_char(first17):
        return
    doc_type = DocumentType.HK_MO_RESIDENCE if region.startswith("81") else RID
    with pytest.raises(IdNumberError, match="校验码"):
        normalise_id_number(doc_type, first17 + wrong, today=date(2026, 1, 1))


@given(st.text(max_size=25))
def test_arbitrary_text_never_crashes_and_never_echoes(text: str) -> None:
    for doc_type in DocumentType:
        try:
            normalise_id_number(doc_type, text, today=date(2026, 1, 1))
        except IdNumberError as exc:
            # The message never repeats a number that was typed (any run of 6+ characters with a digit).
            for run in re.findall(r"[0-9A-Z]*[0-9][0-9A-Z]*", text.strip().upper()):
                assert len(run) < 6 or run not in str(exc)


@pytest.mark.parametrize(
    "text",
    [
        "140521199712232987",
        "14052119971223298",  # the 17 digits that fix the check character
        "ID14052119971223298７",
        "140521 19971223 2987",
        "140521,19971223,2987",
        "140521、19971223：2987",
        "(140521)(19971223)|2987",
        "1405211997122329\u200b87",
        "14052119971223298Х",  # Cyrillic Ha for X
        "一四〇五二一一九九七一二二三二九八七",
        "14O521199712232987",
        "张三 140521 19971223 2987",
        "140521971223298",  # first generation, 15 digits
    ],
)
def test_an_id_number_is_found_in_any_spelling(text: str) -> None:
    assert holds_id_number(text)


@pytest.mark.parametrize(
    "text",
    [
        "Y000014010001263000001",  # a certificate number
        "证书 Y000014010001263000001, Y000014010001263000002",
        "晋人社稽〔2026〕3号 2026-11-10 09:30:00",
        "urn:uuid:2f3a6c1e-8d4b-4f5a-9c2e-1b7d3e9a0f11",
        "成绩 85, 78, 90",
        "张三 李四 王五",
    ],
)
def test_other_numbers_are_not_id_numbers(text: str) -> None:
    assert not holds_id_number(text)


def test_the_stored_value_guard_never_matches_digests_or_certificate_numbers() -> None:
    assert stored_value_holds_id_number('{"note": "号码 140521199712232987"}')
    assert stored_value_holds_id_number("14052119971223298")  # 17 digits, a real birth date
    assert stored_value_holds_id_number("140521971223298")  # 15 digits, a real date
    for value in (
        "Y000014010001263000001",
        hashlib.sha256(b"x").hexdigest(),
        "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        "2026-12-04T08:02:38Z",
    ):
        assert not stored_value_holds_id_number(value)


# The guard's first formulation, kept as the reference for the faster one.
_STORED_ID_REFERENCE = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[0-9Xx]?|\d{15})(?![0-9A-Za-z])")


@given(st.text(alphabet="0123456789Xx aA-中１\n", max_size=60))
def test_stored_id_pattern_finds_what_the_reference_finds(text: str) -> None:
    from credential_service.identity.rules import _STORED_ID  # the pattern itself

    assert [m.span() for m in _STORED_ID.finditer(text)] == [
        m.span() for m in _STORED_ID_REFERENCE.finditer(text)
    ]


# Pieces a stored value is made of: digit runs around the lengths that matter, letters, X, separators,
# Chinese, and digits that are not ASCII (full-width, Arabic-Indic, mathematical bold, beyond U+FFFF).
_PIECES = st.one_of(
    st.integers(min_value=13, max_value=20).map(lambda n: "1" * n),
    st.text(alphabet="0123456789", min_size=1, max_size=20),
    st.sampled_from(["X", "x", "a", "Z", " ", "-", "\n", "号码", "（", "，", "é", "\ud800"]),
    st.sampled_from(["１", "٣", "𝟎", "😀"]),
)


@given(st.lists(_PIECES, max_size=12).map("".join))
def test_the_fast_scan_finds_exactly_what_the_pattern_finds(text: str) -> None:
    from credential_service.identity.rules import _STORED_ID, stored_id_runs

    assert list(stored_id_runs(text)) == [found.group() for found in _STORED_ID.finditer(text)]


def test_the_fast_scan_knows_every_digit_the_pattern_knows() -> None:
    from credential_service.identity.rules import _OTHER_BMP_DIGIT

    digit = re.compile(r"\d")
    for point in range(128, 0x10000):
        assert bool(digit.match(chr(point))) == bool(_OTHER_BMP_DIGIT.match(chr(point))), hex(point)
    # Above U+FFFF every character takes four bytes in UTF-8, and any such text is searched by the pattern.
    assert digit.match("\U0001d7ce") and len("\U0001d7ce".encode()) == 4


class _Blinding(str):
    """A str whose own methods would hide its characters from a scan that trusted them."""

    def isascii(self) -> bool:
        return False

    def encode(self, encoding: str = "utf-8", errors: str = "strict") -> bytes:
        return b""


def test_a_str_subclass_cannot_blind_the_guard() -> None:
    assert stored_value_holds_id_number(_Blinding('{"note": "号码 140521199712232987"}'))
