"""The JSON reads the real clients make, field by field, as their source dereferences them.

Patchwork-Browser (React, Patchwork-Archive/Patchwork-Browser) never checks a status before
reading a field, and one TypeError unmounts the whole app. What its components read:

* ChannelPage.jsx: ``/api/channel/<id>`` -> ``data.results`` (handed to ChannelPageGrid,
  which calls ``videos.map``) and ``data.pages``, for unknown channels too.
* ChannelPageGrid.jsx, VideoGrid.jsx (LandingPage: daily featured, discover, recently
  archived; popular), ColumnVideoGrid.jsx (VideoPage: discover), SearchResultsVideo.jsx:
  each video's ``video_id``, ``title``, ``channel_id`` and ``channel_name + " - " +
  upload_date``; the lists themselves via ``.map`` / ``.filter``.
* ChannelCard.jsx (the channel page header): ``/api/channel_name`` -> ``channel_name``
  (``|| uploader``) and, with "Show More", ``description.split("\\n")``.
* ChannelListPage.jsx + SearchResultsChannel.jsx: ``/api/search/channel`` ->
  ``data.results.filter(c => c.channel_name.toLowerCase() ... || c.description
  .toLowerCase() ...)``, then ``channel_id`` and ``channel_name``.
* ChannelCardGridMini.jsx: ``/api/discover_channels`` -> ``channel_id``, ``channel_name``.
* VideoPlayer.jsx: ``/api/database/video_data/<id>`` -> ``error``, ``channel_id``
  (``|| uploader_id``), ``title``, ``channel`` (``|| uploader``), ``_type`` (absent: "missing
  an info.json"), ``subtitles`` (SubtitleDropdown: ``Object.keys``, then it fetches
  ``<captions>/<id>/<id>.<lang>.srv3``), ``file_ext`` (download link), ``upload_date``
  (``.slice``) and ``description.split(/\\n|\\\\n/)``.
* LandingPage.jsx: ``/api/storage/status`` -> ``storage_size``, ``number_of_files``, ``units``.
* StatusPage.jsx: ``/api/status`` -> ``workers``.

Patchwork-Radio: ``POST /api/exact_match`` (form ``title``, ``channel_name``), then, when
``ok``, ``video_id``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from patchwork.archive.snapshots import SnapshotAnswers, at_once
from patchwork.cache import EMPTY_TTL_SECONDS, MemoryCache
from patchwork.cli import cli
from patchwork.db import Database
from patchwork.db.models import Channel, Video, Worker
from patchwork.db.types import utcnow
from patchwork.state import app_state
from support.archive_samples import SAMPLES, info, video_bytes, write_samples
from support.stored_files import file_key

BROWSER = {"User-Agent": "Mozilla/5.0 Firefox/128.0"}
LATIN = "UClatin0000000000000000"
CAPTIONED, NO_INFO, NULL_FIELDS = "captioned01", "noinfo00001", "nullfield01"
CAFE, CAFE_TWIN, EMOJI = "cafesong001", "cafesong002", "emojisong01"
LEGACY_CHANNEL, LEGACY_JA, ORPHAN = "UClegacy000000000000000", "UClegacyja0000000000000", "UCorphan"
SRV3 = (
    '<timedtext format="3"><body><p t="0" d="900">a</p><p t="900" d="900">b</p></body></timedtext>'
)
SRT = "1\n00:00:00,000 --> 00:00:01,000\nbonjour\n"


def _download(folder: Path, sample: dict[str, Any], captions: dict[str, str]) -> None:
    """One video as yt-dlp leaves it: info.json, the video, captions named <id>.<lang>.<ext>."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{sample['id']}.info.json").write_text(json.dumps(sample), encoding="utf-8")
    (folder / f"{sample['id']}.webm").write_bytes(video_bytes(sample["id"]))
    for name, text in captions.items():
        (folder / f"{sample['id']}.{name}").write_text(text, encoding="utf-8")


