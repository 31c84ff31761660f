"""The worker's loop: heartbeat, claim, archive, report; pause politely; stop cleanly.

Time is injectable (``sleep`` and ``clock``) so tests never wait. Each job gets its own
scratch folder under the workdir, removed whatever happens; folders left by a killed worker
are removed when the next one starts. The first SIGTERM/SIGINT lets the upload in flight
finish (or fails the download in flight as retryable) and then exits 0; a second one aborts
the upload too, failing the job as retryable.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import random
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from patchwork import __version__
from patchwork.worker.check import run_check
from patchwork.worker.client import (
    KNOWN_MODES,
    ApiClient,
    ApiError,
    AuthError,
    Claimed,
    LeaseLost,
    Mode,
)
from patchwork.worker.config import WorkerConfig
from patchwork.worker.download import Download, Downloader, DownloadFailed, Failure, Stopped
from patchwork.worker.scan import run_scan

log = logging.getLogger("patchwork.worker")
SCRATCH_PREFIX = "patchwork-job-"
DOWNLOAD_SHARE = 90.0  # the job's percent: download 0-90, upload 90-100
REPORT_EVERY = 5.0  # seconds between progress reports


class Outcome(enum.StrEnum):
    """How one job ended for this worker: what the loop does next, and what it counts."""

    ARCHIVED = "archived"  # downloaded, uploaded, completed
    SKIPPED = "skipped"  # a mode-0 job whose video the archive has: completed as skipped
    DELETED = "deleted"  # a delete job, completed
    SCANNED = "scanned"  # a scan job: its source listed, its entries reported, completed
    CHECKED = "checked"  # a check job: the video looked at again, its answer completed
    FAILED = "failed"  # reported as failed, retryable or for good
    # failed (retryable) on a bot check, or a check met one or a rate limit: rest, then claim
    BOT_CHECK = "bot-check"
    LOST = "lost"  # the lease is gone (cancelled, lapsed, done elsewhere): nothing to report
    STOPPED = "stopped"  # handed back (failed, retryable) because the worker is stopping


#: After these, the worker waits its politeness pause before the next claim.
PAUSE_AFTER = frozenset({Outcome.ARCHIVED, Outcome.SCANNED, Outcome.CHECKED, Outcome.FAILED})
#: What the summary counts: each job done, and each failure reported.
COUNTED = tuple(o for o in Outcome if o not in (Outcome.BOT_CHECK, Outcome.LOST, Outcome.STOPPED))


class Aborted(Exception):
    """A second stop signal: give up the upload in flight."""


class Runner:
    def __init__(
        self,
        config: WorkerConfig,
        client: ApiClient,
        downloader: Downloader,
        *,
        sleep: Callable[[float], object] | None = None,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        stop: threading.Event | None = None,
        out: TextIO | None = None,
    ) -> None:
        self.config = config
        self.client = client
        self.downloader = downloader
        self.stop = stop or downloader.stop
        self.abort = threading.Event()
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._out = out if out is not None else sys.stderr
        self._bar = self._out.isatty()
        self._last_report = -REPORT_EVERY
        self.stats = dict.fromkeys(COUNTED, 0)

    # -- signals and pauses ----------------------------------------------------------------

    def request_stop(self, *_: Any) -> None:
        if self.stop.is_set():
            self.abort.set()
            log.warning("second stop signal: abandoning the job in flight")
        else:
            self.stop.set()
            log.info("stop requested: finishing the upload in flight, then exiting")

    def pause(self, seconds: float, why: str) -> None:
        if seconds <= 0 or self.stop.is_set():
            return
        seconds *= 1 + self.config.jitter * (2 * self._rng.random() - 1)
        log.info("%s: waiting %.0f s", why, seconds)
        if self._sleep is not None:
            self._sleep(seconds)
        else:
            self.stop.wait(seconds)

    # -- the loop ---------------------------------------------------------------------------

    def run(self) -> int:
        self._remove_stale_scratch()
        try:
            self.client.heartbeat("Starting up archival")
            while not self.stop.is_set():
                try:
                    job = self.client.claim()
                except AuthError:
                    raise
                except ApiError as exc:
                    log.error("cannot claim a job: %s", exc)
                    if self.config.once:
                        return 1
                    self.pause(self.config.idle, "server unreachable")
                    continue
                if job is None:
                    self.client.heartbeat("Idle. Waiting for work...")
                    if self.config.once:
                        log.info("queue empty: done (%s)", self._summary())
                        return 0
                    self.pause(self.config.idle, "queue empty")
                    continue
                outcome = self.handle(job)
                if outcome == Outcome.BOT_CHECK:
                    self.client.heartbeat("Cooling down after a bot check")
                    if self.config.once:
                        log.warning("stopping: the site asked for a bot check")
                        return 0
                    self.pause(self.config.cooldown, "cooling down after a bot check")
                elif outcome in PAUSE_AFTER:
                    self.pause(self.config.pause, "politeness pause")
        except AuthError as exc:
            log.error("%s", exc)
            self.client.heartbeat("Invalid credentials. The password may be incorrect")
            return 2
        log.info("stopped (%s)", self._summary())
        self.client.heartbeat("Stopped")
        return 0

    def _summary(self) -> str:
        return ", ".join(f"{n} {k}" for k, n in self.stats.items())

    def _remove_stale_scratch(self) -> None:
        workdir = self.config.workdir
        workdir.mkdir(parents=True, exist_ok=True)
        for old in workdir.glob(f"{SCRATCH_PREFIX}*"):
            log.info("removing %s left by an earlier worker", old)
            shutil.rmtree(old, ignore_errors=True)

    # -- one job ----------------------------------------------------------------------------

    def handle(self, job: Claimed) -> Outcome:
        """Run one claimed job and say how it ended."""
        log.info(
            "job %d: claimed %s (mode %d, attempt %d)", job.job_id, job.url, job.mode, job.attempt
        )
        self._last_report = -REPORT_EVERY
        try:
            if job.mode not in KNOWN_MODES:
                # A kind of a newer server: handed back for a worker that knows it.
                self._fail(job, f"worker {__version__} cannot run mode {job.mode} jobs", True)
                return Outcome.FAILED
            if job.mode == Mode.DELETE:
                self.client.complete(job.job_id, {})
                log.info("job %d: deleted %s", job.job_id, job.url)
                self.stats[Outcome.DELETED] += 1
                return Outcome.DELETED
            if job.mode == Mode.SCAN:
                return self._scan(job)
            if job.mode == Mode.CHECK:
                return self._check(job)
            self.client.heartbeat(f"Archiving {job.url}")
            known = _known_id(job.target)
            if job.mode == Mode.ARCHIVE and known and self.client.has_video(known):
                return self._skip(job, known)
            with self._scratch() as scratch:
                return self._archive(job, scratch)
        except LeaseLost as exc:
            log.warning("job %d: no longer ours (%s); moving on", job.job_id, exc)
            return Outcome.LOST
        except DownloadFailed as exc:
            retry = " (retryable)" if exc.retryable else ""
            log.error("job %d: download failed%s: %s", job.job_id, retry, exc)
            bot_check = exc.failure == Failure.BOT_CHECK
            self._fail(job, str(exc), exc.retryable, self.config.cooldown if bot_check else 0)
            return Outcome.BOT_CHECK if bot_check else Outcome.FAILED
        except (Stopped, Aborted) as exc:
            log.warning("job %d: %s; handing it back", job.job_id, exc)
            self._fail(job, f"worker {self.client.name} stopped", True)
            return Outcome.STOPPED
        except AuthError:
            raise
        except Exception as exc:
            log.exception("job %d: %s", job.job_id, exc)
            self._fail(job, f"{type(exc).__name__}: {exc}", True)
            return Outcome.FAILED

    @contextlib.contextmanager
    def _scratch(self) -> Iterator[Path]:
        """The job's own folder under the workdir, removed whatever happens."""
        scratch = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX, dir=self.config.workdir))
        try:
            yield scratch
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def _fail(self, job: Claimed, error: str, retryable: bool, retry_after: float = 0) -> None:
        self.stats[Outcome.FAILED] += 1
        try:
            self.client.fail(job.job_id, error, retryable=retryable, retry_after=retry_after)
        except ApiError as exc:  # the lease will lapse and the job comes back anyway
            log.error("job %d: could not report the failure: %s", job.job_id, exc)

    def _skip(self, job: Claimed, video_id: str) -> Outcome:
        log.info("job %d: %s is already archived; skipping", job.job_id, video_id)
        self.client.complete(job.job_id, {"skipped": video_id})
        self.stats[Outcome.SKIPPED] += 1
        return Outcome.SKIPPED

    def _scan(self, job: Claimed) -> Outcome:
        self.client.heartbeat(f"Scanning {job.url}")

        def on_page(position: int) -> None:
            log.info("job %d: reported %d entries of %s", job.job_id, position, job.url)
            self.client.heartbeat(f"Scanning {job.url}: {position} entries")

        position = run_scan(job, self.client, self.downloader, stop=self.stop, on_page=on_page)
        self.client.complete(job.job_id, {})
        log.info("job %d: scanned %s (%d entries)", job.job_id, job.url, position)
        self.stats[Outcome.SCANNED] += 1
        return Outcome.SCANNED

    def _check(self, job: Claimed) -> Outcome:
        self.client.heartbeat(f"Checking {job.url}")

        def on_upload(_done: int, _size: int) -> None:
            if self.abort.is_set():
                raise Aborted("stopped during the upload")

        with self._scratch() as scratch:
            result = run_check(
                job, self.client, self.downloader, scratch, stop=self.stop, on_upload=on_upload
            )
        log.info("job %d: checked %s: %s", job.job_id, job.url, result.describe())
        self.stats[Outcome.CHECKED] += 1
        return Outcome.BOT_CHECK if result.cools_down else Outcome.CHECKED

    def _archive(self, job: Claimed, scratch: Path) -> Outcome:
        skipped: list[str] = []

        def skip(video_id: str) -> bool:
            if job.mode == Mode.ARCHIVE and self.client.has_video(video_id):
                skipped.append(video_id)
                return True
            return False

        def want_channel(channel_id: str) -> bool:
            return not self.client.channel_known(channel_id)

        log.info("job %d: downloading %s", job.job_id, job.url)
        download = self.downloader.fetch(
            job.url,
            scratch,
            on_progress=lambda p: self._progress(job, p * DOWNLOAD_SHARE / 100, "downloading"),
            skip=skip,
            want_channel=want_channel,
            config=with_job_options(self.downloader.config, job.options),
        )
        if download is None:
            return self._skip(job, skipped[0])
        self._end_bar()
        log.info(
            "job %d: downloaded %s (%s)",
            job.job_id,
            download.video_id,
            ", ".join(f.kind for f in download.files),
        )
        self._upload_all(job, download)
        report: dict[str, Any] = {
            "video": download.info,
            "files": [f.kind for f in download.files],
        }
        if download.channel_description is not None:
            report["channel"] = {"description": download.channel_description}
        self.client.complete(job.job_id, report)
        self._end_bar()
        log.info("job %d: archived %s", job.job_id, download.video_id)
        self.client.heartbeat(f"Archived {job.url}")
        self.stats[Outcome.ARCHIVED] += 1
        return Outcome.ARCHIVED

    def _upload_all(self, job: Claimed, download: Download) -> None:
        total = sum(f.path.stat().st_size for f in download.files) or 1
        sent_before = 0
        uploaded = []
        for item in sorted(download.files, key=lambda f: f.kind != "video"):
            if self.abort.is_set():
                raise Aborted("stopped during the upload")
            size = item.path.stat().st_size
            base = sent_before

            def on_progress(done: int, _size: int, base: int = base) -> None:
                if self.abort.is_set():
                    raise Aborted("stopped during the upload")
                share = 100 - DOWNLOAD_SHARE
                self._progress(job, DOWNLOAD_SHARE + share * (base + done) / total, "uploading")

            try:
                self.client.upload(
                    job.job_id, item.kind, item.path, item.ext, on_progress=on_progress
                )
            except (LeaseLost, AuthError, Aborted):
                raise
            except ApiError as exc:
                if item.kind in ("video", "metadata"):
                    raise
                log.warning("job %d: %s not uploaded (%s); going on", job.job_id, item.kind, exc)
                continue
            uploaded.append(item)
            log.info("job %d: uploaded %s (%d bytes)", job.job_id, item.kind, size)
            sent_before += size
        download.files = uploaded

    def _progress(self, job: Claimed, percent: float, phase: str) -> None:
        self._draw_bar(job, percent, phase)
        now = self._clock()
        if now - self._last_report < REPORT_EVERY and percent < 100:
            return
        self._last_report = now
        self.client.progress(job.job_id, percent, phase)
        self.client.heartbeat(f"Archiving {job.url} {percent:.0f}%")

    def _draw_bar(self, job: Claimed, percent: float, phase: str) -> None:
        if not self._bar:
            return
        width = 30
        filled = int(width * percent / 100)
        self._out.write(
            f"\r  job {job.job_id} [{'#' * filled}{'.' * (width - filled)}] "
            f"{percent:5.1f}% {phase}  "
        )
        self._out.flush()

    def _end_bar(self) -> None:
        if self._bar:
            self._out.write("\n")
            self._out.flush()


def with_job_options(config: WorkerConfig, options: Mapping[str, Any] | None) -> WorkerConfig:
    """The worker's options with the archive options of the source that queued the job over
    them; a value of the wrong type (a newer server's?) leaves the worker's own."""
    changes: dict[str, Any] = {}
    height = (options or {}).get("max_height")
    if isinstance(height, int) and not isinstance(height, bool) and height >= 0:
        changes["max_height"] = height
    captions = (options or {}).get("auto_captions")
    if isinstance(captions, bool):
        changes["auto_captions"] = captions
    return replace(config, **changes) if changes else config


def _known_id(target: str) -> str | None:
    """The video id a YouTube job's target names (others are known after yt-dlp's look)."""
    platform, _, rest = target.partition(":")
    return rest if platform == "youtube" and rest else None
