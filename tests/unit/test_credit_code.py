"""统一社会信用代码 (GB 32100) check: published codes, refusals, and properties of the check."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from credential_service.identity.credit_code import (
    ALPHABET,
    WEIGHTS,
    CreditCodeError,
    credit_code_check_char,
    validate_credit_code,
)

first17s = st.text(alphabet=ALPHABET, min_size=17, max_size=17)


def generated_code(rng: random.Random) -> str:
    """A valid code built the way a registration authority would: 17 symbols and the check."""
    first17 = "9" + rng.choice("123") + "140100" + "".join(rng.choice(ALPHABET) for _ in range(9))
    return first17 + credit_code_check_char(first17)


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y43",  # the example printed in GB 32100-2015
        "914403001922038216",  # codes printed on real business licences
        "9144030071526726XG",
        "91440300708461136T",
    ],
)
def test_published_codes_are_valid(code: str) -> None:
    assert validate_credit_code(code) == code


def test_weights_are_powers_of_three_mod_31() -> None:
    assert list(WEIGHTS) == [pow(3, i, 31) for i in range(17)]
    assert len(ALPHABET) == 31 and not set("IOSVZ") & set(ALPHABET)


def test_generated_codes_are_valid() -> None:
    rng = random.Random(32100)
    codes = [generated_code(rng) for _ in range(500)]
    assert all(validate_credit_code(code) == code for code in codes)
    assert "0" in {code[-1] for code in codes}  # the 31 → 0 case is exercised


def test_lowercase_and_spaces_are_normalised() -> None:
    assert validate_credit_code("  9144030071526726xg ") == "9144030071526726XG"


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("9144030071526726X", "18 位"),
        ("9144030071526726XGG", "18 位"),
        ("", "18 位"),
        ("91440300715267I6XG", "不含 I、O、S、V、Z"),  # I is not a code symbol
        ("91440300715267O6XG", "不含 I、O、S、V、Z"),
        ("914403007152672-XG", "不含 I、O、S、V、Z"),
        ("9144030071526726XH", "校验位"),
        ("91350100M000100Y44", "校验位"),
    ],
)
def test_bad_codes_say_why(code: str, why: str) -> None:
    with pytest.raises(CreditCodeError) as caught:
        validate_credit_code(code)
    assert why in str(caught.value)
    assert " / " in str(caught.value)  # Chinese, then English


def test_refusal_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="check character"):
        validate_credit_code("91350100M000100Y40")


def test_check_char_needs_17_code_symbols() -> None:
    with pytest.raises(CreditCodeError):
        credit_code_check_char("9135010OM000100Y4")
    with pytest.raises(CreditCodeError):
        credit_code_check_char("91350100")


@given(first17s)
def test_any_17_symbols_with_their_check_are_valid(first17: str) -> None:
    code = first17 + credit_code_check_char(first17)
    assert validate_credit_code(code) == code
    assert validate_credit_code(code.lower()) == code


@given(first17s, st.integers(min_value=0, max_value=17), st.integers(min_value=1, max_value=30))
def test_every_single_substitution_is_detected(first17: str, position: int, shift: int) -> None:
    code = first17 + credit_code_check_char(first17)
    replaced = ALPHABET[(ALPHABET.index(code[position]) + shift) % 31]
    typo = code[:position] + replaced + code[position + 1 :]
    with pytest.raises(CreditCodeError):
        validate_credit_code(typo)


@given(first17s, st.integers(min_value=0, max_value=15))
def test_adjacent_transpositions_are_detected(first17: str, position: int) -> None:
    code = first17 + credit_code_check_char(first17)
    a, b = code[position], code[position + 1]
    swapped = code[:position] + b + a + code[position + 2 :]
    if a == b:
        assert validate_credit_code(swapped) == code
    else:
        with pytest.raises(CreditCodeError):
            validate_credit_code(swapped)


@given(st.text(max_size=40))
def test_arbitrary_text_is_valid_or_a_clear_refusal(text: str) -> None:
    try:
        value = validate_credit_code(text)
    except CreditCodeError as exc:
        assert " / " in str(exc)
    else:
        assert len(value) == 18 and set(value) <= set(ALPHABET)
