"""The fast path of eddsa-rdfc-2022 (compiled credential shapes) against the general pyld path.

Differential: every shape the service signs (skill certificate, corrected certificate, status
list, endorsement, CLR file with certificates and trainings, VC API credentials, presentations,
and the proof configuration of each), 1,000+ generated documents a shape with awkward values,
plus every JSON document among the test vectors (the W3C VC DM 2.0 suite inputs among them):
the canonical N-Quads, or the error, must be byte for byte the general path's. Then the cases the
fast path must hand to the general path, and the issuer and verifier using it unawares.
"""

from __future__ import annotations

import copy
import json
import random
import string
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from credential_service.certificates.credential import (
    Occupation,
    ReplacedCertificate,
    SkillCertificate,
    skill_certificate_credential,
)
from credential_service.certificates.rules import SkillLevel
from credential_service.certificates.status.lists import StatusAssignment, _list_credential
from credential_service.core import examples
from credential_service.crypto import data_integrity as di
from credential_service.crypto import jsonld_rdf
from credential_service.crypto.jsonld_shapes import ShapeCache

from .conftest import VECTORS

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CLR_V2 = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"
PER_SHAPE = 1000
SEED = bytes(range(32))
SIGN = di.ed25519_signer(SEED)

# --- Awkward values ---------------------------------------------------------------------------

_PIECES = [
    string.ascii_letters,
    string.digits,
    "王小明张三李四焊工电工职业技能等级证书太原",
    "“”（）《》、，。：",
    " -_./:#?&=%",
    '"\\',  # escaped in canonical N-Quads
    "\n\t\r\x01\x1f\x7f",
    "éü∞\u00a0\u2028",
    "😀🌃",  # above U+FFFF
    "\ue000\uffef",  # with the above: UTF-16 order may differ (refused)
]
_PIECE_WEIGHTS = [30, 10, 30, 8, 6, 2, 2, 3, 1, 1]


def text(rng: random.Random, longest: int = 14, *, refusable: bool = True) -> str:
    if rng.random() < 0.03:
        return ""
    if refusable and rng.random() < 0.002:
        return "bad\ud800surrogate"  # refused by safe mode
    return "".join(
        rng.choice(rng.choices(_PIECES, _PIECE_WEIGHTS)[0]) for _ in range(rng.randint(1, longest))
    )


def host(rng: random.Random) -> str:
    return rng.choice(["skills.example.cn", "127.0.0.1:8000", "ex.org", "xn--fiqs8s.cn", "a.b.c"])


def segment(rng: random.Random) -> str:
    return "".join(
        rng.choice(string.ascii_lowercase + string.digits + "-_.~%") for _ in range(rng.randint(1, 9))
    )


def some_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def iri(rng: random.Random) -> str:
    """Mostly absolute IRIs as the service writes them; now and then one that is not plain."""
    roll = rng.random()
    if roll < 0.35:
        return f"urn:uuid:{some_uuid(rng)}"
    if roll < 0.6:
        return f"https://{host(rng)}/{segment(rng)}/{segment(rng)}" + rng.choice(["", "#1", "#key-1", "?a=b"])
    if roll < 0.75:
        return f"did:web:{host(rng).replace(':', '%3A')}:orgs:Y{rng.randint(0, 10**12):012d}"
    if roll < 0.85:
        return "did:key:z6Mk" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(20))
    return rng.choice(
        [
            "https://ex.org/a<b>{c}|^`",  # escaped as rdf-canonize does
            "https://ex.org/ünï\u00a0code",
            "mailto:someone@ex.org",
            "_:b7",  # a blank node: not plain
            "relative/path",  # refused by safe mode
            "https://ex.org/with space",  # refused
            "xsd:string",  # a compact IRI whose prefix a context may define
            "name",  # a term
            "urn:x:" + text(rng, 4),
        ]
    )


def moment(rng: random.Random) -> datetime:
    return datetime(2020, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randint(0, 10**9))


def xsd(rng: random.Random) -> str:
    if rng.random() < 0.02:
        return text(rng)  # not a dateTime: JSON-LD does not check, neither may we
    return moment(rng).strftime("%Y-%m-%dT%H:%M:%SZ")


def base_url(rng: random.Random) -> str:
    return rng.choice([f"https://{host(rng)}", f"http://{host(rng)}/", f"https://{host(rng)}/{segment(rng)}"])


