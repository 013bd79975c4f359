"""The OpenAPI document says what every error looks like: one ``Problem`` schema (RFC 9457,
``application/problem+json``) for every 4xx and 5xx of every operation, in place of FastAPI's
default ``HTTPValidationError``, so clients and contract tests can rely on it."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

PROBLEM_JSON = "application/problem+json"

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An RFC 9457 problem document. A 422 lists each offending field in `errors`.",
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "description": "A URI naming the kind of problem"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string", "description": "The request path"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
    "additionalProperties": True,
}

_SCHEMA_DEFS = "x-csq-schema-defs"  # carried by documented_body, moved into components


def documented_body(model: type[BaseModel], media_type: str = "application/json") -> dict[str, Any]:
    """``openapi_extra`` documenting the request body of a route that reads its body raw (a signed
    webhook parses the bytes itself, so FastAPI cannot see the model)."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    definitions = schema.pop("$defs", {})
    definitions[model.__name__] = schema
    return {
        "requestBody": {"required": True, "content": {media_type: {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}},
        _SCHEMA_DEFS: definitions,
    }


_PROBLEM_RESPONSE = {"content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
_ERROR_RANGES = {"4XX": "Client error (problem+json)", "5XX": "Server error or a dependency away (problem+json)"}


def document_problems(document: dict[str, Any]) -> dict[str, Any]:
    """Rewrite ``document`` in place: every operation's error responses are problem+json, and
    the bodies declared with ``documented_body`` are components."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["Problem"] = PROBLEM_SCHEMA
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            schemas.update(operation.pop(_SCHEMA_DEFS, {}))
            responses = operation["responses"]
            for status in [code for code in responses if code[:1] in "45"]:
                description = responses[status].get("description") or "Error"
                responses[status] = {"description": description, **_PROBLEM_RESPONSE}
            for status_range, description in _ERROR_RANGES.items():
                responses.setdefault(status_range, {"description": description, **_PROBLEM_RESPONSE})
    return document


def install(app: FastAPI) -> None:
    """Serve the rewritten document at ``/openapi.json`` (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            app.openapi_schema = document_problems(document)
        return app.openapi_schema

    app.openapi = openapi
