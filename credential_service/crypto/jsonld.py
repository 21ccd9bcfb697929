"""Offline JSON-LD processing for Data Integrity: pinned contexts, safe mode, memoised contexts.

* **Pinned contexts.** :data:`PINNED_CONTEXTS` maps each context URL we accept to a file in
  ``contexts/``; each file's SHA-256 is checked on first use. The document loader never touches the
  network and raises :class:`UnknownContextError` for any other URL (vc-data-integrity §"Validating
  Contexts": a loader that only uses local copies of approved contexts).
* **Safe mode** (vc-data-integrity §"Securing Data Losslessly"): :func:`expand_safe` expands with
  base IRI null (:mod:`.jsonld_rdf` makes quads of it) and raises :class:`DataLossError` whenever
  jsonld.js ``safe: true`` would (its ``_notSafeEventCodes``: dropped terms, relative
  ``@id``/``@type``/``@vocab`` references, dropped objects and scalars, invalid language tags,
  reserved terms, blank node predicates). Text direction is kept as Digital Bazaar's
  eddsa-rdfc-2022 cryptosuite keeps it (``rdfDirection: i18n-datatype``). It is deliberately
  stricter where pyld or jsonld.js lose data without an event: keywords such as
  ``@json``/``@set``/``@language`` as node members, list objects with other members, empty IRI
  references, and IRIs holding characters that Python and JavaScript disagree are whitespace
  (U+001C–U+001F, U+0085, U+FEFF). :class:`UnsafeValueError` is raised for values that JavaScript
  implementations read or canonicalise differently from Python: integers
  outside ±(2^53−1) (RFC 7493 §2.2), numbers such as 1e-7 (an integer for jsonld.js), non-finite
  numbers, unpaired surrogates, U+FFFE/U+FFFF, and datasets whose canonical order differs between
  code points and UTF-16 code units (see :mod:`.rdfc`). A differential test against jsonld.js
  checks that nothing it refuses is accepted here and that accepted documents canonicalise alike.
* **Memoised context processing.** pyld re-processes every type-scoped context (they do not
  propagate, so each use gets a fresh clone whose cache key is new) on every document. Here
  ``_process_context`` results are memoised process-wide, keyed by everything they depend on:
  the identity of the active context (an immutable ``frozendict``, kept alive by the entry so its
  ``id`` cannot be reused), the JSON content of the local context (or the URL of a pinned,
  immutable context), the three processing flags, the base IRI and the processing mode. Each call
  gets its own pyld ``ContextResolver`` (pyld's URL-keyed global cache is never used); the memo is
  a locked LRU; within one call, IRI expansion against these contexts is cached as well.
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any, Final

import orjson
from frozendict import frozendict
from pyld import jsonld as _pyld
from pyld.context_resolver import ContextResolver

from credential_service.crypto.context_memo import ContextMemo, local_context_key

JsonObject = dict[str, Any]

# --- Pinned contexts --------------------------------------------------------------------------

PINNED_CONTEXTS: Final[Mapping[str, str]] = {
    "https://www.w3.org/ns/credentials/v2": "credentials-v2.jsonld",
    "https://www.w3.org/ns/credentials/examples/v2": "credentials-examples-v2.jsonld",
    "https://www.w3.org/ns/credentials/status/v1": "credentials-status-v1.jsonld",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": "ob-context-3.0.3.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json": "ob-extensions.json",
    "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json": "clr-context-2.0.1.json",
}
"""Context URL -> file name in ``credential_service/crypto/contexts``."""

PINNED_CONTEXT_SHA256: Final[Mapping[str, str]] = {
    "credentials-v2.jsonld": "59955ced6697d61e03f2b2556febe5308ab16842846f5b586d7f1f7adec92734",
    "credentials-examples-v2.jsonld": "57393fbc69d6efb9b9b5dc9cb6b9880b0944360abfe2eaf459c9e58cf2279d7c",
    "credentials-status-v1.jsonld": "fda5add353231e6a6884a46b12e6c75464281900cb348284d9c360f62381d9f7",
    "ob-context-3.0.3.json": "ef2fa9c7846dce233cc166b43639027278be4ee44f00bb1d45c75de2dd0cd761",
    "ob-extensions.json": "146f85aa16effd7ca1da8056eb443f53ce1eca8a34186cb062832c0a97d889c3",
    "clr-context-2.0.1.json": "880f1902d4158f2f33ce06af41b90719977cd1ea337a9de2e41edb3ff5e543d6",
}
"""File name -> SHA-256 of its bytes, checked when the file is first read."""


class JsonLdError(ValueError):
    """JSON-LD processing failed (base class of every error raised by this module)."""


class UnknownContextError(JsonLdError):
    """A context URL that is not pinned was referenced; nothing is fetched."""

    def __init__(self, url: str) -> None:
        super().__init__(f"context not pinned (offline loader): {url}")
        self.url = url


class DataLossError(JsonLdError):
    """Safe mode: JSON-LD processing would drop or mis-resolve data, which then goes unsigned."""

    def __init__(self, reason: str, term: str | None, path: str) -> None:
        where = path or "(document)"
        super().__init__(f"{reason}: {term!r} at {where}" if term is not None else f"{reason} at {where}")
        self.reason = reason
        self.term = term
        self.path = path


class UnsafeValueError(JsonLdError):
    """A value that JavaScript verifiers read or canonicalise differently from Python."""

    def __init__(self, reason: str, path: str) -> None:
        super().__init__(f"{reason} at {path or '(document)'}")
        self.reason = reason
        self.path = path


class CanonicalizationError(JsonLdError):
    """RDFC-1.0 failed (for instance a poisoned dataset)."""


_PIN_LOCK = threading.Lock()
_PINNED_BYTES: dict[str, bytes] = {}


def _pinned_bytes(url: str) -> bytes:
    """The verified bytes of the pinned context ``url``; raises UnknownContextError."""
    data = _PINNED_BYTES.get(url)
    if data is not None:
        return data
    filename = PINNED_CONTEXTS.get(url)
    if filename is None:
        raise UnknownContextError(url)
    data = resources.files(__package__).joinpath("contexts", filename).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != PINNED_CONTEXT_SHA256[filename]:
        raise JsonLdError(f"pinned context {filename} has SHA-256 {digest}, not the pinned value")
    document = orjson.loads(data)
    if not isinstance(document, dict):
        raise JsonLdError(f"pinned context {filename} is not a JSON object")
    # Pinned contexts are trusted, but are held to the same safe-mode rules as inline ones.
    _check_local_context(document.get("@context"), f"<{url}>")
    with _PIN_LOCK:
        _PINNED_BYTES[url] = data
    return data


def pinned_bytes(url: object) -> bytes | None:
    """The exact bytes of the context pinned under ``url`` (its SHA-256 checked), or None when
    ``url`` is not pinned: what a credential's ``relatedResource`` digests are compared with."""
    return _pinned_bytes(url) if isinstance(url, str) and url in PINNED_CONTEXTS else None


