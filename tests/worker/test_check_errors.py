"""The check job's reading of yt-dlp's errors: real messages, as yt-dlp prints them.

The texts come from yt-dlp's sources (the extractors' ``ExtractorError``/``raise_*`` calls, the
login hint of ``InfoExtractor._login_hint``, ``bug_reports_message``, the networking layer) and,
for YouTube's own reasons, from what YouTube answers as yt-dlp prints it. The network ones were
printed by yt-dlp against a loopback server.
"""

from __future__ import annotations

import pytest

from patchwork.worker.check_errors import (
    INCONCLUSIVE_REASONS,
    MAX_MESSAGE,
    UNAVAILABLE_REASONS,
    classify_check_error,
)

ID = "ERROR: [youtube] dQw4w9WgXcQ: "
COOKIES = (
    "Use --cookies-from-browser or --cookies for the authentication. See  "
    "https://github.com/yt-dlp/yt-dlp/wiki/FAQ#how-do-i-pass-cookies-to-yt-dlp  for how to "
    "manually pass cookies. Also see  "
    "https://github.com/yt-dlp/yt-dlp/wiki/Extractors#exporting-youtube-cookies  for tips on "
    "effectively exporting YouTube cookies"
)
ANY_LOGIN = (
    "Use --cookies, --cookies-from-browser, --username and --password, --netrc-cmd, or --netrc "
    "(bilibili) to provide account credentials. See  "
    "https://github.com/yt-dlp/yt-dlp/wiki/FAQ#how-do-i-pass-cookies-to-yt-dlp  for how to "
    "manually pass cookies"
)
BUG = (
    "; please report this issue on  https://github.com/yt-dlp/yt-dlp/issues?q= , filling out "
    "the appropriate issue template. Confirm you are on the latest version using  yt-dlp -U"
)
GENERIC = "ERROR: [generic] clip: Unable to download webpage: "
VPN = "\nYou might want to use a VPN or a proxy server (with --proxy) to workaround."

