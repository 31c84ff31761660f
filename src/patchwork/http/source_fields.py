"""A source as the JSON API spells it: the fields of ``POST``/``PATCH /api/sources`` read into
a :class:`~patchwork.archive.sources.catalog.SourceSpec`.

Every refusal is a 400 naming the field, ``filters.min_duration`` rather than "a duration";
text and days are read by :mod:`patchwork.http.body_fields`, as every other body's fields.
``filters`` and ``options`` given on a change are merged onto the source's current ones: a
field left out keeps its value, ``null`` clears it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import fields as fields_of
from dataclasses import replace
from typing import Any, Final

from patchwork.archive.sources.catalog import SourceSpec
from patchwork.archive.sources.rules import (
    ArchiveOptions,
    InvalidRule,
    SourceFilters,
    parse_interval,
)
from patchwork.http.body_fields import day_field, text_field

#: The key of a source's row is its normalised URL, which must fit its 512-character column
#: (normalising may add a ``/``).
MAX_URL_LENGTH: Final = 500
TOP_LEVEL: Final = frozenset(
    {"url", "name", "scan_every", "enabled", "first_scan_limit", "filters", "options"}
)
FILTER_FIELDS: Final = frozenset(f.name for f in fields_of(SourceFilters))
OPTION_FIELDS: Final = frozenset(f.name for f in fields_of(ArchiveOptions))
# Far beyond any interval or duration a check accepts, so the check's own message is the one
# given; below it no arithmetic on the number can overflow a column.
_LARGEST_NUMBER: Final = 10**12


def spec_from_fields(fields: Mapping[str, Any], *, creating: bool) -> SourceSpec:
    """What ``fields`` ask a source to be: a new one (``creating``) from the defaults, or a
    change of only the fields given (merged by the service under the source's lock)."""
    unknown = sorted(set(fields) - TOP_LEVEL)
    if unknown:
        raise InvalidRule(f"unknown field {unknown[0]!r} (known: {', '.join(sorted(TOP_LEVEL))})")
    url = _text(fields, "url", max_length=MAX_URL_LENGTH)
    if creating and not url:
        raise InvalidRule("url is required")
    if not creating and "url" in fields:
        raise InvalidRule("a source's url cannot change: add a new source")
    every = fields.get("scan_every")
    filter_changes = _filter_changes(fields.get("filters"))
    option_changes = _option_changes(fields.get("options"))
    return SourceSpec(
        url=url,
        name=_text(fields, "name", max_length=1000),
        scan_every_seconds=None if every is None else _seconds(every, "scan_every"),
        enabled=_flag(fields, "enabled"),
        first_scan_limit=_whole(fields, "first_scan_limit"),
        filters=replace(SourceFilters(), **filter_changes) if creating else None,
        options=replace(ArchiveOptions(), **option_changes) if creating else None,
        filter_changes={} if creating else filter_changes,
        option_changes={} if creating else option_changes,
    )


def flags(fields: Mapping[str, Any], allowed: frozenset[str]) -> dict[str, bool]:
    """The booleans of a body that holds only ``allowed`` ones (a scan request's)."""
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise InvalidRule(f"unknown field {unknown[0]!r} (known: {', '.join(sorted(allowed))})")
    return {name: bool(_flag(fields, name)) for name in allowed}


def _filter_changes(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    given = _object(raw, "filters", FILTER_FIELDS)
    changes: dict[str, Any] = {}
    for name in ("title_include", "title_exclude"):
        if name in given:
            # An empty pattern matches everything: the same as none.
            changes[name] = _text(given, name, max_length=10_000, where="filters.") or None
    for name in ("min_duration", "max_duration"):
        if name in given:
            value = given[name]
            changes[name] = None if value is None else _seconds(value, f"filters.{name}")
    if "uploaded_after" in given:
        changes["uploaded_after"] = day_field(
            given, "uploaded_after", label="filters.uploaded_after"
        )
    for name in ("skip_shorts", "skip_live", "skip_upcoming"):
        if name in given:
            value = _flag(given, name, where="filters.")
            if value is None:
                raise InvalidRule(f"filters.{name} must be true or false")
            changes[name] = value
    return changes


def _option_changes(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    given = _object(raw, "options", OPTION_FIELDS)
    changes: dict[str, Any] = {}
    if "max_height" in given:
        changes["max_height"] = _whole(given, "max_height", where="options.")
    if "auto_captions" in given:
        changes["auto_captions"] = _flag(given, "auto_captions", where="options.")
    return changes


def _object(raw: Any, name: str, known: frozenset[str]) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise InvalidRule(f"{name} must be an object")
    unknown = sorted(set(raw) - known)
    if unknown:
        raise InvalidRule(f"unknown field {name}.{unknown[0]} (known: {', '.join(sorted(known))})")
    return raw


def _text(fields: Mapping[str, Any], name: str, *, max_length: int, where: str = "") -> str | None:
    return text_field(fields, name, max_length=max_length, label=f"{where}{name}")


def _flag(fields: Mapping[str, Any], name: str, *, where: str = "") -> bool | None:
    value = fields.get(name)
    if value is not None and not isinstance(value, bool):
        raise InvalidRule(f"{where}{name} must be true or false")
    return value


def _whole(fields: Mapping[str, Any], name: str, *, where: str = "") -> int | None:
    value = fields.get(name)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRule(f"{where}{name} must be a whole number")
    if abs(value) > _LARGEST_NUMBER:
        raise InvalidRule(f"{where}{name} is out of range")
    return value


def _seconds(value: Any, name: str) -> int:
    """Seconds as a number, or as text such as ``6h``, ``90s`` or ``1d12h``."""
    if isinstance(value, str):
        if len(value) > 40:
            raise InvalidRule(f"{name} is too long to be a duration")
        try:
            seconds = parse_interval(value)
        except InvalidRule as exc:
            raise InvalidRule(f"{name}: {exc}") from None
    elif isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidRule(f"{name} must be seconds or a duration such as 6h")
    elif value != int(value):
        raise InvalidRule(f"{name} must be a whole number of seconds")
    else:
        seconds = int(value)
    if abs(seconds) > _LARGEST_NUMBER:
        raise InvalidRule(f"{name} is out of range")
    return seconds
