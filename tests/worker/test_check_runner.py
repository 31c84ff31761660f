"""Check jobs in the worker: real yt-dlp against loopback pages, a fake server taking the answers.

The pages are the generic extractor's HTML5 ones (a ``<video>`` with a poster); statuses the
``source`` fixture does not answer (429, 503) come from a server of this module. A scripted
``YoutubeDL`` stands in only where a site's answer cannot be made on loopback (a playlist, a
stop during the extraction).
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yt_dlp
from yt_dlp.utils import DownloadError

from patchwork.worker import check
from patchwork.worker.check import check_options, run_check, thumbnail_ext
from patchwork.worker.client import ApiError, AuthError, Claimed, LeaseLost, Mode
from patchwork.worker.config import WorkerConfig
from patchwork.worker.download import Downloader, Stopped
from patchwork.worker.runner import COUNTED, PAUSE_AFTER, Outcome, Runner
from support.worker_fixtures import JPG, WEBM, Source

PAGE = (
    b"<!DOCTYPE html><html><head><title>A song</title></head><body>"
    b'<video poster="/media/song.jpg"><source src="/media/song.webm" type="video/webm"></video>'
    b"</body></html>"
)


class FakeServer:
    """The server's side of a check: files taken (bytes), jobs completed or failed."""

    name = "fake"

    def __init__(self, jobs: list[Claimed] | None = None) -> None:
        self.jobs = list(jobs or [])
        self.calls: list[tuple[Any, ...]] = []
        self.refuse: dict[str, ApiError] = {}  # kind -> what its upload raises
        self.scratch: list[Path] = []

    def heartbeat(self, status: str) -> None:
        self.calls.append(("heartbeat", status))

    def claim(self) -> Claimed | None:
        return self.jobs.pop(0) if self.jobs else None

    def upload(self, job_id: int, kind: str, path: Path, ext: str, **kw: Any) -> dict[str, Any]:
        self.scratch.append(path.parent)
        if kw.get("on_progress") is not None:
            kw["on_progress"](path.stat().st_size, path.stat().st_size)
        if kind in self.refuse:
            raise self.refuse[kind]
        self.calls.append(("upload", job_id, kind, ext, path.read_bytes()))
        return {}

    def complete(self, job_id: int, report: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("complete", job_id, json.loads(json.dumps(report))))
        return {}

    def fail(self, job_id: int, error: str, *, retryable: bool, retry_after: float = 0) -> None:
        self.calls.append(("fail", job_id, error, retryable))

    def of(self, name: str) -> list[tuple[Any, ...]]:
        return [c for c in self.calls if c[0] == name]

    def uploads(self) -> dict[str, tuple[str, bytes]]:
        return {c[2]: (c[3], c[4]) for c in self.of("upload")}

    def answer(self) -> dict[str, Any]:
        (complete,) = self.of("complete")
        report: dict[str, Any] = complete[2]
        return report


