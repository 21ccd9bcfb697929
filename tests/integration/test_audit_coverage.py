"""Every state change enters the hash-chained audit trail in the same transaction (issue 6)."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from credential_service.audit import service as audit
from credential_service.core.clock import utcnow
from credential_service.core.config import Settings
from credential_service.issuers import service as issuers
from credential_service.issuers.models import Issuer
from credential_service.runtime import Runtime
from tests.factories import issue_certificate, plain_credential


def test_key_events_are_audited_with_their_actor(runtime: Runtime, organisation: Issuer) -> None:
    with runtime.session() as session:
        issuer = issuers.get_issuer(session, organisation.code)
        first = issuers.active_key(issuer).fragment
        second = issuers.rotate_key(session, runtime.keystore, issuer, actor="admin:wang")
        issuers.compromise_key(issuer, second.fragment, utcnow() - timedelta(minutes=5), actor="admin:li")
        third = issuers.rotate_key(session, runtime.keystore, issuer, actor="admin:wang")
        issuers.retire_key(issuer, third.fragment, actor="cli:root")
    with runtime.session() as session:
        events = [
            (e.action, e.actor, e.subject.rsplit("#", 1)[1])
            for e in audit.events(session)
            if e.action.startswith("key.")
        ]
        assert audit.check(audit.events(session)) == []
    assert events == [
        ("key.retire", "admin:wang", first),
        ("key.create", "admin:wang", second.fragment),
        ("key.compromise", "admin:li", second.fragment),
        ("key.create", "admin:wang", third.fragment),
        ("key.retire", "cli:root", third.fragment),
    ]


def test_a_failed_key_change_leaves_no_audit_event(runtime: Runtime, organisation: Issuer) -> None:
    try:
        with runtime.session() as session:
            issuer = issuers.get_issuer(session, organisation.code)
            issuers.rotate_key(session, runtime.keystore, issuer, actor="admin:wang")
            raise RuntimeError("the transaction fails after the change")
    except RuntimeError:
        pass
    with runtime.session() as session:
        assert not [e for e in audit.events(session) if e.action.startswith("key.")]
        assert len(issuers.get_issuer(session, organisation.code).keys) == 1


def test_issuance_is_audited_in_its_transaction(
    client: TestClient, runtime: Runtime, organisation: Issuer, admin_headers: dict[str, str]
) -> None:
    record = issue_certificate(runtime, organisation)
    issued = client.post("/credentials/issue", json={"credential": plain_credential()}, headers=admin_headers)
    assert issued.status_code == 201, issued.text
    with runtime.session() as session:
        events = audit.events(session, action="credential.issue")
        assert audit.check(audit.events(session)) == []
    assert [(e.subject, e.actor) for e in events] == [
        (record.certificate_number, "system"),
        (issued.json()["verifiableCredential"]["id"], "admin:test"),
    ]


def test_audit_verify_reports_where_the_chain_breaks(
    runtime: Runtime, settings: Settings, organisation: Issuer
) -> None:
    """``credential-service audit verify``: clean on an untouched trail, exit 1 naming the altered
    event once a row is edited behind the service's back."""
    import json

    from sqlalchemy import update
    from typer.testing import CliRunner

    from credential_service.audit.models import AuditEvent
    from credential_service.cli import app as cli

    issue_certificate(runtime, organisation)
    env = {
        "CS_DATABASE_URL": settings.database_url,
        "CS_KEYSTORE_DIR": str(settings.keystore_dir),
        "CS_KEYSTORE_PASSPHRASE": str(settings.keystore_passphrase),
        "CS_PUBLIC_BASE_URL": settings.public_base_url,
        "CS_ENVIRONMENT": "test",
    }
    clean = CliRunner().invoke(cli, ["audit", "verify", "--json"], env=env)
    assert clean.exit_code == 0, clean.output
    report = json.loads(clean.stdout)
    assert report["clean"] and report["events"] >= 2 and report["broken"] == []

    with runtime.session() as session:
        session.execute(update(AuditEvent).where(AuditEvent.seq == 2).values(actor="admin:someone-else"))
    broken = CliRunner().invoke(cli, ["audit", "verify"], env=env)
    assert broken.exit_code == 1
    assert "event 2" in broken.output and "1 处断裂" in broken.output
