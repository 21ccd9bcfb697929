"""The running service as the parts see it: a Protocol the composition root's ``Runtime`` satisfies.

A part's routes, pages and commands take a ``Platform`` (or a Protocol extending it with what only
that part uses, declared in the part), never the root's class: the parts stay below the root, and
each says what it needs.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

from sqlalchemy.orm import Session

from credential_service.core.config import Settings
from credential_service.core.ratelimit import Limiter
from credential_service.crypto.keystore import FileKeyStore
from credential_service.platform.tokens import Principal


class Platform(Protocol):
    @property
    def settings(self) -> Settings: ...

    @property
    def keystore(self) -> FileKeyStore: ...

    @property
    def query_limiter(self) -> Limiter: ...

    @property
    def bulk_limiter(self) -> Limiter: ...

    @property
    def signin_limiter(self) -> Limiter: ...

    @property
    def objection_limiter(self) -> Limiter: ...

    def session(self) -> AbstractContextManager[Session]:
        """A unit of work: committed on success, rolled back on error."""

    def read_session(self) -> AbstractContextManager[Session]:
        """A read-only transaction."""

    def check_standing(self, session: Session, principal: Principal) -> None:
        """Refuse an organisation's token once its client is revoked or the organisation is not
        active (the registry's rule, wired in by the root)."""
