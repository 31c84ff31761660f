"""The words of availability: states, outcomes of a check and their reasons (stable API
strings; the reference worker keeps its own copy, as it speaks only HTTP)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType


class State(enum.StrEnum):
    """What the archive believes about a video on its site."""

    AVAILABLE = "available"
    UNAVAILABLE = "unavailable"
    UNKNOWN = "unknown"  # not checked yet, or no definitive answer settled it


class Outcome(enum.StrEnum):
    """What one check saw."""

    AVAILABLE = "available"
    UNAVAILABLE = "unavailable"  # definitive: the site says the video is gone, and why
    INCONCLUSIVE = "inconclusive"  # bot check, 429, network...: changes nothing


#: Why a video is gone, as the site said it (with how pages say it).
UNAVAILABLE_REASONS: Mapping[str, str] = MappingProxyType(
    {
        "removed-by-uploader": "removed by the uploader",
        "private": "made private",
        "account-terminated": "the uploader's account was terminated",
        "policy-violation": "removed for a policy violation",
        "copyright-claim": "removed after a copyright claim",
        "members-only": "members only",
        "region-blocked": "blocked in the checking worker's region",
        "not-found": "not found (HTTP 404/410)",
        "unspecified": "unavailable, no reason given",
    }
)

#: Why a check could not tell.
INCONCLUSIVE_REASONS: Mapping[str, str] = MappingProxyType(
    {
        "bot-check": "the site asked for a bot check",
        "rate-limited": "rate limited (HTTP 429)",
        "network": "network or server error",
        "login-required": "the site asked to sign in (age or login wall)",
        "other-video": "the site answered with another video",
        "unknown": "an error the worker could not classify",
    }
)


def reason_label(reason: str | None) -> str | None:
    """How a page says ``reason`` (the reason itself when it is not one of ours)."""
    if reason is None:
        return None
    return UNAVAILABLE_REASONS.get(reason) or INCONCLUSIVE_REASONS.get(reason) or reason
