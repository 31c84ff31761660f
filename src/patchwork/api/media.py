"""Media endpoints: archived files over HTTP with ranges, validators and CDN redirects.

See docs/objects.md.  Local files leave through the WSGI file wrapper (gunicorn turns it
into sendfile); S3 objects stream chunk by chunk.  Nothing is read into memory whole, but
for a caption converted on the fly (a few KB, refused past 8 MiB).
"""

from __future__ import annotations

import io
import os
import stat as stat_mod
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, jsonify, request, url_for
from werkzeug.wsgi import wrap_file

from patchwork.archive.catalog.availability import MAX_VERSION, version_object
from patchwork.archive.media import captions_srv3, file_kinds, objects
from patchwork.archive.media.objects import MediaObject
from patchwork.http.errors import (
    ApiError,
    error_response,
    storage_failure_serving_files,
)
from patchwork.http.ranges import ByteRange, Validators, precondition_status, requested_range
from patchwork.state import app_state
from patchwork.storage import ObjectInfo, ObjectNotFound, Storage, StorageError, guess_content_type

bp = Blueprint("media", __name__, url_prefix="/media")
# A missing or unusable object is "File not found"; storage down is 503 with Retry-After.
bp.register_error_handler(StorageError, storage_failure_serving_files)

#: Archived files never change under their URL.
IMMUTABLE = "public, max-age=31536000, immutable"
#: The caption list grows when captions are added.
CAPTION_LIST_CACHE = "public, max-age=300"
#: A converted caption follows its stored track (immutable), but the converter may change
#: with a release: a day, like the watch page's WebVTT (docs/decisions/0702).
CONVERTED_CACHE = "public, max-age=86400"
#: A presigned URL lives an hour; its redirect must not outlive it.
PRESIGN_SECONDS = 3600
PRESIGN_REDIRECT_CACHE = "private, max-age=600"
PUBLIC_REDIRECT_CACHE = "public, max-age=86400"
#: Read size where no sendfile is possible (S3 bodies, servers without a file wrapper).
STREAM_CHUNK = 256 * 1024

METHODS = ["GET", "HEAD"]
#: Media answers come from the origin whose /queue page keeps a token: nothing served here
#: may run as a document. A media element ignores its resource's own CSP, so playback,
#: <track> captions and <img> thumbnails are unaffected (docs/decisions/0106).
MEDIA_CSP = "default-src 'none'; sandbox"
PREFIX = "/media/"


def _any(names: Iterable[str]) -> str:
    """A Werkzeug ``any`` converter over ``names`` (file-kind allow-lists)."""
    return f"any({', '.join(sorted(names))})"


@bp.after_app_request
def _defensive_headers(response: Response) -> Response:
    # App-wide hook so errors, redirects and unrouted /media/ paths get them too.
    if request.path.startswith(PREFIX) or request.path == PREFIX.rstrip("/"):
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Security-Policy"] = MEDIA_CSP
    return response


@bp.route("/video/<video_id>", methods=METHODS)
def video(video_id: str) -> Response:
    return _serve(objects.media_object(app_state().db, "video", video_id))


@bp.route(f"/video/<video_id>.<{_any(file_kinds.VIDEO_EXTENSIONS)}:ext>", methods=METHODS)
def video_named(video_id: str, ext: str) -> Response:
    return _serve(objects.named_file_object(app_state().db, "video", video_id, ext))


@bp.route("/thumbnail/<video_id>", methods=METHODS)
def thumbnail(video_id: str) -> Response:
    return _serve(objects.media_object(app_state().db, "thumbnail", video_id))


@bp.route(f"/thumbnail/<video_id>.<{_any(file_kinds.THUMBNAIL_EXTENSIONS)}:ext>", methods=METHODS)
def thumbnail_named(video_id: str, ext: str) -> Response:
    return _serve(objects.named_file_object(app_state().db, "thumbnail", video_id, ext))


@bp.route("/metadata/<video_id>", methods=METHODS)
def metadata(video_id: str) -> Response:
    return _serve(objects.media_object(app_state().db, "metadata", video_id))


#: A metadata version's number in a path; past the bounds the route does not match (404).
VERSION = f"<int(min=1, max={MAX_VERSION}):version>"


@bp.route(f"/history/<video_id>/{VERSION}/metadata", methods=METHODS)
def history_metadata(video_id: str, version: int) -> Response:
    """The info.json of one metadata version (/api/video/<id>/history lists them)."""
    return _serve(version_object(app_state().db, video_id, version, "metadata"))


@bp.route(f"/history/<video_id>/{VERSION}/thumbnail", methods=METHODS)
def history_thumbnail(video_id: str, version: int) -> Response:
    """The thumbnail one metadata version was archived with."""
    return _serve(version_object(app_state().db, video_id, version, "thumbnail"))


@bp.route("/channel/<channel_id>/<any(avatar, banner):image>", methods=METHODS)
def channel_image(channel_id: str, image: str) -> Response:
    return _serve(objects.media_object(app_state().db, image, channel_id))


