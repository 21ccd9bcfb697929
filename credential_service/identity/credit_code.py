"""统一社会信用代码 (unified social credit code) check. Source: GB 32100-2015 §4–§5.

18 characters from a 31-symbol alphabet (the digits and the capitals without I, O, S, V, Z):
registration authority, organisation type, 6-digit division code, 9-character organisation code,
and a check character computed over the first 17 (ISO 7064 style, modulus 31).
"""

from __future__ import annotations

import re

# GB 32100 §5 code symbols, in order of their values 0–30.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# GB 32100 §5: weight of position i is 3**i mod 31.
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
LENGTH = 18
_SHAPE = re.compile(rf"^[{ALPHABET}]{{{LENGTH}}}$")
_VALUES = {symbol: value for value, symbol in enumerate(ALPHABET)}


class CreditCodeError(ValueError):
    """The text is not a valid 统一社会信用代码; the message says why (Chinese, then English)."""


def credit_code_check_char(first17: str) -> str:
    """The 18th character for the first 17: 31 − (Σ value × weight mod 31), where 31 becomes 0.

    Raises CreditCodeError when ``first17`` is not 17 symbols of the alphabet.
    """
    if len(first17) != LENGTH - 1 or any(symbol not in _VALUES for symbol in first17):
        raise CreditCodeError(
            "前 17 位应为数字或大写字母（不含 I、O、S、V、Z） / "
            "the first 17 characters must be digits or capitals other than I, O, S, V, Z"
        )
    total = sum(_VALUES[symbol] * weight for symbol, weight in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(code: str) -> str:
    """The code trimmed and upper-cased, or CreditCodeError saying what is wrong."""
    value = code.strip().upper()
    if len(value) != LENGTH:
        raise CreditCodeError(
            f"统一社会信用代码应为 18 位（收到 {len(value)} 位） / "
            f"the unified social credit code has 18 characters (got {len(value)})"
        )
    if not _SHAPE.match(value):
        raise CreditCodeError(
            "统一社会信用代码只含数字和大写字母（不含 I、O、S、V、Z） / "
            "only digits and capitals other than I, O, S, V, Z are allowed"
        )
    if credit_code_check_char(value[:17]) != value[17]:
        raise CreditCodeError(
            "统一社会信用代码校验位不正确，请核对营业执照 / "
            "the check character is wrong: copy the code again from the business licence"
        )
    return value
