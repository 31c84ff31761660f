"""Issue 13.1: the media URLs Patchwork-Browser builds, answered on Patchwork's own routes.

Every request is spelled as the frontend's JSX spells it (VideoPlayer, VideoGrid, ChannelCard,
SearchResultsChannel), with the VITE_* domains pointed at /media/…, against both storage
layouts (Patchwork's versioned keys and the original's bucket) on local disk and moto S3
(tests/support/frontend_archive.py builds them).
"""

from __future__ import annotations

import os
import urllib.request
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import quote

import pytest

from patchwork.archive.media import captions_srv3
from patchwork.state import app_state
from support.frontend_archive import (
    AVATAR,
    CHANNEL,
    CHANNEL_BANNER,
    DATA,
    EN_SRV3,
    EN_VTT,
    FR_VTT,
    THUMBS,
    VIDEOS,
    Archive,
    ArchiveFactory,
)
from support.stored_files import file_key

# The frontend's build settings (README "Using the Patchwork-Browser frontend").
CDN = "/media/video"
THUMBNAILS = "/media/thumbnail"
CAPTIONS = "/media/captions"
PFP = BANNER = "/media/channel"

CSP = "default-src 'none'; sandbox"
IMMUTABLE = "public, max-age=31536000, immutable"
NOT_FOUND = {"error": "File not found"}


def assert_media_headers(r: Any) -> None:
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Content-Security-Policy"] == CSP


def srv3_events(body: bytes) -> list[tuple[int, int, str]]:
    root = ET.fromstring(body)
    assert root.tag == "timedtext" and root.get("format") == "3"
    return [(int(p.get("t", "")), int(p.get("d", "")), p.text or "") for p in root.iter("p")]


# -- videos -----------------------------------------------------------------------------------


def test_player_sources_and_download_answer_the_stored_video(archive: Archive) -> None:
    client = archive.client
    for video_id, (ext, true_type, *_) in VIDEOS.items():
        meta = client.get(f"/api/database/video_data/{video_id}").get_json()
        assert meta["file_ext"] == ext
        # <source> .webm, <source> .mp4, then the download link with the real extension.
        for url in (f"{CDN}/{video_id}.webm", f"{CDN}/{video_id}.mp4", f"{CDN}/{video_id}.{ext}"):
            r = client.get(url)
            assert r.status_code == 200, url
            assert r.data == DATA[video_id]
            assert r.headers["Content-Type"] == true_type  # mp4 bytes under .webm say so
            assert r.headers["Cache-Control"] == IMMUTABLE
            assert r.headers["Accept-Ranges"] == "bytes"
            assert_media_headers(r)
        head = client.head(f"{CDN}/{video_id}.webm")
        assert head.status_code == 200 and head.data == b""
        assert head.headers["Content-Length"] == str(len(DATA[video_id]))
        assert client.get(f"{CDN}/{video_id}").data == DATA[video_id]  # the old shape


def test_video_shape_takes_ranges_and_revalidates(archive: Archive) -> None:
    data = DATA["vidMp400001"]
    url = f"{CDN}/vidMp400001.webm"
    r = archive.client.get(url, headers={"Range": "bytes=100-1099"})
    assert r.status_code == 206
    assert r.headers["Content-Range"] == f"bytes 100-1099/{len(data)}"
    assert r.data == data[100:1100]
    assert r.headers["Content-Type"] == "video/mp4"
    etag = r.headers["ETag"]
    again = archive.client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    resumed = archive.client.get(url, headers={"Range": "bytes=-10", "If-Range": etag})
    assert resumed.status_code == 206 and resumed.data == data[-10:]
    beyond = archive.client.get(url, headers={"Range": f"bytes={len(data)}-"})
    assert beyond.status_code == 416 and beyond.headers["Content-Range"] == f"bytes */{len(data)}"


# -- thumbnails and channel images ------------------------------------------------------------


def test_thumbnail_shapes_answer_the_stored_image_with_its_type(archive: Archive) -> None:
    for video_id, (*_, thumb_type, _) in VIDEOS.items():
        for ext in ("jpg", "webp", "png"):  # the frontend always asks .jpg
            r = archive.client.get(f"{THUMBNAILS}/{video_id}.{ext}")
            assert r.status_code == 200
            assert r.data == THUMBS[video_id]
            assert r.headers["Content-Type"] == thumb_type
            assert_media_headers(r)


