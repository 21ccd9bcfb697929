"""What the certificates part's routes, pages and commands ask of the running service beyond the
platform: the issuance settings (with the registry the root wires in)."""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends, Request

from credential_service.certificates.service import IssuanceSettings
from credential_service.platform.runtime import Platform


class IssuingRuntime(Platform, Protocol):
    @property
    def issuance(self) -> IssuanceSettings: ...


def issuing_runtime(request: Request) -> IssuingRuntime:
    runtime: IssuingRuntime = request.app.state.runtime
    return runtime


IssuingRuntimeDep = Annotated[IssuingRuntime, Depends(issuing_runtime)]
