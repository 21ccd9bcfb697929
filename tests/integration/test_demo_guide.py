"""The newcomer's path: the guide ``scripts/run`` prints on every start signs each kind of user in,
and the demo's two batches let issuance be tried (one in publicity, one ready to issue)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from credential_service.app import create_app
from credential_service.cli import app as cli
from credential_service.core.config import Settings
from credential_service.platform.tokens import STAFF_SCOPES, Principal, Role, mint_token
from credential_service.records import staff
from credential_service.runtime import Runtime, build_runtime

BASE = "http://127.0.0.1:8000"


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CS_DATABASE_URL", f"sqlite:///{tmp_path / 'guide.sqlite3'}")
    monkeypatch.setenv("CS_KEYSTORE_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("CS_KEYSTORE_PASSPHRASE", "guide test")
    monkeypatch.setenv("CS_PUBLIC_BASE_URL", BASE)
    return tmp_path


def _field(guide: str, name: str) -> str:
    found = re.search(rf"{name} (\S+)", guide)
    assert found, f"{name} missing from the guide:\n{guide}"
    return found.group(1)


def test_the_guide_signs_every_user_in_and_the_demo_batches_can_be_issued(cli_env: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["init"]).exit_code == 0
    first = runner.invoke(cli, ["demo", "--guide"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(cli, ["demo", "--guide"])  # every start prints fresh sign-ins
    assert second.exit_code == 0, second.output
    guide = second.stdout
    old_id, old_secret = _field(first.stdout, "client_id"), _field(first.stdout, "client_secret")
    client_id, secret = _field(guide, "client_id"), _field(guide, "client_secret")
    assert client_id != old_id
    genuine, revoked = (
        re.search(rf"{label}:\s+{BASE}/v/(\S+)", guide).group(1)  # type: ignore[union-attr]
        for label in ("genuine", "revoked")
    )
    admin_link = re.search(rf"{BASE}(/admin/signin\?token=\S+)", guide).group(1)  # type: ignore[union-attr]
    institution_link = re.search(rf"{BASE}(/institution/signin\?token=\S+)", guide).group(1)  # type: ignore[union-attr]
    batches = dict(re.findall(r"(DEMO-[A-Z]+-\d+) .*\(submission ([0-9a-f-]{36})\)", guide))
    assert set(batches) == {"DEMO-GS-01", "DEMO-READY-01"}
    assert "可发证" in guide.split("DEMO-READY-01")[1].splitlines()[0]

    with TestClient(create_app(Settings()), base_url=BASE) as client:
        assert client.get(f"/api/v1/verify/{genuine}").json()["verdict"] == "genuine"
        assert client.get(f"/api/v1/verify/{revoked}").json()["verdict"] == "revoked"
        grant = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
        assert client.post("/oauth/token", data=grant).status_code == 200
        stale = {**grant, "client_id": old_id, "client_secret": old_secret}
        assert client.post("/oauth/token", data=stale).status_code in (400, 401)  # replaced, revoked
        for link in (admin_link, institution_link):
            signin = client.get(link)
            assert signin.status_code == 200 and 'name="token"' in signin.text

    _subsidies_can_be_tried(runner, guide)

    org = ["--org", "Y000014040002"]
    ready = runner.invoke(cli, ["issue-batch", *org, batches["DEMO-READY-01"]])
    assert ready.exit_code == 0 and "issued 8 certificates" in ready.stdout, ready.output
    early = runner.invoke(cli, ["issue-batch", *org, batches["DEMO-GS-01"]])
    assert early.exit_code == 1 and "公示期至" in early.output


def _subsidies_can_be_tried(runner: CliRunner, guide: str) -> None:
    """Claims in every state; the worker's certificate and the institution's class the guide names
    can be claimed (and pass every rule); the 13-month-old certificate is refused by its deadline."""
    manifest = json.loads(runner.invoke(cli, ["demo", "--json"]).stdout)
    subsidies = manifest["subsidies"]
    assert set(subsidies["claims"]) == {"paid", "eligible", "waiting", "refused"}
    number, ref = subsidies["worker"]["certificateNumber"], subsidies["institution"]["classRef"]
    assert number in guide and ref in guide
    runtime = build_runtime(Settings())
    try:
        with runtime.session() as session:
            who = manifest["sign_in"]
            person = staff.find_person(
                session, runtime.settings.data_key_bytes, who["documentType"], who["idNumber"]
            )
            assert person is not None
            worker_id = person.public_id
        admin = _bearer(runtime, Principal(Role.ADMIN, "admin:guide", STAFF_SCOPES[Role.ADMIN]))
        worker = _bearer(
            runtime, Principal(Role.WORKER, f"worker:{worker_id}", frozenset({"file:read", "L2"}), worker_id)
        )
        code = subsidies["institution"]["creditCode"]
        school = _bearer(
            runtime, Principal(Role.INSTITUTION, f"institution:{code}", frozenset({"train"}), code)
        )
    finally:
        runtime.close()
    with TestClient(create_app(Settings()), base_url=BASE) as client:
        states = {
            state: client.get(f"/api/v1/subsidy-claims/{item['claimId']}", headers=admin).json()
            for state, item in subsidies["claims"].items()
        }
        assert {state: claim["state"] for state, claim in states.items()} == {
            "paid": "paid",
            "eligible": "eligible",
            "waiting": "waiting",
            "refused": "refused",
        }
        failed = [r["rule"] for r in states["refused"]["rules"] if r["outcome"] == "failed"]
        assert failed == ["claimed_within_deadline"]
        register = client.get("/api/v1/admin/subsidy-recoveries", headers=admin).json()
        assert [item["state"] for item in register["items"]] == ["to_recover"]
        claimed = client.post(
            "/api/v1/me/subsidy-claims", json={"certificate_number": number}, headers=worker
        )
        assert claimed.status_code == 201 and claimed.json()["state"] == "eligible", claimed.text
        filed = client.post("/api/v1/subsidy-claims", json={"class_ref": ref}, headers=school)
        assert filed.status_code == 201
        # Those who passed the completion assessment are eligible; those who failed it are refused.
        outcomes = {c["state"] for c in filed.json()["claims"]}
        assert "eligible" in outcomes and outcomes <= {"eligible", "refused"}


def _bearer(runtime: Runtime, principal: Principal) -> dict[str, str]:
    token = mint_token(runtime.keystore, issuer=BASE, audience=BASE, principal=principal, minutes=5)
    return {"Authorization": f"Bearer {token}"}
