"""eddsa-rdfc-2022 sign and verify of a real skill certificate, against Digital Bazaar, in one run.

Ours is measured twice: as the service runs it (known credential shapes take the compiled fast
path, docs/decisions/039) and with the general pyld path only (what every credential cost before).
The baseline is Digital Bazaar's jsonld-signatures signing and verifying the same certificate in
Node (offline, proof only). Issue 15's target: both ratios ours / Digital Bazaar ≥ 20.
``--profile`` prints the cProfile of the fast path's sign and verify. ``--json`` for machines.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import sys
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_credentials import DID, SEED, VM, certificate, rate  # noqa: E402
from nacl.signing import SigningKey  # noqa: E402

from credential_service.crypto import jsonld_rdf  # noqa: E402
from credential_service.crypto.data_integrity import create_proof, verify_proof  # noqa: E402
from credential_service.crypto.multibase import encode_base58btc, encode_ed25519_public_key  # noqa: E402

CREATED = "2026-11-27T08:00:00Z"
ED25519_PRIV_HEADER = b"\x80\x26"


def node_rates(unsigned: dict[str, Any], signed: dict[str, Any], seconds: float) -> dict[str, float] | None:
    """Digital Bazaar's sign and verify rates, or None when the Node oracle is not set up."""
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
    key = {
        "id": VM,
        "controller": DID,
        "publicKeyMultibase": public,
        "secretKeyMultibase": encode_base58btc(ED25519_PRIV_HEADER + SEED),
    }
    documents = {DID: did_doc}
    timeout = seconds * 4 + 60
    verify = nodevc.run_oracle(
        {"op": "bench", "credential": signed, "documents": documents, "seconds": seconds}, timeout=timeout
    )
    sign = nodevc.run_oracle(
        {
            "op": "benchSign",
            "credential": unsigned,
            "key": key,
            "date": CREATED,
            "documents": documents,
            "seconds": seconds,
        },
        timeout=timeout,
    )
    return {"sign": float(sign["perSecond"]), "verify": float(verify["perSecond"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="time per measurement")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--profile", action="store_true", help="cProfile of 300 fast signs and verifies")
    args = parser.parse_args()

    key = SigningKey(SEED)
    public = bytes(key.verify_key)

    def sign_bytes(data: bytes) -> bytes:
        return bytes(key.sign(data).signature)

    unsigned = certificate()

    def sign() -> dict[str, Any]:
        return create_proof(
            unsigned, cryptosuite="eddsa-rdfc-2022", verification_method=VM, created=CREATED, sign=sign_bytes
        )

    signed = sign()

    def verify() -> object:
        return verify_proof(signed, public_key_for=lambda _: public)

    rows: dict[str, float | None] = {}
    with mock.patch.object(jsonld_rdf.SHAPES, "quads", lambda _document: None):
        rows["sign, general path"] = rate(sign, args.seconds)
        rows["verify, general path"] = rate(verify, args.seconds)
    rows["sign (ours)"] = rate(sign, args.seconds)
    rows["verify (ours)"] = rate(verify, args.seconds)
    node = node_rates(unsigned, signed, args.seconds)
    rows["sign (Digital Bazaar, Node)"] = node["sign"] if node else None
    rows["verify (Digital Bazaar, Node)"] = node["verify"] if node else None

    ratios: dict[str, float] = {}
    for op in ("sign", "verify"):
        ours, general, theirs = (
            rows[f"{op} (ours)"],
            rows[f"{op}, general path"],
            rows[f"{op} (Digital Bazaar, Node)"],
        )
        if ours and theirs:
            ratios[f"{op}: ours / Digital Bazaar"] = ours / theirs
        if general and theirs:
            ratios[f"{op}: general path / Digital Bazaar"] = general / theirs
        if ours and general:
            ratios[f"{op}: ours / general path"] = ours / general

    size = len(json.dumps(unsigned, ensure_ascii=False).encode())
    if args.json:
        print(json.dumps({"credential_bytes": size, "ops_per_second": rows, "ratios": ratios}, indent=2))
    else:
        print(
            f"eddsa-rdfc-2022, skill certificate of {size} bytes; "
            f"{args.seconds:.1f} s a measurement, best of 3\n"
        )
        for name, value in rows.items():
            print(f"  {name:<40} {'n/a (node not set up)' if value is None else f'{value:>10,.0f} /s'}")
        print()
        for name, value in ratios.items():
            print(f"  {name:<40} {value:>10.2f}×")
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(300):
            sign()
            verify()
        profile.disable()
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(15)
        print(out.getvalue(), file=sys.stderr)


if __name__ == "__main__":
    main()
