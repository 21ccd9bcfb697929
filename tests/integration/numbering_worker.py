"""A separate process that issues certificates against a shared database (for concurrency and crash tests).

Settings come from CS_* variables. Prints ``committed <number>`` after each commit, and with
``--hang-in-transaction`` prints ``pending <number>`` and then waits inside the open transaction
to be killed.
"""

from __future__ import annotations

import argparse
import sys
import time

from credential_service.core.config import load_settings
from credential_service.issuers import service as issuers
from credential_service.runtime import build_runtime
from tests.factories import issue_certificate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--org", required=True)
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--hang-in-transaction", action="store_true")
    args = parser.parse_args()
    runtime = build_runtime(load_settings())
    with runtime.session() as session:
        issuer = issuers.get_issuer(session, args.org)
    for _ in range(args.count):
        record = issue_certificate(runtime, issuer)
        print(f"committed {record.certificate_number}", flush=True)
    if args.hang_in_transaction:
        from credential_service.assessment.occupations.rules import builtin_occupation
        from credential_service.certificates import service as certificates
        from credential_service.certificates.rules import SkillLevel
        from tests.factories import holder

        with runtime.session() as session:
            record = certificates.issue_skill_certificate(
                session,
                runtime.keystore,
                runtime.issuance,
                issuer=issuers.get_issuer(session, args.org),
                holder=holder(),
                occupation=builtin_occupation("6-18-02-04"),
                level=SkillLevel.LEVEL_3,
                data_key=runtime.settings.data_key_bytes,
            )
            print(f"pending {record.certificate_number}", flush=True)
            time.sleep(600)  # killed here, before the commit
    sys.exit(0)


if __name__ == "__main__":
    main()
