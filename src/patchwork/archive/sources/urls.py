"""A source's identity: its URL normalised, so one channel is one source however it is spelled.

YouTube channels (``/@handle``, ``/channel/UC…``, ``/c/…``, ``/user/…``, each optionally with a
tab such as ``/videos``), playlists (``/playlist?list=…``, or a watch URL with ``list=``) and
channel feeds (``/feeds/videos.xml?channel_id=…``, which become the channel: the feed lists
only the 15 newest videos, the channel all of them) get one canonical ``https://www.youtube.com``
form; Bilibili spaces ``https://space.bilibili.com/<mid>``; anything else the canonical URL of
:func:`~patchwork.archive.ingest.targets.normalise_url`. A URL of a single video is refused:
it is queued, not subscribed to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

from patchwork.archive.ingest.targets import YOUTUBE_HOSTS, TargetError, normalise_url

YOUTUBE_TABS = frozenset({"videos", "shorts", "streams", "live", "playlists", "featured"})
_HANDLE = re.compile(r"@[\w.\-·]{1,100}")
_CHANNEL_ID = re.compile(r"UC[A-Za-z0-9_-]{22}")
_PLAYLIST_ID = re.compile(r"[A-Za-z0-9_-]{10,64}")
_NAME = re.compile(r"[\w.\-]{1,100}")
_BILIBILI_SPACE = re.compile(r"\d{1,20}")


@dataclass(frozen=True)
class SourceUrl:
    """``key`` is unique among sources; ``url`` is what a scanning worker is given."""

    key: str
    url: str


def normalise_source_url(raw: str) -> SourceUrl:
    """The source a URL names; :class:`TargetError` when it is not one."""
    target = normalise_url(raw)  # validates: http(s), no credentials, no spaces, a host
    if target.platform in ("youtube", "bilibili"):
        raise TargetError("this is the URL of one video: queue it instead of subscribing to it")
    parts = urlsplit(target.url)
    host = (parts.hostname or "").lower()
    if host in YOUTUBE_HOSTS:
        return _youtube(parts.path, parts.query)
    if host == "space.bilibili.com":
        segments = [s for s in parts.path.split("/") if s]
        if segments and _BILIBILI_SPACE.fullmatch(segments[0]):
            url = f"https://space.bilibili.com/{segments[0]}"
            return SourceUrl(url, url)
    return SourceUrl(target.key, target.url)


def _youtube(path: str, query: str) -> SourceUrl:
    segments = [s for s in path.split("/") if s]
    params = dict(parse_qsl(query))
    playlist = params.get("list")
    if segments in (["playlist"], ["watch"]) and playlist and _PLAYLIST_ID.fullmatch(playlist):
        return _canonical(f"/playlist?{urlencode({'list': playlist})}")
    if segments == ["feeds", "videos.xml"]:
        channel = params.get("channel_id", "")
        if _CHANNEL_ID.fullmatch(channel):
            return _canonical(f"/channel/{channel}")
        playlist = params.get("playlist_id", "")
        if _PLAYLIST_ID.fullmatch(playlist):
            return _canonical(f"/playlist?{urlencode({'list': playlist})}")
        raise TargetError("a YouTube feed URL needs channel_id or playlist_id")
    if not segments:
        raise TargetError("this YouTube URL names no channel or playlist")
    head, rest = segments[0], segments[1:]
    if _HANDLE.fullmatch(head):
        base = f"/{head.lower()}"  # handles are case-insensitive
    elif head == "channel" and rest and _CHANNEL_ID.fullmatch(rest[0]):
        base, rest = f"/channel/{rest[0]}", rest[1:]
    elif head in ("c", "user") and rest and _NAME.fullmatch(rest[0]):
        base, rest = f"/{head}/{rest[0].lower()}", rest[1:]
    else:
        raise TargetError("this YouTube URL names no channel or playlist")
    tab = rest[0].lower() if rest else ""
    if tab and tab not in YOUTUBE_TABS:
        raise TargetError(f"unknown YouTube channel tab {rest[0]!r}")
    if tab == "live":
        tab = "streams"
    return _canonical(f"{base}/{tab}" if tab and tab != "featured" else base)


def _canonical(path: str) -> SourceUrl:
    url = f"https://www.youtube.com{path}"
    return SourceUrl(url, url)
