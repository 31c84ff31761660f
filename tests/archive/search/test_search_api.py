"""Search through HTTP: filters, sorts, tiers, capped counts, bad input, and reindexing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy import insert, select, update

from patchwork.archive.search import postings
from patchwork.archive.search import service as search_service
from patchwork.cli import cli
from patchwork.db import Database
from patchwork.db.models import Video, VideoTerm


def add(db: Database, key: str, title: str, channel: str, day: date | None) -> None:
    with db.transaction() as session:
        session.add(
            Video(
                video_id=key,
                title=title,
                channel_id=f"c-{channel}",
                channel_name=channel,
                upload_date=day,
            )
        )


def ids(client: FlaskClient, **params: str) -> list[str]:
    body = client.get("/api/search/results", query_string=params).get_json()
    return [v["video_id"] for v in body["results"]]


def test_title_matches_come_before_channel_matches(client: FlaskClient, db: Database) -> None:
    add(db, "old-title", "Aurora song", "Someone", date(2019, 1, 1))
    add(db, "new-channel", "Untitled", "Aurora Band", date(2024, 1, 1))
    add(db, "new-title", "Aurora remix", "Someone", date(2023, 1, 1))
    assert ids(client, q="aurora") == ["new-title", "old-title", "new-channel"]
    assert ids(client, q="aurora", sort="newest") == ["new-channel", "new-title", "old-title"]
    assert ids(client, q="aurora", sort="oldest") == ["old-title", "new-title", "new-channel"]
    assert ids(client, q="aurora", channel_id="c-Someone") == ["new-title", "old-title"]
    assert ids(client, q="aurora", **{"from": "2020-01-01", "to": "2023-12-31"}) == ["new-title"]


@pytest.mark.parametrize(
    "params",
    [{"sort": "best"}, {"from": "2020-13-01"}, {"to": "yesterday"}, {"from": "2020-1-1"}],
)
def test_bad_parameters_are_400(client: FlaskClient, db: Database, params: dict[str, str]) -> None:
    response = client.get("/api/search/results", query_string={"q": "a", **params})
    assert response.status_code == 400 and response.get_json()["error"]


def test_pages_are_capped_beyond_the_count_cap(
    client: FlaskClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(postings, "COUNT_CAP", 20)
    for n in range(30):
        add(db, f"v{n:02d}", f"Common word {n}", "Chan", date(2020, 1, 1) + timedelta(days=n))
    body = client.get("/api/search/results", query_string={"q": "common"}).get_json()
    assert body["pages_capped"] is True and body["pages"] == 2  # 20 reachable, 14 a page
    assert [v["video_id"] for v in body["results"]][:2] == ["v29", "v28"]
    exact = client.get("/api/search/results", query_string={"q": "word 2"}).get_json()
    assert exact["pages_capped"] is False and exact["pages"] == 1  # "2", "20" … "29"
    assert len(exact["results"]) == 11
    past = client.get("/api/search/results", query_string={"q": "common", "page": 3}).get_json()
    assert past["results"] == [] and past["pages_capped"] is True


def test_reindex_rebuilds_a_lost_index(
    client: FlaskClient, db: Database, cli_env: dict[str, str]
) -> None:
    add(db, "kept", "夜に駆ける Racing into the night", "YOASOBI", date(2020, 1, 1))
    with db.engine.begin() as connection:  # rows written behind the ORM's back
        connection.execute(VideoTerm.__table__.delete())
        connection.execute(update(Video).values(search_title=None, search_channel=None))
        connection.execute(
            insert(Video).values(
                video_id="bulk", title="Bulk 夜景", channel_id="c", channel_name="YOASOBI"
            )
        )
    assert ids(client, q="夜") == []
    result = CliRunner().invoke(cli, ["search", "reindex"], env=cli_env)
    assert result.exit_code == 0, result.output
    assert "Indexed 2 videos" in result.output
    assert ids(client, q="夜") == ["kept", "bulk"]
    assert ids(client, q="racing night") == ["kept"]
    with db.engine.connect() as connection:
        assert connection.scalar(select(VideoTerm.term).where(VideoTerm.term == "夜景"))


def test_reindex_writes_the_postings_the_orm_wrote(db: Database) -> None:
    """The bulk rebuild (statements rendered by hand on MySQL) and the per-row hook agree."""
    titles = [
        ("q1", "It's 100% \\ back\\slash 'quoted' \"double\"", "O'Brien \\ Co"),
        ("q2", "夜に駆ける／群青 🎤 MV", "ヨアソビ YOASOBI"),
        ("q3", "ＦＵＬＬ ｗｉｄｔｈ ｶﾀｶﾅ %_%", "Ｃｈａｎ"),
        ("q4", "x" * 80 + " 千本桜", "%s %(name)s ?"),
    ]
    for n, (key, title, channel) in enumerate(titles):
        add(db, key, title, channel, date(2020, 1, 1) + timedelta(days=n) if n % 2 else None)

    def snapshot() -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
        with db.engine.connect() as connection:
            terms = connection.execute(
                select(VideoTerm.video_id, VideoTerm.term, VideoTerm.in_title, VideoTerm.rank)
            ).all()
            texts = connection.execute(
                select(Video.id, Video.search_title, Video.search_channel)
            ).all()
        return sorted(tuple(r) for r in terms), sorted(tuple(r) for r in texts)

    written_by_orm = snapshot()
    assert written_by_orm[0]
    assert search_service.rebuild_index(db) == len(titles)
    assert snapshot() == written_by_orm
