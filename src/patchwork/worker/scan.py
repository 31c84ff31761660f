"""Scan jobs: list a source with yt-dlp and report its entries to the server page by page.

yt-dlp runs as a library with flat extraction and ``process=False``, so a YouTube tab's entries
come lazily, continuation by continuation, and a scan the server stops early fetches no more.
Positions count the entries *reported*, from the claim's ``resume_from`` on:

- a plain listing starts at ``resume_from`` through yt-dlp's ``playliststart``, so where the
  extractor pages by number (``PagedList``) a resumed scan fetches nothing it skipped. Entries
  that cannot be reported (no URL, a listing inside the listing) are not counted; yt-dlp's
  index is then ahead of the count, so a resume may report a few entries again (the server
  knows them by URL) but never skips one;
- a nested listing (a channel root whose entries are its tabs) is flattened, tabs in yt-dlp's
  order, at most :data:`MAX_DEPTH` levels deep, and the first ``resume_from`` flattened
  entries are skipped here.

A plain HTML page of links, which yt-dlp calls an "Unsupported URL", is listed by
:mod:`patchwork.worker.link_pages`.
"""

from __future__ import annotations

import functools
import itertools
import logging
import math
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, TypeGuard

from patchwork.worker.client import Claimed
from patchwork.worker.download import LOOK_ONLY, Downloader, DownloadFailed, Stopped, classify
from patchwork.worker.link_pages import fetch_links

log = logging.getLogger(__name__)
#: Levels of listings inside the source's listing that are flattened (channel -> tab -> ...).
MAX_DEPTH = 2
MAX_REDIRECTS = 3  # "url" results followed before a listing is reached
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000  # the server's limit
# The server's limits of an entry's fields: longer ids and statuses are dropped, not refused.
MAX_URL, MAX_ID, MAX_TITLE, MAX_STATUS, MAX_LISTING_TITLE = 2048, 255, 1000, 32, 255


class PageSink(Protocol):
    """Where pages go: :meth:`patchwork.worker.client.ApiClient.report_entries`."""

    def report_entries(
        self,
        job_id: int,
        position: int,
        entries: list[dict[str, Any]],
        title: str | None = None,
    ) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Listing:
    title: str | None
    entries: Iterator[dict[str, Any]]  # as reported, from the resume position on


def open_youtube_dl(params: dict[str, Any]) -> Any:
    """A ``yt_dlp.YoutubeDL``; the tests put a scripted one here."""
    import yt_dlp

    return yt_dlp.YoutubeDL(params)


def scan_options(downloader: Downloader) -> dict[str, Any]:
    """The downloader's yt-dlp options (cookies, extractor args …), for listing only."""
    opts = downloader.options(downloader.config.workdir, lambda _: None)
    opts.update(
        LOOK_ONLY,
        extract_flat="in_playlist",
        noplaylist=False,
        lazy_playlist=True,  # no per-entry match filters while enumerating
    )
    return opts


def run_scan(
    job: Claimed,
    sink: PageSink,
    downloader: Downloader,
    *,
    stop: threading.Event | None = None,
    on_page: Callable[[int], object] | None = None,
) -> int:
    """List the claimed scan's source and report it; the position reached.

    Raises :class:`DownloadFailed` (classified) when yt-dlp cannot list the source,
    :class:`Stopped` when ``stop`` is set between entries, and the client's errors as they
    are (a page answered 404/409 is :class:`~patchwork.worker.client.LeaseLost`).
    """
    scan: Mapping[str, Any] = job.scan or {}
    if scan.get("gone"):
        log.info("job %d: its source was removed; nothing to list", job.job_id)
        return 0
    url = str(scan.get("url") or job.url)
    position = _whole(scan.get("resume_from"), 0)
    page_size = min(max(_whole(scan.get("page_size"), DEFAULT_PAGE_SIZE), 1), MAX_PAGE_SIZE)
    limit = _whole(scan.get("limit"), 0) or None  # 0, as a source's first_scan_limit: all
    stop = stop or downloader.stop
    with open_youtube_dl(scan_options(downloader)) as ydl:
        listing = _guarded(lambda: list_source(ydl, url, position))
        title = listing.title[:MAX_LISTING_TITLE] if listing.title else None
        page: list[dict[str, Any]] = []
        sent = False
        entries = _guarded_iter(listing.entries)
        while limit is None or position + len(page) < limit:
            if stop.is_set():
                raise Stopped("the worker is stopping")
            entry = next(entries, None)
            if entry is None:
                break
            page.append(entry)
            if len(page) < page_size:
                continue
            answer = sink.report_entries(job.job_id, position, page, None if sent else title)
            sent, position, page = True, position + len(page), []
            if on_page is not None:
                on_page(position)
            if answer.get("stop"):
                return position
        if page or (not sent and title):
            sink.report_entries(job.job_id, position, page, None if sent else title)
            position += len(page)
            if on_page is not None:
                on_page(position)
    return position


