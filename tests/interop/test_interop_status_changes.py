"""A corrected certificate (its ``evidence`` names the old one) verifies in @digitalbazaar/vc, status
included; the certificate it replaced fails there as revoked."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from fastapi.testclient import TestClient

from credential_service.certificates import service as certificates
from credential_service.certificates.status import service as status_changes
from credential_service.certificates.status.rules import Actor
from credential_service.issuers.models import Issuer
from credential_service.runtime import Runtime
from tests.conftest import BASE_URL
from tests.factories import issue_certificate
from tests.interop import nodevc

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


def _documents(client: TestClient, vc: dict[str, Any], issuer: Issuer) -> dict[str, Any]:
    docs: dict[str, Any] = {issuer.did: client.get(f"/orgs/{issuer.code}/did.json").json()}
    for entry in vc.get("credentialStatus", []):
        url = entry["statusListCredential"]
        docs[url] = client.get(url.removeprefix(BASE_URL)).json()
    return docs


@pytest.mark.parametrize("cryptosuite", ["eddsa-rdfc-2022", "eddsa-jcs-2022"])
def test_a_corrected_certificate_verifies_in_digital_bazaar(
    client: TestClient, runtime: Runtime, organisation: Issuer, cryptosuite: certificates.Cryptosuite
) -> None:
    old = issue_certificate(runtime, organisation, cryptosuite=cryptosuite)
    old_vc = json.loads(old.credential_json)
    with runtime.session() as session:
        corrected = status_changes.supersede(
            session,
            runtime.keystore,
            runtime.issuance,
            runtime.settings.data_key_bytes,
            actor=Actor("admin", "admin:test"),
            certificate_number=old.certificate_number or "",
            holder_name="更正后的名字",
            evidence="户籍证明 2026-0417",
            authority="山西省人力资源和社会保障厅",
        ).new_certificate
    new_vc = json.loads(corrected.credential_json)
    assert new_vc["proof"]["cryptosuite"] == cryptosuite and new_vc["evidence"][0]["id"] == old_vc["id"]
    result = nodevc.node_verify(
        new_vc, _documents(client, new_vc, organisation), full=True, check_status=True
    )
    assert result["verified"] is True, result["error"]
    replaced = nodevc.node_verify(old_vc, _documents(client, old_vc, organisation))
    assert replaced["verified"] is False and "revoked" in (replaced["error"] or "")