def test_channel_pfp_and_banner_shapes(archive: Archive) -> None:
    channel_id = archive.client.get("/api/database/video_data/vidWebm0001").get_json()["channel_id"]
    pfp = archive.client.get(f"{PFP}/{channel_id}_pfp.jpg")
    banner = archive.client.get(f"{BANNER}/{channel_id}_banner.jpg")
    assert (pfp.status_code, pfp.data) == (200, AVATAR)
    assert (banner.status_code, banner.data) == (200, CHANNEL_BANNER)
    assert pfp.headers["Content-Type"] == "image/jpeg"
    assert_media_headers(banner)
    assert archive.client.get(f"/media/channel/{CHANNEL}/avatar").data == AVATAR
    assert archive.client.get(f"/media/channel/{CHANNEL}/banner").data == CHANNEL_BANNER
    assert archive.client.get(f"{PFP}/UCnobanner_pfp.jpg").data == AVATAR
    for url in (f"{BANNER}/UCnobanner_banner.jpg", f"{PFP}/UCunknown_pfp.jpg"):
        r = archive.client.get(url)
        assert r.status_code == 404 and r.get_json() == NOT_FOUND


def test_unknown_ids_are_json_404s_on_every_shape(archive: Archive) -> None:
    for url in (
        f"{CDN}/nosuchvideo.webm",
        f"{CDN}/nosuchvideo.mp4",
        f"{THUMBNAILS}/nosuchvideo.jpg",
        f"{CAPTIONS}/nosuchvideo/nosuchvideo.en.srv3",
        f"{CAPTIONS}/vidWebm0001/vidWebm0001.xx.srv3",  # unknown language
        f"{CAPTIONS}/vidWebm0001/vidMp400001.en.srv3",  # another video's name
        f"{PFP}/UCnosuchchannel_pfp.jpg",
    ):
        r = archive.client.get(url)
        assert r.status_code == 404, url
        assert r.get_json() == NOT_FOUND
        assert_media_headers(r)


# -- captions ---------------------------------------------------------------------------------


def caption_url(video_id: str, lang: str, fmt: str = "srv3") -> str:
    return f"{CAPTIONS}/{video_id}/{video_id}.{lang}.{fmt}"  # VideoPlayer.jsx


def test_srv3_converted_from_vtt_and_srt(archive: Archive) -> None:
    r = archive.client.get(caption_url("vidWebm0001", "en"))
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/xml"
    assert r.data.startswith(b'<?xml version="1.0" encoding="utf-8"?><timedtext format="3">')
    assert b"1 &lt; 2 &amp;&amp; 3" in r.data
    assert srv3_events(r.data) == [
        (0, 1500, "Tom & Jerry say\nline two"),
        (1500, 1500, "1 < 2 && 3"),
    ]
    assert_media_headers(r)
    ja = archive.client.get(caption_url("vidWebm0001", "ja"))
    assert srv3_events(ja.data) == [(0, 2000, "こんにちは"), (2000, 2250, "世界")]


def test_a_one_cue_caption_still_has_two_events(archive: Archive) -> None:
    r = archive.client.get(caption_url("vidMp400001", "fr"))
    events = srv3_events(r.data)
    assert len(events) >= 2
    assert events[0] == (1000, 1000, "bonjour")
    assert all(d == 0 and text.strip("\u200b") == "" for _, d, text in events[1:])


def test_stored_tracks_are_served_as_stored(archive: Archive) -> None:
    srv3 = archive.client.get(caption_url("vidMp400001", "en"))
    assert srv3.data == EN_SRV3.encode()
    assert srv3.headers["Content-Type"] == "application/xml"
    assert srv3.headers["Cache-Control"] == IMMUTABLE
    vtt = archive.client.get(caption_url("vidWebm0001", "en", "vtt"))
    assert vtt.data == EN_VTT.encode()
    assert vtt.headers["Content-Type"] == "text/vtt; charset=utf-8"
    ranged = archive.client.get(caption_url("vidMp400001", "en"), headers={"Range": "bytes=0-4"})
    assert ranged.status_code == 206 and ranged.data == EN_SRV3.encode()[:5]


def test_vtt_converted_from_srv3(archive: Archive) -> None:
    r = archive.client.get(caption_url("vidMp400001", "en", "vtt"))
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/vtt; charset=utf-8"
    assert r.get_data(as_text=True) == (
        "WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nfirst\n\n"
        "00:00:01.500 --> 00:00:03.500\nsecond &amp; last\n"
    )
    de = archive.client.get(caption_url("vidMkv00001", "de", "vtt"))
    assert de.get_data(as_text=True) == "WEBVTT\n\n00:00:00.500 --> 00:00:01.500\nhallo\n"
    assert_media_headers(de)