TABLE: list[tuple[str, str, str]] = [
    # -- unavailable -------------------------------------------------------------------------
    (f"{ID}Video unavailable. This video has been removed by the uploader", "unavailable",
     "removed-by-uploader"),
    ("ERROR: [twitter] 1234567890: Twitter API says: This Post was deleted by the Post author",
     "unavailable", "removed-by-uploader"),
    (f"{ID}Private video. Sign in if you've been granted access to this video. {COOKIES}",
     "unavailable", "private"),
    (f"{ID}Video unavailable. This video is private", "unavailable", "private"),
    (f"{ID}Video unavailable. This video is no longer available because the YouTube account "
     "associated with this video has been terminated.", "unavailable", "account-terminated"),
    (f"{ID}Video unavailable. This video is no longer available because the YouTube account "
     "associated with this video has been terminated due to multiple third-party notifications "
     "of copyright infringement.", "unavailable", "account-terminated"),
    (f"{ID}Video unavailable. This video is no longer available because the uploader has closed "
     "their YouTube account.", "unavailable", "account-terminated"),
    ("ERROR: [twitter] 1234567890: Twitter API says: This Post is from a suspended account",
     "unavailable", "account-terminated"),
    (f"{ID}This video has been removed for violating YouTube's Terms of Service", "unavailable",
     "policy-violation"),
    (f"{ID}This video has been removed for violating YouTube's Community Guidelines",
     "unavailable", "policy-violation"),
    (f"{ID}This video has been removed for violating YouTube's policy on harassment and "
     "bullying.", "unavailable", "policy-violation"),
    (f"{ID}Video unavailable. This video is no longer available due to a copyright claim by "
     "Sarah Ann Kennedy", "unavailable", "copyright-claim"),
    (f"{ID}Video unavailable. This video contains content from WMG, who has blocked it on "
     "copyright grounds.", "unavailable", "copyright-claim"),
    (f"{ID}Join this channel to get access to members-only content like this video, and other "
     "exclusive perks.", "unavailable", "members-only"),
    (f"{ID}This video is available to this channel's members on level: Supporter (or any higher "
     "level). Join this channel to get access to members-only content and other exclusive "
     "perks.", "unavailable", "members-only"),
    (f"ERROR: [BiliBili] BV1GJ411x7h7: This video is for premium members only. {ANY_LOGIN}",
     "unavailable", "members-only"),
    (f"{ID}The uploader has not made this video available in your country\nThis video is "
     f"available in Japan.{VPN}", "unavailable", "region-blocked"),
    (f"{ID}Video unavailable. This video contains content from SME, who has blocked it in your "
     "country on copyright grounds.", "unavailable", "region-blocked"),
    ("ERROR: [BiliBili] BV1GJ411x7h7: This video is not available from your location due to "
     f"geo restriction{VPN}", "unavailable", "region-blocked"),
    (f"{GENERIC}HTTP Error 404: Not Found (caused by <HTTPError 404: Not Found>)",
     "unavailable", "not-found"),
    (f"{GENERIC}HTTP Error 410: Gone (caused by <HTTPError 410: Gone>)", "unavailable",
     "not-found"),
    ("ERROR: [vimeo] 76979871: This video does not exist.", "unavailable", "not-found"),
    (f"{ID}Video unavailable", "unavailable", "unspecified"),
    (f"{ID}Video unavailable. This video is not available", "unavailable", "unspecified"),
    (f"{ID}This video isn't available anymore", "unavailable", "unspecified"),
    ("ERROR: [twitter] 1234567890: Requested tweet is unavailable", "unavailable", "unspecified"),
    # -- inconclusive ------------------------------------------------------------------------
    (f"{ID}Sign in to confirm you’re not a bot. {COOKIES}", "inconclusive", "bot-check"),
    (f"{ID}Sign in to confirm you're not a bot. {COOKIES}", "inconclusive", "bot-check"),
    (f"{ID}Video unavailable. YouTube is requiring a captcha challenge before playback",
     "inconclusive", "bot-check"),
    (f"{ID}All player responses are invalid. Your IP is likely being blocked by Youtube",
     "inconclusive", "bot-check"),
    ("ERROR: [generic] clip: Got HTTP Error 403 caused by Cloudflare anti-bot challenge; try "
     'again with  --extractor-args "generic:impersonate"', "inconclusive", "bot-check"),
    ("ERROR: [TikTok] 7106594312292453675: Your IP address is blocked from accessing this post",
     "inconclusive", "bot-check"),
    (f"{ID}Video unavailable. This content isn't available, try again later. The current "
     "session has been rate-limited by YouTube for up to an hour. It is recommended to use "
     "`-t sleep` to add a delay between video requests to avoid exceeding the rate limit. For "
     "more information, refer to  https://github.com/yt-dlp/yt-dlp/wiki/Extractors"
     "#this-content-isnt-available-try-again-later", "inconclusive", "rate-limited"),
    (f"{ID}Video unavailable. This content isn't available, try again later.", "inconclusive",
     "rate-limited"),
    (f"{GENERIC}HTTP Error 429: Too Many Requests (caused by <HTTPError 429: Too Many "
     "Requests>)", "inconclusive", "rate-limited"),
    ("ERROR: [BiliBili] BV1GJ411x7h7: You have exceeded the rate limit. Try again later",
     "inconclusive", "rate-limited"),
    ("ERROR: [BilibiliSpaceVideo] 3494369143: Request is blocked by server (412), please wait "
     "and try later.", "inconclusive", "rate-limited"),
    (f"{GENERIC}<urlopen error [Errno 111] Connection refused>", "inconclusive", "network"),
    (f"{GENERIC}HTTPConnection(host='127.0.0.1', port=59795): Failed to establish a new "
     "connection: [Errno 111] Connection refused (caused by TransportError(\"HTTPConnection("
     "host='127.0.0.1', port=59795): Failed to establish a new connection: [Errno 111] "
     'Connection refused"))', "inconclusive", "network"),
    (f"{GENERIC}HTTPConnectionPool(host='127.0.0.1', port=44329): Read timed out. (read "
     "timeout=20.0) (caused by TransportError(\"HTTPConnectionPool(host='127.0.0.1', "
     "port=44329): Read timed out. (read timeout=20.0)\"))", "inconclusive", "network"),
    (f"{GENERIC}HTTP Error 503: Service Unavailable (caused by <HTTPError 503: Service "
     "Unavailable>)", "inconclusive", "network"),
    (f"{GENERIC}HTTP Error 500: Internal Server Error (caused by <HTTPError 500: Internal "
     "Server Error>)", "inconclusive", "network"),
    (f"{ID}Unable to download API page: <urlopen error [Errno -3] Temporary failure in name "
     "resolution> (caused by TransportError('<urlopen error [Errno -3] Temporary failure in "
     "name resolution>'))", "inconclusive", "network"),
    (f"{ID}Unable to download webpage: [Errno 104] Connection reset by peer (caused by "
     "TransportError('[Errno 104] Connection reset by peer'))", "inconclusive", "network"),
    (f"{ID}A network error has occurred. (caused by IncompleteRead(2048 bytes read, 4096 more "
     "expected))", "inconclusive", "network"),
    (f"{ID}Sign in to confirm your age. This video may be inappropriate for some users. "
     f"{COOKIES}", "inconclusive", "login-required"),
    (f"ERROR: [youtube:tab] UCxxxxxxxxxxxxxxxxxxxxxx: Login details are needed to download "
     f"this content. {COOKIES}", "inconclusive", "login-required"),
    ("ERROR: [twitter] 1234567890: NSFW tweet requires authentication. Use --cookies, "
     "--cookies-from-browser, --username and --password, --netrc-cmd, or --netrc (twitter) to "
     "provide account credentials", "inconclusive", "login-required"),
    ("ERROR: [twitter] 1234567890: You are not authorized to view this protected tweet. Use "
     "--cookies, --cookies-from-browser, --username and --password, --netrc-cmd, or --netrc "
     "(twitter) to provide account credentials", "inconclusive", "login-required"),
    ("ERROR: [TikTok] 7106594312292453675: You do not have permission to view this post. Log "
     "into an account that has access", "inconclusive", "login-required"),
    ("ERROR: [generic] Unsupported URL: http://127.0.0.1:8000/page.html", "inconclusive",
     "unknown"),
    (f"{ID}The following content is not available on this app.. Watch on the latest version of "
     "YouTube.", "inconclusive", "unknown"),
    (f"{ID}Requested format is not available. Use --list-formats for a list of available "
     "formats", "inconclusive", "unknown"),
    (f"{ID}Failed to extract any player response{BUG}", "inconclusive", "unknown"),
    (f"{ID}This live event will begin in 3 hours.", "inconclusive", "unknown"),
    ("ERROR: [BiliBili] BV1GJ411x7h7: This video may be deleted or geo-restricted. You might "
     "want to try a VPN or a proxy server (with --proxy)", "inconclusive", "unknown"),
    (f"{GENERIC}HTTP Error 403: Forbidden (caused by <HTTPError 403: Forbidden>)",
     "inconclusive", "unknown"),
]  # fmt: skip


