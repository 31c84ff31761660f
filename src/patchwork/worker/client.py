"""The worker's side of the worker protocol: plain HTTP with the worker token.

Every call is retried on connection errors, 5xx and 429 with exponential backoff (the sleep is
injectable). Uploads stream the file from disk with its SHA-256, computed first by reading the
file once, so no file is ever held in memory.
"""

from __future__ import annotations

import enum
import hashlib
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote

import requests

from patchwork import __version__

log = logging.getLogger(__name__)
CHUNK = 1024 * 1024
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
CLIENT_HEADER = "X-Patchwork-Worker"


class ApiError(Exception):
    """The server refused a call (4xx other than 429) or kept failing."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class AuthError(ApiError):
    """401/403: the token is wrong or revoked."""


class LeaseLost(ApiError):
    """404/409 on a job call: the job is no longer ours (cancelled, lapsed, done elsewhere)."""


class Mode(enum.IntEnum):
    """The job modes the worker API hands out, as its answers number them (the server's
    ``JobMode``; the worker speaks only HTTP, so it keeps its own copy of the numbers)."""

    ARCHIVE = 0  # download it, unless the archive has the video already
    REARCHIVE = 1  # download it even so
    DELETE = 2  # the archive deletes the video; ``url`` is its id
    SCAN = 3  # list a source's entries (``scan`` says where to resume) and report them
    CHECK = 4  # look again at an archived video (``check`` says which), no media: still there?


#: The modes this worker runs, as plain numbers: a claim's ``mode`` may be another one.
KNOWN_MODES = frozenset(int(mode) for mode in Mode)


@dataclass(frozen=True)
class Claimed:
    job_id: int
    url: str
    mode: int  # a Mode, unless a newer server hands out a kind this worker does not know
    target: str
    attempt: int
    # A scan job's listing instructions (resume_from, page_size, limit …); None otherwise.
    scan: dict[str, Any] | None = field(default=None, hash=False)
    # A source's archive options for an archive job (max_height, auto_captions).
    options: dict[str, Any] | None = field(default=None, hash=False)
    # A check job's video: video_id, url, and the thumbnail_url of its newest metadata version.
    check: dict[str, Any] | None = field(default=None, hash=False)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class _CountingReader:
    """A file for requests to stream: a known length (so Content-Length is sent) and a
    callback with the bytes read so far."""

    def __init__(self, handle: BinaryIO, size: int, on_read: Callable[[int], None]) -> None:
        self._handle = handle
        self._size = size
        self._done = 0
        self._on_read = on_read

    def __len__(self) -> int:
        return self._size

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self._done += len(data)
        self._on_read(self._done)
        return data


class ApiClient:
    def __init__(
        self,
        server: str,
        token: str,
        name: str,
        *,
        retries: int = 5,
        timeout: float = 60.0,
        sleep: Callable[[float], object] | None = None,
        session: requests.Session | None = None,
    ) -> None:
        import time

        self.server = server.rstrip("/")
        self.name = name
        self.retries = retries
        self.timeout = timeout
        self._sleep = sleep or time.sleep
        self._session = session or requests.Session()
        self._session.headers.update(
            {
                "X-AUTHENTICATION": token,
                "X-Worker-Name": name,
                # The server hands jobs only to clients naming themselves so (decision 0111).
                CLIENT_HEADER: __version__,
                "Accept": "application/json",
            }
        )

    def close(self) -> None:
        self._session.close()

    # -- transport -------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        job_call: bool = False,
        retries: int | None = None,
        body: Callable[[], Mapping[str, Any]] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        url = f"{self.server}{path}"
        attempt = 0
        while True:
            extra = dict(body()) if body is not None else {}
            try:
                response = self._session.request(
                    method, url, timeout=self.timeout, **kwargs, **extra
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                reason = str(exc).rsplit(": ", 1)[-1].strip("')\"")[:120]
                problem = f"{type(exc).__name__}: {reason}"
            else:
                if response.status_code not in RETRY_STATUSES:
                    return self._checked(response, job_call)
                problem = f"HTTP {response.status_code}"
                retry_after = response.headers.get("Retry-After", "")
            attempt += 1
            if attempt > (self.retries if retries is None else retries):
                raise ApiError(f"{method} {path}: {problem} (gave up after {attempt} tries)")
            delay = min(60.0, 2.0 ** (attempt - 1)) * (0.75 + random.random() / 2)
            if problem.startswith("HTTP") and retry_after.isdigit():
                delay = max(delay, min(300.0, float(retry_after)))
            log.warning("%s %s: %s; retrying in %.1f s", method, path, problem, delay)
            self._sleep(delay)

    @staticmethod
    def _checked(response: requests.Response, job_call: bool) -> requests.Response:
        if response.status_code < 400:
            return response
        try:
            detail = response.json().get("error") or response.text
        except ValueError:
            detail = response.text
        detail = str(detail)[:500]
        if response.status_code in (401, 403):
            raise AuthError(f"the server refused the token: {detail}", response.status_code)
        if job_call and response.status_code in (404, 409):
            raise LeaseLost(detail, response.status_code)
        raise ApiError(f"HTTP {response.status_code}: {detail}", response.status_code)

    # -- calls -----------------------------------------------------------------------------

    def heartbeat(self, status: str) -> None:
        try:
            self._request(
                "POST",
                "/api/worker/heartbeat",
                retries=1,
                data={"status": status, "name": self.name},
            )
        except AuthError:
            raise
        except ApiError as exc:  # a heartbeat is never worth stopping for
            log.warning("heartbeat failed: %s", exc)

    def claim(self) -> Claimed | None:
        response = self._request("GET", "/api/worker/next")
        if response.status_code == 204:
            return None
        body = response.json()
        return Claimed(
            job_id=int(body["job_id"]),
            url=str(body["next_video"]),
            mode=int(body.get("mode") or 0),
            target=str(body.get("target") or ""),
            attempt=int(body.get("attempt") or 1),
            scan=_object_or_none(body.get("scan")),
            options=_object_or_none(body.get("options")),
            check=_object_or_none(body.get("check")),
        )

    def progress(self, job_id: int, percent: float | None, message: str | None = None) -> None:
        data: dict[str, Any] = {}
        if percent is not None:
            data["percent"] = round(max(0.0, min(100.0, percent)), 1)
        if message is not None:
            data["message"] = message
        self._request("POST", f"/api/worker/jobs/{job_id}/progress", job_call=True, json=data)

    def upload(
        self,
        job_id: int,
        kind: str,
        path: Path,
        ext: str,
        *,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> dict[str, Any]:
        digest = sha256_of(path)
        size = path.stat().st_size
        handles: list[BinaryIO] = []

        def body() -> Mapping[str, Any]:
            for old in handles:
                old.close()
            handle = path.open("rb")
            handles.append(handle)
            report = on_progress or (lambda done, total: None)
            return {"data": _CountingReader(handle, size, lambda done: report(done, size))}

        try:
            response = self._request(
                "PUT",
                f"/api/worker/jobs/{job_id}/files/{quote(kind)}?ext={quote(ext)}",
                job_call=True,
                body=body,
                headers={
                    "X-Content-SHA256": digest,
                    "Content-Type": "application/octet-stream",
                    "Content-Length": str(size),
                },
            )
        finally:
            for handle in handles:
                handle.close()
        result: dict[str, Any] = response.json()
        return result

    def complete(self, job_id: int, report: Mapping[str, Any]) -> dict[str, Any]:
        response = self._request(
            "POST", f"/api/worker/jobs/{job_id}/complete", job_call=True, json=dict(report)
        )
        result: dict[str, Any] = response.json()
        return result

    def fail(self, job_id: int, error: str, *, retryable: bool, retry_after: float = 0) -> None:
        data: dict[str, Any] = {"error": error[:4000], "retryable": retryable}
        if retry_after > 0:
            data["retry_after"] = int(retry_after)
        self._request("POST", f"/api/worker/jobs/{job_id}/fail", job_call=True, json=data)

    def report_entries(
        self,
        job_id: int,
        position: int,
        entries: list[dict[str, Any]],
        title: str | None = None,
    ) -> dict[str, Any]:
        """One page of a scan's listing, starting at ``position``; the server's answer
        (``queued``, ``position``, ``stop`` …). Sent again after a lost answer, it is skipped."""
        data: dict[str, Any] = {"position": position, "entries": entries}
        if title is not None:
            data["title"] = title
        response = self._request(
            "POST", f"/api/worker/jobs/{job_id}/entries", job_call=True, json=data
        )
        result: dict[str, Any] = response.json()
        return result

    def has_video(self, video_id: str) -> bool:
        """Whether the archive already has ``video_id`` (``/api/video/<id>`` without error)."""
        try:
            response = self._request("GET", f"/api/video/{quote(video_id, safe='')}")
        except ApiError as exc:
            if exc.status == 404:
                return False
            raise
        body = _json_or_none(response)
        return isinstance(body, dict) and "error" not in body and bool(body.get("video_id"))

    def channel_known(self, channel_id: str) -> bool:
        """Whether the archive already knows the channel (then its images are not fetched)."""
        try:
            response = self._request("GET", "/api/channel_name", params={"channel_id": channel_id})
        except ApiError as exc:
            if exc.status == 404:
                return False
            raise
        body = _json_or_none(response)
        return isinstance(body, dict) and "error" not in body


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _object_or_none(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None
