"""Check jobs: is an archived video still on its site? yt-dlp looks again, downloading no media.

A video that is there is reported *available* with its fresh metadata: the info.json uploaded
as ``metadata`` (the server keeps it as a new version when it changed), a thumbnail whose URL
changed since the newest version fetched and uploaded beside the old one, and the trimmed info
dict in the completion, as an archive job reports it. A video yt-dlp cannot extract is reported
*unavailable* or *inconclusive* with the reason :mod:`patchwork.worker.check_errors` reads in
the message. Every outcome completes the job: an inconclusive answer is an answer too, and the
server leaves the video's state alone on it.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Protocol
from urllib.parse import urljoin, urlparse

from patchwork.worker.check_errors import CheckVerdict, classify_check_error, clean_message
from patchwork.worker.client import ApiError, AuthError, Claimed, LeaseLost
from patchwork.worker.download import INFO_DROP, LOOK_ONLY, STEM, Downloader, Stopped

log = logging.getLogger(__name__)
# Any format will do, merged or not: nothing is downloaded, and a selector that finds nothing
# ("Requested format is not available") would read as a failed check.
CHECK_FORMAT = "b/bv*+ba/bv*/ba"
MAX_THUMBNAIL = 20 * 1024 * 1024  # bytes; a bigger "thumbnail" is not one
THUMBNAIL_TYPES = {"image/jpeg": "jpg", "image/webp": "webp", "image/png": "png"}
CHUNK = 64 * 1024


class CheckSink(Protocol):
    """Where a check's files and answer go: :class:`patchwork.worker.client.ApiClient`."""

    def upload(
        self,
        job_id: int,
        kind: str,
        path: Path,
        ext: str,
        *,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> dict[str, Any]: ...

    def complete(self, job_id: int, report: Mapping[str, Any]) -> dict[str, Any]: ...


@dataclass(frozen=True)
class CheckResult:
    """How a check ended, as it was reported."""

    verdict: CheckVerdict | None  # None: the video is there
    files: tuple[str, ...] = ()  # the kinds uploaded with an available answer

    @property
    def outcome(self) -> str:
        return "available" if self.verdict is None else self.verdict.outcome

    @property
    def cools_down(self) -> bool:
        """Whether the site pushed back (bot check, rate limit): rest before the next claim."""
        return self.verdict is not None and self.verdict.cools_down

    def describe(self) -> str:
        if self.verdict is None:
            return f"available ({', '.join(self.files)})"
        return f"{self.verdict.outcome} ({self.verdict.reason}): {self.verdict.message[:200]}"


def open_youtube_dl(params: dict[str, Any]) -> Any:
    """A ``yt_dlp.YoutubeDL``; the tests put a scripted one here."""
    import yt_dlp

    return yt_dlp.YoutubeDL(params)


def check_options(downloader: Downloader, scratch: Path, url: str) -> dict[str, Any]:
    """The downloader's yt-dlp options (cookies, extractor args, timeouts …), writing nothing."""
    opts = downloader.options(scratch, lambda _: None, url=url)
    opts.update(
        LOOK_ONLY,
        format=CHECK_FORMAT,
        check_formats=False,  # no request per format: only the page and its API calls
    )
    return opts


def run_check(
    job: Claimed,
    client: CheckSink,
    downloader: Downloader,
    scratch: Path,
    *,
    stop: threading.Event | None = None,
    on_upload: Callable[[int, int], None] | None = None,
) -> CheckResult:
    """Check the claimed video, upload what the protocol asks and complete the job.

    Raises :class:`Stopped` when ``stop`` is set before or during the extraction, and the
    client's errors as they are (:class:`LeaseLost`, :class:`AuthError`; a metadata upload the
    server keeps refusing is an :class:`ApiError`). ``on_upload`` gets each upload's progress
    and may raise to abandon it.
    """
    check: Mapping[str, Any] = job.check or {}
    url = _text(check.get("url")) or job.url
    known_thumbnail = _text(check.get("thumbnail_url"))
    stop = stop or downloader.stop
    if stop.is_set():
        raise Stopped("the worker is stopping")
    with open_youtube_dl(check_options(downloader, scratch, url)) as ydl:
        try:
            info = ydl.extract_info(url, download=False)
        except Exception as exc:
            if stop.is_set():
                raise Stopped("the worker is stopping") from exc
            verdict: CheckVerdict | None = classify_check_error(_message(exc))
        else:
            verdict = _not_one_video(info)
        if verdict is None:
            files = _upload_metadata(ydl, info, job, client, scratch, on_upload)
            thumbnail = _fetch_thumbnail(ydl, info, url, known_thumbnail, scratch)
            if thumbnail is not None and _upload_thumbnail(job, client, thumbnail, on_upload):
                files.append("thumbnail")
            report = {"check": {"outcome": "available"}, "video": _trimmed(ydl, info)}
            client.complete(job.job_id, {**report, "files": files})
            return CheckResult(None, tuple(files))
        client.complete(job.job_id, {"check": verdict.report()})
        return CheckResult(verdict)


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _message(exc: Exception) -> str:
    from yt_dlp.utils import DownloadError, ExtractorError

    # yt-dlp's own errors carry the text it prints; anything else is named by its type.
    if isinstance(exc, DownloadError | ExtractorError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _not_one_video(info: Any) -> CheckVerdict | None:
    """An inconclusive verdict when yt-dlp found no single video, else None."""
    if not isinstance(info, dict):
        text = "yt-dlp found nothing at this URL"
    elif info.get("_type") in ("playlist", "multi_video"):
        text = f"yt-dlp found a {info['_type'].replace('_', ' ')} at this URL, not one video"
    else:
        return None
    return CheckVerdict("inconclusive", "unknown", clean_message(text))


def _upload_metadata(
    ydl: Any,
    info: dict[str, Any],
    job: Claimed,
    client: CheckSink,
    scratch: Path,
    on_upload: Callable[[int, int], None] | None,
) -> list[str]:
    path = scratch / f"{STEM}.info.json"
    # What yt-dlp itself writes as an info.json, so a version compares with the archived one.
    clean = ydl.sanitize_info(info, ydl.params.get("clean_infojson", True))
    path.write_text(json.dumps(clean, ensure_ascii=False), encoding="utf-8")
    client.upload(job.job_id, "metadata", path, "info.json", on_progress=on_upload)
    log.info("job %d: uploaded metadata (%d bytes)", job.job_id, path.stat().st_size)
    return ["metadata"]


def _trimmed(ydl: Any, info: dict[str, Any]) -> dict[str, Any]:
    """The info dict as an archive job reports it (``Downloader._collect``'s ``trimmed``)."""
    clean: dict[str, Any] = ydl.sanitize_info(info)
    return {k: v for k, v in clean.items() if k not in INFO_DROP and not k.startswith("_")}


def thumbnail_ext(url: str, content_type: str | None) -> str:
    """jpg, webp or png: from the URL's path, else the Content-Type, else jpg."""
    suffix = PurePosixPath(urlparse(url).path).suffix.lstrip(".").lower()
    if suffix in ("jpg", "jpeg", "webp", "png"):
        return "jpg" if suffix == "jpeg" else suffix
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    return THUMBNAIL_TYPES.get(kind, "jpg")


def _fetch_thumbnail(
    ydl: Any, info: Mapping[str, Any], url: str, known: str | None, scratch: Path
) -> Path | None:
    """The video's thumbnail in the scratch folder when its URL changed; None otherwise, and
    when it cannot be had (logged: the check goes on without it)."""
    raw = _text(info.get("thumbnail"))
    if raw is None:
        return None
    # The generic extractor leaves an og:image as the page wrote it, maybe relative.
    absolute = urljoin(_text(info.get("webpage_url")) or url, raw)
    if known in (raw, absolute):
        return None
    try:
        # yt-dlp's networking: the worker's proxy, cookies and headers apply
        with ydl.urlopen(absolute) as response:
            ext = thumbnail_ext(absolute, response.headers.get("Content-Type"))
            path = scratch / f"{STEM}.{ext}"
            with path.open("wb") as out:
                _copy_limited(response, out)
    except Exception as exc:
        log.warning("thumbnail %s not fetched: %s", absolute, exc)
        return None
    if not path.stat().st_size:
        log.warning("thumbnail %s is empty", absolute)
        return None
    return path


def _copy_limited(response: Any, out: Any) -> None:
    copied = 0
    while chunk := response.read(CHUNK):
        copied += len(chunk)
        if copied > MAX_THUMBNAIL:
            raise ValueError(f"larger than {MAX_THUMBNAIL} bytes")
        out.write(chunk)


def _upload_thumbnail(
    job: Claimed,
    client: CheckSink,
    path: Path,
    on_upload: Callable[[int, int], None] | None,
) -> bool:
    ext = path.suffix.lstrip(".")
    try:
        client.upload(job.job_id, "thumbnail", path, ext, on_progress=on_upload)
    except (LeaseLost, AuthError):
        raise
    except ApiError as exc:
        log.warning("job %d: thumbnail not uploaded (%s); going on", job.job_id, exc)
        return False
    log.info("job %d: uploaded thumbnail (%d bytes)", job.job_id, path.stat().st_size)
    return True
