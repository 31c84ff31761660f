from __future__ import annotations

import hashlib
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from patchwork.archive import tokens
from patchwork.cli import cli
from patchwork.db import Database
from patchwork.db.models import Token

REPO = Path(__file__).resolve().parents[2]


def invoke(env: dict[str, str], *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args), env=env)


def test_add_prints_the_secret_once_and_stores_only_its_hash(
    db: Database, cli_env: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    added = invoke(cli_env, "tokens", "add", "--role", "queue", "--name", "portal")
    assert added.exit_code == 0, added.output
    secret = added.stdout.strip().splitlines()[-1]
    assert len(secret) >= 40
    assert added.stdout.count(secret) == 1 and secret not in added.stderr
    with db.reading() as session:
        row = session.scalars(select(Token)).one()
        assert row.secret_sha256 == hashlib.sha256(secret.encode()).hexdigest()
        values = [str(getattr(row, c.key)) for c in Token.__table__.columns]
        assert all(secret not in v for v in values)
    listed = invoke(cli_env, "tokens", "list")
    assert "portal" in listed.stdout and "queue" in listed.stdout
    assert secret not in listed.output
    assert secret not in caplog.text
    principal = tokens.authenticate(db, secret)
    assert principal is not None and principal.role == "queue"


def test_given_secret_default_names_and_revoke(db: Database, cli_env: dict[str, str]) -> None:
    first = invoke(cli_env, "tokens", "add", "--role", "worker", "--token", "legacy-secret-1")
    assert first.exit_code == 0
    second = invoke(cli_env, "tokens", "add", "--role", "worker")
    assert second.exit_code == 0
    names = [t.name for t in tokens.list_tokens(db)]
    assert names == ["worker-1", "worker-2"]
    again = invoke(cli_env, "tokens", "add", "--role", "queue", "--token", "legacy-secret-1")
    assert again.exit_code == 1 and "already in use" in again.stderr
    assert "legacy-secret-1" not in again.output
    revoked = invoke(cli_env, "tokens", "revoke", "worker-1")
    assert revoked.exit_code == 0 and "legacy-secret-1" not in revoked.output
    assert tokens.authenticate(db, "legacy-secret-1") is None
    assert "revoked" in invoke(cli_env, "tokens", "list").stdout
    missing = invoke(cli_env, "tokens", "revoke", "nobody")
    assert missing.exit_code == 1 and "no token named" in missing.stderr


def test_bad_role_is_refused(cli_env: dict[str, str], db: Database) -> None:
    result = invoke(cli_env, "tokens", "add", "--role", "root")
    assert result.exit_code == 2


def test_dbm_shim_creates_tables_and_adds_tokens(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "PATCHWORK_DATABASE_URL": f"sqlite:///{tmp_path / 'legacy.db'}",
        "PATCHWORK_INSTANCE_PATH": str(tmp_path / "instance"),
    }
    run = subprocess.run(
        [
            sys.executable,
            str(REPO / "dbm.py"),
            "--addqueuetoken",
            "q-secret",
            "--addworkertoken",
            "w-secret",
        ],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    db = Database(env["PATCHWORK_DATABASE_URL"])
    try:
        q, w = tokens.authenticate(db, "q-secret"), tokens.authenticate(db, "w-secret")
        assert q is not None and q.role == "queue"
        assert w is not None and w.role == "worker"
    finally:
        db.dispose()
