from __future__ import annotations

from datetime import UTC, datetime

from credential_service.issuers.rules import KeyLifecycle, did_web_for, issuer_did

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = datetime(2026, 6, 1, tzinfo=UTC)
T2 = datetime(2026, 9, 1, tzinfo=UTC)


def test_did_web_encodes_the_port_and_path() -> None:
    assert did_web_for("http://127.0.0.1:8000") == "did:web:127.0.0.1%3A8000"
    assert issuer_did("https://skills.test", "Y000014010001") == "did:web:skills.test:orgs:Y000014010001"
    assert issuer_did("https://skills.test", "platform") == "did:web:skills.test"


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
