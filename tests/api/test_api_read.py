"""Every read endpoint of the original, after importing sample .info.json files."""

from __future__ import annotations

import math
import random
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from patchwork.archive.catalog import videos
from patchwork.cli import cli
from patchwork.db import Database
from patchwork.db.models import StoredFile, Worker
from patchwork.db.types import utcnow
from patchwork.state import app_state
from support.archive_samples import SAMPLES, info, video_bytes, write_samples
from support.stored_files import file_key

SUMMARY_KEYS = {"channel_id", "channel_name", "description", "title", "upload_date", "video_id"}
BY_ID = {s["id"]: s for s in SAMPLES}


def expected_summary(sample: dict[str, Any]) -> dict[str, Any]:
    d = sample["upload_date"]
    return {
        "channel_id": sample.get("channel_id") or sample["uploader_id"],
        "channel_name": sample.get("channel") or sample["uploader"],
        "description": sample["description"],
        "title": sample["title"],
        "upload_date": f"{d[:4]}-{d[4:6]}-{d[6:]}",
        "video_id": sample["id"],
    }


@pytest.fixture
def archive(cli_env: dict[str, str], tmp_path: Path, db: Database) -> list[dict[str, Any]]:
    write_samples(tmp_path / "dl")
    result = CliRunner().invoke(cli, ["import", str(tmp_path / "dl")], env=cli_env)
    assert result.exit_code == 0, result.output
    return SAMPLES


def test_video_by_id_matches_the_imported_file(client: FlaskClient, archive: list[Any]) -> None:
    for sample in archive:
        response = client.get(f"/api/video/{sample['id']}")
        assert response.status_code == 200
        body = response.get_json()
        # The original's fields, unchanged, plus Patchwork's availability (never checked yet).
        assert body.pop("availability")["state"] == "unknown"
        assert body == expected_summary(sample)


def test_video_ids_are_case_sensitive(client: FlaskClient, archive: list[Any]) -> None:
    assert client.get("/api/video/aaaaaaaaaa2").get_json()["title"] == "Stellar Stellar (Original)"
    assert client.get("/api/video/AAAAAAAAAA2").get_json()["title"] == "Case twin of aaaaaaaaaa2"


def test_unknown_video_is_404_json(client: FlaskClient, archive: list[Any]) -> None:
    response = client.get("/api/video/nope")
    assert response.status_code == 404
    assert response.get_json() == {"error": "Video ID does not exist"}


def test_recently_archived_is_archive_order(client: FlaskClient, archive: list[Any]) -> None:
    body = client.get("/api/recently_archived").get_json()
    # Import walks folders in sorted order; the newest 6 archived come first.
    assert len(body) == 6
    assert {v["video_id"] for v in body} == {s["id"] for s in archive}
    assert all(set(v) == SUMMARY_KEYS for v in body)


def test_empty_archive_answers_without_crashing(client: FlaskClient) -> None:
    assert client.get("/api/recently_archived").get_json() == []
    assert client.get("/api/popular").get_json() == []
    assert client.get("/api/discover_videos").get_json() == []
    assert client.get("/api/discover_channels").get_json() == []
    assert client.get("/api/daily_featured_videos").get_json() == []
    random_video = client.get("/api/random_video")
    assert random_video.status_code == 404 and "error" in random_video.get_json()
    storage = client.get("/api/storage/status").get_json()
    assert storage["number_of_files"] == 0 and storage["storage_size"] == 0
    assert client.get("/api/status").get_json() == {"workers": []}


def test_random_and_discover_pick_distinct_real_videos(
    client: FlaskClient, archive: list[Any]
) -> None:
    assert client.get("/api/random_video").get_json() in [expected_summary(s) for s in archive]
    picks = client.get("/api/discover_videos?count=4").get_json()
    assert len(picks) == 4
    assert len({p["video_id"] for p in picks}) == 4
    assert all(p == expected_summary(BY_ID[p["video_id"]]) for p in picks)
    every = client.get("/api/discover_videos?count=50").get_json()
    assert sorted(p["video_id"] for p in every) == sorted(BY_ID)
    channels = client.get("/api/discover_channels?count=2").get_json()
    assert len(channels) == 2
    assert all(set(c) == {"channel_id", "channel_name", "romanized"} for c in channels)


def test_daily_featured_is_stable_for_a_day(client: FlaskClient, archive: list[Any]) -> None:
    first = client.get("/api/daily_featured_videos").get_json()
    assert len(first) == 2 and first[0] != first[1]
    assert client.get("/api/daily_featured_videos").get_json() == first


def test_daily_featured_picks_depend_only_on_the_date(db: Database, archive: list[Any]) -> None:
    day = date(2024, 5, 1)
    assert videos.daily_featured(db, day) == videos.daily_featured(db, day)
    picks = {
        tuple(v.video_id for v in videos.daily_featured(db, date(2024, 5, d))) for d in range(1, 29)
    }
    assert len(picks) > 1


