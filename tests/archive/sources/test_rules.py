"""Intervals as the CLI, the API and the page spell them, and the verdict on entries."""

from __future__ import annotations

from datetime import date

import pytest

from patchwork.archive.sources.rules import (
    HELD,
    Entry,
    InvalidRule,
    SourceFilters,
    format_interval,
    parse_interval,
    verdict,
)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(21600, "6h"), (129600, "1d12h"), (5400, "1h30m"), (90, "1m30s"), (60, "1m"), (0, "0s")],
)
def test_an_interval_is_written_as_it_is_typed_and_read_back(seconds: int, text: str) -> None:
    assert format_interval(seconds) == text
    assert parse_interval(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "6x", "h6", "-5"])
def test_an_interval_that_is_not_one_is_refused(text: str) -> None:
    with pytest.raises(InvalidRule):
        parse_interval(text)


def test_what_cannot_be_judged_passes_and_upcoming_waits() -> None:
    filters = SourceFilters(min_duration=60, uploaded_after=date(2024, 1, 1))
    assert verdict(filters, Entry(url="https://e/v")) is None  # no duration, no date
    assert verdict(filters, Entry(url="https://e/v", duration=30)) == "too short"
    old = Entry(url="https://e/v", upload_date=date(2023, 12, 31))
    assert verdict(filters, old) == "uploaded before"
    upcoming = Entry(url="https://e/v", live_status="is_upcoming")
    assert verdict(filters, upcoming) == HELD
    assert verdict(SourceFilters(skip_upcoming=False), upcoming) is None