@pytest.fixture
def statuses() -> Iterator[str]:
    """A server answering ``/<status>/…`` with that status, and counting nothing."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_error(int(self.path.split("/")[1]))

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def check_job(url: str, thumbnail_url: str | None = None, job_id: int = 1) -> Claimed:
    fields = {"video_id": "song", "url": url, "thumbnail_url": thumbnail_url}
    return Claimed(job_id, url, Mode.CHECK, "check:song", 1, check=fields)


def downloader(tmp_path: Path) -> Downloader:
    return Downloader(WorkerConfig(workdir=tmp_path, socket_timeout=10), ffmpeg=False)


def serve_song(source: Source) -> str:
    source.files["/watch/song.html"] = PAGE
    source.files["/media/song.webm"] = WEBM
    source.files["/media/song.jpg"] = JPG
    return source.url("/watch/song.html")


# -- run_check with real yt-dlp ------------------------------------------------------------------


def test_an_available_page_uploads_its_metadata_and_its_changed_thumbnail(
    source: Source, tmp_path: Path
) -> None:
    url = serve_song(source)
    server = FakeServer()
    job = check_job(url, thumbnail_url="http://old.example/song.jpg")

    result = run_check(job, server, downloader(tmp_path), tmp_path)

    assert (result.outcome, result.files) == ("available", ("metadata", "thumbnail"))
    uploads = server.uploads()
    ext, data = uploads["metadata"]
    info = json.loads(data)
    assert ext == "info.json" and info["title"].startswith("A song")
    assert info["webpage_url"] == url and "original_url" not in info  # as yt-dlp writes one
    assert uploads["thumbnail"] == ("jpg", JPG)
    assert "GET /media/song.jpg" in source.requests
    assert not any(r.startswith("GET /media/song.webm") for r in source.requests)  # no media
    answer = server.answer()
    assert answer["check"] == {"outcome": "available"}
    assert answer["files"] == ["metadata", "thumbnail"]
    video = answer["video"]
    assert video["title"] == info["title"] and video["id"] == info["id"]
    assert not {"formats", "thumbnails", "http_headers"} & video.keys()
    assert not [k for k in video if k.startswith("_")]


def test_an_unchanged_thumbnail_is_not_fetched(source: Source, tmp_path: Path) -> None:
    url = serve_song(source)
    server = FakeServer()
    job = check_job(url, thumbnail_url=source.url("/media/song.jpg"))

    result = run_check(job, server, downloader(tmp_path), tmp_path)

    assert result.files == ("metadata",)
    assert "GET /media/song.jpg" not in source.requests
    assert server.answer()["files"] == ["metadata"]


def test_a_relative_og_image_is_fetched_from_the_page_and_a_missing_one_is_skipped(
    source: Source, tmp_path: Path
) -> None:
    source.files["/watch/og.html"] = (
        b'<html><head><title>Cover</title><meta property="og:image" content="/img/cover.png">'
        b'</head><body><video src="/media/song.webm"></video></body></html>'
    )
    source.files["/img/cover.png"] = b"\x89PNG not really"
    source.files["/watch/gone.html"] = PAGE  # its poster answers 404
    server = FakeServer()
    result = run_check(
        check_job(source.url("/watch/og.html")), server, downloader(tmp_path), tmp_path
    )
    assert result.files == ("metadata", "thumbnail")
    assert server.uploads()["thumbnail"] == ("png", b"\x89PNG not really")

    other = FakeServer()
    result = run_check(
        check_job(source.url("/watch/gone.html")), other, downloader(tmp_path), tmp_path
    )
    assert result.outcome == "available" and result.files == ("metadata",)
    assert "GET /media/song.jpg" in source.requests
    assert other.answer()["files"] == ["metadata"]


def test_a_refused_thumbnail_upload_is_left_out_but_a_lost_lease_is_not(
    source: Source, tmp_path: Path
) -> None:
    url = serve_song(source)
    server = FakeServer()
    server.refuse["thumbnail"] = ApiError("HTTP 400: bad image", 400)
    result = run_check(check_job(url, "old"), server, downloader(tmp_path), tmp_path)
    assert result.files == ("metadata",) and server.answer()["files"] == ["metadata"]

    lost = FakeServer()
    lost.refuse["thumbnail"] = LeaseLost("not yours", 409)
    with pytest.raises(LeaseLost):
        run_check(check_job(url, "old"), lost, downloader(tmp_path), tmp_path)
    assert lost.of("complete") == []


def test_a_404_page_is_unavailable_not_found(source: Source, tmp_path: Path) -> None:
    server = FakeServer()
    job = check_job(source.url("/watch/removed.html"))
    result = run_check(job, server, downloader(tmp_path), tmp_path)
    assert (result.outcome, result.cools_down) == ("unavailable", False)
    check_answer = server.answer()["check"]
    assert (check_answer["outcome"], check_answer["reason"]) == ("unavailable", "not-found")
    assert "HTTP Error 404" in check_answer["message"]
    assert not check_answer["message"].startswith("ERROR")
    assert server.of("upload") == []


@pytest.mark.parametrize(
    ("status", "reason", "cools_down"), [(429, "rate-limited", True), (503, "network", False)]
)
def test_429_and_503_are_inconclusive(
    statuses: str, tmp_path: Path, status: int, reason: str, cools_down: bool
) -> None:
    server = FakeServer()
    job = check_job(f"{statuses}/{status}/watch.html")
    result = run_check(job, server, downloader(tmp_path), tmp_path)
    assert (result.outcome, result.cools_down) == ("inconclusive", cools_down)
    check_answer = server.answer()["check"]
    assert (check_answer["outcome"], check_answer["reason"]) == ("inconclusive", reason)
    assert f"HTTP Error {status}" in check_answer["message"]
    assert set(server.answer()) == {"check"}


def test_check_options_write_nothing_and_take_any_format(tmp_path: Path) -> None:
    config = WorkerConfig(workdir=tmp_path, cookies="/c.txt", format="bv[height=144]")
    opts = check_options(Downloader(config, ffmpeg=True), tmp_path, "https://example.com/v")
    assert opts["skip_download"] is True and opts["cookiefile"] == "/c.txt"
    assert not any(opts[k] for k in ("writeinfojson", "writethumbnail", "writesubtitles"))
    assert opts["postprocessors"] == [] and opts["progress_hooks"] == []
    assert opts["format"] == "b/bv*+ba/bv*/ba" and opts["check_formats"] is False


@pytest.mark.parametrize(
    ("url", "content_type", "ext"),
    [
        ("https://i.ytimg.com/vi_webp/x/maxresdefault.webp", None, "webp"),
        ("https://i.ytimg.com/vi/x/hqdefault.jpg?sqp=-oaymw", "image/webp", "jpg"),
        ("https://img.example/cover.JPEG", None, "jpg"),
        ("https://img.example/cover", "image/png; charset=binary", "png"),
        ("https://img.example/cover.php", "text/html", "jpg"),
    ],
)
def test_thumbnail_extension(url: str, content_type: str | None, ext: str) -> None:
    assert thumbnail_ext(url, content_type) == ext


# -- run_check with a scripted yt-dlp ------------------------------------------------------------


class ScriptedYDL(yt_dlp.YoutubeDL):  # type: ignore[misc]  # yt-dlp has no types
    def __init__(self, params: dict[str, Any], answer: Any) -> None:
        super().__init__(params)
        self.answer = answer

    def extract_info(self, url: str, download: bool = True, **kw: Any) -> Any:
        assert download is False
        return self.answer() if callable(self.answer) else self.answer


def scripted(monkeypatch: pytest.MonkeyPatch, answer: Any) -> None:
    monkeypatch.setattr(check, "open_youtube_dl", lambda params: ScriptedYDL(params, answer))


@pytest.mark.parametrize(
    ("answer", "words"),
    [({"_type": "playlist", "id": "p", "entries": []}, "a playlist"), (None, "nothing")],
)
def test_a_playlist_or_nothing_is_inconclusive_unknown(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, answer: Any, words: str
) -> None:
    scripted(monkeypatch, answer)
    server = FakeServer()
    result = run_check(check_job("https://example.com/p"), server, downloader(tmp_path), tmp_path)
    check_answer = server.answer()["check"]
    assert (result.outcome, check_answer["reason"]) == ("inconclusive", "unknown")
    assert words in check_answer["message"]


def test_other_exceptions_are_classified_by_their_text(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def boom() -> None:
        raise RuntimeError("[Errno 111] Connection refused")

    scripted(monkeypatch, boom)
    server = FakeServer()
    run_check(check_job("https://example.com/v"), server, downloader(tmp_path), tmp_path)
    assert server.answer()["check"] == {
        "outcome": "inconclusive",
        "reason": "network",
        "message": "RuntimeError: [Errno 111] Connection refused",
    }


def test_a_stop_before_or_during_the_extraction_reports_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    stop = threading.Event()

    def interrupted() -> None:
        stop.set()
        raise DownloadError("ERROR: [generic] v: Unable to download webpage: Interrupted")

    scripted(monkeypatch, interrupted)
    server = FakeServer()
    job = check_job("https://example.com/v")
    with pytest.raises(Stopped):
        run_check(job, server, downloader(tmp_path), tmp_path, stop=stop)
    with pytest.raises(Stopped):  # stop is still set: no extraction at all
        run_check(job, server, downloader(tmp_path), tmp_path, stop=stop)
    assert server.calls == []


# -- the runner ----------------------------------------------------------------------------------


def make_runner(tmp_path: Path, server: FakeServer, **config: Any) -> tuple[Runner, list[float]]:
    slept: list[float] = []
    options = {"server": "http://x", "token": "t", "workdir": tmp_path, "once": True, "jitter": 0}
    runner = Runner(
        WorkerConfig(**{**options, **config}),
        server,  # type: ignore[arg-type]
        downloader(tmp_path),
        sleep=slept.append,
        out=io.StringIO(),
    )
    return runner, slept


def test_the_runner_checks_in_a_scratch_folder_counts_and_pauses(
    source: Source, tmp_path: Path
) -> None:
    url = serve_song(source)
    server = FakeServer([check_job(url, "old", 1), check_job(url, None, 2)])
    runner, slept = make_runner(tmp_path, server, pause=100.0)

    assert runner.run() == 0

    assert [c[1] for c in server.of("complete")] == [1, 2]
    assert runner.stats[Outcome.CHECKED] == 2
    assert Outcome.CHECKED in COUNTED and Outcome.CHECKED in PAUSE_AFTER
    assert slept == [100.0, 100.0]  # the politeness pause after each check
    assert f"Checking {url}" in [c[1] for c in server.of("heartbeat")]
    assert server.scratch and server.scratch[0].name.startswith("patchwork-job-")
    assert server.scratch[0].parent == tmp_path
    assert not any(path.exists() for path in server.scratch)  # removed afterwards
    assert list(tmp_path.glob("patchwork-job-*")) == []


def test_a_rate_limited_check_completes_and_cools_down(statuses: str, tmp_path: Path) -> None:
    server = FakeServer()
    runner, _ = make_runner(tmp_path, server)

    outcome = runner.handle(check_job(f"{statuses}/429/watch.html"))

    assert outcome == Outcome.BOT_CHECK
    assert server.answer()["check"]["reason"] == "rate-limited"
    assert server.of("fail") == []
    assert runner.stats[Outcome.CHECKED] == 1 and runner.stats[Outcome.FAILED] == 0
    assert list(tmp_path.glob("patchwork-job-*")) == []


def test_the_runner_hands_a_check_back_when_stopping_or_aborted(
    source: Source, tmp_path: Path
) -> None:
    url = serve_song(source)
    server = FakeServer()
    runner, _ = make_runner(tmp_path, server)
    runner.stop.set()
    assert runner.handle(check_job(url)) == Outcome.STOPPED
    assert server.of("fail") == [("fail", 1, "worker fake stopped", True)]

    aborted = FakeServer()
    runner, _ = make_runner(tmp_path, aborted)
    runner.abort.set()  # a second signal: the upload in flight is given up
    assert runner.handle(check_job(url, job_id=2)) == Outcome.STOPPED
    assert aborted.of("complete") == [] and aborted.of("fail")[0][1] == 2
    assert list(tmp_path.glob("patchwork-job-*")) == []


def test_a_lost_lease_moves_on_and_a_refused_token_stops(source: Source, tmp_path: Path) -> None:
    url = serve_song(source)
    server = FakeServer()
    server.refuse["metadata"] = LeaseLost("not yours", 409)
    runner, _ = make_runner(tmp_path, server)
    assert runner.handle(check_job(url)) == Outcome.LOST
    assert server.of("fail") == [] and server.of("complete") == []

    refused = FakeServer()
    refused.refuse["metadata"] = AuthError("the server refused the token", 401)
    runner, _ = make_runner(tmp_path, refused)
    with pytest.raises(AuthError):
        runner.handle(check_job(url))
