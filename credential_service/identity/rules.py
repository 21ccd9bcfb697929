"""ID-number rules (pure functions). Source: GB 11643-1999; 社会保险法 §58 (社会保障号码 = 公民身份号码)."""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from credential_service.core.clock import beijing_today

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_GB11643 = re.compile(r"^\d{17}[\dX]$")
_FOREIGN_2017 = re.compile(r"^[A-Z]{3}\d{12}$")


class DocumentType(StrEnum):
    """证件类型 (the natural key of a person is (type, number))."""

    RESIDENT_ID = "resident_id"  # 居民身份证
    HK_MO_RESIDENCE = "hk_mo_residence"  # 港澳居民居住证 (810000 / 820000)
    TW_RESIDENCE = "tw_residence"  # 台湾居民居住证 (830000)
    FOREIGN_PERMANENT = "foreign_permanent"  # 外国人永久居留身份证
    HK_MO_PASS = "hk_mo_pass"  # noqa: S105 - 港澳居民来往内地通行证
    TW_PASS = "tw_pass"  # noqa: S105 - 台湾居民来往大陆通行证
    PASSPORT = "passport"  # 护照
    OTHER = "other"  # 其他


# 证件类型 as printed (certificates, the national database's layout).
DOCUMENT_TYPE_NAMES: dict[DocumentType, str] = {
    DocumentType.RESIDENT_ID: "居民身份证",
    DocumentType.HK_MO_RESIDENCE: "港澳居民居住证",
    DocumentType.TW_RESIDENCE: "台湾居民居住证",
    DocumentType.FOREIGN_PERMANENT: "外国人永久居留身份证",
    DocumentType.HK_MO_PASS: "港澳居民来往内地通行证",
    DocumentType.TW_PASS: "台湾居民来往大陆通行证",
    DocumentType.PASSPORT: "护照",
    DocumentType.OTHER: "其他",
}


class IdNumberError(ValueError):
    """The number breaks a rule of its document type. The message never repeats the number."""


