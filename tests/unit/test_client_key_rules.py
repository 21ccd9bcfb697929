"""Organisation-held keys and the content signature: key parsing, RFC 7638 thumbprints (RFC 8037's
vector), key files, and the README's worked example, signed independently with PyNaCl."""

from __future__ import annotations

import base64
import hashlib
import json

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nacl.signing import SigningKey

from credential_service.crypto.multibase import encode_ed25519_public_key
from credential_service.identity.clients.rules import (
    ClientKeyError,
    ContentSignatureError,
    jwk_thumbprint,
    key_inputs_from_text,
    parse_client_key,
    read_content_signature,
    verify_content_signature,
)

# RFC 8037 Appendix A.1/A.3: the Ed25519 test key and its RFC 7638 thumbprint.
RFC8037_D = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
RFC8037_X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
RFC8037_THUMBPRINT = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
# The README's worked example.
README_SHEET = (
    "证件类型,证件号码,姓名,理论知识成绩,技能操作成绩\n居民身份证,11010519491231002X,张三,85,78\n".encode()
)
README_PAYLOAD = "55097087c429261bd6edc5115e0ddf83aa48742ebb4fcd5cb062863ea1da9907"
README_SIGNATURE = (
    "eyJhbGciOiAiRWREU0EiLCAia2lkIjogInJlc3VsdHMtMjAyNiIsICJiNjQiOiBmYWxzZSwgImNyaXQiOiBbImI2NCJdfQ.."
    "UHqfW9S5yxYMrRjC4kparcTMesMqbj5E1dBpzdWfBVRos-Y6t4SfO3xDsP2BKaHIkkkQbZoUdKkXezHUeE-_BA"
)


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def content_signature(key: SigningKey, kid: str, data: bytes) -> str:
    """The README's snippet, verbatim."""
    header = b64url(json.dumps({"alg": "EdDSA", "kid": kid, "b64": False, "crit": ["b64"]}).encode())
    payload = hashlib.sha256(data).hexdigest()  # signed, never sent
    return f"{header}..{b64url(key.sign(f'{header}.{payload}'.encode()).signature)}"


def test_the_readme_worked_example() -> None:
    key = SigningKey(unb64url(RFC8037_D))
    assert b64url(bytes(key.verify_key)) == RFC8037_X
    assert len(README_SHEET) == 119 and hashlib.sha256(README_SHEET).hexdigest() == README_PAYLOAD
    assert (
        content_signature(key, "results-2026", README_SHEET) == README_SIGNATURE
    )  # Ed25519 is deterministic
    signature = read_content_signature(README_SIGNATURE)
    assert signature.kid == "results-2026"
    verify_content_signature(signature, unb64url(RFC8037_X), README_PAYLOAD)
    # PyJWT's detached form (the README's alternative) is the same format.
    private = Ed25519PrivateKey.from_private_bytes(unb64url(RFC8037_D))
    by_pyjwt = jwt.api_jws.encode(
        README_PAYLOAD.encode(), private, algorithm="EdDSA", headers={"kid": "k1"}, is_payload_detached=True
    )
    verify_content_signature(read_content_signature(by_pyjwt), unb64url(RFC8037_X), README_PAYLOAD)
    with pytest.raises(ContentSignatureError, match="does not match"):
        verify_content_signature(
            signature, unb64url(RFC8037_X), hashlib.sha256(README_SHEET + b"\n").hexdigest()
        )
    with pytest.raises(ContentSignatureError):
        verify_content_signature(signature, bytes(SigningKey.generate().verify_key), README_PAYLOAD)


@pytest.mark.parametrize(
    ("header", "why"),
    [
        ({"alg": "EdDSA", "kid": "k", "b64": False}, "crit"),
        ({"alg": "EdDSA", "kid": "k", "crit": ["b64"]}, "b64"),
        ({"alg": "EdDSA", "kid": "k", "b64": True, "crit": ["b64"]}, "b64"),
        ({"alg": "ES256", "kid": "k", "b64": False, "crit": ["b64"]}, "EdDSA"),
        ({"alg": "EdDSA", "b64": False, "crit": ["b64"]}, "kid"),
        ({"alg": "EdDSA", "kid": "a kid", "b64": False, "crit": ["b64"]}, "kid"),
        ({"alg": "EdDSA", "kid": "k", "b64": False, "crit": ["b64", "exp"]}, "crit"),
    ],
)
def test_malformed_signature_headers(header: dict[str, object], why: str) -> None:
    value = f"{b64url(json.dumps(header).encode())}..{b64url(b'x' * 64)}"
    with pytest.raises(ContentSignatureError, match=why):
        read_content_signature(value)