# --- The shapes the service signs ---------------------------------------------------------------


def skill_certificate(rng: random.Random) -> dict[str, Any]:
    """As certificates.service issues it: the real builder, then the two status entries."""
    code = f"{rng.randint(1, 8)}-{rng.randint(1, 99):02d}-{rng.randint(1, 99):02d}-{rng.randint(1, 99):02d}"
    replaces = None
    if rng.random() < 0.25:
        replaces = ReplacedCertificate(
            certificate_number=text(rng),
            credential_id=iri(rng),
            corrected_zh=text(rng),
            corrected_en=text(rng),
        )
    base = base_url(rng)
    credential = skill_certificate_credential(
        SkillCertificate(
            certificate_number="".join(rng.choices(string.digits + "Y", k=22)),
            issuer_did=iri(rng),
            issuer_name=text(rng),
            holder_name=text(rng),
            occupation=Occupation(code, text(rng), rng.choice([None, text(rng, refusable=False)])),
            level=rng.choice(list(SkillLevel)),
            issued_at=moment(rng),
            exam_date=rng.choice([None, date(2026, 1, 1) + timedelta(days=rng.randint(0, 900))]),
            replaces=replaces,
        ),
        public_base_url=base,
    )
    credential["id"] = iri(rng)
    credential["credentialSubject"]["id"] = iri(rng)
    if rng.random() < 0.05:  # the same node twice: the node map merges it
        credential["credentialSubject"]["id"] = credential["issuer"]["id"]
    credential["credentialStatus"] = [
        StatusAssignment(f"{p[0]}{rng.randint(1, 9999):04d}", rng.randint(0, 131071), p).entry(base)  # type: ignore[arg-type]
        for p in ("revocation", "suspension")
    ]
    return credential


def status_list(rng: random.Random) -> dict[str, Any]:
    listing = SimpleNamespace(
        list_id=f"{rng.choice('rs')}{rng.randint(1, 9999):04d}",
        purpose=rng.choice(["revocation", "suspension"]),
        bits=bytes(rng.getrandbits(8) for _ in range(rng.randint(16, 64))),
    )
    return _list_credential(listing, SimpleNamespace(did=iri(rng)), base_url(rng), moment(rng))  # type: ignore[arg-type]


def endorsement(rng: random.Random) -> dict[str, Any]:
    """As assessment.organisations.endorsements signs it."""
    return {
        "@context": [VC_V2, OB_V3],
        "id": iri(rng),
        "type": ["VerifiableCredential", "EndorsementCredential"],
        "issuer": {"id": iri(rng), "type": ["Profile"], "name": text(rng)},
        "validFrom": xsd(rng),
        "name": "职业技能等级认定评价机构备案 / Registration of a skill-level evaluation organisation",
        "credentialSubject": {
            "id": iri(rng),
            "type": ["EndorsementSubject"],
            "name": text(rng),
            "endorsementComment": text(rng, 60),
        },
    }