@bp.route("/channel/<channel_id>_<any(pfp, banner):image>.jpg", methods=METHODS)
def channel_image_named(channel_id: str, image: str) -> Response:
    kind = "avatar" if image == "pfp" else "banner"
    return _serve(objects.media_object(app_state().db, kind, channel_id))


@bp.route("/captions/<video_id>", methods=METHODS)
def captions(video_id: str) -> Response:
    tracks = objects.list_captions(app_state().db, video_id)
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
    return _serve(objects.caption_object(app_state().db, video_id, lang, fmt))


@bp.route(
    f"/captions/<video_id>/<file_id>.<lang>.<{_any(captions_srv3.TARGETS)}:fmt>",
    methods=METHODS,
)
def caption_named(video_id: str, file_id: str, lang: str, fmt: str) -> Response:
    """``<id>/<id>.<lang>.srv3|vtt``, as the original bucket named captions.

    Werkzeug splits the name at some dot; it is re-split against the id in the path, so an
    id with dots parses. A name not starting with ``<id>.`` is the ``<lang>`` of the route
    above (whose rule this one shadows for names with two dots), answered as there.
    """
    db = app_state().db
    name = f"{file_id}.{lang}"
    language = objects.caption_language(video_id, name)
    if language is None:
        return _serve(objects.caption_object(db, video_id, f"{name}.{fmt}", None))
    source = objects.caption_source(db, video_id, language, fmt)
    if source is None:
        raise ObjectNotFound(request.path)  # answered "File not found"
    if not source.needs_conversion(fmt):
        return _serve(source.track)
    return _converted(source.track, source.format, fmt)


# -- serving ----------------------------------------------------------------------------


def _serve(found: MediaObject | None) -> Response:
    if found is None:
        raise ObjectNotFound(request.path)  # answered "File not found"
    return _deliver(found)


def _deliver(found: MediaObject) -> Response:
    state = app_state()
    mode = state.settings.media_redirect
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
    unmodified = _precondition_answer(validators, headers)
    if unmodified is not None:
        if opened is not None:
            opened.close()
        return unmodified
    size = info.size
    # RangeNotSatisfiable: 416 with Content-Range (http.errors); _proxy closes the file.
    wanted = requested_range(
        request.headers.get("Range"), request.headers.get("If-Range"), size, validators
    )
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


def _precondition_answer(validators: Validators, headers: dict[str, str]) -> Response | None:
    """304 or 412 when the request's conditions say so, else ``None``."""
    status = precondition_status(
        request.method,
        validators,
        if_match=request.headers.get("If-Match"),
        if_none_match=request.headers.get("If-None-Match"),
        if_modified_since=request.headers.get("If-Modified-Since"),
        if_unmodified_since=request.headers.get("If-Unmodified-Since"),
    )
    if status == 412:
        return error_response(412, "Precondition failed")
    if status is not None:
        return Response(status=304, headers=headers)
    return None


# -- captions converted on the fly (docs/objects.md) -------------------------------------------


def _converted(track: MediaObject, source_fmt: str, target: str) -> Response:
    """The stored ``track`` converted to ``target``; always from here, never redirected.

    Validators derive from the stored object's (plus the target and converter revision), so
    a revalidation costs one stat and no conversion. Ranges are ignored (200): a caption
    is a few KB and players fetch it whole.
    """
    storage = app_state().storage
    info = storage.stat(track.storage_key)
    if info is None:
        raise ObjectNotFound(track.storage_key)
    validators = Validators(f"{info.etag}.{target}-{captions_srv3.REVISION}", info.modified)
    headers = {
        "Accept-Ranges": "none",
        "ETag": validators.etag_header,
        "Last-Modified": validators.last_modified_header,
        "Cache-Control": CONVERTED_CACHE,
    }
    unmodified = _precondition_answer(validators, headers)
    if unmodified is not None:
        return unmodified
    limit = captions_srv3.MAX_CONVERT_BYTES
    if info.size > limit:
        raise ApiError(404, f"Caption too large to convert (over {limit // (1024 * 1024)} MiB)")
    raw = _read_whole(storage, track.storage_key, info.size)
    text = captions_srv3.convert(raw.decode("utf-8-sig", errors="replace"), source_fmt, target)
    if text is None:
        raise ObjectNotFound(request.path)  # answered "File not found"
    body = text.encode("utf-8")
    headers["Content-Type"] = guess_content_type(f"captions.{target}")
    headers["Content-Length"] = str(len(body))
    return Response(body, status=200, headers=headers)  # Werkzeug drops the body for HEAD


def _read_whole(storage: Storage, key: str, size: int) -> bytes:
    """The object's first ``size`` bytes (its size when stat'ed): a caller's bound holds even
    if the object grew since."""
    if size == 0:
        return b""
    try:
        return b"".join(storage.read_range(key, 0, size - 1, chunk_size=STREAM_CHUNK))
    except ValueError:  # emptied since the stat
        raise StorageError(f"{key!r} changed while being read") from None
