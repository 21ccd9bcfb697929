"""The transparency log over real HTTP and the real command line, on SQLite and PostgreSQL.

Every proof the service serves is checked here with the pure RFC 9162 verifier and the checkpoint
signature with the keys of the platform's published DID document — as an outside party would.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select, text, update
from typer.testing import CliRunner

from credential_service.app import create_app
from credential_service.assessment.workflow import issuance
from credential_service.certificates.models import IssuedCredential
from credential_service.cli import app as cli
from credential_service.core.clock import beijing_text, parse_xsd, to_xsd, utcnow
from credential_service.core.config import Settings
from credential_service.core.errors import InvalidInput
from credential_service.crypto import merkle
from credential_service.crypto.checkpoint import OpenedCheckpoint, open_checkpoint
from credential_service.crypto.data_integrity import create_proof
from credential_service.crypto.jcs import canonical_json
from credential_service.crypto.multibase import decode_ed25519_public_key
from credential_service.issuers import service as issuers
from credential_service.issuers.models import Issuer
from credential_service.runtime import Runtime, build_runtime
from credential_service.transparency import proofs
from credential_service.transparency import service as log
from credential_service.transparency.models import LogCheckpoint, LogLeaf, LogNode
from credential_service.transparency.monitor import MonitorFailure, check_once
from credential_service.verification.trust import BundleTrust, DatabaseTrust
from credential_service.verification.verifier import verify_credential
from tests.conftest import BASE_URL
from tests.factories import holder, issue_certificate, submission_past_publicity
from tests.integration.test_assessment_workflow import _credit_code, _register


def _platform_keys(client: TestClient) -> dict[str, bytes]:
    document = client.get("/.well-known/did.json").json()
    return {
        m["id"]: decode_ed25519_public_key(m["publicKeyMultibase"]) for m in document["verificationMethod"]
    }


def _opened(client: TestClient, note: str) -> OpenedCheckpoint:
    """The checkpoint, verified with the keys of the platform's published DID document only."""
    return open_checkpoint(note, _platform_keys(client))


def _b64(values: list[str]) -> list[bytes]:
    return [base64.b64decode(v) for v in values]


def _issue(runtime: Runtime, organisation: Issuer, count: int) -> list[dict[str, Any]]:
    return [json.loads(issue_certificate(runtime, organisation).credential_json) for _ in range(count)]


def _env(settings: Settings) -> dict[str, str]:
    return {
        "CS_DATABASE_URL": settings.database_url,
        "CS_KEYSTORE_DIR": str(settings.keystore_dir),
        "CS_KEYSTORE_PASSPHRASE": settings.keystore_passphrase or "",
        "CS_PUBLIC_BASE_URL": settings.public_base_url,
        "CS_ENVIRONMENT": "test",
    }


def _log_verify(settings: Settings) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(cli, ["log", "verify", "--json"], env=_env(settings))
    assert result.stdout.startswith("{"), (result.output, result.exception)
    return result.exit_code, json.loads(result.stdout)


def _sql(runtime: Runtime, statement: str, **params: Any) -> None:
    with runtime.engine.begin() as connection:
        connection.execute(text(statement), params)


def _verify_over_http(client: TestClient, vc: dict[str, Any]) -> tuple[int, dict[str, dict[str, str]]]:
    response = client.post("/credentials/verify", json={"verifiableCredential": vc})
    return response.status_code, {c["check"]: c for c in response.json()["checks"]}


# --- issuance, checkpoints, proofs --------------------------------------------------------------------


