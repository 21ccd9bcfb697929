"""Watching the log from outside, as an auditor would: ``credential-service log monitor URL``.

The monitor keeps the last checkpoint it verified in a state file. Each round it

1. reads the platform's DID document (``/.well-known/did.json``) and its key lifecycle; the first
   round pins those keys in the state file (trust on first use), later rounds refuse a checkpoint
   signed by a key that was not pinned until an operator re-pins after checking out of band;
2. fetches the latest checkpoint and checks its note signatures, its origin and the key's validity
   at the checkpoint's time;
3. proves the new checkpoint consistent with the one it kept (RFC 9162 §2.1.4.2) — a log that
   shrank, forked, rewrote its history or dropped a checkpoint it had signed is a failure;
4. saves the new checkpoint.

Only the service's public HTTP endpoints are used; nothing here trusts the service's answers
beyond what the signatures and proofs establish.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from credential_service.core.clock import parse_xsd, to_xsd, utcnow
from credential_service.crypto import merkle
from credential_service.crypto.checkpoint import (
    CheckpointError,
    OpenedCheckpoint,
    open_checkpoint,
    platform_did_for_origin,
)
from credential_service.crypto.key_lifecycle import KeyLifecycle
from credential_service.crypto.multibase import MultibaseError, decode_ed25519_public_key


class MonitorFailure(Exception):
    """The log misbehaved (``unreachable`` False) or could not be checked (``unreachable`` True)."""

    def __init__(self, message: str, *, unreachable: bool = False) -> None:
        super().__init__(message)
        self.unreachable = unreachable


@dataclass
class MonitorState:
    """What the monitor keeps between rounds (a JSON file)."""

    url: str
    platform_did: str | None = None
    pinned_keys: dict[str, str] = field(default_factory=dict)  # verification method → z6Mk…
    note: str | None = None  # the last verified checkpoint
    tree_size: int = 0
    root_hash: str = ""  # base64
    timestamp: str | None = None

    @classmethod
    def load(cls, path: Path, url: str) -> MonitorState:
        if not path.exists():
            return cls(url=url)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            state = cls(
                url=str(data["url"]),
                platform_did=data.get("platformDid"),
                pinned_keys=dict(data.get("pinnedKeys", {})),
                note=data.get("note"),
                tree_size=int(data.get("treeSize", 0)),
                root_hash=str(data.get("rootHash", "")),
                timestamp=data.get("timestamp"),
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise MonitorFailure(f"cannot read the state file {path}: {exc}", unreachable=True) from exc
        if state.url.rstrip("/") != url.rstrip("/"):
            raise MonitorFailure(
                f"the state file {path} watches {state.url}, not {url}: use another --state file",
                unreachable=True,
            )
        return state

    def save(self, path: Path) -> None:
        """Atomically: a crash leaves the old state or the new one, never half a file."""
        data = {
            "url": self.url,
            "platformDid": self.platform_did,
            "pinnedKeys": self.pinned_keys,
            "note": self.note,
            "treeSize": self.tree_size,
            "rootHash": self.root_hash,
            "timestamp": self.timestamp,
            "checkedAt": to_xsd(utcnow()),
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        os.replace(temporary, path)


@dataclass(frozen=True)
class MonitorRound:
    previous_size: int
    tree_size: int
    timestamp: datetime
    first_round: bool
    newly_pinned: tuple[str, ...] = ()


@dataclass(frozen=True)
class _PublishedKey:
    multibase: str
    public_key: bytes
    lifecycle: KeyLifecycle | None


def _get(client: httpx.Client, path: str, *, allow_404: bool = False) -> Any:
    try:
        response = client.get(path)
    except httpx.HTTPError as exc:
        raise MonitorFailure(f"GET {path}: {exc}", unreachable=True) from exc
    if allow_404 and response.status_code == 404:
        return None
    if response.status_code != 200:
        raise MonitorFailure(
            f"GET {path}: HTTP {response.status_code}", unreachable=response.status_code >= 500
        )
    try:
        return response.json()
    except ValueError as exc:
        raise MonitorFailure(f"GET {path}: not JSON", unreachable=True) from exc


def _published_keys(client: httpx.Client) -> tuple[str, dict[str, _PublishedKey]]:
    document = _get(client, "/.well-known/did.json")
    lifecycles = _get(client, "/.well-known/keys.json", allow_404=True) or {}
    times: dict[str, KeyLifecycle] = {}
    for entry in lifecycles.get("keys", []) if isinstance(lifecycles, dict) else []:
        try:
            times[entry["id"]] = KeyLifecycle(
                parse_xsd(entry["created"]),
                parse_xsd(entry["retired"]) if entry.get("retired") else None,
                parse_xsd(entry["compromisedSince"]) if entry.get("compromisedSince") else None,
            )
        except (KeyError, TypeError, ValueError):
            continue
    keys: dict[str, _PublishedKey] = {}
    try:
        did = str(document["id"])
        for method in document["verificationMethod"]:
            multibase = str(method["publicKeyMultibase"])
            keys[str(method["id"])] = _PublishedKey(
                multibase, decode_ed25519_public_key(multibase), times.get(str(method["id"]))
            )
    except (KeyError, TypeError, MultibaseError) as exc:
        raise MonitorFailure(f"the platform's DID document is malformed: {exc}") from exc
    return did, keys


def _open(note: str, keys: dict[str, _PublishedKey], platform_did: str) -> OpenedCheckpoint:
    try:
        opened = open_checkpoint(note, {vm: key.public_key for vm, key in keys.items()})
        origin_did = platform_did_for_origin(opened.checkpoint.origin)
    except CheckpointError as exc:
        raise MonitorFailure(f"the checkpoint does not verify with the pinned platform keys: {exc}") from exc
    if origin_did != platform_did:
        raise MonitorFailure(
            f"the checkpoint's origin {opened.checkpoint.origin} is not {platform_did}'s log"
        )
    lifecycle = keys[opened.key_label].lifecycle
    if lifecycle is not None:
        valid, why = lifecycle.valid_at(opened.timestamp)
        if not valid:
            raise MonitorFailure(f"the checkpoint was signed with a key that was {why} at its time")
    return opened


def _pin(state: MonitorState, did: str, published: dict[str, _PublishedKey], repin: bool) -> tuple[str, ...]:
    """Trust on first use; afterwards the pinned keys must stay published and new ones need --repin."""
    if state.platform_did is None:
        state.platform_did = did
        state.pinned_keys = {vm: key.multibase for vm, key in published.items()}
        return tuple(state.pinned_keys)
    if did != state.platform_did:
        raise MonitorFailure(f"the DID document is now {did}, not the pinned {state.platform_did}")
    for vm, multibase in state.pinned_keys.items():
        if vm not in published or published[vm].multibase != multibase:
            raise MonitorFailure(f"the pinned platform key {vm} is no longer published as it was")
    new = tuple(vm for vm in published if vm not in state.pinned_keys)
    if new and repin:
        state.pinned_keys.update({vm: published[vm].multibase for vm in new})
        return new
    return ()


def check_once(client: httpx.Client, state_path: Path, *, url: str, repin: bool = False) -> MonitorRound:
    """One round (see the module's steps); saves the state only when every check passed.

    Raises MonitorFailure.
    """
    state = MonitorState.load(state_path, url)
    first_round = state.note is None
    did, published = _published_keys(client)
    newly_pinned = _pin(state, did, published, repin)
    pinned = {vm: key for vm, key in published.items() if vm in state.pinned_keys}
    document = _get(client, "/log/checkpoint")
    try:
        note = str(document["note"])
    except (KeyError, TypeError) as exc:
        raise MonitorFailure("the checkpoint answer has no signed note") from exc
    try:
        opened = _open(note, pinned, did)
    except MonitorFailure:
        unpinned = {vm: key for vm, key in published.items() if vm not in state.pinned_keys}
        if unpinned:
            try:
                _open(note, unpinned, did)
            except MonitorFailure:
                pass
            else:
                raise MonitorFailure(
                    "the checkpoint is signed by a platform key the monitor has not pinned (a key "
                    "rotation?): confirm the new key out of band, then run again with --repin"
                ) from None
        raise
    new = opened.checkpoint
    if not first_round:
        _check_consistent(client, state, new.size, new.root_hash, opened.timestamp)
    previous = state.tree_size
    state.note = note
    state.tree_size = new.size
    state.root_hash = base64.b64encode(new.root_hash).decode("ascii")
    state.timestamp = to_xsd(opened.timestamp)
    state.save(state_path)
    return MonitorRound(previous, new.size, opened.timestamp, first_round, newly_pinned)


def _check_consistent(
    client: httpx.Client, state: MonitorState, size: int, root: bytes, timestamp: datetime
) -> None:
    old_size = state.tree_size
    try:
        old_root = base64.b64decode(state.root_hash, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MonitorFailure("the state file's root hash is damaged", unreachable=True) from exc
    if size < old_size:
        raise MonitorFailure(f"the log shrank: it signed {old_size} leaves before, now {size}")
    if state.timestamp is not None and timestamp < parse_xsd(state.timestamp):
        raise MonitorFailure("the new checkpoint is older than the one seen before")
    kept = _get(client, f"/log/checkpoints/{old_size}", allow_404=True)
    kept_root = kept.get("rootHash") if isinstance(kept, dict) else None
    if kept_root != state.root_hash:
        raise MonitorFailure(
            f"the log no longer serves the checkpoint of size {old_size} it signed before (or serves "
            "another root for it): its history was rewritten"
        )
    if size == old_size:
        if root != old_root:
            raise MonitorFailure(f"two different roots signed for size {size}: the log forked")
        return
    answer = _get(client, f"/log/proof/consistency?from={old_size}&to={size}")
    try:
        proof = [base64.b64decode(p, validate=True) for p in answer["proof"]]
    except (KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise MonitorFailure("the consistency proof is malformed") from exc
    try:
        merkle.verify_consistency(old_size, size, old_root, root, proof)
    except merkle.ProofError as exc:
        raise MonitorFailure(
            f"the checkpoint of size {size} is not consistent with the one of size {old_size} seen "
            f"before ({exc}): the log rewrote its history"
        ) from exc
