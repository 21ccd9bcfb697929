"""Checkpoints as C2SP signed notes: the Go note package's vector, and our checkpoint format."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from credential_service.crypto import checkpoint as cp
from credential_service.crypto.keystore import NaclSigner
from tests.conftest import VECTORS

NOTE = json.loads((VECTORS / "transparency" / "sumdb-note.json").read_text())
SIGNER = NaclSigner.from_seed("log", bytes(range(32)))
OTHER = NaclSigner.from_seed("other", bytes(range(1, 33)))
ROOT = bytes.fromhex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")
MOMENT = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def test_note_signature_matches_go_sumdb_vector() -> None:
    """Key ID, signature encoding and line format exactly as golang.org/x/mod/sumdb/note signs."""
    raw = base64.b64decode(NOTE["signerKey"].split("+", 4)[4])  # PRIVATE+KEY+name+hash+key
    assert raw[0] == cp.ED25519
    signer = NaclSigner.from_seed("peter", raw[1:])
    assert cp.sign_note(NOTE["text"], NOTE["name"], signer.public_key, signer.sign) == NOTE["signed"]
    assert cp.verifier_key(NOTE["name"], signer.public_key) == NOTE["verifierKey"]
    text, signatures = cp.split_note(NOTE["signed"])
    assert text == NOTE["text"] and signatures[0].name == "PeterNeumann"
    assert signatures[0].key.hex() == "c74f20a3"


def _signed(size: int = 8, origin: str = "skills.test/log") -> str:
    return cp.sign_checkpoint(
        cp.Checkpoint(origin=origin, size=size, root_hash=ROOT),
        timestamp=MOMENT,
        public_key=SIGNER.public_key,
        sign=SIGNER.sign,
    )


def test_checkpoint_note_layout_and_round_trip() -> None:
    note = _signed()
    body, signatures = cp.split_note(note)
    assert body == f"skills.test/log\n8\n{base64.b64encode(ROOT).decode()}\n"  # c2sp tlog-checkpoint
    assert [s.name for s in signatures] == ["skills.test/log", "skills.test/log"]
    assert signatures[0].key == cp.key_id("skills.test/log", 0x01, SIGNER.public_key)
    assert signatures[1].key == cp.key_id("skills.test/log", 0x04, SIGNER.public_key)
    assert int.from_bytes(signatures[1].payload[:8], "big") == int(MOMENT.timestamp())
    opened = cp.open_checkpoint(note, {"did:web:skills.test#key-1": SIGNER.public_key})
    assert opened.checkpoint == cp.Checkpoint("skills.test/log", 8, ROOT)
    assert opened.timestamp == MOMENT and opened.key_label == "did:web:skills.test#key-1"


def test_tampered_or_foreign_checkpoints_are_refused() -> None:
    note = _signed()
    keys = {"k": SIGNER.public_key}
    with pytest.raises(cp.CheckpointError, match="no timestamped signature"):
        cp.open_checkpoint(note, {"other": OTHER.public_key})  # an unknown key's signatures are ignored
    changed_size = note.replace("\n8\n", "\n9\n", 1)
    with pytest.raises(cp.CheckpointError, match="does not verify"):
        cp.open_checkpoint(changed_size, keys)
    lines = note.split("\n")
    stamped = base64.b64decode(lines[-2].rsplit(" ", 1)[1])
    later = stamped[:4] + (int(MOMENT.timestamp()) + 3600).to_bytes(8, "big") + stamped[12:]
    moved_time = "\n".join(
        [*lines[:-2], f"{lines[-2].rsplit(' ', 1)[0]} {base64.b64encode(later).decode()}", ""]
    )
    with pytest.raises(cp.CheckpointError, match="timestamped signature"):
        cp.open_checkpoint(moved_time, keys)  # the time is signed too
    without_time = "\n".join([*lines[:-2], ""])
    with pytest.raises(cp.CheckpointError, match="no timestamped signature"):
        cp.open_checkpoint(without_time, keys)
    for malformed in [
        "",
        note.replace("\n\n", "\n"),
        note.replace("\u2014", "-"),
        note + "junk\n",
        "\x01" + note,
        note.replace("skills.test/log\n8", "skills.test/log\n08"),
        note.replace("skills.test/log\n8\n", "skills.test/log\n8\nextension\n"),
    ]:
        with pytest.raises(cp.CheckpointError):
            cp.open_checkpoint(malformed, keys)


def test_origin_names_the_platform_did() -> None:
    assert cp.log_origin("https://skills.test") == "skills.test/log"
    assert cp.log_origin("http://127.0.0.1:8000/") == "127.0.0.1:8000/log"
    assert cp.platform_did_for_origin("skills.test/log") == "did:web:skills.test"
    assert cp.platform_did_for_origin("127.0.0.1:8000/log") == "did:web:127.0.0.1%3A8000"
    assert cp.platform_did_for_origin("example.cn/zj/log") == "did:web:example.cn:zj"
    with pytest.raises(cp.CheckpointError):
        cp.platform_did_for_origin("example.com/behind-the-sofa")