@pytest.mark.parametrize(("message", "outcome", "reason"), TABLE)
def test_each_real_message_has_its_reason(message: str, outcome: str, reason: str) -> None:
    verdict = classify_check_error(message)
    assert (verdict.outcome, verdict.reason) == (outcome, reason)
    assert verdict.message == message.removeprefix("ERROR: ")
    assert verdict.report() == {"outcome": outcome, "reason": reason, "message": verdict.message}


def test_the_table_covers_every_reason_and_only_the_protocols() -> None:
    assert len(TABLE) >= 35
    assert {r for _, o, r in TABLE if o == "unavailable"} == UNAVAILABLE_REASONS
    assert {r for _, o, r in TABLE if o == "inconclusive"} == INCONCLUSIVE_REASONS


def test_a_bot_check_and_a_rate_limit_are_no_answer_and_cool_down() -> None:
    bot = classify_check_error(f"{ID}Sign in to confirm you’re not a bot. {COOKIES}")
    limited = classify_check_error(
        f"{ID}Video unavailable. This content isn't available, try again later."
    )
    assert (bot.outcome, limited.outcome) == ("inconclusive", "inconclusive")
    assert bot.cools_down and limited.cools_down
    assert not classify_check_error(f"{ID}Video unavailable").cools_down
    assert not classify_check_error(f"{GENERIC}HTTP Error 503: Service Unavailable").cools_down


def test_colours_and_the_error_prefix_go_and_the_message_is_capped() -> None:
    coloured = f"\x1b[0;31mERROR:\x1b[0m [youtube] dQw4w9WgXcQ: Private video. {COOKIES}"
    verdict = classify_check_error(coloured)
    assert verdict.reason == "private"
    assert verdict.message.startswith("[youtube] dQw4w9WgXcQ: Private video.")
    assert "\x1b" not in verdict.message
    long = classify_check_error(f"{ID}Video unavailable. " + "x" * 5000)
    assert long.reason == "unspecified" and len(long.message) == MAX_MESSAGE


def test_an_empty_message_is_unknown_with_a_text() -> None:
    verdict = classify_check_error("ERROR: ")
    assert (verdict.outcome, verdict.reason) == ("inconclusive", "unknown")
    assert verdict.message


def test_the_worker_reports_only_the_reasons_the_server_takes() -> None:
    # The worker speaks only HTTP and keeps its own copy of the words (decision 0500); a word
    # the server does not know would be a 400 and a check job that never completes.
    from patchwork.archive.availability import reasons

    assert set(UNAVAILABLE_REASONS) == set(reasons.UNAVAILABLE_REASONS)
    # "other-video" is the server's own: only it can compare the answer with the job.
    assert set(INCONCLUSIVE_REASONS) == set(reasons.INCONCLUSIVE_REASONS) - {"other-video"}
