"""An archive where a read that scans is obvious, bulk-written in seconds on every database.

Two channels: the big one holds ``size`` videos under five names over time (its aliases),
the other a quarter as many. Every video has its video and thumbnail ``files`` rows and its
``video_availability`` row; most have a view count (a handful of values, so ties abound);
one in sixteen is lost (three reasons), with its check and metadata version. Titles share
:data:`COMMON_WORD` and :data:`COMMON_KANJI` often, and a song name each pair of videos
shares, so exact-match and search postings stay the same length as the archive grows.
Core INSERTs only, then the search index and ``channel_names`` are rebuilt as a bulk load
must, and every table is analysed (the plans a settled archive gets).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, insert, select, text

from patchwork.archive.availability.rows import availability_row
from patchwork.archive.maintenance.recount import recount_summaries
from patchwork.archive.media import layout
from patchwork.archive.search.service import rebuild_index
from patchwork.db import Database
from patchwork.db.models import (
    AvailabilityCheck,
    Base,
    Channel,
    StoredFile,
    Video,
    VideoAvailability,
    VideoVersion,
    ViewCount,
)

BIG_CHANNEL = "UCrowsreadbigchannel0001"
SMALL_CHANNEL = "UCrowsreadsmallchannel01"
#: The big channel's names, the current one first; older videos carry the later ones.
BIG_NAMES = [
    "Sakura Utaite Ch",
    "Sakura Utaite Official",
    "さくら 歌ってみた",
    "SakuraUtaite",
    "S.U.",
]
SMALL_NAME = "Yoru Cover Club"
COMMON_WORD = "cover"
COMMON_KANJI = "桜"
CHANNEL_WORD = "sakura"
LOST_REASONS = ("removed-by-uploader", "private", "copyright-claim")
#: Channels without videos, one per this many videos: the channel count grows with the
#: archive too, so a read that walks the channels (discover, channel search, a channel page,
#: the counts) grows with it and fails the growth test. Their names share no word with the
#: searches, whose matches would otherwise grow by design.
FILLER_CHANNELS_PER = 4
SYLLABLES = "ka ki ku ke ko sa shi su se so ta chi tsu te to na ni nu ne no ma mi mu me mo".split()
UPLOAD_START = date(2010, 1, 1)
ARCHIVE_START = datetime(2022, 1, 1, tzinfo=UTC)


DEEP_PAGE = 20


@dataclass(frozen=True)
class RowsArchive:
    size: int  # videos of the big channel
    video_id: str  # a big-channel video mid-archive: lost, checked, with a version
    title: str
    channel_name: str
    #: A page some way down, the same at every size: page N reads N pages of index entries
    #: (from the nearer end), so a fixed N must cost the same in a bigger channel.
    deep_page: int
    last_page: int  # read from the far end of the index: as cheap as the first


def song(n: int) -> str:
    """A made-up song name, one per ``n``: a rare search term."""
    parts = []
    while True:
        n, digit = divmod(n, len(SYLLABLES))
        parts.append(SYLLABLES[digit])
        if n == 0:
            return "".join(parts) + "ra"


def _title(rnd: random.Random, i: int, singer: str) -> str:
    kanji = f"{COMMON_KANJI}の" if rnd.random() < 0.4 else ""
    cover = f" ({COMMON_WORD})" if rnd.random() < 0.6 else ""
    return f"【歌ってみた】{kanji}{song(i // 2).title()} / {singer}{cover}"


def _video_rows(size: int, rnd: random.Random) -> list[dict[str, Any]]:
    rows = []
    total = size + size // 4
    for i in range(total):
        big = i % 5 != 4
        if big:
            age = (total - 1 - i) * len(BIG_NAMES) // total  # 0 for the newest fifth
            channel, name = BIG_CHANNEL, BIG_NAMES[age]
        else:
            channel, name = SMALL_CHANNEL, SMALL_NAME
        title = _title(rnd, i, name)
        undated = rnd.random() < 0.01
        archived = ARCHIVE_START + timedelta(minutes=i)
        rows.append(
            {
                "video_id": f"rw{i:09d}",
                "title": title,
                "romanized_title": None,
                "channel_id": channel,
                "channel_name": name,
                "upload_date": None if undated else UPLOAD_START + timedelta(days=i // 3),
                "description": f"{title}\n\nlyrics, credits",
                "duration": 180 + i % 120,
                "platform": "youtube",
                "source_url": f"https://www.youtube.com/watch?v=rw{i:09d}",
                "archived_at": archived,
                "updated_at": archived,
            }
        )
    return rows


def _file_rows(video_id: str) -> list[dict[str, Any]]:
    return [
        {
            "video_id": video_id,
            "kind": kind,
            "storage_key": key,
            "extension": ext,
            "size_bytes": size,
            "size_is_approximate": False,
            "created_at": ARCHIVE_START,
        }
        for kind, key, ext, size in (
            ("video", layout.video_key(video_id, "webm", "i-rows"), "webm", 20_000_000),
            ("thumbnail", layout.thumbnail_key(video_id, "webp", "i-rows"), "webp", 60_000),
        )
    ]


def _lost(
    video: dict[str, Any], row: int, reason: str
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The lost video's availability row, its one check and its first metadata version."""
    seen = video["archived_at"] + timedelta(days=30 + row % 90)
    availability = {
        **availability_row(video["video_id"], video["archived_at"]),
        "state": "unavailable",
        "reason": reason,
        "since": seen,
        "last_checked_at": seen,
        "checks": 1,
    }
    check = {"video_id": video["video_id"], "checked_at": seen, "outcome": "unavailable"}
    version = {
        "video_id": video["video_id"],
        "version": 1,
        "seen_at": video["archived_at"],
        "title": video["title"],
        "description": video["description"],
        "channel_name": video["channel_name"],
    }
    return availability, {**check, "reason": reason}, version


