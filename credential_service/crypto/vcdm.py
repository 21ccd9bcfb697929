"""Structural rules of the W3C VC Data Model 2.0 (§4, §5.3) that JSON-LD processing alone does not catch.

``credential_problems`` and ``presentation_problems`` return every problem found (path + reason)
instead of stopping at the first, so a caller can show them all at once. JSON-LD safe mode
(undefined terms) is checked separately.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from credential_service.core.clock import parse_xsd
from credential_service.core.errors import FieldError
from credential_service.crypto.integrity import DigestFormatError, multibase_digest_matches, sri_matches
from credential_service.crypto.jsonld import pinned_bytes

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
# RFC 3986 scheme followed by something, no spaces: enough to tell a URL from a plain string.
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$")
_LANGUAGE_KEYS = {"@value", "@language", "@direction"}
VERIFIABLE_PRESENTATION = "VerifiablePresentation"
ENVELOPED_CREDENTIAL = "EnvelopedVerifiableCredential"
ENVELOPED_PRESENTATION = "EnvelopedVerifiablePresentation"
RELATED_RESOURCE = "relatedResource"

HeldResource = Callable[[object], bytes | None]
"""The bytes of a resource the service holds under this URL, or None (then no digest is compared)."""


# Real credentials nest about 8 levels; anything far deeper is refused before recursive processing.
MAX_NESTING = 48


def too_deep(value: Any) -> bool:
    """True when lists and objects nest deeper than MAX_NESTING (checked iteratively)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_NESTING:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


def is_url(value: object) -> bool:
    return isinstance(value, str) and bool(_URL.match(value))


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _check_context(context: Any) -> Iterator[FieldError]:
    if not isinstance(context, list) or not context or context[0] != VC_V2_CONTEXT:
        yield FieldError("@context", f"must be a list whose first item is {VC_V2_CONTEXT}")
        return
    for i, item in enumerate(context):
        if isinstance(item, str):
            if not is_url(item):
                yield FieldError(f"@context[{i}]", "a context must be a URL")
        elif not isinstance(item, dict):
            yield FieldError(f"@context[{i}]", "a context must be a URL or an object")


def _check_language_value(path: str, value: Any) -> Iterator[FieldError]:
    for i, item in enumerate(_as_list(value)):
        where = path if not isinstance(value, list) else f"{path}[{i}]"
        if isinstance(item, str):
            continue
        if isinstance(item, dict) and "@value" in item and set(item) <= _LANGUAGE_KEYS:
            continue
        yield FieldError(where, "must be a string or a language value {@value, @language, @direction}")


def _check_typed_objects(path: str, value: Any, *, id_required: bool = False) -> Iterator[FieldError]:
    """credentialStatus, credentialSchema, evidence, termsOfUse, refreshService: each needs a type."""
    for i, item in enumerate(_as_list(value)):
        where = f"{path}[{i}]" if isinstance(value, list) else path
        if not isinstance(item, dict):
            yield FieldError(where, "must be an object")
            continue
        kinds = item.get("type")
        if kinds is None:
            yield FieldError(f"{where}.type", "is required")
        elif not all(isinstance(k, str) and k for k in _as_list(kinds)):
            yield FieldError(f"{where}.type", "must be one or more type names")
        if "id" in item and not is_url(item["id"]):
            yield FieldError(f"{where}.id", "must be a single URL")
        elif id_required and "id" not in item:
            yield FieldError(f"{where}.id", "is required")


def _check_issuer(issuer: Any) -> Iterator[FieldError]:
    if isinstance(issuer, str):
        if not is_url(issuer):
            yield FieldError("issuer", "must be a URL (for example a DID)")
        return
    if not isinstance(issuer, dict):
        yield FieldError("issuer", "must be a URL or an object with an id")
        return
    if not is_url(issuer.get("id")):
        yield FieldError("issuer.id", "must be a URL (for example a DID)")
    for key in ("name", "description"):
        if key in issuer:
            yield from _check_language_value(f"issuer.{key}", issuer[key])


def _check_subjects(subject: Any) -> Iterator[FieldError]:
    subjects = _as_list(subject)
    if not subjects:
        yield FieldError("credentialSubject", "is required")
    for i, item in enumerate(subjects):
        where = f"credentialSubject[{i}]" if isinstance(subject, list) else "credentialSubject"
        if not isinstance(item, dict) or not item:
            yield FieldError(where, "must be an object with at least one claim")
            continue
        if "id" in item and not is_url(item["id"]):
            yield FieldError(f"{where}.id", "must be a single URL")


