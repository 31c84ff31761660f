"""Summarising answers shared by the JSON API and the pages: one snapshot, one shape.

Discover, daily featured, popular and storage statistics change slowly, so each is computed
once per TTL whichever surface asks first, off the request path once it exists, and served
stale while the next one is computed (patchwork.archive.snapshots). An empty answer (popular
before the first view, anything on an archive still empty) is kept at most
``cache.EMPTY_TTL_SECONDS`` and never served stale, so it never hides the first videos.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from patchwork.archive.catalog import channels, videos
from patchwork.archive.maintenance.stats import StatsContext, load_provider, provider_fingerprint
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
    return state.answers.get(  # type: ignore[no-any-return]
        f"discover_videos:{count}",
        DISCOVER_TTL,
        lambda: shapes.video_list(videos.random_videos(state.db, count)),
    )


def discover_channels(count: int) -> list[dict[str, Any]]:
    state = app_state()
    return state.answers.get(  # type: ignore[no-any-return]
        f"discover_channels:{count}",
        DISCOVER_TTL,
        lambda: [shapes.discover_channel(c) for c in channels.random_channels(state.db, count)],
    )


def daily_featured(today: date) -> list[dict[str, Any]]:
    """Versioned by the date, so tomorrow's picks never wait for yesterday's to expire."""
    state = app_state()
    return state.answers.get(  # type: ignore[no-any-return]
        "daily_featured",
        FEATURED_TTL,
        lambda: shapes.video_list(videos.daily_featured(state.db, today)),
        version=today.isoformat(),
    )


def popular() -> list[dict[str, Any]]:
    state = app_state()
    return state.answers.get(  # type: ignore[no-any-return]
        "popular",
        POPULAR_TTL,
        lambda: shapes.video_list(videos.popular(state.db, POPULAR_COUNT)),
    )


def storage_status() -> dict[str, Any]:
    """From the provider named by PATCHWORK_STORAGE_STATS; raises StatsUnavailable.

    Versioned by the provider's configuration, so a restart with other settings answers
    from them at once instead of serving the figures of the old ones."""
    state = app_state()
    name = state.settings.storage_stats
    context = StatsContext(state.settings, state.db, state.storage)
    return state.answers.get(  # type: ignore[no-any-return]
        f"storage:{name}",
        STORAGE_TTL,
        lambda: shapes.storage_status(load_provider(name)(context)),
        version=provider_fingerprint(state.settings),
    )
