"""An archive holding the samples the frontend-URL tests request, in either storage layout.

``make_archive`` builds one per layout (Patchwork's versioned keys, the original's bucket)
and backend (local directory, moto S3); see tests/api/test_media_frontend_urls.py.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest
from flask import Flask
from flask.testing import FlaskClient

from patchwork.app import create_app
from patchwork.archive.ingest.video_files import record_video_files, write_file
from patchwork.archive.media import layout
from patchwork.config import Settings
from patchwork.db.models import Caption, Channel, StoredFile, Video
from patchwork.state import app_state
from patchwork.storage.legacy_layout import LegacyLayoutStorage

CHANNEL = "UC_front_A"  # an underscore, as in `${channel_id}_pfp.jpg`
AVATAR, CHANNEL_BANNER = b"\xff\xd8\xff avatar", b"\xff\xd8\xff banner"

EN_VTT = (
    "WEBVTT\n\nNOTE not a cue\n\n"
    "00:00.000 --> 00:01.500 align:start\nTom & Jerry <i>say</i>\nline two\n\n"
    "00:01.500 --> 00:03.000\n1 &lt; 2 &amp;&amp; <c.yellow>3</c>\n"
)
JA_SRT = (
    "1\n00:00:00,000 --> 00:00:02,000\nこんにちは\n\n"
    "2\n00:00:02,000 --> 00:00:04,250\n<i>世界</i>\n"
)
EN_SRV3 = (
    '<?xml version="1.0" encoding="utf-8" ?><timedtext format="3"><body>'
    '<p t="0" d="1500">first</p><p t="1500" d="2000">second &amp; last</p></body></timedtext>'
)
FR_VTT = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nbonjour\n"
DE_SRV3 = '<timedtext format="3"><body><p t="500" d="1000">hallo</p></body></timedtext>'

# id -> (video extension, its true type, thumbnail extension, its type, captions)
VIDEOS: dict[str, tuple[str, str, str, str, dict[str, tuple[str, str]]]] = {
    "vidWebm0001": (
        "webm",
        "video/webm",
        "jpg",
        "image/jpeg",
        {"en": ("vtt", EN_VTT), "ja": ("srt", JA_SRT)},
    ),
    "vidMp400001": (
        "mp4",
        "video/mp4",
        "webp",
        "image/webp",
        {"en": ("srv3", EN_SRV3), "fr": ("vtt", FR_VTT)},
    ),
    "vidMkv00001": ("mkv", "video/x-matroska", "png", "image/png", {"de": ("srv3", DE_SRV3)}),
}
DATA = {video_id: os.urandom(4000 + i) for i, video_id in enumerate(VIDEOS)}
THUMBS = {video_id: b"image of " + video_id.encode() for video_id in VIDEOS}


@dataclass
class Archive:
    app: Flask
    client: FlaskClient
    layout: str  # patchwork | legacy
    backend: str  # local | s3

    def add_video(self, video_id: str, files: list[tuple[str, str, bytes]]) -> None:
        """``files``: (kind, ext, bytes), kind video, thumbnail or captions/<lang>."""
        state = app_state(self.app)
        with state.db.transaction() as session:
            session.add(
                Video(video_id=video_id, title=video_id, channel_id=CHANNEL, channel_name="A")
            )
            session.flush()
            if self.layout == "patchwork":
                # As an import or a worker leaves them: versioned keys, rows via the one writer.
                written = [
                    write_file(state.storage, kind, ext, video_id, "i-0000beef", iter([data]))
                    for kind, ext, data in files
                ]
                record_video_files(session, video_id, written)
                return
            legacy = cast("LegacyLayoutStorage", state.storage)
            for kind, ext, data in files:
                # Where the original put them; rows hold Patchwork's unversioned keys.
                key = layout.file_key(kind, ext, video_id)
                if kind == "video":
                    legacy.videos.write_bytes(f"{video_id}.{ext}", data)
                    session.add(
                        StoredFile(video_id=video_id, kind=kind, storage_key=key, extension=ext)
                    )
                elif kind == "thumbnail":
                    legacy.content.write_bytes(f"thumbnails/{video_id}.{ext}", data)
                    session.add(
                        StoredFile(video_id=video_id, kind=kind, storage_key=key, extension=ext)
                    )
                else:
                    language = kind.split("/", 1)[1]
                    legacy.content.write_bytes(
                        f"captions/{video_id}/{video_id}.{language}.{ext}", data
                    )
                    session.add(
                        Caption(video_id=video_id, language=language, format=ext, storage_key=key)
                    )

    def add_channel(self, channel_id: str, avatar: bytes, banner: bytes | None) -> None:
        state = app_state(self.app)
        images = {"avatar": avatar, "banner": banner}
        for image, data in images.items():
            if data is None:
                continue
            if self.layout == "patchwork":
                state.storage.write_bytes(
                    layout.channel_image_key(channel_id, f"channel-{image}"), data
                )
            else:
                suffix = "_pfp.jpg" if image == "avatar" else "_banner.jpg"
                cast("LegacyLayoutStorage", state.storage).channel_images.write_bytes(
                    f"{channel_id}{suffix}", data
                )
        with state.db.transaction() as session:
            session.add(
                Channel(
                    channel_id=channel_id, name="A", has_avatar=True, has_banner=banner is not None
                )
            )

    def add_samples(self) -> None:
        for video_id, (ext, _, thumb_ext, _, captions) in VIDEOS.items():
            files = [("video", ext, DATA[video_id]), ("thumbnail", thumb_ext, THUMBS[video_id])]
            files += [
                (f"captions/{lang}", fmt, text.encode()) for lang, (fmt, text) in captions.items()
            ]
            self.add_video(video_id, files)
        self.add_channel(CHANNEL, AVATAR, CHANNEL_BANNER)
        self.add_channel("UCnobanner", AVATAR, None)


ArchiveFactory = Callable[..., Archive]


@pytest.fixture(params=["patchwork-local", "patchwork-s3", "legacy-local", "legacy-s3"])
def make_archive(
    request: pytest.FixtureRequest, settings: Settings, tmp_path: Path
) -> Iterator[ArchiveFactory]:
    layout_name, backend = request.param.split("-")
    base = settings
    if backend == "s3":
        bucket = request.getfixturevalue("s3_bucket")
        base = base.with_overrides(s3_endpoint_url=request.getfixturevalue("moto_server"))
        roots = [f"s3://{bucket}/{name}" for name in ("VTuber Covers Archive", "content", "images")]
    else:
        roots = [f"file://{tmp_path / name}" for name in ("videos", "content", "images")]
    if layout_name == "legacy":
        extra = {
            "PATCHWORK_STORAGE_LAYOUT": "legacy",
            "PATCHWORK_LEGACY_CONTENT_URL": roots[1],
            "PATCHWORK_LEGACY_CHANNEL_IMAGES_URL": roots[2],
        }
        base = base.with_overrides(storage_url=roots[0]).with_environment(extra)
    elif backend == "s3":
        base = base.with_overrides(storage_url=f"s3://{bucket}/archive")
    apps: list[Flask] = []

    def build(**overrides: Any) -> Archive:
        app = create_app(base.with_overrides(**overrides))
        app.config["TESTING"] = True
        apps.append(app)
        archive = Archive(app, app.test_client(), layout_name, backend)
        archive.add_samples()
        return archive

    yield build
    for app in apps:
        app_state(app).db.dispose()


@pytest.fixture
def archive(make_archive: ArchiveFactory) -> Archive:
    return make_archive()
