"""What a source keeps (filters), what its jobs are asked for (archive options), and the
verdict on one entry a scan reported.

Title patterns are Python regular expressions matched case-insensitively anywhere in the
title. An entry whose duration or upload date the listing does not tell passes the filters on
them: a flat listing often omits both, and dropping what cannot be judged would lose videos
(the archive job's download can still be cancelled by hand). Upcoming premieres and streams
are *held*: not recorded, so a later scan sees them again once they can be downloaded.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, Final

from patchwork.errors import InvalidInput

MAX_PATTERN_LENGTH = 1000
MAX_HEIGHT_LIMIT = 10_000
LIVE_STATUSES: Final = frozenset({"is_live", "was_live", "post_live"})
UPCOMING: Final = "is_upcoming"
#: yt-dlp's ``live_status`` values; an entry with another one is taken as not telling.
KNOWN_LIVE_STATUSES: Final = LIVE_STATUSES | {UPCOMING, "not_live"}
#: The verdict on an entry that is not recorded this time (an upcoming premiere).
HELD: Final = "held"


class InvalidRule(InvalidInput):
    """A filter or archive option that cannot be used; the message says which: 400."""


@dataclass(frozen=True)
class ArchiveOptions:
    """Passed to every archive job a source queues; the worker applies them to yt-dlp."""

    max_height: int | None = None  # the best format up to this many lines
    auto_captions: bool | None = None  # also fetch automatic captions (None: the worker's own)

    def as_json(self) -> str | None:
        present = {k: v for k, v in asdict(self).items() if v is not None}
        return json.dumps(present, sort_keys=True) if present else None

    @classmethod
    def from_json(cls, text: str | None) -> ArchiveOptions:
        if not text:
            return cls()
        raw = json.loads(text)
        return cls(max_height=raw.get("max_height"), auto_captions=raw.get("auto_captions"))

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SourceFilters:
    title_include: str | None = None
    title_exclude: str | None = None
    min_duration: int | None = None  # seconds
    max_duration: int | None = None
    uploaded_after: date | None = None  # on or after this day
    skip_shorts: bool = False
    skip_live: bool = False
    skip_upcoming: bool = True

    def as_dict(self) -> dict[str, Any]:
        found = asdict(self)
        found["uploaded_after"] = self.uploaded_after.isoformat() if self.uploaded_after else None
        return found


@dataclass(frozen=True)
class Entry:
    """One item of a source's listing, as a worker reported it."""

    url: str
    video_id: str | None = None
    title: str | None = None
    duration: int | None = None
    upload_date: date | None = None
    live_status: str | None = None

    @property
    def is_short(self) -> bool:
        return "/shorts/" in self.url


def check_filters(filters: SourceFilters) -> SourceFilters:
    """``filters`` if every pattern compiles and the durations make sense; else InvalidRule."""
    for name in ("title_include", "title_exclude"):
        pattern = getattr(filters, name)
        if pattern is None:
            continue
        if len(pattern) > MAX_PATTERN_LENGTH:
            raise InvalidRule(f"{name} is too long (at most {MAX_PATTERN_LENGTH} characters)")
        try:
            re.compile(pattern, re.IGNORECASE)
        except re.error as exc:
            raise InvalidRule(f"{name} is not a valid regular expression: {exc}") from None
    for name in ("min_duration", "max_duration"):
        value = getattr(filters, name)
        if value is not None and not 0 <= value <= 10**7:
            raise InvalidRule(f"{name} must be between 0 and 10000000 seconds")
    low, high = filters.min_duration, filters.max_duration
    if low is not None and high is not None and low > high:
        raise InvalidRule("min_duration is longer than max_duration")
    return filters


def check_options(options: ArchiveOptions) -> ArchiveOptions:
    height = options.max_height
    if height is not None and not 1 <= height <= MAX_HEIGHT_LIMIT:
        raise InvalidRule(f"max_height must be between 1 and {MAX_HEIGHT_LIMIT}")
    return options


def verdict(filters: SourceFilters, entry: Entry) -> str | None:
    """Why ``entry`` is dropped (``None``: it is kept; :data:`HELD`: seen again next time)."""
    if entry.live_status == UPCOMING and filters.skip_upcoming:
        return HELD
    if filters.skip_live and entry.live_status in LIVE_STATUSES:
        return "live"
    if filters.skip_shorts and entry.is_short:
        return "short"
    title = entry.title or ""
    if filters.title_include and not re.search(filters.title_include, title, re.IGNORECASE):
        return "title not included"
    if filters.title_exclude and re.search(filters.title_exclude, title, re.IGNORECASE):
        return "title excluded"
    if entry.duration is not None:
        if filters.min_duration is not None and entry.duration < filters.min_duration:
            return "too short"
        if filters.max_duration is not None and entry.duration > filters.max_duration:
            return "too long"
    if (
        filters.uploaded_after is not None
        and entry.upload_date is not None
        and entry.upload_date < filters.uploaded_after
    ):
        return "uploaded before"
    return None


_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def parse_interval(text: str) -> int:
    """Seconds in ``6h``, ``30m``, ``1d12h``, ``90s`` or a bare number of seconds."""
    value = text.strip().lower()
    if value.isdigit():
        seconds = int(value)
    else:
        match = _DURATION.fullmatch(value)
        if not value or match is None:
            raise InvalidRule(f"{text!r} is not a duration such as 6h, 30m or 1d")
        d, h, m, s = (int(part or 0) for part in match.groups())
        seconds = ((d * 24 + h) * 60 + m) * 60 + s
    return seconds


_UNITS: Final = (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1))


def format_interval(seconds: int) -> str:
    """``6h``, ``1d12h``, ``1h30m``: what :func:`parse_interval` reads back (the CLI, the page)."""
    parts = []
    rest = max(0, seconds)
    for unit, size in _UNITS:
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"
