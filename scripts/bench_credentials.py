"""Sign and verify throughput for both suites on a real skill certificate, in one run.

Baselines measured in the same run: raw PyNaCl Ed25519 sign/verify of the 64-byte hash data, and
Digital Bazaar's jsonld-signatures verifying the same credentials (proof only, offline, in Node).
Prints a table and the ratios; ``--json`` for a machine-readable result.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nacl.signing import SigningKey  # noqa: E402

from credential_service.certificates.credential import (  # noqa: E402
    Occupation,
    SkillCertificate,
    skill_certificate_credential,
)
from credential_service.certificates.rules import SkillLevel  # noqa: E402
from credential_service.crypto.data_integrity import create_proof, verify_proof  # noqa: E402
from credential_service.crypto.multibase import encode_ed25519_public_key  # noqa: E402

BASE = "https://skills.example.cn"
DID = "did:web:skills.example.cn:orgs:Y000014010001"
VM = f"{DID}#key-1"
SEED = bytes(range(32))  # benchmark key only


def certificate() -> dict[str, Any]:
    """A realistic unsigned certificate, exactly as the service builds it, with status entries."""
    unsigned = skill_certificate_credential(
        SkillCertificate(
            certificate_number="Y000014010001263000123",
            issuer_did=DID,
            issuer_name="太原重型机械集团有限公司",
            holder_name="王小明",
            occupation=Occupation("6-18-02-04", "焊工", "电焊工"),
            level=SkillLevel.LEVEL_3,
            issued_at=datetime(2026, 11, 27, 8, 0, tzinfo=UTC),
            exam_date=date(2026, 11, 1),
        ),
        public_base_url=BASE,
    )
    unsigned["credentialStatus"] = [
        {
            "id": f"{BASE}/status/r0001#{i}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": p,
            "statusListIndex": str(i),
            "statusListCredential": f"{BASE}/status/{p[0]}0001",
        }
        for p, i in (("revocation", 94567), ("suspension", 1234))
    ]
    return unsigned


def rate(fn: Callable[[], object], seconds: float) -> float:
    """Calls per second over about ``seconds`` (after one warm-up call), best of 3 rounds."""
    fn()
    best = 0.0
    for _ in range(3):
        count, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < seconds / 3:
            fn()
            count += 1
        best = max(best, count / elapsed)
    return best


def node_rate(credential: dict[str, Any], seconds: float) -> float | None:
    try:
        from tests.interop import nodevc
    except ImportError:
        return None
    if nodevc.node_available() is not None:
        return None
    public = encode_ed25519_public_key(bytes(SigningKey(SEED).verify_key))
    did_doc = {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": DID,
        "verificationMethod": [
            {"id": VM, "type": "Multikey", "controller": DID, "publicKeyMultibase": public}
        ],
        "assertionMethod": [VM],
    }
    answer = nodevc.run_oracle(
        {"op": "bench", "credential": credential, "documents": {DID: did_doc}, "seconds": seconds},
        timeout=seconds * 4 + 60,
    )
    return float(answer["perSecond"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="time per measurement")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    key = SigningKey(SEED)
    public = bytes(key.verify_key)

    def sign(data: bytes) -> bytes:
        return bytes(key.sign(data).signature)

    unsigned = certificate()
    digest = bytes(64)
    signature = sign(digest)
    rows: dict[str, float | None] = {
        "pynacl sign (64-byte hash data)": rate(lambda: sign(digest), args.seconds),
        "pynacl verify (64-byte hash data)": rate(
            lambda: key.verify_key.verify(digest, signature), args.seconds
        ),
    }
    for suite in ("eddsa-rdfc-2022", "eddsa-jcs-2022"):
        signed = create_proof(
            unsigned, cryptosuite=suite, verification_method=VM, created="2026-11-27T08:00:00Z", sign=sign
        )
        rows[f"{suite} sign (ours)"] = rate(
            lambda s=suite: create_proof(
                unsigned, cryptosuite=s, verification_method=VM, created="2026-11-27T08:00:00Z", sign=sign
            ),
            args.seconds,
        )
        rows[f"{suite} verify (ours)"] = rate(
            lambda d=signed: verify_proof(d, public_key_for=lambda _: public), args.seconds
        )
        rows[f"{suite} verify (Digital Bazaar, Node)"] = node_rate(signed, args.seconds)

    size = len(json.dumps(unsigned, ensure_ascii=False).encode())
    ratios = {}
    for suite in ("eddsa-rdfc-2022", "eddsa-jcs-2022"):
        ours, node = rows[f"{suite} verify (ours)"], rows[f"{suite} verify (Digital Bazaar, Node)"]
        if ours and node:
            ratios[f"{suite} verify: ours / Node"] = ours / node
        raw = rows["pynacl verify (64-byte hash data)"]
        if ours and raw:
            ratios[f"{suite} verify: ours / raw PyNaCl"] = ours / raw
        sign_ours, sign_raw = rows[f"{suite} sign (ours)"], rows["pynacl sign (64-byte hash data)"]
        if sign_ours and sign_raw:
            ratios[f"{suite} sign: ours / raw PyNaCl"] = sign_ours / sign_raw
    if args.json:
        print(json.dumps({"credential_bytes": size, "ops_per_second": rows, "ratios": ratios}, indent=2))
        return
    print(
        f"Skill certificate: {size} bytes of JSON; {args.seconds:.1f} s per measurement, best of 3 rounds\n"
    )
    for name, value in rows.items():
        print(f"  {name:<45} {'n/a (node not set up)' if value is None else f'{value:>10,.0f} /s'}")
    print()
    for name, value in ratios.items():
        print(f"  {name:<45} {value:>10.2f}×")


if __name__ == "__main__":
    main()
