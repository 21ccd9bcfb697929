"""What the verification part's routes and pages ask of the running service beyond the platform:
the in-memory key directory of QR-token keys and the QR verifications already settled, the
verification log written behind requests and the settings of verifying against the records (with
the registry's functions wired in)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Annotated, Protocol

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from credential_service.platform.runtime import Platform
from credential_service.verification import service, tokens
from credential_service.verification.keys import KeyDirectory
from credential_service.verification.log_queue import VerificationLogQueue
from credential_service.verification.tokens import SettledTokens, TokenVerification
from credential_service.verification.trust import VerificationSettings


class VerifyingRuntime(Platform, Protocol):
    @property
    def key_directory(self) -> KeyDirectory: ...

    @property
    def settled_tokens(self) -> SettledTokens:
        """Genuine QR verifications already worked out in this process (decision 040)."""
        ...

    @property
    def verification_log(self) -> VerificationLogQueue: ...

    @property
    def verification(self) -> VerificationSettings: ...

    def replica_session(self) -> AbstractContextManager[Session]:
        """A read-only transaction on the hot standby when there is one: certificate look-ups."""
        ...


def verifying_runtime(request: Request) -> VerifyingRuntime:
    runtime: VerifyingRuntime = request.app.state.runtime
    return runtime


VerifyingRuntimeDep = Annotated[VerifyingRuntime, Depends(verifying_runtime)]


def verify_scanned(
    token: str, request: Request, runtime: VerifyingRuntime, *, channel: str
) -> TokenVerification:
    """A scanned QR token verified, and the verification queued for the log (API and page alike)."""
    result = tokens.verify_token(
        token,
        runtime.key_directory,
        runtime.replica_session,
        settings=runtime.verification,
        settled=runtime.settled_tokens,
    )
    service.queue_log(
        runtime.verification_log, result, channel=channel, user_agent=request.headers.get("user-agent")
    )
    return result
