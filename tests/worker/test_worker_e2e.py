"""``patchwork worker --once`` end to end: a loopback source, yt-dlp's generic extractor, the
app over real HTTP; then the API serves the video back byte for byte."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from patchwork.cli import cli
from patchwork.db import Database
from patchwork.db.models import Job, StoredFile
from support.worker_fixtures import JPG, MP4, VTT, WEBM, LiveServer, Source
from support.worker_process import WORKER_ENV, worker_args


def run_worker(live: LiveServer, workdir: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli,
        [*worker_args(live, workdir, "test-box"), "--idle", "0", *extra],
        env=WORKER_ENV,
        catch_exceptions=False,
    )
    return result.exit_code, result.output


def test_worker_archives_webm_and_mp4(
    live: LiveServer, source: Source, db: Database, tmp_path: Path
) -> None:
    source.files["/v/clip.webm"] = WEBM
    source.files["/v/other.mp4"] = MP4
    first = live.enqueue(source.url("/v/clip.webm"))
    second = live.enqueue(source.url("/v/other.mp4"))
    workdir = tmp_path / "work"

    code, output = run_worker(live, workdir)

    assert code == 0, output
    for video_id, data, ext in (("clip", WEBM, "webm"), ("other", MP4, "mp4")):
        summary = live.get(f"/api/video/{video_id}").json()
        assert summary["video_id"] == video_id and summary["title"] == video_id
        media = live.get(f"/media/video/{video_id}")
        assert media.status_code == 200
        assert media.content == data
        assert live.get(f"/media/metadata/{video_id}").json()["id"] == video_id
        with db.reading() as session:
            row = session.scalars(
                select(StoredFile).where(
                    StoredFile.video_id == video_id, StoredFile.kind == "video"
                )
            ).one()
            assert (row.extension, row.size_bytes) == (ext, len(data))
    assert live.job(first["job_id"])["state"] == "done"
    assert live.job(second["job_id"])["state"] == "done"
    assert list(workdir.iterdir()) == []  # scratch folders removed
    status = live.get("/api/status").json()["workers"]
    assert [w["name"] for w in status] == ["test-box"]


def test_page_with_poster_and_captions(live: LiveServer, source: Source, tmp_path: Path) -> None:
    """An HTML5 page: yt-dlp's generic extractor finds the video, its poster and captions."""
    source.files["/watch/song.html"] = (
        b"<!DOCTYPE html><html><head><title>A song</title></head><body>"
        b'<video poster="/media/song.jpg"><source src="/media/song.webm" type="video/webm">'
        b'<track kind="subtitles" srclang="en" src="/media/song.en.vtt"></video></body></html>'
    )
    source.files["/media/song.webm"] = WEBM
    source.files["/media/song.jpg"] = JPG
    source.files["/media/song.en.vtt"] = VTT
    job = live.enqueue(source.url("/watch/song.html"))

    code, output = run_worker(live, tmp_path / "work")

    assert code == 0, output
    video_id = live.job(job["job_id"])["events"][-1]["message"].removeprefix("archived ")
    assert live.get(f"/api/video/{video_id}").json()["title"].startswith("A song")
    assert live.get(f"/media/video/{video_id}").content == WEBM
    assert live.get(f"/media/thumbnail/{video_id}").content == JPG
    assert live.get(f"/media/captions/{video_id}/en").content == VTT


def test_missing_source_fails_for_good_and_the_worker_goes_on(
    live: LiveServer, source: Source, db: Database, tmp_path: Path
) -> None:
    source.files["/v/fine.webm"] = WEBM
    gone = live.enqueue(source.url("/v/gone.webm"))
    fine = live.enqueue(source.url("/v/fine.webm"))

    code, output = run_worker(live, tmp_path / "work")

    assert code == 0, output
    failed = live.job(gone["job_id"])
    assert failed["state"] == "failed"
    assert failed["attempts"] == 1  # not retried
    assert "404" in failed["last_error"]
    assert live.job(fine["job_id"])["state"] == "done"
    assert live.get("/media/video/fine").content == WEBM
    with db.reading() as session:
        assert session.get(Job, gone["job_id"]) is not None


def test_video_over_the_size_limit_fails_for_good(
    live: LiveServer, source: Source, tmp_path: Path
) -> None:
    source.files["/v/big.webm"] = WEBM
    job = live.enqueue(source.url("/v/big.webm"))
    code, output = run_worker(live, tmp_path / "work", "--max-filesize", "1000")
    assert code == 0, output
    failed = live.job(job["job_id"])
    assert (failed["state"], failed["attempts"]) == ("failed", 1)
    assert "larger than max-filesize" in failed["last_error"]
    assert "error" in live.get("/api/video/big").json()


def test_mode_zero_skips_an_archived_video_and_mode_one_forces(
    live: LiveServer, source: Source, tmp_path: Path
) -> None:
    source.files["/v/clip.webm"] = WEBM
    live.enqueue(source.url("/v/clip.webm"))
    assert run_worker(live, tmp_path / "w")[0] == 0
    downloads = sum(r == "GET /v/clip.webm" for r in source.requests)

    again = live.enqueue(source.url("/v/clip.webm"))
    code, output = run_worker(live, tmp_path / "w")
    assert code == 0, output
    assert live.job(again["job_id"])["state"] == "done"
    assert "already archived" in output
    events = [e["message"] for e in live.job(again["job_id"])["events"]]
    assert "skipped: clip is already archived" in events
    # yt-dlp looked at the URL, but nothing more was downloaded than that look
    probes = sum(r == "GET /v/clip.webm" for r in source.requests) - downloads
    assert probes <= 1

    source.files["/v/clip.webm"] = MP4  # the source changed: force a re-archive
    forced = live.enqueue(source.url("/v/clip.webm"), mode=1)
    assert run_worker(live, tmp_path / "w")[0] == 0
    assert live.job(forced["job_id"])["state"] == "done"
    assert live.get("/media/video/clip").content == MP4


def test_delete_job_is_completed_by_the_worker(
    live: LiveServer, source: Source, tmp_path: Path
) -> None:
    source.files["/v/clip.webm"] = WEBM
    live.enqueue(source.url("/v/clip.webm"))
    assert run_worker(live, tmp_path / "w")[0] == 0
    job = live.enqueue("clip", mode=2)
    code, output = run_worker(live, tmp_path / "w")
    assert code == 0, output
    assert live.job(job["job_id"])["state"] == "done"
    assert "error" in live.get("/api/video/clip").json()
    assert live.get("/media/video/clip").status_code == 404
