from __future__ import annotations

from credential_service.issuers.rules import did_web_for, issuer_did


def test_did_web_encodes_the_port_and_path() -> None:
    assert did_web_for("http://127.0.0.1:8000") == "did:web:127.0.0.1%3A8000"
    assert issuer_did("https://skills.test", "Y000014010001") == "did:web:skills.test:orgs:Y000014010001"
    assert issuer_did("https://skills.test", "platform") == "did:web:skills.test"
