"""A separate process that issues certificates and appends status-change leaves in a loop (for the
transparency log's crash test): prints each committed leaf index, so the test can kill it mid-way."""

from __future__ import annotations

import argparse

from credential_service.core.config import load_settings
from credential_service.issuers import service as issuers
from credential_service.runtime import build_runtime
from credential_service.transparency import service as log
from credential_service.transparency.rules import LeafKind
from tests.factories import issue_certificate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--org", required=True)
    parser.add_argument("--rounds", type=int, default=10_000)
    args = parser.parse_args()
    runtime = build_runtime(load_settings())
    with runtime.session() as session:
        organisation = issuers.get_issuer(session, args.org)
    for number in range(args.rounds):
        if number % 3 == 2:  # a status change: a leaf of its own, without a checkpoint
            with runtime.session() as session:
                ref = log.append(
                    session,
                    LeafKind.CREDENTIAL_STATUS,
                    {"credentialId": f"urn:uuid:crash-{number}", "purpose": "suspension", "value": True},
                )
            print(f"status {ref.index}", flush=True)
        else:
            record = issue_certificate(runtime, organisation)
            print(f"issued {record.credential_id}", flush=True)


if __name__ == "__main__":
    main()
