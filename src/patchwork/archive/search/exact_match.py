"""Patchwork-Radio's lookup: the video archived under exactly this title and channel name.

Neither ``title`` nor ``channel_name`` can be indexed whole (both are long text), so every
video carries ``title_key``, a SHA-256 of the two, indexed: a lookup is one index seek and
the few rows under that key (re-archives of one song), whatever the archive's size. The key
is written wherever the search text is (the flush hook, ``reindex``, the legacy import), so
nothing can leave it stale.

"Exactly" means code point for code point. MariaDB's ``utf8mb4_unicode_ci`` (and MySQL's
PAD SPACE collations) call ``"Song"`` and ``"SONG "`` equal, but the key is a hash of the
exact text, and the final test is Python's ``==`` anyway.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from patchwork.db import Database
from patchwork.db.models import Video

#: Between the two texts of a key: no title ends in it, so ("a\x00", "b") ≠ ("a", "\x00b").
_SEPARATOR = "\x00"


def title_key(title: str, channel_name: str) -> str:
    """The ``videos.title_key`` of a title and channel name."""
    text = f"{title}{_SEPARATOR}{channel_name}"
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def find_exact(db: Database, title: str, channel_name: str) -> str | None:
    """The ``video_id`` archived with this exact title and channel name (the earliest
    archived when several are), or ``None``."""
    with db.reading() as session:
        rows = session.execute(
            select(Video.video_id, Video.title, Video.channel_name)
            .where(Video.title_key == title_key(title, channel_name))
            .order_by(Video.id)
        )
        for video_id, found_title, found_channel in rows:
            if found_title == title and found_channel == channel_name:
                return str(video_id)
    return None