def test_signatures_that_are_not_detached_compact_jws() -> None:
    header = b64url(json.dumps({"alg": "EdDSA", "kid": "k", "b64": False, "crit": ["b64"]}).encode())
    for value in (
        "",
        "abc",
        f"{header}.{b64url(b'p')}.{b64url(b's')}",
        f"{header}..",
        f"..{b64url(b's')}",
        "e30..c2ln",
    ):
        with pytest.raises(ContentSignatureError):
            read_content_signature(value)


def test_keys_from_jwk_and_multikey() -> None:
    raw = unb64url(RFC8037_X)
    assert jwk_thumbprint(raw) == RFC8037_THUMBPRINT
    by_jwk = parse_client_key(jwk={"kty": "OKP", "crv": "Ed25519", "x": RFC8037_X})
    assert (by_jwk.kid, by_jwk.raw) == (RFC8037_THUMBPRINT, raw)
    assert by_jwk.jwk == {"kty": "OKP", "crv": "Ed25519", "x": RFC8037_X, "kid": RFC8037_THUMBPRINT}
    multikey = encode_ed25519_public_key(raw)
    assert parse_client_key(multibase=multikey).kid == RFC8037_THUMBPRINT
    assert parse_client_key(multibase=multikey, kid="desk").kid == "desk"
    assert parse_client_key(jwk={"kty": "OKP", "crv": "Ed25519", "x": RFC8037_X, "kid": "own"}).kid == "own"
    assert (
        parse_client_key(jwk={"kty": "OKP", "crv": "Ed25519", "x": RFC8037_X, "kid": "own"}, kid="x").kid
        == "x"
    )
    refused = {
        "jwk.d": {"jwk": {"kty": "OKP", "crv": "Ed25519", "x": RFC8037_X, "d": RFC8037_D}},
        "jwk": {"jwk": {"kty": "OKP", "crv": "X25519", "x": RFC8037_X}},
        "jwk.x": {"jwk": {"kty": "OKP", "crv": "Ed25519", "x": RFC8037_X[:-2]}},
        "jwk.use": {"jwk": {"kty": "OKP", "crv": "Ed25519", "x": RFC8037_X, "use": "enc"}},
        "jwk.kid": {"jwk": {"kty": "OKP", "crv": "Ed25519", "x": RFC8037_X, "kid": "with/slash"}},
        "public_key_multibase": {
            "multibase": "zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme"
        },  # secp256k1
        "kid": {"multibase": multikey, "kid": ""},
    }
    for loc, arguments in refused.items():
        with pytest.raises(ClientKeyError) as caught:
            parse_client_key(**arguments)  # type: ignore[arg-type]
        assert caught.value.loc == loc, arguments
    with pytest.raises(ClientKeyError):
        parse_client_key()
    with pytest.raises(ClientKeyError):
        parse_client_key(jwk={"kty": "OKP"}, multibase=multikey)


def test_key_files() -> None:
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": RFC8037_X, "kid": "a"}
    multikey = encode_ed25519_public_key(unb64url(RFC8037_X))
    assert key_inputs_from_text(json.dumps(jwk))[0].jwk == jwk
    assert [k.jwk for k in key_inputs_from_text(json.dumps({"keys": [jwk, jwk]}))] == [jwk, jwk]
    assert key_inputs_from_text(f"{multikey}\n")[0].multibase == multikey
    method = {"id": "did:web:example.com#desk-1", "type": "Multikey", "publicKeyMultibase": multikey}
    found = key_inputs_from_text(json.dumps(method))[0]
    assert (found.multibase, found.kid) == (multikey, "desk-1")
    for text in ("", "hello", "[]", '{"keys": []}', '{"name": 1}'):
        with pytest.raises(ClientKeyError):
            key_inputs_from_text(text)
