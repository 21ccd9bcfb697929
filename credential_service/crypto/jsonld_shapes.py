"""Fast JSON-LD to RDF for documents of a shape already seen: compile once, fill in values.

Credentials of one kind differ only in their values: the same keys, the same ``@context``, the
same ``type``s. JSON-LD expansion and the node map depend on those, not on the strings that
become literals or node identifiers. So each *shape* is converted once by the general path
(:func:`.jsonld_rdf.to_rdf_safe`, pyld in safe mode) on a *skeleton*: the document with every
string value replaced by a placeholder (a random per-process IRI scheme, ``x-rdfc-slot-…:N``).
Where the placeholders land in the quads gives a template; later documents of that shape get
their quads by putting their own values in the same places (docs/decisions/039).

What makes a shape (anything that could change the expansion is in it): every key, in order;
the whole value of ``@context``, ``type``/``@type`` and every other keyword except the
data-carrying ones (``@id``, ``@value``, ``@graph``, ``@list``, ``@set``, ``@included``,
``@reverse``, ``@nest``); numbers, booleans and nulls; the nesting of objects and arrays.

A shape is compiled on its second sighting (a one-off shape costs no more than before). Its
template is refused (the shape then always takes the general path) when a placeholder comes out
anywhere but as a whole IRI or as the whole lexical form of a literal (e.g. inside an ``@json``
literal or a language tag), as a predicate, as an ``rdf:type`` object (a ``@type`` alias), in a
literal typed ``xsd:double`` (pyld rewrites those), or when the skeleton itself fails. A document
of a known shape falls back when:

* a value that lands as an IRI, or leaves no trace at all, is not plainly absolute (no ``:``; a
  blank node ``_:``; a prefix or the value itself defined as a term in some context, so it could
  expand to something else): such values make a *variant* of the shape with the value written in
  (e.g. ``proofPurpose: assertionMethod``), compiled on its second sighting likewise;
* two nodes with properties share an identifier where ``@index`` values could conflict (elsewhere
  the node map's merging gives the same triples as the template keeps apart);
* a string holds what safe mode refuses (unpaired surrogates, U+FFFE/U+FFFF);
* anything is not plain JSON (dict, list, str, int, float, bool, None), or a key is not a str.

Anything the fast path returns is byte-identical to the general path: a differential test
(tests/unit/crypto/test_jsonld_shapes.py) compares both on generated credentials of every shape
the service signs and on the W3C inputs.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import orjson

from . import rdfc
from .jsonld import PINNED_CONTEXTS, expand_safe, load_context

ToQuads = Callable[[Mapping[str, Any]], list[rdfc.Quad]]

# Keys whose value is part of the shape (not a slot). `type` is the usual alias of @type; other
# keywords are structural or scalar settings (@language, @direction, @index…).
_DATA_KEYWORDS: Final = frozenset(
    {"@id", "@value", "@graph", "@list", "@set", "@included", "@reverse", "@nest"}
)
_RDF_TYPE: Final = rdfc.iri("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
# pyld rewrites a string typed xsd:double into canonical double form: not a plain fill-in.
_XSD_DOUBLE_SUFFIX: Final = "^^" + rdfc.iri("http://www.w3.org/2001/XMLSchema#double")

# As jsonld._ABSOLUTE_IRI (safe mode's stricter whitespace set), and what it refuses in strings.
_PLAIN_IRI: Final = re.compile(
    r"^([A-Za-z][A-Za-z0-9+\-.]*):[^\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a"
    r"\u2028\u2029\u202f\u205f\u3000\ufeff]*$"
)
_UNSAFE_CHARS: Final = re.compile("[\ud800-\udfff\ufffe\uffff]")

# Shape tokens: ints never clash with the str keys and constants, nor with tagged numbers.
_SLOT, _OBJECT, _ARRAY, _END, _NULL, _TRUE, _FALSE = range(7)

_MAX_SHAPES: Final = 512
_MAX_VARIANTS: Final = 32


class _Unhandled(Exception):
    """The document is outside what the fast path handles; use the general path."""


def _constant(value: Any) -> object:
    """A hashable token for a value that is part of the shape."""
    if value.__class__ is str:
        return value
    if value.__class__ is list and all(v.__class__ is str for v in value):
        return tuple(value)
    try:
        return orjson.dumps(value)
    except TypeError as exc:  # not plain JSON (or an integer beyond 64 bits)
        raise _Unhandled from exc


def _is_constant_key(key: str) -> bool:
    return key == "type" or (key[:1] == "@" and key not in _DATA_KEYWORDS)


def _walk(value: Any, tokens: list[object], slots: list[str]) -> None:
    """Append the shape tokens of ``value`` to ``tokens`` and its string values to ``slots``."""
    # The hot loop of the fast path: strings are handled inline rather than by recursion.
    cls = value.__class__
    if cls is str:
        tokens.append(_SLOT)
        slots.append(value)
    elif cls is dict:
        tokens.append(_OBJECT)
        for key, item in value.items():
            if key.__class__ is not str:
                raise _Unhandled
            tokens.append(key)
            if key == "type" or (key[:1] == "@" and key not in _DATA_KEYWORDS):
                tokens.append(item if item.__class__ is str else _constant(item))
            elif item.__class__ is str:
                tokens.append(_SLOT)
                slots.append(item)
            else:
                _walk(item, tokens, slots)
        tokens.append(_END)
    elif cls is list:
        tokens.append(_ARRAY)
        for item in value:
            if item.__class__ is str:
                tokens.append(_SLOT)
                slots.append(item)
            else:
                _walk(item, tokens, slots)
        tokens.append(_END)
    elif value is None:
        tokens.append(_NULL)
    elif value is True:
        tokens.append(_TRUE)
    elif value is False:
        tokens.append(_FALSE)
    elif cls is int:
        tokens.append(("i", value))
    elif cls is float:
        tokens.append(("f", repr(value)))  # repr: -0.0 and 0.0 expand differently
    else:
        raise _Unhandled


def _skeleton(value: Any, slot_value: Callable[[str], str]) -> Any:
    """A copy of ``value`` with each string in a slot position replaced by ``slot_value(it)``,
    visiting slots in :func:`_walk`'s order."""
    cls = value.__class__
    if cls is str:
        return slot_value(value)
    if cls is dict:
        return {
            key: item if _is_constant_key(key) else _skeleton(item, slot_value) for key, item in value.items()
        }
    if cls is list:
        return [_skeleton(item, slot_value) for item in value]
    return value


