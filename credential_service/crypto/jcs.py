"""JSON Canonicalization Scheme (RFC 8785), with a fast path for the JSON credentials actually hold.

``rfc8785`` is exact but pure Python, and costs more than the Ed25519 verify itself. For values made
only of strings, booleans, null and safe integers, whose member names are all in the Basic
Multilingual Plane, RFC 8785 output equals Python's sorted compact ``json.dumps``:
- member names sort by UTF-16 code units in RFC 8785 and by code points in Python; the two orders
  differ only when a name holds a character above U+FFFF;
- strings are escaped the same way (ECMAScript JSON.stringify and ``json`` with
  ``ensure_ascii=False`` both escape only ``"``, ``\\`` and U+0000–U+001F, with the same short forms);
- integers up to 2^53 print as themselves in both.
Anything else (floats, large integers, lone surrogates, astral member names) goes to ``rfc8785``.
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


def _fast_path_applies(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not item.isascii() and not _plain_text(item):
                return False
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if not -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                return False
        elif isinstance(item, dict):
            for key, member in item.items():
                if not isinstance(key, str):
                    return False
                if not key.isascii() and (max(key) > "\uffff" or not _plain_text(key)):
                    return False
                stack.append(member)
        elif isinstance(item, list):
            stack.extend(item)
        else:  # floats and anything else: the exact, slow path
            return False
    return True


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of ``value``; raises JcsError if it has none."""
    if _fast_path_applies(value):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
    try:
        return bytes(rfc8785.dumps(value))
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise JcsError(str(exc)) from exc