def test_issuance_appends_leaves_and_signs_checkpoints(
    client: TestClient, runtime: Runtime, organisation: Issuer
) -> None:
    worker = holder(name="赵晓燕")
    issued = [json.loads(issue_certificate(runtime, organisation, who=worker).credential_json)]
    issued += _issue(runtime, organisation, 2)

    latest = client.get("/log/checkpoint")
    assert latest.status_code == 200 and latest.headers["cache-control"] == "no-cache"
    document = latest.json()
    assert document["treeSize"] == 3 and document["origin"] == "skills.test/log"
    opened = _opened(client, document["note"])
    assert opened.checkpoint.size == 3 and opened.key_label == document["keyId"]
    assert opened.key_label.startswith("did:web:skills.test#")
    assert base64.b64encode(opened.checkpoint.root_hash).decode() == document["rootHash"]
    assert client.get("/log/checkpoints/3").json() == document
    assert client.get("/log/checkpoints/3").headers["cache-control"].endswith("immutable")
    # One checkpoint per issuing transaction: each credential was provable the moment it was issued.
    assert [client.get(f"/log/checkpoints/{n}").status_code for n in (1, 2, 3)] == [200, 200, 200]
    missing = client.get("/log/checkpoints/99")
    assert missing.status_code == 404 and missing.json()["code"] == "checkpoint_not_found"

    page = client.get("/log/leaves", params={"start": 0}).json()
    assert page["treeSize"] == 3 and [leaf["index"] for leaf in page["leaves"]] == [0, 1, 2]
    for leaf, vc in zip(page["leaves"], issued, strict=True):
        assert leaf["leaf"] == {
            "kind": "credential.issued",
            "credentialId": vc["id"],
            "digest": hashlib.sha256(canonical_json(vc)).hexdigest(),
            "issuer": organisation.did,
            "verificationMethod": vc["proof"]["verificationMethod"],
            "loggedAt": vc["proof"]["created"],
        }
        assert merkle.leaf_hash(leaf["leafData"].encode()).hex() == leaf["leafHash"]
    public = json.dumps(page, ensure_ascii=False)
    number = issued[0]["credentialSubject"]["licenseNumber"]
    assert "赵晓燕" not in public and worker.id_number not in public and number not in public
    assert client.get("/log/leaves", params={"start": 2, "end": 99}).json()["end"] == 3
    assert client.get("/log/leaves", params={"start": 5, "end": 1}).status_code == 422
    assert client.get("/log/leaves", params={"start": -1}).status_code == 422


def test_inclusion_proofs_from_the_api_verify_against_the_signed_checkpoint(
    client: TestClient, runtime: Runtime, organisation: Issuer
) -> None:
    issued = _issue(runtime, organisation, 5)
    for index, vc in enumerate(issued):
        answer = client.get("/log/proof/inclusion", params={"credential_id": vc["id"]})
        assert answer.status_code == 200, answer.text
        proof = answer.json()
        opened = _opened(client, proof["checkpoint"]["note"])
        assert proof["leafIndex"] == index and proof["treeSize"] == opened.checkpoint.size == 5
        assert json.loads(proof["leafData"])["digest"] == hashlib.sha256(canonical_json(vc)).hexdigest()
        leaf = merkle.leaf_hash(proof["leafData"].encode())
        merkle.verify_inclusion(index, 5, leaf, _b64(proof["auditPath"]), opened.checkpoint.root_hash)
        # The same proof by leaf index and by leaf hash; and against an older signed checkpoint.
        assert client.get("/log/proof/inclusion", params={"leaf_index": index}).json() == proof
        assert client.get("/log/proof/inclusion", params={"leaf_hash": leaf.hex()}).json() == proof
        older = client.get(
            "/log/proof/inclusion", params={"leaf_index": index, "tree_size": index + 1}
        ).json()
        older_root = _opened(client, older["checkpoint"]["note"]).checkpoint.root_hash
        merkle.verify_inclusion(index, index + 1, leaf, _b64(older["auditPath"]), older_root)

    not_yet = client.get("/log/proof/inclusion", params={"leaf_index": 4, "tree_size": 2})
    assert not_yet.status_code == 409 and not_yet.json()["code"] == "not_yet_in_checkpoint"
    assert client.get("/log/proof/inclusion", params={"credential_id": "urn:uuid:nope"}).status_code == 404
    for params in ({}, {"leaf_index": -1}, {"leaf_hash": "xyz"}, {"leaf_index": 0, "tree_size": 0}):
        bad = client.get("/log/proof/inclusion", params=params)
        assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json", params


def _batch(runtime: Runtime, code: str, plan_ref: str, candidates: int, seed: int) -> int:
    """A whole batch through the evaluation workflow: plan, results, publicity over, issue."""
    public_id = submission_past_publicity(runtime, code, candidates=candidates, plan_ref=plan_ref, seed=seed)
    return issuance.issue_submission(
        runtime.session,
        runtime.keystore,
        runtime.issuance,
        code,
        public_id,
        data_key=runtime.settings.data_key_bytes,
    )


