"""yt-dlp used as a library: one job's files in one scratch folder.

Every file yt-dlp writes is named ``media.*`` inside the job's own folder, so what belongs to
the job is simply what is in the folder: ``media.<ext>`` the video, ``media.info.json`` the
metadata, ``media.<lang>.<ext>`` the captions, ``media.<jpg|webp|png>`` the thumbnail.
Errors are sorted into three kinds (:class:`Failure`, see :func:`classify`): gone for good,
try later, and "the site thinks we are a bot" (try much later, and rest before claiming again).
"""

from __future__ import annotations

import enum
import logging
import re
import shutil
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from patchwork.worker.config import WorkerConfig, extractor_args

log = logging.getLogger(__name__)
STEM = "media"
IMAGE_EXTS = ("jpg", "jpeg", "webp", "png")
CAPTION_EXTS = ("vtt", "srv3", "srv2", "srv1", "ttml", "srt", "ass", "json3")
PARTIAL_SUFFIXES = (".part", ".ytdl", ".temp", ".tmp")
# The reference worker fetched YouTube captions as srv3 (--sub-format srv3): it keeps the
# positions, colours and karaoke timing that VTT drops, and the server turns it into VTT for
# players that need that. Other sites have no srv3, so VTT comes first there.
YOUTUBE_CAPTION_FORMAT = "srv3/vtt/best"
OTHER_CAPTION_FORMAT = "vtt/best"
#: yt-dlp options over the downloader's own for a job that only looks (a scan, a check): it
#: keeps the cookies, extractor args and timeouts, and writes no file at all.
LOOK_ONLY: Mapping[str, Any] = {
    "skip_download": True,
    "writeinfojson": False,
    "writethumbnail": False,
    "writesubtitles": False,
    "writeautomaticsub": False,
    "postprocessors": [],
    "progress_hooks": [],
}
INFO_DROP = (
    "formats",
    "thumbnails",
    "subtitles",
    "automatic_captions",
    "requested_formats",
    "requested_downloads",
    "requested_subtitles",
    "http_headers",
    "heatmap",
    "fragments",
)

BOT_CHECK = re.compile(
    r"confirm you.?re not a bot|sign in to confirm|HTTP Error 429|too many requests|"
    r"rate.?limit|captcha",
    re.IGNORECASE,
)
GONE = re.compile(
    r"private video|video unavailable|this video (?:has been|is) (?:removed|unavailable|private)|"
    r"has been removed|HTTP Error 404|HTTP Error 410|does not exist|"
    r"account associated with this video has been terminated|unsupported url|"
    r"members.only|join this channel|copyright|no longer available|is not available|"
    r"playlists are not archived|larger than the limit",
    re.IGNORECASE,
)


class Failure(enum.StrEnum):
    """Why a download failed, which decides what becomes of its job."""

    GONE = "gone"  # it will never download (removed, private, too large): failed for good
    TRY_LATER = "try later"  # the queue tries again after a backoff
    BOT_CHECK = "bot check"  # the site suspects a bot: try much later, and rest first


class DownloadFailed(Exception):
    """yt-dlp could not archive the URL; :attr:`failure` says whether trying again can help."""

    def __init__(self, message: str, *, retryable: bool, bot_check: bool = False) -> None:
        super().__init__(message)
        if bot_check:
            self.failure = Failure.BOT_CHECK
        else:
            self.failure = Failure.TRY_LATER if retryable else Failure.GONE

    @property
    def retryable(self) -> bool:
        return self.failure != Failure.GONE

    @property
    def bot_check(self) -> bool:
        return self.failure == Failure.BOT_CHECK


class Stopped(Exception):
    """The worker was asked to stop while downloading."""


@dataclass(frozen=True)
class LocalFile:
    kind: str  # video, thumbnail, metadata, captions/<lang>, channel-avatar, channel-banner
    path: Path
    ext: str


@dataclass
class Download:
    info: dict[str, Any]
    files: list[LocalFile] = field(default_factory=list)
    channel_description: str | None = None

    @property
    def video_id(self) -> str:
        return str(self.info.get("id") or "")


def classify(message: str) -> DownloadFailed:
    text = re.sub(r"\x1b\[[0-9;]*m", "", message).strip() or "yt-dlp failed"
    text = text.removeprefix("ERROR: ")
    if BOT_CHECK.search(text):
        return DownloadFailed(text, retryable=True, bot_check=True)
    return DownloadFailed(text, retryable=not GONE.search(text))


def format_selector(config: WorkerConfig, ffmpeg: bool) -> str:
    """Best video up to ``max_height``, webm first as the original did, then anything."""
    if config.format:
        return config.format
    h = f"[height<=?{config.max_height}]" if config.max_height else ""
    single = f"b{h}[ext=webm]/b{h}[ext=mp4]/b{h}/b"
    if not ffmpeg:  # nothing can merge separate streams: single-file formats only
        return single
    return f"bv*{h}[ext=webm]+ba[ext=webm]/bv*{h}[ext=mp4]+ba[ext=m4a]/bv*{h}+ba/{single}"


