"""Content types for the file kinds an archive holds.

``mimetypes`` depends on the host's /etc/mime.types and misses several of these (srv3,
vtt on older systems), so the table is explicit and the same on every machine.
"""

from __future__ import annotations

import mimetypes

DEFAULT_CONTENT_TYPE = "application/octet-stream"

_BY_EXTENSION: dict[str, str] = {
    # video
    "webm": "video/webm",
    "mp4": "video/mp4",
    "m4v": "video/mp4",
    "mkv": "video/x-matroska",
    "mov": "video/quicktime",
    "flv": "video/x-flv",
    "3gp": "video/3gpp",
    "ts": "video/mp2t",
    # audio
    "m4a": "audio/mp4",
    "mp3": "audio/mpeg",
    "opus": "audio/ogg",
    "ogg": "audio/ogg",
    "weba": "audio/webm",
    # images
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "png": "image/png",
    "gif": "image/gif",
    "avif": "image/avif",
    # captions and metadata
    "vtt": "text/vtt; charset=utf-8",
    "srt": "application/x-subrip",
    "srv1": "application/xml",
    "srv2": "application/xml",
    "srv3": "application/xml",
    "ttml": "application/ttml+xml",
    "ass": "text/plain; charset=utf-8",
    "lrc": "text/plain; charset=utf-8",
    "json": "application/json",
    "json3": "application/json",
    "txt": "text/plain; charset=utf-8",
    "xml": "application/xml",
}


def guess_content_type(key: str) -> str:
    """The content type for ``key`` judged by its extension; never ``None``."""
    name = key.rsplit("/", 1)[-1]
    _, dot, ext = name.rpartition(".")
    if dot:
        known = _BY_EXTENSION.get(ext.lower())
        if known is not None:
            return known
    guessed, _ = mimetypes.guess_type(name, strict=False)
    return guessed or DEFAULT_CONTENT_TYPE