def _context_terms(value: Any, out: set[str]) -> None:
    """Every key of every object in ``value`` (a superset of the terms a context defines)."""
    if isinstance(value, dict):
        out.update(value)
        for item in value.values():
            _context_terms(item, out)
    elif isinstance(value, list):
        for item in value:
            _context_terms(item, out)


def _inline_contexts(value: Any, out: set[str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "@context":
                _context_terms(item, out)
            else:
                _inline_contexts(item, out)
    elif isinstance(value, list):
        for item in value:
            _inline_contexts(item, out)


_PINNED_TERMS: frozenset[str] | None = None


def _pinned_terms() -> frozenset[str]:
    global _PINNED_TERMS  # noqa: PLW0603  # computed once, read-only after
    if _PINNED_TERMS is None:
        terms: set[str] = set()
        for url in PINNED_CONTEXTS:
            _context_terms(load_context(url), terms)
        _PINNED_TERMS = frozenset(terms)
    return _PINNED_TERMS


Term = str | int
"""A template term: a constant canonical N-Quads term, or the number of the slot that fills it."""

Pinned = tuple[tuple[int, str], ...]
"""Slots whose document value is written into the skeleton itself: (slot number, value)."""


@dataclass(slots=True)
class _Template:
    """The quads of one shape (or variant) with slots to fill.

    ``quads`` hold constant terms or slot numbers in subject, object and graph positions;
    ``literal_suffix[n]`` is the datatype or language suffix of literal slot ``n``.
    """

    quads: list[tuple[Term, str, Term, Term]]
    literal_suffix: dict[int, str]
    iri_slots: tuple[int, ...]
    # Slots whose value must expand to itself: the IRI slots, and those that left no trace (e.g.
    # the @id of a node without properties: safe mode still checks it).
    checked_slots: tuple[int, ...]
    # Where the node map's merging matters: (graph, node) pairs holding a slot, and the constant ones.
    slot_nodes: tuple[tuple[Term, Term], ...]
    constant_nodes: frozenset[tuple[Term, Term]]
    terms: frozenset[str]
    pinned: Pinned = ()
    variants: dict[Pinned, _Template | _Seen | None] = field(default_factory=dict)


class _Seen:
    """A shape or variant met once: compiled when it comes again (one-off shapes cost nothing)."""


_SEEN_ONCE: Final = _Seen()


class ShapeCache:
    """Process-wide, thread-safe cache of compiled shapes over a general ``to_quads``."""

    def __init__(self, to_quads: ToQuads, *, max_shapes: int = _MAX_SHAPES) -> None:
        self._to_quads = to_quads
        self._lock = threading.Lock()
        self._shapes: OrderedDict[tuple[object, ...], _Template | _Seen | None] = OrderedDict()
        self._max = max_shapes
        self._scheme = f"x-rdfc-slot-{secrets.token_hex(8)}"
        self.hits = 0  # documents whose quads came from a template
        self.compiled = 0  # templates (and variants) compiled, or found not templatable
        self.fallbacks = 0  # documents handed to the general path

    def clear(self) -> None:
        with self._lock:
            self._shapes.clear()
            self.hits = self.compiled = self.fallbacks = 0

    def __len__(self) -> int:
        return len(self._shapes)

    def quads(self, document: Mapping[str, Any]) -> list[rdfc.Quad] | None:
        """The RDF quads of ``document`` as the general path gives them (blank node labels
        aside), or None when the fast path does not handle it: then use the general path."""
        filled = self._quads(document)
        if filled is None:
            self.fallbacks += 1
        else:
            self.hits += 1
        return filled

    def _quads(self, document: Mapping[str, Any]) -> list[rdfc.Quad] | None:
        if document.__class__ is not dict:
            return None
        tokens: list[object] = []
        slots: list[str] = []
        try:
            _walk(document, tokens, slots)
        except (_Unhandled, RecursionError):
            return None
        # One search for what safe mode refuses or a literal must escape (the former a subset).
        joined = "".join(slots)
        plain_text = rdfc.LITERAL_NEEDS_ESCAPE.search(joined) is None
        if not plain_text and _UNSAFE_CHARS.search(joined):
            return None  # the general path raises UnsafeValueError, naming the place
        key = tuple(tokens)
        with self._lock:
            template = self._shapes.get(key)
            if template is None and key not in self._shapes:
                self._shapes[key] = _SEEN_ONCE
                while len(self._shapes) > self._max:
                    self._shapes.popitem(last=False)
                return None
            self._shapes.move_to_end(key)
        if template is _SEEN_ONCE:
            template = self._compile(document, ())
            with self._lock:
                self._shapes[key] = template
        if not isinstance(template, _Template):
            return None
        pinned = _not_plain(template, slots)
        if pinned:
            template = self._variant(template, document, pinned)
            if template is None or _not_plain(template, slots):
                return None
        return _fill(template, slots, escape=not plain_text)

    def _variant(self, template: _Template, document: Mapping[str, Any], pinned: Pinned) -> _Template | None:
        """The shape with the ``pinned`` IRI values written in (e.g. ``proofPurpose`` given as the
        term ``assertionMethod``): compiled on its second sighting, at most _MAX_VARIANTS a shape."""
        with self._lock:
            variant = template.variants.get(pinned)
            if variant is None and pinned not in template.variants:
                if len(template.variants) < _MAX_VARIANTS:
                    template.variants[pinned] = _SEEN_ONCE
                return None
        if variant is _SEEN_ONCE:
            variant = self._compile(document, pinned)
            # Pinning IRI values changes no structure: every other slot must read as before.
            free = set(template.checked_slots) - {n for n, _ in pinned}
            if variant is not None and (
                not set(variant.checked_slots) <= free or variant.literal_suffix != template.literal_suffix
            ):
                variant = None
            with self._lock:
                template.variants[pinned] = variant
        return variant if isinstance(variant, _Template) else None

    def _compile(self, document: Mapping[str, Any], pinned: Pinned) -> _Template | None:
        """Convert the skeleton of ``document`` by the general path and read the template off it;
        None if the shape cannot be templated (see the module docstring)."""
        self.compiled += 1
        keep = dict(pinned)
        prefix = self._scheme + ":"
        counter = iter(range(1 << 62))

        def placeholder(value: str) -> str:
            n = next(counter)
            return keep.get(n, prefix + str(n))

        skeleton = _skeleton(document, placeholder)
        count = next(counter)
        try:
            quads = self._to_quads(skeleton)
            # Nodes sharing an @id are merged by the node map: the same triples as the template
            # gives them apart, except that differing @index values are an error there.
            merge_sensitive = _has_key(expand_safe(skeleton), "@index")
        except Exception:  # any failure: this shape takes the general path
            return None
        terms: set[str] = set(_pinned_terms())
        _inline_contexts(document, terms)
        if any(self._scheme in term for term in terms):
            return None  # a context that could expand the placeholders themselves
        try:
            return _read_template(
                quads, prefix, frozenset(terms), pinned, count=count, merge_sensitive=merge_sensitive
            )
        except _Unhandled:
            return None


def _not_plain(template: _Template, slots: list[str]) -> Pinned:
    """The IRI slots whose value might not expand to itself: not an absolute IRI of the safe-mode
    form, a blank node, or a term or prefix that some context may define."""
    terms = template.terms
    found = []
    for n in template.checked_slots:
        value = slots[n]
        if _PLAIN_IRI.match(value) is None or value in terms or value.split(":", 1)[0] in terms:
            found.append((n, value))
    return tuple(found)


def _fill(template: _Template, slots: list[str], *, escape: bool) -> list[rdfc.Quad] | None:
    """The template's quads with ``slots`` written in (literals escaped if ``escape``); None if
    the node map would merge nodes that the template keeps apart (checked where that matters)."""
    rendered: dict[Term, str] = {n: rdfc.iri(slots[n]) for n in template.iri_slots}
    if escape:
        for n, suffix in template.literal_suffix.items():
            rendered[n] = '"' + rdfc.escape_literal(slots[n]) + '"' + suffix
    else:
        for n, suffix in template.literal_suffix.items():
            rendered[n] = '"' + slots[n] + '"' + suffix
    if template.slot_nodes:
        nodes = [(rendered.get(g, g), rendered.get(s, s)) for g, s in template.slot_nodes]
        if len(set(nodes)) != len(nodes) or not template.constant_nodes.isdisjoint(nodes):
            return None
    get = rendered.get
    return [(get(s, s), p, get(o, o), get(g, g)) for s, p, o, g in template.quads]  # type: ignore[arg-type]


def _slot_of(term: str, prefix: str) -> tuple[str, int, str] | None:
    """("iri", n, "") or ("literal", n, suffix) for a term that is exactly a placeholder; None
    for a term with no placeholder; raises _Unhandled for a placeholder inside a term."""
    if prefix not in term:
        return None
    if term.startswith("<" + prefix) and term.endswith(">") and term[len(prefix) + 1 : -1].isdigit():
        return ("iri", int(term[len(prefix) + 1 : -1]), "")
    if term.startswith('"' + prefix):
        end = term.find('"', 1)
        number, suffix = term[len(prefix) + 1 : end], term[end + 1 :]
        if end > 0 and number.isdigit() and prefix not in suffix and suffix != _XSD_DOUBLE_SUFFIX:
            return ("literal", int(number), suffix)
    raise _Unhandled


def _has_key(value: Any, key: str) -> bool:
    if isinstance(value, dict):
        return key in value or any(_has_key(item, key) for item in value.values())
    if isinstance(value, list):
        return any(_has_key(item, key) for item in value)
    return False


def _read_template(
    quads: list[rdfc.Quad],
    prefix: str,
    terms: frozenset[str],
    pinned: Pinned,
    *,
    count: int,
    merge_sensitive: bool,
) -> _Template:
    """The template of a skeleton's quads (raises _Unhandled where it cannot be one)."""
    kinds: dict[int, tuple[str, str]] = {}
    template_quads: list[tuple[Term, str, Term, Term]] = []

    def slot(term: str, *, node: bool) -> Term:
        found = _slot_of(term, prefix)
        if found is None:
            return term
        kind, number, suffix = found
        if kinds.setdefault(number, (kind, suffix)) != (kind, suffix) or (node and kind != "iri"):
            raise _Unhandled  # one string, two readings
        return number

    # A node of the node map is a subject in its graph; a graph name, a node of the default graph.
    nodes: set[tuple[Term, Term]] = set()
    for s, p, o, g in quads:
        if prefix in p:
            raise _Unhandled
        if p == _RDF_TYPE and prefix in o:
            raise _Unhandled  # a @type alias: its value would choose contexts
        quad = (slot(s, node=True), p, slot(o, node=False), slot(g, node=True) if g else g)
        template_quads.append(quad)
        nodes.add((quad[3], quad[0]))
        if g:
            nodes.add(("", quad[3]))
    if not merge_sensitive:
        nodes.clear()
    slot_nodes = [(g, n) for g, n in nodes if isinstance(g, int) or isinstance(n, int)]
    constant_nodes = {
        (g, n) for g, n in nodes if isinstance(n, str) and n.startswith("<") and isinstance(g, str)
    }
    return _Template(
        quads=template_quads,
        literal_suffix={n: suffix for n, (kind, suffix) in kinds.items() if kind == "literal"},
        iri_slots=tuple(sorted(n for n, (kind, _) in kinds.items() if kind == "iri")),
        checked_slots=tuple(
            n for n in range(count) if n not in dict(pinned) and (n not in kinds or kinds[n][0] == "iri")
        ),
        slot_nodes=tuple(slot_nodes),
        constant_nodes=frozenset(constant_nodes),
        terms=terms,
        pinned=pinned,
    )


__all__ = ["ShapeCache"]
