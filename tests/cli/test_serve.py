"""`patchwork serve` really serves: start it on a free port and ask it for JSON."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from pathlib import Path

from support.served import BIN, free_port, serving


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read()


def test_serve_answers_on_an_empty_archive(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PATCHWORK_INSTANCE_PATH": str(tmp_path / "instance"),
        "PATCHWORK_ENV_FILE": str(tmp_path / "none.env"),
    }
    env.pop("PATCHWORK_DATABASE_URL", None)
    upgrade = subprocess.run(
        [BIN / "patchwork", "db", "upgrade"], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert upgrade.returncode == 0, upgrade.stderr
    with serving(env, tmp_path, "--workers", "1", timeout=30) as (base, _):
        status, body = _get(f"{base}/api/recently_archived")
        assert status == 200 and json.loads(body) == []


def test_serve_refuses_a_bad_setting_in_one_line(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PATCHWORK_DATABASE_URL": "mysql+pymysql://x@127.0.0.1:1/db",
        "PATCHWORK_INSTANCE_PATH": str(tmp_path),
    }
    run = subprocess.run(
        [BIN / "patchwork", "serve", "--port", str(free_port())],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: PATCHWORK_DATABASE_URL: cannot reach")
    assert "Traceback" not in run.stderr
