"""The archive ``bench/read_endpoints.py`` reads: N videos in C channels, bulk-written.

Core INSERTs of 10,000 rows per executemany, one transaction per batch of videos (their
``files``, ``views`` and ``video_availability`` rows with them), never the ORM. Titles mix
Japanese and English over a long tail of song names (so exact-match lookups and searches
meet realistic posting lists), with ``cover`` and 桜 common enough that ``cover 桜`` has
thousands of matches at a million. A sample of videos gets real files in local storage
(video, thumbnail, info.json) so the media endpoints and video_data answer 200.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from search import EN, JP, JP_TAGS, SINGER_EN, SINGER_JP, TAGS, phrase_romaji
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import Connection, make_url

from patchwork.archive.availability.rows import availability_row
from patchwork.archive.maintenance.recount import recount_summaries
from patchwork.archive.media import layout
from patchwork.archive.search.service import rebuild_index
from patchwork.db import Database
from patchwork.db.migrate import upgrade
from patchwork.db.models import Channel, StoredFile, Video, VideoAvailability, ViewCount
from patchwork.storage.local import LocalStorage

BATCH = 10_000
#: Videos whose files really exist in storage (media endpoints, video_data's info.json).
SAMPLED = 200
SAKURA_SONGS = ["夜桜", "桜坂", "桜の雨", "さくらさくら"]
FAMOUS = [*JP, *SAKURA_SONGS]
KANA = {
    "ka": "カ", "ki": "キ", "ku": "ク", "ke": "ケ", "ko": "コ", "sa": "サ", "shi": "シ",
    "su": "ス", "se": "セ", "so": "ソ", "ta": "タ", "chi": "チ", "tsu": "ツ", "te": "テ",
    "to": "ト", "na": "ナ", "ni": "ニ", "ne": "ネ", "ha": "ハ", "hi": "ヒ", "fu": "フ",
    "ho": "ホ", "ma": "マ", "mi": "ミ", "mu": "ム", "me": "メ", "mo": "モ", "ya": "ヤ",
    "yu": "ユ", "yo": "ヨ", "ra": "ラ", "ri": "リ", "ru": "ル", "re": "レ", "ro": "ロ",
    "wa": "ワ", "n": "ン",
}  # fmt: skip
KANJI = {
    "星": "hoshi", "夢": "yume", "花": "hana", "空": "sora", "桜": "sakura", "月": "tsuki",
    "雪": "yuki", "風": "kaze", "光": "hikari", "海": "umi", "夜": "yoru", "恋": "koi",
}  # fmt: skip
UPLOAD_START = date(2009, 1, 1)
UPLOAD_DAYS = 6200
ARCHIVE_START = datetime(2021, 6, 1, tzinfo=UTC)
ARCHIVE_SPAN = timedelta(days=1600)
Song = tuple[str, str]  # (title text, its romaji)
#: Newer schemas copy the video's archive order into ``views`` (popular without a join).
VIEWS_HAVE_VIDEO_ROW = "video_row" in ViewCount.__table__.c


def prepare(url: str, *, wipe: bool = False) -> Database:
    """The migrated database at ``url``, created if missing (dropped first with ``wipe``)."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        for suffix in ("", "-wal", "-shm") if wipe else ():
            Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)
    elif backend in ("mysql", "mariadb", "postgresql"):
        mysql = backend != "postgresql"
        server = create_engine(
            parsed.set(database="mysql" if mysql else "postgres"), isolation_level="AUTOCOMMIT"
        )
        name = f"`{parsed.database}`" if mysql else f'"{parsed.database}"'
        with server.connect() as connection:
            if wipe:
                connection.execute(text(f"DROP DATABASE IF EXISTS {name}"))
            if mysql:
                connection.execute(
                    text(f"CREATE DATABASE IF NOT EXISTS {name} CHARACTER SET utf8mb4")
                )
            elif not connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": parsed.database},
            ):
                connection.execute(text(f"CREATE DATABASE {name}"))
        server.dispose()
    db = Database(url)
    upgrade(db)
    return db


