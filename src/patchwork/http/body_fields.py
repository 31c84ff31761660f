"""Request bodies of the worker API: form fields or a JSON object, read within a cap.

Bad input is a 400 (413 when too large) with a message, never a 500.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from flask import request
from werkzeug.exceptions import BadRequest, HTTPException

from patchwork.db.types import LONE_SURROGATE, storable_text
from patchwork.http.errors import ApiError

MAX_JSON_BYTES = 16 * 1024 * 1024
_DAY = re.compile(r"([0-9]{4})-?([0-9]{2})-?([0-9]{2})")


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
    fields: Mapping[str, Any],
    name: str,
    *,
    max_length: int = 4000,
    drop_nul: bool = False,
    label: str | None = None,
) -> str | None:
    """A text field; ``label`` names it in the messages (``filters.title_include``).

    A NUL or a lone UTF-16 surrogate (a JSON ``\\ud800`` escape) in it is a 400: no database
    stores either the same way (PostgreSQL refuses a NUL, every driver fails to encode a
    surrogate). Text that describes a video is kept instead (``drop_nul``): without its NULs,
    a surrogate replaced by U+FFFD.
    """
    shown = label or name
    value = fields.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ApiError(400, f"{shown} must be text")
    if not drop_nul and "\x00" in value:
        raise ApiError(400, f"{shown} must not contain NUL characters")
    if not drop_nul and LONE_SURROGATE.search(value):
        raise ApiError(400, f"{shown} is not valid text (a lone UTF-16 surrogate)")
    value = storable_text(value)
    if len(value) > max_length:
        raise ApiError(400, f"{shown} is too long (at most {max_length} characters)")
    return value


def day_field(fields: Mapping[str, Any], name: str, *, label: str | None = None) -> date | None:
    """A day, ``YYYY-MM-DD`` (or yt-dlp's ``YYYYMMDD``); empty or missing: ``None``."""
    shown = label or name
    value = fields.get(name)
    if value is None or value == "":
        return None
    match = _DAY.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ApiError(400, f"{shown} must be a day, YYYY-MM-DD")
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        raise ApiError(400, f"{shown} is not a real day") from None


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
