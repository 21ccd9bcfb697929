from __future__ import annotations

import json
from pathlib import Path

import pytest

from credential_service.core.errors import ConfigurationError
from credential_service.crypto import keystore
from credential_service.crypto.keystore import FileKeyStore, verify_signature
from tests.conftest import PRODUCTION_SCRYPT_N


@pytest.fixture(autouse=True)
def production_key_sealing(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about the key files themselves: they seal at the production cost."""
    monkeypatch.setattr(keystore, "SCRYPT_N", PRODUCTION_SCRYPT_N)


def test_private_keys_are_encrypted_at_rest(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path, "a passphrase")
    public = store.generate("org.key-1")
    signer = store.signer("org.key-1")
    seed = bytes(signer._signing_key)
    raw = (tmp_path / "org.key-1.key.json").read_bytes()
    assert seed not in raw and seed.hex().encode() not in raw
    assert (tmp_path / "org.key-1.key.json").stat().st_mode & 0o777 == 0o600
    fresh = FileKeyStore(tmp_path, "a passphrase").signer("org.key-1")
    assert fresh.public_key == public
    assert verify_signature(public, b"msg", fresh.sign(b"msg"))


def test_wrong_passphrase_is_a_clear_configuration_error(tmp_path: Path) -> None:
    FileKeyStore(tmp_path, "right").generate("k1")
    with pytest.raises(ConfigurationError, match="wrong CS_KEYSTORE_PASSPHRASE"):
        FileKeyStore(tmp_path, "wrong").signer("k1")


def test_a_key_file_moved_onto_another_id_does_not_open(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path, "p")
    store.generate("k1")
    (tmp_path / "k1.key.json").rename(tmp_path / "k2.key.json")
    with pytest.raises(ConfigurationError):
        FileKeyStore(tmp_path, "p").signer("k2")


def test_tampered_and_missing_files(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path, "p")
    store.generate("k1")
    record = json.loads((tmp_path / "k1.key.json").read_text())
    record["public_key"] = record["public_key"][::-1]
    (tmp_path / "k1.key.json").write_text(json.dumps(record))
    with pytest.raises(ConfigurationError):
        FileKeyStore(tmp_path, "p").signer("k1")
    with pytest.raises(ConfigurationError, match="missing"):
        store.signer("nope")
    with pytest.raises(ValueError):
        store.generate("../escape")
    with pytest.raises(FileExistsError):
        store.generate("k1")


def test_key_files_are_sealed_at_the_production_cost(tmp_path: Path) -> None:
    FileKeyStore(tmp_path, "p").generate("k1")
    kdf = json.loads((tmp_path / "k1.key.json").read_text())["kdf"]
    assert (kdf["name"], kdf["n"], kdf["r"], kdf["p"]) == ("scrypt", 2**15, 8, 1)