def made_up_song(rnd: random.Random) -> tuple[Song, Song]:
    """A Japanese and an English title for one song of the long tail, with romaji."""
    syllables = rnd.sample(list(KANA), rnd.randint(2, 4))
    roma, kata = "".join(syllables), "".join(KANA[s] for s in syllables)
    k1, k2 = rnd.sample(list(KANJI), 2)
    japanese = (f"{k1}{k2}の{kata}", f"{KANJI[k1]}{KANJI[k2]} no {roma}")
    english = f"{roma.title()} {rnd.choice(EN).title()}"
    return japanese, (english, english.lower())


@dataclass(frozen=True)
class ChannelRow:
    channel_id: str
    name: str
    old_name: str
    singer: str
    singer_romaji: str
    romanized: str | None


def channel_rows(rnd: random.Random, count: int, romaji: dict[str, str]) -> list[ChannelRow]:
    rows = []
    for n in range(count):
        if rnd.random() < 0.4:
            singer = rnd.choice(SINGER_JP)
            name, roman = f"{singer} Ch.{n}", romaji[singer]
            romanized: str | None = f"{roman} ch.{n}"
        else:
            singer = rnd.choice(SINGER_EN)
            name, roman, romanized = f"{singer} {rnd.choice(EN).title()} {n}", singer.lower(), None
        old_name = f"{singer} Official {n}"
        rows.append(ChannelRow(f"UC{n:022d}", name, old_name, singer, roman, romanized))
    return rows


def chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


