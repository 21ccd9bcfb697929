"""The JCS fast path gives exactly what rfc8785 gives, for every JSON value."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from credential_service.crypto.jcs import JcsError, canonical_json

# Text biased towards the awkward parts: controls, quotes, backslashes, CJK, astral characters.
TEXT = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0, max_codepoint=0x7F),
        st.sampled_from("张三四级工\u2028\u2029\ufeff\ue000\uffff😀𠀀\u0085"),
        st.characters(codec="utf-8"),
    ),
    max_size=12,
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    TEXT,
    st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=20,
)


@settings(max_examples=500)
@given(JSON)
def test_fast_path_equals_rfc8785(value: object) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)


def test_member_order_is_by_utf16_code_units() -> None:
    # U+E000 sorts after U+1F600 in code points but before it in UTF-16 (0xD83D < 0xE000).
    value = {"\ue000": 1, "😀": 2}
    assert canonical_json(value) == rfc8785.dumps(value) == '{"😀":2,"\ue000":1}'.encode()


def test_values_jcs_cannot_represent_are_refused() -> None:
    for bad in (float("nan"), 2**60, {"x": "\ud800"}):
        with pytest.raises(JcsError):
            canonical_json(bad)


def test_a_realistic_credential_takes_the_fast_path_with_identical_bytes() -> None:
    credential = json.loads((Path(__file__).parents[2] / "vectors/ob3/ob3-unsigned.json").read_text())
    assert canonical_json(credential) == rfc8785.dumps(credential)


def test_integral_floats_take_the_fast_path_with_identical_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    # Scores are floats that are mostly whole (85.0): RFC 8785 writes them as the integers they equal.
    values = [
        {"theory": 85.0, "skill": -0.0, "review": None, "edge": float(2**53 - 1), "list": [1.0, {"x": 60.0}]},
        [0.0, -3.0, 1e15],
    ]
    expected = [rfc8785.dumps(value) for value in values]
    monkeypatch.setattr(rfc8785, "dumps", lambda value: pytest.fail(f"slow path for {value!r}"))
    assert [canonical_json(value) for value in values] == expected


@given(st.floats(allow_nan=False, allow_infinity=False).map(float.__floor__).map(float))
def test_any_whole_float_equals_rfc8785(value: float) -> None:
    document = {"score": value, "scores": [value, 1.0]}
    assert canonical_json(document) == rfc8785.dumps(document)
