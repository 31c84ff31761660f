"""``patchwork jobs``: list, retry and cancel archive jobs."""

from __future__ import annotations

import click

from patchwork.archive.queue import lifecycle
from patchwork.archive.queue.records import Actor, JobAction, QueueError
from patchwork.archive.queue.states import JobState
from patchwork.cli.context import database_or_exit, settings_or_exit
from patchwork.db.types import MAX_ID

CLI_ACTOR = Actor(None, "cli")
# Job ids are BIGINT: a larger number is a typo, not a lookup the database can answer.
JOB_ID = click.IntRange(1, MAX_ID)
# Click matches an Enum choice by its member's name (QUEUED): the choices are the values.
STATE_CHOICE = click.Choice([state.value for state in JobState])
SHOWN_BY_DEFAULT = (JobState.QUEUED, JobState.LEASED, JobState.FAILED)


@click.group()
def jobs() -> None:
    """Inspect and manage the archive queue."""


@jobs.command("list")
@click.option(
    "--state",
    "states",
    multiple=True,
    type=STATE_CHOICE,
    help="Only jobs in this state (repeatable; default: queued, leased and failed).",
)
@click.option("--limit", type=click.IntRange(1, 100_000), default=100, show_default=True)
def list_command(states: tuple[str, ...], limit: int) -> None:
    """List jobs, oldest first."""
    db = database_or_exit(settings_or_exit())
    wanted = tuple(JobState(state) for state in states) or SHOWN_BY_DEFAULT
    rows = lifecycle.list_jobs(db, wanted, limit=limit)
    if not rows:
        click.echo("No jobs.")
        return
    click.echo(
        f"{'id':>6}  {'state':<9} {'mode':>4} {'tries':>5}  {'owner':<16} target / last error"
    )
    for job in rows:
        tries = f"{job.attempts}/{job.max_attempts}"
        owner = (job.lease_owner or "") if job.state == JobState.LEASED else ""
        click.echo(
            f"{job.id:>6}  {job.state:<9} {job.mode:>4} {tries:>5}  {owner[:16]:<16} {job.target}"
        )
        if job.state == JobState.FAILED and job.last_error:
            click.echo(f"{'':>6}  {'':<9} {'':>4} {'':>5}  {'':<16} ! {job.last_error[:200]}")


@jobs.command("retry")
@click.argument("job_ids", nargs=-1, type=JOB_ID, required=True)
def retry(job_ids: tuple[int, ...]) -> None:
    """Put failed or cancelled jobs back in the queue with fresh attempts."""
    _each(job_ids, lifecycle.retry_job, "queued again")


@jobs.command("cancel")
@click.argument("job_ids", nargs=-1, type=JOB_ID, required=True)
def cancel(job_ids: tuple[int, ...]) -> None:
    """Cancel queued or leased jobs."""
    _each(job_ids, lifecycle.cancel_job, "cancelled")


def _each(job_ids: tuple[int, ...], action: JobAction, done: str) -> None:
    db = database_or_exit(settings_or_exit())
    failed = False
    for job_id in job_ids:
        try:
            action(db, CLI_ACTOR, job_id)
        except QueueError as exc:
            click.echo(f"Job {job_id}: {exc}", err=True)
            failed = True
        else:
            click.echo(f"Job {job_id} {done}.")
    if failed:
        raise SystemExit(1)
