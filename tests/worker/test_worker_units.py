"""The worker's parts without a database: options, error sorting, the loop, HTTP retries."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from patchwork.worker.client import ApiClient, ApiError, Claimed, LeaseLost
from patchwork.worker.config import (
    WorkerConfig,
    WorkerConfigError,
    extractor_args,
    load_config,
    parse_extractor_args,
)
from patchwork.worker.download import (
    Download,
    Downloader,
    DownloadFailed,
    LocalFile,
    classify,
    format_selector,
    pick_channel_images,
)
from patchwork.worker.runner import Runner

# -- options ---------------------------------------------------------------------------------


def write_ini(tmp_path: Path, text: str) -> str:
    path = tmp_path / "config.ini"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_config_ini_of_the_original_worker(tmp_path: Path) -> None:
    ini = write_ini(
        tmp_path,
        "[queue]\nbase_url = https://archive.example/\nworker_password = s3cret\n"
        "worker_name = box1\n[youtube]\ncookies = /etc/cookies.txt\napi_key = unused\n"
        "[worker]\nmax_height = 720\nextractor_args =\n  youtube:player_client=web,tv\n"
        "  generic:impersonate\n",
    )
    config = load_config({}, environ={}, config_path=ini)
    assert (config.server, config.token, config.name) == (
        "https://archive.example",
        "s3cret",
        "box1",
    )
    assert config.cookies == "/etc/cookies.txt"
    assert config.max_height == 720
    assert extractor_args(config) == {
        "youtube": {"player_client": ["web", "tv"]},
        "generic": {"impersonate": [""]},
    }


def test_command_line_beats_environment_beats_ini(tmp_path: Path) -> None:
    ini = write_ini(
        tmp_path, "[queue]\nbase_url = http://ini\nworker_password = a\nworker_name = ini\n"
    )
    env = {
        "PATCHWORK_WORKER_NAME": "env",
        "PATCHWORK_WORKER_PAUSE": "5",
        "PATCHWORK_WORKER_ONCE": "yes",
    }
    config = load_config({"name": None, "token": "cli"}, environ=env, config_path=ini)
    assert (config.server, config.token, config.name, config.pause, config.once) == (
        "http://ini",
        "cli",
        "env",
        5.0,
        True,
    )
    assert load_config({"name": "cli"}, environ=env, config_path=ini).name == "cli"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"token": "x"}, "--server"),
        ({"server": "ftp://x", "token": "x"}, "http(s)"),
        ({"server": "http://x"}, "--token"),
        ({"server": "http://x", "token": "x", "jitter": 2.0}, "jitter"),
        ({"server": "http://x", "token": "x", "pause": "soon"}, "pause"),
        ({"server": "http://x", "token": "x", "extractor_args": ("nocolon",)}, "IE_KEY"),
    ],
)
def test_bad_options_are_named(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(WorkerConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_config(overrides, environ={}, config_path="/dev/null")


def test_unknown_worker_option_in_ini(tmp_path: Path) -> None:
    ini = write_ini(tmp_path, "[queue]\nbase_url = http://x\n[worker]\nmax_hieght = 5\n")
    with pytest.raises(WorkerConfigError, match="max_hieght"):
        load_config({"token": "t"}, environ={}, config_path=ini)


def test_extractor_args_syntax_of_yt_dlp() -> None:
    assert parse_extractor_args(r"YouTube:po_token=web.gvs+X\,Y;player-client=mweb") == (
        "youtube",
        {"po_token": ["web.gvs+X,Y"], "player_client": ["mweb"]},
    )


# -- yt-dlp options and errors ------------------------------------------------------------


def test_format_prefers_webm_and_merges_only_with_ffmpeg() -> None:
    config = WorkerConfig()
    with_ffmpeg = format_selector(config, ffmpeg=True)
    assert with_ffmpeg.startswith("bv*[height<=?1080][ext=webm]+ba")
    assert with_ffmpeg.endswith("/b")
    assert "+" not in format_selector(config, ffmpeg=False)
    assert "720" in format_selector(WorkerConfig(max_height=720), ffmpeg=False)
    assert format_selector(WorkerConfig(format="worst"), ffmpeg=True) == "worst"


def test_yt_dlp_options(tmp_path: Path) -> None:
    config = WorkerConfig(
        cookies="/c.txt", auto_captions=True, extractor_args=("youtube:player_client=web",)
    )
    opts = Downloader(config, ffmpeg=False).options(tmp_path, lambda d: None)
    assert opts["cookiefile"] == "/c.txt"
    assert opts["writeautomaticsub"] is True
    assert opts["subtitleslangs"] == ["all", "-live_chat"]
    assert opts["max_filesize"] == 500_000_000
    assert opts["extractor_args"] == {"youtube": {"player_client": ["web"]}}
    assert opts["remote_components"] == []
    assert "postprocessors" not in opts  # no ffmpeg: thumbnails kept as downloaded
    assert Path(opts["js_runtimes"]["deno"]["path"]).name.startswith("deno")
    with_ffmpeg = Downloader(WorkerConfig(), ffmpeg=True).options(tmp_path, lambda d: None)
    assert with_ffmpeg["postprocessors"][0]["format"] == "jpg"
    assert with_ffmpeg["writeautomaticsub"] is False


@pytest.mark.parametrize(
    ("url", "configured", "chosen"),
    [
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "", "srv3/vtt/best"),
        ("https://youtu.be/dQw4w9WgXcQ", "", "srv3/vtt/best"),
        ("https://music.youtube.com/watch?v=dQw4w9WgXcQ", "", "srv3/vtt/best"),
        ("https://www.bilibili.com/video/BV1GJ411x7h7", "", "vtt/best"),
        ("https://vimeo.com/76979871", "", "vtt/best"),
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "vtt", "vtt"),  # the option wins
    ],
)
def test_captions_are_srv3_on_youtube_as_the_original_worker(
    tmp_path: Path, url: str, configured: str, chosen: str
) -> None:
    downloader = Downloader(WorkerConfig(caption_format=configured), ffmpeg=False)
    opts = downloader.options(tmp_path, lambda d: None, url=url)
    assert opts["subtitlesformat"] == chosen
    assert opts["writesubtitles"] is True and opts["writeautomaticsub"] is False


@pytest.mark.parametrize(
    ("message", "retryable", "bot"),
    [
        ("ERROR: [youtube] abc: Sign in to confirm you’re not a bot.", True, True),
        ("ERROR: unable to download video data: HTTP Error 429: Too Many Requests", True, True),
        (
            "ERROR: [youtube] abc: Private video. Sign in if you've been granted access",
            False,
            False,
        ),
        ("ERROR: [youtube] abc: Video unavailable. This video has been removed", False, False),
        ("ERROR: [generic] Unable to download webpage: HTTP Error 404: Not Found", False, False),
        (
            "ERROR: [youtube] abc: Join this channel to get access to members-only content",
            False,
            False,
        ),
        ("ERROR: unable to download video data: <urlopen error timed out>", True, False),
        ("ERROR: unable to download video data: HTTP Error 403: Forbidden", True, False),
    ],
)
def test_errors_are_sorted(message: str, retryable: bool, bot: bool) -> None:
    failure = classify(message)
    assert (failure.retryable, failure.bot_check) == (retryable, bot)
    assert not str(failure).startswith("ERROR")


def test_channel_images_are_picked_from_the_channel_thumbnails() -> None:
    thumbs = [
        {"id": "avatar", "url": "https://i/a-small"},
        {"id": "avatar_uncropped", "url": "https://i/a"},
        {"id": "banner_uncropped", "url": "https://i/b"},
        {"id": "0", "url": "https://i/x"},
    ]
    assert pick_channel_images(thumbs) == {
        "channel-avatar": "https://i/a",
        "channel-banner": "https://i/b",
    }
    assert pick_channel_images([]) == {}


# -- the loop --------------------------------------------------------------------------------


class FakeClient:
    name = "fake"

    def __init__(self, jobs: list[Claimed], archived: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        self.jobs = list(jobs)
        self.archived = set(archived)
        self.calls: list[tuple[Any, ...]] = []

    def heartbeat(self, status: str) -> None:
        self.calls.append(("heartbeat", status))

    def claim(self) -> Claimed | None:
        return self.jobs.pop(0) if self.jobs else None

    def has_video(self, video_id: str) -> bool:
        return video_id in self.archived

    def channel_known(self, channel_id: str) -> bool:
        return True

    def progress(self, job_id: int, percent: float | None, message: str | None = None) -> None:
        self.calls.append(("progress", job_id, percent, message))

    def upload(self, job_id: int, kind: str, path: Path, ext: str, **kw: Any) -> dict[str, Any]:
        kw["on_progress"](path.stat().st_size, path.stat().st_size)
        self.calls.append(("upload", job_id, kind, ext, path.read_bytes()))
        return {}

    def complete(self, job_id: int, report: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("complete", job_id, report))
        return {}

    def fail(self, job_id: int, error: str, *, retryable: bool, retry_after: float = 0) -> None:
        self.calls.append(("fail", job_id, error, retryable, retry_after))

    def of(self, name: str) -> list[tuple[Any, ...]]:
        return [c for c in self.calls if c[0] == name]


class FakeDownloader(Downloader):
    def __init__(self, outcomes: list[Any]) -> None:
        super().__init__(WorkerConfig(), ffmpeg=False)
        self.outcomes = outcomes
        self.dirs: list[Path] = []

    def fetch(self, url: str, workdir: Path, **kw: Any) -> Download | None:  # type: ignore[override]
        self.dirs.append(workdir)
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        kw["on_progress"](50.0)
        video = workdir / "media.webm"
        video.write_bytes(b"webm bytes")
        info = workdir / "media.info.json"
        info.write_text(json.dumps({"id": outcome, "title": "t"}))
        if kw["skip"](outcome):
            return None
        files = [LocalFile("video", video, "webm"), LocalFile("metadata", info, "info.json")]
        return Download({"id": outcome, "title": "t"}, files)


def job(job_id: int, mode: int = 0, target: str = "") -> Claimed:
    return Claimed(job_id, f"https://example.com/{job_id}", mode, target, 1)


def make_runner(
    tmp_path: Path, client: FakeClient, downloader: Downloader, **config: Any
) -> tuple[Runner, list[float]]:
    slept: list[float] = []
    options = {"server": "http://x", "token": "t", "workdir": tmp_path, "once": True, **config}
    runner = Runner(
        WorkerConfig(**options),
        client,  # type: ignore[arg-type]
        downloader,
        sleep=slept.append,
        out=io.StringIO(),
    )
    return runner, slept


def test_loop_archives_skips_deletes_and_pauses_with_jitter(tmp_path: Path) -> None:
    client = FakeClient(
        [job(1), job(2, target="youtube:known"), job(3, mode=2), job(4)], archived={"known", "v4"}
    )
    downloader = FakeDownloader(["v1", "v4"])
    runner, slept = make_runner(tmp_path, client, downloader, pause=100.0, jitter=0.5)
    assert runner.run() == 0
    completes = {c[1]: c[2] for c in client.of("complete")}
    assert completes[1]["video"]["id"] == "v1" and completes[1]["files"] == ["video", "metadata"]
    assert completes[2] == {"skipped": "known"}  # known from the target: nothing downloaded
    assert completes[3] == {}
    assert completes[4] == {"skipped": "v4"}  # known after yt-dlp's look
    assert [c[2] for c in client.of("upload")] == ["video", "metadata"]
    assert len(slept) == 1 and 50 <= slept[0] <= 150  # one download, one pause
    statuses = [c[1] for c in client.of("heartbeat")]
    assert statuses[0] == "Starting up archival"
    assert "Archiving https://example.com/1 45%" in statuses
    assert statuses[-1] == "Idle. Waiting for work..."
    assert all(not d.exists() for d in downloader.dirs)  # scratch removed
    assert client.of("progress")[0][2] == 45.0  # download half done = 45 % of the job


def test_bot_check_fails_retryable_with_long_wait_and_cools_down(tmp_path: Path) -> None:
    client = FakeClient([job(1), job(2)])
    bot = classify("ERROR: [youtube] x: Sign in to confirm you're not a bot")
    downloader = FakeDownloader([bot, "v2"])
    runner, slept = make_runner(tmp_path, client, downloader, once=False, cooldown=1000.0, jitter=0)
    runner.stop.clear()

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) == 2:
            runner.stop.set()

    runner._sleep = sleep
    assert runner.run() == 0
    fail = client.of("fail")[0]
    assert fail[1:] == (1, str(bot), True, 1000.0)
    assert slept[0] == 1000.0  # cooled down before claiming job 2
    assert client.of("complete")[0][1] == 2


def test_gone_video_is_not_retried_and_the_loop_goes_on(tmp_path: Path) -> None:
    client = FakeClient([job(1), job(2)])
    gone = DownloadFailed("HTTP Error 404: Not Found", retryable=False)
    runner, _ = make_runner(tmp_path, client, FakeDownloader([gone, "v2"]), pause=0)
    assert runner.run() == 0
    assert client.of("fail") == [("fail", 1, "HTTP Error 404: Not Found", False, 0)]
    assert [c[1] for c in client.of("complete")] == [2]


def test_lost_lease_moves_on_and_surprises_fail_retryable(tmp_path: Path) -> None:
    client = FakeClient([job(1), job(2)])
    downloader = FakeDownloader([LeaseLost("not yours", 409), RuntimeError("disk full")])
    runner, _ = make_runner(tmp_path, client, downloader, pause=0)
    assert runner.run() == 0
    assert client.of("fail") == [("fail", 2, "RuntimeError: disk full", True, 0)]


def test_stale_scratch_folders_are_removed_at_start(tmp_path: Path) -> None:
    stale = tmp_path / "patchwork-job-old"
    stale.mkdir()
    (stale / "media.webm.part").write_bytes(b"x")
    keep = tmp_path / "mine"
    keep.mkdir()
    runner, _ = make_runner(tmp_path, FakeClient([]), FakeDownloader([]))
    assert runner.run() == 0
    assert not stale.exists() and keep.exists()


# -- HTTP retries ----------------------------------------------------------------------------


@pytest.fixture
def scripted() -> Iterator[tuple[str, list[int], list[str]]]:
    statuses: list[int] = []
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            seen.append(f"{self.command} {self.path} {len(body)}")
            status = statuses.pop(0) if statuses else 200
            payload = json.dumps({"error": "nope"} if status >= 400 else {"ok": True}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = _answer

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", statuses, seen
    server.shutdown()
    server.server_close()


def test_client_retries_with_exponential_backoff(
    scripted: tuple[str, list[int], list[str]], tmp_path: Path
) -> None:
    base, statuses, seen = scripted
    slept: list[float] = []
    client = ApiClient(base, "t", "n", retries=3, sleep=slept.append)
    statuses.extend([503, 429, 502])
    path = tmp_path / "f.bin"
    path.write_bytes(b"z" * 3000)
    progress: list[int] = []
    client.upload(7, "video", path, "webm", on_progress=lambda done, total: progress.append(done))
    assert seen == ["PUT /api/worker/jobs/7/files/video?ext=webm 3000"] * 4  # re-sent whole
    assert len(slept) == 3 and slept[0] < slept[1] < slept[2]
    assert progress[-1] == 3000

    statuses.extend([500] * 4)
    with pytest.raises(ApiError, match="gave up"):
        client.progress(7, 10.0)
    statuses.append(409)
    with pytest.raises(LeaseLost):
        client.progress(7, 10.0)
    statuses.append(400)
    with pytest.raises(ApiError) as info:
        client.claim()
    assert info.value.status == 400 and not isinstance(info.value, LeaseLost)