def _singer(video_id: str, title: str, day: str = "20240101") -> dict[str, Any]:
    return info(video_id, title, channel_id=LATIN, channel="Latin Singer", upload_date=day)


@pytest.fixture
def archive(app: Flask, cli_env: dict[str, str], tmp_path: Path, db: Database) -> None:
    """The samples, videos with every caption case, and rows as an import of the original
    leaves them (NULL description and romanized name, no file, no upload date)."""
    dl = tmp_path / "dl"
    write_samples(dl)
    extra = dl / "extra"
    captioned = _singer(CAPTIONED, "Every caption case", "20240202")
    # yt-dlp's own entry: an expiring YouTube URL and a language the archive does not hold.
    captioned["subtitles"] = {"ko": [{"ext": "vtt", "url": "https://www.youtube.com/api/x"}]}
    _download(extra / "a", captioned, {"fr.srt": SRT, "ja.srv3": SRV3, "de.json3": "{}"})
    _download(extra / "b", _singer(NO_INFO, "Its info.json went missing"), {})
    null_fields = _singer(NULL_FIELDS, "Null fields in its info.json")
    null_fields.update(description=None, channel=None)
    _download(extra / "c", null_fields, {})
    _download(extra / "d", _singer(CAFE, "Café Song", "20200101"), {})
    _download(extra / "e", _singer(CAFE_TWIN, "Café Song", "20210101"), {})
    _download(extra / "f", info(EMOJI, "💫", channel_id="UCemoji", channel="🎤"), {})
    result = CliRunner().invoke(cli, ["import", str(dl)], env=cli_env)
    assert result.exit_code == 0, result.output
    state = app_state(app)
    state.storage.delete(file_key(db, NO_INFO, "metadata"))
    with db.transaction() as session:
        session.add(Channel(channel_id=LEGACY_CHANNEL, name="Legacy Latin"))
        session.add(Channel(channel_id=LEGACY_JA, name="こんにちは世界"))
        session.add(Worker(name="w1", status=None, last_seen_at=utcnow()))
        for video_id, channel_id, name in (
            ("legacy00001", LEGACY_CHANNEL, "Legacy Latin"),
            ("orphan00001", ORPHAN, "Only In Videos"),
        ):
            session.add(
                Video(video_id=video_id, title="Old", channel_id=channel_id, channel_name=name)
            )


# ---- the fields each component dereferences ----------------------------------------------


def test_unknown_channel_still_has_the_page_shape(client: FlaskClient, archive: None) -> None:
    """ChannelPage.jsx maps ``results`` and reads ``pages`` whatever the status."""
    response = client.get("/api/channel/UCnobody?page=1")
    assert response.status_code == 404
    body = response.get_json()
    assert body["results"] == [] and body["pages"] == 0
    assert body["error"] == "Channel ID does not exist"


def test_channel_without_description_gives_a_string(client: FlaskClient, archive: None) -> None:
    """ChannelCard.jsx splits ``description``: imported channels hold NULL there."""
    for channel_id in (LEGACY_CHANNEL, ORPHAN, LATIN):
        body = client.get(f"/api/channel_name?channel_id={channel_id}").get_json()
        assert isinstance(body["description"], str) and body["description"].split("\n")
        assert isinstance(body["channel_name"], str) and body["channel_name"]
    unknown = client.get("/api/channel_name?channel_id=UCnobody")
    assert unknown.status_code == 404 and unknown.get_json()["description"] == ""


