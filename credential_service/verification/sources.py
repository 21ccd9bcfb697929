"""What the verifier asks of a trust source, and the answers it gets: the ``TrustSource`` Protocol that
the database (``trust.DatabaseTrust``), an offline bundle (``trust.BundleTrust``) or a test fake
implements. The answers are checked by the verifier, never trusted as they come."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from credential_service.certificates.status.rules import CertificateState
from credential_service.crypto.key_lifecycle import KeyLifecycle


@dataclass(frozen=True)
class KnownKey:
    controller: str
    public_key: bytes
    lifecycle: KeyLifecycle


@dataclass(frozen=True)
class StatusFlag:
    """One credential's bit in a status list, with the list's issuer and purposes (checked, not trusted)."""

    flagged: bool
    issuer: str
    purposes: tuple[str, ...]


@dataclass(frozen=True)
class RegistryAnswer:
    """What the registry of the credential's issuer says of it (decision 022).

    ``recorded_digest``: the digest recorded under the credential's id (None: it never issued it);
    ``refusals``: why the issuer could not issue it then (empty: it could); ``scope_applies``: False
    for the platform, which no registered scope binds; ``state``: the registry's reading of the
    status bits (valid / revoked / suspended / superseded).
    """

    ours: bool  # the issuer is one of this registry's; False: nothing else here was checked
    recorded_digest: str | None = None
    unnumbered: bool = False  # an organisation's credential without a registry number (decision 022)
    refusals: tuple[str, ...] = ()
    scope_applies: bool = False
    state: CertificateState = CertificateState.VALID


@dataclass(frozen=True)
class LogEvidence:
    """What a trust source holds about a credential in the transparency log: the leaf, its audit
    path and the signed checkpoint it leads to. The verifier checks all of it itself."""

    leaf_index: int | None  # None: the credential should be in the log and is not
    leaf_data: bytes = b""  # the leaf exactly as logged (canonical JSON)
    tree_size: int = 0
    audit_path: tuple[bytes, ...] = ()
    checkpoint: str | None = None  # the signed note (C2SP checkpoint); None: not in one yet
    checkpoint_key: str | None = None  # the verification method said to sign it (checked, not trusted)


class TrustSourceUnavailable(Exception):
    """The source that would answer (a status list, a DID document) cannot be reached now."""


class TrustSource(Protocol):
    """Where the verifier learns keys, status bits and schemas: the database, or an offline bundle."""

    def key(self, verification_method: str) -> KnownKey | None:
        """The key, or None if nobody serves it; raises TrustSourceUnavailable."""
        ...

    def status_flag(self, status_list_url: str, index: int) -> StatusFlag:
        """The entry's bit (from a list whose signature was checked, or the live registry); raises
        TrustSourceUnavailable, or StatusListError for an index outside the list."""
        ...

    def registry(self, credential: dict[str, Any], digest: str) -> RegistryAnswer | None:
        """The registry's answer, or None when this source has no registry (an offline bundle):
        then the record and scope checks are left out."""
        ...

    def schema(self, url: str) -> dict[str, Any] | None: ...

    def recorded_issuance(self, credential_id: str) -> datetime | None:
        """When the service recorded issuing this credential (None if it cannot tell)."""
        ...

    def log_evidence(self, credential_id: str) -> LogEvidence | None:
        """The credential's inclusion proof, or None when the source has nothing to say about it
        (then the "logged" check is left out); raises TrustSourceUnavailable."""
        ...


class OfflineTrust(TrustSource, Protocol):
    """A trust source that holds every key itself (an offline bundle): a QR token, which carries a
    key fingerprint and status list ids rather than a verification method and URLs, is checked
    against it."""

    def known_keys(self) -> dict[str, KnownKey]:
        """Every key by verification method."""
        ...

    def status_list_url(self, list_id: str) -> str | None:
        """The URL of a status list, found by its id (None: the source has no such list)."""
        ...
