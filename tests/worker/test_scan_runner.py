"""The worker's scan jobs without a network: a scripted yt-dlp and a fake server.

The scripted ``YoutubeDL`` is yt-dlp's own class with only ``extract_info`` replaced, so the
listing goes through yt-dlp's real ``PlaylistEntries``, ``LazyList`` and ``PagedList``.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yt_dlp
from yt_dlp.utils import DownloadError, ExtractorError, OnDemandPagedList, smuggle_url

from patchwork.worker import scan
from patchwork.worker.client import Claimed, LeaseLost, Mode
from patchwork.worker.config import WorkerConfig
from patchwork.worker.download import Downloader, DownloadFailed
from patchwork.worker.link_pages import links_of_page
from patchwork.worker.runner import Outcome, Runner, with_job_options

Script = dict[str, Any]  # URL -> a result, a function making one, or an exception to raise


class ScriptedYDL(yt_dlp.YoutubeDL):  # type: ignore[misc]  # yt-dlp has no types
    def __init__(self, params: dict[str, Any], script: Script) -> None:
        super().__init__(params)
        self.script = script
        self.extracted: list[str] = []

    def extract_info(self, url: str, download: bool = True, ie_key: Any = None, **kw: Any) -> Any:
        assert download is False and kw.get("process") is False
        self.extracted.append(url)
        result = self.script[url]
        if isinstance(result, Exception):
            raise result
        return result() if callable(result) else result


@pytest.fixture
def script(monkeypatch: pytest.MonkeyPatch) -> Script:
    """What the scripted yt-dlp answers; a scan opening it records its options."""
    answers: Script = {}

    def open_ydl(params: dict[str, Any]) -> ScriptedYDL:
        answers.setdefault("_params", params)
        return ScriptedYDL(params, answers)

    monkeypatch.setattr(scan, "open_youtube_dl", open_ydl)
    return answers


class Server:
    """The fake server's side: pages taken, answers given, jobs completed or failed."""

    name = "fake"

    def __init__(self, jobs: list[Claimed] | None = None, stop_after: int | None = None) -> None:
        self.jobs = list(jobs or [])
        self.pages: list[tuple[int, list[dict[str, Any]], str | None]] = []
        self.stop_after = stop_after
        self.on_page: Callable[[], None] = lambda: None
        self.calls: list[tuple[Any, ...]] = []

    def report_entries(
        self, job_id: int, position: int, entries: list[dict[str, Any]], title: str | None = None
    ) -> dict[str, Any]:
        self.pages.append((position, list(entries), title))
        self.on_page()
        stop = self.stop_after is not None and len(self.pages) >= self.stop_after
        return {"position": position + len(entries), "stop": stop}

    def heartbeat(self, status: str) -> None:
        self.calls.append(("heartbeat", status))

    def claim(self) -> Claimed | None:
        return self.jobs.pop(0) if self.jobs else None

    def complete(self, job_id: int, report: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("complete", job_id, report))
        return {}

    def fail(self, job_id: int, error: str, *, retryable: bool, retry_after: float = 0) -> None:
        self.calls.append(("fail", job_id, error, retryable, retry_after))

    def has_video(self, video_id: str) -> bool:
        return False

    def of(self, name: str) -> list[tuple[Any, ...]]:
        return [c for c in self.calls if c[0] == name]

    def urls(self) -> list[str]:
        return [e["url"] for _, page, _ in self.pages for e in page]


URL = "https://www.youtube.com/@someone/videos"


def scan_job(job_id: int = 1, **scan_fields: Any) -> Claimed:
    fields = {"source_id": 1, "url": URL, "resume_from": 0, "full": True, "limit": None}
    return Claimed(job_id, URL, Mode.SCAN, "source:1", 1, scan={**fields, **scan_fields})


def video(n: int, **extra: Any) -> dict[str, Any]:
    url = f"https://www.youtube.com/watch?v=video{n:05d}"
    return {"_type": "url", "ie_key": "Youtube", "id": f"video{n:05d}", "url": url, **extra}


def playlist(entries: Any, title: str = "Uploads") -> Callable[[], dict[str, Any]]:
    """A listing whose entries come lazily, as a YouTube tab's do (a fresh one each call)."""
    return lambda: {"_type": "playlist", "id": "p", "title": title, "entries": iter(entries)}


