"""did:web naming and key lifecycle rules (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlsplit

PLATFORM_CODE = "platform"


def did_web_for(public_base_url: str, path_segments: tuple[str, ...] = ()) -> str:
    """did:web of the document served at ``{base}/{segments}/did.json`` (or ``/.well-known`` for none).

    The host's port colon is percent-encoded as the did:web method requires.
    """
    parts = urlsplit(public_base_url)
    host = quote(parts.netloc, safe="")
    base_path = tuple(p for p in parts.path.split("/") if p)
    return ":".join(("did", "web", host, *base_path, *path_segments))


def issuer_did(public_base_url: str, code: str) -> str:
    if code == PLATFORM_CODE:
        return did_web_for(public_base_url)
    return did_web_for(public_base_url, ("orgs", code))


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
