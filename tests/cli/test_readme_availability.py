"""The README's "Lost media and history" commands work as written: each ``patchwork
availability`` line and each ``curl`` of the section's shell block runs, in order, against an
archive holding the video it names (the ``worker`` line is "Running workers"' business)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy import select

from patchwork.cli import cli
from patchwork.db import Database
from patchwork.db.models import Job
from support.check_steps import archived
from support.queue_fixtures import Tokens

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_lines() -> list[list[str]]:
    section = README.read_text().split("## Lost media and history\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block is not None
    return [
        words for line in block.group(1).splitlines() if (words := shlex.split(line, comments=True))
    ]


def test_the_readme_lost_media_commands_work_as_written(
    cli_env: dict[str, str], client: FlaskClient, db: Database, tokens: Tokens
) -> None:
    archived(client, tokens, "dQw4w9WgXcQ")
    outputs: dict[str, str] = {}
    for words in readme_lines():
        if words[0] == "curl":
            url = words[-1].removeprefix("http://127.0.0.1:5000")
            response = client.get(url)
            assert response.status_code == 200, (url, response.get_data(as_text=True))
            continue
        assert words[0] == ".venv/bin/patchwork", words
        if words[1] == "worker":
            continue
        assert words[1] == "availability", words
        result = CliRunner().invoke(cli, words[1:], env=cli_env)
        assert result.exit_code == 0, (words, result.output)
        outputs.setdefault(" ".join(words[2:]), result.output)
    assert outputs["check dQw4w9WgXcQ"].startswith("dQw4w9WgXcQ: check job ")
    assert outputs["check --all"].startswith("1 videos are due now")
    assert "1 unknown" in outputs["status"]
    assert outputs["show dQw4w9WgXcQ"].startswith("dQw4w9WgXcQ: unknown")
    assert outputs["lost"].startswith("0 lost videos")
    with db.reading() as session:
        assert session.scalars(select(Job.target).where(Job.mode == 4)).all() == [
            "check:dQw4w9WgXcQ"
        ]