def test_latin_channel_search_description_is_its_name(
    client: FlaskClient, db: Database, archive: None
) -> None:
    """ChannelListPage.jsx filters on ``description.toLowerCase()`` (the romanized name)."""
    with db.reading() as session:  # written now: a Latin name is its own romanized name
        assert (
            session.scalar(select(Channel.romanized_name).where(Channel.channel_id == LATIN))
            == "Latin Singer"
        )
    for q, name in (("latin singer", "Latin Singer"), ("legacy", "Legacy Latin")):
        (item,) = client.get("/api/search/channel", query_string={"q": q}).get_json()["results"]
        assert item["channel_name"] == name
        assert item["description"] == name  # the legacy row's NULL falls back to the name
        assert item["romanized_name"] is None  # nothing more to show beside the name
    # A Japanese name never romanized (an old row) gets its romaji now.
    (ja,) = client.get("/api/search/channel?q=こんにちは世界").get_json()["results"]
    assert ja["description"] and ja["description"].isascii()
    assert ja["romanized_name"] == ja["description"]
    picks = client.get("/api/discover_channels?count=50").get_json()
    assert all(isinstance(c["romanized"], str) and c["romanized"] for c in picks)


def _captions_of(body: dict[str, Any]) -> dict[str, list[str]]:
    return {lang: [t["ext"] for t in tracks] for lang, tracks in body["subtitles"].items()}


def test_video_data_offers_the_captions_held(client: FlaskClient, archive: None) -> None:
    """VideoPlayer.jsx: ``_type`` and ``subtitles`` (keys become the caption menu; the player
    fetches ``<id>/<id>.<lang>.srv3``), even when the stored info.json has neither."""
    sample = client.get("/api/database/video_data/aaaaaaaaaa1").get_json()
    assert sample["_type"] == "video"
    assert _captions_of(sample) == {"en": ["srv3", "vtt"]}
    (srv3, vtt) = sample["subtitles"]["en"]
    assert srv3["url"] == "http://localhost/media/captions/aaaaaaaaaa1/aaaaaaaaaa1.en.srv3"
    assert vtt["url"] == "http://localhost/media/captions/aaaaaaaaaa1/aaaaaaaaaa1.en.vtt"
    fetched = client.get(urlsplit(srv3["url"]).path)
    assert fetched.status_code == 200 and b"<timedtext" in fetched.get_data()

    body = client.get(f"/api/database/video_data/{CAPTIONED}").get_json()
    # What Patchwork holds replaces yt-dlp's entry ("ko" is not held); json3 alone cannot be
    # converted to srv3, so "de" is left out; srt is also offered as stored.
    assert _captions_of(body) == {"fr": ["srv3", "vtt", "srt"], "ja": ["srv3", "vtt"]}
    assert body["subtitles"]["fr"][2]["url"].endswith(f"/media/captions/{CAPTIONED}/fr?format=srt")
    for tracks in body["subtitles"].values():
        for track in tracks:
            assert client.get(track["url"].removeprefix("http://localhost")).status_code == 200

    fallback = client.get(f"/api/database/video_data/{NO_INFO}").get_json()
    assert fallback["_type"] == "video" and fallback["subtitles"] == {}
    assert fallback["channel"] == "Latin Singer" and fallback["video_id"] == NO_INFO


def test_video_data_fills_the_strings_the_player_reads(client: FlaskClient, archive: None) -> None:
    """VideoPlayer.jsx: ``description.split``, ``channel``, ``title``, ``upload_date.slice``,
    ``file_ext`` in the download link; a stored null or a missing key is filled in."""
    body = client.get(f"/api/database/video_data/{NULL_FIELDS}").get_json()
    assert body["description"] == "" and body["channel"] == "Latin Singer"
    assert body["upload_date"] == "20240101"  # info.json's own format
    bili = client.get("/api/database/video_data/BV1xx411c7mD").get_json()
    assert bili["channel"] == "bilibili user" and bili["uploader"] == "bilibili user"
    legacy = client.get("/api/database/video_data/legacy00001").get_json()
    assert legacy["file_ext"] == "webm" and legacy["file_size"] == 0
    assert legacy["upload_date"] == "" and legacy["description"] == ""


# ---- Patchwork-Radio -----------------------------------------------------------------------


