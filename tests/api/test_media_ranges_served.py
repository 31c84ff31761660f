"""The /media endpoints against both storage backends: ranges, validators and headers."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from werkzeug.http import http_date, parse_date

from support.media_fixtures import IMMUTABLE, Media


def test_video_read_back_in_ranges_is_byte_identical(media: Media) -> None:
    data = os.urandom(3 * 1024 * 1024 + 12345)
    media.add_video("vid_big_001", data)
    pieces: list[bytes] = []
    bounds = [(0, 999_999), (1_000_000, 1_048_575), (1_048_576, 2_500_000)]
    for start, end in bounds:
        r = media.client.get("/media/video/vid_big_001", headers={"Range": f"bytes={start}-{end}"})
        assert r.status_code == 206
        assert r.headers["Content-Range"] == f"bytes {start}-{end}/{len(data)}"
        assert r.headers["Content-Length"] == str(end - start + 1)
        pieces.append(r.data)
    r = media.client.get("/media/video/vid_big_001", headers={"Range": "bytes=2500001-"})
    assert r.status_code == 206
    assert r.headers["Content-Range"] == f"bytes 2500001-{len(data) - 1}/{len(data)}"
    pieces.append(r.data)
    assert b"".join(pieces) == data

    whole = media.client.get("/media/video/vid_big_001")
    assert whole.status_code == 200
    assert whole.headers["Content-Length"] == str(len(data))
    assert whole.data == data


def test_full_response_headers(media: Media) -> None:
    data = b"0123456789" * 10
    media.add_video("vid_hdrs_01", data)
    r = media.client.get("/media/video/vid_hdrs_01")
    assert r.status_code == 200
    assert r.data == data
    assert r.headers["Accept-Ranges"] == "bytes"
    assert r.headers["Content-Type"] == "video/webm"
    assert r.headers["Content-Length"] == "100"
    assert r.headers["Cache-Control"] == IMMUTABLE
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    etag = r.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")
    assert parse_date(r.headers["Last-Modified"]) is not None
    assert "Content-Range" not in r.headers


@pytest.mark.parametrize(
    ("header", "content_range", "body"),
    [
        ("bytes=0-9", "bytes 0-9/100", b"0123456789"),
        ("bytes=95-", "bytes 95-99/100", b"56789"),
        ("bytes=-3", "bytes 97-99/100", b"789"),
        ("bytes=90-1000", "bytes 90-99/100", b"0123456789"),
        ("bytes=-500", "bytes 0-99/100", b"0123456789" * 10),
        ("bytes=42-42", "bytes 42-42/100", b"2"),
    ],
)
def test_single_ranges(media: Media, header: str, content_range: str, body: bytes) -> None:
    media.add_video("vid_range_1", b"0123456789" * 10)
    r = media.client.get("/media/video/vid_range_1", headers={"Range": header})
    assert r.status_code == 206
    assert r.headers["Content-Range"] == content_range
    assert r.headers["Content-Length"] == str(len(body))
    assert r.headers["Content-Type"] == "video/webm"
    assert r.data == body


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=500-600", "bytes=-0"])
def test_unsatisfiable_range(media: Media, header: str) -> None:
    media.add_video("vid_range_2", b"x" * 100)
    r = media.client.get("/media/video/vid_range_2", headers={"Range": header})
    assert r.status_code == 416
    assert r.headers["Content-Range"] == "bytes */100"
    assert r.is_json and "error" in r.get_json()


@pytest.mark.parametrize("header", ["bytes=0-1,5-6", "bytes=9-2", "pages=1-2", "bytes=abc"])
def test_multi_and_malformed_ranges_get_the_whole_file(media: Media, header: str) -> None:
    data = os.urandom(1000)
    media.add_video("vid_range_3", data)
    r = media.client.get("/media/video/vid_range_3", headers={"Range": header})
    assert r.status_code == 200
    assert r.data == data
    assert "Content-Range" not in r.headers


def test_empty_file(media: Media) -> None:
    media.add_video("vid_empty_1", b"")
    r = media.client.get("/media/video/vid_empty_1")
    assert r.status_code == 200
    assert r.data == b""
    assert r.headers["Content-Length"] == "0"
    r = media.client.get("/media/video/vid_empty_1", headers={"Range": "bytes=0-"})
    assert r.status_code == 416
    assert r.headers["Content-Range"] == "bytes */0"


def test_head(media: Media) -> None:
    media.add_video("vid_head_01", b"h" * 5000)
    r = media.client.head("/media/video/vid_head_01")
    assert r.status_code == 200
    assert r.data == b""
    assert r.headers["Content-Length"] == "5000"
    assert r.headers["Accept-Ranges"] == "bytes"
    assert r.headers["Content-Type"] == "video/webm"
    assert "ETag" in r.headers
    r = media.client.head("/media/video/vid_head_01", headers={"Range": "bytes=100-199"})
    assert r.status_code == 206
    assert r.data == b""
    assert r.headers["Content-Length"] == "100"
    assert r.headers["Content-Range"] == "bytes 100-199/5000"
    r = media.client.head("/media/video/nope_nope_1")
    assert r.status_code == 404


# -- validators -----------------------------------------------------------------------------


def test_etag_and_last_modified_give_304(media: Media) -> None:
    media.add_video("vid_cond_01", b"c" * 300)
    first = media.client.get("/media/video/vid_cond_01")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert media.client.get("/media/video/vid_cond_01").headers["ETag"] == etag  # stable

    r = media.client.get("/media/video/vid_cond_01", headers={"If-None-Match": etag})
    assert r.status_code == 304
    assert r.data == b""
    assert r.headers["ETag"] == etag
    assert r.headers["Cache-Control"] == IMMUTABLE

    r = media.client.get("/media/video/vid_cond_01", headers={"If-None-Match": f"W/{etag}"})
    assert r.status_code == 304
    r = media.client.head("/media/video/vid_cond_01", headers={"If-None-Match": '"x", ' + etag})
    assert r.status_code == 304
    r = media.client.get("/media/video/vid_cond_01", headers={"If-None-Match": '"other"'})
    assert r.status_code == 200 and len(r.data) == 300

    r = media.client.get("/media/video/vid_cond_01", headers={"If-Modified-Since": modified})
    assert r.status_code == 304
    parsed = parse_date(modified)
    assert parsed is not None
    earlier = http_date(parsed - timedelta(seconds=1))
    r = media.client.get("/media/video/vid_cond_01", headers={"If-Modified-Since": earlier})
    assert r.status_code == 200

    r = media.client.get("/media/video/vid_cond_01", headers={"If-Match": '"other"'})
    assert r.status_code == 412 and r.is_json
    r = media.client.get("/media/video/vid_cond_01", headers={"If-Match": etag})
    assert r.status_code == 200


def test_if_range(media: Media) -> None:
    data = bytes(range(256)) * 4
    media.add_video("vid_ifrng_1", data)
    first = media.client.head("/media/video/vid_ifrng_1")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    rng = {"Range": "bytes=10-19"}

    r = media.client.get("/media/video/vid_ifrng_1", headers={**rng, "If-Range": etag})
    assert r.status_code == 206 and r.data == data[10:20]
    r = media.client.get("/media/video/vid_ifrng_1", headers={**rng, "If-Range": modified})
    assert r.status_code == 206 and r.data == data[10:20]
    for stale in ('"changed"', f"W/{etag}", "Mon, 01 Jan 2001 00:00:00 GMT", "junk"):
        r = media.client.get("/media/video/vid_ifrng_1", headers={**rng, "If-Range": stale})
        assert r.status_code == 200, stale
        assert r.data == data
        assert "Content-Range" not in r.headers


# -- kinds and content types ------------------------------------------------------------------
