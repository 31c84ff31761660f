"""The /media endpoints against both storage backends: types, captions, channel images, 404s,
methods, CORS and redirects."""

from __future__ import annotations

import os
import urllib.request
from typing import Any, ClassVar
from urllib.parse import quote

import pytest
from werkzeug.wsgi import FileWrapper

from patchwork.app import create_app
from patchwork.config import Settings
from patchwork.db.models import Channel, StoredFile
from patchwork.state import app_state
from support.media_fixtures import IMMUTABLE, Media, MediaFactory


@pytest.mark.parametrize(
    ("file_kind", "ext", "path", "content_type"),
    [
        ("video", "webm", "video", "video/webm"),
        ("video", "mp4", "video", "video/mp4"),
        ("video", "mkv", "video", "video/x-matroska"),
        ("thumbnail", "jpg", "thumbnail", "image/jpeg"),
        ("thumbnail", "webp", "thumbnail", "image/webp"),
        ("thumbnail", "png", "thumbnail", "image/png"),
        ("metadata", "info.json", "metadata", "application/json"),
    ],
)
def test_content_types(
    media: Media, file_kind: str, ext: str, path: str, content_type: str
) -> None:
    data = os.urandom(64)
    # A recorded content type never overrides what the extension says.
    media.add_video("vid_ctype_1", data, ext=ext, file_kind=file_kind, content_type="text/html")
    r = media.client.get(f"/media/{path}/vid_ctype_1")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == content_type
    assert r.headers["Cache-Control"] == IMMUTABLE
    assert r.data == data


def test_unknown_extension_uses_the_recorded_type(media: Media) -> None:
    media.add_video("vid_ctype_2", b"abc", ext="weird", content_type="video/x-weird")
    r = media.client.get("/media/video/vid_ctype_2")
    assert r.headers["Content-Type"] == "video/x-weird"


def test_captions(media: Media) -> None:
    media.add_video("vid_capt_01")
    media.add_caption("vid_capt_01", "en", "vtt", b"WEBVTT\n\n00:00.000 --> 00:01.000\nhi\n")
    media.add_caption("vid_capt_01", "en", "srv3", b"<timedtext/>")
    media.add_caption("vid_capt_01", "ja", "srv3", b"<timedtext>ja</timedtext>")

    r = media.client.get("/media/captions/vid_capt_01")
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "public, max-age=300"
    tracks = r.get_json()
    assert tracks == [
        {"language": "en", "format": "srv3", "url": "/media/captions/vid_capt_01/en?format=srv3"},
        {"language": "en", "format": "vtt", "url": "/media/captions/vid_capt_01/en?format=vtt"},
        {"language": "ja", "format": "srv3", "url": "/media/captions/vid_capt_01/ja?format=srv3"},
    ]
    for track in tracks:
        assert media.client.get(track["url"]).status_code == 200

    r = media.client.get("/media/captions/vid_capt_01/en")  # vtt preferred
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/vtt; charset=utf-8"
    assert r.headers["Cache-Control"] == IMMUTABLE
    assert r.data.startswith(b"WEBVTT")
    r = media.client.get("/media/captions/vid_capt_01/en?format=srv3")
    assert r.data == b"<timedtext/>"
    assert r.headers["Content-Type"] == "application/xml"
    r = media.client.get("/media/captions/vid_capt_01/ja")  # only srv3 exists
    assert r.data == b"<timedtext>ja</timedtext>"
    r = media.client.get("/media/captions/vid_capt_01/en", headers={"Range": "bytes=0-5"})
    assert r.status_code == 206 and r.data == b"WEBVTT"

    for missing in ("/media/captions/vid_capt_01/de", "/media/captions/vid_capt_01/en?format=srt"):
        r = media.client.get(missing)
        assert r.status_code == 404 and r.is_json
    assert media.client.get("/media/captions/vid_capt_01/EN").status_code == 404
    assert media.client.get("/media/captions/unknown_vid").status_code == 404
    media.add_video("vid_capt_02")
    r = media.client.get("/media/captions/vid_capt_02")
    assert r.status_code == 200 and r.get_json() == []


def test_channel_images(media: Media) -> None:
    media.add_channel("UCimages", avatar=b"\xff\xd8avatar", banner=b"\xff\xd8banner")
    media.add_channel("UCnoimage")
    r = media.client.get("/media/channel/UCimages/avatar")
    assert r.status_code == 200
    assert r.data == b"\xff\xd8avatar"
    assert r.headers["Content-Type"] == "image/jpeg"
    assert r.headers["Cache-Control"] == IMMUTABLE
    r = media.client.get("/media/channel/UCimages/banner", headers={"Range": "bytes=-6"})
    assert r.status_code == 206 and r.data == b"banner"
    for path in (
        "/media/channel/UCnoimage/avatar",
        "/media/channel/UCnoimage/banner",
        "/media/channel/UCunknown/avatar",
        "/media/channel/UCimages/icon",
    ):
        r = media.client.get(path)
        assert r.status_code == 404, path
        assert r.is_json


# -- misses and hostile input -------------------------------------------------------------------


