"""The README's "Subscriptions" commands work as written (the acceptance asks for working
examples): each ``patchwork sources`` line of its first shell block is run in order, in a
folder holding the two files it imports, and what it says happens does."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from patchwork.archive.sources import catalog
from patchwork.cli import cli
from patchwork.db import Database

README = Path(__file__).resolve().parents[2] / "README.md"
CHANNEL = "UCcccccccccccccccccccccc"
TAKEOUT = (
    f"Channel Id,Channel Url,Channel Title\n{CHANNEL},http://www.youtube.com/channel/{CHANNEL},C\n"
)
OPML = (
    '<?xml version="1.0"?><opml version="1.1"><body><outline text="YouTube Subscriptions">'
    f'<outline text="C" type="rss" xmlUrl="https://www.youtube.com/feeds/videos.xml?channel_id={CHANNEL}"/>'
    "</outline></body></opml>"
)


def readme_commands() -> list[list[str]]:
    """Each ``patchwork sources`` command of the section's first ``sh`` block, as argv."""
    section = README.read_text().split("## Subscriptions\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block is not None
    commands = []
    for line in block.group(1).replace("\\\n", " ").splitlines():
        for command in line.split("&&"):
            words = shlex.split(command, comments=True)
            if words:
                assert words[:2] == [".venv/bin/patchwork", "sources"], words
                commands.append(words[1:])
    return commands


def test_the_readme_subscriptions_commands_work_as_written(
    cli_env: dict[str, str], db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    takeout = tmp_path / "Takeout/YouTube and YouTube Music/subscriptions/subscriptions.csv"
    takeout.parent.mkdir(parents=True)
    takeout.write_text(TAKEOUT)
    (tmp_path / "subscriptions.opml").write_text(OPML)
    monkeypatch.chdir(tmp_path)
    commands = readme_commands()
    assert len(commands) >= 10
    third: str | None = None
    for argv in commands:
        if third is None and argv[1] != "add":
            third = str(catalog.list_sources(db)[2].id)  # "3" in the README: a fresh archive's
        argv = [third if word == "3" and third else word for word in argv]
        result = CliRunner().invoke(cli, argv, env=cli_env)
        assert result.exit_code == 0, (argv, result.output)
    left = catalog.list_sources(db)
    # Four added one by one, the Takeout and OPML files' one channel once; the third removed.
    assert len(left) == 4 and third not in {str(s.id) for s in left}
    assert sum(s.url.endswith(f"/channel/{CHANNEL}") for s in left) == 1
    named = next(s for s in left if s.name == "Some Channel")
    assert (named.scan_every_seconds, named.first_scan_limit) == (12 * 3600, 50)
    assert named.filters.title_exclude == "trailer" and named.options.max_height == 1080