def test_checkpoints_of_two_batches_are_consistent(client: TestClient, runtime: Runtime) -> None:
    code, _ = _register(runtime, "990021", _credit_code(21))
    assert _batch(runtime, code, "BATCH-1", 7, seed=1) == 7
    first = client.get("/log/checkpoint").json()
    assert _batch(runtime, code, "BATCH-2", 6, seed=2) == 6
    second = client.get("/log/checkpoint").json()
    old, new = _opened(client, first["note"]), _opened(client, second["note"])
    assert (old.checkpoint.size, new.checkpoint.size) == (7, 13)
    assert new.timestamp >= old.timestamp

    answer = client.get("/log/proof/consistency", params={"from": 7, "to": 13}).json()
    assert (
        answer["checkpoint"]["note"] == second["note"] and answer["fromCheckpoint"]["note"] == first["note"]
    )
    merkle.verify_consistency(
        7, 13, old.checkpoint.root_hash, new.checkpoint.root_hash, _b64(answer["proof"])
    )
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(
            7,
            13,
            hashlib.sha256(b"another history").digest(),
            new.checkpoint.root_hash,
            _b64(answer["proof"]),
        )
    # Every checkpoint signed along the way is consistent with the last one. Batch issuance signs one
    # every CHECKPOINT_EVERY certificates and one at its end: here, one per batch.
    signed = [size for size in range(1, 13) if client.get(f"/log/checkpoints/{size}").status_code == 200]
    assert signed == [7]
    for size in signed:
        earlier = _opened(client, client.get(f"/log/checkpoints/{size}").json()["note"]).checkpoint
        proof = client.get("/log/proof/consistency", params={"from": size}).json()
        merkle.verify_consistency(size, 13, earlier.root_hash, new.checkpoint.root_hash, _b64(proof["proof"]))
    assert client.get("/log/proof/consistency", params={"from": 13}).json()["proof"] == []
    assert client.get("/log/proof/consistency", params={"from": 0, "to": 7}).json()["proof"] == []
    assert client.get("/log/proof/consistency", params={"from": 8, "to": 7}).status_code == 422
    assert client.get("/log/proof/consistency", params={"from": 1, "to": 99}).status_code == 404
    assert client.get("/log/proof/consistency").status_code == 422  # `from` is required


def test_a_checkpoint_is_signed_on_schedule_when_the_log_grew(runtime: Runtime, organisation: Issuer) -> None:
    _issue(runtime, organisation, 1)
    with runtime.session() as session:  # a status change appended without a checkpoint of its own
        ref = log.append(
            session,
            "credential.status",
            {"credentialId": "urn:uuid:x", "purpose": "suspension", "value": True, "reason": "inspection"},
        )
    assert ref.index == 1
    scheduled = build_runtime(runtime.settings.model_copy(update={"log_checkpoint_seconds": 1}))
    try:
        with TestClient(create_app(runtime=scheduled), base_url=BASE_URL) as client:
            deadline = time.monotonic() + 10
            while client.get("/log/checkpoint").json()["treeSize"] != 2:
                assert time.monotonic() < deadline, "no scheduled checkpoint"
                time.sleep(0.2)
            assert _opened(client, client.get("/log/checkpoint").json()["note"]).checkpoint.size == 2
    finally:
        scheduled.close()
    with runtime.session() as session:
        count = session.scalar(select(func.count()).select_from(LogCheckpoint))
        assert count == 2  # the issuance's, and one scheduled round (it signs only when the log grew)


def test_leaves_hold_only_the_allowed_fields(runtime: Runtime) -> None:
    with runtime.session() as session:
        for kind, data in [
            (
                "credential.status",
                {"credentialId": "urn:uuid:x", "purpose": "revocation", "value": True, "name": "张三"},
            ),
            ("credential.status", {"credentialId": "urn:uuid:x", "purpose": "revocation"}),
            ("credential.status", {"credentialId": "urn:uuid:x", "purpose": "revocation", "value": {"a": 1}}),
            ("credential.deleted", {"credentialId": "urn:uuid:x"}),
        ]:
            with pytest.raises(InvalidInput):
                log.append(session, kind, data)
        assert log.tree_size(session) == 0


