"""The original's storage layout (``PATCHWORK_STORAGE_LAYOUT=legacy``) archives new videos.

Uploads are staged under ``staging/`` of the storage URL, which the layout routes to its
fallback; by default the fallback is the same storage as the videos (and everything else),
and its listing used to come back empty, so every completion answered 409. Here a worker
archives, re-archives and deletes on local disk and on moto's S3, with one storage URL for
everything and with separate video, content and channel-image URLs, and the objects land
where the original's rclone put them (docs/api-contract.md §7).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from patchwork.archive.maintenance.scan import scan_storage
from patchwork.cli import cli
from patchwork.config import Settings
from patchwork.db import Database
from patchwork.state import app_state
from patchwork.storage import Storage
from patchwork.storage.legacy_layout import LegacyLayoutStorage
from support.queue_fixtures import Tokens, auth, claim, enqueue, info, upload
from support.worker_fixtures import WEBM, LiveServer, Source

PREFIX = "VTuber Covers Archive"
VID = "dQw4w9WgXcQ"
CHANNEL_ID = "UCchannel0000000000000"
VERSIONED = r"\.j[0-9]+a[0-9]+-[0-9a-f]{8}\."


@dataclass(frozen=True)
class Arrangement:
    env: dict[str, str]
    s3_endpoint_url: str | None


@pytest.fixture(params=["local-shared", "local-separate", "s3-shared", "s3-separate"])
def arrangement(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Arrangement]:
    where, sharing = request.param.split("-")
    endpoint: str | None = None
    if where == "local":
        videos, content, images = (f"file://{tmp_path / n}" for n in ("videos", "c", "i"))
    else:
        endpoint = request.getfixturevalue("moto_server")
        s3: Any = request.getfixturevalue("s3_client")
        bucket = request.getfixturevalue("s3_bucket")
        other = f"{bucket}-content"
        s3.create_bucket(Bucket=other)
        videos, content, images = (
            f"s3://{bucket}/{PREFIX}",
            f"s3://{other}/{PREFIX}",
            f"s3://{other}/images",
        )
    env = {"PATCHWORK_STORAGE_URL": videos, "PATCHWORK_STORAGE_LAYOUT": "legacy"}
    if sharing == "separate":
        env["PATCHWORK_LEGACY_CONTENT_URL"] = content
        env["PATCHWORK_LEGACY_CHANNEL_IMAGES_URL"] = images
    yield Arrangement(env, endpoint)
    if where == "s3":
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=other):
            for obj in page.get("Contents", []):
                s3.delete_object(Bucket=other, Key=obj["Key"])
        s3.delete_bucket(Bucket=other)


@pytest.fixture
def settings(settings: Settings, arrangement: Arrangement) -> Settings:
    return settings.with_overrides(s3_endpoint_url=arrangement.s3_endpoint_url).with_environment(
        arrangement.env
    )


def layout_of(app: Flask) -> LegacyLayoutStorage:
    storage = app_state(app).storage
    assert isinstance(storage, LegacyLayoutStorage)
    return storage


def natives(storage: Storage, owner: str) -> list[str]:
    """The keys of ``owner``'s objects as the original's layout names them."""
    return sorted(i.key for i in storage.list("") if owner in i.key)


def run_worker(live: LiveServer, workdir: Path) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli,
        [
            *("worker", "--once", "--server", live.base, "--token", live.worker_token),
            *("--name", "legacy-box", "--workdir", str(workdir), "--pause", "0", "--idle", "0"),
        ],
        env={"PATCHWORK_WORKER_CONFIG": "/dev/null"},
        catch_exceptions=False,
    )
    return result.exit_code, result.output


def test_a_worker_archives_a_new_video(
    live: LiveServer, source: Source, app: Flask, db: Database, tmp_path: Path
) -> None:
    source.files["/v/clip.webm"] = WEBM
    job = live.enqueue(source.url("/v/clip.webm"))

    code, output = run_worker(live, tmp_path / "work")

    assert code == 0, output
    assert live.job(job["job_id"])["state"] == "done", live.job(job["job_id"])
    assert live.get("/api/video/clip").json()["title"] == "clip"
    media = live.get("/media/video/clip")
    assert media.status_code == 200 and media.content == WEBM
    assert live.get("/media/metadata/clip").json()["id"] == "clip"
    layout = layout_of(app)
    # As the original's rclone named them: {id}.webm at the video prefix, metadata/ beside
    # thumbnails/ on the content storage. Staging is gone.
    [video] = [k for k in natives(layout.videos, "clip") if not k.startswith("metadata/")]
    assert re.fullmatch(rf"clip{VERSIONED}webm", video)
    assert [k for k in natives(layout.content, "clip") if k.startswith("metadata/")]
    assert list(layout.list("staging/")) == []

    report = scan_storage(db, layout, hash_files=True)
    assert report.ok and (report.orphans.count, report.unknown.count) == (0, 0), report


def _archive(
    client: FlaskClient, tokens: Tokens, mode: int, files: dict[tuple[str, str | None], bytes]
) -> None:
    assert enqueue(client, tokens.queue, f"https://youtu.be/{VID}", mode).status_code in (200, 201)
    job = claim(client, tokens.worker)
    assert job is not None
    for (kind, ext), data in files.items():
        response = upload(client, tokens.worker, job["job_id"], kind, data, ext)
        assert response.status_code == 201, response.get_data(as_text=True)
    body = {"video": info(VID), "files": [kind for kind, _ in files]}
    done = client.post(
        f"/api/worker/jobs/{job['job_id']}/complete", json=body, headers=auth(tokens.worker)
    )
    assert done.status_code == 200, done.get_data(as_text=True)


def test_re_archive_and_delete_lose_and_leave_nothing(
    client: FlaskClient, app: Flask, tokens: Tokens
) -> None:
    first, second = b"\x1aE\xdf\xa3 first " * 500, b"\x00\x00\x00\x18ftypmp42 second " * 500
    _archive(
        client,
        tokens,
        0,
        {
            ("video", "webm"): first,
            ("thumbnail", "jpg"): b"\xff\xd8 thumb",
            ("metadata", None): b'{"id": "dQw4w9WgXcQ"}',
            ("captions/en", "srv3"): b"<timedtext/>",
            ("channel-avatar", None): b"\xff\xd8 avatar",
        },
    )
    assert client.get(f"/media/video/{VID}").data == first
    layout = layout_of(app)
    assert natives(layout.channel_images, CHANNEL_ID) == [f"{CHANNEL_ID}_pfp.jpg"]

    # A re-archive without a thumbnail: the new video replaces the old, the thumbnail stays.
    _archive(client, tokens, 1, {("video", "mp4"): second})
    assert client.get(f"/media/video/{VID}").data == second
    assert client.get(f"/media/thumbnail/{VID}").data == b"\xff\xd8 thumb"
    videos = [k for k in natives(layout.videos, VID) if "/" not in k]
    assert len(videos) == 1 and re.fullmatch(rf"{VID}{VERSIONED}mp4", videos[0]), videos
    content = [k for k in natives(layout.content, VID) if "/" in k]
    assert [k.split("/")[0] for k in content] == ["captions", "metadata", "thumbnails"]

    deleted = client.delete(
        "/api/storage/delete", data={"videoId": VID}, headers=auth(tokens.worker)
    )
    assert deleted.status_code == 200
    job = claim(client, tokens.worker)
    assert job is not None and job["mode"] == 2
    done = client.post(
        f"/api/worker/jobs/{job['job_id']}/complete", json={}, headers=auth(tokens.worker)
    )
    assert done.status_code == 200, done.get_data(as_text=True)
    assert "error" in client.get(f"/api/video/{VID}").get_json()
    for storage in (layout.videos, layout.content, layout.fallback):
        assert natives(storage, VID) == []
    # Channel images belong to the channel, not to the video.
    assert natives(layout.channel_images, CHANNEL_ID) == [f"{CHANNEL_ID}_pfp.jpg"]
    assert list(layout.list("staging/")) == []
