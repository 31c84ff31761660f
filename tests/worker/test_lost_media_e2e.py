"""Acceptance (issue 16), on loopback only: three videos archived from a local site, then one
page answers 404, one changes its title, one stays; ``patchwork availability check`` and
``patchwork worker --once`` (a real process) find the first gone after two checks, keep the
second's old title in its history, leave the third available; a 429 changes nothing."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from patchwork.cli import cli
from patchwork.db import Database
from patchwork.db.models import AvailabilityCheck, Video, VideoAvailability, VideoVersion
from support.worker_fixtures import MP4, WEBM, LiveServer, Source, page_with_video
from support.worker_process import finish, start_worker


def availability(cli_env: dict[str, str], *args: str) -> str:
    """``patchwork availability ARGS``, in process (the worker is the real process here)."""
    result = CliRunner().invoke(cli, ["availability", *args], env=cli_env)
    assert result.exit_code == 0, result.output
    return result.output


def _ids(db: Database, source: Source) -> dict[str, str]:
    with db.reading() as session:
        rows = session.execute(select(Video.source_url, Video.video_id)).all()
    return {url.rsplit("/", 1)[-1].removesuffix(".html"): video_id for url, video_id in rows}


def _state(db: Database, video_id: str) -> tuple[str, str | None]:
    with db.reading() as session:
        row = session.get(VideoAvailability, video_id)
        assert row is not None
        return row.state, row.reason


def _work(live: LiveServer, tmp_path: Path) -> str:
    code, output = finish(start_worker(live, tmp_path / "work", "checker"))
    assert code == 0, output
    return output


def test_gone_renamed_and_kept_videos_after_checks_by_a_real_worker(
    live: LiveServer, source: Source, db: Database, cli_env: dict[str, str], tmp_path: Path
) -> None:
    for name, media, data in (
        ("gone", "webm", WEBM),
        ("renamed", "mp4", MP4),
        ("kept", "webm", WEBM),
    ):
        page_with_video(source, name, media, data)
        live.enqueue(source.url(f"/p/{name}.html"))
    _work(live, tmp_path)
    ids = _ids(db, source)
    assert sorted(ids) == ["gone", "kept", "renamed"]
    assert {_state(db, v) for v in ids.values()} == {("unknown", None)}
    with db.reading() as session:
        archived_title = session.scalars(
            select(Video.title).where(Video.video_id == ids["renamed"])
        ).one()
    # yt-dlp's generic extractor names the page's first <video> "<title> (1)".
    new_title = archived_title.replace("Song renamed", "Song renamed (2026 remaster)")
    assert new_title != archived_title

    # The site changes: one page is gone, one has a new title, one stays as it was.
    del source.files["/p/gone.html"]
    source.files["/p/renamed.html"] = source.files["/p/renamed.html"].replace(
        b"<title>Song renamed</title>", b"<title>Song renamed (2026 remaster)</title>"
    )
    availability(cli_env, "check", *ids.values())
    _work(live, tmp_path)
    assert _state(db, ids["gone"]) == ("unknown", None)  # one answer is not enough
    assert _state(db, ids["renamed"]) == ("available", None)
    assert _state(db, ids["kept"]) == ("available", None)
    with db.reading() as session:
        title = session.scalars(select(Video.title).where(Video.video_id == ids["renamed"])).one()
        versions = session.execute(
            select(VideoVersion.version, VideoVersion.title, VideoVersion.changed)
            .where(VideoVersion.video_id == ids["renamed"])
            .order_by(VideoVersion.version)
        ).all()
    assert title == new_title
    assert [tuple(v) for v in versions] == [(1, archived_title, None), (2, new_title, "title")]
    assert live.get(f"/api/video/{ids['renamed']}").json()["title"] == title
    shown = availability(cli_env, "show", ids["renamed"])
    assert f"(archived): {archived_title}\n" in shown

    # The second definitive answer about the first page, then a 429 from the third's: one
    # worker takes both in the order they were asked for, and stops after the 429 (--once).
    with db.reading() as session:
        before = session.get(VideoAvailability, ids["kept"])
        assert before is not None
        since = before.since
    source.statuses["/p/kept.html"] = 429
    availability(cli_env, "check", ids["gone"])
    availability(cli_env, "check", ids["kept"])
    output = _work(live, tmp_path)
    assert "bot check" in output
    assert _state(db, ids["gone"]) == ("unavailable", "not-found")
    lost = availability(cli_env, "lost")
    assert lost.startswith("1 lost videos") and ids["gone"] in lost
    with db.reading() as session:
        after = session.get(VideoAvailability, ids["kept"])
        assert after is not None
        assert (after.state, after.reason, after.since) == ("available", None, since)
        seen = session.execute(
            select(AvailabilityCheck.outcome, AvailabilityCheck.reason)
            .where(AvailabilityCheck.video_id == ids["kept"])
            .order_by(AvailabilityCheck.id)
        ).all()
    assert [tuple(s) for s in seen] == [("available", None), ("inconclusive", "rate-limited")]