# --- log verify: tampering with the stored rows ---------------------------------------------------------


def _tamper_change(runtime: Runtime) -> None:
    _sql(
        runtime,
        "UPDATE transparency_log_leaves SET leaf_data = REPLACE(leaf_data, 'credential.issued', "
        "'credential.issueD') WHERE leaf_index = 2",
    )


def _tamper_change_consistently(runtime: Runtime) -> None:
    with runtime.session() as session:
        row = session.get_one(LogLeaf, 2)
        row.leaf_data = row.leaf_data.replace('"digest":"', '"digest":"0')
        row.leaf_hash = merkle.leaf_hash(row.leaf_data.encode()).hex()


def _tamper_delete(runtime: Runtime) -> None:
    _sql(runtime, "DELETE FROM transparency_log_leaves WHERE leaf_index = 3")


def _tamper_reorder(runtime: Runtime) -> None:
    _sql(runtime, "UPDATE transparency_log_leaves SET leaf_index = -1 WHERE leaf_index = 1")
    _sql(runtime, "UPDATE transparency_log_leaves SET leaf_index = 1 WHERE leaf_index = 4")
    _sql(runtime, "UPDATE transparency_log_leaves SET leaf_index = 4 WHERE leaf_index = -1")


def _tamper_truncate(runtime: Runtime) -> None:
    _sql(runtime, "DELETE FROM transparency_log_leaves WHERE leaf_index = 5")
    _sql(runtime, "DELETE FROM transparency_log_nodes WHERE level = 0 AND node_index = 5")


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        (_tamper_change, {(2, "altered")}),
        (_tamper_change_consistently, {(2, "altered"), (3, "checkpoint")}),
        (_tamper_delete, {(3, "removed")}),
        (_tamper_reorder, {(1, "reordered"), (4, "reordered")}),
        (_tamper_truncate, {(5, "removed"), (4, "node")}),
    ],
    ids=["change", "change-with-hash", "delete", "reorder", "truncate"],
)
def test_log_verify_reports_each_tampered_row_with_its_position(
    runtime: Runtime, settings: Settings, organisation: Issuer, tamper: Any, expected: set[tuple[int, str]]
) -> None:
    _issue(runtime, organisation, 6)
    code, report = _log_verify(settings)
    assert code == 0 and report["clean"] and report["leaves"] == 6 and report["checkpoints"] == 6, report
    tamper(runtime)
    code, report = _log_verify(settings)
    assert code == 1 and not report["clean"]
    found = {(p["position"], p["kind"]) for p in report["problems"]}
    assert expected <= found, report["problems"]
    assert {position for position, _ in found} <= {p for p, _ in expected} | {p + 1 for p, _ in expected}, (
        found
    )


def test_log_verify_reports_a_rewritten_tree_and_a_forged_checkpoint(
    runtime: Runtime, settings: Settings, organisation: Issuer
) -> None:
    _issue(runtime, organisation, 4)
    with runtime.session() as session:  # the stored subtree hashes edited too: caught by the checkpoints
        row = session.get_one(LogLeaf, 1)
        row.leaf_data = row.leaf_data.replace('"digest":"', '"digest":"0')
        row.leaf_hash = merkle.leaf_hash(row.leaf_data.encode()).hex()
        session.execute(
            update(LogNode).where(LogNode.level == 0, LogNode.node_index == 1).values(node_hash=row.leaf_hash)
        )
    code, report = _log_verify(settings)
    kinds = {(p["position"], p["kind"]) for p in report["problems"]}
    assert code == 1 and (2, "checkpoint") in kinds and (0, "node") in kinds, report["problems"]
    _sql(
        runtime,
        "UPDATE transparency_log_checkpoints SET note = REPLACE(note, 'skills.test/log', 'evil.test/log')",
    )
    code, report = _log_verify(settings)
    assert code == 1 and sum(p["kind"] == "checkpoint" for p in report["problems"]) >= 4


