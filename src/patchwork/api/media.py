"""Media endpoints: archived files over HTTP with ranges, validators and CDN redirects.

See docs/media.md.  Local files leave through the WSGI file wrapper (gunicorn turns it
into sendfile); S3 objects stream chunk by chunk.  Nothing is read into memory whole.
"""

from __future__ import annotations

import io
import logging
import os
import stat as stat_mod
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, jsonify, request, url_for
from werkzeug.wsgi import wrap_file

from patchwork.api.errors import ApiError, error_response
from patchwork.api.http_ranges import (
    ByteRange,
    RangeNotSatisfiable,
    Validators,
    precondition_status,
    requested_range,
)
from patchwork.archive import media
from patchwork.archive.media import MediaObject
from patchwork.state import app_state
from patchwork.storage import InvalidKey, ObjectInfo, ObjectNotFound, Storage, StorageError

log = logging.getLogger(__name__)

bp = Blueprint("media", __name__, url_prefix="/media")

#: Archived files never change under their URL.
IMMUTABLE = "public, max-age=31536000, immutable"
#: The caption list grows when captions are added.
CAPTION_LIST_CACHE = "public, max-age=300"
#: A presigned URL lives an hour; its redirect must not outlive it.
PRESIGN_SECONDS = 3600
PRESIGN_REDIRECT_CACHE = "private, max-age=600"
PUBLIC_REDIRECT_CACHE = "public, max-age=86400"
#: Read size where no sendfile is possible (S3 bodies, servers without a file wrapper).
STREAM_CHUNK = 256 * 1024

NOT_FOUND = "File not found"
METHODS = ["GET", "HEAD"]
#: Media answers come from the origin whose /queue page keeps a token: nothing served here
#: may run as a document. A media element ignores its resource's own CSP, so playback,
#: <track> captions and <img> thumbnails are unaffected (docs/decisions/0106).
MEDIA_CSP = "default-src 'none'; sandbox"
PREFIX = "/media/"


@bp.after_app_request
def _defensive_headers(response: Response) -> Response:
    # App-wide hook so errors, redirects and unrouted /media/ paths get them too.
    if request.path.startswith(PREFIX) or request.path == PREFIX.rstrip("/"):
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Security-Policy"] = MEDIA_CSP
    return response


@bp.route("/video/<video_id>", methods=METHODS)
def video(video_id: str) -> Response:
    return _serve(media.media_object(app_state().db, "video", video_id))


@bp.route("/thumbnail/<video_id>", methods=METHODS)
def thumbnail(video_id: str) -> Response:
    return _serve(media.media_object(app_state().db, "thumbnail", video_id))


@bp.route("/metadata/<video_id>", methods=METHODS)
def metadata(video_id: str) -> Response:
    return _serve(media.media_object(app_state().db, "metadata", video_id))


@bp.route("/channel/<channel_id>/<any(avatar, banner):image>", methods=METHODS)
def channel_image(channel_id: str, image: str) -> Response:
    return _serve(media.media_object(app_state().db, image, channel_id))


@bp.route("/captions/<video_id>", methods=METHODS)
def captions(video_id: str) -> Response:
    tracks = media.list_captions(app_state().db, video_id)
    if tracks is None:
        raise ApiError(404, "Video ID does not exist")
    body: list[dict[str, Any]] = [
        {
            "language": t.language,
            "format": t.format,
            "url": url_for("media.caption", video_id=video_id, lang=t.language, format=t.format),
        }
        for t in tracks
    ]
    response = jsonify(body)
    response.headers["Cache-Control"] = CAPTION_LIST_CACHE
    return response


@bp.route("/captions/<video_id>/<lang>", methods=METHODS)
def caption(video_id: str, lang: str) -> Response:
    fmt = request.args.get("format") or None
    return _serve(media.caption_object(app_state().db, video_id, lang, fmt))


# -- serving ----------------------------------------------------------------------------


def _serve(found: MediaObject | None) -> Response:
    if found is None:
        raise ApiError(404, NOT_FOUND)
    state = app_state()
    mode = state.settings.media_redirect
    try:
        storage = state.storage
        if found.attachment:
            # Proxied so the download headers apply; a CDN would send the stored type.
            return _proxy(storage, found)
        if mode.startswith("public:"):
            return _redirect(_public_url(mode[len("public:") :], found.storage_key), public=True)
        if mode == "presign":
            url = storage.direct_url(found.storage_key, expires_seconds=PRESIGN_SECONDS)
            if url is not None:  # a local archive has no direct URL: proxy it
                return _redirect(url, public=False)
        return _proxy(storage, found)
    except (InvalidKey, ObjectNotFound):
        raise ApiError(404, NOT_FOUND) from None
    except StorageError as exc:
        log.error("storage failed serving %r: %s", found.storage_key, exc)
        response = error_response(503, "Storage unavailable")
        response.headers["Retry-After"] = "30"
        return response