def load_context(url: str) -> JsonObject:
    """Return a fresh copy of the pinned context document for ``url``.

    Raises :class:`UnknownContextError` for a URL that is not in :data:`PINNED_CONTEXTS`, and
    :class:`JsonLdError` if the pinned file does not have its pinned SHA-256.
    """
    document: JsonObject = orjson.loads(_pinned_bytes(url))
    return document


def document_loader(url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """pyld document loader over the pinned contexts only (never the network).

    Returns a pyld RemoteDocument (a fresh copy: pyld edits loaded contexts in place). Raises
    :class:`UnknownContextError` for any other URL.
    """
    return {
        "contextUrl": None,
        "documentUrl": url,
        "document": load_context(url),
        "contentType": "application/ld+json",
        "tag": "static",
    }


# --- Safe-mode checks shared by the processor ------------------------------------------------

_KEYWORD_FORM: Final = re.compile(r"^@[a-zA-Z]+$")
_KEYWORDS: Final = frozenset(_pyld.KEYWORDS) | {
    "@propagate",
    "@import",
    "@json",
    "@none",
    "@direction",
    "@protected",
    "@nest",
    "@included",
    "@version",
}
# Python's `\s` (str.isspace) and JavaScript's `\s` differ: U+001C–U+001F and U+0085 are
# whitespace only in Python, U+FEFF only in JavaScript. pyld and jsonld.js test "absolute IRI"
# with `[^\s]*`, so an IRI holding any of the union is refused rather than classified two ways.
_WHITESPACE: Final = "\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_ABSOLUTE_IRI: Final = re.compile(r"^([A-Za-z][A-Za-z0-9+-.]*|_):[^" + _WHITESPACE + "]*$")
_BCP47: Final = re.compile(r"^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$")  # jsonld.js REGEX_BCP47
_UNSAFE_CHARS: Final = re.compile("[\ud800-\udfff\ufffe\uffff]")
_MAX_SAFE_INTEGER: Final = 2**53 - 1


def _is_absolute_iri(value: object) -> bool:
    return isinstance(value, str) and _ABSOLUTE_IRI.match(value) is not None


def _check_local_context(local_ctx: object, path: str) -> None:
    """Raise DataLossError for the context-processing events of jsonld.js safe mode."""
    contexts = local_ctx if isinstance(local_ctx, list) else [local_ctx]
    for ctx in contexts:
        if not isinstance(ctx, dict):
            continue  # URLs go through the pinned loader; null resets the context
        if isinstance(ctx.get("@context"), (dict, list)):
            _check_local_context(ctx["@context"], path)
        vocab = ctx.get("@vocab")
        if isinstance(vocab, str) and not _is_absolute_iri(vocab):
            raise DataLossError("relative @vocab reference", vocab, path)
        for term, definition in ctx.items():
            if _KEYWORD_FORM.match(term) and term not in _KEYWORDS:
                raise DataLossError("reserved term in context", term, path)
            if (
                isinstance(definition, str)
                and _KEYWORD_FORM.match(definition)
                and definition not in _KEYWORDS
            ):
                raise DataLossError("reserved @id value", definition, f"{path}/{term}")
            if isinstance(definition, dict):
                for key, reason in (("@id", "reserved @id value"), ("@reverse", "reserved @reverse value")):
                    value = definition.get(key)
                    if isinstance(value, str) and _KEYWORD_FORM.match(value) and value not in _KEYWORDS:
                        raise DataLossError(reason, value, f"{path}/{term}")


def _check_input_values(value: object, path: str) -> None:
    """Refuse values that JavaScript reads or canonicalises differently (see module doc)."""
    if isinstance(value, str):
        if _UNSAFE_CHARS.search(value):
            raise UnsafeValueError("unpaired surrogate or U+FFFE/U+FFFF in a string", path)
    elif isinstance(value, dict):
        for key, item in value.items():
            if _UNSAFE_CHARS.search(key):
                raise UnsafeValueError("unpaired surrogate or U+FFFE/U+FFFF in a key", path)
            _check_input_values(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_input_values(item, f"{path}[{index}]")
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        if not -_MAX_SAFE_INTEGER <= value <= _MAX_SAFE_INTEGER:
            raise UnsafeValueError(f"integer {value} is outside ±(2^53−1)", path)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise UnsafeValueError("number is not finite", path)
        # jsonld.js types a number as xsd:double only if String(n) has a "." (or |n| >= 1e21),
        # so 1e-7 becomes "0"^^xsd:integer there but "1.0E-7"^^xsd:double here. Python's repr
        # and JavaScript's String give the same shortest digits.
        if not value.is_integer() and abs(value) < 1e-6 and "." not in repr(value):
            raise UnsafeValueError(f"number {value!r} is typed differently by jsonld.js", path)
    else:
        raise JsonLdError(f"not a JSON value ({type(value).__name__}) at {path}")


def _check_expanded(items: Sequence[Any], path: str) -> None:
    """Walk expanded JSON-LD; raise for what jsonld.js safe mode reports at expansion or toRDF."""
    for item in items:
        if not isinstance(item, dict):
            continue
        if "@value" in item:
            datatype = item.get("@type")
            if datatype is not None and datatype != "@json" and not _is_absolute_iri(datatype):
                raise DataLossError("relative datatype IRI", datatype, path)
            language = item.get("@language")
            if language is not None and not (isinstance(language, str) and _BCP47.match(language)):
                raise DataLossError("invalid @language value", str(language), path)
            continue
        if "@list" in item:
            # A list object has nothing besides @list and @index; pyld lets e.g. @type through
            # and toRDF would then silently drop it with the node's other members.
            extra = sorted(set(item) - {"@list", "@index"})
            if extra:
                raise DataLossError("members beside @list are dropped", extra[0], path)
            _check_expanded(item["@list"], path)
            continue
        for key, value in item.items():
            if key == "@id":
                if not _is_absolute_iri(value):
                    raise DataLossError("relative or invalid @id reference", str(value), path)
            elif key == "@type":
                for type_ in value:
                    if not _is_absolute_iri(type_):
                        raise DataLossError("undefined or relative @type", str(type_), path)
            elif key == "@reverse":
                for prop, nodes in value.items():
                    _check_property(prop, path, bool(nodes))
                    _check_expanded(nodes, f"{path}/@reverse/{prop}")
            elif key in ("@graph", "@included"):
                _check_expanded(value, f"{path}/{key}")
            elif key == "@index":
                continue  # a string that RDF does not keep, by design of JSON-LD
            elif key.startswith("@"):
                # e.g. "@json" or "@set" used as a member of a node object: pyld keeps it in the
                # expanded node and toRDF then drops it (jsonld.js even mis-assigns such data).
                raise DataLossError("keyword not allowed in a node object", key, path)
            else:
                _check_property(key, path, bool(value))
                _check_expanded(value, f"{path}/{key}" if path else key)


def _check_property(prop: str, path: str, has_values: bool = True) -> None:
    if not _is_absolute_iri(prop):
        raise DataLossError("relative property IRI", prop, path)
    if prop.startswith("_:") and has_values:
        # toRDF drops every triple of a blank node predicate (no triples, nothing lost).
        raise DataLossError("blank node predicate is dropped in RDF", prop, path)


# --- Memoised, safe pyld processor ------------------------------------------------------------

# An entry is ~30 KB (a processed OB 3.0 context); a credential family needs a few dozen. The
# bound caps what documents with ever-new inline contexts can make the process hold (~30 MB).
_MEMO_MAX_ENTRIES: Final = 1024


_CONTEXT_MEMO: Final = ContextMemo(_MEMO_MAX_ENTRIES)


def _dropped_in_graph_container(active_ctx: Any, active_property: Any, result: Any) -> bool:
    """An expanded object that a @graph container would drop (empty, a value, a list, a bare id)."""
    return (
        isinstance(result, dict)
        and active_property is not None
        and "@graph"
        in _pyld.JsonLdProcessor.arrayify(
            _pyld.JsonLdProcessor.get_context_value(active_ctx, active_property, "@container") or []
        )
        and (not result or "@value" in result or "@list" in result or (len(result) == 1 and "@id" in result))
    )


class SafeProcessor(_pyld.JsonLdProcessor):  # type: ignore[misc]  # pyld is untyped
    """pyld processor with jsonld.js safe-mode checks and memoised context processing."""

    def __init__(self, memoise: bool = True) -> None:
        super().__init__(on_property_dropped=self._property_dropped)
        self._memoise = memoise
        self._stack: list[tuple[str | None, Mapping[str, Any]]] = []
        self._iri_cache: dict[tuple[int, str, Any, bool], tuple[object, Any]] = {}

    def _path(self) -> str:
        return ".".join(p for p, _ in self._stack if p)

    def _property_dropped(self, expanded: str | None) -> None:
        # The term is whatever key of the current object expanded to `expanded`.
        term: str | None = expanded
        if self._stack:
            element = self._stack[-1][1]
            for key in element:
                if key == expanded or (
                    expanded is None and _KEYWORD_FORM.match(key) and key not in _KEYWORDS
                ):
                    term = key
                    break
        raise DataLossError("undefined term (dropped by JSON-LD expansion)", term, self._path())

    # The overrides keep pyld's signatures, hence the positional parameters.
    def _expand(  # noqa: PLR0917
        self,
        active_ctx: Any,
        active_property: Any,
        element: Any,
        options: Any,
        inside_list: bool = False,
        inside_index: bool = False,
        type_scoped_ctx: Any = None,
    ) -> Any:
        def expand() -> Any:
            return super(SafeProcessor, self)._expand(
                active_ctx,
                active_property,
                element,
                options,
                inside_list=inside_list,
                inside_index=inside_index,
                type_scoped_ctx=type_scoped_ctx,
            )

        if isinstance(element, dict):
            self._stack.append((active_property, element))
            try:
                result = expand()
            finally:
                self._stack.pop()
            if result is None:
                # null @value, object with only @language, or a dropped top-level object.
                raise DataLossError("object dropped by JSON-LD expansion", active_property, self._path())
            if not inside_list and _dropped_in_graph_container(active_ctx, active_property, result):
                # jsonld.js also drops these in @graph containers; pyld keeps them.
                raise DataLossError("object dropped in @graph container", active_property, self._path())
            return result
        if not inside_list and self._free_floating(active_ctx, active_property, element):
            raise DataLossError("free-floating scalar dropped", str(element), self._path())
        return expand()

    def _free_floating(self, active_ctx: Any, active_property: Any, element: Any) -> bool:
        """A scalar at the top or directly in @graph: JSON-LD expansion drops it."""
        return (
            element is not None
            and not isinstance(element, list)
            and (
                active_property is None
                or self._expand_iri(active_ctx, active_property, vocab=True) == "@graph"
            )
        )

    def _expand_iri(  # noqa: PLR0917
        self,
        active_ctx: Any,
        value: Any,
        base: Any = None,
        vocab: bool = False,
        local_ctx: Any = None,
        defined: Any = None,
    ) -> Any:
        if local_ctx is not None or defined is not None or not isinstance(value, str):
            return super()._expand_iri(
                active_ctx, value, base=base, vocab=vocab, local_ctx=local_ctx, defined=defined
            )
        # Outside context processing (no local_ctx/defined) IRI expansion is a pure function of
        # an immutable active context, the value, base and vocab: cache it for this call. The
        # entry keeps the context, so its id() cannot be reused while the entry exists.
        cacheable = self._memoise and isinstance(active_ctx, frozendict)
        key = (id(active_ctx), value, base, vocab)
        if cacheable:
            entry = self._iri_cache.get(key)
            if entry is not None and entry[0] is active_ctx:
                return entry[1]
        result = super()._expand_iri(active_ctx, value, base=base, vocab=vocab)
        if result is None and _KEYWORD_FORM.match(value) and value not in _KEYWORDS:
            # pyld turns "@foo" into nothing: a dropped key, @id or @type (e.g. a value object's
            # datatype vanishes without a trace). jsonld.js safe mode refuses all of these.
            raise DataLossError("reserved keyword-like value dropped", value, self._path())
        if cacheable:
            self._iri_cache[key] = (active_ctx, result)
        return result

    def _process_context(  # noqa: PLR0917
        self,
        active_ctx: Any,
        local_ctx: Any,
        options: Any,
        override_protected: bool = False,
        propagate: bool = True,
        validate_scoped: bool = True,
        cycles: Any = None,
    ) -> Any:
        def compute() -> Any:
            _check_local_context(local_ctx, "@context")
            return super(SafeProcessor, self)._process_context(
                active_ctx,
                local_ctx,
                options,
                override_protected=override_protected,
                propagate=propagate,
                validate_scoped=validate_scoped,
                cycles=cycles,
            )

        # Only top-level calls on immutable (frozen) active contexts are memoised; nested
        # validation calls carry a cycle set and work on a context under construction.
        if not self._memoise or cycles or not isinstance(active_ctx, frozendict):
            return compute()
        local_key = local_context_key(local_ctx)
        if local_key is None:
            return compute()
        key = (
            id(active_ctx),
            local_key,
            override_protected,
            propagate,
            validate_scoped,
            options.get("base"),
            options.get("processingMode"),
        )
        found = _CONTEXT_MEMO.get(key, active_ctx)
        if found is not None:
            return found
        result = compute()
        if isinstance(result, frozendict):  # never share a mutable context
            _CONTEXT_MEMO.put(key, active_ctx, result)
        return result


def processing_options() -> dict[str, Any]:
    return {
        "base": None,  # vc-data-integrity: the base URL MUST be null when deserialising to RDF
        "documentLoader": document_loader,
        # A resolver per call: pyld's resolver caches are not thread-safe and its global one is
        # keyed by URL only.
        "contextResolver": ContextResolver({}, document_loader),
        "processingMode": "json-ld-1.1",
        "extractAllScripts": True,
        "produceGeneralizedRdf": False,
        "isFrame": False,
        "keepFreeFloatingNodes": False,
        # As Digital Bazaar's eddsa-rdfc-2022 cryptosuite: "@direction" becomes the datatype
        # https://www.w3.org/ns/i18n#{language}_{direction} instead of being dropped.
        "rdfDirection": "i18n-datatype",
    }


def as_jsonld_error(exc: BaseException) -> JsonLdError:
    """Our own error inside pyld's wrappers (pyld chains causes with ``raise … from``)."""
    cause: BaseException | None = exc
    for _ in range(32):  # chains are short; the bound only guards against a cycle
        if cause is None:
            break
        if isinstance(cause, JsonLdError):
            return cause
        cause = cause.__cause__ or cause.__context__
    message = str(exc.args[0]) if exc.args else type(exc).__name__
    return JsonLdError(f"invalid JSON-LD: {message}")


def expand_safe(document: Mapping[str, Any], *, memoise: bool = True) -> list[Any]:
    """Expand ``document`` (base null, pinned contexts) in safe mode.

    Returns the expanded JSON-LD array. Raises :class:`DataLossError`,
    :class:`UnsafeValueError`, :class:`UnknownContextError` or :class:`JsonLdError`.
    """
    processor = SafeProcessor(memoise=memoise)
    try:
        _check_input_values(document, "")
        expanded: list[Any] = processor.expand(document, processing_options())
        _check_expanded(expanded, "")
    except JsonLdError:
        raise
    except RecursionError as exc:
        raise JsonLdError("the document is nested too deeply") from exc
    except Exception as exc:  # pyld raises JsonLdError, ValueError, TypeError, KeyError…
        raise as_jsonld_error(exc) from exc
    return expanded


def context_memo_stats() -> tuple[int, int, int]:
    """(entries, hits, misses) of the process-wide context memo."""
    return len(_CONTEXT_MEMO), _CONTEXT_MEMO.hits, _CONTEXT_MEMO.misses


def clear_context_memo() -> None:
    """Empty the process-wide context memo (tests and benchmarks)."""
    _CONTEXT_MEMO.clear()


__all__ = [
    "PINNED_CONTEXTS",
    "PINNED_CONTEXT_SHA256",
    "CanonicalizationError",
    "DataLossError",
    "JsonLdError",
    "SafeProcessor",
    "UnknownContextError",
    "UnsafeValueError",
    "as_jsonld_error",
    "clear_context_memo",
    "context_memo_stats",
    "document_loader",
    "expand_safe",
    "load_context",
    "pinned_bytes",
    "processing_options",
]
