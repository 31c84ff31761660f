"""yt-dlp style ``.info.json`` samples: Japanese titles, emoji, renamed channels, Bilibili."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def info(
    video_id: str,
    title: str,
    *,
    channel_id: str = "UCsuisei0000000000000000",
    channel: str = "Suisei Channel",
    upload_date: str = "20240101",
    description: str = "line one\nline two",
    duration: float = 215.0,
    extractor: str = "Youtube",
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": video_id,
        "title": title,
        "fulltitle": title,
        "upload_date": upload_date,
        "description": description,
        "duration": duration,
        "extractor": extractor.lower(),
        "extractor_key": extractor,
        "webpage_url": f"https://www.youtube.com/watch?v={video_id}",
        "formats": [{"format_id": "251", "ext": "webm"}],
    }
    if extractor == "BiliBili":
        data.update(uploader_id=channel_id, uploader=channel)
        data["webpage_url"] = f"https://www.bilibili.com/video/{video_id}"
    else:
        data.update(channel_id=channel_id, channel=channel, uploader=channel)
    return data


SAMPLES: list[dict[str, Any]] = [
    info(
        "aaaaaaaaaa1",
        "夜に駆ける / YOASOBI cover",
        upload_date="20230105",
        channel="星街すいせい",
        description="歌ってみた 🎤\nMix: someone",
    ),
    info(
        "aaaaaaaaaa2",
        "Stellar Stellar (Original)",
        upload_date="20230601",
        channel="Suisei Channel",
    ),
    info(
        "AAAAAAAAAA2", "Case twin of aaaaaaaaaa2", upload_date="20220101", channel="Suisei Channel"
    ),
    info(
        "bbbbbbbbbb1",
        "Idol 💫 アイドル",
        channel_id="UCmarine00000000000000000",
        channel="Marine Ch. 宝鐘マリン",
        upload_date="20240310",
    ),
    info(
        "bbbbbbbbbb2",
        "Same day A",
        channel_id="UCmarine00000000000000000",
        channel="Marine Ch.",
        upload_date="20240310",
    ),
    info(
        "BV1xx411c7mD",
        "【初音ミク】千本桜",
        channel_id="12345",
        channel="bilibili user",
        upload_date="20210707",
        extractor="BiliBili",
    ),
]


def video_bytes(video_id: str) -> bytes:
    """A stand-in video file, different per id."""
    return (video_id.encode() * 997)[: 2048 + 37 * len(video_id)]


def write_samples(
    folder: Path, samples: list[dict[str, Any]] | None = None, *, media: bool = True
) -> list[Path]:
    """Write samples as yt-dlp would; with ``media``, each gets a .webm, a .jpg and captions."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, sample in enumerate(samples if samples is not None else SAMPLES):
        sub = folder / ("nested" if index % 2 else "")
        sub.mkdir(exist_ok=True)
        stem = sub / sample["id"]
        path = sub / f"{sample['id']}.info.json"
        path.write_text(json.dumps(sample, ensure_ascii=False), encoding="utf-8")
        if media:
            (sub / f"{sample['id']}.webm").write_bytes(video_bytes(sample["id"]))
            (sub / f"{sample['id']}.jpg").write_bytes(b"\xff\xd8\xff" + sample["id"].encode())
            Path(f"{stem}.en.vtt").write_text("WEBVTT\n\n00:00.000 --> 00:01.000\nhi\n")
        paths.append(path)
    return paths