def test_log_checkpoint_command_signs_the_current_tree(settings: Settings, runtime: Runtime) -> None:
    with runtime.session() as session:
        log.append(
            session,
            "credential.status",
            {"credentialId": "urn:uuid:y", "purpose": "revocation", "value": True},
        )
    first = CliRunner().invoke(cli, ["log", "checkpoint", "--json"], env=_env(settings))
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["treeSize"] == 1
    again = CliRunner().invoke(cli, ["log", "checkpoint"], env=_env(settings))
    assert again.exit_code == 0 and again.stdout.startswith("skills.test/log\n1\n")


# --- the verifier's "logged" check ----------------------------------------------------------------------


def test_verifier_checks_the_inclusion_proof(
    client: TestClient, runtime: Runtime, organisation: Issuer
) -> None:
    vc, other = _issue(runtime, organisation, 2)
    status, checks = _verify_over_http(client, vc)
    assert status == 200 and checks["logged"]["outcome"] == "valid" and checks["logged"]["code"] == "logged"
    assert "透明日志" in checks["logged"]["message"]

    # A leaf that no longer records this credential (its digest changed) is a failure.
    original = client.get("/log/proof/inclusion", params={"credential_id": vc["id"]}).json()["leafData"]
    forged = original.replace(json.loads(original)["digest"], "0" * 64)
    _sql(runtime, "UPDATE transparency_log_leaves SET leaf_data = :d WHERE leaf_index = 0", d=forged)
    status, checks = _verify_over_http(client, vc)
    assert status == 422 and checks["logged"]["code"] == "log_mismatch"
    _sql(runtime, "UPDATE transparency_log_leaves SET leaf_data = :d WHERE leaf_index = 0", d=original)

    # A proof that does not lead to the checkpoint's root is a failure (a stored hash altered).
    _sql(
        runtime,
        "UPDATE transparency_log_nodes SET node_hash = :h WHERE level = 0 AND node_index = 1",
        h="ab" * 32,
    )
    proofs.forget_proofs()  # as in a process that had not proven it yet (a kept proof stays valid)
    status, checks = _verify_over_http(client, vc)
    assert status == 422 and checks["logged"]["code"] == "inclusion_proof_invalid"

    # Not yet under a signed checkpoint: cannot tell. Missing from the log: invalid.
    _sql(runtime, "DELETE FROM transparency_log_checkpoints WHERE tree_size = 2")
    status, checks = _verify_over_http(client, other)
    assert status == 422 and checks["logged"]["outcome"] == "cannot_tell"
    assert checks["logged"]["code"] == "awaiting_checkpoint"
    assert _verify_over_http(client, vc)[1]["logged"]["outcome"] == "valid"  # still in checkpoint 1
    _sql(runtime, "DELETE FROM transparency_log_leaves WHERE leaf_index = 1")
    status, checks = _verify_over_http(client, other)
    assert status == 422 and checks["logged"]["code"] == "not_in_log"


def test_credentials_not_issued_here_get_no_log_check(
    client: TestClient, runtime: Runtime, organisation: Issuer
) -> None:
    vc = _issue(runtime, organisation, 1)[0]
    unlogged = {k: v for k, v in vc.items() if k != "proof"} | {
        "id": "urn:uuid:00000000-0000-4000-8000-00000000abcd"
    }
    fragment = vc["proof"]["verificationMethod"].split("#")[1]
    signer = runtime.keystore.signer(f"{organisation.code}.{fragment}")
    signed = create_proof(
        unlogged,
        cryptosuite="eddsa-rdfc-2022",
        verification_method=vc["proof"]["verificationMethod"],
        created=vc["proof"]["created"],
        sign=signer.sign,
    )
    _status, checks = _verify_over_http(client, signed)
    assert "logged" not in checks and checks["proof"]["outcome"] == "valid"


# --- key compromise: the log decides what was signed before the compromise ------------------------------


