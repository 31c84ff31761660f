"""Bad input answers a 4xx JSON error (or a correct empty result), never a 500."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from patchwork.archive.ingest.info_json import ingest_metadata, parse_info
from patchwork.db import Database
from support.archive_samples import SAMPLES

PAGED = [
    "/api/channel/UCsuisei0000000000000000",
    "/api/search/results?q=a",
    "/api/search/channel?q=a",
]
COUNTED = ["/api/discover_videos", "/api/discover_channels"]
BAD_NUMBERS = ["abc", "0", "-3", "1.5", "", "9" * 5000, "10000000000000"]


@pytest.fixture
def one_video(db: Database) -> None:
    ingest_metadata(db, parse_info(SAMPLES[0]))


def _is_clean_error(response) -> bool:  # type: ignore[no-untyped-def]
    body = response.get_json()
    return 400 <= response.status_code < 500 and isinstance(body, dict) and body.get("error")


@pytest.mark.parametrize("path", PAGED)
@pytest.mark.parametrize("page", BAD_NUMBERS)
def test_bad_page(client: FlaskClient, one_video: None, path: str, page: str) -> None:
    sep = "&" if "?" in path else "?"
    response = client.get(f"{path}{sep}page={page}")
    if page == "":
        assert response.status_code == 200  # an empty page parameter means page 1
    else:
        assert _is_clean_error(response), (page, response.status_code, response.data[:200])


@pytest.mark.parametrize("path", COUNTED)
@pytest.mark.parametrize("count", ["abc", "0", "-3", "10000", "9" * 5000])
def test_bad_count(client: FlaskClient, one_video: None, path: str, count: str) -> None:
    assert _is_clean_error(client.get(f"{path}?count={count}"))


@pytest.mark.parametrize("path", ["/api/search/results", "/api/search/channel"])
def test_missing_or_huge_query(client: FlaskClient, one_video: None, path: str) -> None:
    assert _is_clean_error(client.get(path))
    assert _is_clean_error(client.get(path, query_string={"q": "x" * 10_000}))
    assert _is_clean_error(
        client.get(path, query_string={"q": " ".join("ab" * 1 for _ in range(50))})
    )


@pytest.mark.parametrize(
    "q", ["(", "[a-z]+", "\\", "%", "_", "'; DROP TABLE videos; --", "\x00", "🎤", "　", "％"]
)
def test_hostile_queries_are_searched_literally(
    client: FlaskClient, one_video: None, q: str
) -> None:
    response = client.get("/api/search/results", query_string={"q": q})
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"pages", "pages_capped", "results"}
    if q in ("\x00", "　"):  # only blanks: a blank query lists everything, as the original
        assert body["pages"] == 1 and len(body["results"]) == 1
    else:  # none of these occurs in the sample's title, channel or romaji
        assert body == {"pages": 0, "pages_capped": False, "results": []}


@pytest.mark.parametrize(
    "path",
    [
        "/api/video/nope",
        "/api/database/video_data/nope",
        "/api/database/file_data/nope",
        "/api/channel/nope",
        "/api/channel_name?channel_id=nope",
        "/api/no/such/route",
        "/api/video/" + "x" * 3000,
    ],
)
def test_unknown_ids_are_404_json(client: FlaskClient, one_video: None, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.is_json and response.get_json()["error"]


def test_wrong_method_is_405_json(client: FlaskClient) -> None:
    response = client.delete("/api/recently_archived")
    assert response.status_code == 405
    assert response.get_json() == {"error": "Method not allowed"}


def test_database_down_is_503_not_500(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from patchwork.app import create_app
    from patchwork.config import Settings

    app = create_app(
        Settings(
            instance_path=tmp_path,
            database_url="mysql+pymysql://nobody@127.0.0.1:1/nothing",
            storage_url=f"file://{tmp_path}/archive",
        )
    )
    client = app.test_client()
    status = client.get("/api/database/status")
    assert status.status_code == 503 and status.get_json() == {"error": "Database unavailable"}
    video = client.get("/api/video/abc")
    assert video.status_code == 503 and video.get_json() == {"error": "Database unavailable"}
