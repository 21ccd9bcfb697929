"""Micro-benchmark: Data Integrity sign/verify throughput vs raw PyNaCl, in one run.

Run: ``.venv/bin/python scripts/bench_canon.py [--seconds 2.0] [--json]``

Measures, on one core and in this process, a realistic ~2.5 KB Open Badges 3.0 credential
(OpenBadgeCredential with issuer profile, achievement, criteria, alignments, result, evidence
and credential schema):

* ``create_proof`` and ``verify_proof`` for eddsa-rdfc-2022 and eddsa-jcs-2022;
* raw PyNaCl Ed25519 sign/verify of the 64-byte hash data (the floor);
* first call (cold context memo) vs steady state.

Reference (standards.md §2.8, same machine): Digital Bazaar's Node verifier ~145 verifies/s on
this kind of credential; pyld as is ~165/s.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import nacl.signing

from credential_service.crypto import data_integrity as di
from credential_service.crypto import jsonld
from credential_service.crypto.multibase import encode_ed25519_public_key

SEED = bytes(range(32))  # benchmark key only; never a real key
CREATED = "2025-03-01T08:30:00Z"

NODE_VERIFY_PER_S = 145.0  # standards.md §2.8: @digitalbazaar jsigs.verify, OB 3.0 credential


def sample_ob3_credential() -> dict[str, Any]:
    """A realistic unsigned OpenBadgeCredential (~2.5 KB of JSON)."""
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
            "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
        ],
        "id": "urn:uuid:1f1d6c44-7c59-4b6f-a3c4-8d1e2f9b0a77",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Industrial Robot Operation and Maintenance — Level 3 (Senior Worker)",
        "description": "Vocational skill-level certificate issued after the national assessment.",
        "issuer": {
            "id": "https://certs.example.org/issuers/vsl-centre-0451",
            "type": ["Profile"],
            "name": "Example Vocational Skills Assessment Centre",
            "url": "https://certs.example.org",
            "email": "registry@certs.example.org",
            "phone": "+86-10-5555-0451",
            "description": "Accredited third-party skill-level assessment organisation.",
            "image": {"id": "https://certs.example.org/static/seal.png", "type": "Image",
                      "caption": "Centre seal"},
        },
        "validFrom": "2025-03-01T00:00:00Z",
        "validUntil": "2030-02-28T23:59:59Z",
        "credentialSubject": {
            "id": "did:example:learner:7b4a1f0c2d9e",
            "type": ["AchievementSubject"],
            "activityEndDate": "2025-02-20T00:00:00Z",
            "achievement": {
                "id": "https://certs.example.org/achievements/6-31-01-10/level-3",
                "type": ["Achievement"],
                "achievementType": "Certificate",
                "name": "Industrial Robot System Operator, Level 3",
                "description": "Operates, programs and maintains industrial robot work cells "
                               "to the national occupational skill standard, level 3.",
                "criteria": {
                    "narrative": "Passed the theory examination (score >= 60) and the practical "
                                 "assessment of robot programming, commissioning and fault "
                                 "diagnosis."
                },
                "humanCode": "6-31-01-10-L3",
                "fieldOfStudy": "Industrial robotics",
                "tag": ["robotics", "maintenance", "level-3"],
                "alignment": [
                    {
                        "type": ["Alignment"],
                        "targetName": "Industrial Robot System Operator (6-31-01-10)",
                        "targetUrl": "https://standards.example.gov/occupations/6-31-01-10",
                        "targetFramework": "National Occupational Skill Standards",
                        "targetCode": "6-31-01-10",
                    },
                    {
                        "type": ["Alignment"],
                        "targetName": "Qualifications framework, level 4",
                        "targetUrl": "https://standards.example.gov/qf/level-4",
                        "targetType": "CFItem",
                    },
                ],
                "image": {"id": "https://certs.example.org/static/badges/robotics-l3.png",
                          "type": "Image"},
            },
            "result": [{"type": ["Result"], "value": "Pass", "status": "Completed"}],
        },
        "evidence": [{
            "id": "https://certs.example.org/assessments/2025-0451-00981",
            "type": ["Evidence"],
            "name": "Practical assessment record",
            "narrative": "Programmed a palletising cell and diagnosed two injected faults.",
            "genre": "Assessment record",
        }],
        "credentialSchema": [{
            "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
                  "ob_v3p0_achievementcredential_schema.json",
            "type": "1EdTechJsonSchemaValidator2019",
        }],
    }


def rate(fn: Callable[[], object], seconds: float) -> float:
    """Calls per second of ``fn`` over about ``seconds`` (after one warm-up call)."""
    fn()
    n = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(10):
            fn()
        n += 10
        now = time.perf_counter()
        if now >= deadline:
            return n / (now - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    parser.add_argument("--json", action="store_true", help="print results as JSON")
    args = parser.parse_args()

    signing_key = nacl.signing.SigningKey(SEED)
    public_key = bytes(signing_key.verify_key)
    vm = f"did:key:{encode_ed25519_public_key(public_key)}#{encode_ed25519_public_key(public_key)}"
    sign = di.ed25519_signer(SEED)

    def public_key_for(url: str) -> bytes:
        if url != vm:
            raise LookupError(url)
        return public_key

    credential = sample_ob3_credential()
    results: dict[str, Any] = {
        "credential_json_bytes": len(json.dumps(credential, ensure_ascii=False).encode()),
        "quads": len(jsonld.to_rdf_safe(credential)),
        "pid": os.getpid(),
    }

    jsonld.clear_context_memo()
    start = time.perf_counter()
    jsonld.canonicalize(credential)
    results["first_canonicalize_ms_cold_memo"] = (time.perf_counter() - start) * 1e3

    hash_data = bytes(64)
    signature = signing_key.sign(hash_data).signature
    verify_key = signing_key.verify_key
    results["pynacl_sign_per_s"] = rate(lambda: signing_key.sign(hash_data), args.seconds)
    results["pynacl_verify_per_s"] = rate(lambda: verify_key.verify(hash_data, signature),
                                          args.seconds)

    suite: di.Cryptosuite
    for suite in di.CRYPTOSUITES:
        signed = di.create_proof(credential, cryptosuite=suite, verification_method=vm,
                                 created=CREATED, sign=sign)
        di.verify_proof(signed, public_key_for=public_key_for)

        def do_sign(s: di.Cryptosuite = suite) -> object:
            return di.create_proof(credential, cryptosuite=s, verification_method=vm,
                                   created=CREATED, sign=sign)

        def do_verify(d: dict[str, Any] = signed) -> object:
            return di.verify_proof(d, public_key_for=public_key_for)

        results[f"{suite}_sign_per_s"] = rate(do_sign, args.seconds)
        results[f"{suite}_verify_per_s"] = rate(do_verify, args.seconds)

    results["rdfc_verify_vs_node"] = results["eddsa-rdfc-2022_verify_per_s"] / NODE_VERIFY_PER_S
    results["context_memo"] = dict(zip(("entries", "hits", "misses"),
                                       jsonld.context_memo_stats(), strict=True))

    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"credential: {results['credential_json_bytes']} bytes of JSON, "
          f"{results['quads']} quads")
    print(f"first canonicalisation (cold context memo): "
          f"{results['first_canonicalize_ms_cold_memo']:.1f} ms")
    print(f"{'':24}{'sign/s':>12}{'verify/s':>12}")
    print(f"{'raw PyNaCl Ed25519':24}{results['pynacl_sign_per_s']:12.0f}"
          f"{results['pynacl_verify_per_s']:12.0f}")
    for suite in di.CRYPTOSUITES:
        print(f"{suite:24}{results[f'{suite}_sign_per_s']:12.0f}"
              f"{results[f'{suite}_verify_per_s']:12.0f}")
    print(f"eddsa-rdfc-2022 verify = {results['rdfc_verify_vs_node']:.1f}x the Node reference "
          f"({NODE_VERIFY_PER_S:.0f}/s)")


if __name__ == "__main__":
    main()