def test_key_compromise_uses_the_time_the_log_proves(
    client: TestClient, runtime: Runtime, settings: Settings, organisation: Issuer
) -> None:
    before = _issue(runtime, organisation, 1)[0]
    time.sleep(1.2)
    since = utcnow()
    time.sleep(0.2)
    after = _issue(runtime, organisation, 1)[0]
    fragment = before["proof"]["verificationMethod"].split("#")[1]
    assert after["proof"]["verificationMethod"] == before["proof"]["verificationMethod"]
    # A thief with the key back-dates a credential to before the compromise; it was never logged.
    stolen = runtime.keystore.signer(f"{organisation.code}.{fragment}")
    forged = create_proof(
        {k: v for k, v in before.items() if k != "proof"}
        | {"id": "urn:uuid:00000000-0000-4000-8000-0000000f0f0f"},
        cryptosuite="eddsa-rdfc-2022",
        verification_method=before["proof"]["verificationMethod"],
        created=to_xsd(since - timedelta(days=30)),
        sign=stolen.sign,
    )
    proofs = {
        vc["id"]: client.get("/log/proof/inclusion", params={"credential_id": vc["id"]}).json()
        for vc in (before, after)
    }

    compromised = CliRunner().invoke(
        cli, ["keys", "compromise", organisation.code, fragment, "--since", to_xsd(since)], env=_env(settings)
    )
    assert compromised.exit_code == 0, compromised.output
    rotated = CliRunner().invoke(cli, ["keys", "rotate", organisation.code], env=_env(settings))
    assert rotated.exit_code == 0, rotated.output  # signs its status lists with a fresh key from now on

    status, checks = _verify_over_http(client, before)
    assert status == 200 and checks["issuer_key"]["code"] == "key_valid_at_issuance"
    assert checks["logged"]["outcome"] == "valid"
    status, checks = _verify_over_http(client, after)
    assert status == 422 and checks["issuer_key"]["code"] == "key_compromised"
    status, checks = _verify_over_http(client, forged)
    assert status == 422 and checks["issuer_key"]["code"] == "compromise_time_unproven"

    # Offline, with the trust bundle carrying the log's proofs: the same answers.
    bundle = client.get("/api/v1/trust-bundle").json()
    bundle["transparencyLog"] = {"inclusionProofs": proofs}
    offline = BundleTrust(bundle)
    early = {c.check: c for c in verify_credential(before, offline).checks}
    assert early["issuer_key"].code == "key_valid_at_issuance" and early["logged"].outcome == "valid"
    late = {c.check: c for c in verify_credential(after, offline).checks}
    assert late["issuer_key"].code == "key_compromised"
    thief = {c.check: c for c in verify_credential(forged, offline).checks}
    assert thief["issuer_key"].code == "compromise_time_unproven" and "logged" not in thief
    # A proof carried for the wrong credential proves nothing about this one.
    swapped = BundleTrust(
        {**bundle, "transparencyLog": {"inclusionProofs": {before["id"]: proofs[after["id"]]}}}
    )
    assert {c.check: c for c in verify_credential(before, swapped).checks}["logged"].code == "log_mismatch"


# --- the monitor ----------------------------------------------------------------------------------------


def _rewrite_history(runtime: Runtime, position: int) -> None:
    """What a dishonest operator would do: change a leaf, rebuild every stored hash, drop the
    checkpoints and sign a new one, so that the database is self-consistent again."""
    with runtime.session() as session:
        row = session.get_one(LogLeaf, position)
        row.leaf_data = row.leaf_data.replace('"digest":"', '"digest":"0')
        row.leaf_hash = merkle.leaf_hash(row.leaf_data.encode()).hex()
        hashes = [
            bytes.fromhex(h) for h in session.scalars(select(LogLeaf.leaf_hash).order_by(LogLeaf.leaf_index))
        ]
        session.execute(delete(LogNode))
        session.execute(delete(LogCheckpoint))
        tree = merkle.MemoryTree.of(hashes)
        session.add_all(
            LogNode(level=lv, node_index=ix, node_hash=h.hex()) for (lv, ix), h in tree.nodes.items()
        )
        session.flush()
        log.sign_checkpoint(session, runtime.keystore, public_base_url=runtime.settings.public_base_url)


