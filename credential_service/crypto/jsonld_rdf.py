"""JSON-LD to RDF in safe mode, and the canonical N-Quads (RDFC-1.0) that Data Integrity hashes.

The expansion is :func:`.jsonld.expand_safe`'s (pinned contexts, safe mode, memoised contexts); this
module turns the expanded document into quads as jsonld.js does (blank nodes ``_:b0``, ``_:b1``…)
and canonicalises them with :mod:`.rdfc`. Documents of a shape already seen take the fast path of
:mod:`.jsonld_shapes` (the same quads, filled into a template compiled once from this module's
general path); anything it does not know takes the general path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyld import jsonld as _pyld
from pyld.identifier_issuer import IdentifierIssuer

from . import rdfc
from .jsonld import (
    CanonicalizationError,
    JsonLdError,
    SafeProcessor,
    UnsafeValueError,
    as_jsonld_error,
    expand_safe,
    processing_options,
)
from .jsonld_shapes import ShapeCache


def to_rdf_safe(document: Mapping[str, Any], *, memoise: bool = True) -> list[rdfc.Quad]:
    """Convert ``document`` to an RDF dataset (list of :data:`.rdfc.Quad`) in safe mode.

    Blank nodes are labelled ``_:b0``, ``_:b1``… as by jsonld.js. ``memoise=False`` runs plain
    pyld context processing (used to check that memoisation changes nothing). Raises as
    :func:`expand_safe`.
    """
    expanded = expand_safe(document, memoise=memoise)
    processor = SafeProcessor(memoise=memoise)
    options = processing_options()
    issuer = IdentifierIssuer("_:b")
    try:
        # JSON-LD 1.1 API §"Deserialize JSON-LD to RDF": node map, then each graph to triples.
        node_map: dict[str, Any] = {"@default": {}}
        processor._create_node_map(expanded, node_map, "@default", issuer)
        quads: list[rdfc.Quad] = []
        for graph_name, graph in sorted(node_map.items()):
            if graph_name == "@default":
                _graph_to_quads(processor, graph, "", issuer=issuer, options=options, out=quads)
            elif _pyld._is_absolute_iri(graph_name):
                graph_term = graph_name if graph_name.startswith("_:") else rdfc.iri(graph_name)
                _graph_to_quads(processor, graph, graph_term, issuer=issuer, options=options, out=quads)
        return quads
    except JsonLdError:
        raise
    except RecursionError as exc:
        raise JsonLdError("the document is nested too deeply") from exc
    except Exception as exc:  # as in expand_safe
        raise as_jsonld_error(exc) from exc


def _graph_to_quads(
    processor: SafeProcessor,
    graph: Mapping[str, Any],
    graph_term: str,
    *,
    issuer: Any,
    options: Mapping[str, Any],
    out: list[rdfc.Quad],
) -> None:
    """pyld's ``_graph_to_rdf`` writing quads directly, in the same order and with the same
    issuer calls. Node references and plain string literals are converted here; every other
    object (numbers, booleans, lists, @json, xsd:double strings…) goes through pyld's own
    ``_object_to_rdf`` so that its conversion rules apply unchanged."""
    is_absolute = _pyld._is_absolute_iri
    for node_id, node in sorted(graph.items()):
        if not is_absolute(node_id):
            continue  # relative subjects are skipped by pyld (and refused earlier in safe mode)
        subject = node_id if node_id.startswith("_:") else rdfc.iri(node_id)
        for key, items in sorted(node.items()):
            if key == "@type":
                prop = _pyld.RDF_TYPE
            elif _pyld._is_keyword(key):
                continue
            else:
                prop = key
            if not is_absolute(prop) or prop.startswith("_:"):
                continue  # not RDF (generalized RDF is off)
            predicate = rdfc.iri(prop)
            for item in items:
                obj: str | None
                if isinstance(item, str):  # a @type value
                    obj = item if item.startswith("_:") else (rdfc.iri(item) if is_absolute(item) else None)
                elif len(item) == 1 and "@id" in item:
                    ref = item["@id"]
                    obj = ref if ref.startswith("_:") else (rdfc.iri(ref) if is_absolute(ref) else None)
                elif (
                    isinstance(item.get("@value"), str)
                    and "@direction" not in item
                    and item.get("@type") not in ("@json", _pyld.XSD_DOUBLE)
                ):
                    if "@language" in item:
                        obj = rdfc.literal(item["@value"], _pyld.RDF_LANGSTRING, item["@language"])
                    else:
                        obj = rdfc.literal(item["@value"], item.get("@type") or rdfc.XSD_STRING)
                else:
                    triples: list[Any] = []
                    converted = processor._object_to_rdf(item, issuer, triples, options)
                    out.extend(rdfc.quads_from_pyld({"@default": triples}, graph_term))
                    obj = None if converted is None else _term_from_pyld(converted)
                if obj is not None:
                    out.append((subject, predicate, obj, graph_term))


def _term_from_pyld(term: Mapping[str, str]) -> str:
    if term["type"] == "literal":
        return rdfc.literal(term["value"], term.get("datatype", rdfc.XSD_STRING), term.get("language"))
    value = term["value"]
    return value if value.startswith("_:") else rdfc.iri(value)


SHAPES: ShapeCache = ShapeCache(to_rdf_safe)
"""Compiled credential shapes, process-wide (see :mod:`.jsonld_shapes`)."""


def canonicalize(document: Mapping[str, Any], *, memoise: bool = True, fast: bool = True) -> str:
    """Return the RDFC-1.0 canonical N-Quads of ``document`` (safe mode), ending in a newline.

    ``fast`` lets a document of a known shape skip JSON-LD processing (:mod:`.jsonld_shapes`;
    same output); ``fast=False`` or ``memoise=False`` always takes the general path.

    Raises :class:`DataLossError`, :class:`UnsafeValueError` (also when rdf-canonize would sort
    the N-Quads differently), :class:`UnknownContextError`, :class:`CanonicalizationError`
    (poisoned dataset) or :class:`JsonLdError`.
    """
    quads = SHAPES.quads(document) if fast and memoise else None
    if quads is None:
        quads = to_rdf_safe(document, memoise=memoise)
    try:
        return rdfc.canonicalize(quads, reject_utf16_divergence=True)
    except rdfc.Utf16OrderError as exc:
        raise UnsafeValueError(str(exc), "") from exc
    except rdfc.RdfcError as exc:
        raise CanonicalizationError(str(exc)) from exc
