"""A small archive for the viewer's tests: the three demo videos plus a hostile title, a
channel with enough videos to paginate, and captions in SubRip and srv3."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from patchwork.archive.ingest.folders import find_downloads, import_downloads
from patchwork.db import Database
from patchwork.demo import HERE as DEMO_FILES
from patchwork.demo import load_demo
from patchwork.storage import Storage

DEMO_CHANNEL = "UCpatchworkdemo000000000"
EVIL_ID = "pwevil00001"
EVIL_CHANNEL = "UCevil000000000000000000"
EVIL_TITLE = '<script>alert("owned")</script> & <b>bold</b>'
EVIL_DESCRIPTION = (
    "First line\nSee https://example.com/a?b=1&c=2 and <img src=x onerror=alert(1)>\n"
    'javascript:alert(1) "quoted"'
)
SUBRIP_ID = "pwsubs00001"
FILLERS = 5  # the demo channel then has 2 + 5 + 1 videos

SRT = """1
00:00:00,000 --> 00:00:02,000
<i>Hello</i> from SubRip & <script>no</script>

2
00:00:02,000 --> 00:00:04,000
Second cue
"""
SRV3 = (
    '<?xml version="1.0" encoding="utf-8" ?><timedtext format="3"><body>'
    '<p t="0" d="2000">srv3 <s>cue</s> one</p><p t="2000" d="1500">two &amp; more</p>'
    "</body></timedtext>"
)


def _info(video_id: str, title: str, channel_id: str, channel: str, day: str, text: str) -> str:
    return json.dumps(
        {
            "id": video_id,
            "title": title,
            "channel": channel,
            "channel_id": channel_id,
            "uploader": channel,
            "upload_date": day,
            "description": text,
            "duration": 4,
            "extractor": "generic",
            "extractor_key": "Generic",
            "webpage_url": f"https://example.invalid/v/{video_id}",
        },
        ensure_ascii=False,
    )


def build_archive(db: Database, storage: Storage) -> None:
    report = load_demo(db, storage)
    assert not report.failed, report.failed
    webm = DEMO_FILES / "pwdemo00002.webm"
    jpg = DEMO_FILES / "pwdemo00002.jpg"
    with tempfile.TemporaryDirectory(prefix="patchwork-web-") as folder:
        target = Path(folder)

        def add(
            video_id: str, title: str, channel_id: str, channel: str, day: str, text: str
        ) -> None:
            (target / f"{video_id}.info.json").write_text(
                _info(video_id, title, channel_id, channel, day, text), encoding="utf-8"
            )
            shutil.copyfile(webm, target / f"{video_id}.webm")
            shutil.copyfile(jpg, target / f"{video_id}.jpg")

        add(EVIL_ID, EVIL_TITLE, EVIL_CHANNEL, "<i>Evil</i> channel", "20240105", EVIL_DESCRIPTION)
        for n in range(FILLERS):
            add(
                f"pwfill0000{n}",
                f"Filler clip number {n}",
                DEMO_CHANNEL,
                "Patchwork デモ",
                f"2023010{n + 1}",
                "A copy of the Mandelbrot zoom.",
            )
        add(
            SUBRIP_ID,
            "Captions in SubRip and srv3",
            DEMO_CHANNEL,
            "Patchwork Demo (old name)",
            "20220101",
            "Two converted caption tracks.",
        )
        (target / f"{SUBRIP_ID}.en.srt").write_text(SRT, encoding="utf-8")
        (target / f"{SUBRIP_ID}.ja.srv3").write_text(SRV3, encoding="utf-8")
        report = import_downloads(db, storage, list(find_downloads([target])))
        assert not report.failed, report.failed