def _whole(value: Any, default: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        return default
    return max(value, 0)


def _guarded(make: Callable[[], Listing]) -> Listing:
    try:
        return make()
    except (DownloadFailed, Stopped):
        raise
    except Exception as exc:
        raise _failure(exc) from exc


def _guarded_iter(entries: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """yt-dlp's errors while it fetches the next page of entries, as classified failures."""
    while True:
        try:
            entry = next(entries)
        except StopIteration:
            return
        except (DownloadFailed, Stopped):
            raise
        except Exception as exc:
            raise _failure(exc) from exc
        yield entry


def _failure(exc: Exception) -> DownloadFailed:
    from yt_dlp.networking.exceptions import RequestError
    from yt_dlp.utils import DownloadError, ExtractorError

    # RequestError: the fetch of an HTML page of links (HTTP Error 404 …)
    if isinstance(exc, DownloadError | ExtractorError | RequestError):
        return classify(str(exc))
    return DownloadFailed(f"{type(exc).__name__}: {exc}", retryable=True)


# -- the listing --------------------------------------------------------------------------------


def list_source(ydl: Any, url: str, resume_from: int) -> Listing:
    """The entries of ``url`` from position ``resume_from`` on (see the module)."""
    import yt_dlp

    try:
        info = ydl.extract_info(url, download=False, process=False)
    except yt_dlp.utils.DownloadError as exc:
        if not _unsupported(exc):
            raise
        return link_page(ydl, url, resume_from, exc)
    info = _resolved(ydl, info)
    if not isinstance(info, dict):
        raise DownloadFailed("yt-dlp found nothing at this URL", retryable=False)
    title = info.get("title") if isinstance(info.get("title"), str) else None
    if info.get("entries") is None:  # a single video: a listing of its page
        page = info.get("webpage_url") or info.get("original_url") or url
        one = [e for e in (reported({**info, "url": page}),) if e is not None]
        return Listing(title, iter(one[resume_from:]))
    if _nested(ydl, info):
        flat = (reported(e) for e in _flattened(ydl, info, 0))
        present = (e for e in flat if e is not None)
        return Listing(title, itertools.islice(present, resume_from, None))
    ydl.params["playliststart"] = resume_from + 1
    return Listing(title, _plain(ydl, info))


def _nested(ydl: Any, info: dict[str, Any]) -> bool:
    """Whether the listing's first entry is a listing itself (a channel root's first tab).

    Entries numbered page by page (a ``PagedList``) are taken as a plain listing without a
    look, so a resumed scan fetches no page before its checkpoint (extractors page so through
    videos; a channel's tabs come as a list). The first entry of a list or a lazy list costs
    nothing extra: it is read before the checkpoint's anyway, and kept.
    """
    from yt_dlp.utils import PagedList

    if isinstance(info.get("entries"), PagedList):
        return False
    _keep_entries(info)
    first = next((entry for _, entry in _playlist(ydl, info)[1]), None)
    return isinstance(first, dict) and _is_listing(first)


def _unsupported(exc: Exception) -> bool:
    import yt_dlp

    cause = (getattr(exc, "exc_info", None) or (None, None))[1]
    return isinstance(cause, yt_dlp.utils.UnsupportedError) or "Unsupported URL" in str(exc)


def _playlist(ydl: Any, info: dict[str, Any]) -> Any:
    from yt_dlp.utils import PlaylistEntries

    return PlaylistEntries(ydl, info)


def _keep_entries(info: dict[str, Any]) -> None:
    """A generator of entries as a LazyList, so that peeking at the first keeps it."""
    from yt_dlp.utils import LazyList, PagedList

    entries = info.get("entries")
    if entries is not None and not isinstance(entries, list | PagedList | LazyList):
        info["entries"] = LazyList(entries)


def _plain(ydl: Any, info: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for _, entry in _playlist(ydl, info).get_requested_items():
        if not isinstance(entry, dict):
            continue
        if _is_listing(entry):
            log.info("skipping %s: a listing inside a plain listing", entry.get("url"))
            continue
        item = reported(entry)
        if item is not None:
            yield item


def _flattened(ydl: Any, info: dict[str, Any], depth: int) -> Iterator[dict[str, Any]]:
    _keep_entries(info)
    for _, entry in _playlist(ydl, info).get_requested_items():
        if not isinstance(entry, dict):
            continue
        if not _is_listing(entry):
            yield entry
        elif depth >= MAX_DEPTH:
            log.info("skipping %s: listings nest deeper than %d", entry.get("url"), MAX_DEPTH)
        elif (inner := _opened(ydl, entry)) is not None:
            yield from _flattened(ydl, inner, depth + 1)


def _opened(ydl: Any, entry: dict[str, Any]) -> dict[str, Any] | None:
    if entry.get("entries") is not None:
        return entry
    url = entry.get("url")
    if not isinstance(url, str):
        return None
    info = ydl.extract_info(url, ie_key=entry.get("ie_key"), download=False, process=False)
    info = _resolved(ydl, info)
    return info if isinstance(info, dict) and info.get("entries") is not None else None


def _resolved(ydl: Any, info: Any) -> Any:
    """Follow ``url`` results (a page that only points elsewhere) to what they point at."""
    for _ in range(MAX_REDIRECTS):
        if not isinstance(info, dict) or info.get("_type") not in ("url", "url_transparent"):
            return info
        if not isinstance(info.get("url"), str):
            return info
        target = ydl.extract_info(
            info["url"], ie_key=info.get("ie_key"), download=False, process=False
        )
        if isinstance(target, dict) and info.get("title") and not target.get("title"):
            target["title"] = info["title"]
        info = target
    return info


@functools.cache
def _youtube_tab() -> Any:
    from yt_dlp.extractor import get_info_extractor

    return get_info_extractor("YoutubeTab")


def _is_listing(entry: Mapping[str, Any]) -> bool:
    """Whether the entry is a listing itself (a channel's tab, a playlist), not a video."""
    kind = entry.get("_type")
    if kind == "playlist":
        return True
    if kind not in ("url", "url_transparent"):
        return False
    if entry.get("ie_key") == "YoutubeTab":
        return True
    url = entry.get("url")
    # YoutubeTab refuses a single video's URL, so it takes only listings.
    return not entry.get("ie_key") and isinstance(url, str) and bool(_youtube_tab().suitable(url))


# -- one entry as the server takes it ------------------------------------------------------------


def reported(entry: Mapping[str, Any]) -> dict[str, Any] | None:
    """``{url, id, title, duration, upload_date, live_status}``; None without a usable URL."""
    from yt_dlp.utils import unsmuggle_url

    url = next(
        (
            value.strip()
            for value in (entry.get("url"), entry.get("webpage_url"), entry.get("original_url"))
            if isinstance(value, str) and value.strip()
        ),
        None,
    )
    if url is None:
        return None
    # The generic extractor smuggles an RSS item's guid onto its link: the link is the video.
    url = unsmuggle_url(url)[0]
    if len(url) > MAX_URL or "\x00" in url:
        return None
    item: dict[str, Any] = {"url": url}
    video_id = entry.get("id")
    if isinstance(video_id, int | str) and not isinstance(video_id, bool):
        text = str(video_id)
        if text and len(text) <= MAX_ID and "\x00" not in text:
            item["id"] = text
    if isinstance(entry.get("title"), str):
        item["title"] = entry["title"].replace("\x00", "")[:MAX_TITLE]
    duration = entry.get("duration")
    if _number(duration) and math.isfinite(duration) and duration >= 0:
        item["duration"] = int(duration)
    day = upload_day(entry)
    if day is not None:
        item["upload_date"] = day
    status = entry.get("live_status")
    if isinstance(status, str) and status and len(status) <= MAX_STATUS:
        item["live_status"] = status
    return item


def _number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def upload_day(entry: Mapping[str, Any]) -> str | None:
    """YYYYMMDD: yt-dlp's ``upload_date``, else the day of ``timestamp`` in UTC (RSS items)."""
    day = entry.get("upload_date")
    if isinstance(day, str) and re.fullmatch(r"\d{8}", day):
        return day
    stamp = entry.get("timestamp")
    if _number(stamp):
        try:
            return datetime.fromtimestamp(stamp, UTC).strftime("%Y%m%d")
        except (OverflowError, OSError, ValueError):
            return None
    return None


# -- an HTML page of links ----------------------------------------------------------------------


def link_page(ydl: Any, url: str, resume_from: int, unsupported: Exception) -> Listing:
    """The video links of the HTML page at ``url``; ``unsupported`` again if it has none."""
    title, links = fetch_links(ydl, url)
    if not links:
        raise classify(f"{unsupported} (and the page links to no videos)")
    entries = [{"url": link, "title": name} if name else {"url": link} for link, name in links]
    return Listing(title, iter(entries[resume_from:]))
