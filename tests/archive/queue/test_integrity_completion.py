"""A worker's completion and ``patchwork import`` never lose, corrupt or hand over a file.

Issue 12: concurrent completions, failed completions, re-archives without a thumbnail,
identity, on every database. Threads start together at a barrier; nothing sleeps.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from patchwork.archive.maintenance.scan import scan_storage
from patchwork.cli import cli
from patchwork.db import Database
from patchwork.db.models import Caption, Channel, Job, JobEvent, StoredFile, Video
from patchwork.db.types import utcnow
from patchwork.state import app_state
from support.archive_samples import info as sample_info
from support.archive_samples import write_samples
from support.queue_fixtures import Tokens, auth, claim, enqueue, info, upload
from support.stored_files import caption_keys, file_key

CHANNEL = "UCsharedchannel0000000"


def yt(video_id: str) -> str:
    return f"https://www.youtube.com/watch?v={video_id}"


def vid(n: int, prefix: str = "v") -> str:
    return f"{prefix}{n:0{11 - len(prefix)}d}"


def stage(
    client: FlaskClient,
    secret: str,
    job_id: int,
    video: bytes,
    *,
    thumbnail: bytes | None = b"\xff\xd8 thumb",
    captions: dict[str, bytes] | None = None,
) -> None:
    assert upload(client, secret, job_id, "video", video, "webm").status_code == 201
    if thumbnail is not None:
        assert upload(client, secret, job_id, "thumbnail", thumbnail, "jpg").status_code == 201
    for language, data in (captions or {}).items():
        assert (
            upload(client, secret, job_id, f"captions/{language}", data, "vtt").status_code == 201
        )


def complete(client: FlaskClient, secret: str, job_id: int, meta: dict[str, Any]) -> Any:
    return client.post(
        f"/api/worker/jobs/{job_id}/complete", json={"video": meta}, headers=auth(secret)
    )


def archive(
    client: FlaskClient,
    tokens: Tokens,
    video_id: str,
    video: bytes,
    *,
    url: str | None = None,
    mode: int = 0,
    meta: dict[str, Any] | None = None,
    **staged: Any,
) -> Any:
    """Queue, claim, upload and complete one job; returns the completion's answer."""
    assert enqueue(client, tokens.queue, url or yt(video_id), mode).status_code in (200, 201)
    job = claim(client, tokens.worker)
    assert job is not None
    stage(client, tokens.worker, job["job_id"], video, **staged)
    return complete(client, tokens.worker, job["job_id"], meta or info(video_id))


def served(client: FlaskClient, kind: str, video_id: str) -> tuple[int, bytes]:
    response = client.get(f"/media/{kind}/{video_id}")
    return response.status_code, response.get_data()


def assert_files_match_rows(app: Flask) -> int:
    """Every recorded file's object exists and hashes to its recorded sha256."""
    state = app_state(app)
    checked = 0
    with state.db.reading() as session:
        rows = [
            (r.storage_key, r.sha256)
            for r in session.scalars(select(StoredFile).where(StoredFile.kind != "metadata"))
        ] + [(c.storage_key, c.sha256) for c in session.scalars(select(Caption))]
    for key, digest in rows:
        data = b"".join(state.storage.iter_object(key))
        assert hashlib.sha256(data).hexdigest() == digest, key
        checked += 1
    return checked


def run_together(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in threads released at once by a barrier; their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = call()
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


def completer(app: Flask, secret: str, job_id: int, meta: dict[str, Any]) -> Callable[[], Any]:
    """A completion to run in its own thread, with its own test client."""
    return lambda: complete(app.test_client(), secret, job_id, meta)


def done_events(db: Database, job_id: int) -> int:
    with db.reading() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(JobEvent)
                .where(JobEvent.job_id == job_id, JobEvent.event == "completed")
            )
            or 0
        )


# ---- concurrency ---------------------------------------------------------------------------