def signed(credential: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    return di.create_proof(
        credential,
        cryptosuite="eddsa-rdfc-2022",
        verification_method="did:web:skills.example.cn:orgs:Y000014010001#key-1",
        created=moment(rng),
        sign=SIGN,
    )


_SIGNED_POOL: list[dict[str, Any]] = []


def signed_certificate(rng: random.Random) -> dict[str, Any]:
    """A signed certificate with plain values (what a worker's file holds), from a small pool."""
    if len(_SIGNED_POOL) < 40:
        while True:
            candidate = skill_certificate(rng)
            try:
                _SIGNED_POOL.append(signed(candidate, rng))
                break
            except Exception:  # awkward values: draw again
                continue
    return copy.deepcopy(rng.choice(_SIGNED_POOL))


def clr(rng: random.Random) -> dict[str, Any]:
    """As worker.clr exports a worker's file: signed certificates embedded, and trainings."""
    credentials = [signed_certificate(rng) for _ in range(rng.randint(1, 2))]
    trainings = [
        {
            "id": f"{base_url(rng).rstrip('/')}/achievements/training/{some_uuid(rng)}/{n}",
            "type": ["Achievement"],
            "achievementType": "CertificateOfCompletion",
            "name": f"{text(rng)}（职业 {text(rng, 6)}）（培训结业）",
            "description": text(rng, 30),
            "criteria": {"narrative": "完成培训并通过结业考核 / completed the training and its assessment"},
        }
        for n in range(rng.randint(0, 2))
    ]
    return {
        "@context": [VC_V2, CLR_V2, OB_V3],
        "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": {"id": iri(rng), "type": ["Profile"], "name": text(rng)},
        "name": "职业技能培训电子档案 / Lifelong vocational-training record",
        "credentialSubject": {
            "type": ["ClrSubject"],
            "id": iri(rng),
            "verifiableCredential": credentials,
            "achievement": [*(c["credentialSubject"]["achievement"] for c in credentials), *trainings],
        },
    }


def vc_api_credential(rng: random.Random) -> dict[str, Any]:
    """What administrators send to /credentials/issue (the documented example and the minimal one)."""
    if rng.random() < 0.5:
        credential = copy.deepcopy(examples.PLATFORM_CREDENTIAL)
        credential["issuer"] = iri(rng)
        credential["name"] = text(rng)
        subject = credential["credentialSubject"]
        subject["name"] = text(rng)
        subject["achievement"].update(
            id=iri(rng), name=text(rng), description=text(rng, 40), criteria={"narrative": text(rng, 40)}
        )
    else:
        credential = {
            "@context": [VC_V2, EXAMPLES_V2],
            "type": ["VerifiableCredential", "ExampleAchievementCredential"],
            "credentialSubject": {"id": iri(rng), "name": text(rng)},
            "issuer": iri(rng),
        }
        if rng.random() < 0.5:
            credential["relatedResource"] = [{"id": VC_V2, "digestSRI": "sha384-" + text(rng, 8)}]
        if rng.random() < 0.3:
            credential["credentialSubject"]["score"] = rng.choice([7, 2.5, True, None, -0.0, 10**15])
    if rng.random() < 0.5:
        credential["validFrom"] = xsd(rng)
    if rng.random() < 0.3:
        credential["validUntil"] = xsd(rng)
    return credential


def presentation(rng: random.Random) -> dict[str, Any]:
    """A holder's presentation of certificates (what POST /presentations/verify checks)."""
    return {
        "@context": [VC_V2],
        "type": ["VerifiablePresentation"],
        "holder": iri(rng),
        "verifiableCredential": [signed_certificate(rng) for _ in range(rng.randint(1, 2))],
    }


def proof_configuration(rng: random.Random) -> dict[str, Any]:
    """The proof options as vc-di-eddsa §3.2.5 canonicalises them, with a document's @context."""
    config: dict[str, Any] = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": xsd(rng),
        "verificationMethod": iri(rng) + rng.choice(["", "#key-1"]),
        "proofPurpose": rng.choice(["assertionMethod"] * 6 + ["authentication", iri(rng)]),
        "@context": rng.choice([[VC_V2], [VC_V2, OB_V3], [VC_V2, CLR_V2, OB_V3], [VC_V2, EXAMPLES_V2]]),
    }
    if rng.random() < 0.3:
        config["challenge"] = text(rng)
        config["domain"] = rng.choice([text(rng), iri(rng)])
    return config


SHAPES: dict[str, Callable[[random.Random], dict[str, Any]]] = {
    "skill certificate": skill_certificate,
    "status list": status_list,
    "endorsement": endorsement,
    "CLR file": clr,
    "VC API credential": vc_api_credential,
    "presentation": presentation,
    "proof configuration": proof_configuration,
}

# --- Comparing the two paths -------------------------------------------------------------------


def outcome(document: Any, *, fast: bool) -> tuple[str, str]:
    """("ok", canonical N-Quads) or (error type, message)."""
    try:
        return ("ok", jsonld_rdf.canonicalize(document, fast=fast))
    except Exception as exc:  # the error itself is compared
        return (type(exc).__name__, str(exc))


def compare(document: Any) -> tuple[bool, bool]:
    """Assert the fast path gives what the general path gives; (a template was used, valid)."""
    general = outcome(document, fast=False)
    before = jsonld_rdf.SHAPES.hits
    fast = outcome(document, fast=True)
    assert fast == general, json.dumps(document, ensure_ascii=False)[:2000]
    # (A template may be used and RDFC-1.0 then refuse the quads, e.g. UTF-16 order: as here.)
    return jsonld_rdf.SHAPES.hits > before, general[0] == "ok"


