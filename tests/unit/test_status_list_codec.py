from __future__ import annotations

import gzip
import json

import pytest

from credential_service.crypto.multibase import encode_base64url
from credential_service.crypto.status_list import (
    MINIMUM_ENTRIES,
    StatusListError,
    decode_list,
    empty_bitstring,
    encode_list,
    get_bit,
    set_bit,
)
from tests.conftest import VECTORS


def test_spec_example_decodes_to_131072_clear_bits() -> None:
    example = json.loads(
        (VECTORS / "bitstring-status-list/spec-example-status-list-credential.json").read_text()
    )
    bits = decode_list(example["credentialSubject"]["encodedList"])
    assert len(bits) * 8 == MINIMUM_ENTRIES
    assert not any(bits)


def test_index_zero_is_the_leftmost_bit() -> None:
    bits = empty_bitstring()
    set_bit(bits, 0, True)
    set_bit(bits, 94567, True)
    assert bits[0] == 0x80
    decoded = decode_list(encode_list(bytes(bits)))
    assert get_bit(decoded, 0) and get_bit(decoded, 94567) and not get_bit(decoded, 94566)
    set_bit(bits, 94567, False)
    assert not get_bit(bits, 94567)


def test_short_lists_bombs_and_garbage_are_refused() -> None:
    with pytest.raises(StatusListError):
        decode_list(encode_base64url(gzip.compress(bytes(100))))
    with pytest.raises(StatusListError):
        decode_list(encode_base64url(gzip.compress(bytes(64 * 1024 * 1024))))
    with pytest.raises(StatusListError):
        decode_list("uNotGzip")
    with pytest.raises(StatusListError):
        get_bit(bytes(16384), MINIMUM_ENTRIES)
