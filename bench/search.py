"""Search latency: a synthetic archive of N videos, the index build timed, a query mix over HTTP.

    .venv/bin/python bench/search.py --database-url sqlite:////tmp/search.db --videos 1000000 \\
        --build
    .venv/bin/python bench/search.py --database-url mysql+pymysql://root@127.0.0.1/pw_search \\
        --videos 1000000 --build

``--build`` fills ``videos``/``channels`` with bulk inserts (no ORM, so no index yet), then
times ``patchwork search reindex``'s function. Without it the existing archive is queried.
The app runs under a threaded werkzeug server on loopback; each query class is requested
``--rounds`` times (page 1, and page 2 for every other round); p50/p99 per class and overall.
Then ``POST /api/exact_match`` (Patchwork-Radio's lookup) is timed ``--exact-rounds`` times
with the title and channel name of videos drawn at random from the archive.
"""

from __future__ import annotations

import argparse
import http.client
import logging
import random
import statistics
import tempfile
import threading
import time
import urllib.parse
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, delete, func, insert, select, text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from patchwork.app import create_app
from patchwork.archive.search.romanize import romanize
from patchwork.archive.search.service import rebuild_index
from patchwork.config import Settings
from patchwork.db import Database
from patchwork.db.migrate import upgrade
from patchwork.db.models import Channel, Video

JP = [
    "夜に駆ける",
    "千本桜",
    "紅蓮華",
    "残響散歌",
    "アイドル",
    "群青",
    "怪物",
    "炎",
    "白日",
    "うっせぇわ",
    "ドライフラワー",
    "猫",
    "春よ、来い",
    "恋",
    "星間飛行",
    "天体観測",
    "小さな恋のうた",
    "打上花火",
    "廻廻奇譚",
    "新時代",
    "ブルーバード",
    "シルエット",
    "夜明けと蛍",
    "桜色舞うころ",
    "恋愛サーキュレーション",
    "メルト",
    "砂の惑星",
    "ロキ",
    "命に嫌われている",
    "夏祭り",
    "風になる",
    "空の青さを知る人よ",
    "君の知らない物語",
    "花に亡霊",
    "ハルジオン",
    "踊",
]
JP_TAGS = ["歌ってみた", "弾いてみた", "踊ってみた", "公式", "生放送", "切り抜き", "初音ミク"]
EN = (
    "love song night star dream light heart summer rain blue sky world fire snow moon day "
    "forever memory shine story dance journey home wings ocean flower tears promise secret "
    "midnight sunrise river garden crystal shadow echo silver golden winter spring autumn "
    "galaxy thunder angel ghost mirror paradise horizon"
).split()
TAGS = ["cover", "official", "mv", "live", "karaoke", "acoustic", "remix", "piano", "short"]
SINGER_JP = ["星街すいせい", "宝鐘マリン", "湊あくあ", "白上フブキ", "兎田ぺこら", "さくらみこ"]
SINGER_EN = ["Aurora", "Nova", "Luna", "Sora", "Kai", "Mika", "Rin", "Yuki", "Ren", "Hana"]

QUERIES: dict[str, list[str]] = {
    "rare word": ["zephyr7", "quill3", "xenon19", "marble42"],
    "common word": ["cover", "love", "official", "歌ってみた"],
    "cjk 1 char": ["夜", "恋", "猫", "炎"],
    "cjk 2 chars": ["千本", "群青", "花火", "駆け"],
    "cjk 3 chars": ["夜に駆", "千本桜", "天体観", "知らない"],
    "romaji": ["yoru", "senbonzakura", "gunjou", "hanabi"],
    "multi-word": ["love song", "夜に駆ける cover", "suisei 歌ってみた", "night star live"],
    "singer": ["星街", "aurora", "マリン", "hoshimachi"],
    # A common word and a short CJK word, both common and often in one title (issue 17).
    "mixed common+cjk": ["cover 桜", "love 夜", "歌ってみた 恋", "official 千本"],
}


def phrase_romaji(phrases: list[str]) -> dict[str, str]:
    return {p: romanize(p) or p for p in phrases}


