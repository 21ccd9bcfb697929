"""JSON Canonicalization Scheme (RFC 8785), with a fast path for the JSON credentials actually hold.

``rfc8785`` is exact but pure Python, and costs more than the Ed25519 verify itself. For values made
only of strings, booleans, null and safe integers, whose member names are all in the Basic
Multilingual Plane, RFC 8785 output equals Python's sorted compact ``json.dumps``:
- member names sort by UTF-16 code units in RFC 8785 and by code points in Python; the two orders
  differ only when a name holds a character above U+FFFF;
- strings are escaped the same way (ECMAScript JSON.stringify and ``json`` with
  ``ensure_ascii=False`` both escape only ``"``, ``\\`` and U+0000–U+001F, with the same short forms);
- integers up to 2^53 print as themselves in both, and so does a float with an integral value in
  RFC 8785 (85.0 is ``85``): such floats are written as the integers they equal (a score).
Anything else (other floats, large integers, lone surrogates, astral member names) goes to ``rfc8785``.
The equivalence is property-tested against ``rfc8785``.
"""

from __future__ import annotations

import json
import re
from typing import Any

import rfc8785

MAX_SAFE_INTEGER = 2**53 - 1


class JcsError(ValueError):
    """The value cannot be canonicalised (e.g. NaN, an integer beyond 2^53, a lone surrogate)."""


_SURROGATE = re.compile("[\ud800-\udfff]")


def _plain_text(text: str) -> bool:
    # No lone surrogates (not encodable in UTF-8); one regex scan in C, not a Python loop per character.
    return _SURROGATE.search(text) is None


_SLOW, _FAST, _FAST_WITH_INTEGRAL_FLOATS = 0, 1, 2


def _fast_path_applies(value: Any) -> int:
    """_FAST, _FAST_WITH_INTEGRAL_FLOATS (once those are ints) or _SLOW."""
    # Exact classes first (the common case, and cheaper than isinstance); subclasses after.
    stack, verdict = [value], _FAST
    while stack:
        item = stack.pop()
        cls = item.__class__
        if cls is str:
            if not item.isascii() and not _plain_text(item):
                return _SLOW
        elif cls is dict:
            for key, member in item.items():
                if key.__class__ is not str and not isinstance(key, str):
                    return _SLOW
                if not key.isascii() and (max(key) > "\uffff" or not _plain_text(key)):
                    return _SLOW
                stack.append(member)
        elif cls is list:
            stack.extend(item)
        elif item is None or cls is bool:
            continue
        elif cls is int:
            if not -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                return _SLOW
        elif cls is float and item.is_integer() and -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
            verdict = _FAST_WITH_INTEGRAL_FLOATS
        elif not _fast_subclass(item, stack):
            return _SLOW
    return verdict


def _integral_floats_as_ints(value: Any) -> Any:
    """``value`` with every float (all integral here: see _fast_path_applies) written as an int."""
    if value.__class__ is float:
        return int(value)
    if isinstance(value, dict):
        return {key: _integral_floats_as_ints(member) for key, member in value.items()}
    if isinstance(value, list):
        return [_integral_floats_as_ints(member) for member in value]
    return value


def _fast_subclass(item: Any, stack: list[Any]) -> bool:
    """The checks above for subclasses of str, bool, int, dict and list (an enum member…)."""
    if isinstance(item, str):
        return item.isascii() or _plain_text(item)
    if isinstance(item, bool):
        return True
    if isinstance(item, int):
        return -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER
    if isinstance(item, dict):
        stack.append(dict(item))
        return True
    if isinstance(item, list):
        stack.extend(item)
        return True
    return False  # floats and anything else: the exact, slow path


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of ``value``; raises JcsError if it has none."""
    verdict = _fast_path_applies(value)
    if verdict != _SLOW:
        if verdict == _FAST_WITH_INTEGRAL_FLOATS:
            value = _integral_floats_as_ints(value)
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
    try:
        return bytes(rfc8785.dumps(value))
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise JcsError(str(exc)) from exc
