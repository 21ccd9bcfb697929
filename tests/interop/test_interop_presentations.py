"""Interop of ``POST /presentations/verify``, offline: Digital Bazaar's ``@digitalbazaar/vc``
(``vc.verify``, its presentation verifier) verifies each presentation our service verified and
refuses each one it refused; one difference, on purpose, is pinned down at the end."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from credential_service.certificates import service as certificates
from credential_service.issuers.models import Issuer
from credential_service.runtime import Runtime
from tests.factories import issue_certificate
from tests.integration.test_vcdm2_presentations import (
    CHALLENGE,
    DOMAIN,
    HOLDER,
    HOLDER_MULTIBASE,
    HOLDER_SECRET,
    HOLDER_VM,
    sign_as_the_suite,
)
from tests.interop import nodevc
from tests.interop.test_interop_service import _documents

pytestmark = pytest.mark.node


@pytest.fixture(autouse=True)
def _require_node() -> None:
    reason = nodevc.node_available()
    if reason is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but the node interop oracle is not ready: {reason}")
    pytest.skip(reason)


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the interop half is about formats, not storage


UUID = "0e5b3c1a-2b7d-4f61-9a55-2d3c4b5a6f70"
HOLDER_KEY = {
    "id": HOLDER_VM,
    "controller": HOLDER,
    "publicKeyMultibase": HOLDER_MULTIBASE,
    "secretKeyMultibase": HOLDER_SECRET,
}


def _presentation(credential: dict[str, Any], **members: Any) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": HOLDER,
        "verifiableCredential": [credential],
        **members,
    }


def _ours(client: TestClient, presentation: dict[str, Any], challenge: str, domain: str) -> Any:
    response = client.post(
        "/presentations/verify",
        json={"verifiablePresentation": presentation, "options": {"challenge": challenge, "domain": domain}},
    )
    assert response.status_code in (200, 422), response.text
    return response.json()


def test_digital_bazaar_agrees_with_every_verdict_on_a_presentation(
    client: TestClient, runtime: Runtime, organisation: Issuer
) -> None:
    record = issue_certificate(runtime, organisation)
    certificate = json.loads(record.credential_json)
    good = sign_as_the_suite(_presentation(certificate))
    signed_by_them = nodevc.node_sign_presentation(
        _presentation(certificate), key=HOLDER_KEY, challenge=CHALLENGE, domain=DOMAIN, date=None
    )["signed"]
    tampered_certificate = copy.deepcopy(certificate)
    tampered_certificate["credentialSubject"]["name"] = "李四"

    def revoked() -> dict[str, Any]:
        with runtime.session() as session:
            certificates.set_credential_status(session, record.credential_id, "revocation", True)
        return good

    cases: dict[str, tuple[Callable[[], dict[str, Any]], str, str, bool]] = {
        # name: (presentation, challenge, domain, verified by both)
        "signed here": (lambda: good, CHALLENGE, DOMAIN, True),
        "signed by Digital Bazaar": (lambda: signed_by_them, CHALLENGE, DOMAIN, True),
        "another challenge": (lambda: good, "another-challenge", DOMAIN, False),
        "another domain": (lambda: good, CHALLENGE, "elsewhere.example", False),
        "changed after signing": (lambda: {**good, "id": f"urn:uuid:{UUID}"}, CHALLENGE, DOMAIN, False),
        "a forged certificate inside": (
            lambda: sign_as_the_suite(_presentation(tampered_certificate)),
            CHALLENGE,
            DOMAIN,
            False,
        ),
        "an assertion, not an authentication": (
            lambda: sign_as_the_suite(_presentation(certificate), proof_purpose="assertionMethod"),
            CHALLENGE,
            DOMAIN,
            False,
        ),
        "unsigned": (lambda: {k: v for k, v in good.items() if k != "proof"}, CHALLENGE, DOMAIN, False),
        "without its type": (
            lambda: {k: v for k, v in good.items() if k != "type"},
            CHALLENGE,
            DOMAIN,
            False,
        ),
        "a revoked certificate inside": (revoked, CHALLENGE, DOMAIN, False),  # last: it revokes
    }
    for name, (make, challenge, domain, expected) in cases.items():
        presentation = make()
        ours = _ours(client, presentation, challenge, domain)
        documents = _documents(client, certificate, organisation)  # the status lists as they are now
        theirs = nodevc.node_verify_presentation(presentation, documents, challenge=challenge, domain=domain)
        assert ours["verified"] is expected, (name, ours.get("problemDetails"))
        assert theirs["verified"] is expected, (name, theirs["error"])


def test_a_holder_who_did_not_sign_is_refused_here_only(
    client: TestClient, runtime: Runtime, organisation: Issuer
) -> None:
    """The VC API's verifier checks that the holder named is the one whose key signed; the
    library leaves that to its caller (decision 033): the one verdict on which we differ."""
    certificate = json.loads(issue_certificate(runtime, organisation).credential_json)
    presentation = sign_as_the_suite(_presentation(certificate, holder="did:example:someone-else"))
    ours = _ours(client, presentation, CHALLENGE, DOMAIN)
    assert ours["verified"] is False
    assert {c["code"] for c in ours["checks"]} >= {"holder_mismatch"}
    documents = _documents(client, certificate, organisation)
    theirs = nodevc.node_verify_presentation(presentation, documents, challenge=CHALLENGE, domain=DOMAIN)
    assert theirs["verified"] is True, theirs["error"]
