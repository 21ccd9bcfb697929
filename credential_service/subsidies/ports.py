"""What the subsidies part's routes and commands ask of the running service beyond the platform:
the social-insurance source the root built from ``CS_SOCIAL_INSURANCE_SOURCE``."""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends, Request

from credential_service.platform.runtime import Platform
from credential_service.subsidies.social_insurance import SocialInsuranceSource


class SubsidiesRuntime(Platform, Protocol):
    @property
    def social_insurance(self) -> SocialInsuranceSource: ...


def subsidies_runtime(request: Request) -> SubsidiesRuntime:
    runtime: SubsidiesRuntime = request.app.state.runtime
    return runtime


SubsidiesRuntimeDep = Annotated[SubsidiesRuntime, Depends(subsidies_runtime)]
