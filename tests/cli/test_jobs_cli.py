"""``patchwork jobs list|retry|cancel``."""

from __future__ import annotations

from click.testing import CliRunner

from patchwork.archive.queue import lifecycle
from patchwork.cli import cli
from patchwork.db import Database

ACTOR = lifecycle.Actor(None, "tester")


def run(cli_env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["jobs", *args], env=cli_env)
    return result.exit_code, result.output


def test_list_retry_cancel(cli_env: dict[str, str], db: Database) -> None:
    assert run(cli_env, "list") == (0, "No jobs.\n")
    a = lifecycle.enqueue(db, "https://youtu.be/dQw4w9WgXcQ", 0, ACTOR).job.id
    b = lifecycle.enqueue(db, "https://example.com/v/2", 1, ACTOR).job.id
    claimed = lifecycle.claim_next_job(db, ACTOR, lease_seconds=60)
    assert claimed is not None and claimed.id == a
    lifecycle.fail_job(db, ACTOR, a, error="Video unavailable", retryable=False)

    code, out = run(cli_env, "list")
    assert code == 0
    assert "youtube:dQw4w9WgXcQ" in out and "! Video unavailable" in out and "failed" in out
    assert "https://example.com/v/2" in out

    assert run(cli_env, "retry", str(a)) == (0, f"Job {a} queued again.\n")
    assert lifecycle.get_job(db, a).state == "queued" and lifecycle.get_job(db, a).attempts == 0
    assert run(cli_env, "cancel", str(b)) == (0, f"Job {b} cancelled.\n")
    code, out = run(cli_env, "list", "--state", "cancelled")
    assert code == 0 and str(b) in out and "youtube" not in out

    code, out = run(cli_env, "retry", str(a), "999999")
    assert code == 1 and "Job 999999: no job 999999" in out and f"Job {a}:" in out
    events = [e.event for e in lifecycle.job_events(db, a)]
    assert events == ["queued", "claimed", "failed", "requeued"]


def test_job_ids_beyond_bigint_are_a_clear_error(cli_env: dict[str, str], db: Database) -> None:
    for command in ("retry", "cancel"):
        result = CliRunner().invoke(cli, ["jobs", command, str(2**63)], env=cli_env)
        # Click's usage error (exit 2), not a database error from the lookup.
        assert result.exit_code == 2, result.output
        assert "is not in the range" in result.output
        result = CliRunner().invoke(cli, ["jobs", command, "0"], env=cli_env)
        assert result.exit_code == 2 and "is not in the range" in result.output