def test_popular_follows_view_counts(client: FlaskClient, archive: list[Any]) -> None:
    for video_id, views in (("bbbbbbbbbb1", 3), ("aaaaaaaaaa1", 1)):
        for _ in range(views):
            client.get(f"/api/database/video_data/{video_id}", headers={"User-Agent": "Firefox"})
    body = client.get("/api/popular").get_json()
    assert [v["video_id"] for v in body] == ["bbbbbbbbbb1", "aaaaaaaaaa1"]


def test_bots_do_not_count_as_views(client: FlaskClient, db: Database, archive: list[Any]) -> None:
    client.get("/api/database/video_data/aaaaaaaaaa1", headers={"User-Agent": "Googlebot/2.1"})
    assert videos.view_count(db, "aaaaaaaaaa1") == 0
    client.get("/api/database/video_data/aaaaaaaaaa1", headers={"User-Agent": "Mozilla/5.0"})
    assert videos.view_count(db, "aaaaaaaaaa1") == 1


def test_channel_pages_newest_first_with_correct_page_count(
    client: FlaskClient, db: Database, tmp_path: Path, cli_env: dict[str, str]
) -> None:
    rng = random.Random(7)
    samples = [
        info(
            f"ch{n:04d}",
            f"Video {n}",
            channel_id="UCbig",
            channel="Big",
            upload_date=f"2020{rng.randint(1, 3):02d}{rng.randint(1, 5):02d}",
        )
        for n in range(31)
    ]
    write_samples(tmp_path / "big", samples)
    assert CliRunner().invoke(cli, ["import", str(tmp_path / "big")], env=cli_env).exit_code == 0
    per_page = 14
    seen: list[str] = []
    for page in (1, 2, 3):
        body = client.get(f"/api/channel/UCbig?page={page}").get_json()
        assert body["pages"] == math.ceil(31 / per_page) == 3
        seen += [v["upload_date"] + v["video_id"] for v in body["results"]]
    # Every video exactly once across pages, ordered by upload date (ties stable).
    assert len(seen) == 31 and len(set(seen)) == 31
    assert [s[:10] for s in seen] == sorted((s[:10] for s in seen), reverse=True)
    past_end = client.get("/api/channel/UCbig?page=9").get_json()
    assert past_end == {"pages": 3, "results": []}
    unknown = client.get("/api/channel/UCnobody")
    assert unknown.status_code == 404
    # The empty page's shape too: the frontend maps "results" whatever the status.
    assert unknown.get_json() == {"error": "Channel ID does not exist", "pages": 0, "results": []}


def test_channel_name_with_aliases(client: FlaskClient, archive: list[Any]) -> None:
    body = client.get("/api/channel_name?channel_id=UCsuisei0000000000000000").get_json()
    assert body["channel_name"] == "Suisei Channel"
    assert sorted(body["aliases"]) == ["Suisei Channel", "星街すいせい"]
    assert "description" in body
    marine = client.get("/api/channel_name?channel_id=UCmarine00000000000000000").get_json()
    assert set(marine["aliases"]) == {"Marine Ch.", "Marine Ch. 宝鐘マリン"}
    missing = client.get("/api/channel_name?channel_id=nobody")
    assert missing.status_code == 404
    assert client.get("/api/channel_name").status_code == 400


def test_search_matches_title_romaji_and_channel(client: FlaskClient, archive: list[Any]) -> None:
    def ids(q: str) -> set[str]:
        body = client.get("/api/search/results", query_string={"q": q}).get_json()
        return {v["video_id"] for v in body["results"]}

    assert ids("夜に駆ける") == {"aaaaaaaaaa1"}
    assert ids("yoru ni") == {"aaaaaaaaaa1"}
    assert ids("STELLAR") == {"aaaaaaaaaa2"}
    assert ids("marine idol") == {"bbbbbbbbbb1"}
    assert ids("千本桜") == {"BV1xx411c7mD"}
    assert ids("100%") == set()
    assert ids("a_b") == set()
    body = client.get("/api/search/results?q=").get_json()
    assert body["pages"] == 1 and len(body["results"]) == len(archive)


def test_search_counts_pages_with_a_ceiling(
    client: FlaskClient, tmp_path: Path, cli_env: dict[str, str]
) -> None:
    write_samples(tmp_path / "many", [info(f"s{n:03d}", f"Song number {n}") for n in range(15)])
    assert CliRunner().invoke(cli, ["import", str(tmp_path / "many")], env=cli_env).exit_code == 0
    first = client.get("/api/search/results?q=song&page=1").get_json()
    second = client.get("/api/search/results?q=song&page=2").get_json()
    assert first["pages"] == second["pages"] == 2  # 15 hits, 14 a page: the original said 1
    assert len(first["results"]) == 14 and len(second["results"]) == 1
    ids = {v["video_id"] for v in first["results"] + second["results"]}
    assert len(ids) == 15


