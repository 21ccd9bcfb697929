"""A separate process that changes certificates' status (for the crash test), killed part-way.

``--sequence``: each of an organisation's certificates goes through PLAN (suspend, reinstate, revoke),
one transaction per change, resuming where its history stands (so a re-run completes the plan and
repeats nothing). ``--batch ID``: one batch revocation, one transaction.

It prints ``applied N`` inside the transaction, after a change is written and before the commit,
and ``committed …`` after the commit, so the test can kill it inside a transaction.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from sqlalchemy import select

from credential_service.assessment.workflow import issuance
from credential_service.certificates import service as certificates
from credential_service.certificates.models import IssuedCredential
from credential_service.certificates.status import service as status_changes
from credential_service.certificates.status.rules import Actor, StatusAction
from credential_service.core.config import load_settings
from credential_service.issuers.models import Issuer
from credential_service.runtime import build_runtime

PLAN = (StatusAction.SUSPEND, StatusAction.REINSTATE, StatusAction.REVOKE)
GROUNDS = {"evidence": "晋人社稽〔2026〕9号", "authority": "山西省人力资源和社会保障厅"}
REASONS = {
    StatusAction.SUSPEND: "inspection_order",
    StatusAction.REINSTATE: None,
    StatusAction.REVOKE: "fraud",
}
ACTOR = Actor("admin", "admin:crash-test")


def _observe_writes(pause_after: int | None) -> None:
    """Say when a change is written but not yet committed (observation only: the real code runs);
    after the ``pause_after``-th write, wait inside the transaction so the kill lands there."""
    real_apply = status_changes._apply
    written = 0

    def apply(*args: Any, **kwargs: Any) -> Any:
        nonlocal written
        result = real_apply(*args, **kwargs)
        written += 1
        print(f"applied {written}", flush=True)
        if written == pause_after:
            time.sleep(120)  # the test kills the process now, with this transaction open
        return result

    status_changes._apply = apply  # type: ignore[assignment]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--org", required=True)
    parser.add_argument("--sequence", action="store_true")
    parser.add_argument("--batch")
    parser.add_argument("--pause-after", type=int)
    args = parser.parse_args()
    runtime = build_runtime(load_settings())
    _observe_writes(args.pause_after)
    if args.batch:
        with runtime.session() as session:
            issuance.revoke_batch(session, ACTOR, args.batch, reason="fraud", **GROUNDS)
        print("committed batch", flush=True)
        return
    with runtime.session() as session:
        numbers = list(
            session.scalars(
                select(IssuedCredential.certificate_number)
                .join(Issuer, Issuer.id == IssuedCredential.issuer_id)
                .where(Issuer.code == args.org, IssuedCredential.certificate_number.is_not(None))
                .order_by(IssuedCredential.certificate_number)
            )
        )
    for number in numbers:
        with runtime.session() as session:
            done = len(status_changes.history(session, certificates.get_by_number(session, number)))
        for action in PLAN[done:]:
            with runtime.session() as session:
                status_changes.change_status(
                    session, ACTOR, number, action, reason=REASONS[action], **GROUNDS
                )
            print(f"committed {number} {action.value}", flush=True)


if __name__ == "__main__":
    main()
