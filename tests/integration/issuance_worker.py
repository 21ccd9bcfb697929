"""A separate process that issues one submission's certificates (for the crash test): prints each
number as it is committed, so the test can kill it part-way."""

from __future__ import annotations

import argparse

from credential_service.assessment.workflow import issuance
from credential_service.core.config import load_settings
from credential_service.runtime import build_runtime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--org", required=True)
    parser.add_argument("--submission", required=True)
    args = parser.parse_args()
    runtime = build_runtime(load_settings())
    issuance.issue_submission(
        runtime.session,
        runtime.keystore,
        runtime.issuance,
        args.org,
        args.submission,
        data_key=runtime.settings.data_key_bytes,
        on_issued=lambda number: print(f"issued {number}", flush=True),
    )


if __name__ == "__main__":
    main()
