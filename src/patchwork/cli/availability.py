"""``patchwork availability``: ask for checks now, and read what the checks found.

Services do the work (:mod:`patchwork.archive.availability`); this module parses and prints.
Checks of named videos are queued at once, outside the hourly budget (an archivist asked
for a handful); ``--all`` and ``--channel`` move videos to the front of the schedule, so
the budget still paces them and a million-video archive never floods its sites.
"""

from __future__ import annotations

from datetime import datetime

import click
from sqlalchemy import func, select

from patchwork.archive.availability import lost, scheduling, totals
from patchwork.archive.availability.policy import CheckPolicy
from patchwork.archive.availability.reasons import UNAVAILABLE_REASONS
from patchwork.archive.catalog.availability import video_with_availability
from patchwork.cli.context import OneLineError, database_or_exit, settings_or_exit
from patchwork.cli.jobs import CLI_ACTOR
from patchwork.db.models import Channel, VideoAvailability
from patchwork.db.types import utcnow


@click.group()
def availability() -> None:
    """Check whether archived videos are still on their sites; list what was lost."""


@availability.command("check")
@click.argument("video_ids", nargs=-1)
@click.option("--all", "every", is_flag=True, help="Every video (paced by the hourly budget).")
@click.option("--channel", "channel_id", help="Every video of this channel id (paced too).")
def check(video_ids: tuple[str, ...], every: bool, channel_id: str | None) -> None:
    """Check VIDEO_ID... now, or move --all / --channel ID to the front of the schedule."""
    if sum((bool(video_ids), every, channel_id is not None)) != 1:
        raise click.UsageError("give VIDEO_ID..., --all or --channel ID (one of them)")
    settings = settings_or_exit()
    db = database_or_exit(settings)
    if video_ids:
        queued = scheduling.request_checks(db, video_ids, CLI_ACTOR)
        for video_id in video_ids:
            if video_id in queued:
                job_id, created = queued[video_id]
                state = "queued" if created else "already waiting"
                click.echo(f"{video_id}: check job {job_id} ({state})")
        unknown = [video_id for video_id in video_ids if video_id not in queued]
        if unknown:
            message = f"no archived video {', '.join(unknown)}"
            if not queued:
                raise OneLineError(message)
            click.echo(f"Error: {message}", err=True)
        return
    if channel_id is not None:
        with db.reading() as session:
            if session.scalar(select(Channel.id).where(Channel.channel_id == channel_id)) is None:
                raise OneLineError(f"no channel {channel_id}")
    moved = scheduling.move_to_front(db, channel_id=channel_id)
    policy = CheckPolicy.of(settings)
    click.echo(f"{moved} videos are due now, before every other.")
    if policy.per_hour == 0:
        click.echo(
            "PATCHWORK_AVAILABILITY_CHECKS_PER_HOUR is 0: scheduled checks are off, so they "
            "wait; check videos by id to run them anyway."
        )
    else:
        click.echo(
            f"Workers check them as they claim, at most {policy.per_hour} an hour "
            "(PATCHWORK_AVAILABILITY_CHECKS_PER_HOUR)."
        )


@availability.command("status")
def status() -> None:
    """Videos per availability state, checks per outcome, and what is due."""
    settings = settings_or_exit()
    db = database_or_exit(settings)
    policy = CheckPolicy.of(settings)
    now = utcnow()
    with db.reading() as session:
        states = totals.state_totals(session)
        checks = lost.check_totals(session)
        due = session.scalar(
            select(func.count())
            .select_from(VideoAvailability)
            .where(scheduling.due_condition(policy, now))
        )
        budget = scheduling.budget_of(session, policy, now)
    click.echo("Videos: " + ", ".join(f"{count} {state}" for state, count in states.items()))
    outcomes = ("available", "unavailable", "inconclusive")
    click.echo("Checks: " + ", ".join(f"{checks.get(o, 0)} {o}" for o in outcomes))
    click.echo(
        f"Due now: {due or 0}; queued in the last hour: {budget.last_hour} of {policy.per_hour}; "
        f"every {policy.every.days} days, {policy.confirmations} answers change a state"
    )


@availability.command("show")
@click.argument("video_id")
def show(video_id: str) -> None:
    """One video's availability, its metadata versions and its newest checks."""
    settings = settings_or_exit()
    db = database_or_exit(settings)
    policy = CheckPolicy.of(settings)
    video = video_with_availability(db, video_id, policy)
    history = lost.history_of(db, video_id, observations=10)
    if video is None or history is None:
        raise OneLineError(f"no archived video {video_id}")
    found = video.availability
    if found is None:  # a row lost to some outside hand: the next check writes it again
        click.echo(f"{video_id}: unknown, never checked")
        return
    reason = f" ({found.reason_label})" if found.reason_label else ""
    click.echo(f"{video_id}: {found.state}{reason}, since {_when(found.since)}")
    click.echo(f"Last checked: {_when(found.last_checked)}; next check: {_when(found.next_check)}")
    if found.pending is not None:
        p = found.pending
        why = f" ({p.reason})" if p.reason else ""
        click.echo(f"Pending: {p.answers} of {p.needed} answers say {p.outcome}{why}")
    for version in history.versions:
        changed = f" changed {', '.join(version.changed)}" if version.changed else " (archived)"
        click.echo(f"Version {version.number}, {_when(version.seen_at)}:{changed}: {version.title}")
    click.echo(f"Checks ({history.observations_total}):")
    for seen in history.observations:
        why = f" ({seen.reason})" if seen.reason else ""
        click.echo(f"  {_when(seen.checked_at)} {seen.outcome}{why} by {seen.worker or '-'}")


@availability.command("lost")
@click.option("--reason", type=click.Choice(sorted(UNAVAILABLE_REASONS)), help="Only this reason.")
@click.option("--page", type=click.IntRange(1, 1_000_000), default=1, show_default=True)
def lost_videos(reason: str | None, page: int) -> None:
    """Videos gone from their site, newest loss first (50 a page)."""
    db = database_or_exit(settings_or_exit())
    found = lost.lost_videos(db, reason=reason, page=page, per_page=50)
    counts = ", ".join(f"{count} {why}" for why, count in sorted(found.reasons.items()))
    heading = f"{found.total} lost videos (page {found.page} of {found.pages})"
    click.echo(f"{heading}: {counts}" if counts else heading)
    for video in found.videos:
        click.echo(f"{video.video_id}\t{_when(video.since)}\t{video.reason}\t{video.title}")


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment is not None else "-"