def config(tmp_path: Path, **extra: Any) -> WorkerConfig:
    return WorkerConfig(server="http://x", token="t", workdir=tmp_path, once=True, **extra)


def scanned(tmp_path: Path, server: Server, job: Claimed) -> int:
    return scan.run_scan(job, server, Downloader(config(tmp_path), ffmpeg=False))


def runner(tmp_path: Path, server: Server, **extra: Any) -> tuple[Runner, list[float]]:
    slept: list[float] = []
    options = config(tmp_path, **{"jitter": 0.0, **extra})
    downloader = Downloader(options, ffmpeg=False)
    run = Runner(options, server, downloader, sleep=slept.append, out=io.StringIO())  # type: ignore[arg-type]
    return run, slept


# -- pages, checkpoints, stops ----------------------------------------------------------------


def test_entries_go_in_pages_with_the_listing_title_on_the_first(
    tmp_path: Path, script: Script
) -> None:
    script[URL] = playlist([video(n) for n in range(5)])
    server = Server()
    assert scanned(tmp_path, server, scan_job(page_size=2)) == 5
    sizes = [(position, len(entries), title) for position, entries, title in server.pages]
    assert sizes == [(0, 2, "Uploads"), (2, 2, None), (4, 1, None)]
    assert server.urls() == [video(n)["url"] for n in range(5)]
    assert script["_params"]["extract_flat"] == "in_playlist"


def test_a_resumed_listing_starts_at_its_checkpoint_and_fetches_no_earlier_page(
    tmp_path: Path, script: Script
) -> None:
    fetched: list[int] = []

    def page(number: int) -> Iterator[dict[str, Any]]:
        fetched.append(number)
        return iter([video(n) for n in range(number * 3, min(number * 3 + 3, 10))])

    script[URL] = {"_type": "playlist", "title": "All", "entries": OnDemandPagedList(page, 3)}
    server = Server()
    assert scanned(tmp_path, server, scan_job(resume_from=7, page_size=50)) == 10
    assert server.pages == [(7, [scan.reported(video(n)) for n in (7, 8, 9)], "All")]
    assert 0 not in fetched and 1 not in fetched  # entries 0-5: never asked for


def test_a_stop_answer_ends_the_scan_and_nothing_more_is_fetched(
    tmp_path: Path, script: Script
) -> None:
    pulled: list[int] = []

    def entries() -> Iterator[dict[str, Any]]:
        for n in range(100):
            pulled.append(n)
            yield video(n)

    script[URL] = lambda: {"_type": "playlist", "title": "t", "entries": entries()}
    server = Server(stop_after=2)
    assert scanned(tmp_path, server, scan_job(page_size=3)) == 6
    assert len(server.pages) == 2 and pulled == list(range(6))


def test_the_limit_counts_from_the_start_of_the_listing(tmp_path: Path, script: Script) -> None:
    script[URL] = playlist([video(n) for n in range(10)])
    server = Server()
    assert scanned(tmp_path, server, scan_job(resume_from=1, limit=3, page_size=10)) == 3
    assert [p for p, _, _ in server.pages] == [1]
    assert server.urls() == [video(1)["url"], video(2)["url"]]


def test_an_empty_listing_still_names_the_source(tmp_path: Path, script: Script) -> None:
    script[URL] = playlist([], title="Quiet channel")
    server = Server()
    assert scanned(tmp_path, server, scan_job()) == 0
    assert server.pages == [(0, [], "Quiet channel")]


# -- nested listings and entries --------------------------------------------------------------


def test_a_channel_root_is_flattened_tab_by_tab(tmp_path: Path, script: Script) -> None:
    shorts = "https://www.youtube.com/@someone/shorts"
    deep = {"_type": "playlist", "title": "too deep", "entries": [video(90)]}
    script[URL] = lambda: {
        "_type": "playlist",
        "title": "Someone",
        "entries": iter(
            [
                playlist([video(0), {"_type": "url", "title": "no url"}, video(1)], "Videos")(),
                {"_type": "url", "ie_key": "YoutubeTab", "url": shorts},
            ]
        ),
    }
    script[shorts] = playlist([video(2), playlist([video(3), deep], "Inner")(), video(4)], "Shorts")
    server = Server()
    assert scanned(tmp_path, server, scan_job(page_size=2)) == 5
    assert server.urls() == [video(n)["url"] for n in range(5)]  # no url and too deep: left out
    assert server.pages[0][2] == "Someone"

    again = Server()  # the next attempt resumes by the flattened count
    assert scanned(tmp_path, again, scan_job(resume_from=3, page_size=10)) == 5
    assert again.pages == [(3, [scan.reported(video(3)), scan.reported(video(4))], "Someone")]


