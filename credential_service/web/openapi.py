"""The OpenAPI document says every error an operation can answer, in the shape it is answered.

Some errors come from one place for every route rather than from the route itself: a body that is
not JSON (400) or too large (413, BodySizeLimit), a request that breaks the declared schema (422),
no or a bad token (401) and a role that may not call it (403, via ``CurrentPrincipal``), a path
whose resource does not exist (404), a process at its admission limit (503, web.admission).
Declaring those by hand on ~80 routes drifts; they are added here from what each route actually
has (a body, parameters, the principal dependency). Errors that only some routes raise (409, 415,
429) stay declared on those routes. Every error is an RFC 9457 problem document
(``application/problem+json``), never FastAPI's default ``HTTPValidationError``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from credential_service.web.http import PROBLEM, get_principal

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; ``errors`` lists each field problem (loc, reason).",
    "type": "object",
    "required": ["type", "title", "status", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "code": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["loc", "reason"],
                "properties": {"loc": {"type": "string"}, "reason": {"type": "string"}},
            },
        },
    },
}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
SHARED_DESCRIPTIONS = {
    "400": "the body is not valid JSON",
    "401": "no, an expired or a bad access token",
    "403": "this role (or tenant) may not do this",
    "404": "no such resource",
    "413": "the body is larger than the limit",
    "422": "the request breaks the schema or a rule: which field and why",
    "503": "the service is busy (its admission limit, decision 043) or the database is out of reach: "
    "try again after Retry-After seconds",
}
HTTP_METHODS = ("get", "put", "post", "delete", "patch")


def api_routes(routes: list[BaseRoute]) -> Iterator[tuple[str, APIRoute]]:
    """(path, route) of every API route, through included routers (FastAPI ≥ 0.160 keeps them
    nested; earlier versions flatten them into ``app.routes``)."""
    try:
        from fastapi.routing import iter_route_contexts  # type: ignore[attr-defined,unused-ignore]
    except ImportError:  # pragma: no cover - older FastAPI
        for route in routes:
            if isinstance(route, APIRoute):
                yield route.path_format, route
        return
    for context in iter_route_contexts(routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            yield str(context.path_format or route.path_format), route


def _depends_on(dependant: Dependant, call: Callable[..., Any]) -> bool:
    return any(d.call is call or _depends_on(d, call) for d in dependant.dependencies)


def _has_parameters(dependant: Dependant) -> bool:
    flat = [*dependant.path_params, *dependant.query_params, *dependant.header_params]
    return bool(flat or dependant.body_params) or any(_has_parameters(d) for d in dependant.dependencies)


def _problem_content(response: dict[str, Any]) -> None:
    content: dict[str, Any] = response.setdefault("content", {})
    default = content.get("application/json", {}).get("schema", {})
    if default.get("$ref", "").endswith("/HTTPValidationError"):
        del content["application/json"]  # our handler answers a problem document instead
    content.setdefault(PROBLEM, {"schema": PROBLEM_REF})


def complete_error_responses(document: dict[str, Any], routes: list[BaseRoute]) -> dict[str, Any]:
    """Add the shared error answers to each operation of ``document`` (in place; returned)."""
    document.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    for path, route in api_routes(routes):
        operations = document.get("paths", {}).get(path, {})
        for method in route.methods or ():
            operation = operations.get(method.lower())
            if operation is None:
                continue
            responses: dict[str, Any] = operation.setdefault("responses", {})
            shared = ["503"]  # any request may find the process at its admission limit
            if route.body_field is not None or "requestBody" in operation:
                shared += ["400", "413"]
            if _has_parameters(route.dependant) or "requestBody" in operation:
                shared.append("422")
            if _depends_on(route.dependant, get_principal):
                shared += ["401", "403"]
            if route.dependant.path_params:
                shared.append("404")
            for status in shared:
                responses.setdefault(status, {"description": SHARED_DESCRIPTIONS[status]})
            for status, response in responses.items():
                if status.startswith("4") or status == "503":
                    _problem_content(response)
    schemas = document["components"]["schemas"]
    _hoist_defs(document.get("paths", {}), schemas)
    if "/HTTPValidationError" not in json.dumps(document["paths"]):  # FastAPI's, now unused
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
    return document


def _hoist_defs(node: Any, schemas: dict[str, Any]) -> None:
    """A schema given by hand (``openapi_extra``, a model's ``model_json_schema()``) keeps its
    models in a nested ``$defs`` that its ``#/$defs/…`` refs cannot reach from the document root:
    move them to ``components/schemas`` and point the refs there. A name already taken there by a
    different schema is a programming error (ValueError), never a silent overwrite."""
    if isinstance(node, list):
        for item in node:
            _hoist_defs(item, schemas)
        return
    if not isinstance(node, dict):
        return
    defs = node.pop("$defs", None)
    if isinstance(defs, dict):
        _rewrite_refs(node)
        for name, schema in defs.items():
            _rewrite_refs(schema)
            if schemas.setdefault(name, schema) != schema:
                raise ValueError(f"OpenAPI: two different schemas named {name}")
    for value in node.values():
        _hoist_defs(value, schemas)


def _rewrite_refs(node: Any) -> None:
    if isinstance(node, list):
        for item in node:
            _rewrite_refs(item)
    elif isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            node["$ref"] = "#/components/schemas/" + ref.removeprefix("#/$defs/")
        for value in node.values():
            _rewrite_refs(value)


def install(app: FastAPI, *, deployment_values: Mapping[str, str] | None = None) -> None:
    """Make ``app.openapi()`` return the completed document (built once, then cached by FastAPI).

    ``deployment_values`` replaces example values that differ from one deployment to another (the
    platform's DID): every example in ``/docs`` then works on the deployment that serves it.
    """
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = complete_error_responses(build(), app.routes)
            app.openapi_schema = replace_values(document, deployment_values or {})
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def replace_values(node: Any, values: Mapping[str, str]) -> Any:
    """A copy of ``node`` with each string that is a key of ``values`` replaced by its value."""
    if isinstance(node, dict):
        return {key: replace_values(value, values) for key, value in node.items()}
    if isinstance(node, list):
        return [replace_values(item, values) for item in node]
    return values.get(node, node) if isinstance(node, str) else node


def answer(description: str, media_type: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    """A ``responses=`` entry for an answer that is not plain JSON (a DID document, CSV, a PDF…)."""
    return {"description": description, "content": {media_type: {"schema": schema or {}}}}
