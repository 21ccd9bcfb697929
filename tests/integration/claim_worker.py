"""A separate process that files one subsidy claim over HTTP against a shared database, at a given
moment (for the exactly-once test). Settings come from CS_* variables; prints
``<status> <claim id> <state>``."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from fastapi.testclient import TestClient

from credential_service.app import create_app
from credential_service.core.config import load_settings
from credential_service.runtime import build_runtime
from tests.conftest import BASE_URL


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--token", required=True)
    parser.add_argument("--certificate", required=True)
    parser.add_argument("--go", required=True, help="a file whose appearance starts the request")
    args = parser.parse_args()
    runtime = build_runtime(load_settings())
    with TestClient(create_app(runtime=runtime), base_url=BASE_URL) as client:
        client.get("/healthz")  # warm: the app is built and connected before the start
        print("ready", flush=True)
        go = Path(args.go)
        while not go.exists():
            time.sleep(0.001)
        answer = client.post(
            "/api/v1/me/subsidy-claims",
            json={"certificate_number": args.certificate},
            headers={"Authorization": f"Bearer {args.token}"},
        )
        body = answer.json()
        print(answer.status_code, body.get("claim_id", body.get("code")), body.get("state", "-"), flush=True)
    runtime.close()


if __name__ == "__main__":
    main()
