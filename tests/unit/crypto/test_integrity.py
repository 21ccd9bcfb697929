"""Related-resource digests (VC DM 2.0 §5.3) and the presentation data model (§4.13), pure."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest

from credential_service.crypto.integrity import (
    DigestFormatError,
    multibase_digest_matches,
    parse_digest_multibase,
    parse_sri,
    sri_matches,
)
from credential_service.crypto.jsonld import pinned_bytes
from credential_service.crypto.multibase import encode_base58btc, encode_base64url
from credential_service.crypto.vcdm import presentation_problems, related_resource_problems

DATA = b'{"@context": {}}\n'
V2 = "https://www.w3.org/ns/credentials/v2"


def sri(algorithm: str, data: bytes = DATA) -> str:
    return f"{algorithm}-" + base64.b64encode(hashlib.new(algorithm, data).digest()).decode()


def test_the_pinned_context_has_the_recommendations_digests() -> None:
    """VC DM 2.0 §5.3 examples 25 and 26 and appendix B.1 (sha256 59955ced…) are of these bytes."""
    data = pinned_bytes(V2)
    assert data is not None and hashlib.sha256(data).hexdigest().startswith("59955ced")
    with pytest.raises(DigestFormatError):  # example 25 as printed: a stray "M", 65 base64 characters
        sri_matches("sha384-Ml/HrjlBCNWyAX91hr6LFV2Y3heB5Tcr6IeE4/Tje8YyzYBM8IhqjHWiWpr8+ZbYU", data)
    assert sri_matches("sha384-l/HrjlBCNWyAX91hr6LFV2Y3heB5Tcr6IeE4/Tje8YyzYBM8IhqjHWiWpr8+ZbYU", data)
    assert multibase_digest_matches("uEiBZlVztZpfWHgPyslVv6-UwirFoQoRvW1htfx963sknNA", data)
    assert pinned_bytes("https://example.org/not-pinned") is None and pinned_bytes(5) is None


@pytest.mark.parametrize("algorithm", ["sha256", "sha384", "sha512"])
def test_sri_of_each_algorithm(algorithm: str) -> None:
    assert sri_matches(sri(algorithm), DATA) and not sri_matches(sri(algorithm, b"other"), DATA)
    unpadded = sri(algorithm).rstrip("=")
    assert sri_matches(unpadded, DATA)


def test_sri_compares_the_strongest_algorithm_only_and_ignores_unknown_ones() -> None:
    """SRI §3.3.3: several expressions; the strongest algorithm's decide; unknown ones are skipped."""
    assert sri_matches(f"{sri('sha256', b'other')} {sri('sha384')}", DATA)
    assert not sri_matches(f"{sri('sha256')} {sri('sha384', b'other')}", DATA)
    assert sri_matches(f"md5-AAAA {sri('sha256')}?ct=application/json", DATA)
    assert [a for a, _ in parse_sri(f"{sri('sha512')} {sri('sha512', b'x')}")] == ["sha512", "sha512"]


@pytest.mark.parametrize("value", ["", "   ", 5, None, "sha384", "sha384-_rCV", "md5-AAAA", "sha256-A$B"])
def test_malformed_sri_is_refused(value: Any) -> None:
    with pytest.raises(DigestFormatError):
        parse_sri(value)


def test_digest_multibase_as_multihash_or_bare_digest_in_base64url_or_base58() -> None:
    for algorithm, header in (("sha256", b"\x12\x20"), ("sha384", b"\x20\x30"), ("sha512", b"\x13\x40")):
        digest = hashlib.new(algorithm, DATA).digest()
        for encoded in (
            encode_base64url(header + digest),
            encode_base58btc(header + digest),
            encode_base64url(digest),  # the W3C test suite's bare form
        ):
            assert parse_digest_multibase(encoded) == (algorithm, digest)
            assert multibase_digest_matches(encoded, DATA) and not multibase_digest_matches(encoded, b"x")


@pytest.mark.parametrize(
    "value", ["", "u", "f00", "mAAAA", "uAAAA", "z0OIl", encode_base64url(b"\x12\x20" + b"\0" * 31), 7]
)
def test_malformed_digest_multibase_is_refused(value: Any) -> None:
    with pytest.raises(DigestFormatError):
        parse_digest_multibase(value)


