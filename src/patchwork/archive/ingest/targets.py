"""What a queued URL points at: validation and normalisation to a *target*.

A target names the thing to archive independently of how its URL was spelled, so the queue
can answer "Already queued" for ``youtu.be/ID`` when ``youtube.com/watch?v=ID&t=3`` waits:

- YouTube (watch, shorts, youtu.be, embed, live, v, music, mobile, nocookie) -> ``youtube:<id>``
  with the canonical URL ``https://www.youtube.com/watch?v=<id>``;
- Bilibili ``/video/BV…`` -> ``bilibili:<BV id>`` with ``https://www.bilibili.com/video/<BV id>``;
- anything else -> the canonical URL itself (lower-case scheme and host, no default port,
  no fragment, no credentials).

Delete jobs (mode 2) name a video id instead: ``video:<id>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from patchwork.errors import InvalidInput

MAX_URL_LENGTH = 2048
MAX_VIDEO_ID_LENGTH = 255

YOUTUBE_ID = re.compile(r"[A-Za-z0-9_-]{11}")
BILIBILI_BV = re.compile(r"BV[0-9A-Za-z]{10}")
VIDEO_ID = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,254}")

YOUTUBE_HOSTS = frozenset(
    {
        "youtube.com",
        "www.youtube.com",
        "m.youtube.com",
        "music.youtube.com",
        "youtube-nocookie.com",
        "www.youtube-nocookie.com",
    }
)
YOUTUBE_PATH_FORMS = ("shorts", "embed", "live", "v", "e")
BILIBILI_HOSTS = frozenset({"bilibili.com", "www.bilibili.com", "m.bilibili.com"})
DEFAULT_PORTS = {"http": 80, "https": 443}


class TargetError(InvalidInput, ValueError):
    """The text is not an acceptable URL or video id; the message says why."""


@dataclass(frozen=True)
class Target:
    """``key`` is what the queue deduplicates on; ``url`` is what a worker is given."""

    key: str
    url: str

    @property
    def platform(self) -> str:
        return self.key.split(":", 1)[0]

    @property
    def video_id(self) -> str | None:
        """The platform's video id when the URL alone tells it."""
        platform, _, rest = self.key.partition(":")
        return rest if platform in ("youtube", "bilibili", "video") else None


def normalise_url(raw: str) -> Target:
    """Validate an http(s) URL and name its target; raises :class:`TargetError`."""
    if not isinstance(raw, str):
        raise TargetError("url must be text")
    text = raw.strip()
    if not text:
        raise TargetError("url is required")
    if len(text) > MAX_URL_LENGTH:
        raise TargetError(f"url is too long (at most {MAX_URL_LENGTH} characters)")
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in text):
        raise TargetError("url must not contain spaces or control characters")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise TargetError("url is not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise TargetError("url must start with http:// or https://")
    if parts.username is not None or parts.password is not None:
        raise TargetError("url must not contain a user name or password")
    host = (parts.hostname or "").rstrip(".")
    if not host or "\\" in host:
        raise TargetError("url has no host")

    youtube = _youtube_id(host, parts.path, parts.query)
    if youtube:
        return Target(f"youtube:{youtube}", f"https://www.youtube.com/watch?v={youtube}")
    bilibili = _bilibili_id(host, parts.path)
    if bilibili:
        return Target(f"bilibili:{bilibili}", f"https://www.bilibili.com/video/{bilibili}")

    netloc = host if ":" not in host else f"[{host}]"
    if port is not None and port != DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    canonical = urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))
    return Target(canonical, canonical)


def _youtube_id(host: str, path: str, query: str) -> str | None:
    segments = [s for s in path.split("/") if s]
    candidate: str | None = None
    if host == "youtu.be":
        candidate = segments[0] if segments else None
    elif host in YOUTUBE_HOSTS:
        if segments[:1] == ["watch"] and len(segments) == 1:
            candidate = next((v for k, v in parse_qsl(query) if k == "v"), None)
        elif len(segments) >= 2 and segments[0] in YOUTUBE_PATH_FORMS:
            candidate = segments[1]
    if candidate and YOUTUBE_ID.fullmatch(candidate):
        return candidate
    return None


def _bilibili_id(host: str, path: str) -> str | None:
    if host not in BILIBILI_HOSTS:
        return None
    segments = [s for s in path.split("/") if s]
    if len(segments) >= 2 and segments[0] == "video" and BILIBILI_BV.fullmatch(segments[1]):
        return segments[1]
    return None


def delete_target(raw: str) -> Target:
    """The target of a delete job: a bare video id, or a URL whose video id is known."""
    if not isinstance(raw, str) or not raw.strip():
        raise TargetError("a video id or URL is required")
    text = raw.strip()
    if "://" in text:
        found = normalise_url(text).video_id
        if found is None:
            raise TargetError("cannot tell the video id from this URL; give the video id")
        text = found
    if len(text) > MAX_VIDEO_ID_LENGTH or not VIDEO_ID.fullmatch(text):
        raise TargetError("not a valid video id")
    return Target(f"video:{text}", text)
