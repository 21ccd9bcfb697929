"""ID-number rules (pure functions). Source: GB 11643-1999; 社会保险法 §58 (社会保障号码 = 公民身份号码)."""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

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


# A GB 11643 number inside any text: 18 characters not run together with other letters or digits.
_EMBEDDED_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")


def holds_id_number(text: str) -> bool:
    """Whether ``text`` contains a real-looking 公民身份号码 (check character and birth date right).

    For refusing clear ID numbers wherever a caller's text would be stored or signed; a random
    18-digit run passes both checks about once in 11 × 12 tries, so a false alarm is rare and
    only asks the caller to remove it.
    """
    today = date.today()
    for found in _EMBEDDED_ID.finditer(text):
        try:
            _validate_gb11643(found.group().upper(), today)
        except IdNumberError:
            continue
        return True
    return False


def id_number_locations(document: Any, loc: str = "") -> list[str]:
    """The JSON paths in ``document`` whose text holds a clear ID number, or that declare one in
    clear (an OB 3.0 ``IdentityObject`` with ``hashed: false``)."""
    found: list[str] = []
    if isinstance(document, str):
        return [loc or "$"] if holds_id_number(document) else []
    if isinstance(document, dict):
        if document.get("type") == "IdentityObject" and document.get("hashed") is not True:
            found.append(f"{loc}.hashed" if loc else "hashed")
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
    today = today or date.today()
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
    return None


def mask_id_number(number: str) -> str:
    """``140***********1234``: first 3, eleven stars, last 4 (short numbers keep less)."""
    if len(number) <= 7:
        return number[:1] + "*" * (len(number) - 1)
    return number[:3] + "*" * 11 + number[-4:]


def mask_name(name: str) -> str:
    """``张*三`` for three characters or more, ``张*`` for two."""
    name = name.strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
