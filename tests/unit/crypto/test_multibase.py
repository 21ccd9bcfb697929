"""base58-btc: our encoder against the ``base58`` package and the spec's vectors."""

from __future__ import annotations

import base58
from hypothesis import given
from hypothesis import strategies as st

from credential_service.crypto.multibase import decode_base58btc, encode_base58btc


@given(st.binary(min_size=1, max_size=96))
def test_encoding_matches_the_base58_package(data: bytes) -> None:
    assert encode_base58btc(data) == "z" + base58.b58encode(data).decode("ascii")
    assert decode_base58btc(encode_base58btc(data)) == data


@given(st.integers(min_value=0, max_value=8), st.binary(min_size=1, max_size=64))
def test_leading_zero_bytes_are_ones(zeros: int, rest: bytes) -> None:
    data = b"\0" * zeros + rest
    assert encode_base58btc(data) == "z" + base58.b58encode(data).decode("ascii")


def test_known_values() -> None:
    # draft-msporny-base58-03 §5 test vectors, and the edge cases of an empty and an all-zero value.
    assert encode_base58btc(b"Hello World!") == "z2NEpo7TZRRrLZSi2U"
    assert encode_base58btc(b"The quick brown fox jumps over the lazy dog.") == (
        "zUSm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z"
    )
    assert encode_base58btc(bytes.fromhex("0000287fb4cd")) == "z11233QC4"
    assert encode_base58btc(b"") == "z"
    assert encode_base58btc(b"\0\0\0") == "z111"
