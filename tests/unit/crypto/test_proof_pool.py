"""Signing prepared documents (crypto/proof_pool.py) gives what create_proof gives, byte for byte."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from credential_service.crypto.data_integrity import attach_proof, create_proof
from credential_service.crypto.jcs import canonical_json
from credential_service.crypto.proof_pool import POOL_FROM, prepare, prepare_many

from .conftest import realistic_ob3_credential

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
