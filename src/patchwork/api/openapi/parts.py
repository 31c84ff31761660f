"""Building blocks for the OpenAPI document: parameters, answers, operations."""

from __future__ import annotations

from typing import Any

from patchwork.api.openapi.schemas import Schema, ref

AUTH: list[dict[str, list[str]]] = [{"token": []}, {"bearer": []}]

ERROR_TEXT = {
    400: "Bad input; the message says which parameter.",
    401: "No token, or an unknown or revoked one.",
    403: "A live token of a role that may not do this.",
    404: "Not found.",
    409: "The job is not in a state that allows this (e.g. the lease is held by another).",
    412: "A precondition (If-Match, If-Unmodified-Since) failed.",
    413: "The body is larger than allowed.",
    416: "The range cannot be satisfied; Content-Range names the size.",
    429: "Rate limited; Retry-After says when to come back.",
    500: "Unexpected failure (a bug): the JSON error shape, never a traceback.",
    503: "The database or storage cannot be reached; Retry-After says when to retry.",
}
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}}


def query(name: str, schema: Schema, description: str, *, required: bool = False) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": schema,
    }


def path(name: str, description: str, schema: Schema | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": schema or {"type": "string", "minLength": 1},
    }


def header(name: str, description: str, schema: Schema | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "header",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def json_answer(description: str, schema: Schema) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def text_answer(description: str, values: list[str]) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"text/plain": {"schema": {"type": "string", "enum": values}}},
    }


def errors(*statuses: int) -> dict[str, Any]:
    """Error answers: always 429, 500 and 503, plus the statuses named."""
    answers: dict[str, Any] = {}
    for status in sorted({*statuses, 429, 500, 503}):
        answer = json_answer(ERROR_TEXT[status], ref("Error"))
        if status in (429, 503):
            answer["headers"] = RETRY_AFTER
        answers[str(status)] = answer
    return answers


def operation(
    summary: str,
    tag: str,
    answers: dict[str, Any],
    *,
    parameters: list[dict[str, Any]] | None = None,
    body: dict[str, Any] | None = None,
    auth: bool = False,
    description: str | None = None,
    operation_id: str | None = None,
) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "tags": [tag], "responses": answers}
    if operation_id:
        op["operationId"] = operation_id
    if description:
        op["description"] = description
    if parameters:
        op["parameters"] = parameters
    if body:
        op["requestBody"] = body
    if auth:
        op["security"] = AUTH
    return op


def form_or_json(properties: dict[str, Schema], required: list[str]) -> dict[str, Any]:
    """A body sent as a form (the original's clients) or as a JSON object."""
    schema = {"type": "object", "properties": properties, "required": required}
    return {
        "required": bool(required),
        "content": {
            "application/x-www-form-urlencoded": {"schema": schema},
            "application/json": {"schema": schema},
        },
    }