class Generator:
    """One video's rows at a time, reproducibly from the seed."""

    def __init__(self, videos: int, channels: int, seed: int) -> None:
        self.rnd = random.Random(seed)
        self.videos = videos
        self.romaji = phrase_romaji(FAMOUS + JP_TAGS + SINGER_JP)
        self.channels = channel_rows(self.rnd, channels, self.romaji)
        self.songs = [made_up_song(self.rnd) for _ in range(max(500, videos // 10))]
        self.sample_every = max(1, videos // SAMPLED)

    def title(self, channel: ChannelRow) -> tuple[str, str | None]:
        rnd = self.rnd
        japanese, english = rnd.choice(self.songs)
        if rnd.random() < 0.55:  # a Japanese title, romanized for search
            if rnd.random() < 0.35:
                famous = rnd.choice(FAMOUS)
                japanese = (famous, self.romaji[famous])
            tag = rnd.choice(JP_TAGS) if rnd.random() < 0.6 else "MV"
            cover = " (cover)" if rnd.random() < 0.35 else ""
            title = f"【{tag}】{japanese[0]} / {channel.singer}{cover}"
            tag_romaji = self.romaji.get(tag, tag)
            return title, f"{tag_romaji} {japanese[1]} {channel.singer_romaji}{cover}"
        tag = rnd.choice(TAGS) if rnd.random() < 0.6 else "Original"
        return f"{english[0]} {rnd.choice(EN).title()} ({tag}) - {channel.name}", None

    def rows(self, i: int) -> dict[str, list[dict[str, Any]]]:
        """The rows of video ``i``: its video, files, views and availability."""
        rnd = self.rnd
        channel = self.channels[i % len(self.channels)]
        video_id = f"v{i:010d}"
        title, romanized = self.title(channel)
        aliased = rnd.random() < 0.01  # archived before the channel took its current name
        days = rnd.randint(0, UPLOAD_DAYS // 4 if aliased else UPLOAD_DAYS)
        uploaded = None if rnd.random() < 0.01 else UPLOAD_START + timedelta(days=days)
        archived = ARCHIVE_START + ARCHIVE_SPAN * (i / self.videos)
        words = " ".join(rnd.choice(EN) for _ in range(rnd.randint(0, 40)))
        version = f"i-{i:08x}"
        ext, thumb_ext = ("webm", "webp") if rnd.random() < 0.7 else ("mp4", "jpg")
        size, thumb_size = int(rnd.lognormvariate(17.5, 0.8)), rnd.randint(20_000, 180_000)
        rows: dict[str, list[dict[str, Any]]] = {
            "videos": [
                {
                    "id": i + 1,  # written in order into an empty table: the archive order
                    "video_id": video_id,
                    "title": title,
                    "romanized_title": romanized,
                    "channel_id": channel.channel_id,
                    "channel_name": channel.old_name if aliased else channel.name,
                    "upload_date": uploaded,
                    "description": f"{title}\n\n{words}",
                    "duration": rnd.randint(60, 900),
                    "platform": "youtube",
                    "source_url": f"https://www.youtube.com/watch?v={video_id}",
                    "archived_at": archived,
                    "updated_at": archived,
                }
            ],
            "files": [
                file_row(video_id, "video", layout.video_key(video_id, ext, version), ext, size),
                file_row(
                    video_id,
                    "thumbnail",
                    layout.thumbnail_key(video_id, thumb_ext, version),
                    thumb_ext,
                    thumb_size,
                ),
            ],
            "views": [],
            "availability": [availability_row(video_id, archived)],
        }
        if rnd.random() < 0.3:  # Zipf-ish: most watched once or twice, a few very often
            count = min(10_000_000, int(rnd.paretovariate(0.8)))
            views = {"video_id": video_id, "count": count}
            if VIEWS_HAVE_VIDEO_ROW:
                views["video_row"] = i + 1
            rows["views"].append(views)
        return rows


def file_row(video_id: str, kind: str, key: str, ext: str, size: int) -> dict[str, Any]:
    return {
        "video_id": video_id,
        "kind": kind,
        "storage_key": key,
        "extension": ext,
        "size_bytes": size,
        "size_is_approximate": False,
        "created_at": ARCHIVE_START,
    }


TABLES: dict[str, type[Any]] = {
    "videos": Video,
    "files": StoredFile,
    "views": ViewCount,
    "availability": VideoAvailability,
}


def write_batch(connection: Connection, batch: dict[str, list[dict[str, Any]]]) -> None:
    for name, model in TABLES.items():
        for rows in chunks(batch[name]):
            connection.execute(insert(model), rows)


def write_sample_files(
    storage: LocalStorage, video: dict[str, Any], files: list[dict[str, Any]]
) -> dict[str, Any]:
    """Real objects for a sampled video's rows (sizes made true); returns its metadata row.

    Written without LocalStorage's fsyncs: bench data need not survive a crash."""
    rnd = random.Random(video["video_id"])
    for row in files:
        head = b"\x1aE\xdf\xa3" if row["kind"] == "video" else b"\xff\xd8\xff\xe0"
        body = head + rnd.randbytes(64 * 1024 if row["kind"] == "video" else 12 * 1024)
        row["size_bytes"] = write_object(storage, row["storage_key"], body)
    info = {
        "id": video["video_id"],
        "title": video["title"],
        "channel": video["channel_name"],
        "channel_id": video["channel_id"],
        "upload_date": video["upload_date"].strftime("%Y%m%d") if video["upload_date"] else None,
        "duration": video["duration"],
        "description": video["description"],
        "webpage_url": video["source_url"],
        "tags": rnd.sample(EN, 8),
        "formats": [
            {"format_id": str(n), "ext": "webm", "height": 144 * (n % 8 + 1), "tbr": n * 37.5}
            for n in range(40)
        ],
    }
    key = layout.metadata_key(video["video_id"], f"i-{rnd.getrandbits(32):08x}")
    size = write_object(storage, key, json.dumps(info, ensure_ascii=False).encode())
    return file_row(video["video_id"], "metadata", key, "json", size)


def write_object(storage: LocalStorage, key: str, data: bytes) -> int:
    path = storage.local_path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return len(data)


def build(
    db: Database,
    storage_root: Path,
    videos: int,
    channels: int,
    seed: int = 1,
    progress: Callable[[str], None] = print,
) -> None:
    """Write the whole archive into an empty (migrated) database and ``storage_root``."""
    began = time.monotonic()
    generator = Generator(videos, channels, seed)
    storage = LocalStorage(storage_root)
    with db.engine.begin() as connection:
        connection.execute(
            insert(Channel),
            [
                {
                    "channel_id": c.channel_id,
                    "name": c.name,
                    "romanized_name": c.romanized,
                    "has_avatar": False,
                    "has_banner": False,
                }
                for c in generator.channels
            ],
        )
    for start in range(0, videos, BATCH):
        batch: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
        for i in range(start, min(videos, start + BATCH)):
            rows = generator.rows(i)
            if i % generator.sample_every == 0:
                rows["files"].append(write_sample_files(storage, rows["videos"][0], rows["files"]))
            for name, values in rows.items():
                batch[name].extend(values)
        with db.engine.begin() as connection:
            write_batch(connection, batch)
        if (start // BATCH) % 10 == 9:
            progress(f"  {start + BATCH} videos written")
    if db.backend == "postgresql":  # ids were given: the sequence must catch up
        with db.engine.begin() as connection:
            connection.execute(
                text("SELECT setval(pg_get_serial_sequence('videos', 'id'), :top)"),
                {"top": videos},
            )
    took = time.monotonic() - began
    progress(f"{videos} videos written in {took:.1f} s ({videos / took:.0f} videos/s)")
    began = time.monotonic()
    rebuild_index(db)
    progress(f"search index built in {time.monotonic() - began:.1f} s")
    began = time.monotonic()
    counted = recount_summaries(db)
    progress(f"channel names recounted ({counted} channels) in {time.monotonic() - began:.1f} s")


@dataclass(frozen=True)
class Targets:
    """What the bench asks for, drawn from the archive (so reuse needs nothing remembered)."""

    #: (video_id, title, channel_name) of videos spread over the whole archive.
    videos: list[tuple[str, str, str]]
    #: Ids of videos whose files exist in storage.
    with_files: list[str]
    big_channel: str
    big_channel_name: str
    big_channel_videos: int


def pick_targets(db: Database, count: int = 2000, seed: int = 3) -> Targets:
    rnd = random.Random(seed)
    with db.engine.connect() as connection:
        top = connection.scalar(select(func.max(Video.id))) or 0
        if not top:
            raise SystemExit("the archive has no videos: run with --build")
        wanted = sorted({rnd.randint(1, top) for _ in range(count)})
        videos: list[tuple[str, str, str]] = []
        for start in range(0, len(wanted), 1000):
            rows = connection.execute(
                select(Video.video_id, Video.title, Video.channel_name).where(
                    Video.id.in_(wanted[start : start + 1000])
                )
            ).all()
            videos.extend((v, t, c) for v, t, c in rows)
        with_files = list(
            connection.scalars(
                select(StoredFile.video_id).where(StoredFile.kind == "metadata").limit(5000)
            )
        )
        size = func.count().label("size")
        big, big_count = connection.execute(
            select(Video.channel_id, size).group_by(Video.channel_id).order_by(size.desc()).limit(1)
        ).one()
        name = connection.scalar(select(Channel.name).where(Channel.channel_id == big)) or big
    rnd.shuffle(videos)
    return Targets(videos, with_files or [videos[0][0]], big, name, int(big_count))


def default_instance(url: str) -> Path:
    """Where an archive's storage lives unless told: derived from the database's name."""
    parsed = make_url(url)
    name = Path(parsed.database or "archive").stem
    return Path("/tmp") / f"pw-read-{parsed.get_backend_name()}-{name}"