def test_completions_racing_for_a_new_channel_and_a_new_video(
    app: Flask, client: FlaskClient, db: Database, tokens: Tokens, backend: str
) -> None:
    """40 pairs sharing a new channel, 10 pairs reporting one new video: no 5xx, every
    served file is the one its row describes, every job done exactly once."""
    pairs = 40 if backend != "sqlite" else 10
    jobs: list[int] = []
    for n in range(pairs):
        channel = f"UCrace{n:016d}"
        prepared = []
        for side in (0, 1):
            video_id = vid(2 * n + side, "c")
            enqueue(client, tokens.queue, yt(video_id))
            job = claim(client, tokens.worker)
            assert job is not None
            body = f"video {video_id}".encode() * 50
            stage(client, tokens.worker, job["job_id"], body)
            prepared.append((job["job_id"], info(video_id, channel_id=channel, channel=f"C{n}")))
        answers = run_together(*(completer(app, tokens.worker, j, m) for j, m in prepared))
        assert [a.status_code for a in answers] == [200, 200], [a.get_json() for a in answers]
        jobs.extend(j for j, _ in prepared)
    for n in range(10):
        video_id = vid(n, "s")
        prepared = []
        for side in (0, 1):
            url = f"https://videos.example.org/watch/{n}/{side}"
            enqueue(client, tokens.queue, url, mode=side)  # one mode 0, one mode 1
            job = claim(client, tokens.worker)
            assert job is not None
            stage(client, tokens.worker, job["job_id"], f"copy {side} of {video_id}".encode())
            prepared.append((job["job_id"], info(video_id, extractor="generic", webpage_url=url)))
        answers = run_together(*(completer(app, tokens.worker, j, m) for j, m in prepared))
        codes = sorted(a.status_code for a in answers)
        # Both done, or the mode-1 job refused cleanly: its target is not the video's.
        assert codes in ([200, 200], [200, 409]), [a.get_json() for a in answers]
        for (job_id, _), answer in zip(prepared, answers, strict=True):
            if answer.status_code == 200:
                jobs.append(job_id)
        status, data = served(client, "video", video_id)
        assert status == 200 and data in {f"copy {side} of {video_id}".encode() for side in (0, 1)}
    # Each video has a video and a thumbnail row.
    assert assert_files_match_rows(app) == 2 * (2 * pairs + 10)
    for job_id in jobs:
        assert done_events(db, job_id) == 1
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Channel)) == pairs + 1
        assert session.scalar(select(func.count()).select_from(Video)) == 2 * pairs + 10


# ---- a failed completion changes nothing -------------------------------------------------


def _replacement_job(client: FlaskClient, tokens: Tokens, video_id: str) -> int:
    assert enqueue(client, tokens.queue, yt(video_id), 1).status_code == 201
    job = claim(client, tokens.worker)
    assert job is not None
    stage(client, tokens.worker, job["job_id"], b"the replacement", thumbnail=b"new thumb")
    return int(job["job_id"])


