from __future__ import annotations

from datetime import UTC, datetime

from credential_service.crypto.key_lifecycle import KeyLifecycle

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = datetime(2026, 6, 1, tzinfo=UTC)
T2 = datetime(2026, 9, 1, tzinfo=UTC)


def test_retired_key_signs_only_before_retirement() -> None:
    key = KeyLifecycle(created=T0, retired=T1, compromised_since=None)
    assert key.valid_at(T0)[0] and key.valid_at(T1)[0]
    assert key.valid_at(T2) == (False, "retired")
    assert key.valid_at(datetime(2025, 1, 1, tzinfo=UTC)) == (False, "before_created")
    assert not key.usable_for_signing


def test_compromise_invalidates_from_since_on() -> None:
    key = KeyLifecycle(created=T0, retired=None, compromised_since=T1)
    assert key.valid_at(datetime(2026, 5, 31, tzinfo=UTC))[0]
    assert key.valid_at(T1) == (False, "compromised")


def test_retire_keeps_the_first_retirement() -> None:
    key = KeyLifecycle(created=T0, retired=None, compromised_since=None)
    assert key.retire(T1).retired == T1
    assert key.retire(T1).retire(T2).retired == T1


def test_compromise_moves_back_only_and_retires() -> None:
    key = KeyLifecycle(created=T1, retired=None, compromised_since=None)
    early = key.compromise(T0)
    assert early == KeyLifecycle(created=T1, retired=T1, compromised_since=T0)
    assert early.compromise(T2).compromised_since == T0
    assert key.compromise(T2).compromise(T0).retired == T2