def _parse_time(path: str, value: Any, problems: list[FieldError]) -> datetime | None:
    try:
        return parse_xsd(value)
    except ValueError:
        problems.append(
            FieldError(path, "must be a dateTimeStamp with a time zone, e.g. 2026-01-01T00:00:00Z")
        )
        return None


_NOT_AN_OBJECT = (
    "每项须是带 id 和摘要的对象，不能是字符串或数字 / must be an object with an id and a digest, "
    "not a string or a number"
)
_NO_DIGEST = "须有 digestSRI 或 digestMultibase 摘要 / needs a digestSRI or a digestMultibase"


def _mismatch(resource: str) -> str:
    return (
        f"与本平台保存的 {resource} 内容不一致（摘要不符）/ does not match the digest of {resource} "
        "as this service holds it"
    )


def _digest_problems(where: str, item: dict[str, Any], held: bytes | None) -> Iterator[FieldError]:
    """Each digest's format, then (for a resource held here) whether it is the digest of its bytes."""
    checks = [("digestSRI", item["digestSRI"], sri_matches)] if "digestSRI" in item else []
    multibase = item.get("digestMultibase")
    values = multibase if isinstance(multibase, list) and multibase else [multibase]
    checks += [("digestMultibase", v, multibase_digest_matches) for v in values if "digestMultibase" in item]
    for key, value, matches in checks:
        try:
            if held is not None and not matches(value, held):
                yield FieldError(f"{where}.{key}", _mismatch(item["id"]))
        except DigestFormatError as exc:
            yield FieldError(f"{where}.{key}", str(exc))


def related_resource_problems(value: Any, held: HeldResource = pinned_bytes) -> list[FieldError]:
    """Every problem of a ``relatedResource`` value (VC DM 2.0 §5.3); empty when it conforms.

    "One or more objects": one object or a non-empty list of them, each with an ``id`` (a URL,
    unique in the list) and at least one of ``digestSRI`` / ``digestMultibase``; a resource that
    ``held`` knows (the pinned contexts) must have exactly those digests. Messages: 中文 / English.
    """
    items = value if isinstance(value, list) else [value]
    if not items:
        return [FieldError(RELATED_RESOURCE, "不能为空 / must hold one or more objects")]
    problems: list[FieldError] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        where = f"{RELATED_RESOURCE}[{i}]" if isinstance(value, list) else RELATED_RESOURCE
        if not isinstance(item, dict):
            problems.append(FieldError(where, _NOT_AN_OBJECT))
            continue
        resource = item.get("id")
        if not is_url(resource):
            problems.append(FieldError(f"{where}.id", "必填，须是网址 / is required and must be a URL"))
        elif resource in seen:
            problems.append(FieldError(f"{where}.id", f"与前面重复：{resource} / repeats {resource}"))
        seen.add(str(resource))
        if "mediaType" in item and not isinstance(item["mediaType"], str):
            problems.append(FieldError(f"{where}.mediaType", "须是媒体类型字符串 / must be a media type"))
        if "digestSRI" not in item and "digestMultibase" not in item:
            problems.append(FieldError(where, _NO_DIGEST))
            continue
        problems += _digest_problems(where, item, held(resource) if is_url(resource) else None)
    return problems


