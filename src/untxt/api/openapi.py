"""The error answers of the OpenAPI document: every problem an operation can return,
as ``application/problem+json`` (docs/errors.md lists the problem types).

FastAPI documents only the success and a 422 of its own shape; this adds the rest
by rule, so that clients and schema-driven tests see the real contract.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI

from untxt.api.problems import PROBLEM_MEDIA_TYPE

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An RFC 9457 problem; `type` names the kind (see docs/errors.md).",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}},
        "item": {"type": "integer"},
        "request_id": {"type": "string"},
    },
    "additionalProperties": True,
}
_REF = {"$ref": "#/components/schemas/Problem"}
_RATE_LIMIT_HEADERS = {
    "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}},
    "RateLimit": {"description": "Requests left in the window.", "schema": {"type": "string"}},
    "RateLimit-Policy": {"description": "The limit and its window.", "schema": {"type": "string"}},
}
# Every /v1 operation: a URL with control characters, no credential, not allowed, over a
# rate limit, database down.
_EVERY_V1 = (400, 401, 403, 429, 503)
_UPLOADS = (413, 415)
#: Problems particular to an operation, beyond what the rules below give it.
_PARTICULAR: dict[str, tuple[int, ...]] = {
    "POST /v1/documents": _UPLOADS,
    "POST /v1/ocr": _UPLOADS,
    "POST /v1/compare": _UPLOADS,
    "POST /v1/jobs/batch": (404, *_UPLOADS),
    "POST /v1/jobs": (404,),
    # A document_ids entry that names none of the caller's documents.
    "POST /v1/ask": (404,),
    "POST /v1/jobs/{job_id}/cancel": (409,),
    "DELETE /v1/jobs/{job_id}": (409,),
    "GET /v1/jobs/{job_id}/result": (409,),
    "POST /v1/api-keys": (409,),
    "POST /v1/users": (409,),
}
_HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def _problem(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": HTTPStatus(status).phrase,
        "content": {PROBLEM_MEDIA_TYPE: {"schema": _REF}},
    }
    if status == 429:
        response["headers"] = _RATE_LIMIT_HEADERS
    return response


def _statuses(label: str, path: str, operation: dict[str, Any]) -> set[int]:
    statuses = set(_PARTICULAR.get(label, ()))
    if path.startswith("/v1/"):
        statuses.update(_EVERY_V1)
    parameters = operation.get("parameters", [])
    if any(p.get("in") == "path" for p in parameters):
        statuses.add(404)
    if parameters or "requestBody" in operation:
        statuses.add(422)
    # A body that is not even JSON or form data; a malformed Idempotency-Key.
    if "requestBody" in operation or any(
        p.get("name", "").lower() == "idempotency-key" for p in parameters
    ):
        statuses.add(400)
    return statuses


def add_problem_responses(schema: dict[str, Any]) -> dict[str, Any]:
    """Document the problems of every operation of ``schema``, in place; returns it."""
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in _HTTP_METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status in _statuses(f"{method.upper()} {path}", path, operation):
                existing = responses.get(str(status))
                # FastAPI's own 422 describes a JSON shape the API never sends.
                if existing is None or status == 422:
                    responses[str(status)] = _problem(status)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    # FastAPI's validation-error shapes, unused once every 422 is a problem.
    for unused in ("HTTPValidationError", "ValidationError"):
        others = {name: body for name, body in components.items() if name != unused}
        if unused in components and f'/{unused}"' not in json.dumps([schema["paths"], others]):
            del components[unused]
    return schema


def install_problem_docs(app: FastAPI) -> None:
    """Make ``app``'s OpenAPI document list the problems each operation can return."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = add_problem_responses(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