@pytest.mark.parametrize("shape", SHAPES)
def test_fast_path_equals_the_general_path(shape: str) -> None:
    rng = random.Random(f"rdfc-shapes:{shape}")
    fast = valid = 0
    for _ in range(PER_SHAPE):
        used, ok = compare(SHAPES[shape](rng))
        fast += used
        valid += ok
    # Not vacuous: most documents are valid, and nearly all of those took the fast path (the
    # general one takes a shape's first sighting and a not-plain IRI value's variant's).
    assert valid >= 0.6 * PER_SHAPE
    assert fast >= 0.75 * valid, (fast, valid)


def _as_the_suite_sends_it(credential: dict[str, Any]) -> dict[str, Any]:
    """A W3C VC DM 2.0 suite input with its placeholders filled (as tests/integration/test_vc_api)."""
    filled = copy.deepcopy(credential)
    filled.setdefault("issuer", "did:web:127.0.0.1%3A8000")
    dates = {"PAST DATE": "2025-01-01T00:00:00Z", "FUTURE DATE": "2035-01-01T00:00:00Z"}
    for key in ("validFrom", "validUntil"):
        if isinstance(filled.get(key), str):
            filled[key] = dates.get(filled[key], filled[key])
    return filled


def _vector_documents() -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted(VECTORS.rglob("*.json")):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, ValueError):
            continue
        name = str(path.relative_to(VECTORS))
        if not isinstance(document, dict):
            continue
        yield name, document
        if name.startswith("vcdm2-test-suite-inputs/"):
            yield f"{name} filled", _as_the_suite_sends_it(document)
        # Each embedded credential and each proof's configuration too.
        embedded = document.get("verifiableCredential", [])
        for n, credential in enumerate(embedded if isinstance(embedded, list) else [embedded]):
            if isinstance(credential, dict):
                yield f"{name} credential {n}", credential
        proofs = document.get("proof", [])
        for n, proof in enumerate(proofs if isinstance(proofs, list) else [proofs]):
            if isinstance(proof, dict) and "@context" in document:
                options = {k: v for k, v in proof.items() if k != "proofValue"}
                yield f"{name} proof {n}", {**options, "@context": document["@context"]}


VECTOR_DOCUMENTS = list(_vector_documents())


def test_every_vector_document_is_covered() -> None:
    names = [name for name, _ in VECTOR_DOCUMENTS]
    for folder, count in (("vcdm2-test-suite", 22), ("vcdm2-test-suite-inputs", 120)):
        inputs = [n for n in names if n.startswith(f"{folder}/") and " " not in n]
        assert len(inputs) == len(list((VECTORS / folder).glob("*.json"))) == count
    assert len(names) >= 300


def test_vector_documents_fast_equals_general() -> None:
    used = 0
    for _ in range(3):  # seen once, compiled, filled
        for _, document in VECTOR_DOCUMENTS:
            used += compare(copy.deepcopy(document))[0]
    assert used >= len(VECTOR_DOCUMENTS) // 2


# --- What the fast path must leave to the general path ------------------------------------------


@pytest.fixture
def cache() -> ShapeCache:
    """A fresh cache over the general path (the process-wide one is shared by other tests)."""
    return ShapeCache(jsonld_rdf.to_rdf_safe)


def canonical(cache: ShapeCache, document: dict[str, Any]) -> str | None:
    quads = cache.quads(document)
    return None if quads is None else jsonld_rdf.rdfc.canonicalize(quads)


def general(document: dict[str, Any]) -> str:
    return jsonld_rdf.canonicalize(document, fast=False)


def certificate(**changes: Any) -> dict[str, Any]:
    """The same valid certificate each call (the first the seeded generator makes), changed."""
    rng = random.Random(1)
    while outcome(credential := skill_certificate(rng), fast=False)[0] != "ok":
        pass
    credential.update(changes)
    return credential


def test_a_shape_is_compiled_on_its_second_sighting(cache: ShapeCache) -> None:
    one, two, three = certificate(), certificate(), certificate()
    two["name"], three["name"] = "第二", "第三"
    assert canonical(cache, one) is None  # seen once: the general path
    assert canonical(cache, two) == general(two)
    assert canonical(cache, three) == general(three)
    assert (cache.hits, cache.compiled, cache.fallbacks) == (2, 1, 1)