class InterruptedStorage:
    """The app's storage, running ``interrupt`` once, right after the first object of the
    archive layout is written: the moment between placing files and committing rows."""

    def __init__(self, inner: Any, interrupt: Callable[[], None]) -> None:
        self.inner = inner
        self.interrupt: Callable[[], None] | None = interrupt

    def write(self, key: str, stream: Any, **kwargs: Any) -> Any:
        written = self.inner.write(key, stream, **kwargs)
        if self.interrupt is not None and key.startswith("video/"):
            interrupt, self.interrupt = self.interrupt, None
            interrupt()
        return written

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.mark.parametrize("how", ["cancelled", "lease lost"])
def test_a_failed_replacement_leaves_the_served_video_alone(
    app: Flask,
    client: FlaskClient,
    db: Database,
    tokens: Tokens,
    how: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    video_id = vid(1)
    assert archive(client, tokens, video_id, b"the original").status_code == 200
    before = file_key(db, video_id, "video")
    job_id = _replacement_job(client, tokens, video_id)

    def interrupt() -> None:
        if how == "cancelled":
            cancel = client.delete(f"/api/worker/queue/{job_id}", headers=auth(tokens.admin))
            assert cancel.status_code == 200, cancel.get_json()
            return
        with db.transaction() as session:
            session.execute(
                update(Job)
                .where(Job.id == job_id)
                .values(lease_expires_at=utcnow() - timedelta(seconds=1))
            )

    state = app_state(app)
    monkeypatch.setattr(state, "_storage", InterruptedStorage(state.storage, interrupt))
    answer = complete(client, tokens.worker, job_id, info(video_id))
    assert answer.status_code == 409, answer.get_json()
    assert served(client, "video", video_id) == (200, b"the original")
    assert served(client, "thumbnail", video_id) == (200, b"\xff\xd8 thumb")
    assert file_key(db, video_id, "video") == before
    assert assert_files_match_rows(app) == 2
    # The refused completion's objects are gone too: only the served version is left.
    keys = {i.key for i in state.storage.list(f"video/{video_id}.")}
    assert keys == {before}


def delete_now(client: FlaskClient, tokens: Tokens, video_id: str) -> None:
    """A second worker queues, claims and completes a delete of ``video_id``, to its end."""
    deleting = client.delete(
        "/api/storage/delete", data={"videoId": video_id}, headers=auth(tokens.worker2)
    )
    assert deleting.status_code in (200, 201), deleting.get_json()
    job = claim(client, tokens.worker2)
    assert job is not None and job["mode"] == 2
    done = client.post(
        f"/api/worker/jobs/{job['job_id']}/complete", json={}, headers=auth(tokens.worker2)
    )
    assert done.status_code == 200, done.get_json()


def test_a_delete_between_placing_and_committing_a_rearchive_leaves_no_dangling_row(
    app: Flask,
    client: FlaskClient,
    db: Database,
    tokens: Tokens,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A delete job runs to its end while a mode-1 re-archive of the same video has placed its
    # new objects but not committed: the delete sweeps them. The re-archive must then be
    # refused, not record rows for objects that are gone.
    video_id = vid(2)
    assert archive(client, tokens, video_id, b"the original").status_code == 200
    job_id = _replacement_job(client, tokens, video_id)

    state = app_state(app)
    monkeypatch.setattr(
        state,
        "_storage",
        InterruptedStorage(state.storage, lambda: delete_now(client, tokens, video_id)),
    )
    answer = complete(client, tokens.worker, job_id, info(video_id))
    assert answer.status_code == 409, answer.get_json()
    assert "deleted" in answer.get_json()["error"]
    assert client.get(f"/api/video/{video_id}").status_code == 404
    assert assert_files_match_rows(app) == 0
    assert not [
        i.key for p in ("video/", "thumbnails/", "metadata/") for i in state.storage.list(p)
    ]


def test_a_delete_of_a_video_never_archived_sweeps_no_new_version(
    app: Flask,
    client: FlaskClient,
    db: Database,
    tokens: Tokens,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The first archive of a video has placed its objects; a delete of that id (nothing to
    # delete yet) must not sweep them, so the archive completes whole.
    video_id = vid(3)
    assert enqueue(client, tokens.queue, yt(video_id)).status_code == 201
    job = claim(client, tokens.worker)
    assert job is not None
    stage(client, tokens.worker, job["job_id"], b"first copy")

    state = app_state(app)
    monkeypatch.setattr(
        state,
        "_storage",
        InterruptedStorage(state.storage, lambda: delete_now(client, tokens, video_id)),
    )
    answer = complete(client, tokens.worker, job["job_id"], info(video_id))
    assert answer.status_code == 200, answer.get_json()
    assert served(client, "video", video_id) == (200, b"first copy")
    assert assert_files_match_rows(app) == 2


# ---- what a new download lacks is kept ---------------------------------------------------


def test_a_rearchive_without_thumbnail_or_a_caption_keeps_them(
    app: Flask, client: FlaskClient, db: Database, tokens: Tokens
) -> None:
    video_id = vid(2)
    first = archive(
        client, tokens, video_id, b"first", captions={"en": b"WEBVTT en", "ja": b"WEBVTT ja"}
    )
    assert first.status_code == 200
    second = archive(
        client, tokens, video_id, b"second", mode=1, thumbnail=None, captions={"en": b"WEBVTT 2"}
    )
    assert second.status_code == 200, second.get_json()
    assert served(client, "video", video_id) == (200, b"second")
    assert served(client, "thumbnail", video_id) == (200, b"\xff\xd8 thumb")
    tracks = caption_keys(db, video_id)
    assert set(tracks) == {("en", "vtt"), ("ja", "vtt")}
    storage = app_state(app).storage
    assert b"".join(storage.iter_object(tracks[("en", "vtt")])) == b"WEBVTT 2"
    assert b"".join(storage.iter_object(tracks[("ja", "vtt")])) == b"WEBVTT ja"
    page = client.get(f"/watch?v={video_id}")
    assert page.status_code == 200
    assert assert_files_match_rows(app) == 4  # video, thumbnail, two captions
    # The replaced video's object was deleted after the commit; one object per kind left.
    assert len(list(storage.list(f"video/{video_id}."))) == 1


def test_a_reimport_without_thumbnail_or_a_caption_keeps_them(
    app: Flask, client: FlaskClient, db: Database, cli_env: dict[str, str], tmp_path: Path
) -> None:
    sample = sample_info("reimport001", "Twice imported")
    first = tmp_path / "first"
    write_samples(first, [sample])
    (first / "reimport001.ja.vtt").write_text("WEBVTT\n\nja")
    env = {**cli_env, "PATCHWORK_STORAGE_URL": app_state(app).settings.storage_url}
    assert CliRunner().invoke(cli, ["import", str(first)], env=env).exit_code == 0
    _, thumbnail = served(client, "thumbnail", "reimport001")
    second = tmp_path / "second"
    write_samples(second, [sample])
    (second / "reimport001.jpg").unlink()
    result = CliRunner().invoke(cli, ["import", str(second)], env=env)
    assert result.exit_code == 0, result.output
    assert served(client, "thumbnail", "reimport001") == (200, thumbnail)
    assert set(caption_keys(db, "reimport001")) == {("en", "vtt"), ("ja", "vtt")}
    assert assert_files_match_rows(app) == 4


# ---- identity ------------------------------------------------------------------------------


def test_a_generic_job_cannot_take_over_an_archived_video(
    app: Flask, client: FlaskClient, db: Database, tokens: Tokens
) -> None:
    victim = vid(3)
    assert archive(client, tokens, victim, b"the real one").status_code == 200
    for mode, expected in ((0, 200), (1, 409)):
        url = f"https://attacker.example/{mode}"
        meta = info(victim, extractor="generic", webpage_url=url, title="planted")
        answer = archive(client, tokens, victim, b"planted", url=url, mode=mode, meta=meta)
        assert answer.status_code == expected, answer.get_json()
        if expected == 200:
            assert answer.get_json()["kept_existing"] is True
    assert served(client, "video", victim) == (200, b"the real one")
    assert client.get(f"/api/video/{victim}").get_json()["title"] == f"Song {victim}"
    assert assert_files_match_rows(app) == 2


def test_mode_0_never_replaces_an_archived_video(
    client: FlaskClient, db: Database, tokens: Tokens
) -> None:
    video_id = vid(4)
    assert archive(client, tokens, video_id, b"kept").status_code == 200
    again = archive(client, tokens, video_id, b"not this", meta=info(video_id, title="New"))
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["kept_existing"] is True and again.get_json()["files"] == []
    assert served(client, "video", video_id) == (200, b"kept")
    assert client.get(f"/api/video/{video_id}").get_json()["title"] == f"Song {video_id}"
    replaced = archive(client, tokens, video_id, b"replaced", mode=1)
    assert replaced.status_code == 200
    assert served(client, "video", video_id) == (200, b"replaced")


def test_a_generic_target_is_pinned_to_the_id_it_first_reported(
    client: FlaskClient, tokens: Tokens
) -> None:
    url = "https://videos.example.org/watch/pinned"
    first = info("pinnedvid01", extractor="generic", webpage_url=url)
    assert archive(client, tokens, "pinnedvid01", b"one", url=url, meta=first).status_code == 200
    other = info("othervid001", extractor="generic", webpage_url=url)
    answer = archive(client, tokens, "othervid001", b"two", url=url, mode=1, meta=other)
    assert answer.status_code == 409 and "pinnedvid01" in answer.get_json()["error"]
    assert client.get("/api/video/othervid001").status_code == 404
    (refused,) = client.get(
        "/api/worker/queue?state=leased", headers=auth(tokens.queue)
    ).get_json()["jobs"]
    failed = client.post(
        f"/api/worker/jobs/{refused['job_id']}/fail",
        json={"error": "identity refused", "retryable": False},
        headers=auth(tokens.worker),
    )
    assert failed.status_code == 200
    again = archive(client, tokens, "pinnedvid01", b"three", url=url, mode=1, meta=first)
    assert again.status_code == 200
    assert served(client, "video", "pinnedvid01") == (200, b"three")


def test_storage_scan_never_adopts_a_leftover_version(
    app: Flask, client: FlaskClient, db: Database, tokens: Tokens
) -> None:
    """An object a crashed completion left (a version no row references) stays an orphan:
    adopting it would switch what the archive serves behind its back."""
    video_id = vid(5)
    assert archive(client, tokens, video_id, b"kept", thumbnail=None).status_code == 200
    storage = app_state(app).storage
    leftover = f"thumbnails/{video_id}.j99a1-0123abcd.jpg"
    storage.write_bytes(leftover, b"\xff\xd8 planted")
    report = scan_storage(db, storage)
    assert leftover in report.orphans.names
    assert served(client, "thumbnail", video_id)[0] == 404
