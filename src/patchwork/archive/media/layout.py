"""The storage layout: the key of every kind of file, written and read back in one place.

Every writer of an archived video's objects (``patchwork import``, worker completion) names
them with a *version*: ``video/{id}.{version}.{ext}``. A new download therefore never
overwrites the object that is being served: the rows switch to the new keys in one
transaction, and the old objects are deleted only after that transaction committed
(docs/decisions/0007-one-writer-of-video-files.md). Keys without a version are the layout
of earlier releases and of the original's buckets; they are still read, never written.

```
video/{video_id}[.{version}].{ext}                          the video file
thumbnails/{video_id}[.{version}].{ext}                     thumbnail
metadata/{video_id}[.{version}].info.json                   yt-dlp's metadata, verbatim
captions/{video_id}/{video_id}.{lang}[.{version}].{ext}     captions
channels/{channel_id}/avatar.jpg, banner.jpg                channel images (one per channel)
history/{video_id}/{n}.{version}.{info.json|jpg|webp|png}   metadata version n (never replaced)
```
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

METADATA_EXT = "info.json"
# A version never contains a dot, so it cannot be confused with an extension or a language.
VERSION = re.compile(r"(?:j[0-9]+a[0-9]+|i)-[0-9a-f]{8}")
FILE_FOLDERS = {"video": "video", "thumbnail": "thumbnails", "metadata": "metadata"}
CHANNEL_IMAGES = {"channel-avatar": "avatar.jpg", "channel-banner": "banner.jpg"}
HISTORY_FOLDER = "history"


def job_version(job_id: int, attempt: int) -> str:
    """A fresh version for one completion of a job: unique even for a retried request."""
    return f"j{job_id}a{attempt}-{secrets.token_hex(4)}"


def import_version() -> str:
    return f"i-{secrets.token_hex(4)}"


def _versioned(stem: str, version: str | None) -> str:
    return f"{stem}.{version}" if version else stem


def video_key(video_id: str, ext: str, version: str | None = None) -> str:
    return f"video/{_versioned(video_id, version)}.{ext}"


def thumbnail_key(video_id: str, ext: str, version: str | None = None) -> str:
    return f"thumbnails/{_versioned(video_id, version)}.{ext}"


def metadata_key(video_id: str, version: str | None = None) -> str:
    return f"metadata/{_versioned(video_id, version)}.{METADATA_EXT}"


def caption_key(video_id: str, language: str, ext: str, version: str | None = None) -> str:
    return f"captions/{video_id}/{_versioned(f'{video_id}.{language}', version)}.{ext}"


def channel_image_key(channel_id: str, kind: str) -> str:
    """``kind`` is ``channel-avatar`` or ``channel-banner``."""
    return f"channels/{channel_id}/{CHANNEL_IMAGES[kind]}"


def file_key(kind: str, ext: str, video_id: str, version: str | None = None) -> str:
    """The key of a video's file of ``kind`` (video, thumbnail, metadata, captions/<lang>)."""
    if kind == "video":
        return video_key(video_id, ext, version)
    if kind == "thumbnail":
        return thumbnail_key(video_id, ext, version)
    if kind == "metadata":
        return metadata_key(video_id, version)
    if kind.startswith("captions/"):
        return caption_key(video_id, kind.split("/", 1)[1], ext, version)
    raise ValueError(f"{kind!r} is not a kind of video file")


def history_key(video_id: str, number: int, version: str, ext: str) -> str:
    """An object of metadata version ``number`` (patchwork.archive.availability.history):
    written once, referenced by its ``video_versions`` row, deleted only with the video."""
    return f"{HISTORY_FOLDER}/{video_id}/{number}.{version}.{ext}"


def history_prefix(video_id: str) -> str:
    return f"{HISTORY_FOLDER}/{video_id}/"


def video_prefixes(video_id: str) -> list[str]:
    """Prefixes under which the layout may hold objects of ``video_id`` (and of ids that
    start with it followed by a dot: callers check with :func:`parse_key`)."""
    return [f"{folder}/{video_id}." for folder in FILE_FOLDERS.values()] + [f"captions/{video_id}/"]


@dataclass(frozen=True)
class ParsedKey:
    kind: str  # video, thumbnail, metadata, caption, avatar, banner
    owner: str  # video id, or channel id for images
    language: str = ""
    format: str = ""
    version: str | None = None


def _strip_version(stem: str) -> tuple[str, str | None]:
    head, dot, tail = stem.rpartition(".")
    if dot and head and VERSION.fullmatch(tail):
        return head, tail
    return stem, None


def parse_key(key: str) -> ParsedKey | None:
    """Which video (or channel) a key of the layout belongs to; None outside the layout."""
    for kind, folder in FILE_FOLDERS.items():
        if key.startswith(f"{folder}/"):
            name = key[len(folder) + 1 :]
            if "/" in name:
                return None
            if kind == "metadata":
                if not name.endswith(f".{METADATA_EXT}"):
                    return None
                stem = name[: -len(METADATA_EXT) - 1]
            else:
                stem, dot, _ = name.rpartition(".")
                if not dot:
                    return None
            owner, version = _strip_version(stem)
            return ParsedKey(kind, owner, version=version) if owner else None
    parts = key.split("/")
    if parts[0] == "captions" and len(parts) == 3 and parts[2].startswith(f"{parts[1]}."):
        pieces = parts[2][len(parts[1]) + 1 :].split(".")
        version = None
        if len(pieces) == 3 and VERSION.fullmatch(pieces[1]):
            version = pieces.pop(1)
        if len(pieces) == 2 and pieces[0] and pieces[1]:
            return ParsedKey("caption", parts[1], pieces[0], pieces[1].lower(), version)
        return None
    if parts[0] == "channels" and len(parts) == 3 and parts[2] in ("avatar.jpg", "banner.jpg"):
        return ParsedKey(parts[2][: -len(".jpg")], parts[1])
    return None
