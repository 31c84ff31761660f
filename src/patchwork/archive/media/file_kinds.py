"""Which files each kind of archived file may be: allow-lists of extensions and media types.

Everything the media routes serve comes from the archive's own origin, the origin whose
``/queue`` page keeps a queue token in the browser. A file a browser would render as a
document (HTML, SVG, XHTML, XML with scripts, JavaScript) must therefore never be stored as
a video's file: uploads and ``patchwork import`` accept only the extensions listed here
(docs/decisions/0106-media-allow-lists.md). Serving checks the media type again, so rows
written before these lists existed cannot be served inline either.
"""

from __future__ import annotations

from patchwork.errors import InvalidInput

VIDEO_EXTENSIONS = frozenset(
    # What yt-dlp writes for a merged or single-format download, audio-only ones included.
    {"webm", "mp4", "mkv", "mov", "m4v", "flv", "avi", "ts", "3gp", "ogv"}
    | {"m4a", "opus", "mp3", "ogg", "oga", "weba", "aac", "flac", "wav", "mka"}
)
THUMBNAIL_EXTENSIONS = frozenset({"jpg", "jpeg", "webp", "png", "gif"})
CHANNEL_IMAGE_EXTENSIONS = frozenset({"jpg", "jpeg", "webp", "png"})
# ``ass`` stays: it is plain text a browser shows as text (served text/plain with nosniff),
# and yt-dlp writes it for several sites.
CAPTION_EXTENSIONS = frozenset({"vtt", "srt", "srv1", "srv2", "srv3", "ttml", "json3", "ass"})
METADATA_EXTENSIONS = frozenset({"info.json"})

#: The same extension under one spelling, so ``x.jpeg`` and ``x.jpg`` are one file.
CANONICAL = {"jpeg": "jpg"}

_BY_KIND = {
    "video": VIDEO_EXTENSIONS,
    "thumbnail": THUMBNAIL_EXTENSIONS,
    "channel-avatar": CHANNEL_IMAGE_EXTENSIONS,
    "channel-banner": CHANNEL_IMAGE_EXTENSIONS,
    "captions": CAPTION_EXTENSIONS,
    "metadata": METADATA_EXTENSIONS,
}
# Media kinds as the media routes name them.
_ALIASES = {"avatar": "channel-avatar", "banner": "channel-banner", "caption": "captions"}

# Media types that render as a document are never served inline, whatever the row says.
_CAPTION_TYPES = frozenset(
    {
        "text/vtt",
        "application/x-subrip",
        "application/xml",  # srv1-3; the media CSP sandbox keeps any script in it inert
        "application/ttml+xml",
        "application/json",
        "text/plain",
    }
)


class FileKindError(InvalidInput, ValueError):
    """A file's extension is not one its kind may have; the message says which are."""


def base_kind(kind: str) -> str:
    """``captions/<lang>`` -> ``captions``; the media routes' names to the upload names."""
    if kind.startswith("captions/"):
        return "captions"
    return _ALIASES.get(kind, kind)


def extensions(kind: str) -> frozenset[str]:
    """The extensions ``kind`` may have (empty for an unknown kind)."""
    return _BY_KIND.get(base_kind(kind), frozenset())


def is_allowed(kind: str, ext: str) -> bool:
    return ext.lower() in extensions(kind)


def check_extension(kind: str, ext: str) -> str:
    """``ext`` in its canonical spelling if ``kind`` may have it; else FileKindError."""
    allowed = extensions(kind)
    if not allowed:
        raise FileKindError(f"{kind!r} is not a kind of archived file")
    ext = ext.lower()
    if ext not in allowed:
        names = ", ".join(sorted(e for e in allowed if e not in CANONICAL))
        raise FileKindError(f"a {base_kind(kind)} file cannot be .{ext}; allowed: {names}")
    return CANONICAL.get(ext, ext)


def is_media_type_allowed(kind: str, content_type: str) -> bool:
    """Whether a file of ``kind`` may be served inline as ``content_type``."""
    mime = content_type.split(";", 1)[0].strip().lower()
    kind = base_kind(kind)
    if kind == "video":
        return mime.startswith(("video/", "audio/"))
    if kind in ("thumbnail", "channel-avatar", "channel-banner"):
        return mime.startswith("image/") and not mime.startswith("image/svg")
    if kind == "captions":
        return mime in _CAPTION_TYPES
    if kind == "metadata":
        return mime == "application/json"
    return False