def seen(cache: ShapeCache, document: dict[str, Any]) -> str | None:
    """The fast path's answer once the shape is known (two sightings)."""
    cache.quads(document)
    cache.quads(document)
    return canonical(cache, document)


@pytest.mark.parametrize(
    ("name", "document"),
    [
        (
            "a @json literal",
            {
                "@context": {"data": {"@id": "urn:ex:data", "@type": "@json"}},
                "@id": "urn:ex:s",
                "data": {"a": "b"},
            },
        ),
        ("an alias of @type", {"@context": {"kind": "@type"}, "@id": "urn:ex:s", "kind": "urn:ex:T"}),
        (
            "a string typed xsd:double",
            {
                "@context": {"v": {"@id": "urn:ex:v", "@type": "http://www.w3.org/2001/XMLSchema#double"}},
                "@id": "urn:ex:s",
                "v": "1.50",
            },
        ),
        (
            "a language tag from an alias",
            {
                "@context": {"@vocab": "urn:ex:", "lang": "@language"},
                "@id": "urn:ex:s",
                "p": {"@value": "x", "lang": "zh"},
            },
        ),
    ],
)
def test_shapes_that_cannot_be_templated(cache: ShapeCache, name: str, document: dict[str, Any]) -> None:
    assert seen(cache, document) is None, name
    assert cache.compiled == 1
    assert jsonld_rdf.canonicalize(document) == general(document)


@pytest.mark.parametrize(
    "value", [("a", "tuple"), OrderedDict(a="b"), b"bytes", 10**30, float("nan"), {1: "non-string key"}]
)
def test_values_that_are_not_plain_json(cache: ShapeCache, value: Any) -> None:
    document = certificate(name=value)
    assert seen(cache, document) is None
    assert outcome(document, fast=True) == outcome(document, fast=False)


@pytest.mark.parametrize("name", ["bad\ud800", "non\ufffe-character"])
def test_strings_safe_mode_refuses(cache: ShapeCache, name: str) -> None:
    assert seen(cache, certificate(name="fine")) is not None
    document = certificate(name=name)
    assert canonical(cache, document) is None
    assert outcome(document, fast=True) == outcome(document, fast=False)
    assert outcome(document, fast=True)[0] == "UnsafeValueError"


def test_utf16_order_divergence_is_still_refused(cache: ShapeCache) -> None:
    document = certificate(name="😀")
    document["credentialSubject"]["name"] = "\ue000"
    seen(cache, certificate())
    assert outcome(document, fast=True) == outcome(document, fast=False)


@pytest.mark.parametrize(
    ("value", "plain"),
    [
        ("_:b1", False),
        ("relative", False),
        ("name", False),
        ("https://ex.org/a b", False),
        ("xsd:string", True),
    ],
)
def test_iri_values_that_are_not_plain(cache: ShapeCache, value: str, plain: bool) -> None:
    seen(cache, certificate())
    document = certificate()
    document["issuer"]["id"] = value
    # A value that might not expand to itself makes a variant of the shape: general path first.
    assert (canonical(cache, document) is not None) is plain
    assert outcome(document, fast=True) == outcome(document, fast=False)
    assert canonical(cache, document) in (None, outcome(document, fast=False)[1])


def test_values_that_leave_no_trace_are_still_checked(cache: ShapeCache) -> None:
    # A node whose only property is empty makes no triple, but safe mode refuses a relative @id.
    document = {
        "@context": {"@vocab": "urn:ex:"},
        "@graph": [{"@id": "urn:ex:s", "p": "v"}, {"@id": "urn:ex:n", "r": []}],
    }
    assert seen(cache, document) == general(document)
    relative = copy.deepcopy(document)
    relative["@graph"][1]["@id"] = "relative"
    assert canonical(cache, relative) is None
    assert outcome(relative, fast=True) == outcome(relative, fast=False)
    assert outcome(relative, fast=True)[0] == "DataLossError"


def test_a_context_that_would_expand_the_placeholders(cache: ShapeCache) -> None:
    scheme = cache._scheme  # what an attacker would have to guess
    document = {"@context": {"@vocab": "urn:ex:", scheme: "urn:evil:"}, "@id": "urn:ex:s", "p": "v"}
    assert seen(cache, document) is None
    assert cache.compiled == 1


