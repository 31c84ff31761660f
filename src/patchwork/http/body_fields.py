"""Request bodies of the worker API: form fields or a JSON object, read within a cap.

Bad input is a 400 (413 when too large) with a message, never a 500.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import request
from werkzeug.exceptions import BadRequest, HTTPException

from patchwork.http.errors import ApiError

MAX_JSON_BYTES = 16 * 1024 * 1024


def body_fields() -> Mapping[str, Any]:
    """Form fields or a JSON object, whichever the caller sent."""
    if request.content_length is not None and request.content_length > MAX_JSON_BYTES:
        raise ApiError(413, "Request body too large")
    # The cap also applies while reading, so a chunked body (no Content-Length) cannot grow
    # past it either. werkzeug stops reading at the cap without a word, hence one byte
    # more: a body that reaches it is too large.
    request.max_content_length = MAX_JSON_BYTES + 1
    try:
        data = request.get_data(cache=True)  # form and JSON parsing then read this copy
    except HTTPException:
        raise  # 400 for a client that went away
    except Exception:
        # A cut chunked body: werkzeug's server raises OSError, gunicorn its own errors.
        raise ApiError(400, "The request body was cut off before its end") from None
    if len(data) > MAX_JSON_BYTES:
        raise ApiError(413, "Request body too large")
    if request.is_json:
        try:
            body = request.get_json()
        except BadRequest:
            raise ApiError(400, "The body is not valid JSON") from None
        if not isinstance(body, dict):
            raise ApiError(400, "The body must be a JSON object")
        return body
    return request.form


def text_field(
    fields: Mapping[str, Any], name: str, *, max_length: int = 4000, drop_nul: bool = False
) -> str | None:
    """A text field; a NUL in it is a 400 (no database stores it the same way; PostgreSQL
    refuses it), unless the text describes a video and is kept without it (``drop_nul``)."""
    value = fields.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ApiError(400, f"{name} must be text")
    if "\x00" in value:
        if not drop_nul:
            raise ApiError(400, f"{name} must not contain NUL characters")
        value = value.replace("\x00", "")
    if len(value) > max_length:
        raise ApiError(400, f"{name} is too long (at most {max_length} characters)")
    return value


def int_field(fields: Mapping[str, Any], name: str, default: int) -> int:
    value = fields.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise ApiError(400, f"{name} must be a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit() and len(value) < 10:
        return int(value)
    raise ApiError(400, f"{name} must be a whole number")


def wants_json() -> bool:
    return request.is_json or request.accept_mimetypes.best == "application/json"
