"""Structural rules of the W3C VC Data Model 2.0 (§4) that JSON-LD processing alone does not catch.

``credential_problems`` returns every problem found (path + reason) instead of stopping at the first,
so a caller can show them all at once. JSON-LD safe mode (undefined terms) is checked separately.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from credential_service.core.clock import parse_xsd
from credential_service.core.errors import FieldError

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
# RFC 3986 scheme followed by something, no spaces: enough to tell a URL from a plain string.
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$")
_LANGUAGE_KEYS = {"@value", "@language", "@direction"}


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
    return problems
