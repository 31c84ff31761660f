"""Jinja filters for the viewer pages. Everything user-written is escaped *before* any markup
is added, so the ``Markup`` these return never carries a tag from the archive's data."""

from __future__ import annotations

import re
from datetime import date, datetime

from flask import Flask
from markupsafe import Markup, escape

from patchwork.archive.ingest.source_urls import http_url

# http(s) URLs up to whitespace or an angle bracket / quote; trailing punctuation is left out.
_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\""
#: The original stored newlines as a space plus the two characters ``\n``.
_LEGACY_NEWLINE = re.compile(r" ?\\n")


def _split_url(url: str) -> tuple[str, str]:
    tail = ""
    while url and url[-1] in _TRAILING:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        tail = url[-1] + tail
        url = url[:-1]
    return url, tail


def linkify(text: str | None) -> Markup:
    """Escape ``text``, make http(s) URLs clickable and keep its line breaks."""
    if not text:
        return Markup("")
    text = _LEGACY_NEWLINE.sub("\n", text)
    out: list[str] = []
    last = 0
    for match in _URL.finditer(text):
        url, tail = _split_url(match.group(0))
        out.append(str(escape(text[last : match.start()])))
        href = escape(url)
        out.append(f'<a href="{href}" rel="nofollow noopener noreferrer">{href}</a>')
        out.append(str(escape(tail)))
        last = match.end()
    out.append(str(escape(text[last:])))
    return Markup("".join(out).replace("\r\n", "\n").replace("\n", "<br>\n"))


def filesize(size_bytes: int | float | None) -> str:
    if size_bytes is None:
        return "unknown size"
    value = float(size_bytes)
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"  # pragma: no cover


def megabytes(size_mb: float | None) -> str:
    return filesize((size_mb or 0) * 1024 * 1024)


def duration(seconds: int | float | None) -> str:
    if not seconds:
        return ""
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def nice_date(value: date | datetime | str | None) -> str:
    if value is None or value == "":
        return "unknown date"
    if isinstance(value, str):
        return value[:10]
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


def day(value: date | datetime | str | None) -> str:
    """The date alone (``2026-05-01``), for "since" and "checked" lines."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    return nice_date(value)


def upper_first(text: str | None) -> str:
    """``text`` with its first letter a capital (Jinja's ``capitalize`` lowers the rest)."""
    return text[:1].upper() + text[1:] if text else ""


def register_filters(app: Flask) -> None:
    app.jinja_env.filters.update(
        linkify=linkify,
        filesize=filesize,
        megabytes=megabytes,
        duration=duration,
        nice_date=nice_date,
        day=day,
        upper_first=upper_first,
        http_url=http_url,
    )
