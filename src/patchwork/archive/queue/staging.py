"""Files a worker uploads for a job: where they wait and where they end up.

Why staging: a worker uploads before it completes, and only the completion (the video's
metadata) says for certain which video id and channel the files belong to. So each upload
goes to ``staging/jobs/{job_id}/{attempt}/{kind}.{sequence}.{ext}``, a key of its own;
nothing there is ever served.
Completing a job copies each staged object under a fresh versioned key of the archive
layout (:mod:`patchwork.archive.ingest.video_files`), and only then switches the video's rows. A
crash between the copies and the commit leaves unreferenced objects, never a visible
half-archived video nor a changed served file. The attempt number in the staging prefix
keeps a lapsed worker's late uploads apart from those of the worker that took the job over.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from dataclasses import dataclass

from patchwork.archive.media import file_kinds
from patchwork.errors import InvalidInput, TooLarge
from patchwork.storage import Storage
from patchwork.storage.base import SweepsTempFiles

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


class UploadError(InvalidInput, ValueError):
    """An upload's kind or extension is not acceptable: 400."""


class UploadTooLarge(TooLarge):
    """An upload over the size limit, announced or streamed: 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"The file is larger than the limit of {limit} bytes")
        self.limit = limit


@dataclass(frozen=True)
class StagedFile:
    kind: str  # video, thumbnail, metadata, captions/<lang>, channel-avatar, channel-banner
    ext: str
    key: str
    size: int
    #: Orders uploads of one kind by when they started ("" for keys without one).
    sequence: str = ""


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
    try:
        # Only media may be stored: an .html "thumbnail" would be served from our origin.
        return kind, file_kinds.check_extension(kind, ext)
    except file_kinds.FileKindError as exc:
        raise UploadError(str(exc)) from None


def staging_prefix(job_id: int, attempt: int | None = None) -> str:
    base = f"{STAGING_ROOT}/{job_id}/"
    return base if attempt is None else f"{base}{attempt}/"


def upload_sequence() -> str:
    """A name part that sorts after every earlier one, and is unique across processes.

    Nanoseconds (forced to grow within this process even if the clock steps back) keep
    uploads in the order they started; the random tail keeps two servers that start an
    upload in the same nanosecond apart.
    """
    global _last_sequence_ns
    with _sequence_lock:
        now = max(time.time_ns(), _last_sequence_ns + 1)
        _last_sequence_ns = now
    return f"{now:020d}-{secrets.token_hex(4)}"


_sequence_lock = threading.Lock()
_last_sequence_ns = 0
_SEQUENCE = re.compile(r"[0-9]{20}-[0-9a-f]{8}")


def staged_key(job_id: int, attempt: int, kind: str, ext: str, sequence: str | None = None) -> str:
    """A fresh key for one upload: ``{kind}.{sequence}.{ext}`` under the attempt's prefix.

    Every upload gets its own key, so a failing or concurrent upload can never overwrite
    (or, when it is cleaned up, delete) another upload's object.
    """
    return f"{staging_prefix(job_id, attempt)}{kind}.{sequence or upload_sequence()}.{ext}"


def drop_other_extensions(
    storage: Storage, job_id: int, attempt: int, kind: str, keep: str
) -> None:
    """Retire the uploads of ``kind`` that started before ``keep`` (whatever their extension).

    Only older ones: an upload that started later and finished first must survive, or two
    overlapping uploads would erase each other. ``keep`` must be a verified upload.
    """
    prefix = staging_prefix(job_id, attempt)
    mine = _split(keep[len(prefix) :]) if keep.startswith(prefix) else None
    if mine is None:
        return
    for info in list(storage.list(f"{prefix}{kind}.")):
        parsed = _split(info.key[len(prefix) :])
        if parsed is None or parsed.kind != kind or info.key == keep:
            continue
        if (parsed.sequence, info.key) < (mine.sequence, keep):
            storage.delete(info.key)


def staged_files(storage: Storage, job_id: int, attempt: int) -> dict[str, StagedFile]:
    """The one upload per kind a completion uses: the newest (by start) of each kind."""
    prefix = staging_prefix(job_id, attempt)
    found: dict[str, StagedFile] = {}
    for info in storage.list(prefix):
        parsed = _split(info.key[len(prefix) :])
        if parsed is None:
            continue
        item = StagedFile(parsed.kind, parsed.ext, info.key, info.size, parsed.sequence)
        earlier = found.get(item.kind)
        if earlier is None or (earlier.sequence, earlier.key) < (item.sequence, item.key):
            found[item.kind] = item
    return found


def drop_older_attempts(storage: Storage, job_id: int, attempt: int) -> int:
    """Called when ``attempt`` has just claimed the job: earlier attempts' staging goes.

    Their uploads can never be completed (completion reads only the current attempt), and
    a server killed mid-upload leaves a local temp file that no listing shows; both are
    removed here. Returns how many objects and temp files went.
    """
    if attempt <= 1:
        return 0  # a first claim has nothing before it: no storage round trip
    root = staging_prefix(job_id)
    old: set[int] = set()
    for info in storage.list(root):
        head = info.key[len(root) :].split("/", 1)[0]
        if head.isdigit() and int(head) < attempt:
            old.add(int(head))
    removed = sum(storage.delete_prefix(staging_prefix(job_id, number)) for number in old)
    if isinstance(storage, SweepsTempFiles):
        for number in range(1, attempt):
            # Age 0: a lapsed worker still streaming into an old attempt loses nothing
            # that could ever be used.
            removed += storage.remove_temp_files(staging_prefix(job_id, number), 0)
    return removed


def _split(name: str) -> StagedFile | None:
    """Parse ``{kind}.{sequence}.{ext}`` (or the older ``{kind}.{ext}``, sequence "")."""
    kind, dot, rest = name.partition(".")
    if not dot:
        return None
    sequence, dot, ext = rest.partition(".")
    if not (dot and _SEQUENCE.fullmatch(sequence)):
        sequence, ext = "", rest
    try:
        kind, ext = upload_name(kind, ext, None)
    except UploadError:
        return None
    return StagedFile(kind, ext, "", 0, sequence)