def build_rows_archive(db: Database, size: int, *, per_page: int, seed: int = 17) -> RowsArchive:
    """Empty every table of ``db``, then write the archive of ``size`` big-channel videos."""
    rnd = random.Random(seed)
    videos = _video_rows(size, rnd)
    with db.engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(delete(table))
        connection.execute(
            insert(Channel),
            [
                {"channel_id": BIG_CHANNEL, "name": BIG_NAMES[0], "romanized_name": None},
                {"channel_id": SMALL_CHANNEL, "name": SMALL_NAME, "romanized_name": None},
                *_filler_channels(size // FILLER_CHANNELS_PER),
            ],
        )
        connection.execute(insert(Video), videos)
        ids = {v: i for v, i in connection.execute(select(Video.video_id, Video.id))}
        files, views, availability, checks, versions = [], [], [], [], []
        for n, video in enumerate(videos):
            video_id = video["video_id"]
            files += _file_rows(video_id)
            if rnd.random() < 0.85:
                count = rnd.choice((1, 1, 1, 2, 2, 3, 5, 8, 13))
                views.append({"video_id": video_id, "count": count, "video_row": ids[video_id]})
            if n % 16 == 8:
                lost, check, version = _lost(video, n, LOST_REASONS[n // 16 % 3])
                availability.append(lost)
                checks.append(check)
                versions.append(version)
            else:
                availability.append(availability_row(video_id, video["archived_at"]))
        for model, rows in (
            (StoredFile, files),
            (ViewCount, views),
            (VideoAvailability, availability),
            (AvailabilityCheck, checks),
            (VideoVersion, versions),
        ):
            connection.execute(insert(model), rows)
    rebuild_index(db)
    recount_summaries(db)
    with db.engine.begin() as connection:
        _analyse(connection)
    target = next(
        v
        for n, v in enumerate(videos)
        if n >= len(videos) // 2
        and n % 16 == 8
        and v["channel_id"] == BIG_CHANNEL
        # The same shape of title at every size (its terms are what exact match reads), and
        # the most common one: both common terms in it.
        and COMMON_KANJI in v["title"]
        and COMMON_WORD in v["title"]
    )
    last_page = -(-size // per_page)
    return RowsArchive(
        size=size,
        video_id=target["video_id"],
        title=target["title"],
        channel_name=target["channel_name"],
        deep_page=min(DEEP_PAGE, last_page),
        last_page=last_page,
    )


def _filler_channels(count: int) -> list[dict[str, object]]:
    return [
        {
            "channel_id": f"UCrowsfiller{n:012d}",
            "name": f"Quiet Archive {n}",
            "romanized_name": None,
        }
        for n in range(count)
    ]


def _analyse(connection: Connection) -> None:
    if connection.dialect.name in ("postgresql", "sqlite"):
        connection.execute(text("ANALYZE"))
    else:
        names = ", ".join(f"`{t.name}`" for t in Base.metadata.sorted_tables)
        connection.execute(text(f"ANALYZE TABLE {names}")).all()