def test_channel_search(client: FlaskClient, archive: list[Any]) -> None:
    body = client.get("/api/search/channel?q=marine").get_json()
    assert body["pages"] == 1
    assert [c["channel_id"] for c in body["results"]] == ["UCmarine00000000000000000"]
    item = body["results"][0]
    assert {"channel_id", "channel_name", "description"} <= set(item)
    # As in the original, "description" carries the romanized name.
    assert item["description"] == item["romanized_name"]
    bili = client.get("/api/search/channel?q=BILIBILI").get_json()
    assert [c["channel_id"] for c in bili["results"]] == ["12345"]


def test_file_data_reports_the_imported_file(client: FlaskClient, archive: list[Any]) -> None:
    for sample in archive:
        size = len(video_bytes(sample["id"]))
        assert client.get(f"/api/database/file_data/{sample['id']}").get_json() == {
            "file_size": round(size / 1024 / 1024, 2),
            "file_size_units": "MB",
            "file_type": "webm",
            "video_id": sample["id"],
        }
    assert client.get("/api/database/file_data/nope").status_code == 404


def test_video_data_is_the_stored_info_json(client: FlaskClient, archive: list[Any]) -> None:
    sample = BY_ID["aaaaaaaaaa1"]
    data = client.get("/api/database/video_data/aaaaaaaaaa1").get_json()
    assert data.pop("archive_availability")["state"] == "unknown"  # Patchwork's, added
    size_mb = round(len(video_bytes("aaaaaaaaaa1")) / 1024 / 1024, 2)
    captions = "http://localhost/media/captions/aaaaaaaaaa1/aaaaaaaaaa1.en"
    assert data == {
        **sample,
        "_type": "video",  # the sample, like many old downloads, has none
        "file_ext": "webm",
        "file_size": size_mb,
        "file_size_units": "MB",
        # The import stored the sample's .en.vtt: offered as the frontend fetches it.
        "subtitles": {
            "en": [
                {"ext": "srv3", "url": f"{captions}.srv3"},
                {"ext": "vtt", "url": f"{captions}.vtt"},
            ]
        },
    }
    assert client.get("/api/database/video_data/nope").status_code == 404


def test_video_data_falls_back_to_the_database(
    app: Flask, client: FlaskClient, archive: list[Any]
) -> None:
    state = app_state(app)
    state.storage.delete(file_key(state.db, "aaaaaaaaaa1", "metadata"))
    data = client.get("/api/database/video_data/aaaaaaaaaa1").get_json()
    sample = BY_ID["aaaaaaaaaa1"]
    assert data.pop("archive_availability")["state"] == "unknown"  # Patchwork's, added
    assert data == {
        "_type": "video",
        "subtitles": data["subtitles"],  # tests/api/test_frontend_reads.py checks them
        "channel": sample["channel"],
        "channel_id": sample["channel_id"],
        "description": sample["description"],
        "file_ext": "webm",
        "file_size": round(len(video_bytes("aaaaaaaaaa1")) / 1024 / 1024, 2),
        "file_size_units": "MB",
        "title": sample["title"],
        "upload_date": "2023-01-05",
        "video_id": "aaaaaaaaaa1",
    }


def test_storage_status(client: FlaskClient, db: Database, archive: list[Any]) -> None:
    body = client.get("/api/storage/status").get_json()
    stored_bytes = 0
    with db.reading() as session:
        stored_bytes = sum(session.scalars(select(StoredFile.size_bytes)))
    assert stored_bytes > sum(len(video_bytes(s["id"])) for s in archive)
    assert body == {
        "most_recent_archived_video_date": "2024-03-10",
        "most_recent_archived_at": body["most_recent_archived_at"],
        "number_of_channels": 3,
        "number_of_files": len(archive),
        "storage_size": round(stored_bytes / 1024 / 1024, 2),
        "units": "MB",
    }


def test_worker_status_shape(client: FlaskClient, db: Database) -> None:
    with db.transaction() as session:
        session.add(Worker(name="w1", status="Idle", last_seen_at=utcnow()))
    body = client.get("/api/status").get_json()
    (worker,) = body["workers"]
    assert worker["name"] == "w1" and worker["status"] == "Idle" and worker["online"] is True
    assert len(worker["timestamp"]) >= 19 and worker["timestamp"][4] == "-"


def test_database_status(client: FlaskClient) -> None:
    response = client.get("/api/database/status")
    assert response.status_code == 200 and response.get_data(as_text=True) == "OK"