def test_converted_captions_have_validators_and_ignore_ranges(archive: Archive) -> None:
    client = archive.client
    url = caption_url("vidWebm0001", "en")
    stored = client.head("/media/captions/vidWebm0001/en?format=vtt")
    r = client.get(url)
    etag = r.headers["ETag"]
    assert etag == stored.headers["ETag"][:-1] + f'.srv3-{captions_srv3.REVISION}"'
    assert r.headers["Last-Modified"] == stored.headers["Last-Modified"]
    assert r.headers["Cache-Control"] == "public, max-age=86400"
    assert r.headers["Accept-Ranges"] == "none"
    assert r.headers["Content-Length"] == str(len(r.data))
    revalidated = client.get(url, headers={"If-None-Match": etag})
    assert revalidated.status_code == 304 and revalidated.data == b""
    assert (
        client.get(
            caption_url("vidWebm0001", "en", "vtt"), headers={"If-None-Match": etag}
        ).status_code
        == 200
    )
    ranged = client.get(url, headers={"Range": "bytes=0-9"})
    assert ranged.status_code == 200 and ranged.data == r.data
    head = client.head(url)
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Length"] == str(len(r.data))
    failed = client.get(url, headers={"If-Match": '"something-else"'})
    assert failed.status_code == 412 and "error" in failed.get_json()


def test_an_oversized_caption_is_refused_not_read(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(captions_srv3, "MAX_CONVERT_BYTES", len(EN_VTT) - 1)
    r = archive.client.get(caption_url("vidWebm0001", "en"))
    assert r.status_code == 404
    assert "too large to convert" in r.get_json()["error"]
    # The stored track itself is still served (streamed, never held in memory).
    assert archive.client.get(caption_url("vidWebm0001", "en", "vtt")).data == EN_VTT.encode()


def test_the_existing_caption_routes_keep_working(archive: Archive) -> None:
    tracks = archive.client.get("/media/captions/vidWebm0001").get_json()
    assert {(t["language"], t["format"]) for t in tracks} == {("en", "vtt"), ("ja", "srt")}
    for track in tracks:
        assert archive.client.get(track["url"]).status_code == 200
    assert archive.client.get("/media/captions/vidMp400001/fr").data == FR_VTT.encode()
    # Not a frontend name (it does not start with "<id>."): still a language, and unknown.
    assert archive.client.get("/media/captions/vidWebm0001/en.x.srv3").status_code == 404


# -- redirect modes ---------------------------------------------------------------------------


def test_presign_redirects_stored_objects_and_serves_conversions(
    make_archive: ArchiveFactory,
) -> None:
    archive = make_archive(media_redirect="presign")
    r = archive.client.get(f"{CDN}/vidMp400001.webm")
    converted = archive.client.get(caption_url("vidWebm0001", "en"))
    assert converted.status_code == 200 and srv3_events(converted.data)[0][0] == 0
    if archive.backend == "local":
        assert r.status_code == 200 and r.data == DATA["vidMp400001"]  # no URL: proxied
        return
    assert r.status_code == 302
    location = r.headers["Location"]
    assert "Signature" in location and location.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(location, timeout=10) as fetched:
        assert fetched.read() == DATA["vidMp400001"]
    thumb = archive.client.get(f"{THUMBNAILS}/vidWebm0001.jpg")
    with urllib.request.urlopen(thumb.headers["Location"], timeout=10) as fetched:
        assert fetched.read() == THUMBS["vidWebm0001"]
    stored = archive.client.get(caption_url("vidMp400001", "en"))
    assert stored.status_code == 302


def test_public_redirects_name_the_storage_key(make_archive: ArchiveFactory) -> None:
    archive = make_archive(media_redirect="public:https://cdn.example.com/arch")
    db = app_state(archive.app).db
    key = file_key(db, "vidMp400001", "video")
    r = archive.client.get(f"{CDN}/vidMp400001.webm")
    assert r.status_code == 302
    assert r.headers["Location"] == "https://cdn.example.com/arch/" + quote(key, safe="/")
    pfp = archive.client.get(f"{PFP}/{CHANNEL}_pfp.jpg")
    assert pfp.headers["Location"] == f"https://cdn.example.com/arch/channels/{CHANNEL}/avatar.jpg"
    assert archive.client.get(caption_url("vidWebm0001", "ja")).status_code == 200
    assert archive.client.get(f"{CDN}/nosuchvideo.webm").status_code == 404


# -- ids with dots ----------------------------------------------------------------------------


def test_ids_with_dots_try_the_exact_id_first(archive: Archive) -> None:
    dotted, plain, twin = os.urandom(500), os.urandom(501), os.urandom(502)
    archive.add_video(
        "clip.v2", [("video", "mp4", dotted), ("captions/en", "vtt", FR_VTT.encode())]
    )
    archive.add_video("dup", [("video", "webm", plain)])
    archive.add_video("dup.mp4", [("video", "mp4", twin)])
    get = archive.client.get
    assert get(f"{CDN}/clip.v2.webm").data == dotted
    assert get(f"{CDN}/clip.v2").data == dotted
    assert get(f"{CDN}/dup.webm").data == plain
    assert get(f"{CDN}/dup.mp4").data == twin  # the id "dup.mp4" exists: it wins
    assert get(f"{CDN}/dup.mp4.webm").data == twin
    assert srv3_events(get(caption_url("clip.v2", "en")).data)[0] == (1000, 1000, "bonjour")
