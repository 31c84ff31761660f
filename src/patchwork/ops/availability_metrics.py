"""What ``/metrics`` says of lost media: videos per availability state, checks per outcome,
checks queued (collected by :class:`patchwork.ops.metrics.ArchiveCollector` at scrape time)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from patchwork.archive.availability.lost import check_totals
from patchwork.archive.availability.reasons import Outcome
from patchwork.archive.availability.totals import state_totals
from patchwork.db import Database


@dataclass(frozen=True)
class AvailabilityNumbers:
    videos: dict[str, int]  # per state: available, unavailable, unknown
    checks: dict[str, int]  # checks ended per outcome: available, unavailable, inconclusive
    queued: int  # checks queued, ever


def availability_numbers(db: Database) -> AvailabilityNumbers:
    """Videos per availability state and the check counters (``check_counts``' few rows: the
    checks table itself is never read by a scrape)."""
    with db.reading() as session:
        videos = state_totals(session)
        ended = check_totals(session)
    return AvailabilityNumbers(
        videos=videos,
        checks={outcome.value: ended.get(outcome.value, 0) for outcome in Outcome},
        queued=ended.get("queued", 0),
    )


def availability_metrics(numbers: AvailabilityNumbers) -> Iterator[Metric]:
    videos = GaugeMetricFamily(
        "patchwork_videos_by_availability",
        "Archived videos by availability state (available, unavailable, unknown).",
        labels=["state"],
    )
    for state_name, count in numbers.videos.items():
        videos.add_metric([state_name], count)
    yield videos
    checks = CounterMetricFamily(
        "patchwork_availability_checks",
        "Availability checks answered, by outcome (inconclusive: changed nothing).",
        labels=["outcome"],
    )
    for outcome, count in numbers.checks.items():
        checks.add_metric([outcome], count)
    yield checks
    yield CounterMetricFamily(
        "patchwork_availability_checks_queued",
        "Availability checks queued (scheduled or asked for).",
        value=numbers.queued,
    )