def _match(client: FlaskClient, **fields: str) -> Any:
    return client.post("/api/exact_match", data=fields)


def test_exact_match_finds_the_video(client: FlaskClient, archive: None) -> None:
    """RadioPlayer: ``r2.ok`` then ``j2.video_id``."""
    found = _match(client, title="Stellar Stellar (Original)", channel_name="Suisei Channel")
    assert found.status_code == 200 and found.get_json() == {"video_id": "aaaaaaaaaa2"}
    japanese = _match(client, title="夜に駆ける / YOASOBI cover", channel_name="星街すいせい")
    assert japanese.get_json() == {"video_id": "aaaaaaaaaa1"}
    # Two archived with the same title and channel: the first archived.
    assert _match(client, title="Café Song", channel_name="Latin Singer").get_json() == {
        "video_id": CAFE
    }
    # No searchable term at all (emoji only) still matches.
    assert _match(client, title="💫", channel_name="🎤").get_json() == {"video_id": EMOJI}
    as_json = client.post(
        "/api/exact_match",
        json={"title": "Idol 💫 アイドル", "channel_name": "Marine Ch. 宝鐘マリン"},
    )
    assert as_json.get_json() == {"video_id": "bbbbbbbbbb1"}


@pytest.mark.parametrize(
    ("title", "channel"),
    [
        ("stellar stellar (original)", "Suisei Channel"),  # case differs
        ("Stellar Stellar (Original)", "suisei channel"),
        ("Cafe Song", "Latin Singer"),  # accent differs (MariaDB's collation folds both)
        ("Café Song ", "Latin Singer"),  # trailing space (PAD SPACE collations ignore it)
        ("Stellar Stellar (Original)", "Marine Ch."),  # another channel's
        ("Stellar Stellar", "Suisei Channel"),  # part of a title
        ("No such song", "Nobody"),
    ],
)
def test_exact_match_is_exact(client: FlaskClient, archive: None, title: str, channel: str) -> None:
    response = _match(client, title=title, channel_name=channel)
    assert response.status_code == 404
    assert response.get_json() == {"error": "No exact match found"}


def test_exact_match_needs_both_fields(client: FlaskClient, archive: None) -> None:
    for fields in ({"title": "Café Song"}, {"channel_name": "Latin Singer"}, {}, {"title": ""}):
        response = client.post("/api/exact_match", data=fields)
        assert response.status_code == 400
        assert "required" in response.get_json()["error"]
    nul = _match(client, title="a\x00b", channel_name="c")
    assert nul.status_code == 400
    # A lone surrogate is text no database stores: refused like a NUL (http.body_fields).
    lone = client.post("/api/exact_match", json={"title": "\ud800", "channel_name": "x"})
    assert lone.status_code == 400 and "surrogate" in lone.get_json()["error"]


# ---- cached answers ------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(app: Flask) -> Clock:
    clock = Clock()
    state = app_state(app)
    state.cache = MemoryCache(clock=clock)
    # Refreshes run before the request returns, so the next request sees what they computed.
    state.answers = SnapshotAnswers(state.db, state.cache, clock=clock, background=at_once)
    return clock


def test_popular_never_serves_a_stale_empty_list(
    client: FlaskClient, clock: Clock, archive: None
) -> None:
    """VideoGrid.jsx shows popular; before the first view it is empty, but only briefly."""
    assert client.get("/api/popular").get_json() == []
    client.get("/api/database/video_data/aaaaaaaaaa2", headers=BROWSER)
    clock.now += EMPTY_TTL_SECONDS
    assert [v["video_id"] for v in client.get("/api/popular").get_json()] == ["aaaaaaaaaa2"]
    # A real answer keeps its hour.
    client.get("/api/database/video_data/bbbbbbbbbb1", headers=BROWSER)
    client.get("/api/database/video_data/bbbbbbbbbb1", headers=BROWSER)
    clock.now += 3599
    assert [v["video_id"] for v in client.get("/api/popular").get_json()] == ["aaaaaaaaaa2"]
    clock.now += 1
    # Stale: served as it is while the next one is computed, which the next request gets.
    assert [v["video_id"] for v in client.get("/api/popular").get_json()] == ["aaaaaaaaaa2"]
    assert client.get("/api/popular").get_json()[0]["video_id"] == "bbbbbbbbbb1"


