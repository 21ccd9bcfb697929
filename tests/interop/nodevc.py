"""Python wrapper around the offline Node.js interop oracle (tests/interop/node/oracle.mjs).

The oracle is built on Digital Bazaar's libraries (@digitalbazaar/vc, data-integrity,
eddsa-rdfc-2022 / eddsa-jcs-2022 cryptosuites, vc-bitstring-status-list) and never touches
the network: contexts come from npm context packages and from the pinned context files of
``credential_service/crypto/contexts``; DID documents, controller documents and status list
credentials must be handed in through ``documents`` (``{url: document}``).

Passing documents:

* a ``did:web`` DID (or an https controller) is given under the DID itself, e.g.
  ``{"did:web:example.org:orgs:Y0000": did_document}``; a verification-method URL
  ``did:web:…#key-1`` is then resolved by finding the method (an embedded object in
  ``verificationMethod``/``assertionMethod``/…, ``id`` absolute or ``#key-1``) inside that
  document. A document may also be given directly under the fragment URL.
* ``did:key`` URLs are resolved locally; nothing needs to be passed.
* a status list credential is given under its URL (``statusListCredential``).

Every other URL is refused (the verification then fails with ``refused: <url> is not pinned``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

NODE_DIR = Path(__file__).resolve().parent / "node"
ORACLE = NODE_DIR / "oracle.mjs"
DEFAULT_TIMEOUT = float(os.environ.get("NODEVC_TIMEOUT", "120"))
MIN_NODE_MAJOR = 18

# packages whose absence means `npm ci` has not run (or ran incompletely)
_REQUIRED_PACKAGES = (
    "@digitalbazaar/vc",
    "@digitalbazaar/data-integrity",
    "@digitalbazaar/eddsa-rdfc-2022-cryptosuite",
    "@digitalbazaar/eddsa-jcs-2022-cryptosuite",
    "@digitalbazaar/ed25519-multikey",
    "@digitalbazaar/did-method-key",
    "@digitalbazaar/credentials-context",
    "@digitalbazaar/data-integrity-context",
    "@digitalbazaar/multikey-context",
    "@digitalbazaar/vc-bitstring-status-list",
    "did-context",
    "jsonld-signatures",
)

JsonObj = dict[str, Any]


class NodeOracleError(RuntimeError):
    """The oracle could not run a job (harness problem, not a verification failure)."""


def _node_binary() -> str | None:
    return shutil.which("node")


def node_available() -> str | None:
    """Return why the Node oracle cannot run, or None when it is ready."""
    node = _node_binary()
    if node is None:
        return "node is not on PATH (run scripts/setup_node.sh)"
    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"cannot run {node} --version: {exc}"
    version = out.stdout.strip().lstrip("v")
    try:
        major = int(version.split(".", 1)[0])
    except ValueError:
        return f"cannot parse the node version {out.stdout.strip()!r}"
    if major < MIN_NODE_MAJOR:
        return f"node {version} is too old (need >= {MIN_NODE_MAJOR})"
    if not ORACLE.is_file():
        return f"{ORACLE} is missing"
    modules = NODE_DIR / "node_modules"
    if not modules.is_dir():
        return f"{modules} is missing (run scripts/setup_node.sh)"
    missing = [p for p in _REQUIRED_PACKAGES if not (modules / p / "package.json").is_file()]
    if missing:
        names = ", ".join(missing)
        return f"npm packages missing in {modules}: {names} (run scripts/setup_node.sh)"
    return None


def run_oracle(
    payload: Any,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    argv_prefix: Sequence[str] = (),
) -> Any:
    """Send one job (dict) or a batch (list of dicts) to the oracle; return its parsed answer.

    ``argv_prefix`` is put before ``node`` (e.g. ``["unshare", "-rn"]`` to prove no network
    is used). Raises NodeOracleError on a harness failure (exit code != 0, no JSON output,
    ``harnessError`` in the answer, timeout).
    """
    reason = node_available()
    if reason is not None:
        raise NodeOracleError(f"node oracle not available: {reason}")
    node = _node_binary()
    assert node is not None
    cmd = [*argv_prefix, node, str(ORACLE)]
    try:
        proc = subprocess.run(
            cmd,
            input=json.dumps(payload, ensure_ascii=False),
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=timeout,
            cwd=NODE_DIR,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise NodeOracleError(f"node oracle timed out after {timeout}s: {cmd}") from exc
    stderr = proc.stderr.strip()
    try:
        answer = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise NodeOracleError(
            f"node oracle exited {proc.returncode} without a JSON answer; "
            f"stdout={proc.stdout[:2000]!r} stderr={stderr[-4000:]}"
        ) from exc
    problems: list[str] = []
    for item in answer if isinstance(answer, list) else [answer]:
        if isinstance(item, dict) and item.get("harnessError"):
            problems.append(str(item["harnessError"]))
    if proc.returncode != 0 or problems:
        detail = "; ".join(problems) or "(no harnessError given)"
        raise NodeOracleError(f"node oracle failed (exit {proc.returncode}): {detail}\n{stderr[-4000:]}")
    return answer


def make_verify_job(
    credential: Mapping[str, Any],
    documents: Mapping[str, Any] | None = None,
    *,
    full: bool = True,
    check_status: bool = True,
    now: str | None = None,
    strict_proof_set: bool = True,
    vm_date_check: str = "none",
) -> JsonObj:
    """Build a ``verify`` job (see node_verify) for node_verify_many."""
    job: JsonObj = {
        "op": "verify",
        "credential": credential,
        "documents": dict(documents or {}),
        "full": full,
        "checkStatus": check_status,
        "strictProofSet": strict_proof_set,
        "vmDateCheck": vm_date_check,
    }
    if now is not None:
        job["now"] = now
    return job


def node_verify(
    credential: Mapping[str, Any],
    documents: Mapping[str, Any] | None = None,
    *,
    full: bool = True,
    check_status: bool = True,
    now: str | None = None,
    strict_proof_set: bool = True,
    vm_date_check: str = "none",
    timeout: float = DEFAULT_TIMEOUT,
) -> JsonObj:
    """Verify a credential in @digitalbazaar/vc.

    ``full=True``: ``vc.verifyCredential`` (issuer must equal the verification-method
    controller, validFrom/validUntil against ``now`` (default: the real clock), status via
    vc-bitstring-status-list when ``check_status`` (a set revocation/suspension bit is a
    failure; the status list must verify and have the same issuer); with
    ``check_status=False`` credentialStatus is ignored).
    ``full=False``: proof-only ``jsigs.verify`` with AssertionProofPurpose.

    ``strict_proof_set``: every proof of a proof set must verify (the library alone accepts
    a set when any one proof verifies). ``vm_date_check``: ``"none"`` (library behaviour:
    ``revoked``/``expires`` on the verification method are ignored), ``"created"`` (fail
    when proof.created >= revoked/expires) or ``"now"``.

    Returns ``{"verified", "error", "statusResults", "libraryVerified", "proofResults",
    "loaded"}``.
    """
    job = make_verify_job(
        credential,
        documents,
        full=full,
        check_status=check_status,
        now=now,
        strict_proof_set=strict_proof_set,
        vm_date_check=vm_date_check,
    )
    result: JsonObj = run_oracle(job, timeout=timeout)
    return result


def node_verify_many(jobs: Sequence[Mapping[str, Any]], *, timeout: float = DEFAULT_TIMEOUT) -> list[JsonObj]:
    """Run many jobs in one node process; results in the same order.

    Each job is a full oracle job (e.g. from make_verify_job); a job without ``op`` is a
    ``verify`` job.
    """
    batch = [{"op": "verify", **job} if "op" not in job else dict(job) for job in jobs]
    if not batch:
        return []
    results = run_oracle(batch, timeout=timeout)
    if not isinstance(results, list) or len(results) != len(batch):
        raise NodeOracleError(f"batch answer has the wrong shape: {results!r:.500}")
    return results


def node_sign(
    credential: Mapping[str, Any],
    *,
    cryptosuite: str,
    key: Mapping[str, Any],
    date: str | None,
    documents: Mapping[str, Any] | None = None,
    check: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
) -> JsonObj:
    """Sign a credential with ``vc.issue`` and DataIntegrityProof/``cryptosuite``.

    ``key``: ``{"id": vm_url, "controller": did, "publicKeyMultibase": "z6Mk…",
    "secretKeyMultibase": "z3u2…"}`` (0x8026 + 32-byte seed; ``privateKeyMultibase`` is
    accepted as an alias). ``date`` becomes ``proof.created``. A credential that already has
    a proof gets a proof set. Returns ``{"signed": {...} | None, "error": str | None}``; with
    ``check=True`` a signing error raises NodeOracleError.
    """
    job: JsonObj = {
        "op": "sign",
        "credential": credential,
        "cryptosuite": cryptosuite,
        "key": dict(key),
        "date": date,
        "documents": dict(documents or {}),
    }
    result: JsonObj = run_oracle(job, timeout=timeout)
    if check and result.get("signed") is None:
        raise NodeOracleError(f"node could not sign: {result.get('error')}")
    return result


def node_verify_presentation(
    presentation: Mapping[str, Any],
    documents: Mapping[str, Any] | None = None,
    *,
    challenge: str,
    domain: str | None = None,
    check_status: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
) -> JsonObj:
    """Verify a presentation in @digitalbazaar/vc (``vc.verify``, its presentation verifier): its proof with
    AuthenticationProofPurpose (``challenge``, and ``domain`` when given), then each credential
    with ``vc.verifyCredential`` (status as in node_verify).

    Returns ``{"verified", "error", "presentationVerified", "credentialResults": [{"verified",
    "error"}]}``.
    """
    job: JsonObj = {
        "op": "verifyPresentation",
        "presentation": presentation,
        "documents": dict(documents or {}),
        "challenge": challenge,
        "checkStatus": check_status,
    }
    if domain is not None:
        job["domain"] = domain
    result: JsonObj = run_oracle(job, timeout=timeout)
    return result


def node_sign_presentation(
    presentation: Mapping[str, Any],
    *,
    key: Mapping[str, Any],
    challenge: str,
    domain: str | None,
    date: str | None,
    timeout: float = DEFAULT_TIMEOUT,
) -> JsonObj:
    """Sign a presentation with ``vc.signPresentation`` (eddsa-rdfc-2022, proofPurpose
    authentication, ``challenge`` and ``domain``); ``key`` as for node_sign. Raises
    NodeOracleError when it cannot sign."""
    job: JsonObj = {
        "op": "signPresentation",
        "presentation": presentation,
        "key": dict(key),
        "challenge": challenge,
        "domain": domain,
        "date": date,
    }
    result: JsonObj = run_oracle(job, timeout=timeout)
    if result.get("signed") is None:
        raise NodeOracleError(f"node could not sign the presentation: {result.get('error')}")
    return result
