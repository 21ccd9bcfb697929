"""did:web naming of issuers (pure)."""

from __future__ import annotations

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