def gb11643_check_char(first17: str) -> str:
    """The 18th character of a GB 11643 number from its first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def _validate_gb11643(number: str, today: date) -> None:
    if not _GB11643.match(number):
        raise IdNumberError("应为 17 位数字加 1 位校验码 / must be 17 digits and a check character")
    if gb11643_check_char(number[:17]) != number[17]:
        raise IdNumberError("校验码不正确 / the check character is wrong")
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise IdNumberError("出生日期不存在 / the birth date is not a real date") from exc
    if born > today or born.year < 1880:
        raise IdNumberError("出生日期不合理 / the birth date is impossible")


# Where a stored value may hold an ID number: a run of 15, 17 or 18 characters not run together
# with letters or digits (so digests, base58 proofs and 22-character certificate numbers never match).
# Written to start with the digit, the look-behind after it: the regex engine then skips ahead to
# the next digit in C instead of trying the look-behind at every character (twice as fast on the
# long texts a bulk insert checks; the same matches, tests/unit/test_identity_rules.py).
_STORED_ID = re.compile(r"\d(?<![0-9A-Za-z]\d)(?:\d{16}[0-9Xx]?|\d{14})(?![0-9A-Za-z])")
# The guard reads every text an INSERT writes (~3 MB for a chunk of 500 certificates), and the
# pattern stops at every digit of it. So a text is first reduced in C, one byte per character
# (ASCII digit "0", ASCII letter "a", anything else "."), and the pattern is tried only where 15
# digits follow a separator: the same matches, found about four times faster. Exact only when every
# digit in the text is ASCII; a text holding any other digit (full-width ０-９, Arabic-Indic...) is
# searched by the pattern alone (tests/unit/test_identity_rules.py compares the two).
_SHAPE = bytes(
    ord("0") if byte in b"0123456789" else ord("a") if chr(byte).isalpha() and byte < 128 else ord(".")
    for byte in range(256)
)
_FIFTEEN_DIGITS = b"0" * 15
_SEPARATED_DIGITS = b"." + _FIFTEEN_DIGITS
_ASCII_BYTES = bytes(range(128))
_UTF8_CONTINUATION = bytes(range(0x80, 0xC0))  # deleted: each character is then one byte
_UTF8_FOUR_BYTE_LEADS = range(0xF0, 0xF5)  # beyond U+FFFF, where other digits (𝟎...) also live
_OTHER_BMP_DIGIT = re.compile(
    "[" + "".join(re.escape(chr(point)) for point in range(128, 0x10000) if chr(point).isdecimal()) + "]"
)
# In text a person typed: 18 characters, the 17 digits that fix the 18th, or the 15 digits of the
# first generation, after folding what a reader would take for digits, X or a separator.
_TYPED_ID = re.compile(r"(?<!\d)(?:\d{17}[\dX]?|\d{15})(?![\dX])")
_BETWEEN_DIGITS = re.compile(r"(?<=\d)[^0-9A-Za-z\u3400-\u9fff]+(?=[\dX])")
_O_FOR_ZERO = re.compile(r"(?<=\d)O|O(?=\d)")
_X_LOOKALIKES = str.maketrans("ХхΧχ×✕✖", "XXXXXXX")
_CHINESE_DIGITS = str.maketrans("〇零一二三四五六七八九", "00123456789")
_CHINESE_NUMBER = re.compile(r"[〇零一二三四五六七八九]{15,}")  # a number spelled out, not 张三


def _real_gb11643(number: str, today: date) -> bool:
    try:
        _validate_gb11643(number, today)
    except IdNumberError:
        return False
    return True


def _born_on_a_real_day(first17: str, today: date) -> bool:
    return _real_gb11643(first17 + gb11643_check_char(first17), today)


def _real_15_digit(number: str) -> bool:
    """A 1st-generation number: a province code (11–82) and a real date 19YYMMDD in the middle."""
    try:
        date(1900 + int(number[6:8]), int(number[8:10]), int(number[10:12]))
    except ValueError:
        return False
    return 11 <= int(number[:2]) <= 82


def _typed_plain(text: str) -> str:
    """Text folded as a reader reads it: NFKC (full-width digits), no invisible characters or
    combining marks, Chinese numerals and look-alike X's as such, O between digits as 0, and no
    separators (spaces, commas, 、, colons, brackets…) between digit groups."""
    plain = "".join(
        ch for ch in unicodedata.normalize("NFKC", text) if unicodedata.category(ch) not in ("Cf", "Mn", "Me")
    )
    plain = _CHINESE_NUMBER.sub(lambda m: m.group().translate(_CHINESE_DIGITS), plain)
    plain = _O_FOR_ZERO.sub("0", plain.translate(_X_LOOKALIKES).upper())
    return _BETWEEN_DIGITS.sub("", plain)


def holds_id_number(text: str) -> bool:
    """Whether text a person typed (a name, a reason, a key, a number) holds what may be an ID number:
    18 characters, the 17 digits that fix the 18th (a mistyped number is personal data too), or a
    first-generation 15-digit number with a real birth date, in any spelling a reader would still
    read as one (:func:`_typed_plain`). A false alarm only asks the caller to leave the number out."""
    for found in _TYPED_ID.finditer(_typed_plain(text)):
        if len(found.group()) != 15 or _real_15_digit(found.group()):
            return True
    return False


ID_NUMBER_REFUSED = "不得包含身份证件号码 / must not contain an ID number"


def id_number_problem(text: str) -> str | None:
    """Why typed free text is refused (None when it is fine): it holds an ID number (decision 022)."""
    return ID_NUMBER_REFUSED if holds_id_number(text) else None


def no_id_number(value: str) -> str:
    """:func:`id_number_problem` as a validator (pydantic ``AfterValidator``): returns the value, or
    raises ValueError."""
    if (problem := id_number_problem(value)) is not None:
        raise ValueError(problem)
    return value


def stored_value_holds_id_number(text: str) -> bool:
    """The last guard before anything is written (decision 022): a clear ID number in a stored value
    — 18 characters with a right check character, 17 digits with a real birth date, or 15 with a
    real date. Stricter about boundaries than :func:`holds_id_number`, because stored values include
    digests and signatures whose digit runs must never look like one."""
    today: date | None = None  # read only when a run of digits is found: most values have none
    for found in stored_id_runs(text):
        run = found.upper()
        today = today or beijing_today()
        if (
            (len(run) == 18 and _real_gb11643(run, today))
            or (len(run) == 17 and _born_on_a_real_day(run, today))
            or (len(run) == 15 and _real_15_digit(run))
        ):
            return True
    return False


def stored_id_runs(text: str) -> Iterator[str]:
    """What ``_STORED_ID.finditer(text)`` finds, in order, without running it over all of ``text``."""
    # str's own methods: a subclass overriding them must not blind the guard (the pattern reads the
    # characters themselves).
    if str.isascii(text):
        shape = str.encode(text, "ascii").translate(_SHAPE)
    else:
        utf8 = str.encode(text, "utf-8", "surrogatepass")
        others = utf8.translate(None, _ASCII_BYTES)
        if any(lead in others for lead in _UTF8_FOUR_BYTE_LEADS) or _OTHER_BMP_DIGIT.search(
            others.decode("utf-8", "surrogatepass")
        ):
            yield from (found.group() for found in _STORED_ID.finditer(text))
            return
        shape = utf8.translate(_SHAPE, _UTF8_CONTINUATION)
    at = 0 if shape.startswith(_FIFTEEN_DIGITS) else _next_separated_digits(shape, 0)
    while at >= 0:
        if found := _STORED_ID.match(text, at):
            yield found.group()
        at = _next_separated_digits(shape, at + 1)


def _next_separated_digits(shape: bytes, start: int) -> int:
    hit = shape.find(_SEPARATED_DIGITS, start)
    return hit + 1 if hit >= 0 else -1


def id_number_locations(document: Any, loc: str = "") -> list[str]:
    """The JSON paths in ``document`` whose text (keys included) holds a clear ID number, or that
    declare one: an OB 3.0 ``IdentityObject`` of a national identity number, hashed or not (a
    hash of an 18-character number is the number: the space is small)."""
    found: list[str] = []
    if isinstance(document, str | int) and not isinstance(document, bool):
        return [loc or "$"] if holds_id_number(str(document)) else []
    if isinstance(document, dict):
        types = document.get("type")
        if "IdentityObject" in (types if isinstance(types, list) else [types]) and (
            document.get("hashed") is not True or document.get("identityType") == "nationalIdentityNumber"
        ):
            found.append(f"{loc}.identityHash" if loc else "identityHash")
        found.extend(f"{loc}.{k}" if loc else str(k) for k in document if holds_id_number(str(k)))
        items: Iterable[tuple[str, Any]] = ((f"{loc}.{k}" if loc else str(k), v) for k, v in document.items())
    elif isinstance(document, list):
        items = ((f"{loc}[{i}]", v) for i, v in enumerate(document))
    else:
        return []
    for where, value in items:
        found.extend(id_number_locations(value, where))
    return found


def normalise_id_number(doc_type: DocumentType, number: str, *, today: date | None = None) -> str:
    """Return the canonical form of ``number`` (trimmed, upper-case X) or raise IdNumberError.

    Retired county codes are accepted on purpose: numbers never change when districts merge.
    """
    today = today or beijing_today()
    value = number.strip().upper()
    if doc_type in (DocumentType.RESIDENT_ID, DocumentType.HK_MO_RESIDENCE, DocumentType.TW_RESIDENCE):
        _validate_gb11643(value, today)
        prefix = value[:2]
        if doc_type is DocumentType.HK_MO_RESIDENCE and value[:6] not in ("810000", "820000"):
            raise IdNumberError("港澳居民居住证号码以 810000 或 820000 开头 / must start 810000 or 820000")
        if doc_type is DocumentType.TW_RESIDENCE and value[:6] != "830000":
            raise IdNumberError("台湾居民居住证号码以 830000 开头 / must start 830000")
        if doc_type is DocumentType.RESIDENT_ID and prefix in ("81", "82", "83"):
            raise IdNumberError("这是居住证号码，请选择居住证类型 / this is a residence-permit number")
        return value
    if doc_type is DocumentType.FOREIGN_PERMANENT:
        if value.startswith("9") and len(value) == 18:  # 2023 format, GB 11643 check
            _validate_gb11643(value, today)
            return value
        if _FOREIGN_2017.match(value):
            return value
        raise IdNumberError("外国人永久居留身份证号码格式不正确 / not a permanent-residence card number")
    if not re.fullmatch(r"[A-Z0-9]{5,20}", value):
        raise IdNumberError("证件号码应为 5–20 位字母或数字 / 5–20 letters or digits")
    return value


@dataclass(frozen=True)
class DerivedFacts:
    """What a GB 11643 number says about its holder (never typed in separately)."""

    sex: str | None  # "M" / "F": parity of the 17th digit
    birth_date: date | None


def derived_facts(doc_type: DocumentType, number: str) -> DerivedFacts:
    """Sex and birth date for GB 11643-shaped numbers; unknown for passports and other documents."""
    if len(number) == 18 and number[:17].isdigit() and doc_type in _GB11643_TYPES:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        return DerivedFacts("M" if int(number[16]) % 2 else "F", born)
    return DerivedFacts(None, None)


# The 2023 foreign permanent-residence card's middle layout is not published in full: derive nothing.
_GB11643_TYPES = frozenset(
    {DocumentType.RESIDENT_ID, DocumentType.HK_MO_RESIDENCE, DocumentType.TW_RESIDENCE}
)


def blind_index(key: bytes, doc_type: DocumentType, number: str) -> str:
    """Keyed hash for look-ups and duplicate detection without storing the number in clear."""
    message = f"{doc_type.value}:{number}".encode()
    return hmac.new(key, b"blind-index:" + message, hashlib.sha256).hexdigest()


# The national database's 姓名 field holds at most 50 characters.
MAX_NAME_CHARS = 50
# Control (Cc: NUL, tab, CR, LF …), format (Cf: zero-width space and joiner, BOM, bidi overrides,
# soft hyphen), surrogate and line/paragraph-separator characters: invisible, or they break the
# printed certificate's lines. Private-use (Co) and not-yet-assigned (Cn) characters are allowed on
# purpose: rare characters (生僻字) in names are often typed with older systems' private-use codes or
# come from CJK extensions newer than Python's Unicode tables.
_NOT_IN_NAMES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
# No name begins like a spreadsheet formula; exports neutralise formulas anyway (never rely on this).
_FORMULA_STARTS = ("=", "+", "-", "@")


def name_problem(name: str) -> str | None:
    """Why ``name`` (already trimmed) cannot be a person's name, or None: the one rule for every way
    names come in (JSON, CSV and Excel result sheets, training records)."""
    if not name:
        return "姓名不能为空 / the name is required"
    if len(name) > MAX_NAME_CHARS:
        return f"姓名不能超过 {MAX_NAME_CHARS} 个字符 / a name has at most {MAX_NAME_CHARS} characters"
    if any(unicodedata.category(ch) in _NOT_IN_NAMES for ch in name):
        return "姓名含控制字符或不可见字符 / the name holds control or invisible characters"
    if name.startswith(_FORMULA_STARTS):
        return "姓名不能以 = + - @ 开头 / a name cannot begin with = + - @"
    if any(unicodedata.category(ch) == "Nd" for ch in name):  # nor carry an ID number in disguise
        return "姓名不能含数字 / a name holds no digits"
    return None


# A number shorter than this (passports, travel permits) shows at most 4 characters (decision 025).
LONG_ID_NUMBER = 15
SHORT_MASK = "*****"  # hides how long a short number is


def mask_id_number(number: str) -> str:
    """What a page, a printout or an export shows of an ID number (decision 025).

    15 or 18 characters (居民身份证, 港澳台居民居住证, 外国人永久居留身份证): the first 3 and the last 4,
    ``140***********1234``, as national query sites show them. Shorter (护照, 往来内地/大陆通行证,
    others): the first character and the last 3, ``E*****678``; under 8 characters the first and the
    last; under 4, nothing.
    """
    if len(number) >= LONG_ID_NUMBER:
        return number[:3] + "*" * (len(number) - 7) + number[-4:]
    if len(number) >= 8:
        return number[:1] + SHORT_MASK + number[-3:]
    if len(number) >= 4:
        return number[:1] + SHORT_MASK + number[-1:]
    return SHORT_MASK


def mask_name(name: str) -> str:
    """``张*三`` for three characters or more, ``张*`` for two."""
    name = name.strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