def held(url: object) -> bytes | None:
    return DATA if url == "https://example.org/held" else None


def problems(value: Any) -> list[tuple[str, str]]:
    return [(p.loc, p.reason.split(" / ")[0]) for p in related_resource_problems(value, held)]


def test_related_resource_rules() -> None:
    good = {"id": "https://example.org/held", "digestSRI": sri("sha384")}
    assert problems(good) == [] and problems([good]) == []
    assert problems([{**good, "mediaType": "application/ld+json"}]) == []
    assert problems([{"id": "https://example.org/elsewhere", "digestSRI": sri("sha384", b"?")}]) == []
    assert problems([]) == [("relatedResource", "不能为空")]
    assert problems(["https://example.org/held"])[0][0] == "relatedResource[0]"
    assert problems([{"digestSRI": sri("sha384")}])[0][0] == "relatedResource[0].id"
    assert problems([{"id": "not a url", "digestSRI": sri("sha384")}])[0][0] == "relatedResource[0].id"
    assert problems([good, good])[0][0] == "relatedResource[1].id"
    assert problems([{"id": "https://example.org/held"}]) == [
        ("relatedResource[0]", "须有 digestSRI 或 digestMultibase 摘要")
    ]
    assert problems([{**good, "mediaType": 3}])[0][0] == "relatedResource[0].mediaType"
    wrong = {
        "id": "https://example.org/held",
        "digestMultibase": encode_base64url(hashlib.sha256(b"x").digest()),
    }
    assert problems(wrong)[0][0] == "relatedResource.digestMultibase"
    both = {
        **good,
        "digestMultibase": [encode_base64url(hashlib.sha256(DATA).digest()), wrong["digestMultibase"]],
    }
    assert problems(both)[0][0] == "relatedResource.digestMultibase"


PRESENTATION = {"@context": [V2], "type": ["VerifiablePresentation"]}


@pytest.mark.parametrize(
    ("changes", "where"),
    [
        ({"@context": ["https://www.w3.org/ns/credentials/examples/v2", V2]}, "@context"),
        ({"@context": [V2, 12]}, "@context[1]"),
        ({"type": ["VerifiableCredential"]}, "type"),
        ({"id": "not a url"}, "id"),
        ({"holder": "z6MkpJySvETLnxhQG9DzEdmKJtysBDjuuTeDfUj1uNNCUqcj"}, "holder"),
        ({"holder": {"name": "Acme"}}, "holder.id"),
        ({"verifiableCredential": ["eyJhbGciOi"]}, "verifiableCredential[0]"),
        ({"verifiableCredential": [{"@context": [V2], "type": []}]}, "verifiableCredential[0].type"),
        (
            {
                "verifiableCredential": [
                    {"@context": V2, "type": "EnvelopedVerifiableCredential", "id": "eyJ"}
                ]
            },
            "verifiableCredential[0].id",
        ),
        ({"verifiableCredential": []}, "verifiableCredential"),
        ({"proof": {"proofValue": "z"}}, "proof.type"),
    ],
)
def test_presentation_rules(changes: dict[str, Any], where: str) -> None:
    assert presentation_problems(PRESENTATION) == []
    assert where in [p.loc for p in presentation_problems({**PRESENTATION, **changes})]


def test_presentations_that_conform() -> None:
    credential = {
        "@context": [V2],
        "type": ["VerifiableCredential"],
        "credentialSubject": {"id": "did:example:a"},
    }
    enveloped = {"@context": V2, "type": "EnvelopedVerifiableCredential", "id": "data:application/vc+jwt,eyJ"}
    for changes in (
        {"id": "urn:uuid:9c9a36f8-518f-4976-a934-6649502d0008"},
        {"holder": "did:example:holder", "verifiableCredential": [credential, enveloped]},
        {"holder": {"id": "did:example:holder", "name": "Acme"}, "verifiableCredential": credential},
        {
            "@context": [V2, {"Example": "https://example.org/#Example"}],
            "type": ["VerifiablePresentation", "Example"],
        },
    ):
        assert presentation_problems({**PRESENTATION, **changes}) == [], changes
    assert (
        presentation_problems({"@context": V2, "type": "EnvelopedVerifiablePresentation", "id": "data:,x"})
        == []
    )
    assert [p.loc for p in presentation_problems([])] == ["verifiablePresentation"]
