"""RFC 9110 ranges and preconditions, without Flask."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from werkzeug.http import http_date

from patchwork.http.ranges import (
    ByteRange,
    RangeNotSatisfiable,
    Validators,
    if_range_holds,
    parse_range,
    precondition_status,
    requested_range,
)

MODIFIED = datetime(2024, 5, 1, 12, 30, 15, 123456, tzinfo=UTC)
V = Validators("abc-123", MODIFIED)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-99", ByteRange(0, 99)),
        ("bytes=100-", ByteRange(100, 999)),
        ("bytes=-100", ByteRange(900, 999)),
        ("bytes=-5000", ByteRange(0, 999)),
        ("bytes=990-5000", ByteRange(990, 999)),
        ("bytes=999-999", ByteRange(999, 999)),
        ("BYTES = 1 - 2 ", ByteRange(1, 2)),
        ("bytes=0-", ByteRange(0, 999)),
    ],
)
def test_single_ranges(header: str, expected: ByteRange) -> None:
    assert parse_range(header, 1000) == expected


@pytest.mark.parametrize(
    "header",
    [
        "bytes=0-1,5-6",  # multi-range: whole file
        "bytes=5-1",  # last < first: invalid, ignored
        "bytes=-",
        "bytes=",
        "items=0-1",
        "bytes=a-b",
        "bytes=1_0-20",
        "bytes=+1-2",
        "bytes=٣-4",  # non-ASCII digits
        "bytes=0-1;x",
        "bytes=" + "9" * 40 + "-",
        "",
    ],
)
def test_ignored_ranges(header: str) -> None:
    assert parse_range(header, 1000) is None


def test_no_header() -> None:
    assert parse_range(None, 1000) is None


@pytest.mark.parametrize(
    ("header", "size"),
    [("bytes=1000-", 1000), ("bytes=1000-2000", 1000), ("bytes=-0", 1000), ("bytes=0-", 0)],
)
def test_unsatisfiable(header: str, size: int) -> None:
    with pytest.raises(RangeNotSatisfiable) as caught:
        parse_range(header, size)
    assert caught.value.content_range == f"bytes */{size}"


def test_content_range_and_length() -> None:
    rng = ByteRange(10, 19)
    assert rng.length == 10
    assert rng.content_range(100) == "bytes 10-19/100"


def test_validators_headers() -> None:
    assert V.etag_header == '"abc-123"'
    assert V.last_modified == MODIFIED.replace(microsecond=0)
    assert V.last_modified_header == "Wed, 01 May 2024 12:30:15 GMT"
    with pytest.raises(ValueError):
        Validators('bad"tag', MODIFIED)


@pytest.mark.parametrize(
    ("kwargs", "method", "expected"),
    [
        ({}, "GET", None),
        ({"if_none_match": '"abc-123"'}, "GET", 304),
        ({"if_none_match": 'W/"abc-123"'}, "GET", 304),  # weak comparison
        ({"if_none_match": '"x", "abc-123"'}, "HEAD", 304),
        ({"if_none_match": "*"}, "GET", 304),
        ({"if_none_match": '"other"'}, "GET", None),
        ({"if_modified_since": http_date(MODIFIED)}, "GET", 304),
        ({"if_modified_since": http_date(MODIFIED + timedelta(days=1))}, "GET", 304),
        ({"if_modified_since": http_date(MODIFIED - timedelta(seconds=1))}, "GET", None),
        ({"if_modified_since": "not a date"}, "GET", None),
        # If-None-Match wins over If-Modified-Since.
        ({"if_none_match": '"other"', "if_modified_since": http_date(MODIFIED)}, "GET", None),
        ({"if_match": '"abc-123"'}, "GET", None),
        ({"if_match": '"other"'}, "GET", 412),
        ({"if_match": 'W/"abc-123"'}, "GET", 412),  # strong comparison
        ({"if_match": "*"}, "GET", None),
        ({"if_unmodified_since": http_date(MODIFIED - timedelta(days=1))}, "GET", 412),
        ({"if_unmodified_since": http_date(MODIFIED)}, "GET", None),
    ],
)
def test_preconditions(kwargs: dict[str, str], method: str, expected: int | None) -> None:
    assert precondition_status(method, V, **kwargs) == expected


@pytest.mark.parametrize(
    ("if_range", "holds"),
    [
        (None, True),
        ('"abc-123"', True),
        ('"other"', False),
        ('W/"abc-123"', False),
        (http_date(MODIFIED), True),
        (http_date(MODIFIED - timedelta(seconds=1)), False),
        (http_date(MODIFIED + timedelta(seconds=1)), False),
        ("garbage", False),
    ],
)
def test_if_range(if_range: str | None, holds: bool) -> None:
    assert if_range_holds(if_range, V) is holds
    expected = ByteRange(0, 9) if holds else None
    assert requested_range("bytes=0-9", if_range, 100, V) == expected


def test_if_range_does_not_rescue_unsatisfiable() -> None:
    # A failed If-Range means "send everything", never 416.
    assert requested_range("bytes=500-", '"other"', 100, V) is None
    with pytest.raises(RangeNotSatisfiable):
        requested_range("bytes=500-", '"abc-123"', 100, V)
