"""What a check job's failed extraction says about the video: gone for good, or no answer.

yt-dlp reports a video that is not there with an error, as it reports a network failure or a
bot check; only its message tells them apart. :func:`classify_check_error` reads the message as
yt-dlp prints it (``ERROR: [youtube] dQw4w9WgXcQ: Video unavailable. This video has been
removed by the uploader``) through :data:`RULES`, an ordered table, the first match winning:

1. the inconclusive answers (bot check, rate limit, network, age or login wall, and a few
   texts that look final but are not, such as YouTube's "not available on this app"): the
   rate-limit message of YouTube itself contains "Video unavailable";
2. the definitive reasons, the most specific first ("blocked it in your country on copyright
   grounds" is a region block, "account … terminated due to … copyright infringement" the
   account's end);
3. yt-dlp's login hint ("Use --cookies …") on a message that named nothing else: it is
   appended to private videos too, so it comes after the definitive reasons, not in step 1;
4. ``unspecified``, for a site that says "Video unavailable" and nothing more.

Anything else is inconclusive ``unknown``: a wrong "unavailable" would mark an archived video
lost, a wrong "inconclusive" only waits for the next check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Outcome = Literal["unavailable", "inconclusive"]
MAX_MESSAGE = 2000  # the server's limit of a check's message

UNAVAILABLE_REASONS = frozenset(
    {
        "removed-by-uploader",
        "private",
        "account-terminated",
        "policy-violation",
        "copyright-claim",
        "members-only",
        "region-blocked",
        "not-found",
        "unspecified",
    }
)
INCONCLUSIVE_REASONS = frozenset(
    {"bot-check", "rate-limited", "network", "login-required", "unknown"}
)
#: After these the worker rests before its next claim, as after an archive job's bot check.
COOL_DOWN_REASONS = frozenset({"bot-check", "rate-limited"})

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True)
class CheckVerdict:
    """A check that found no video: the protocol's ``check`` object of the job's completion."""

    outcome: Outcome
    reason: str
    message: str  # yt-dlp's text without colours and its "ERROR: ", at most MAX_MESSAGE

    def report(self) -> dict[str, str]:
        return {"outcome": self.outcome, "reason": self.reason, "message": self.message}

    @property
    def cools_down(self) -> bool:
        return self.reason in COOL_DOWN_REASONS


@dataclass(frozen=True)
class Rule:
    pattern: re.Pattern[str]
    outcome: Outcome
    reason: str


def _rule(outcome: Outcome, reason: str, *alternatives: str) -> Rule:
    return Rule(re.compile("|".join(alternatives), re.IGNORECASE), outcome, reason)


RULES: tuple[Rule, ...] = (
    # -- 1. no answer ---------------------------------------------------------------------------
    _rule(
        "inconclusive",
        "bot-check",
        r"not a (?:ro)?bot",  # YouTube: "Sign in to confirm you’re not a bot"
        r"captcha",
        r"anti-bot",  # the generic extractor's Cloudflare challenge
        r"\bIP (?:address )?(?:is|may be|is likely being) blocked",  # YouTube, TikTok, Vimeo
        r"blocked due to its TLS fingerprint",  # Vimeo
        r"unusual traffic",
        r"rejected by server \(352\)",  # Bilibili's risk control
    ),
    _rule(
        "inconclusive",
        "rate-limited",
        r"HTTP Error 429",
        r"too many requests",
        r"rate.?limit",
        r"try (?:again )?later",  # YouTube: "This content isn't available, try again later"
        r"blocked by server \(4\d\d\)",  # Bilibili: "(412), please wait and try later"
    ),
    _rule(
        "inconclusive",
        "network",
        r"HTTP Error 5\d\d",
        r"timed? ?out",
        r"connection (?:refused|reset|aborted)",
        r"failed to establish a new connection",
        r"failed to resolve",
        r"name or service not known",
        r"temporary failure in name resolution",
        r"nodename nor servname",
        r"getaddrinfo failed",
        r"no route to host",
        r"network is unreachable",
        r"urlopen error",
        r"remote end closed connection",
        r"RemoteDisconnected",
        r"IncompleteRead",
        r"bytes read, \d+ more expected",
        r"a network error has occurred",
        r"\bSSL\b|CERTIFICATE_VERIFY_FAILED",
        r"ProxyError|unable to connect to proxy",
        # a filter of the worker's own network, not the site's decision
        r"blocked by (?:Websense|Indian censorship|decision of the Russian government)",
    ),
    _rule(
        "inconclusive",
        "login-required",
        r"confirm your age",
        r"\bage[-_ ]?(?:restricted|gated?|verification|check)",
        r"inappropriate for some users",
        r"only available for registered users",
        r"login (?:is )?required|login details are needed",
        r"requires? (?:authentication|a login|logging in)",
        r"(?:need to|must) (?:log ?in|sign in)",
        r"log ?into an account",
    ),
    _rule(
        "inconclusive",
        "unknown",
        # YouTube answers so when yt-dlp's client is out of date, whatever the video
        r"not available on this app",
        r"No video formats found",
        r"Requested format is not available",
        # Bilibili cannot tell which: nothing definitive
        r"may be deleted or geo-restricted",
    ),
    # -- 2. gone, and why ----------------------------------------------------------------------
    _rule(
        "unavailable",
        "region-blocked",
        r"not (?:made this video )?available in your (?:country|region)",
        r"blocked it in your (?:country|region)",
        r"not available from your location",
        r"geo.?restrict",
    ),
    _rule(
        "unavailable",
        "account-terminated",
        r"account associated with this video has been terminated",
        r"account (?:has been |was )?(?:terminated|suspended)",
        r"suspended account",
        r"(?:channel|user) (?:has been |was )?terminated",
        # gone with its account all the same
        r"closed their (?:\w+ )?account",
    ),
    _rule(
        "unavailable",
        "removed-by-uploader",
        r"removed by (?:the |its )?(?:uploader|user|owner|author)",
        r"deleted by (?:the |its )?(?:\w+ )?(?:uploader|user|owner|author)",
        r"uploader has (?:removed|deleted)",
    ),
    _rule(
        "unavailable",
        "private",
        r"private video",
        r"\b(?:is|been made|was made|set to) private\b",
    ),
    _rule(
        "unavailable",
        "members-only",
        r"members.only",
        r"channel's members",
        r"join this channel",
        r"(?:premium|paid|music premium) members",
        r"supporter.only|subscribers? only",
    ),
    _rule("unavailable", "copyright-claim", r"copyright"),
    _rule(
        "unavailable",
        "policy-violation",
        r"terms of service",
        r"community guidelines",
        r"violat(?:e|es|ed|ing|ion)",
        r"policy on",
        r"legal (?:complaint|reasons)",
    ),
    _rule(
        "unavailable",
        "not-found",
        r"HTTP Error 4(?:04|10)\b",
        r"does ?n[o']t exist",
        r"no longer exists",
        r"(?:video|page|post|content|media) (?:was |could )?not (?:be )?found",
    ),
    # -- 3. only the login hint ----------------------------------------------------------------
    _rule(
        "inconclusive",
        "login-required",
        r"Use --cookies|--cookies-from-browser",
        r"--username and --password",
        r"\bsign in\b|\blog ?in\b",
    ),
    # -- 4. gone, no reason given --------------------------------------------------------------
    _rule(
        "unavailable",
        "unspecified",
        r"video unavailable",
        r"(?:video|content|post|tweet|recording) (?:is|has become) (?:currently )?unavailable",
        r"(?:video|content|post|recording) is(?:n't| not) available",
        r"isn't available anymore",
        r"no longer available",
    ),
)


def clean_message(message: str) -> str:
    """yt-dlp's text without its colours and its leading ``ERROR: ``, at most MAX_MESSAGE."""
    text = ANSI.sub("", message).strip().removeprefix("ERROR:").strip()
    return text[:MAX_MESSAGE] or "yt-dlp failed without a message"


def classify_check_error(message: str) -> CheckVerdict:
    """The verdict of yt-dlp's error ``message`` (see the module)."""
    text = clean_message(message)
    for rule in RULES:
        if rule.pattern.search(text):
            return CheckVerdict(rule.outcome, rule.reason, text)
    return CheckVerdict("inconclusive", "unknown", text)
