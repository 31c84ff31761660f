"""``patchwork sources``: follow channels, playlists and feeds; list, pause, scan, remove.

Services do the work (:mod:`patchwork.archive.sources.catalog` and ``.scheduling``); this
module reads options into a :class:`SourceSpec` and prints. A service's refusal (an unknown
id, a URL that is not a source, a bad pattern, a source already followed) is one line and
exit status 1; a value click can check itself (a duration, a date) is a usage error, status 2.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from patchwork.archive.sources import catalog, listing, scheduling
from patchwork.archive.sources.catalog import SourceExists, SourceSpec
from patchwork.archive.sources.imports import read_sources_file
from patchwork.archive.sources.listing import SourceInfo
from patchwork.archive.sources.rules import (
    ArchiveOptions,
    InvalidRule,
    SourceFilters,
    format_interval,
)
from patchwork.archive.sources.rules import parse_interval as parse_duration
from patchwork.cli.context import OneLineError, database_or_exit, settings_or_exit
from patchwork.cli.jobs import CLI_ACTOR
from patchwork.db import Database
from patchwork.db.types import MAX_ID
from patchwork.errors import PatchworkError

SOURCE_ID = click.IntRange(1, MAX_ID)
Result = TypeVar("Result")


class Duration(click.ParamType[int]):
    """``6h``, ``30m``, ``1d12h``, ``90s`` or a bare number of seconds."""

    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        try:
            return parse_duration(str(value))
        except InvalidRule as exc:
            self.fail(str(exc), param, ctx)


DURATION = Duration()


def _service(call: Callable[[], Result]) -> Result:
    """``call()``, its refusal turned into one line and status 1."""
    try:
        return call()
    except PatchworkError as exc:
        raise OneLineError(exc.shown_message()) from None


def _database() -> Database:
    return database_or_exit(settings_or_exit())


@click.group()
def sources() -> None:
    """Follow channels, playlists and feeds: workers scan them and queue their new videos."""


def _spec_options(command: Callable[..., None]) -> Callable[..., None]:
    """The options of ``add`` that say what a source keeps and asks for."""
    options = [
        click.option("--every", type=DURATION, help="Scan interval, e.g. 6h (default 6h)."),
        click.option("--first", type=click.IntRange(1, catalog.MAX_FIRST_SCAN),
                     help="The first scan takes only the N newest entries."),
        click.option("--all", "take_all", is_flag=True,
                     help="The first scan takes the whole listing (the default)."),
        click.option("--include", help="Keep only titles matching this regular expression."),
        click.option("--exclude", help="Drop titles matching this regular expression."),
        click.option("--min-duration", type=DURATION, help="Drop shorter videos (60, 1m)."),
        click.option("--max-duration", type=DURATION, help="Drop longer videos (2h)."),
        click.option("--after", type=click.DateTime(["%Y-%m-%d"]), metavar="YYYY-MM-DD",
                     help="Drop videos uploaded before this day (YYYY-MM-DD)."),
        click.option("--skip-shorts", is_flag=True, help="Drop YouTube shorts."),
        click.option("--skip-live", is_flag=True, help="Drop live streams and their replays."),
        click.option("--keep-upcoming", is_flag=True,
                     help="Record upcoming premieres at once instead of waiting for them."),
        click.option("--max-height", type=click.IntRange(1, 10_000),
                     help="Archive the best format up to this height (e.g. 1080)."),
        click.option("--auto-captions/--no-auto-captions", default=None,
                     help="Fetch automatic captions too (default: the worker's setting)."),
        click.option("--paused", is_flag=True, help="Add it paused: no scans until resumed."),
    ]  # fmt: skip
    for option in reversed(options):
        command = option(command)
    return command


@sources.command("add")
@click.argument("url", required=False)
@click.option(
    "--from-file",
    "from_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Add every source a file names: one URL a line, OPML, or Takeout CSV.",
)
@click.option("--name", help="The name shown for the source (default: from its URL).")
@_spec_options
def add(url: str | None, from_file: Path | None, name: str | None, **given: Any) -> None:
    """Follow URL (a channel, playlist or feed), or every source FILE names.

    With --from-file the options apply to each source; one already followed is reported and
    left as it is. The status is 1 only when not one entry of the file could be followed.
    """  # fmt: skip
    if (url is None) == (from_file is None):
        raise click.UsageError("give either a URL or --from-file FILE")
    if from_file is not None and name is not None:
        raise click.UsageError("--name names one source: it cannot go with --from-file")
    if given["first"] is not None and given["take_all"]:
        raise click.UsageError("--first and --all cannot go together")
    spec = _spec(name=name, **given)
    db = _database()
    if url is not None:
        info = _service(lambda: catalog.add_source(db, _with(spec, url, name), CLI_ACTOR))
        state = "paused" if not info.enabled else "first scan when a worker next asks for work"
        click.echo(f"Added source {info.id} {info.name!r}: {info.url} ({state}).")
        return
    assert from_file is not None
    _add_from_file(db, from_file, spec)


def _add_from_file(db: Database, path: Path, spec: SourceSpec) -> None:
    listed = _service(lambda: read_sources_file(path))
    added = known = refused = 0
    for entry in listed:
        try:
            info = catalog.add_source(db, _with(spec, entry.url, entry.name), CLI_ACTOR)
        except SourceExists as exc:
            known += 1
            click.echo(f"already followed  source {exc.source_id}  {entry.url}")
        except PatchworkError as exc:
            refused += 1
            click.echo(f"not added  {entry.url}: {exc.shown_message()}", err=True)
        else:
            added += 1
            click.echo(f"added  source {info.id}  {info.url}  {info.name}")
    click.echo(f"{added} added, {known} already followed, {refused} not added.")
    if added + known == 0:
        raise SystemExit(1)


def _spec(name: str | None, **given: Any) -> SourceSpec:
    after: datetime | None = given["after"]
    first: int | None = given["first"]
    return SourceSpec(
        name=name,
        scan_every_seconds=given["every"],
        enabled=not given["paused"],
        first_scan_limit=0 if given["take_all"] else first,
        filters=SourceFilters(
            title_include=given["include"],
            title_exclude=given["exclude"],
            min_duration=given["min_duration"],
            max_duration=given["max_duration"],
            uploaded_after=after.date() if after is not None else None,
            skip_shorts=given["skip_shorts"],
            skip_live=given["skip_live"],
            skip_upcoming=not given["keep_upcoming"],
        ),
        options=ArchiveOptions(
            max_height=given["max_height"], auto_captions=given["auto_captions"]
        ),
    )


def _with(spec: SourceSpec, url: str, name: str | None) -> SourceSpec:
    return SourceSpec(
        url=url,
        name=name,
        scan_every_seconds=spec.scan_every_seconds,
        enabled=spec.enabled,
        first_scan_limit=spec.first_scan_limit,
        filters=spec.filters,
        options=spec.options,
    )


@sources.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON array, as the API shows them.")
def list_command(as_json: bool) -> None:
    """List every source with its schedule, counts and last error."""
    db = _database()
    if as_json:
        click.echo(json.dumps([listing.describe(info) for info in _every_source(db)], indent=2))
        return
    rows = list(_every_source(db))
    if not rows:
        click.echo("No sources. Follow one with: patchwork sources add URL")
        return
    click.echo(
        f"{'id':>5}  {'name':<24} {'state':<8} {'every':>6}  {'last scan UTC':<16} "
        f"{'next scan UTC':<16} {'found/queued/archived/failed':<28} last error"
    )
    for info in rows:
        c = info.counts
        counts = f"{c.found}/{c.queued}/{c.archived}/{c.failed}"
        error = _short(info.last_error or "", 40)
        click.echo(
            f"{info.id:>5}  {_short(info.name, 24):<24} {_state(info):<8} "
            f"{format_interval(info.scan_every_seconds):>6}  {_when(info.last_scan_at):<16} "
            f"{_when(info.next_scan_at):<16} {counts:<28} {error}".rstrip()
        )


def _every_source(db: Database) -> Iterator[SourceInfo]:
    after = 0
    while page := catalog.list_sources(db, after_id=after, limit=catalog.MAX_LISTED):
        yield from page
        after = page[-1].id


@sources.command("show")
@click.argument("source_id", type=SOURCE_ID)
@click.option("--json", "as_json", is_flag=True, help="As the API shows it.")
def show(source_id: int, as_json: bool) -> None:
    """Show everything about one source, its filters and archive options too."""
    db = _database()
    info = _service(lambda: catalog.get_source(db, source_id))
    if as_json:
        click.echo(json.dumps(listing.describe(info), indent=2))
        return
    f, o, c = info.filters, info.options, info.counts
    lines: list[tuple[str, object]] = [
        ("source", info.id),
        ("name", info.name),
        ("url", info.url),
        ("state", _state(info) + (", scanning now" if info.scanning else "")),
        ("scan every", format_interval(info.scan_every_seconds)),
        ("first scan", f"the {info.first_scan_limit} newest" if info.first_scan_limit else "all"),
        ("last scan", f"{_when(info.last_scan_at)} ({info.last_scan_entries or 0} entries)"
         if info.last_scan_at else "never"),
        ("next scan", _when(info.next_scan_at)),
        ("scan job", f"{info.scan_job_id} ({info.scan_state}, at entry {info.scan_position})"
         if info.scan_job_id else "none yet"),
        ("last error", info.last_error or "none"),
        ("entries", f"{c.found} found, {c.filtered} filtered, {c.known} already known"),
        ("jobs", f"{c.queued} queued, {c.archived} archived, {c.failed} failed, "
         f"{c.cancelled} cancelled"),
        ("title include", f.title_include or "-"),
        ("title exclude", f.title_exclude or "-"),
        ("min duration", _maybe_duration(f.min_duration)),
        ("max duration", _maybe_duration(f.max_duration)),
        ("uploaded after", f.uploaded_after.isoformat() if f.uploaded_after else "-"),
        ("skip", ", ".join(_skipped(f)) or "nothing"),
        ("max height", o.max_height or "best"),
        ("auto captions", {True: "yes", False: "no", None: "the worker's setting"}[
            o.auto_captions]),
        ("added", _when(info.created_at)),
    ]  # fmt: skip
    for label, value in lines:
        click.echo(f"{label + ':':<16} {value}")


@sources.command("pause")
@click.argument("source_id", type=SOURCE_ID)
def pause(source_id: int) -> None:
    """Stop scanning a source (its queued archive jobs stay)."""
    db = _database()
    info = _service(lambda: catalog.set_enabled(db, source_id, False))
    click.echo(f"Source {info.id} paused.")


@sources.command("resume")
@click.argument("source_id", type=SOURCE_ID)
def resume(source_id: int) -> None:
    """Scan a paused source again."""
    db = _database()
    info = _service(lambda: catalog.set_enabled(db, source_id, True))
    click.echo(f"Source {info.id} resumed; next scan {_when(info.next_scan_at)}.")


@sources.command("remove")
@click.argument("source_id", type=SOURCE_ID)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def remove(source_id: int, yes: bool) -> None:
    """Stop following a source; the archive jobs it queued stay."""
    db = _database()
    info = _service(lambda: catalog.get_source(db, source_id))
    if not yes:
        click.confirm(f"Remove source {info.id} {info.name!r} ({info.url})?", abort=True)
    _service(lambda: catalog.remove_source(db, source_id))
    click.echo(f"Source {info.id} removed.")


@sources.command("scan")
@click.argument("source_id", type=SOURCE_ID, required=False)
@click.option("--all", "every", is_flag=True, help="Every enabled source.")
@click.option("--full", is_flag=True, help="List everything, not only up to known entries.")
@click.option("--retry-failed", is_flag=True, help="Queue again entries whose job failed.")
def scan(source_id: int | None, every: bool, full: bool, retry_failed: bool) -> None:
    """Scan a source (or --all) now; prints the scan job of each.

    A source already being scanned keeps its scan: --full and --retry-failed apply to it.
    """
    if (source_id is None) == (not every):
        raise click.UsageError("give either a source ID or --all")
    db = _database()
    jobs = _service(
        lambda: scheduling.request_scan(
            db, source_id, CLI_ACTOR, full=full, retry_failed=retry_failed
        )
    )
    if not jobs:
        click.echo("No enabled sources to scan.")
        return
    wanted = set(jobs)
    scanned = [info for info in _every_source(db) if info.scan_job_id in wanted]
    for info in scanned:
        click.echo(f"Source {info.id}: scan job {info.scan_job_id}")
    for job_id in sorted(wanted - {info.scan_job_id for info in scanned}):
        click.echo(f"Scan job {job_id}")  # its source was removed meanwhile


def _maybe_duration(seconds: int | None) -> str:
    return format_interval(seconds) if seconds is not None else "-"


def _skipped(filters: SourceFilters) -> list[str]:
    flags = [
        ("shorts", filters.skip_shorts),
        ("live", filters.skip_live),
        ("upcoming until released", filters.skip_upcoming),
    ]
    return [label for label, on in flags if on]


def _state(info: SourceInfo) -> str:
    return "enabled" if info.enabled else "paused"


def _when(moment: datetime | date | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment is not None else "never"


def _short(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
