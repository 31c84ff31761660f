"""RFC 9110 byte ranges and conditional requests, free of Flask so it can be tested alone.

The functions take raw header values (``None`` when absent) and the representation's
validators, and answer what the response should be:

- :func:`precondition_status`: 304 (not modified), 412 (precondition failed) or ``None``.
- :func:`requested_range`: the single byte range to send, ``None`` for the whole file, or
  :class:`RangeNotSatisfiable` (416).

Only single ranges are honoured; a multi-range request gets the whole file (RFC 9110
§14.2 lets a server ignore Range), as does anything malformed or in another unit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from werkzeug.http import http_date, parse_date, parse_etags

from patchwork.errors import NotSatisfiable

#: ``bytes=first-last``, ``bytes=first-``, ``bytes=-suffix`` with optional whitespace.
_SINGLE_RANGE = re.compile(r"[ \t]*([0-9]*)[ \t]*-[ \t]*([0-9]*)[ \t]*\Z", re.ASCII)
_BYTES_UNIT = re.compile(r"[ \t]*bytes[ \t]*=", re.ASCII | re.IGNORECASE)
#: Digits beyond this are no real offset; refusing them keeps int() cheap on hostile input.
_MAX_DIGITS = 20
#: etagc = %x21 / %x23-7E (obs-text excluded: storage validators are ASCII).
_ETAG_CHARS = re.compile(r"[\x21\x23-\x7e]*\Z")


class RangeNotSatisfiable(NotSatisfiable):
    """The single range requested lies entirely beyond the end of the representation: 416.

    Answered with ``Content-Range: bytes */size`` (:attr:`content_range`), as RFC 9110 asks.
    """

    def __init__(self, size: int) -> None:
        super().__init__(f"range not satisfiable for a representation of {size} bytes")
        self.size = size

    public_message = "Range not satisfiable"  # the size is in Content-Range already

    @property
    def content_range(self) -> str:
        return f"bytes */{self.size}"

    def headers(self) -> dict[str, str]:
        return {"Content-Range": self.content_range, "Accept-Ranges": "bytes"}


@dataclass(frozen=True, slots=True)
class ByteRange:
    start: int
    #: Inclusive, like the header.
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end}/{size}"


@dataclass(frozen=True, slots=True)
class Validators:
    """A representation's validators: an opaque strong entity tag and its modification time."""

    #: Without quotes, e.g. ``5f3a-17b0``.
    etag: str
    modified: datetime

    def __post_init__(self) -> None:
        if not _ETAG_CHARS.match(self.etag):
            raise ValueError(f"not a valid entity-tag value: {self.etag!r}")

    @property
    def etag_header(self) -> str:
        return f'"{self.etag}"'

    @property
    def last_modified(self) -> datetime:
        """Second precision, as HTTP dates have."""
        modified = self.modified
        if modified.tzinfo is None:
            modified = modified.replace(tzinfo=UTC)
        return modified.astimezone(UTC).replace(microsecond=0)

    @property
    def last_modified_header(self) -> str:
        return http_date(self.last_modified)


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The single range ``header`` asks for within ``size`` bytes.

    ``None``: serve the whole representation (no header, a malformed one, another unit, or
    several ranges).  Raises :class:`RangeNotSatisfiable` for a valid single range that
    selects nothing.
    """
    if header is None:
        return None
    unit = _BYTES_UNIT.match(header)
    if unit is None:
        return None
    spec = header[unit.end() :]
    if "," in spec:
        return None  # multi-range: whole file with 200
    match = _SINGLE_RANGE.match(spec)
    if match is None:
        return None
    first, last = match.group(1), match.group(2)
    if len(first) > _MAX_DIGITS or len(last) > _MAX_DIGITS:
        return None
    if first:
        start = int(first)
        if last:
            end = int(last)
            if end < start:
                return None  # invalid, so ignored (RFC 9110 §14.1.1)
        else:
            end = size - 1
        if start >= size:
            raise RangeNotSatisfiable(size)
        return ByteRange(start, min(end, size - 1))
    if not last:
        return None  # "bytes=-"
    suffix = int(last)
    if suffix == 0 or size == 0:
        raise RangeNotSatisfiable(size)
    return ByteRange(max(size - suffix, 0), size - 1)


def precondition_status(
    method: str,
    validators: Validators,
    *,
    if_match: str | None = None,
    if_none_match: str | None = None,
    if_modified_since: str | None = None,
    if_unmodified_since: str | None = None,
) -> int | None:
    """Evaluate the preconditions in the order of RFC 9110 §13.2.2.

    Returns 412, 304, or ``None`` when the request proceeds normally.
    """
    safe = method in ("GET", "HEAD")
    if if_match is not None:
        tags = parse_etags(if_match)
        # Strong comparison; "*" matches any existing representation.
        if not (tags.star_tag or tags.contains(validators.etag)):
            return 412
    elif if_unmodified_since is not None:
        since = parse_date(if_unmodified_since)
        if since is not None and validators.last_modified > since:
            return 412
    if if_none_match is not None:
        tags = parse_etags(if_none_match)
        # Weak comparison: W/"x" matches "x".
        if tags.star_tag or tags.contains_weak(validators.etag):
            return 304 if safe else 412
    elif if_modified_since is not None and safe:
        since = parse_date(if_modified_since)
        if since is not None and validators.last_modified <= since:
            return 304
    return None


def if_range_holds(if_range: str | None, validators: Validators) -> bool:
    """Whether a Range header may be honoured given ``If-Range`` (RFC 9110 §13.1.5).

    An entity tag must match strongly (a weak tag never does); a date must equal
    Last-Modified exactly.  Anything else means "send the whole, current representation".
    """
    if if_range is None:
        return True
    value = if_range.strip()
    if value.startswith(("W/", "w/")):
        return False
    if value.startswith('"'):
        return value == validators.etag_header
    date = parse_date(value)
    return date is not None and date == validators.last_modified


def requested_range(
    range_header: str | None,
    if_range: str | None,
    size: int,
    validators: Validators,
) -> ByteRange | None:
    """The range to send for a GET/HEAD, honouring If-Range; raises RangeNotSatisfiable."""
    if range_header is None or not if_range_holds(if_range, validators):
        return None
    return parse_range(range_header, size)
