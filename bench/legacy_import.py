"""Bench: import an original Patchwork database of N songs (default 1,000,000) on MariaDB.

    .venv/bin/python bench/legacy_import.py --rows 1000000 \
        --mysql mysql+pymysql://root@127.0.0.1:3306/x

Builds the original's schema (tests/support/legacy_schema.sql) in ``patchwork_bench_legacy`` with
multi-row INSERTs: N songs with a romanized row and a files row each, N/100 channels, N/10
views and a few thousand queue, log and token rows. The target is a fresh MariaDB database
``patchwork_bench_target``. The import runs as ``patchwork legacy import`` in a subprocess;
the bench prints its wall time and peak RSS (``wait4``'s ru_maxrss = the child's VmHWM).
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from legacy_fixtures import create_legacy_database

PATCHWORK = str(Path(sys.executable).with_name("patchwork"))
CHUNK = 5000
WORDS = [
    "sora",
    "hoshi",
    "yoru",
    "kaze",
    "umi",
    "hana",
    "yume",
    "koe",
    "uta",
    "tsuki",
    "ame",
    "natsu",
    "fuyu",
    "haru",
    "aki",
]


def generate(url: str, rows: int, seed: int = 8) -> None:
    rng = random.Random(seed)
    channels = max(1, rows // 100)
    engine = create_engine(url)
    with _Chunks(engine) as c:
        for start in range(0, channels, CHUNK):
            c.execute(
                text("INSERT INTO channels VALUES (:a, :b, :c, :d)"),
                [
                    {"a": f"UC{i:020d}", "b": f"チャンネル {i}", "c": f"channeru {i}", "d": "about"}
                    for i in range(start, min(channels, start + CHUNK))
                ],
            )
        for start in range(1, rows + 1, CHUNK):
            ids = range(start, min(rows + 1, start + CHUNK))
            songs, roman, files = [], [], []
            for i in ids:
                # Every 500th id repeats an earlier video (the original's duplicates).
                vid = f"v{(i - 7 if i % 500 == 0 else i):010d}"
                words = " ".join(rng.choices(WORDS, k=4))
                songs.append(
                    {
                        "v": vid,
                        "t": f"夜の{words} 🎵",
                        "n": f"Name {i % channels}",
                        "c": f"UC{i % channels:020d}",
                        "d": f"20{10 + i % 14}-{1 + i % 12:02d}-{1 + i % 28:02d}",
                        "s": f"line one \\nline two {words}",
                        "i": i,
                    }
                )
                roman.append({"v": vid, "r": f"yoru no {words}"})
                files.append({"v": vid, "m": round(rng.uniform(1, 400), 2), "e": "webm"})
            c.execute(text("INSERT INTO songs VALUES (:v, :t, :n, :c, :d, :s, :i)"), songs)
            c.execute(
                text("INSERT INTO romanized (video_id, romanized_title) VALUES (:v, :r)"), roman
            )
            c.execute(
                text("INSERT IGNORE INTO files VALUES (:v, :m, :e)"),
                files,
            )
        for start in range(1, rows // 10 + 1, CHUNK):
            c.execute(
                text("INSERT IGNORE INTO views VALUES (:v, :n)"),
                [
                    {"v": f"v{i * 10 + 1:010d}", "n": rng.randint(1, 9999)}
                    for i in range(start, min(rows // 10 + 1, start + CHUNK))
                ],
            )
        c.execute(
            text("INSERT INTO archive_queue (url, mode) VALUES (:u, :m)"),
            [
                {"u": f"https://youtu.be/q{i:010d}", "m": i % 3 if i % 3 != 2 else 0}
                for i in range(2000)
            ],
        )
        c.execute(
            text("INSERT INTO archive_queue_auth (token) VALUES (:t)"),
            [{"t": f"queue-secret-{i}"} for i in range(20)],
        )
        c.execute(text("INSERT INTO archive_worker_auth (token) VALUES ('worker-secret-0')"))
        c.execute(
            text("INSERT INTO archive_log (url, user, status, timestamp) VALUES (:u, :t, :s, :w)"),
            [
                {
                    "u": f"https://youtu.be/q{i:010d}",
                    "t": f"queue-secret-{i % 20}",
                    "s": "Processed" if i % 2 else "Queued",
                    "w": "2024-01-01 00:00:00",
                }
                for i in range(5000)
            ],
        )
        c.execute(
            text(
                "INSERT INTO worker_status VALUES (1, 'w1', 'worker-secret-0', 'Idle', "
                "'2024-01-01 00:00:00')"
            )
        )
    engine.dispose()


class _Chunks:
    """Runs every statement in its own committed transaction with foreign keys off."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __enter__(self) -> _Chunks:
        return self

    def __exit__(self, *_: object) -> None:
        return None

    def execute(self, statement: Any, rows: Any = None) -> None:
        with self.engine.begin() as connection:
            connection.execute(text("SET FOREIGN_KEY_CHECKS = 0"))
            connection.execute(statement, rows) if rows is not None else connection.execute(
                statement
            )


def check_counts(url: str, rows: int) -> None:
    engine = create_engine(url)
    with engine.connect() as connection:
        songs = connection.execute(text("SELECT COUNT(*) FROM songs")).scalar()
    engine.dispose()
    if songs != rows:
        raise SystemExit(f"generation lost rows: {songs} songs instead of {rows}")


def fresh_target(base: str) -> str:
    name = "patchwork_bench_target"
    server = create_engine(make_url(base).set(database="mysql"), isolation_level="AUTOCOMMIT")
    with server.connect() as c:
        c.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        c.execute(text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
    server.dispose()
    return make_url(base).set(database=name).render_as_string(hide_password=False)


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, int, int]:
    """Wall seconds, peak RSS in MiB and exit status of a child process."""
    started = time.monotonic()
    child = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert child.stdout is not None
    output = child.stdout.read().decode()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    print(output)
    return time.monotonic() - started, usage.ru_maxrss // 1024, child.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--mysql",
        default=os.environ.get("PATCHWORK_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/x"),
    )
    parser.add_argument("--skip-generate", action="store_true", help="reuse the legacy database")
    args = parser.parse_args()
    legacy = (
        make_url(args.mysql)
        .set(database="patchwork_bench_legacy")
        .update_query_dict({"charset": "utf8mb4"})
        .render_as_string(hide_password=False)
    )
    if not args.skip_generate:
        started = time.monotonic()
        legacy = create_legacy_database(args.mysql, "patchwork_bench_legacy")
        generate(legacy, args.rows)
        check_counts(legacy, args.rows)
        print(f"generated {args.rows:,} songs in {time.monotonic() - started:.0f} s")
    target = fresh_target(args.mysql)
    env = {**os.environ, "PATCHWORK_DATABASE_URL": target, "PATCHWORK_ENV_FILE": "/nonexistent"}
    subprocess.run([PATCHWORK, "db", "upgrade"], env=env, check=True, capture_output=True)
    wall, rss, status = timed([PATCHWORK, "legacy", "import", "--from", legacy], env)
    print(f"first run:  {wall:.0f} s wall, peak RSS {rss} MiB, exit {status}")
    wall2, rss2, status2 = timed([PATCHWORK, "legacy", "import", "--from", legacy], env)
    print(f"second run: {wall2:.0f} s wall, peak RSS {rss2} MiB, exit {status2}")


if __name__ == "__main__":
    main()
