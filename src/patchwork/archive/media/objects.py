"""What the media endpoints serve: storage keys of a video's files, captions, channel images.

Keys come from database rows (or, for channel images, from the fixed layout in docs/design.md),
never from request text, so a hostile id can at worst miss.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from patchwork.archive.media import captions_srv3, file_kinds, layout
from patchwork.db import Database
from patchwork.db.models import Caption, Channel, StoredFile, Video
from patchwork.storage import guess_content_type
from patchwork.storage.content_types import DEFAULT_CONTENT_TYPE

#: Kinds stored in the ``files`` table, one per video.
FILE_KINDS = ("video", "thumbnail", "metadata")
#: Channel images, at ``channels/{channel_id}/{kind}.jpg``.
CHANNEL_IMAGES = ("avatar", "banner")
#: Served when a caption is asked for without ``format``; the browser's native one first.
CAPTION_FORMAT_PREFERENCE = ("vtt", "srt", "ttml", "srv3", "srv2", "srv1", "json3")

#: Ids are at most 255 characters in the schema.
_MAX_ID_LENGTH = 255


@dataclass(frozen=True, slots=True)
class MediaObject:
    storage_key: str
    content_type: str
    #: From the database; the storage's own size is authoritative when serving.
    size_bytes: int | None
    #: Not media of its kind (a row from before the allow-lists): sent only as a download.
    attachment: bool = False


@dataclass(frozen=True, slots=True)
class CaptionTrack:
    language: str
    format: str
    storage_key: str


def plausible_id(value: str) -> bool:
    """Cheap screen so junk never reaches the database (PostgreSQL rejects NUL in text)."""
    return (
        0 < len(value) <= _MAX_ID_LENGTH
        and value.isprintable()
        and not any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    )


def content_type_for(storage_key: str, recorded: str | None) -> str:
    """The extension decides (the same everywhere); a recorded type only fills the gaps."""
    guessed = guess_content_type(storage_key)
    if guessed == DEFAULT_CONTENT_TYPE and recorded:
        return recorded
    return guessed


def served_object(
    kind: str, storage_key: str, recorded: str | None, size_bytes: int | None
) -> MediaObject:
    """What to send for an object of ``kind``: never a document type inline.

    Uploads and imports only take allowed extensions, but rows written earlier may point
    at ``x.html`` or record ``text/html``; those go out as opaque downloads.
    """
    content_type = content_type_for(storage_key, recorded)
    if file_kinds.is_media_type_allowed(kind, content_type):
        return MediaObject(storage_key, content_type, size_bytes)
    return MediaObject(storage_key, DEFAULT_CONTENT_TYPE, size_bytes, attachment=True)


def media_object(db: Database, kind: str, owner_id: str) -> MediaObject | None:
    """The object for ``kind`` of ``owner_id`` (a video id, or a channel id for images)."""
    if not plausible_id(owner_id):
        return None
    if kind in FILE_KINDS:
        with db.reading() as session:
            row = session.scalars(
                select(StoredFile).where(StoredFile.video_id == owner_id, StoredFile.kind == kind)
            ).first()
            if row is None:
                return None
            return served_object(kind, row.storage_key, row.content_type, row.size_bytes)
    if kind in CHANNEL_IMAGES:
        with db.reading() as session:
            channel = session.scalars(select(Channel).where(Channel.channel_id == owner_id)).first()
            if channel is None:
                return None
            present = channel.has_avatar if kind == "avatar" else channel.has_banner
            if not present:
                return None
            key = layout.channel_image_key(channel.channel_id, f"channel-{kind}")
            return MediaObject(storage_key=key, content_type="image/jpeg", size_bytes=None)
    return None


def list_captions(db: Database, video_id: str) -> list[CaptionTrack] | None:
    """A video's caption tracks by language then format; ``None`` for an unknown video."""
    if not plausible_id(video_id):
        return None
    with db.reading() as session:
        exists = session.scalar(select(Video.id).where(Video.video_id == video_id).limit(1))
        if exists is None:
            return None
        return captions_of(session, video_id)


