"""Files a worker uploads for a job: where they wait and where they end up.

Why staging: a worker uploads before it completes, and only the completion (the video's
metadata) says for certain which video id and channel the files belong to. So each upload
goes to ``staging/jobs/{job_id}/{attempt}/{kind}.{ext}``; nothing there is ever served.
Completing a job copies each staged object under a fresh versioned key of the archive
layout (:mod:`patchwork.archive.video_files`), and only then switches the video's rows. A
crash between the copies and the commit leaves unreferenced objects, never a visible
half-archived video nor a changed served file. The attempt number in the staging prefix
keeps a lapsed worker's late uploads apart from those of the worker that took the job over.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from patchwork.storage import Storage
from patchwork.storage.streams import HashingReader as HashingReader
from patchwork.storage.streams import StreamTooLarge

STAGING_ROOT = "staging/jobs"
SIMPLE_KINDS = ("video", "thumbnail", "metadata", "channel-avatar", "channel-banner")
CAPTION_LANGUAGE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,34}")
EXTENSION = re.compile(r"[a-z0-9]{1,10}")
METADATA_EXT = "info.json"

CONTENT_TYPE_EXTENSIONS = {
    "video/webm": "webm",
    "video/mp4": "mp4",
    "video/x-matroska": "mkv",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "image/png": "png",
    "text/vtt": "vtt",
}
DEFAULT_EXTENSIONS = {"thumbnail": "jpg", "channel-avatar": "jpg", "channel-banner": "jpg"}


# What an upload over the size limit raises, under the name the upload API uses.
UploadTooLarge = StreamTooLarge


class UploadError(ValueError):
    """An upload's kind or extension is not acceptable."""


@dataclass(frozen=True)
class StagedFile:
    kind: str  # video, thumbnail, metadata, captions/<lang>, channel-avatar, channel-banner
    ext: str
    key: str
    size: int


def upload_name(kind: str, ext: str | None, content_type: str | None) -> tuple[str, str]:
    """Check an upload's kind and pick its extension: ``(kind, ext)``."""
    if kind.startswith("captions/"):
        language = kind.split("/", 1)[1]
        if not CAPTION_LANGUAGE.fullmatch(language):
            raise UploadError("a caption language is letters, digits, '-' or '_'")
    elif kind not in SIMPLE_KINDS:
        raise UploadError(
            "kind must be one of video, thumbnail, metadata, captions/<lang>, "
            "channel-avatar, channel-banner"
        )
    if kind == "metadata":
        return kind, METADATA_EXT
    if not ext:
        mime = (content_type or "").split(";", 1)[0].strip().lower()
        ext = CONTENT_TYPE_EXTENSIONS.get(mime) or DEFAULT_EXTENSIONS.get(kind)
        if ext is None and kind.startswith("captions/"):
            ext = "vtt"
    ext = (ext or "").lower().lstrip(".")
    if not ext:
        raise UploadError("say the file's extension with ?ext= (e.g. ?ext=webm)")
    if not EXTENSION.fullmatch(ext):
        raise UploadError("ext must be 1 to 10 lower-case letters or digits")
    return kind, ext


def staging_prefix(job_id: int, attempt: int | None = None) -> str:
    base = f"{STAGING_ROOT}/{job_id}/"
    return base if attempt is None else f"{base}{attempt}/"


def staged_key(job_id: int, attempt: int, kind: str, ext: str) -> str:
    return f"{staging_prefix(job_id, attempt)}{kind}.{ext}"


def drop_other_extensions(
    storage: Storage, job_id: int, attempt: int, kind: str, keep: str
) -> None:
    """A re-upload of a kind with another extension replaces the earlier one."""
    for info in list(storage.list(f"{staging_prefix(job_id, attempt)}{kind}.")):
        if info.key != keep and _split(info.key[len(staging_prefix(job_id, attempt)) :]):
            storage.delete(info.key)


def staged_files(storage: Storage, job_id: int, attempt: int) -> dict[str, StagedFile]:
    prefix = staging_prefix(job_id, attempt)
    found: dict[str, StagedFile] = {}
    for info in storage.list(prefix):
        parsed = _split(info.key[len(prefix) :])
        if parsed is not None:
            found[parsed[0]] = StagedFile(parsed[0], parsed[1], info.key, info.size)
    return found


def _split(name: str) -> tuple[str, str] | None:
    kind, dot, ext = name.partition(".")
    if not dot:
        return None
    try:
        return upload_name(kind, ext, None)
    except UploadError:
        return None