def caption_format(config: WorkerConfig, url: str) -> str:
    """yt-dlp's ``subtitlesformat`` for ``url``: the configured one, else by site."""
    if config.caption_format:
        return config.caption_format
    # yt-dlp's own test of which URLs its YouTube extractor takes (youtu.be, music., shorts,
    # Invidious mirrors …), not a host list of ours that could drift from it.
    from yt_dlp.extractor import get_info_extractor

    youtube = get_info_extractor("Youtube").suitable(url)
    return YOUTUBE_CAPTION_FORMAT if youtube else OTHER_CAPTION_FORMAT


def _deno_path() -> str | None:
    try:
        import deno  # the runtime from PyPI, for YouTube's JavaScript challenges
    except ImportError:
        return shutil.which("deno")
    try:
        return str(deno.find_deno_bin())
    except Exception:  # pragma: no cover - a broken install: let yt-dlp look on PATH
        return shutil.which("deno")


class _Logger:
    """yt-dlp's messages into ours: debug lines stay quiet, warnings and errors show.

    yt-dlp only *says* when it skips a file over ``max_filesize``; that is remembered.
    """

    def __init__(self) -> None:
        self.too_large: str | None = None

    def debug(self, msg: str) -> None:
        if "larger than max-filesize" in msg:
            self.too_large = msg.strip().removeprefix("[download] ")
        if not msg.startswith("[download]"):
            log.debug("yt-dlp: %s", msg)

    def info(self, msg: str) -> None:
        self.debug(msg)

    def warning(self, msg: str) -> None:
        log.warning("yt-dlp: %s", msg)

    def error(self, msg: str) -> None:
        log.debug("yt-dlp: %s", msg)  # raised as DownloadError right after; logged there