def build(db: Database, videos: int, channels: int, seed: int = 1) -> None:
    rnd = random.Random(seed)
    romaji = phrase_romaji(JP + JP_TAGS + SINGER_JP)
    rare = [f"{w}{n}" for w in ("zephyr", "quill", "xenon", "marble") for n in range(50)]
    chan_rows: list[dict[str, Any]] = []
    for n in range(channels):
        if rnd.random() < 0.4:
            name = f"{rnd.choice(SINGER_JP)} Ch.{n}"
            roman = f"{romaji[name.split(' ')[0]]} ch.{n}"
        else:
            name, roman = f"{rnd.choice(SINGER_EN)} {rnd.choice(EN).title()} {n}", None
        chan_rows.append({"channel_id": f"UC{n:022d}", "name": name, "romanized_name": roman})
    with db.engine.begin() as connection:
        connection.execute(delete(Video))
        connection.execute(delete(Channel))
        connection.execute(
            insert(Channel), [{**c, "has_avatar": False, "has_banner": False} for c in chan_rows]
        )
    start = date(2008, 1, 1)
    batch: list[dict[str, Any]] = []
    with db.engine.begin() as connection:
        for i in range(videos):
            channel = chan_rows[int(rnd.paretovariate(1.2)) % channels]
            kind = rnd.random()
            words = [rnd.choice(EN) for _ in range(rnd.randint(1, 3))]
            if rnd.random() < 0.002:
                words.append(rnd.choice(rare))
            if kind < 0.55:  # a Japanese title with romaji
                song = rnd.choice(JP)
                tag = rnd.choice(JP_TAGS) if rnd.random() < 0.5 else ""
                # Japanese titles often carry a Latin tag too ("cover 桜" then has many matches).
                latin = f" ({rnd.choice(TAGS)})" if rnd.random() < 0.4 else ""
                title = f"【{tag or 'MV'}】{song}{latin} / {channel['name']} {words[0]}"
                roman = f"{romaji[tag] if tag else 'MV'} {romaji[song]} {words[0]}"
            else:
                tag = rnd.choice(TAGS) if rnd.random() < 0.6 else ""
                # ... and English ones the Japanese song they cover.
                song = f" {rnd.choice(JP)}" if rnd.random() < 0.3 else ""
                title = f"{' '.join(words).title()}{song} ({tag or 'Original'}) - {channel['name']}"
                roman = None
            batch.append(
                {
                    "video_id": f"v{i:010d}",
                    "title": title,
                    "romanized_title": roman,
                    "channel_id": channel["channel_id"],
                    "channel_name": channel["name"],
                    "upload_date": start + timedelta(days=rnd.randint(0, 6000)),
                    "description": "",
                    "platform": "youtube",
                }
            )
            if len(batch) == 10_000:
                connection.execute(insert(Video), batch)
                batch.clear()
        if batch:
            connection.execute(insert(Video), batch)


def prepare(url: str) -> Database:
    parsed = make_url(url)
    if parsed.get_backend_name() in ("mysql", "mariadb"):
        server = create_engine(parsed.set(database="mysql"), isolation_level="AUTOCOMMIT")
        with server.connect() as connection:
            connection.execute(
                text(f"CREATE DATABASE IF NOT EXISTS `{parsed.database}` CHARACTER SET utf8mb4")
            )
        server.dispose()
    db = Database(url)
    upgrade(db)
    return db


def ask(connection: http.client.HTTPConnection, q: str, page: int) -> float:
    """One search request; its latency in ms."""
    path = "/api/search/results?" + urllib.parse.urlencode({"q": q, "page": page})
    began = time.perf_counter()
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    assert response.status == 200, (q, response.status)
    return (time.perf_counter() - began) * 1000


def measure(port: int, rounds: int, classes: list[str]) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {name: [] for name in classes}
    connection = http.client.HTTPConnection("127.0.0.1", port)
    for r in range(rounds):
        for name in classes:
            queries = QUERIES[name]
            timings[name].append(ask(connection, queries[r % len(queries)], 2 if r % 2 else 1))
    return timings