def test_a_vocabulary_term_becomes_a_variant(cache: ShapeCache) -> None:
    config = proof_configuration(random.Random(3))
    config["proofPurpose"] = "assertionMethod"
    assert canonical(cache, config) is None  # the shape seen once
    assert canonical(cache, config) is None  # compiled; its variant with the term seen once
    assert canonical(cache, config) == general(config)
    other = {**config, "created": "2027-01-01T00:00:00Z"}
    assert canonical(cache, other) == general(other)
    assert "<https://w3id.org/security#assertionMethod>" in general(other)
    assert cache.compiled == 2


def test_merged_nodes_without_index(cache: ShapeCache) -> None:
    document = {
        "@context": {"@vocab": "urn:ex:"},
        "@id": "urn:ex:root",
        "a": {"@id": "urn:ex:n", "p": "1"},
        "b": {"@id": "urn:ex:m", "p": "2"},
    }
    seen(cache, document)
    merged = copy.deepcopy(document)
    merged["b"]["@id"] = "urn:ex:n"
    assert canonical(cache, merged) == general(merged)


def test_merged_nodes_with_conflicting_indexes_fall_back(cache: ShapeCache) -> None:
    document = {
        "@context": {"@vocab": "urn:ex:", "m": {"@id": "urn:ex:m", "@container": "@index"}},
        "@id": "urn:ex:root",
        "m": {"one": {"@id": "urn:ex:n", "p": "1"}, "two": {"@id": "urn:ex:o", "p": "2"}},
    }
    assert seen(cache, document) == general(document)
    merged = copy.deepcopy(document)
    merged["m"]["two"]["@id"] = "urn:ex:n"
    assert canonical(cache, merged) is None
    assert outcome(merged, fast=True) == outcome(merged, fast=False)
    assert outcome(merged, fast=True)[0] == "JsonLdError"


def test_an_unknown_context_is_the_general_paths_error(cache: ShapeCache) -> None:
    document = certificate()
    document["@context"] = [VC_V2, "https://example.org/unpinned"]
    assert seen(cache, document) is None
    assert outcome(document, fast=True) == outcome(document, fast=False)
    assert outcome(document, fast=True)[0] == "UnknownContextError"


def test_the_cache_is_bounded() -> None:
    cache = ShapeCache(jsonld_rdf.to_rdf_safe, max_shapes=3)
    for n in range(10):
        cache.quads({"@context": {"@vocab": "urn:ex:"}, f"p{n}": "v"})
    assert len(cache) == 3


# --- The issuer and the verifier use it unawares -------------------------------------------------


def test_issuer_and_verifier_use_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(7)
    public = di.ed25519_public_key(SEED)
    documents = []
    for _ in range(3):
        while True:
            candidate = skill_certificate(rng)
            if outcome(candidate, fast=False)[0] == "ok":
                documents.append(candidate)
                break
    created = "2026-11-27T08:00:00Z"
    vm = "did:web:skills.example.cn#key-1"
    before = jsonld_rdf.SHAPES.hits
    fast = [
        di.create_proof(d, cryptosuite="eddsa-rdfc-2022", verification_method=vm, created=created, sign=SIGN)
        for d in documents
    ]
    for document in fast:
        di.verify_proof(document, public_key_for=lambda _: public)
    assert jsonld_rdf.SHAPES.hits > before

    monkeypatch.setattr(jsonld_rdf.SHAPES, "quads", lambda _: None)  # the general path only
    slow = [
        di.create_proof(d, cryptosuite="eddsa-rdfc-2022", verification_method=vm, created=created, sign=SIGN)
        for d in documents
    ]
    assert [d["proof"]["proofValue"] for d in fast] == [
        d["proof"]["proofValue"] for d in slow
    ]  # Ed25519 is deterministic
    for document in fast:
        di.verify_proof(document, public_key_for=lambda _: public)


def test_a_signed_document_is_a_deep_copy() -> None:
    document = certificate()
    secured = di.create_proof(
        document,
        cryptosuite="eddsa-rdfc-2022",
        verification_method="did:web:ex#k",
        created="2026-01-01T00:00:00Z",
        sign=SIGN,
    )
    secured["credentialSubject"]["name"] = "changed"
    secured["credentialStatus"][0]["id"] = "changed"
    assert document["credentialSubject"]["name"] != "changed"
    assert document["credentialStatus"][0]["id"] != "changed"
    assert list(secured)[: len(document)] == list(document)
