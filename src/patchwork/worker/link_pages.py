"""The video links of a plain HTML page, for sources yt-dlp itself cannot list.

yt-dlp's generic extractor answers "Unsupported URL" for a page that only links to videos.
The page is then fetched through yt-dlp (so its proxies, cookies and headers apply) and its
``<a href>`` links are kept, in page order and each once, when a site-specific extractor takes
them or they name a media file; a link's text is its title.
"""

from __future__ import annotations

import functools
import re
from html.parser import HTMLParser
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

MEDIA_EXTS = frozenset(
    {"mp4", "webm", "mkv", "mov", "m4v", "mp3", "m4a", "ogg", "opus", "flac", "wav"}
)
MAX_PAGE_BYTES = 5_000_000
MAX_URL = 2048  # the server refuses a page with a longer entry URL
MAX_TITLE = 1000
_CHARSET = re.compile(r"charset=[\"']?([\w.:-]+)", re.IGNORECASE)


def fetch_links(ydl: Any, url: str) -> tuple[str | None, list[tuple[str, str]]]:
    """The page's title and its links that play (see :func:`links_of_page`)."""
    with ydl.urlopen(url) as response:
        body = response.read(MAX_PAGE_BYTES)
        match = _CHARSET.search(str(response.headers.get("Content-Type") or ""))
    try:
        text = body.decode(match.group(1) if match else "utf-8", errors="replace")
    except LookupError:
        text = body.decode("utf-8", errors="replace")
    return links_of_page(text, url)


class _Links(HTMLParser):
    """``<a href>`` links with their text, the page's ``<title>`` and ``<base href>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.title: list[str] = []
        self.links: list[tuple[str, str]] = []
        self._in_title = False
        self._href: str | None = None
        self._hint = ""  # the link's title attribute, for a link without text
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "a":
            self._close_link()
            if values.get("href", "").strip():
                self._href, self._text = values["href"].strip(), []
                self._hint = values.get("title", "").strip()
        elif tag == "base" and self.base is None and values.get("href"):
            self.base = values["href"].strip()
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._close_link()
        elif tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title.append(data)
        if self._href is not None:
            self._text.append(data)

    def close(self) -> None:
        super().close()
        self._close_link()

    def _close_link(self) -> None:
        if self._href is not None:
            self.links.append((self._href, " ".join("".join(self._text).split()) or self._hint))
        self._href = None


def links_of_page(html: str, page_url: str) -> tuple[str | None, list[tuple[str, str]]]:
    """The page's title, and its links that play: (absolute URL, link text), each once."""
    parser = _Links()
    parser.feed(html)
    parser.close()
    base = urljoin(page_url, parser.base) if parser.base else page_url
    seen: set[str] = set()
    found: list[tuple[str, str]] = []
    for href, name in parser.links:
        link = urldefrag(urljoin(base, href)).url
        if link in seen or urlsplit(link).scheme not in ("http", "https") or len(link) > MAX_URL:
            continue
        seen.add(link)
        if plays(link):
            found.append((link, name[:MAX_TITLE]))
    title = " ".join("".join(parser.title).split()) or None
    return title, found


def plays(url: str) -> bool:
    """A media file by its extension, or a URL a site-specific yt-dlp extractor takes."""
    suffix = PurePosixPath(urlsplit(url).path).suffix.lower().lstrip(".")
    if suffix in MEDIA_EXTS:
        return True
    for extractor in _site_extractors():
        try:
            if extractor.suitable(url):
                return True
        except Exception:  # an extractor's own check failing says "not mine"
            continue
    return False


@functools.cache
def _site_extractors() -> tuple[Any, ...]:
    from yt_dlp.extractor import gen_extractor_classes

    return tuple(ie for ie in gen_extractor_classes() if ie.ie_key() != "Generic")