def measure_concurrent(
    port: int, rounds: int, classes: list[str], connections: int
) -> tuple[dict[str, list[float]], dict[str, float]]:
    """Each class alone, ``rounds`` requests on each of ``connections`` keep-alive
    connections at once: latencies and requests per second."""
    timings: dict[str, list[float]] = {}
    rates: dict[str, float] = {}
    for name in classes:
        queries = QUERIES[name]
        found: list[list[float]] = [[] for _ in range(connections)]

        def client(n: int, queries: list[str] = queries, found: list[list[float]] = found) -> None:
            connection = http.client.HTTPConnection("127.0.0.1", port)
            for r in range(rounds):
                k = r + n
                found[n].append(ask(connection, queries[k % len(queries)], 2 if k % 2 else 1))

        threads = [threading.Thread(target=client, args=(n,)) for n in range(connections)]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        rates[name] = rounds * connections / (time.perf_counter() - began)
        timings[name] = [t for values in found for t in values]
    return timings, rates


def exact_match_pairs(db: Database, count: int, seed: int = 2) -> list[tuple[str, str]]:
    """(title, channel name) of ``count`` videos picked at random by archive order."""
    rnd = random.Random(seed)
    with db.engine.connect() as connection:
        top = connection.scalar(select(func.max(Video.id))) or 0
        wanted = sorted({rnd.randint(1, top) for _ in range(count)}) if top else []
        rows = connection.execute(
            select(Video.title, Video.channel_name).where(Video.id.in_(wanted))
        ).all()
    return [(title, channel) for title, channel in rows]


def measure_exact_match(port: int, pairs: list[tuple[str, str]]) -> list[float]:
    timings = []
    connection = http.client.HTTPConnection("127.0.0.1", port)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    for title, channel in pairs:
        body = urllib.parse.urlencode({"title": title, "channel_name": channel})
        began = time.perf_counter()
        connection.request("POST", "/api/exact_match", body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        timings.append((time.perf_counter() - began) * 1000)
        assert response.status == 200, (title, channel, response.status)
    return timings


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--videos", type=int, default=100_000)
    parser.add_argument("--channels", type=int, default=5_000)
    parser.add_argument("--build", action="store_true")
    parser.add_argument(
        "--reindex", action="store_true", help="rebuild (and time) the index of existing data"
    )
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--exact-rounds", type=int, default=200)
    parser.add_argument(
        "--connections",
        type=int,
        default=1,
        help="above 1: each class alone over this many concurrent connections, with req/s",
    )
    parser.add_argument("--classes", help="comma-separated query classes (default: all)")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    logging.getLogger("patchwork.request").setLevel(logging.WARNING)
    db = prepare(args.database_url)
    if args.build:
        began = time.monotonic()
        build(db, args.videos, args.channels)
        print(f"archive of {args.videos} videos written in {time.monotonic() - began:.0f} s")
    if args.build or args.reindex:
        began = time.monotonic()
        rebuild_index(db)
        print(f"index built in {time.monotonic() - began:.0f} s", flush=True)
    pairs = exact_match_pairs(db, args.exact_rounds)
    db.dispose()
    instance = Path(tempfile.mkdtemp(prefix="pw-bench-"))
    settings = Settings(
        instance_path=instance,
        database_url=args.database_url,
        storage_url=f"file://{instance}",
        rate_limits=False,  # the bench measures search, not the limiter
    )
    server = make_server("127.0.0.1", 0, create_app(settings), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    classes = args.classes.split(",") if args.classes else list(QUERIES)
    measure(server.server_port, 1, classes)  # warm the connection pool and caches
    rates: dict[str, float] = {}
    if args.connections > 1:
        timings, rates = measure_concurrent(
            server.server_port, args.rounds, classes, args.connections
        )
    else:
        timings = measure(server.server_port, args.rounds, classes)
    exact = measure_exact_match(server.server_port, pairs) if pairs else []
    server.shutdown()
    everything = [t for values in timings.values() for t in values]
    print(f"{'class':<18} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'req/s':>7}")
    rows = [*timings.items(), ("overall", everything)]
    if exact:
        rows.append(("exact_match", exact))
    for name, values in rows:
        rate = f"{rates[name]:7.1f}" if name in rates else ""
        print(
            f"{name:<18} {statistics.median(values):8.1f} {pct(values, 99):8.1f} "
            f"{max(values):8.1f} {rate}"
        )


if __name__ == "__main__":
    main()