def test_cached_lists_of_an_empty_archive_expire_within_a_minute(
    client: FlaskClient, clock: Clock, cli_env: dict[str, str], tmp_path: Path
) -> None:
    """The landing page's grids (VideoGrid.jsx, ChannelCardGridMini.jsx) on a new archive."""
    paths = ["/api/discover_videos", "/api/discover_channels", "/api/daily_featured_videos"]
    assert all(client.get(p).get_json() == [] for p in paths)
    write_samples(tmp_path / "first", SAMPLES[:2])
    assert CliRunner().invoke(cli, ["import", str(tmp_path / "first")], env=cli_env).exit_code == 0
    clock.now += EMPTY_TTL_SECONDS
    assert all(client.get(p).get_json() for p in paths)


# ---- no null where the original gave a string ------------------------------------------------

#: Fields the contract (or Patchwork's own additions) allows to be null.
NULLABLE = {
    "file_type",  # file_data: files.extension
    "name",  # status workers
    "status",
    "current_job_id",
    "progress",
    "client",
    "incompatible_reason",
    "most_recent_archived_at",  # Patchwork's own
    "romanized_name",  # Patchwork's own: null when it equals the name
    # Patchwork's own object (issue 16): its times and reason are null until a check knows them.
    "availability",  # /api/video/<id>
    "archive_availability",  # /api/database/video_data/<id>
}


def _nulls(value: Any, path: str = "") -> list[str]:
    if value is None:
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() if k not in NULLABLE for p in _nulls(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for n, v in enumerate(value) for p in _nulls(v, f"{path}[{n}]")]
    return []


def test_no_null_where_the_original_gave_a_string(
    client: FlaskClient, db: Database, archive: None
) -> None:
    with db.reading() as session:
        video_ids = list(session.scalars(select(Video.video_id)))
        channel_ids = set(session.scalars(select(Video.channel_id))) | {LEGACY_JA}
    for video_id in video_ids[:4]:
        client.get(f"/api/database/video_data/{video_id}", headers=BROWSER)  # popular fills
    paths = [
        "/api/random_video",
        "/api/discover_videos?count=50",
        "/api/discover_channels?count=50",
        "/api/daily_featured_videos",
        "/api/recently_archived",
        "/api/popular",
        "/api/search/results?q=",
        "/api/search/channel?q=",
        "/api/status",
        "/api/storage/status",
    ]
    paths += [f"/api/video/{v}" for v in video_ids]
    paths += [
        f"/api/database/{kind}/{v}" for v in video_ids for kind in ("video_data", "file_data")
    ]
    paths += [f"/api/channel/{c}" for c in channel_ids]
    paths += [f"/api/channel_name?channel_id={c}" for c in channel_ids]
    found: dict[str, list[str]] = {}
    for path in paths:
        response = client.get(path)
        if response.status_code == 404 and path.startswith("/api/database/file_data/"):
            continue  # a video without a file (an old import's row): its own 404 error
        assert response.status_code == 200, path
        if nulls := _nulls(response.get_json()):
            found[path] = nulls
    assert not found
    storage = client.get("/api/storage/status").get_json()
    assert isinstance(storage["most_recent_archived_video_date"], str)


def test_an_empty_archive_gives_strings_too(client: FlaskClient) -> None:
    """LandingPage.jsx reads storage status before anything is archived."""
    body = client.get("/api/storage/status").get_json()
    assert body["most_recent_archived_video_date"] == "" and body["number_of_files"] == 0