def test_row_without_object_is_404(media: Media) -> None:
    media.add_video("vid_gone_01", with_object=False)
    r = media.client.get("/media/video/vid_gone_01")
    assert r.status_code == 404 and r.get_json() == {"error": "File not found"}
    media.add_video("vid_gone_02", with_row=False)
    assert media.client.get("/media/video/vid_gone_02").status_code == 404
    assert media.client.get("/media/thumbnail/vid_gone_02").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/media/video/unknown_video",
        "/media/video/..",
        "/media/video/%2e%2e",
        "/media/video/..%2F..%2Fetc%2Fpasswd",
        "/media/video/%2E%2E%5Cwin.ini",
        "/media/video/a%00b",
        "/media/video/%0d%0aSet-Cookie:x",
        "/media/video/" + "x" * 5000,
        "/media/video/%ff%fe",
        "/media/video/%F0%9F%8E%A4",
        "/media/thumbnail/..",
        "/media/metadata/%00",
        "/media/captions/..%2f..",
        "/media/captions/x/%00",
        "/media/captions/x/en?format=%00",
        "/media/channel/..%2Fvideo/avatar",
        "/media/channel/%00/avatar",
        "/media/channel/..%2F..%2F..%2Fetc/banner",
        "/media/nothing/x",
        "/media/",
    ],
)
def test_unknown_and_hostile_ids_are_404(media: Media, path: str) -> None:
    r = media.client.get(path)
    assert r.status_code == 404, (path, r.data[:200])
    assert r.is_json and "error" in r.get_json()


def test_hostile_keys_in_rows_are_404(media: Media) -> None:
    # A poisoned database row must not reach outside the archive either.
    media.add_video("vid_evil_01", with_row=False, with_object=False)
    with app_state(media.app).db.transaction() as session:
        session.add(
            StoredFile(video_id="vid_evil_01", kind="video", storage_key="../../etc/passwd")
        )
        session.add(Channel(channel_id="..", name="evil", has_avatar=True))
    assert media.client.get("/media/video/vid_evil_01").status_code == 404
    assert media.client.get("/media/channel/../avatar").status_code == 404


def test_other_methods_are_405_json(media: Media) -> None:
    media.add_video("vid_method1")
    r = media.client.post("/media/video/vid_method1")
    assert r.status_code == 405 and r.is_json
    assert "GET" in r.headers["Allow"]


def test_cors(media: Media) -> None:
    media.add_video("vid_cors_01")
    r = media.client.get(
        "/media/video/vid_cors_01",
        headers={"Origin": "https://viewer.example", "Range": "bytes=0-1"},
    )
    assert r.headers["Access-Control-Allow-Origin"] in ("*", "https://viewer.example")
    assert "Content-Range" in r.headers["Access-Control-Expose-Headers"]


# -- redirect modes ---------------------------------------------------------------------------


def test_public_redirect(make_media: MediaFactory) -> None:
    media = make_media(media_redirect="public:https://cdn.example.com/arch/")
    key = media.add_video("vid pub+1", ext="mp4")
    r = media.client.get("/media/video/" + quote("vid pub+1"))
    assert r.status_code == 302
    assert r.headers["Location"] == "https://cdn.example.com/arch/" + quote(key, safe="/")
    assert r.headers["Location"].endswith("/video/vid%20pub%2B1.mp4")
    media.add_channel("UCpub", avatar=b"a")
    r = media.client.get("/media/channel/UCpub/avatar")
    assert r.headers["Location"] == "https://cdn.example.com/arch/channels/UCpub/avatar.jpg"
    assert media.client.get("/media/video/unknown_vid").status_code == 404


def test_presign_redirect(make_media: MediaFactory) -> None:
    media = make_media(media_redirect="presign")
    data = os.urandom(2000)
    media.add_video("vid_presign", data)
    r = media.client.get("/media/video/vid_presign")
    if media.kind == "local":
        # No presigned URLs for a directory: the server streams it itself.
        assert r.status_code == 200 and r.data == data
        return
    assert r.status_code == 302
    location = r.headers["Location"]
    assert "vid_presign.webm" in location and "Signature" in location
    assert location.startswith("http://127.0.0.1:")  # the loopback moto server
    with urllib.request.urlopen(location, timeout=10) as fetched:
        assert fetched.read() == data
    assert media.client.get("/media/video/unknown_vid").status_code == 404


# -- the sendfile path ---------------------------------------------------------------------


class RecordingWrapper(FileWrapper):
    """Stands in for a server's wsgi.file_wrapper (gunicorn's becomes sendfile)."""

    positions: ClassVar[list[int]] = []

    def __init__(self, file: Any, buffer_size: int = 8192) -> None:
        super().__init__(file, buffer_size)
        RecordingWrapper.positions.append(file.tell())


def test_local_files_go_through_the_file_wrapper(settings: Settings) -> None:
    app = create_app(settings)  # the default: a local archive, whose files suit sendfile
    media = Media(app, app.test_client(), app_state(app).storage, "local")
    data = os.urandom(10_000)
    media.add_video("vid_wrap_01", data)
    RecordingWrapper.positions = []
    client = media.app.test_client()
    environ: dict[str, Any] = client.environ_base
    environ["wsgi.file_wrapper"] = RecordingWrapper
    r = client.get("/media/video/vid_wrap_01", headers={"Range": "bytes=1234-"})
    assert r.status_code == 206 and r.data == data[1234:]
    r = client.get("/media/video/vid_wrap_01")
    assert r.data == data
    assert RecordingWrapper.positions == [1234, 0]
    # A range ending early is bounded by the app where the server might not be.
    r = client.get("/media/video/vid_wrap_01", headers={"Range": "bytes=10-19"})
    assert r.data == data[10:20]
    assert RecordingWrapper.positions == [1234, 0]
    app_state(app).db.dispose()
