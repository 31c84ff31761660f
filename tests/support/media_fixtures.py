"""The ``media`` fixture: one video with its files in a fresh archive, on each storage backend.

Used by the /media tests in tests/api/; registered through ``pytest_plugins`` in conftest.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from patchwork.app import create_app
from patchwork.config import Settings
from patchwork.db.models import Caption, Channel, StoredFile, Video
from patchwork.state import app_state
from patchwork.storage import Storage

IMMUTABLE = "public, max-age=31536000, immutable"


@dataclass
class Media:
    app: Flask
    client: FlaskClient
    storage: Storage
    kind: str

    def add_video(
        self,
        video_id: str,
        data: bytes = b"video bytes",
        *,
        ext: str = "webm",
        file_kind: str = "video",
        content_type: str | None = None,
        with_row: bool = True,
        with_object: bool = True,
    ) -> str:
        prefix = {"video": "video", "thumbnail": "thumbnails", "metadata": "metadata"}[file_kind]
        key = f"{prefix}/{video_id}.{ext}"
        if with_object:
            self.storage.write_bytes(key, data)
        with app_state(self.app).db.transaction() as session:
            if session.query(Video).filter_by(video_id=video_id).first() is None:
                session.add(
                    Video(
                        video_id=video_id,
                        title=f"Title of {video_id}",
                        channel_id="UCchannel",
                        channel_name="A channel",
                    )
                )
                session.flush()
            if with_row:
                session.add(
                    StoredFile(
                        video_id=video_id,
                        kind=file_kind,
                        storage_key=key,
                        extension=ext,
                        size_bytes=len(data),
                        content_type=content_type,
                    )
                )
        return key

    def add_caption(self, video_id: str, language: str, fmt: str, data: bytes) -> str:
        key = f"captions/{video_id}/{video_id}.{language}.{fmt}"
        self.storage.write_bytes(key, data)
        with app_state(self.app).db.transaction() as session:
            session.add(
                Caption(
                    video_id=video_id,
                    language=language,
                    format=fmt,
                    storage_key=key,
                    size_bytes=len(data),
                )
            )
        return key

    def add_channel(
        self, channel_id: str, *, avatar: bytes | None = None, banner: bytes | None = None
    ) -> None:
        if avatar is not None:
            self.storage.write_bytes(f"channels/{channel_id}/avatar.jpg", avatar)
        if banner is not None:
            self.storage.write_bytes(f"channels/{channel_id}/banner.jpg", banner)
        with app_state(self.app).db.transaction() as session:
            session.add(
                Channel(
                    channel_id=channel_id,
                    name="A channel",
                    has_avatar=avatar is not None,
                    has_banner=banner is not None,
                )
            )


MediaFactory = Callable[..., Media]


@pytest.fixture(params=["local", "s3"])
def make_media(request: pytest.FixtureRequest, settings: Settings) -> Iterator[MediaFactory]:
    apps: list[Flask] = []
    base = settings
    if request.param == "s3":
        bucket = request.getfixturevalue("s3_bucket")
        endpoint = request.getfixturevalue("moto_server")
        base = settings.with_overrides(
            storage_url=f"s3://{bucket}/archive", s3_endpoint_url=endpoint
        )

    def build(**overrides: Any) -> Media:
        app = create_app(base.with_overrides(**overrides))
        app.config["TESTING"] = True
        apps.append(app)
        return Media(app, app.test_client(), app_state(app).storage, request.param)

    yield build
    for app in apps:
        app_state(app).db.dispose()


@pytest.fixture
def media(make_media: MediaFactory) -> Media:
    return make_media()


# -- whole files and ranges ---------------------------------------------------------------