class Downloader:
    def __init__(
        self,
        config: WorkerConfig,
        *,
        ffmpeg: bool | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.config = config
        self.ffmpeg = shutil.which("ffmpeg") is not None if ffmpeg is None else ffmpeg
        self.stop = stop or threading.Event()
        if config.plugin_dirs:
            from yt_dlp.globals import plugin_dirs

            plugin_dirs.value = ["default", *config.plugin_dirs]

    def options(
        self,
        workdir: Path,
        hook: Callable[[Mapping[str, Any]], None],
        logger: _Logger | None = None,
        *,
        url: str = "",
        config: WorkerConfig | None = None,
    ) -> dict[str, Any]:
        c = config or self.config  # one job's: the worker's with its source's options over them
        opts: dict[str, Any] = {
            "paths": {"home": str(workdir), "temp": str(workdir)},
            "outtmpl": {"default": f"{STEM}.%(ext)s"},
            "format": format_selector(c, self.ffmpeg),
            "merge_output_format": "webm/mp4/mkv",
            "noplaylist": True,
            "quiet": True,
            "noprogress": True,
            "no_color": True,
            "logger": logger or _Logger(),
            "progress_hooks": [hook],
            "socket_timeout": c.socket_timeout,
            "retries": 3,
            "fragment_retries": 3,
            "extractor_retries": 2,
            "overwrites": True,
            "continuedl": False,
            "writeinfojson": True,
            "writethumbnail": True,
            "writesubtitles": True,
            "writeautomaticsub": c.auto_captions,
            "subtitleslangs": ["all", "-live_chat"],
            "subtitlesformat": caption_format(c, url),
            "max_filesize": c.max_filesize or None,
            "extractor_args": extractor_args(c),
            "remote_components": list(c.remote_components),
            "consoletitle": False,
            "call_home": False,
            "cachedir": False,
        }
        deno = _deno_path()
        if deno:
            opts["js_runtimes"] = {"deno": {"path": deno}}
        if c.cookies:
            opts["cookiefile"] = c.cookies
        if self.ffmpeg:
            opts["postprocessors"] = [
                {"key": "FFmpegThumbnailsConvertor", "format": "jpg", "when": "before_dl"}
            ]
        return opts

    def fetch(
        self,
        url: str,
        workdir: Path,
        *,
        on_progress: Callable[[float], None] | None = None,
        skip: Callable[[str], bool] | None = None,
        want_channel: Callable[[str], bool] | None = None,
        config: WorkerConfig | None = None,
    ) -> Download | None:
        """Download ``url`` into ``workdir``; None if ``skip(video_id)`` said so. ``config``
        replaces the downloader's own for this download (a job's archive options)."""
        import yt_dlp

        done_parts: list[str] = []

        def hook(d: Mapping[str, Any]) -> None:
            if self.stop.is_set():
                raise Stopped("the worker is stopping")
            if on_progress is None:
                return
            if d.get("status") == "finished":
                done_parts.append(str(d.get("filename")))
            total = d.get("total_bytes") or d.get("total_bytes_estimate")
            got = d.get("downloaded_bytes") or 0
            if d.get("status") == "downloading" and total:
                on_progress(min(100.0, 100.0 * float(got) / float(total)))

        try:
            logger = _Logger()
            opts = self.options(workdir, hook, logger, url=url, config=config)
            with yt_dlp.YoutubeDL(opts) as ydl:
                info = ydl.extract_info(url, download=False)
                if info is None:
                    raise DownloadFailed("yt-dlp found nothing at this URL", retryable=False)
                if info.get("_type") in ("playlist", "multi_video"):
                    raise DownloadFailed(
                        "playlists are not archived: queue each video", retryable=False
                    )
                video_id = str(info.get("id") or "")
                if skip is not None and video_id and skip(video_id):
                    return None
                info = ydl.process_ie_result(info, download=True)
                clean = ydl.sanitize_info(info)
                download = self._collect(workdir, clean, logger.too_large)
                if want_channel is not None:
                    self._channel_images(ydl, clean, workdir, download, want_channel)
        except (DownloadFailed, Stopped):
            raise
        except Exception as exc:
            if self.stop.is_set():
                raise Stopped("the worker is stopping") from exc
            if isinstance(exc, yt_dlp.utils.DownloadError | yt_dlp.utils.ExtractorError):
                raise classify(str(exc)) from exc
            raise DownloadFailed(f"{type(exc).__name__}: {exc}", retryable=True) from exc
        return download

    def _collect(self, workdir: Path, info: dict[str, Any], too_large: str | None) -> Download:
        video: Path | None = None
        for item in info.get("requested_downloads") or ():
            path = Path(str(item.get("filepath") or item.get("filename") or ""))
            if path.name and path.is_file():
                video = path
        limit = self.config.max_filesize
        if video is None and too_large:
            raise DownloadFailed(f"{too_large} (the limit is max_filesize)", retryable=False)
        if video is None:
            size = info.get("filesize") or info.get("filesize_approx")
            if limit and isinstance(size, int | float) and size > limit:
                raise DownloadFailed(
                    f"the video ({int(size)} bytes) is larger than the limit of {limit} bytes",
                    retryable=False,
                )
            raise DownloadFailed("yt-dlp wrote no video file", retryable=True)
        if limit and video.stat().st_size > limit:
            raise DownloadFailed(
                f"the video ({video.stat().st_size} bytes) is larger than the limit "
                f"of {limit} bytes",
                retryable=False,
            )
        files = [LocalFile("video", video, video.suffix.lstrip(".").lower())]
        for path in sorted(workdir.iterdir()):
            name = path.name
            if path == video or not path.is_file() or name.endswith(PARTIAL_SUFFIXES):
                continue
            if name == f"{STEM}.info.json":
                files.append(LocalFile("metadata", path, "info.json"))
                continue
            parts = name.split(".")
            if parts[0] != STEM:
                continue
            ext = parts[-1].lower()
            if len(parts) == 2 and ext in IMAGE_EXTS:
                files.append(LocalFile("thumbnail", path, "jpg" if ext == "jpeg" else ext))
            elif len(parts) == 3 and ext in CAPTION_EXTS and re.fullmatch(r"[\w-]{1,35}", parts[1]):
                files.append(LocalFile(f"captions/{parts[1]}", path, ext))
        trimmed = {k: v for k, v in info.items() if k not in INFO_DROP and not k.startswith("_")}
        return Download(trimmed, files)

    def _channel_images(
        self,
        ydl: Any,
        info: Mapping[str, Any],
        workdir: Path,
        download: Download,
        want_channel: Callable[[str], bool],
    ) -> None:
        """Channel avatar and banner, when the extractor exposes them; never fails the job."""
        channel_url = info.get("channel_url") or info.get("uploader_url")
        channel_id = info.get("channel_id")
        if not self.config.channel_images or not channel_url or not channel_id:
            return
        try:
            if not want_channel(str(channel_id)):
                return
            channel = ydl.extract_info(str(channel_url), download=False, process=False)
            if not isinstance(channel, Mapping):
                return
            if isinstance(channel.get("description"), str):
                download.channel_description = channel["description"]
            for kind, url in pick_channel_images(channel.get("thumbnails") or []).items():
                target = workdir / f"{kind}.jpg"
                with ydl.urlopen(url) as response, target.open("wb") as out:
                    shutil.copyfileobj(response, out)
                if target.stat().st_size:
                    download.files.append(LocalFile(kind, target, "jpg"))
        except Exception as exc:
            log.warning("channel images of %s: %s", channel_id, exc)


def pick_channel_images(thumbnails: list[Mapping[str, Any]]) -> dict[str, str]:
    """``{"channel-avatar": url, "channel-banner": url}`` from a channel's thumbnails."""
    found: dict[str, str] = {}
    for kind, word in (("channel-avatar", "avatar"), ("channel-banner", "banner")):
        candidates = [t for t in thumbnails if word in str(t.get("id") or "") and t.get("url")]
        exact = [t for t in candidates if t.get("id") == f"{word}_uncropped"]
        best = exact or sorted(candidates, key=lambda t: t.get("preference") or 0, reverse=True)
        if best:
            found[kind] = str(best[0]["url"])
    return found
