"""A bad setting stops every command before it does anything: exit status 2 and one line on
stderr naming the setting, never a traceback. The real ``patchwork`` program, as an operator
runs it, for every declared setting."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from patchwork.cli import cli
from patchwork.config import SETTINGS
from patchwork.worker.config import WorkerConfig
from support.bad_settings import BAD_VALUES

PATCHWORK = Path(sys.executable).parent / "patchwork"


def clean_environment(tmp_path: Path) -> dict[str, str]:
    """The process environment without any setting, at a fresh instance path; the developer's
    .env and config.ini cannot leak in."""
    names = {name for setting in SETTINGS for name in setting.names}
    env = {k: v for k, v in os.environ.items() if k not in names and "PATCHWORK_" not in k}
    env["PATCHWORK_INSTANCE_PATH"] = str(tmp_path / "instance")
    env["PATCHWORK_ENV_FILE"] = str(tmp_path / "no.env")
    env["PATCHWORK_WORKER_CONFIG"] = "/dev/null"
    return env


def run(tmp_path: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PATCHWORK), *args],
        env={**clean_environment(tmp_path), **settings},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )


def assert_one_line_naming(result: subprocess.CompletedProcess[str], name: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert name in lines[0]


@pytest.mark.parametrize(("name", "bad"), sorted(BAD_VALUES.items()))
def test_serve_refuses_a_bad_value_of_every_setting(tmp_path: Path, name: str, bad: str) -> None:
    result = run(tmp_path, "serve", "--port", "1", **{name: bad})
    assert_one_line_naming(result, name)
    if name != "PATCHWORK_INSTANCE_PATH":
        assert not (tmp_path / "instance").exists()  # stopped before making anything


@pytest.mark.parametrize("command", [["db", "upgrade"], ["worker"], ["tokens", "list"]])
def test_other_commands_refuse_it_the_same_way(tmp_path: Path, command: list[str]) -> None:
    result = run(tmp_path, *command, PATCHWORK_STORAGE_LAYOUT="bogus")
    assert_one_line_naming(result, "PATCHWORK_STORAGE_LAYOUT")


def test_a_port_that_is_not_a_number_is_one_line(tmp_path: Path) -> None:
    assert_one_line_naming(run(tmp_path, "serve", "--port", "abc"), "--port")


def test_help_is_shown_whatever_the_settings(tmp_path: Path) -> None:
    result = run(tmp_path, "serve", "--help", PATCHWORK_LOG_FORMAT="bogus")
    assert result.returncode == 0 and "--port" in result.stdout


def _leaf_commands(group: click.Group, path: list[str]) -> list[list[str]]:
    found: list[list[str]] = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += _leaf_commands(command, [*path, name])
        else:
            found.append([*path, name])
    return found


LEAF_COMMANDS = _leaf_commands(cli, [])


def test_the_sweep_sees_every_command() -> None:
    assert ["serve"] in LEAF_COMMANDS and ["legacy", "import"] in LEAF_COMMANDS
    assert len(LEAF_COMMANDS) >= 16


@pytest.mark.parametrize("command", LEAF_COMMANDS, ids=" ".join)
def test_every_command_checks_the_settings_first(tmp_path: Path, command: list[str]) -> None:
    # In process, for speed; the group is what checks, before a command parses its arguments.
    env = {**clean_environment(tmp_path), "PATCHWORK_LOG_FORMAT": "bogus"}
    result = CliRunner().invoke(cli, command, env=env)
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [
        "Error: PATCHWORK_LOG_FORMAT must be 'text' or 'json', not 'bogus'"
    ]


# -- the worker's own options --------------------------------------------------------------

WORKER_BAD_VALUES: dict[str, str] = {
    "server": "ftp://archive.example",
    "name": "n" * 256,
    "once": "maybe",
    "max_height": "tall",
    "max_filesize": "-1",
    "auto_captions": "maybe",
    "extractor_args": "nocolon",
    "channel_images": "sometimes",
    "pause": "soon",
    "jitter": "2",
    "idle": "-1",
    "cooldown": "nan",
    "socket_timeout": "soon",
    "retries": "1.5",
}
WORKER_FREE_FORM = {
    "token",
    "workdir",
    "format",
    "cookies",
    "caption_format",
    "plugin_dirs",
    "remote_components",
}


def test_every_worker_option_has_a_bad_value_here_or_is_free_form() -> None:
    assert set(WORKER_BAD_VALUES) | WORKER_FREE_FORM == {f.name for f in fields(WorkerConfig)}


def worker(tmp_path: Path, *args: str, **env: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli,
        ["worker", "--once", *args],
        env={**clean_environment(tmp_path), **env},
    )
    return result.exit_code, result.stderr


@pytest.mark.parametrize(("option", "bad"), sorted(WORKER_BAD_VALUES.items()))
def test_a_bad_worker_variable_is_one_line_naming_it(tmp_path: Path, option: str, bad: str) -> None:
    variable = f"PATCHWORK_WORKER_{option.upper()}"
    env = {"PATCHWORK_WORKER_SERVER": "http://127.0.0.1:1", "PATCHWORK_WORKER_TOKEN": "t"}
    code, stderr = worker(tmp_path, **{**env, variable: bad})
    assert code == 2, stderr
    assert len(stderr.splitlines()) == 1 and variable in stderr


def test_a_bad_worker_option_in_its_config_file_names_the_file(tmp_path: Path) -> None:
    ini = tmp_path / "worker.ini"
    ini.write_text("[queue]\nbase_url = http://x\nworker_password = t\n[worker]\npause = soon\n")
    code, stderr = worker(tmp_path, PATCHWORK_WORKER_CONFIG=str(ini))
    assert code == 2
    assert stderr.splitlines() == [f"Error: [worker] pause in {ini} must be a number, not 'soon'"]


def test_the_real_worker_command_refuses_them_too(tmp_path: Path) -> None:
    env = {"PATCHWORK_WORKER_TOKEN": "t", "PATCHWORK_WORKER_MAX_HEIGHT": "tall"}
    result = run(tmp_path, "worker", "--server", "http://127.0.0.1:1", **env)
    assert_one_line_naming(result, "PATCHWORK_WORKER_MAX_HEIGHT")
    flag = run(tmp_path, "worker", "--server", "http://127.0.0.1:1", "--max-height", "tall")
    assert_one_line_naming(flag, "--max-height")
