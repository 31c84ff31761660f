"""Source URLs that may be stored and linked: http(s) only.

A video's page URL comes from metadata a worker or an import folder sends. Rendered as a
link on the archive's own origin, ``javascript:…`` would run in the page that holds the
queue token, so anything but an absolute http(s) URL is dropped when stored and again when
linked (rows written before this check may hold one).
"""

from __future__ import annotations

from urllib.parse import urlsplit


def http_url(value: str | None) -> str | None:
    """``value`` if it is an absolute http:// or https:// URL with a host; else None."""
    if not value:
        return None
    text = value.strip()
    # Browsers drop tabs and newlines inside a URL, so "java\tscript:" is still a scheme.
    if not text or any(ord(c) < 0x21 or ord(c) == 0x7F for c in text):
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return text
