"""The counts the read path answers from stay equal to what the rows say (issue 17): each
channel's names and video counts, and videos per availability state and reason, through
inserts, renames, deletes, observations, concurrent writers and ``patchwork db recount``."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select, update

from patchwork.archive.availability.observations import CheckReport, record_observation
from patchwork.archive.availability.policy import DEFAULT_POLICY
from patchwork.archive.availability.reasons import Outcome
from patchwork.archive.availability.totals import lost_reasons, state_totals
from patchwork.archive.catalog.channel_names import channel_counts
from patchwork.archive.ingest.info_json import ingest_metadata, parse_info
from patchwork.cli import cli
from patchwork.db import Database
from patchwork.db.models import ChannelName, Video, VideoAvailability
from support.archive_samples import info

CHANNEL = "UCcounted000000000000000"
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _ingest(db: Database, video_id: str, channel_name: str, channel: str = CHANNEL) -> None:
    ingest_metadata(
        db, parse_info(info(video_id, f"song {video_id}", channel_id=channel, channel=channel_name))
    )


def _names_from_rows(db: Database) -> dict[tuple[str, str], tuple[int, int]]:
    """What ``channel_names`` must hold: the oracle, grouped in Python by the exact name."""
    expected: dict[tuple[str, str], tuple[int, int]] = {}
    with db.reading() as session:
        for channel_id, name, row in session.execute(
            select(Video.channel_id, Video.channel_name, Video.id)
        ):
            count, newest = expected.get((channel_id, name), (0, 0))
            expected[(channel_id, name)] = (count + 1, max(newest, row))
    return expected


def _names_kept(db: Database) -> dict[tuple[str, str], tuple[int, int]]:
    with db.reading() as session:
        return {
            (c, n): (int(count), int(newest))
            for c, n, count, newest in session.execute(
                select(
                    ChannelName.channel_id,
                    ChannelName.name,
                    ChannelName.video_count,
                    ChannelName.newest_video_row,
                )
            )
        }


def test_channel_names_follow_inserts_renames_and_deletes(db: Database) -> None:
    for n in range(3):
        _ingest(db, f"count{n:07d}", "Old Name")
    _ingest(db, "count0000009", "other", channel="UCother00000000000000000")
    assert _names_kept(db) == _names_from_rows(db)
    _ingest(db, "count0000001", "New Name")  # re-archived after the channel's rename
    _ingest(db, "count0000003", "New Name")
    assert _names_kept(db) == _names_from_rows(db)
    with db.reading() as session:
        counts = channel_counts(session, CHANNEL)
    assert counts.video_count == 4
    assert counts.aliases == ["New Name", "Old Name"]  # most recently used first
    with db.transaction() as session:
        for video in session.scalars(select(Video).where(Video.channel_name == "Old Name")):
            session.delete(video)
    assert _names_kept(db) == _names_from_rows(db)
    with db.reading() as session:
        assert channel_counts(session, CHANNEL).aliases == ["New Name"]


def test_concurrent_writers_of_one_new_name_count_every_video(db: Database) -> None:
    """Two writers creating videos under one name no row existed for yet: no count lost."""
    barrier = threading.Barrier(2)
    failures: list[BaseException] = []

    def write(first: int) -> None:
        try:
            barrier.wait()
            for n in range(first, first + 10):
                _ingest(db, f"race{n:08d}", "Racing Name")
        except BaseException as exc:  # reported by the test, not lost in the thread
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(start,)) for start in (0, 100)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    assert _names_kept(db) == _names_from_rows(db)
    with db.reading() as session:
        assert channel_counts(session, CHANNEL).video_count == 20


def _states_from_rows(db: Database) -> dict[str, int]:
    with db.reading() as session:
        found = dict.fromkeys(state_totals(session), 0)
        for state, count in session.execute(
            select(VideoAvailability.state, func.count()).group_by(VideoAvailability.state)
        ):
            found[state] = int(count)
        return found


def test_availability_counts_follow_observations(db: Database) -> None:
    for n in range(4):
        _ingest(db, f"avail{n:06d}", "Singer")
    seen = [
        ("avail000000", Outcome.AVAILABLE, None),
        ("avail000001", Outcome.UNAVAILABLE, "private"),
        ("avail000002", Outcome.UNAVAILABLE, "not-found"),
    ]
    for day in range(DEFAULT_POLICY.confirmations):
        with db.transaction() as session:
            for video_id, outcome, reason in seen:
                report = CheckReport(outcome, reason)
                when = NOW + timedelta(days=day)
                record_observation(session, video_id, report, DEFAULT_POLICY, when)
    with db.reading() as session:
        assert state_totals(session) == _states_from_rows(db)
        assert lost_reasons(session) == {"private": 1, "not-found": 1}
    with db.transaction() as session:  # the private one comes back
        for day in range(DEFAULT_POLICY.confirmations):
            report = CheckReport(Outcome.AVAILABLE)
            when = NOW + timedelta(days=10 + day)
            record_observation(session, "avail000001", report, DEFAULT_POLICY, when)
    with db.reading() as session:
        assert state_totals(session) == _states_from_rows(db)
        assert lost_reasons(session) == {"not-found": 1}


def test_db_recount_repairs_rows_changed_around_patchwork(
    db: Database, cli_env: dict[str, str], tmp_path: Path
) -> None:
    for n in range(3):
        _ingest(db, f"manual{n:05d}", "Before")
    with db.transaction() as session:  # manual SQL: neither count is told
        session.execute(update(Video).values(channel_name="After"))
        session.execute(update(VideoAvailability).values(state="unavailable", reason="private"))
    assert _names_kept(db) != _names_from_rows(db)
    result = CliRunner().invoke(cli, ["db", "recount"], env=cli_env)
    assert result.exit_code == 0, result.output
    assert "Recounted 1 channel names" in result.output
    assert _names_kept(db) == _names_from_rows(db)
    with db.reading() as session:
        assert lost_reasons(session) == {"private": 3}
        assert state_totals(session) == _states_from_rows(db)