def test_a_plain_listing_leaves_out_a_listing_inside_it(tmp_path: Path, script: Script) -> None:
    tab = {"_type": "url", "url": "https://www.youtube.com/playlist?list=PLxxxxxxxxxxxxxxxx"}
    script[URL] = playlist([video(0), tab, video(1)])
    server = Server()
    assert scanned(tmp_path, server, scan_job()) == 2
    assert server.urls() == [video(0)["url"], video(1)["url"]]


def test_each_entry_carries_what_the_server_files() -> None:
    page = "https://example.com/p/1.html"
    rss_item = {
        "_type": "url_transparent",
        "url": smuggle_url(page, {"force_videoid": "guid-1"}),
        "title": "One\x00",
        "timestamp": 1704324600,  # 2024-01-03 23:30 UTC: the 4th east of Greenwich
        "duration": 212.7,
    }
    assert scan.reported(rss_item) == {
        "url": page, "title": "One", "duration": 212, "upload_date": "20240103",
    }  # fmt: skip
    flat = video(7, title="Live", upload_date="20230101", live_status="was_live", duration=None)
    assert scan.reported(flat) == {
        "url": flat["url"], "id": "video00007", "title": "Live", "upload_date": "20230101",
        "live_status": "was_live",
    }  # fmt: skip
    assert scan.reported({"id": 5, "webpage_url": page}) == {"url": page, "id": "5"}
    assert scan.reported({"id": "x", "title": "nowhere"}) is None
    assert scan.reported({"url": "https://e/" + "x" * 3000}) is None  # the server refuses it
    assert scan.reported({"url": page, "live_status": "x" * 40, "duration": -1}) == {"url": page}


def test_links_of_a_page_are_the_ones_that_play() -> None:
    html = """<html><head><title> My  clips </title><base href="/media/"></head><body>
      <a href="a.mp4">Clip <b>A</b></a> <a href="/about.html">About us</a>
      <a href="b.WEBM#t=10" title="Clip B"></a> <a href="a.mp4">again</a>
      <a href="https://www.youtube.com/watch?v=dQw4w9WgXcQ">A song</a>
      <a href="mailto:me@example.com">mail.mp3</a> <a href="sound.flac?dl=1">Sound</a>
    </body></html>"""
    title, links = links_of_page(html, "http://127.0.0.1:1/page/list.html")
    assert title == "My clips"
    assert links == [
        ("http://127.0.0.1:1/media/a.mp4", "Clip A"),
        ("http://127.0.0.1:1/media/b.WEBM", "Clip B"),
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "A song"),
        ("http://127.0.0.1:1/media/sound.flac?dl=1", "Sound"),
    ]


# -- the runner ---------------------------------------------------------------------------------


def test_a_scan_job_is_completed_counted_and_followed_by_the_pause(
    tmp_path: Path, script: Script
) -> None:
    script[URL] = playlist([video(0)])
    server = Server([scan_job()])
    run, slept = runner(tmp_path, server, pause=30.0)
    assert run.run() == 0
    assert server.of("complete") == [("complete", 1, {})]
    assert run.stats[Outcome.SCANNED] == 1 and slept == [30.0]
    assert ("heartbeat", f"Scanning {URL}: 1 entries") in server.calls


@pytest.mark.parametrize(
    ("message", "outcome", "retryable", "rest"),
    [
        ("Sign in to confirm you're not a bot", Outcome.BOT_CHECK, True, 900.0),
        ("HTTP Error 429: Too Many Requests", Outcome.BOT_CHECK, True, 900.0),
        ("This channel does not exist.", Outcome.FAILED, False, 0),
        ("Unable to download API page: timed out", Outcome.FAILED, True, 0),
    ],
)
def test_a_listing_error_fails_the_scan_as_downloads_do(
    tmp_path: Path, script: Script, message: str, outcome: Outcome, retryable: bool, rest: float
) -> None:
    script[URL] = DownloadError(f"ERROR: [youtube:tab] someone: {message}")
    server = Server()
    run, _ = runner(tmp_path, server, cooldown=900.0)
    assert run.handle(scan_job()) is outcome
    [(_, job_id, message, was_retryable, retry_after)] = server.of("fail")
    assert (job_id, was_retryable, retry_after) == (1, retryable, rest)
    assert not message.startswith("ERROR")


