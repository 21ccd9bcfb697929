"""When a signing key may sign, and how retiring or compromising it changes that (pure).

Issuers keep these times per key; verifiers (online, offline bundle, QR tokens) and the log's
auditors judge a signature's moment against them, so the rules live below all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime


@dataclass(frozen=True)
class KeyLifecycle:
    """When a key may sign: from ``created`` until ``retired``; never from ``compromised_since`` on."""

    created: datetime
    retired: datetime | None
    compromised_since: datetime | None

    def valid_at(self, moment: datetime) -> tuple[bool, str]:
        """Whether a signature made at ``moment`` is acceptable, with the reason when not."""
        if self.compromised_since is not None and moment >= self.compromised_since:
            return False, "compromised"
        if moment < self.created:
            return False, "before_created"
        if self.retired is not None and moment > self.retired:
            return False, "retired"
        return True, "valid"

    @property
    def usable_for_signing(self) -> bool:
        return self.retired is None and self.compromised_since is None

    def retire(self, now: datetime) -> KeyLifecycle:
        """Retired from ``now`` on, unless it already was (the first retirement stands)."""
        return self if self.retired is not None else replace(self, retired=now)

    def compromise(self, since: datetime) -> KeyLifecycle:
        """Compromised from ``since`` (an earlier report moves it back, a later one does not) and
        retired then at the latest: a key nobody trusts no longer signs."""
        compromised = since if self.compromised_since is None else min(since, self.compromised_since)
        retired = self.retired if self.retired is not None else max(since, self.created)
        return replace(self, retired=retired, compromised_since=compromised)