def _public_url(base: str, key: str) -> str:
    return f"{base.rstrip('/')}/{quote(key, safe='/')}"


def _redirect(url: str, *, public: bool) -> Response:
    response = Response(status=302)
    response.headers["Location"] = url
    response.headers["Cache-Control"] = PUBLIC_REDIRECT_CACHE if public else PRESIGN_REDIRECT_CACHE
    return response


def _proxy(storage: Storage, found: MediaObject) -> Response:
    key = found.storage_key
    path = storage.local_path(key)
    opened: io.FileIO | None = None
    if path is not None:
        opened, info = _open_local(storage, key, path)
    else:
        stat = storage.stat(key)
        if stat is None:
            raise ObjectNotFound(key)
        info = stat
    try:
        return _respond(storage, found, info, opened)
    except BaseException:
        if opened is not None:
            opened.close()
        raise


def _open_local(storage: Storage, key: str, path: os.PathLike[str]) -> tuple[io.FileIO, ObjectInfo]:
    """Open the file and a matching stat; a file replaced in between is re-read."""
    for _ in range(3):
        info = storage.stat(key)
        if info is None:
            raise ObjectNotFound(key)
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError as exc:
            raise ObjectNotFound(key) from exc
        except OSError as exc:
            raise StorageError(f"cannot open {key!r}: {exc}") from exc
        f = io.FileIO(fd, "rb", closefd=True)
        st = os.fstat(fd)
        if stat_mod.S_ISREG(st.st_mode) and st.st_size == info.size:
            return f, info
        f.close()
    raise StorageError(f"{key!r} keeps changing while being opened")


def _respond(
    storage: Storage, found: MediaObject, info: ObjectInfo, opened: io.FileIO | None
) -> Response:
    validators = Validators(info.etag, info.modified)
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": validators.etag_header,
        "Last-Modified": validators.last_modified_header,
        "Cache-Control": IMMUTABLE,
    }
    status = precondition_status(
        request.method,
        validators,
        if_match=request.headers.get("If-Match"),
        if_none_match=request.headers.get("If-None-Match"),
        if_modified_since=request.headers.get("If-Modified-Since"),
        if_unmodified_since=request.headers.get("If-Unmodified-Since"),
    )
    if status is not None:
        if opened is not None:
            opened.close()
        if status == 412:
            return error_response(412, "Precondition failed")
        return Response(status=304, headers=headers)
    size = info.size
    try:
        wanted = requested_range(
            request.headers.get("Range"), request.headers.get("If-Range"), size, validators
        )
    except RangeNotSatisfiable as exc:
        if opened is not None:
            opened.close()
        response = error_response(416, "Range not satisfiable")
        response.headers["Content-Range"] = exc.content_range
        response.headers["Accept-Ranges"] = "bytes"
        return response
    chosen = wanted or ByteRange(0, size - 1)
    length = max(chosen.length, 0)
    headers["Content-Type"] = found.content_type
    if found.attachment:
        headers["Content-Disposition"] = "attachment"
    headers["Content-Length"] = str(length)
    if wanted is not None:
        headers["Content-Range"] = wanted.content_range(size)
    status_code = 206 if wanted is not None else 200

    if request.method == "HEAD" or length == 0:
        if opened is not None:
            opened.close()
        return Response(status=status_code, headers=headers)
    if opened is not None:
        body = _local_body(opened, chosen.start, length, size)
    else:
        body = storage.read_range(
            found.storage_key, chosen.start, chosen.end, chunk_size=STREAM_CHUNK
        )
    return Response(body, status=status_code, headers=headers, direct_passthrough=True)


def _local_body(f: io.FileIO, start: int, length: int, size: int) -> Any:
    """The WSGI file wrapper when the server stops at Content-Length, else a bounded reader.

    Gunicorn (and PEP 3333 servers generally) send at most Content-Length bytes, and
    gunicorn turns its file wrapper into sendfile.  Werkzeug's own wrapper reads to EOF,
    so where a range ends early on such a server the body is bounded here instead.
    """
    f.seek(start)
    if start + length == size or "gunicorn.socket" in request.environ:
        return wrap_file(request.environ, f, buffer_size=STREAM_CHUNK)
    return _bounded(f, length)


def _bounded(f: io.FileIO, length: int) -> Iterator[bytes]:
    with f:
        remaining = length
        while remaining > 0:
            chunk = f.read(min(STREAM_CHUNK, remaining))
            if not chunk:
                raise StorageError("file shrank while being read")
            remaining -= len(chunk)
            yield chunk
