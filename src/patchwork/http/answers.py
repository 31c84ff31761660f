"""Cached answers shared by the JSON API and the pages: one cache entry, one shape.

Discover, daily featured, popular and storage statistics are expensive and change slowly,
so each is computed once per TTL (in Redis when configured) whichever surface asks first.
An empty answer (popular before the first view, anything on an archive still empty) is kept
at most ``cache.EMPTY_TTL_SECONDS``, so it never hides the first videos for an hour or a day.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from patchwork.archive.catalog import channels, videos
from patchwork.archive.maintenance.stats import StatsContext, load_provider
from patchwork.cache import remember
from patchwork.http import shapes
from patchwork.state import app_state

DISCOVER_TTL = 3600
POPULAR_TTL = 3600
FEATURED_TTL = 86400
STORAGE_TTL = 300
POPULAR_COUNT = 6
RECENT_COUNT = 6  # the home page and /api/recently_archived show as many


def discover_videos(count: int) -> list[dict[str, Any]]:
    state = app_state()
    return remember(
        state.cache,
        f"discover_videos:{count}",
        DISCOVER_TTL,
        lambda: shapes.video_list(videos.random_videos(state.db, count)),
    )


def discover_channels(count: int) -> list[dict[str, Any]]:
    state = app_state()
    return remember(
        state.cache,
        f"discover_channels:{count}",
        DISCOVER_TTL,
        lambda: [shapes.discover_channel(c) for c in channels.random_channels(state.db, count)],
    )


def daily_featured(today: date) -> list[dict[str, Any]]:
    """Keyed by the date, so tomorrow's picks never wait for yesterday's entry to expire."""
    state = app_state()
    return remember(
        state.cache,
        f"daily_featured:{today.isoformat()}",
        FEATURED_TTL,
        lambda: shapes.video_list(videos.daily_featured(state.db, today)),
    )


def popular() -> list[dict[str, Any]]:
    state = app_state()
    return remember(
        state.cache,
        "popular",
        POPULAR_TTL,
        lambda: shapes.video_list(videos.popular(state.db, POPULAR_COUNT)),
    )


def storage_status() -> dict[str, Any]:
    """From the provider named by PATCHWORK_STORAGE_STATS; raises StatsUnavailable."""
    state = app_state()
    name = state.settings.storage_stats
    context = StatsContext(state.settings, state.db, state.storage)
    return remember(
        state.cache,
        f"storage:{name}",
        STORAGE_TTL,
        lambda: shapes.storage_status(load_provider(name)(context)),
    )