def captions_of(session: Session, video_id: str) -> list[CaptionTrack]:
    """The caption tracks of a video known to exist, by language then format."""
    rows = session.scalars(
        select(Caption)
        .where(Caption.video_id == video_id)
        .order_by(Caption.language, Caption.format)
    ).all()
    return [CaptionTrack(r.language, r.format, r.storage_key) for r in rows]


def _caption_tracks(
    db: Database, video_id: str, language: str, fmt: str | None = None
) -> list[tuple[str, str, int | None]]:
    """(format, storage key, size) of the language's tracks, ``fmt`` only if given."""
    with db.reading() as session:
        query = select(Caption).where(Caption.video_id == video_id, Caption.language == language)
        if fmt is not None:
            query = query.where(Caption.format == fmt)
        # The collation may fold case (format is no IdString); languages and formats are exact.
        return [
            (r.format, r.storage_key, r.size_bytes)
            for r in session.scalars(query)
            if r.language == language and (fmt is None or r.format == fmt)
        ]


def caption_object(
    db: Database, video_id: str, language: str, fmt: str | None = None
) -> MediaObject | None:
    """One caption track; without ``fmt`` the preferred format the video has."""
    if not plausible_id(video_id) or not plausible_id(language):
        return None
    if fmt is not None and not plausible_id(fmt):
        return None
    tracks = _caption_tracks(db, video_id, language, fmt)
    if not tracks:
        return None
    rank = {f: i for i, f in enumerate(CAPTION_FORMAT_PREFERENCE)}
    _, key, size = min(tracks, key=lambda t: (rank.get(t[0], len(rank)), t[0]))
    return served_object("captions", key, None, size)


@dataclass(frozen=True, slots=True)
class CaptionSource:
    """Where a caption in a wanted format comes from: a stored track, converted or not."""

    track: MediaObject
    #: The stored track's format; differs from the wanted one when it is to be converted.
    format: str

    def needs_conversion(self, wanted: str) -> bool:
        return self.format != wanted


def caption_source(db: Database, video_id: str, language: str, wanted: str) -> CaptionSource | None:
    """The track to answer ``<id>.<lang>.<wanted>`` with: one stored in ``wanted`` if there
    is one, else the most faithful one :mod:`captions_srv3` can convert from."""
    if not plausible_id(video_id) or not plausible_id(language):
        return None
    stored = {fmt: (key, size) for fmt, key, size in _caption_tracks(db, video_id, language)}
    for fmt in (wanted, *(f for f in captions_srv3.READABLE if f != wanted)):
        if fmt in stored:
            key, size = stored[fmt]
            return CaptionSource(served_object("captions", key, None, size), fmt)
    return None


def caption_language(video_id: str, name: str) -> str | None:
    """The language in a frontend caption name ``<video_id>.<lang>`` (``None`` if another
    video's). Split against the id from the path, so an id holding dots still parses."""
    prefix = f"{video_id}."
    language = name[len(prefix) :] if name.startswith(prefix) else ""
    return language or None


def named_file_object(db: Database, kind: str, video_id: str, ext: str) -> MediaObject | None:
    """The ``kind`` file of the video the frontend calls ``<video_id>.<ext>``.

    The URL's extension is only a name: the stored file is served whatever its container.
    An id may itself contain a dot (yt-dlp's generic extractor names videos after their
    file), so the whole name is tried as an id first, exactly as ``/media/<kind>/<id>``
    would, and only then without the extension. One query asks for both.
    """
    exact = f"{video_id}.{ext}"
    names = [n for n in (exact, video_id) if plausible_id(n)]
    if kind not in FILE_KINDS or not names:
        return None
    with db.reading() as session:
        rows = {
            row.video_id: (row.storage_key, row.content_type, row.size_bytes)
            for row in session.scalars(
                select(StoredFile).where(StoredFile.video_id.in_(names), StoredFile.kind == kind)
            )
        }
    for name in names:
        if name in rows:
            return served_object(kind, *rows[name])
    return None
