"""An original bucket (docs/api-contract.md §7) on moto's S3 server, served in place.

Videos in one bucket at ``VTuber Covers Archive/{id}.webm``, thumbnails, metadata and
captions in another under the same prefix, channel images as ``{channel_id}_pfp.jpg``. After
``storage scan`` the media endpoints answer byte-identical; ``--hash`` records SHA-256 and a
corrupted object is reported by the next scan; ``storage migrate`` copies into Patchwork's
layout, resumably.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from patchwork.app import create_app
from patchwork.archive.maintenance.scan import scan_storage
from patchwork.archive.media.layout import parse_key
from patchwork.cli import cli
from patchwork.config import Settings
from patchwork.db.models import Caption, Channel, StoredFile, Video
from patchwork.state import app_state
from patchwork.storage import InvalidKey, LocalStorage
from patchwork.storage.base import SweepsTempFiles
from patchwork.storage.legacy_layout import LegacyLayoutStorage
from patchwork.storage.local import TMP_PREFIX

PREFIX = "VTuber Covers Archive"
VIDEO = b"\x1aE\xdf\xa3 not really webm " * 5000
THUMB = b"\xff\xd8\xff jpeg bytes"
INFO = json.dumps({"id": "dQw4w9WgXcQ", "title": "夜に駆ける", "upload_date": "20210506"}).encode()
SRV3 = b"<timedtext><body><p t='0'>hi</p></body></timedtext>"
PFP = b"\xff\xd8\xff avatar"


@pytest.fixture
def buckets(s3_client: Any, s3_bucket: str) -> Iterator[tuple[str, str]]:
    content = f"{s3_bucket}-content"
    s3_client.create_bucket(Bucket=content)
    put = s3_client.put_object
    put(Bucket=s3_bucket, Key=f"{PREFIX}/dQw4w9WgXcQ.webm", Body=VIDEO)
    put(Bucket=s3_bucket, Key=f"{PREFIX}/stray000000.webm", Body=b"no video row")
    put(Bucket=content, Key=f"{PREFIX}/thumbnails/dQw4w9WgXcQ.jpg", Body=THUMB)
    put(Bucket=content, Key=f"{PREFIX}/metadata/dQw4w9WgXcQ.info.json", Body=INFO)
    put(Bucket=content, Key=f"{PREFIX}/captions/dQw4w9WgXcQ/dQw4w9WgXcQ.en.srv3", Body=SRV3)
    put(Bucket=content, Key="images/UC_A_pfp.jpg", Body=PFP)
    yield s3_bucket, content
    for page in s3_client.get_paginator("list_objects_v2").paginate(Bucket=content):
        for obj in page.get("Contents", []):
            s3_client.delete_object(Bucket=content, Key=obj["Key"])
    s3_client.delete_bucket(Bucket=content)


def legacy_env(videos: str, content: str) -> dict[str, str]:
    return {
        "PATCHWORK_STORAGE_URL": f"s3://{videos}/{PREFIX}",
        "PATCHWORK_STORAGE_LAYOUT": "legacy",
        "PATCHWORK_LEGACY_CONTENT_URL": f"s3://{content}/{PREFIX}",
        "PATCHWORK_LEGACY_CHANNEL_IMAGES_URL": f"s3://{content}/images",
    }


@pytest.fixture
def legacy_app(settings: Settings, buckets: tuple[str, str], moto_server: str) -> Flask:
    env = legacy_env(*buckets)
    app = create_app(settings.with_overrides(s3_endpoint_url=moto_server).with_environment(env))
    db = app_state(app).db
    with db.transaction() as session:
        # As `legacy import` leaves them: a video row and its approximate size_mb.
        session.add(
            Video(video_id="dQw4w9WgXcQ", title="夜に駆ける", channel_id="UC_A", channel_name="A")
        )
        session.add(Video(video_id="nofile00000", title="x", channel_id="UC_A", channel_name="A"))
        session.add(Channel(channel_id="UC_A", name="A"))
        session.flush()
        session.add(
            StoredFile(
                video_id="dQw4w9WgXcQ",
                kind="video",
                storage_key="video/dQw4w9WgXcQ.webm",
                extension="webm",
                size_bytes=round(0.13 * 1048576),
                size_is_approximate=True,
            )
        )
    return app


def test_keys_map_onto_the_original_layout() -> None:
    a, b, c, d = (LocalStorage(Path(f"/nonexistent/{n}")) for n in "abcd")
    layout = LegacyLayoutStorage(a, b, c, d)
    assert layout.route("video/x.webm") == (a, "x.webm")
    assert layout.route("thumbnails/x.jpg") == (b, "thumbnails/x.jpg")
    assert layout.route("captions/x/x.en.srv3") == (b, "captions/x/x.en.srv3")
    assert layout.route("channels/UC1/avatar.jpg") == (c, "UC1_pfp.jpg")
    assert layout.route("channels/UC1/banner.jpg") == (c, "UC1_banner.jpg")
    assert layout.route("other/thing") == (d, "other/thing")
    assert parse_key("captions/x/x.en.srv3").language == "en"  # type: ignore[union-attr]
    assert parse_key("metadata/x.info.json").owner == "x"  # type: ignore[union-attr]


def test_served_in_place_scanned_and_checked(
    legacy_app: Flask, buckets: tuple[str, str], s3_client: Any
) -> None:
    state = app_state(legacy_app)
    report = scan_storage(state.db, state.storage, hash_files=True)
    assert report.recorded == 3  # thumbnail, metadata, caption: the original had no rows
    assert report.updated == 1  # the video: exact size and hash instead of size_mb
    assert report.orphans.names == ["video/stray000000.webm"]
    assert report.videos_without_file.names == ["nofile00000"]
    assert report.ok

    with state.db.reading() as session:
        video = session.scalars(select(StoredFile).where(StoredFile.kind == "video")).one()
        assert (video.size_bytes, video.size_is_approximate) == (len(VIDEO), False)
        assert video.sha256 == hashlib.sha256(VIDEO).hexdigest()
        assert (
            session.scalars(select(Caption.storage_key)).one()
            == "captions/dQw4w9WgXcQ/dQw4w9WgXcQ.en.srv3"
        )
        assert session.scalars(select(Channel.has_avatar)).one() is True

    client = legacy_app.test_client()
    assert client.get("/media/video/dQw4w9WgXcQ").data == VIDEO
    ranged = client.get("/media/video/dQw4w9WgXcQ", headers={"Range": "bytes=10-19"})
    assert ranged.status_code == 206 and ranged.data == VIDEO[10:20]
    assert client.get("/media/thumbnail/dQw4w9WgXcQ").data == THUMB
    assert client.get("/media/metadata/dQw4w9WgXcQ").data == INFO
    tracks = client.get("/media/captions/dQw4w9WgXcQ").get_json()
    assert [t["language"] for t in tracks] == ["en"]
    assert client.get(tracks[0]["url"]).data == SRV3
    assert client.get("/media/channel/UC_A/avatar").data == PFP
    assert client.get("/api/database/video_data/dQw4w9WgXcQ").get_json()["title"] == "夜に駆ける"

    # Fixity: same size, different bytes.
    s3_client.put_object(Bucket=buckets[0], Key=f"{PREFIX}/dQw4w9WgXcQ.webm", Body=VIDEO[::-1])
    again = scan_storage(state.db, state.storage, hash_files=True)
    assert again.damaged.names == ["video/dQw4w9WgXcQ.webm: sha256 changed since it was recorded"]
    assert not again.ok and again.recorded == 0


def test_scan_and_migrate_commands(
    legacy_app: Flask,
    buckets: tuple[str, str],
    cli_env: dict[str, str],
    moto_server: str,
    tmp_path: Path,
) -> None:
    env = {**cli_env, **legacy_env(*buckets), "PATCHWORK_S3_ENDPOINT_URL": moto_server}
    runner = CliRunner()
    result = runner.invoke(cli, ["storage", "scan", "--hash"], env=env)
    assert result.exit_code == 0, result.output
    assert "videos without a video file: 1" in result.output

    target = tmp_path / "patchwork-layout"
    result = runner.invoke(cli, ["storage", "migrate", "--to", f"file://{target}"], env=env)
    assert result.exit_code == 0, result.output
    assert (target / "video" / "dQw4w9WgXcQ.webm").read_bytes() == VIDEO
    assert (target / "thumbnails" / "dQw4w9WgXcQ.jpg").read_bytes() == THUMB
    assert (target / "captions" / "dQw4w9WgXcQ" / "dQw4w9WgXcQ.en.srv3").read_bytes() == SRV3
    assert (target / "channels" / "UC_A" / "avatar.jpg").read_bytes() == PFP
    again = runner.invoke(cli, ["storage", "migrate", "--to", f"file://{target}"], env=env)
    assert "copied 0 objects" in again.output and "6 already there" in again.output

    # After the switch: Patchwork's own layout, same rows, same answers.
    switched = {**cli_env, "PATCHWORK_STORAGE_URL": f"file://{target}"}
    result = runner.invoke(cli, ["storage", "scan", "--hash"], env=switched)
    assert result.exit_code == 0, result.output

    bad = runner.invoke(cli, ["storage", "scan"], env={**env, "PATCHWORK_STORAGE_LAYOUT": "odd"})
    assert (
        bad.exit_code != 0
        and "PATCHWORK_STORAGE_LAYOUT" in bad.output
        and "Traceback" not in bad.output
    )


STAGED = (
    "staging/jobs/1/1/video.00000000000000000001-0123abcd.webm",
    "staging/jobs/1/1/thumbnail.00000000000000000002-0123abcd.jpg",
)
MAPPED = (
    "video/abc.webm",
    "video/abc.j1a1-0123abcd.webm",
    "thumbnails/abc.jpg",
    "metadata/abc.info.json",
    "captions/abc/abc.en.srv3",
    "channels/UC1/avatar.jpg",
    "channels/UC1/banner.jpg",
)


def _arranged(root: Path, arrangement: str) -> LegacyLayoutStorage:
    """Videos, content, channel images, fallback: one storage, four, or as docs/legacy.md."""
    names = {"shared": "aaaa", "separate": "vcif", "original": "vccv"}[arrangement]
    opened = {n: LocalStorage(root / n) for n in set(names)}
    return LegacyLayoutStorage(*(opened[n] for n in names))


@pytest.mark.parametrize("arrangement", ["shared", "separate", "original"])
def test_listing_shows_each_object_once_staged_uploads_included(
    tmp_path: Path, arrangement: str
) -> None:
    layout = _arranged(tmp_path, arrangement)
    for key in (*STAGED, *MAPPED, "other/thing"):
        layout.write_bytes(key, key.encode())

    everything = [info.key for info in layout.list("")]
    assert sorted(everything) == sorted((*STAGED, *MAPPED, "other/thing"))  # no duplicates
    for key in everything:  # each listed key reaches its own object
        assert b"".join(layout.iter_object(key)) == key.encode()
    assert sorted(i.key for i in layout.list("staging/jobs/1/1/")) == sorted(STAGED)
    assert sorted(i.key for i in layout.list("video/")) == sorted(MAPPED[:2])
    assert [i.key for i in layout.list("video/abc.j")] == [MAPPED[1]]
    assert sorted(i.key for i in layout.list("channels/")) == sorted(MAPPED[-2:])
    assert [i.key for i in layout.list("captions/abc/")] == ["captions/abc/abc.en.srv3"]

    assert layout.delete_prefix("staging/jobs/1/") == 2
    assert sorted(i.key for i in layout.list("")) == sorted((*MAPPED, "other/thing"))
    with pytest.raises(InvalidKey):
        layout.delete_prefix("")


def test_a_video_object_is_not_also_a_fallback_key(tmp_path: Path) -> None:
    one = LocalStorage(tmp_path / "one")
    layout = LegacyLayoutStorage(one, one, one, one)
    one.write_bytes("abc.webm", b"v")  # as the original's rclone put it
    one.write_bytes("UC1_pfp.jpg", b"p")
    one.write_bytes("thumbnails/abc.jpg", b"t")
    assert sorted(i.key for i in layout.list("")) == [
        "channels/UC1/avatar.jpg",
        "thumbnails/abc.jpg",
        "video/abc.webm",
    ]
    assert [i.key for i in layout.list("abc")] == []


def test_dead_uploads_are_swept_from_the_fallback(tmp_path: Path) -> None:
    layout = _arranged(tmp_path, "original")
    layout.write_bytes(STAGED[0], b"x")
    folder = tmp_path / "v" / "staging" / "jobs" / "1" / "1"
    (folder / f"{TMP_PREFIX}dead.tmp").write_bytes(b"half")
    assert isinstance(layout, SweepsTempFiles)
    assert layout.remove_temp_files("staging/jobs/1/1/", 0) == 1
    assert [i.key for i in layout.list("staging/")] == [STAGED[0]]
