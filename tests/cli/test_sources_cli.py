"""``patchwork sources add|list|show|pause|resume|remove|scan``, and ``add --from-file``."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import select

from patchwork.archive.queue.states import JobMode
from patchwork.archive.sources import catalog, listing
from patchwork.cli import cli
from patchwork.db import Database
from patchwork.db.models import Job, Source

ALPHA = "UCaaaaaaaaaaaaaaaaaaaaaa"
BRAVO = "UCbbbbbbbbbbbbbbbbbbbbbb"
VIDEO = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"


def run(cli_env: dict[str, str], *args: str, answer: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["sources", *args], env=cli_env, input=answer)


def channel(channel_id: str) -> str:
    return f"https://www.youtube.com/channel/{channel_id}"


def one_line_error(result: Result, code: int = 1) -> str:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output and len(result.stderr.splitlines()) == 1
    return result.stderr


def test_add_with_every_option_then_show_and_list(cli_env: dict[str, str], db: Database) -> None:
    added = run(
        cli_env, "add", "https://www.youtube.com/@Someone/videos", "--name", "Someone",
        "--every", "1d12h", "--first", "50", "--include", "^Ep", "--exclude", "trailer",
        "--min-duration", "1m", "--max-duration", "2h", "--after", "2024-03-01",
        "--skip-shorts", "--skip-live", "--keep-upcoming", "--max-height", "720",
        "--no-auto-captions",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    (info,) = catalog.list_sources(db)
    assert added.stdout.startswith(f"Added source {info.id} 'Someone': ")
    shown = json.loads(run(cli_env, "show", str(info.id), "--json").stdout)
    assert shown == listing.describe(catalog.get_source(db, info.id))
    assert shown["url"] == "https://www.youtube.com/@someone/videos"
    assert (shown["scan_every_seconds"], shown["first_scan_limit"]) == (36 * 3600, 50)
    assert shown["filters"] == {
        "title_include": "^Ep", "title_exclude": "trailer", "min_duration": 60,
        "max_duration": 7200, "uploaded_after": "2024-03-01", "skip_shorts": True,
        "skip_live": True, "skip_upcoming": False,
    }  # fmt: skip
    assert shown["options"] == {"max_height": 720, "auto_captions": False}

    text = run(cli_env, "show", str(info.id)).stdout
    for line in ("scan every:      1d12h", "title include:   ^Ep", "min duration:    1m",
                 "skip:            shorts, live", "max height:      720", "auto captions:   no",
                 "first scan:      the 50 newest", "last scan:       never"):  # fmt: skip
        assert line in text, text

    listed = run(cli_env, "list")
    assert listed.exit_code == 0
    header, row = listed.stdout.splitlines()
    assert "found/queued/archived/failed" in header
    assert row.split()[:4] == [str(info.id), "Someone", "enabled", "1d12h"]
    assert "0/0/0/0" in row
    assert json.loads(run(cli_env, "list", "--json").stdout) == [shown]


def test_the_defaults_of_add_and_an_empty_list(cli_env: dict[str, str], db: Database) -> None:
    assert run(cli_env, "list").stdout == "No sources. Follow one with: patchwork sources add URL\n"
    assert json.loads(run(cli_env, "list", "--json").stdout) == []
    assert run(cli_env, "add", channel(ALPHA), "--paused", "--all").exit_code == 0
    (info,) = catalog.list_sources(db)
    assert (info.scan_every_seconds, info.enabled, info.first_scan_limit) == (6 * 3600, False, None)
    assert info.filters.skip_upcoming and not info.filters.skip_shorts
    assert info.options.auto_captions is None and info.options.max_height is None
    assert run(cli_env, "list").stdout.splitlines()[1].split()[2] == "paused"


def test_refusals_are_one_line_never_a_traceback(cli_env: dict[str, str], db: Database) -> None:
    assert run(cli_env, "add", channel(ALPHA)).exit_code == 0
    (first,) = catalog.list_sources(db)
    again = one_line_error(run(cli_env, "add", f"http://youtube.com/channel/{ALPHA}/"))
    assert f"source {first.id} already follows {channel(ALPHA)}" in again
    assert "one video" in one_line_error(run(cli_env, "add", VIDEO))
    assert "not a valid regular expression" in one_line_error(
        run(cli_env, "add", channel(BRAVO), "--include", "(")
    )
    assert "scan interval" in one_line_error(run(cli_env, "add", channel(BRAVO), "--every", "5s"))
    assert "longer than" in one_line_error(
        run(cli_env, "add", channel(BRAVO), "--min-duration", "2h", "--max-duration", "1h")
    )
    for usage in (
        ["add"],
        ["add", channel(BRAVO), "--from-file", "x.txt"],
        ["add", channel(BRAVO), "--every", "soon"],
        ["add", channel(BRAVO), "--after", "yesterday"],
        ["add", channel(BRAVO), "--first", "5", "--all"],
        ["show", "0"],
        ["scan"],
        ["scan", "1", "--all"],
    ):
        assert one_line_error(run(cli_env, *usage), code=2), usage
    for command in ("show", "pause", "resume", "remove", "scan"):
        assert one_line_error(run(cli_env, command, "999999")) == "Error: no source 999999\n"
    assert [info.url for info in catalog.list_sources(db)] == [channel(ALPHA)]


def test_pause_resume_and_remove_with_and_without_confirmation(
    cli_env: dict[str, str], db: Database
) -> None:
    run(cli_env, "add", channel(ALPHA))
    (info,) = catalog.list_sources(db)
    sid = str(info.id)
    assert run(cli_env, "pause", sid).stdout == f"Source {sid} paused.\n"
    assert not catalog.get_source(db, info.id).enabled
    assert run(cli_env, "resume", sid).stdout.startswith(f"Source {sid} resumed; next scan ")
    assert catalog.get_source(db, info.id).enabled

    declined = run(cli_env, "remove", sid, answer="n\n")
    assert declined.exit_code == 1 and "Remove source" in declined.output
    assert catalog.get_source(db, info.id).id == info.id
    confirmed = run(cli_env, "remove", sid, answer="y\n")
    assert confirmed.exit_code == 0 and f"Source {sid} removed." in confirmed.stdout
    assert catalog.list_sources(db) == []

    run(cli_env, "add", channel(BRAVO))
    (other,) = catalog.list_sources(db)
    assert run(cli_env, "remove", str(other.id), "--yes").stdout == f"Source {other.id} removed.\n"
    assert catalog.source_totals(db) == {"enabled": 0, "paused": 0, "due": 0}


def test_scan_prints_the_scan_jobs_and_never_queues_a_second(
    cli_env: dict[str, str], db: Database
) -> None:
    for url in (channel(ALPHA), channel(BRAVO), "https://www.youtube.com/@paused"):
        run(cli_env, "add", url, *(["--paused"] if "paused" in url else []))
    alpha, bravo, paused = catalog.list_sources(db)
    one = run(cli_env, "scan", str(alpha.id))
    assert one.exit_code == 0, one.output
    job_id = catalog.get_source(db, alpha.id).scan_job_id
    assert one.stdout == f"Source {alpha.id}: scan job {job_id}\n"

    every = run(cli_env, "scan", "--all", "--full", "--retry-failed")
    bravo_job = catalog.get_source(db, bravo.id).scan_job_id
    assert every.stdout.splitlines() == [
        f"Source {alpha.id}: scan job {job_id}",  # still waiting: the same job
        f"Source {bravo.id}: scan job {bravo_job}",
    ]
    with db.reading() as session:
        # What was asked for is given to the scans, the waiting one included.
        flags = session.execute(
            select(Source.scan_full, Source.scan_retry_failed).order_by(Source.id)
        ).all()
        assert [tuple(f) for f in flags] == [(True, True), (True, True), (False, False)]
        scans = session.execute(select(Job.id, Job.mode, Job.target).order_by(Job.id)).all()
    assert [(j, m) for j, m, _ in scans] == [(job_id, JobMode.SCAN), (bravo_job, JobMode.SCAN)]
    assert f"source:{paused.id}" not in {t for _, _, t in scans}
    # A paused source asked by id is scanned: the operator named it.
    assert run(cli_env, "scan", str(paused.id)).exit_code == 0
    assert catalog.get_source(db, paused.id).scan_job_id is not None


def test_from_file_adds_takeout_and_opml_channels_once(
    cli_env: dict[str, str], db: Database, tmp_path: Path
) -> None:
    takeout = tmp_path / "subscriptions.csv"
    takeout.write_text(
        "Channel Id,Channel Url,Channel Title\n"
        f"{ALPHA},http://www.youtube.com/channel/{ALPHA},Alpha\n"
        f"{BRAVO},http://www.youtube.com/channel/{BRAVO},Bravo\n"
    )
    opml = tmp_path / "subscriptions.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="1.1"><body><outline text="YouTube">'
        f'<outline title="Bravo feed" xmlUrl="https://www.youtube.com/feeds/videos.xml?channel_id={BRAVO}"/>'
        '<outline title="A feed" xmlUrl="https://feeds.example/videos.xml"/>'
        "</outline></body></opml>"
    )  # fmt: skip
    first = run(cli_env, "add", "--from-file", str(takeout), "--every", "12h", "--skip-shorts")
    assert first.exit_code == 0, first.output
    alpha, bravo = catalog.list_sources(db)
    assert first.stdout.splitlines() == [
        f"added  source {alpha.id}  {channel(ALPHA)}  Alpha",
        f"added  source {bravo.id}  {channel(BRAVO)}  Bravo",
        "2 added, 0 already followed, 0 not added.",
    ]
    assert bravo.scan_every_seconds == 12 * 3600 and bravo.filters.skip_shorts
    second = run(cli_env, "add", "--from-file", str(opml))
    assert second.exit_code == 0, second.output
    lines = second.stdout.splitlines()
    assert lines[0] == f"already followed  source {bravo.id}  " + (
        f"https://www.youtube.com/feeds/videos.xml?channel_id={BRAVO}"
    )
    assert lines[-1] == "1 added, 1 already followed, 0 not added."
    again = run(cli_env, "add", "--from-file", str(takeout))
    assert again.exit_code == 0
    assert again.stdout.splitlines()[-1] == "0 added, 2 already followed, 0 not added."
    assert len(catalog.list_sources(db)) == 3


def test_from_file_reports_what_is_not_a_source_and_adds_the_rest(
    cli_env: dict[str, str], db: Database, tmp_path: Path
) -> None:
    listing = tmp_path / "subs.txt"
    listing.write_text(f"# mine\n{VIDEO}\n\n{channel(ALPHA)}\n")
    mixed = run(cli_env, "add", "--from-file", str(listing))
    assert mixed.exit_code == 0, mixed.output
    assert f"not added  {VIDEO}: " in mixed.stderr and "one video" in mixed.stderr
    assert mixed.stdout.splitlines()[-1] == "1 added, 0 already followed, 1 not added."
    assert [info.url for info in catalog.list_sources(db)] == [channel(ALPHA)]

    only_videos = tmp_path / "videos.txt"
    only_videos.write_text(f"{VIDEO}\n")
    refused = run(cli_env, "add", "--from-file", str(only_videos))
    assert refused.exit_code == 1 and "0 added, 0 already followed, 1 not added." in refused.stdout

    broken = tmp_path / "broken.txt"
    broken.write_text(f"{channel(BRAVO)}\nyoutube dot com\n")
    bad = one_line_error(run(cli_env, "add", "--from-file", str(broken)))
    assert "line 2: 'youtube dot com' is not an http(s) URL" in bad
    missing = one_line_error(run(cli_env, "add", "--from-file", str(tmp_path / "nope.csv")))
    assert "cannot read it" in missing
    assert "names one source" in one_line_error(
        run(cli_env, "add", "--from-file", str(listing), "--name", "x"), code=2
    )
    assert len(catalog.list_sources(db)) == 1