def test_monitor_proves_each_checkpoint_consistent_and_catches_a_rewrite(
    client: TestClient, runtime: Runtime, organisation: Issuer, tmp_path: Path
) -> None:
    state = tmp_path / "monitor.json"
    _issue(runtime, organisation, 3)
    first = check_once(client, state, url=BASE_URL)
    assert first.first_round and first.tree_size == 3 and len(first.newly_pinned) == 1
    _issue(runtime, organisation, 2)
    second = check_once(client, state, url=BASE_URL)
    assert (second.previous_size, second.tree_size, second.first_round) == (3, 5, False)
    assert check_once(client, state, url=BASE_URL).tree_size == 5  # nothing new: still fine

    # After a platform key rotation the monitor wants the new key confirmed (--repin).
    with runtime.session() as session:
        issuers.rotate_key(session, runtime.keystore, issuers.get_issuer(session, "platform"))
    _issue(runtime, organisation, 1)
    with pytest.raises(MonitorFailure, match="--repin"):
        check_once(client, state, url=BASE_URL)
    assert check_once(client, state, url=BASE_URL, repin=True).tree_size == 6

    saved = json.loads(state.read_text())
    _rewrite_history(runtime, 1)
    _issue(runtime, organisation, 1)
    with pytest.raises(MonitorFailure, match=r"rewritten|rewrote") as failure:
        check_once(client, state, url=BASE_URL)
    assert not failure.value.unreachable
    assert json.loads(state.read_text()) == saved  # a failed round keeps the last good checkpoint


def test_monitor_reports_a_shrunk_log_and_a_wrong_state_file(
    client: TestClient, runtime: Runtime, organisation: Issuer, tmp_path: Path
) -> None:
    state = tmp_path / "monitor.json"
    _issue(runtime, organisation, 3)
    check_once(client, state, url=BASE_URL)
    _sql(runtime, "DELETE FROM transparency_log_checkpoints WHERE tree_size = 3")
    with pytest.raises(MonitorFailure, match="shrank"):
        check_once(client, state, url=BASE_URL)
    with pytest.raises(MonitorFailure, match="another --state file"):
        check_once(client, state, url="https://other.example")


# --- concurrency and crash safety -----------------------------------------------------------------------


def test_concurrent_appends_never_fork_or_leave_a_gap(runtime: Runtime, settings: Settings) -> None:
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            for i in range(15):
                with runtime.session() as session:
                    log.append(
                        session,
                        "credential.status",
                        {"credentialId": f"urn:uuid:w{number}-{i}", "purpose": "suspension", "value": True},
                    )
                    log.checkpoint_at_commit(session, runtime.keystore, public_base_url=BASE_URL)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    with runtime.session() as session:
        indexes = list(session.scalars(select(LogLeaf.leaf_index).order_by(LogLeaf.leaf_index)))
        assert indexes == list(range(60))
        assert session.scalar(select(func.count()).select_from(LogCheckpoint)) == 60
    code, report = _log_verify(settings)
    assert code == 0 and report["clean"], report


def test_every_issued_credential_has_exactly_one_issuance_leaf(
    runtime: Runtime, organisation: Issuer
) -> None:
    _issue(runtime, organisation, 4)
    with runtime.session() as session:
        issued = set(session.scalars(select(IssuedCredential.credential_id)))
        logged = list(
            session.scalars(select(LogLeaf.credential_id).where(LogLeaf.kind == "credential.issued"))
        )
        assert sorted(logged) == sorted(issued) and len(logged) == 4


def test_the_log_check_alone_and_the_openapi_document(
    client: TestClient, runtime: Runtime, organisation: Issuer
) -> None:
    vc = _issue(runtime, organisation, 1)[0]
    with runtime.session() as session:
        report = verify_credential(vc, DatabaseTrust(session, runtime.verification))
    logged = next(c for c in report.checks if c.check == "logged")
    signed = beijing_text(parse_xsd(vc["proof"]["created"]), minutes=True)  # people read Beijing time
    assert logged.outcome == "valid" and signed in logged.message_en and "log index 0" in logged.message_en
    assert f"{signed}（北京时间）" in logged.message_zh and "日志序号 0" in logged.message_zh
    paths = client.get("/openapi.json").json()["paths"]
    assert {
        "/log/checkpoint",
        "/log/checkpoints/{size}",
        "/log/proof/inclusion",
        "/log/proof/consistency",
        "/log/leaves",
    } <= paths.keys()
    assert {p["name"] for p in paths["/log/proof/consistency"]["get"]["parameters"]} == {"from", "to"}
