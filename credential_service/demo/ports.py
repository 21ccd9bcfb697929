"""What the demo builds with: the platform, issuance and the social-insurance source. The demo
sits above the runtime in the layers but sees it through this Protocol, as every part does."""

from __future__ import annotations

from typing import Protocol

from credential_service.certificates.ports import IssuingRuntime
from credential_service.subsidies.ports import SubsidiesRuntime


class DemoRuntime(IssuingRuntime, SubsidiesRuntime, Protocol):
    """The runtime as the demo uses it."""
