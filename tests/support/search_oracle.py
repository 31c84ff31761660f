"""A brute-force search matcher written from the rules in docs/search.md, and a corpus maker.

Deliberately independent of the index: it scans normalised fields character by character.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from patchwork.archive.search.indexing import channel_romaji
from patchwork.archive.search.terms import char_class, normalize
from patchwork.db import Database
from patchwork.db.models import Channel, Video

LATIN = ["love", "lover", "loving", "song", "stellar", "cover", "live", "mv", "a", "ab", "x9"]
CJK = [
    "夜に駆ける",
    "夜",
    "駆け",
    "星街",
    "すいせい",
    "ステラ",
    "歌ってみた",
    "千本桜",
    "恋",
    "ラブ",
]
ODD = ["ＬＯＶＥ", "【MV】", "(Live)", "100%", "a_b", "\\", "ｽﾃﾗ", "Ｓｏｎｇ", "ﾗﾌﾞ", "%_"]
ROMAJI = ["yoru ni kakeru", "hoshimachi suisei", "senbonzakura", "koi", "rabu", "sutera"]
CHANNELS = ["YOASOBI", "星街すいせい", "Marine Ch.", "ラブ Live", "a_b studio", "Ｃover Ch"]
SEPARATORS = [" ", "", "/", "・", "【", "】", " - "]


def word_matches(word: str, field: str) -> bool:
    """``word`` and ``field`` normalised; the matching rule of docs/search.md, by brute force."""
    if any(char_class(c) == "c" for c in word) or char_class(word[0]) == "o":
        return word in field
    start = field.find(word)
    while start >= 0:
        if start == 0 or char_class(field[start - 1]) != char_class(field[start]):
            return True
        start = field.find(word, start + 1)
    return False


@dataclass(frozen=True)
class Row:
    key: str
    title: str
    romanized_title: str | None
    channel_id: str
    channel_name: str
    upload_date: date | None
    order: int  # insertion order = id order

    def title_fields(self) -> list[str]:
        return [normalize(f) for f in (self.title, self.romanized_title) if f]

    def channel_fields(self) -> list[str]:
        return [normalize(f) for f in (self.channel_name, channel_romaji(self.channel_name)) if f]


def query_words(q: str) -> list[str]:
    return list(dict.fromkeys(w for w in normalize(q).split(" ") if w))


def expected_videos(rows: list[Row], q: str) -> list[str]:
    """Matching keys in result order: all words in the title first, then newest first."""
    words = query_words(q)

    def in_any(row: Row, word: str) -> bool:
        return any(word_matches(word, f) for f in row.title_fields() + row.channel_fields())

    def in_title(row: Row) -> bool:
        return all(any(word_matches(w, f) for f in row.title_fields()) for w in words)

    found = [r for r in rows if all(in_any(r, w) for w in words)]

    def newest(row: Row) -> tuple[int, int, int]:
        d = row.upload_date
        return (0 if d else 1, -(d.toordinal() if d else 0), -row.order)

    if not words:
        return [r.key for r in sorted(found, key=newest)]
    return [r.key for r in sorted(found, key=lambda r: (0 if in_title(r) else 1, *newest(r)))]


def expected_channels(channels: dict[str, tuple[str, str | None]], q: str) -> set[str]:
    words = query_words(q)
    return {
        cid
        for cid, (name, romaji) in channels.items()
        if all(any(word_matches(w, normalize(f)) for f in (name, romaji) if f) for w in words)
    }


def make_corpus(seed: int, count: int) -> list[Row]:
    rnd = random.Random(seed)
    pool = LATIN + CJK + ODD
    rows = []
    for n in range(count):
        parts = [rnd.choice(pool) for _ in range(rnd.randint(1, 4))]
        title = "".join(p + rnd.choice(SEPARATORS) for p in parts).strip() or "x"
        romaji = rnd.choice(ROMAJI) if rnd.random() < 0.5 else None
        channel = rnd.choice(CHANNELS)
        day = date(2020, 1, 1) + timedelta(days=rnd.randint(0, 30)) if rnd.random() < 0.9 else None
        rows.append(
            Row(f"v{n:04d}", title, romaji, f"ch{CHANNELS.index(channel)}", channel, day, n)
        )
    return rows


def query_pool() -> list[str]:
    """Fragments worth searching for: every vocabulary entry and all its substrings."""
    pieces: set[str] = set()
    for entry in LATIN + CJK + ODD + ROMAJI + CHANNELS:
        for token in entry.split():
            for i in range(len(token)):
                for j in range(i + 1, min(len(token), i + 4) + 1):
                    pieces.add(token[i:j])
    return sorted(pieces)


def store(db: Database, rows: list[Row]) -> None:
    with db.transaction() as session:
        for n, name in enumerate(CHANNELS):
            session.add(
                Channel(channel_id=f"ch{n}", name=name, romanized_name=channel_romaji(name))
            )
        for row in rows:
            session.add(
                Video(
                    video_id=row.key,
                    title=row.title,
                    romanized_title=row.romanized_title,
                    channel_id=row.channel_id,
                    channel_name=row.channel_name,
                    upload_date=row.upload_date,
                )
            )
            session.flush()  # ids in insertion order, as the oracle assumes