def credential_problems(credential: Any, *, require_issuer: bool = True) -> list[FieldError]:
    """Every VC 2.0 data-model problem of ``credential`` (empty list when it conforms)."""
    if not isinstance(credential, dict):
        return [FieldError("credential", "must be a JSON object")]
    problems: list[FieldError] = []
    problems += _check_context(credential.get("@context"))
    if "id" in credential and not is_url(credential["id"]):
        problems.append(FieldError("id", "must be a single URL (e.g. urn:uuid:…)"))
    kinds = credential.get("type")
    if not isinstance(kinds, list | str) or "VerifiableCredential" not in _as_list(kinds):
        problems.append(FieldError("type", "must include VerifiableCredential"))
    if "issuer" in credential or require_issuer:
        problems += _check_issuer(credential.get("issuer"))
    if "credentialSubject" not in credential:
        problems.append(FieldError("credentialSubject", "is required"))
    else:
        problems += _check_subjects(credential["credentialSubject"])
    for key in ("name", "description"):
        if key in credential:
            problems += _check_language_value(key, credential[key])
    valid_from = valid_until = None
    if "validFrom" in credential:
        valid_from = _parse_time("validFrom", credential["validFrom"], problems)
    if "validUntil" in credential:
        valid_until = _parse_time("validUntil", credential["validUntil"], problems)
    if valid_from and valid_until and valid_until < valid_from:
        problems.append(FieldError("validUntil", "must not be earlier than validFrom"))
    if "credentialSchema" in credential:
        problems += _check_typed_objects("credentialSchema", credential["credentialSchema"], id_required=True)
    for key in ("credentialStatus", "evidence", "termsOfUse", "refreshService"):
        if key in credential:
            problems += _check_typed_objects(key, credential[key])
    if "proof" in credential:
        problems += _check_typed_objects("proof", credential["proof"])
    if RELATED_RESOURCE in credential:
        problems += related_resource_problems(credential[RELATED_RESOURCE])
    return problems


def _types(value: Any) -> list[Any]:
    return _as_list(value) if isinstance(value, list | str) else []


def is_enveloped(document: Any, kind: str) -> bool:
    """The document is an enveloped credential or presentation (VC DM 2.0 §4.13.1, §4.13.2)."""
    return isinstance(document, dict) and kind in _types(document.get("type"))


def _check_envelope(path: str, document: dict[str, Any]) -> Iterator[FieldError]:
    """@context includes the base context (which defines the envelope's terms); id is a data: URL."""
    context = document.get("@context")
    if VC_V2_CONTEXT not in _as_list(context):
        yield FieldError(f"{path}@context", f"must include {VC_V2_CONTEXT}")
    if not (isinstance(document.get("id"), str) and document["id"].startswith("data:")):
        yield FieldError(f"{path}id", "must be a data: URL holding the enveloped document")


def _check_holder(holder: Any) -> Iterator[FieldError]:
    if isinstance(holder, dict):
        if not is_url(holder.get("id")):
            yield FieldError("holder.id", "must be a URL (for example a DID)")
    elif not is_url(holder):
        yield FieldError("holder", "must be a URL or an object with an id")


def _check_presented_credentials(value: Any) -> Iterator[FieldError]:
    """Objects only: credentials (checked one by one by the verifier) or enveloped credentials."""
    items = value if isinstance(value, list) else [value]
    if not items:
        yield FieldError("verifiableCredential", "must hold one or more credentials when present")
    for i, item in enumerate(items):
        where = f"verifiableCredential[{i}]" if isinstance(value, list) else "verifiableCredential"
        if not isinstance(item, dict):
            yield FieldError(where, "must be a credential object, not a string, a number or a URL")
        elif is_enveloped(item, ENVELOPED_CREDENTIAL):
            yield from _check_envelope(f"{where}.", item)
        elif "VerifiableCredential" not in _types(item.get("type")):
            yield FieldError(f"{where}.type", f"must include VerifiableCredential or {ENVELOPED_CREDENTIAL}")


def presentation_problems(presentation: Any) -> list[FieldError]:
    """Every VC 2.0 data-model problem of a presentation itself (§4.13); its credentials' own
    problems are the verifier's, credential by credential."""
    if not isinstance(presentation, dict):
        return [FieldError("verifiablePresentation", "must be a JSON object")]
    if is_enveloped(presentation, ENVELOPED_PRESENTATION):
        return list(_check_envelope("", presentation))
    problems = list(_check_context(presentation.get("@context")))
    if "id" in presentation and not is_url(presentation["id"]):
        problems.append(FieldError("id", "must be a single URL (e.g. urn:uuid:…)"))
    if VERIFIABLE_PRESENTATION not in _types(presentation.get("type")):
        problems.append(FieldError("type", f"must include {VERIFIABLE_PRESENTATION}"))
    if "holder" in presentation:
        problems += _check_holder(presentation["holder"])
    if "verifiableCredential" in presentation:
        problems += _check_presented_credentials(presentation["verifiableCredential"])
    for key in ("termsOfUse", "evidence", "refreshService", "proof"):
        if key in presentation:
            problems += _check_typed_objects(key, presentation[key])
    return problems
