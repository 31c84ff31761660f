"""``patchwork demo``: three tiny real videos (4 s each, generated with ffmpeg's test sources
and shipped here, 170 KB in all), imported through the same path as ``patchwork import``."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from patchwork.archive.ingest.folders import ImportReport, find_downloads, import_downloads
from patchwork.db import Database
from patchwork.storage import Storage

HERE = Path(__file__).parent

DEMO_VIDEOS: list[dict[str, Any]] = [
    {
        "id": "pwdemo00001",
        "title": "テストパターン (Test pattern) — Patchwork demo",
        "channel": "Patchwork デモ",
        "channel_id": "UCpatchworkdemo000000000",
        "upload_date": "20240401",
        "description": "A test pattern with a 440 Hz tone.\nCaptions: English and 日本語.",
    },
    {
        "id": "pwdemo00002",
        "title": "Mandelbrot zoom 🌀",
        "channel": "Patchwork デモ",
        "channel_id": "UCpatchworkdemo000000000",
        "upload_date": "20240402",
        "description": "A fractal, a 660 Hz tone and no captions.",
    },
    {
        "id": "pwdemo00003",
        "title": "SMPTE colour bars (mp4)",
        "channel": "Test Signals",
        "channel_id": "UCtestsignals00000000000",
        "upload_date": "20231224",
        "description": "An H.264/AAC file, to show that any container plays.",
    },
]


def load_demo(db: Database, storage: Storage) -> ImportReport:
    """Import the demo videos; running it again updates them."""
    with tempfile.TemporaryDirectory(prefix="patchwork-demo-") as folder:
        target = Path(folder)
        for video in DEMO_VIDEOS:
            info = {
                **video,
                "uploader": video["channel"],
                "duration": 4,
                "extractor": "generic",
                "extractor_key": "Generic",
                "webpage_url": f"https://example.invalid/patchwork-demo/{video['id']}",
            }
            (target / f"{video['id']}.info.json").write_text(
                json.dumps(info, ensure_ascii=False), encoding="utf-8"
            )
            for path in HERE.glob(f"{video['id']}.*"):
                shutil.copyfile(path, target / path.name)
        return import_downloads(db, storage, list(find_downloads([target])))
