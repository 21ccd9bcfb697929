"""Signing prepared documents (crypto/proof_pool.py) gives what create_proof gives, byte for byte."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from credential_service.crypto.data_integrity import attach_proof, create_proof
from credential_service.crypto.jcs import canonical_json
from credential_service.crypto.proof_pool import POOL_FROM, prepare, prepare_many

from .conftest import realistic_ob3_credential

ROOT = Path(__file__).resolve().parents[3]
VM = "did:web:skills.test:orgs:S000014990100#key-1"
CREATED = "2026-12-04T08:00:00Z"


def _documents() -> list[dict[str, Any]]:
    plain = realistic_ob3_credential()
    astral = copy.deepcopy(plain)
    astral["credentialSubject"]["name"] = "𠀀 𡈽"  # astral characters in values
    numbers = copy.deepcopy(plain)
    numbers["@context"] = [*numbers["@context"], {"score": "https://example.org/vocab#score"}]
    numbers["credentialSubject"]["score"] = 1.5  # JCS by rfc8785 (a float)
    proven = create_proof(
        plain,
        cryptosuite="eddsa-jcs-2022",
        verification_method=VM,
        created=CREATED,
        sign=lambda _: b"\x01" * 64,
    )
    only_context = {
        "@context": plain["@context"],
        "type": ["VerifiableCredential"],
        "issuer": "did:example:1",
        "credentialSubject": {"id": "did:example:2"},
    }
    return [plain, astral, numbers, proven, only_context]


@pytest.mark.parametrize("index", range(5))
def test_signed_texts_equal_attach_proof(index: int, test_signer: Callable[[bytes], bytes]) -> None:
    document = _documents()[index]
    prepared = prepare(document, cryptosuite="eddsa-rdfc-2022", verification_method=VM, created=CREATED)
    signature = test_signer(prepared.to_sign.hash_data)
    secured = attach_proof(document, prepared.to_sign, signature)
    assert secured == create_proof(
        document, cryptosuite="eddsa-rdfc-2022", verification_method=VM, created=CREATED, sign=test_signer
    )
    assert prepared.signed(document, signature) == (
        json.dumps(secured, ensure_ascii=False),
        canonical_json(secured),
    )


def test_worker_processes_prepare_what_this_process_would(test_signer: Callable[[bytes], bytes]) -> None:
    documents = []
    for n in range(POOL_FROM + 3):
        document = realistic_ob3_credential()
        document["id"] = f"urn:uuid:00000000-0000-4000-8000-{n:012d}"
        documents.append(document)
    documents.append({"@context": ["https://www.w3.org/ns/credentials/v2"], "undefinedTerm": 1})  # refused
    prepared = prepare_many(documents, cryptosuite="eddsa-rdfc-2022", verification_method=VM, created=CREATED)
    for document in documents[:-1]:
        here = prepare(document, cryptosuite="eddsa-rdfc-2022", verification_method=VM, created=CREATED)
        assert next(prepared) == here
    with pytest.raises(Exception, match="undefinedTerm"):  # the very error, raised here
        next(prepared)


_OWNER = """
import sys, time
from credential_service.crypto import proof_pool
from tests.unit.crypto.conftest import realistic_ob3_credential

if __name__ == "__main__":
    documents = [realistic_ob3_credential() for _ in range(proof_pool.POOL_FROM)]
    options = {"verification_method": "did:x:y#k", "created": "2026-12-04T08:00:00Z"}
    list(proof_pool.prepare_many(documents, cryptosuite="eddsa-rdfc-2022", **options))
    print(" ".join(map(str, proof_pool._pool._processes)), flush=True)
    time.sleep(120)
"""


def test_workers_end_when_their_owner_is_killed(tmp_path: Path) -> None:
    script = tmp_path / "owner.py"
    script.write_text(_OWNER)
    owner = subprocess.Popen(
        [sys.executable, str(script)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert owner.stdout is not None
    workers = [int(pid) for pid in owner.stdout.readline().split()]
    assert workers
    owner.send_signal(signal.SIGKILL)  # no atexit, no pool shutdown
    owner.wait(timeout=30)
    for _ in range(100):
        if not any(_running(pid) for pid in workers):
            break
        time.sleep(0.1)
    assert not any(_running(pid) for pid in workers)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
