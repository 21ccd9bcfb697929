"""RDF Dataset Canonicalization (RDFC-1.0, W3C Recommendation 2024-05-21), written against the spec.

Why not pyld's URDNA2015: pyld 3.3.0 writes control characters in literals raw, does not escape
IRIs, and counts a quad whose subject and object are the same blank node twice in the first-degree
hash, so it fails the W3C suite (test060) and signs such data differently from rdf-canonize.

Data model, chosen for speed: a *term* is its canonical N-Quads form (``<iri>``, ``_:label`` or a
literal such as ``"v"^^<dt>``); a :data:`Quad` is ``(subject, predicate, object, graph)`` where
``graph`` is ``""`` for the default graph. Build terms with :func:`iri`, :func:`blank_node` and
:func:`literal` (or parse N-Quads with :func:`parse_nquads`); they escape as canonical N-Quads
(RDFC-1.0 appendix A) requires, and IRIs as rdf-canonize does (``\\u00XX`` for U+0000–U+0020 and
``<>"{}|^`\\``), which is what the N-Quads grammar leaves as the only choice.

Dataset poisoning (RDFC-1.0 §7.1) is defended as rdf-canonize does by default (work factor 1): at
most *n* calls of Hash N-Degree Quads, *n* being the number of blank nodes whose first-degree hash
is shared; beyond it :class:`PoisonedDatasetError` is raised.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from itertools import pairwise, permutations
from typing import Final, Literal

Quad = tuple[str, str, str, str]
"""(subject, predicate, object, graph) as canonical N-Quads terms; graph ``""`` = default graph."""

HashAlgorithm = Literal["sha256", "sha384"]

XSD_STRING: Final = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANGSTRING: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

DEFAULT_WORK_FACTOR: Final = 1


class RdfcError(ValueError):
    """The dataset cannot be canonicalised (malformed input, or a limit was reached)."""


class PoisonedDatasetError(RdfcError):
    """Hash N-Degree Quads was called more often than the work limit allows (RDFC-1.0 §7.1)."""


class NQuadsSyntaxError(RdfcError):
    """The N-Quads text does not follow the N-Quads grammar."""


class Utf16OrderError(RdfcError):
    """Code point order and UTF-16 code unit order disagree on this dataset.

    RDFC-1.0 sorts in code point order; rdf-canonize (JavaScript) sorts UTF-16 code units. They
    differ only when a character above U+FFFF meets one in U+E000–U+FFFF at the same position of
    two sorted N-Quads lines. Raised only when the caller asks for the check.
    """


# --- Canonical N-Quads term syntax (RDFC-1.0 appendix A) -----------------------------------------

_LITERAL_ESCAPES: Final[dict[int, str]] = {
    **{c: f"\\u{c:04X}" for c in range(0x20)},
    0x7F: "\\u007F",
    0xFFFE: "\\uFFFE",
    0xFFFF: "\\uFFFF",
    **{c: f"\\u{c:04X}" for c in range(0xD800, 0xE000)},
    0x08: "\\b",
    0x09: "\\t",
    0x0A: "\\n",
    0x0C: "\\f",
    0x0D: "\\r",
    0x22: '\\"',
    0x5C: "\\\\",
}
# ECHAR for BS HT LF FF CR " \ ; UCHAR for other C0 controls, DEL, and non-XML-1.1 `Char`s
# (surrogates, U+FFFE, U+FFFF).
LITERAL_NEEDS_ESCAPE: Final = re.compile('[\x00-\x1f\x7f"\\\\\ud800-\udfff\ufffe\uffff]')

_IRI_ESCAPES: Final[dict[int, str]] = {c: f"\\u{c:04X}" for c in (*range(0x21), *map(ord, '<>"{}|^`\\'))}
_IRI_NEEDS_ESCAPE: Final = re.compile('[\x00-\x20<>"{}|^`\\\\]')


def escape_literal(value: str) -> str:
    """Return ``value`` escaped for STRING_LITERAL_QUOTE in canonical N-Quads."""
    if LITERAL_NEEDS_ESCAPE.search(value) is None:
        return value
    return value.translate(_LITERAL_ESCAPES)


def escape_iri(value: str) -> str:
    """Return ``value`` escaped for IRIREF (UCHAR for the characters the grammar excludes)."""
    if _IRI_NEEDS_ESCAPE.search(value) is None:
        return value
    return value.translate(_IRI_ESCAPES)


@lru_cache(maxsize=8192)
def iri(value: str) -> str:
    """Return the canonical N-Quads term for the IRI ``value``."""
    return "<" + escape_iri(value) + ">"


def blank_node(label: str) -> str:
    """Return the term for the blank node labelled ``label`` (without ``_:``)."""
    return "_:" + label


def literal(value: str, datatype: str = XSD_STRING, language: str | None = None) -> str:
    """Return the canonical N-Quads term for a literal.

    ``xsd:string`` literals carry no datatype; language-tagged strings (``language`` given, or
    datatype ``rdf:langString``) carry ``@language`` instead of a datatype.
    """
    quoted = '"' + escape_literal(value) + '"'
    if language:
        return quoted + "@" + language
    if datatype == XSD_STRING:
        return quoted
    return quoted + "^^" + iri(datatype)


def is_blank(term: str) -> bool:
    """True if ``term`` is a blank node term."""
    return term.startswith("_:")


def _unescape_iri_term(term: str) -> str:
    """The IRI value of a term built by :func:`iri` (inverse of :func:`escape_iri`)."""
    body = term[1:-1]
    if "\\" not in body:
        return body
    return _UCHAR.sub(_uchar_value, body)


def serialize_quad(quad: Quad) -> str:
    """Return one canonical N-Quads line, including its final LF."""
    s, p, o, g = quad
    if g:
        return f"{s} {p} {o} {g} .\n"
    return f"{s} {p} {o} .\n"


def serialize_nquads(quads: Iterable[Quad]) -> str:
    """Serialise ``quads`` in the order given (no sorting, no relabelling)."""
    return "".join(map(serialize_quad, quads))


# --- N-Quads parser (for the W3C test suite and for callers holding N-Quads text) ----------------

_UCHAR: Final = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_ECHAR_OR_UCHAR: Final = re.compile(r"\\(?:([tbnrf\"'\\])|u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8}))")
_ECHAR_VALUES: Final = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}

_PN_CHARS_BASE: Final = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_PN_CHARS: Final = _PN_CHARS_BASE + "_0-9\\-\u00b7\u0300-\u036f\u203f-\u2040"
_IRIREF: Final = r'<((?:[^\x00-\x20<>"{}|^`\\]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*)>'
_BNODE: Final = f"_:([{_PN_CHARS_BASE}_0-9](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?)"
_LITERAL: Final = (
    r'"((?:[^"\\\n\r]|\\[tbnrf"\'\\]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*)"'
    r"(?:\^\^" + _IRIREF + r"|@([a-zA-Z]+(?:-[a-zA-Z0-9]+)*))?"
)
_WS: Final = r"[ \t]"
_NQUAD: Final = re.compile(
    rf"^{_WS}*(?:{_IRIREF}|{_BNODE}){_WS}*{_IRIREF}{_WS}*(?:{_IRIREF}|{_BNODE}|{_LITERAL})"
    rf"{_WS}*(?:(?:{_IRIREF}|{_BNODE}){_WS}*)?\.{_WS}*(?:#.*)?$"
)
_EMPTY_LINE: Final = re.compile(rf"^{_WS}*(?:#.*)?$")


def _uchar_value(m: re.Match[str]) -> str:
    return chr(int(m.group(1) or m.group(2), 16))


def _echar_value(m: re.Match[str]) -> str:
    if m.group(1):
        return _ECHAR_VALUES[m.group(1)]
    return chr(int(m.group(2) or m.group(3), 16))


def parse_nquads(text: str) -> list[Quad]:
    """Parse N-Quads text into quads of canonical terms, keeping blank node labels.

    Returns the quads in document order (duplicates kept). Raises :class:`NQuadsSyntaxError` on a
    line that is not a valid N-Quads statement.
    """
    quads: list[Quad] = []
    for number, line in enumerate(text.splitlines(), start=1):
        m = _NQUAD.match(line)
        if m is None:
            if _EMPTY_LINE.match(line):
                continue
            raise NQuadsSyntaxError(f"line {number}: not an N-Quads statement: {line!r}")
        (s_iri, s_bn, p_iri, o_iri, o_bn, o_lit, o_dt, o_lang, g_iri, g_bn) = m.groups()
        try:
            subject = iri(_UCHAR.sub(_uchar_value, s_iri)) if s_iri is not None else "_:" + s_bn
            predicate = iri(_UCHAR.sub(_uchar_value, p_iri))
            if o_iri is not None:
                obj = iri(_UCHAR.sub(_uchar_value, o_iri))
            elif o_bn is not None:
                obj = "_:" + o_bn
            else:
                value = _ECHAR_OR_UCHAR.sub(_echar_value, o_lit)
                if o_lang is not None:
                    obj = literal(value, RDF_LANGSTRING, o_lang)
                elif o_dt is not None:
                    obj = literal(value, _UCHAR.sub(_uchar_value, o_dt))
                else:
                    obj = literal(value)
            if g_iri is not None:
                graph = iri(_UCHAR.sub(_uchar_value, g_iri))
            else:
                graph = "_:" + g_bn if g_bn is not None else ""
        except ValueError as exc:  # chr() of a value above U+10FFFF
            raise NQuadsSyntaxError(f"line {number}: bad escape: {exc}") from exc
        quads.append((subject, predicate, obj, graph))
    return quads


# --- RDFC-1.0 ---------------------------------------------------------------------------------


class _IdentifierIssuer:
    """Identifier issuer (RDFC-1.0 §4.5): prefix, counter and issued identifiers in order."""

    __slots__ = ("issued", "prefix")

    def __init__(self, prefix: str, issued: dict[str, str] | None = None) -> None:
        self.prefix = prefix
        self.issued: dict[str, str] = {} if issued is None else issued

    def issue(self, existing: str) -> str:
        """Issue Identifier algorithm (§4.5.2): return the identifier for ``existing``."""
        # Step 1: an identifier already issued is returned.
        found = self.issued.get(existing)
        if found is not None:
            return found
        # Steps 2–4: prefix + counter, record it (dict keeps issuance order), counter += 1.
        new = self.prefix + str(len(self.issued))
        self.issued[existing] = new
        return new

    def copy(self) -> _IdentifierIssuer:
        return _IdentifierIssuer(self.prefix, dict(self.issued))


class _Canonicalizer:
    """The canonicalization state of RDFC-1.0 §4.2 and the algorithms of §4.4–§4.8."""

    def __init__(self, quads: Iterable[Quad], hash_algorithm: HashAlgorithm, work_factor: int) -> None:
        if hash_algorithm not in ("sha256", "sha384"):
            raise RdfcError(f"unsupported hash algorithm {hash_algorithm!r}")
        self._hash_name = hash_algorithm
        # A dataset is a set: duplicate quads count once (W3C tests 070/071).
        self.quads: list[Quad] = list(dict.fromkeys(quads))
        self.blank_node_to_quads: dict[str, list[Quad]] = {}
        self.hash_to_blank_nodes: dict[str, list[str]] = {}
        self.canonical_issuer = _IdentifierIssuer("c14n")
        self.first_degree_hash: dict[str, str] = {}
        self.work_factor = work_factor
        self.remaining_calls = 0
        self.check_utf16 = False

    def _hash(self, data: str) -> str:
        try:
            raw = data.encode("utf-8")
        except UnicodeEncodeError as exc:  # unpaired surrogate in an IRI: not UTF-8-encodable
            raise RdfcError("term is not valid Unicode (unpaired surrogate)") from exc
        return hashlib.new(self._hash_name, raw).hexdigest()

    def run(self) -> list[str]:
        """Canonicalization algorithm (§4.4.3); returns the sorted canonical N-Quads lines."""
        # Step 2: blank node to quads map. Each quad is referenced once per blank node even when
        # the node is several components of it (the reference set of §4.4.3 step 2.1).
        bn_to_quads = self.blank_node_to_quads
        for quad in self.quads:
            s, _, o, g = quad
            if s[0] == "_":
                bn_to_quads.setdefault(s, []).append(quad)
            if o[0] == "_" and o != s:
                bn_to_quads.setdefault(o, []).append(quad)
            if g and g[0] == "_" and g not in (s, o):
                bn_to_quads.setdefault(g, []).append(quad)

        # Step 3: first-degree hash of every blank node, grouped by hash.
        for node in bn_to_quads:
            h = self.hash_first_degree_quads(node)
            self.hash_to_blank_nodes.setdefault(h, []).append(node)

        # Step 4: blank nodes with a unique first-degree hash get canonical identifiers, in
        # code point order of the hash (hex digests, so plain string order).
        shared: list[list[str]] = []
        for h in sorted(self.hash_to_blank_nodes):
            nodes = self.hash_to_blank_nodes[h]
            if len(nodes) > 1:  # Step 4.1
                shared.append(nodes)
                continue
            self.canonical_issuer.issue(nodes[0])  # Step 4.2 (4.3: dropped from the work list)

        # Poison limit (§7.1): calls of Hash N-Degree Quads, as rdf-canonize's maxWorkFactor.
        self.remaining_calls = sum(len(nodes) for nodes in shared) ** self.work_factor

        # Step 5: the remaining groups, in code point order of the hash.
        for nodes in shared:
            hash_path_list: list[tuple[str, _IdentifierIssuer]] = []
            for node in nodes:  # Step 5.2
                if node in self.canonical_issuer.issued:  # Step 5.2.1
                    continue
                temporary = _IdentifierIssuer("b")  # Step 5.2.2
                temporary.issue(node)  # Step 5.2.3
                hash_path_list.append(self.hash_n_degree_quads(node, temporary))  # Step 5.2.4
            # Step 5.3: by result hash (stable sort keeps list order on equal hashes).
            for _, issuer in sorted(hash_path_list, key=lambda r: r[0]):
                for existing in issuer.issued:  # Step 5.3.1, in issuance order
                    self.canonical_issuer.issue(existing)

        # Steps 6–7: relabel with the issued identifiers map, serialise, sort in code point order.
        labels = {node: "_:" + label for node, label in self.canonical_issuer.issued.items()}
        lines = []
        for s, p, o, g in self.quads:
            s2 = labels[s] if s[0] == "_" else s
            o2 = labels[o] if o[0] == "_" else o
            g2 = labels[g] if g and g[0] == "_" else g
            lines.append(f"{s2} {p} {o2} {g2} .\n" if g2 else f"{s2} {p} {o2} .\n")
        lines.sort()
        if self.check_utf16:
            _check_utf16_order(lines)
        return lines

    def hash_first_degree_quads(self, reference: str) -> str:
        """Hash First Degree Quads (§4.6.3) for the blank node ``reference``; memoised."""
        found = self.first_degree_hash.get(reference)
        if found is not None:
            return found
        nquads = []
        # Step 3: serialise each quad, blank nodes as _:a (the reference) or _:z (any other).
        for s, p, o, g in self.blank_node_to_quads[reference]:
            s2 = ("_:a" if s == reference else "_:z") if s[0] == "_" else s
            o2 = ("_:a" if o == reference else "_:z") if o[0] == "_" else o
            g2 = ("_:a" if g == reference else "_:z") if g and g[0] == "_" else g
            nquads.append(f"{s2} {p} {o2} {g2} .\n" if g2 else f"{s2} {p} {o2} .\n")
        nquads.sort()  # Step 4
        if self.check_utf16:
            _check_utf16_order(nquads)
        result = self._hash("".join(nquads))  # Step 5
        self.first_degree_hash[reference] = result
        return result

    def hash_related_blank_node(
        self, related: str, quad: Quad, issuer: _IdentifierIssuer, position: str
    ) -> str:
        """Hash Related Blank Node (§4.7.3)."""
        # Step 1: position; Step 2: <predicate> unless the position is the graph.
        data = position if position == "g" else position + "<" + _unescape_iri_term(quad[1]) + ">"
        # Step 3: canonical identifier, else temporary identifier, else first-degree hash.
        label = self.canonical_issuer.issued.get(related)
        if label is None:
            label = issuer.issued.get(related)
        # Step 4: append it (identifiers get the _: prefix) and hash.
        data += "_:" + label if label is not None else self.hash_first_degree_quads(related)
        return self._hash(data)

    def hash_n_degree_quads(
        self, identifier: str, issuer: _IdentifierIssuer
    ) -> tuple[str, _IdentifierIssuer]:
        """Hash N-Degree Quads (§4.8.3); returns (hash, issuer)."""
        if self.remaining_calls <= 0:
            raise PoisonedDatasetError(
                "RDFC-1.0: too many Hash N-Degree Quads calls; the dataset looks poisoned"
            )
        self.remaining_calls -= 1

        hash_to_related = self._hash_to_related(identifier, issuer)  # Steps 1–3
        data = ""  # Step 4
        # Step 5: related hashes in code point order.
        for related_hash in sorted(hash_to_related):
            data += related_hash  # Step 5.1
            chosen_path = ""  # Step 5.2
            chosen_issuer: _IdentifierIssuer | None = None  # Step 5.3
            for permutation in permutations(hash_to_related[related_hash]):  # Step 5.4
                found = self._permutation_path(permutation, issuer, chosen_path)
                if found is not None and (not chosen_path or found[0] < chosen_path):  # Step 5.4.6
                    chosen_path, chosen_issuer = found
            data += chosen_path  # Step 5.5
            assert chosen_issuer is not None  # at least one permutation always completes
            issuer = chosen_issuer  # Step 5.6
        return self._hash(data), issuer  # Step 6

    def _hash_to_related(self, identifier: str, issuer: _IdentifierIssuer) -> dict[str, list[str]]:
        """§4.8.3 steps 1–3: the blank nodes related to ``identifier``, by their related hash."""
        hash_to_related: dict[str, list[str]] = {}
        for quad in self.blank_node_to_quads[identifier]:
            s, _, o, g = quad
            for component, position in ((s, "s"), (o, "o"), (g, "g")):
                if component and component[0] == "_" and component != identifier:
                    h = self.hash_related_blank_node(component, quad, issuer, position)
                    hash_to_related.setdefault(h, []).append(component)
        return hash_to_related

    def _permutation_path(
        self, permutation: tuple[str, ...], issuer: _IdentifierIssuer, chosen_path: str
    ) -> tuple[str, _IdentifierIssuer] | None:
        """§4.8.3 steps 5.4.1–5.4.5: the path of one permutation and its issuer, or None as soon
        as the path can no longer beat ``chosen_path`` (steps 5.4.4.3 and 5.4.5.5)."""
        issuer_copy = issuer.copy()  # Step 5.4.1
        path = ""  # Step 5.4.2
        recursion_list: list[str] = []  # Step 5.4.3
        canonical = self.canonical_issuer.issued
        for related in permutation:  # Step 5.4.4
            label = canonical.get(related)
            if label is not None:  # Step 5.4.4.1
                path += "_:" + label
            else:  # Step 5.4.4.2
                if related not in issuer_copy.issued:
                    recursion_list.append(related)
                path += "_:" + issuer_copy.issue(related)
            if chosen_path and len(path) >= len(chosen_path) and path > chosen_path:
                return None
        for related in recursion_list:  # Step 5.4.5
            result_hash, result_issuer = self.hash_n_degree_quads(related, issuer_copy)
            path += "_:" + issuer_copy.issue(related)  # Step 5.4.5.2
            path += "<" + result_hash + ">"  # Step 5.4.5.3
            issuer_copy = result_issuer  # Step 5.4.5.4
            if chosen_path and len(path) >= len(chosen_path) and path > chosen_path:
                return None
        return path, issuer_copy


_SUPPLEMENTARY: Final = re.compile("[\U00010000-\U0010ffff]")


def has_supplementary(text: str) -> bool:
    """True if ``text`` has a character above U+FFFF (ten times faster than a regex search)."""
    return len(text.encode("utf-16-le", "surrogatepass")) != 2 * len(text)


def _utf16_key(line: str) -> bytes:
    return line.encode("utf-16-be", "surrogatepass")


def _check_utf16_order(sorted_lines: Sequence[str]) -> None:
    """Raise :class:`Utf16OrderError` if UTF-16 code unit order would sort differently."""
    if not any(_SUPPLEMENTARY.search(line) for line in sorted_lines):
        return
    # Two total orders agree on a list iff they agree on every adjacent pair of it.
    for a, b in pairwise(sorted_lines):
        if _utf16_key(a) > _utf16_key(b):
            raise Utf16OrderError(
                "code point order and UTF-16 order of the N-Quads differ (characters above U+FFFF "
                "next to U+E000–U+FFFF); rdf-canonize would sort this dataset differently"
            )


def canonicalize_with_map(
    quads: Iterable[Quad],
    *,
    hash_algorithm: HashAlgorithm = "sha256",
    work_factor: int = DEFAULT_WORK_FACTOR,
    reject_utf16_divergence: bool = False,
) -> tuple[str, dict[str, str]]:
    """Run RDFC-1.0 on ``quads``.

    Returns the serialized canonical form (sorted canonical N-Quads, each line ending in LF;
    ``""`` for an empty dataset) and the issued identifiers map (input blank node label without
    ``_:`` -> canonical label such as ``c14n0``).

    Raises :class:`PoisonedDatasetError` past the work limit, :class:`Utf16OrderError` when
    ``reject_utf16_divergence`` is set and rdf-canonize would order the lines differently, and
    :class:`RdfcError` for terms that are not valid Unicode.
    """
    quads = list(quads)
    state = _Canonicalizer(quads, hash_algorithm, work_factor)
    text = "".join(state.run())
    # Every term appears in the output, so without a character above U+FFFF there the two
    # orders agree everywhere; otherwise run again checking each sort (rare, so not optimised).
    if reject_utf16_divergence and has_supplementary(text):
        checking = _Canonicalizer(quads, hash_algorithm, work_factor)
        checking.check_utf16 = True
        checking.run()
    issued = {node[2:]: label for node, label in state.canonical_issuer.issued.items()}
    return text, issued


def canonicalize(
    quads: Iterable[Quad],
    *,
    hash_algorithm: HashAlgorithm = "sha256",
    work_factor: int = DEFAULT_WORK_FACTOR,
    reject_utf16_divergence: bool = False,
) -> str:
    """Return the RDFC-1.0 serialized canonical form of ``quads`` (see :func:`canonicalize_with_map`)."""
    return canonicalize_with_map(
        quads,
        hash_algorithm=hash_algorithm,
        work_factor=work_factor,
        reject_utf16_divergence=reject_utf16_divergence,
    )[0]


def canonicalize_nquads(text: str, *, hash_algorithm: HashAlgorithm = "sha256") -> str:
    """Parse N-Quads ``text`` and return its RDFC-1.0 canonical form."""
    return canonicalize(parse_nquads(text), hash_algorithm=hash_algorithm)


def quads_from_pyld(
    dataset: Mapping[str, Sequence[Mapping[str, Mapping[str, str]]]], default_graph: str = ""
) -> list[Quad]:
    """Convert a pyld ``to_rdf`` dataset (graph name -> triples of term dicts) to quads.

    Triples of ``@default`` go to ``default_graph`` (the default graph unless given).
    """
    quads: list[Quad] = []
    for graph_name, triples in dataset.items():
        graph = default_graph if graph_name == "@default" else _pyld_node(graph_name)
        for triple in triples:
            o = triple["object"]
            if o["type"] == "literal":
                obj = literal(o["value"], o.get("datatype", XSD_STRING), o.get("language"))
            else:
                obj = _pyld_node(o["value"])
            quads.append(
                (_pyld_node(triple["subject"]["value"]), _pyld_node(triple["predicate"]["value"]), obj, graph)
            )
    return quads


def _pyld_node(value: str) -> str:
    return value if value.startswith("_:") else iri(value)


__all__ = [
    "DEFAULT_WORK_FACTOR",
    "LITERAL_NEEDS_ESCAPE",
    "RDF_LANGSTRING",
    "XSD_STRING",
    "HashAlgorithm",
    "NQuadsSyntaxError",
    "PoisonedDatasetError",
    "Quad",
    "RdfcError",
    "Utf16OrderError",
    "blank_node",
    "canonicalize",
    "canonicalize_nquads",
    "canonicalize_with_map",
    "escape_iri",
    "escape_literal",
    "has_supplementary",
    "iri",
    "is_blank",
    "literal",
    "parse_nquads",
    "quads_from_pyld",
    "serialize_nquads",
    "serialize_quad",
]
