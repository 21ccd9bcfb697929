"""What the worker part's routes and pages ask of the running service beyond the platform: issuing
(the CLR export is a signed credential of the platform) and the verification log (a share link
opened is a look-up)."""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends, Request

from credential_service.certificates.ports import IssuingRuntime
from credential_service.verification.ports import VerifyingRuntime


class WorkerRuntime(IssuingRuntime, VerifyingRuntime, Protocol):
    pass


def worker_runtime(request: Request) -> WorkerRuntime:
    runtime: WorkerRuntime = request.app.state.runtime
    return runtime


WorkerRuntimeDep = Annotated[WorkerRuntime, Depends(worker_runtime)]