def test_an_error_on_a_later_page_keeps_the_pages_already_reported(
    tmp_path: Path, script: Script
) -> None:
    def entries() -> Iterator[dict[str, Any]]:
        yield from (video(0), video(1))
        raise ExtractorError("Unable to download API page: HTTP Error 503", expected=True)

    script[URL] = lambda: {"_type": "playlist", "title": "t", "entries": entries()}
    server = Server()
    run, _ = runner(tmp_path, server)
    assert run.handle(scan_job(page_size=2)) is Outcome.FAILED
    assert [p for p, _, _ in server.pages] == [0]
    assert server.of("fail")[0][3] is True  # the next attempt resumes at 2


def test_a_page_refused_with_409_means_the_job_is_gone(tmp_path: Path, script: Script) -> None:
    script[URL] = playlist([video(0)])
    server = Server()

    def refuse() -> None:
        raise LeaseLost("the job was cancelled", 409)

    server.on_page = refuse
    run, _ = runner(tmp_path, server)
    assert run.handle(scan_job()) is Outcome.LOST
    assert server.of("fail") == [] and server.of("complete") == []


def test_stopping_between_pages_hands_the_scan_back(tmp_path: Path, script: Script) -> None:
    script[URL] = playlist([video(n) for n in range(10)])
    server = Server()
    run, _ = runner(tmp_path, server)
    server.on_page = run.stop.set
    assert run.handle(scan_job(page_size=2)) is Outcome.STOPPED
    assert len(server.pages) == 1 and server.of("fail")[0][3] is True


def test_a_scan_of_a_removed_source_completes_without_listing(tmp_path: Path) -> None:
    server = Server()
    run, _ = runner(tmp_path, server)
    gone = Claimed(4, URL, Mode.SCAN, "source:9", 1, scan={"source_id": 9, "gone": True})
    assert run.handle(gone) is Outcome.SCANNED
    assert server.of("complete") == [("complete", 4, {})] and server.pages == []


# -- archive options ------------------------------------------------------------------------------


class RecordingDownloader(Downloader):
    """Records the yt-dlp options each download would run with, then fails it for good."""

    def __init__(self, config: WorkerConfig) -> None:
        super().__init__(config, ffmpeg=True)
        self.seen: list[dict[str, Any]] = []

    def fetch(self, url: str, workdir: Path, **kw: Any) -> Any:
        self.seen.append(self.options(workdir, lambda d: None, url=url, config=kw.get("config")))
        raise DownloadFailed("enough", retryable=False)


def test_a_sources_archive_options_reach_yt_dlp_for_its_jobs_only(tmp_path: Path) -> None:
    options = config(tmp_path, max_height=1080, auto_captions=False)
    chosen = {"max_height": 480, "auto_captions": True}
    jobs = [
        Claimed(1, "https://e/1", Mode.ARCHIVE, "generic:1", 1, options=chosen),
        Claimed(2, "https://e/2", Mode.ARCHIVE, "generic:2", 1),
    ]
    downloader = RecordingDownloader(options)
    Runner(options, Server(jobs), downloader, sleep=lambda s: None, out=io.StringIO()).run()  # type: ignore[arg-type]
    first, second = downloader.seen
    assert "[height<=?480]" in first["format"] and "1080" not in first["format"]
    assert first["writeautomaticsub"] is True
    assert "[height<=?1080]" in second["format"] and second["writeautomaticsub"] is False


def test_archive_options_of_the_wrong_type_leave_the_workers_own(tmp_path: Path) -> None:
    options = config(tmp_path, max_height=720)
    assert with_job_options(options, {"max_height": "480", "auto_captions": 1}) is options
    assert with_job_options(options, {"max_height": True}) is options
    assert with_job_options(options, None) is options
    assert with_job_options(options, {"max_height": 0}).max_height == 0  # 0: no limit
