"""Caption files to YouTube's timed text (srv3), the only format the original frontend reads.

Patchwork-Browser fetches ``<id>.<lang>.srv3`` and renders it with react-srv3; archives
often hold only WebVTT or SubRip, so those are converted here (and srv3 to WebVTT through
:mod:`patchwork.archive.media.captions_vtt`). Cues become plain text: styling and positioning are
dropped, and the text is XML-escaped so the answer is always well-formed timed text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass

from patchwork.archive.media import captions_vtt

#: Formats :func:`convert` reads (the same ones :mod:`captions_vtt` reads).
READABLE = captions_vtt.CONVERTIBLE
#: Formats :func:`convert` writes.
TARGETS = ("srv3", "vtt")
#: Changes when a converter's output changes, so converted answers get new validators.
REVISION = "c1"
#: Captions bigger than this are not converted: the watch page's bound (docs/decisions/0702).
MAX_CONVERT_BYTES = captions_vtt.MAX_CONVERT_BYTES
#: At least this many ``<p>`` in every srv3 answer (see :func:`render_srv3`).
MIN_EVENTS = 2

_VTT_TIME = r"(?:(\d{1,3}):)?(\d{1,2}):(\d{1,2})[.,](\d{1,3})"
_VTT_TIMING = re.compile(rf"{_VTT_TIME}[ \t]+-->[ \t]+{_VTT_TIME}")
_TAG = re.compile(r"<[^>]*>")
# Characters XML 1.0 cannot carry at all, even escaped; a caption holding one would make
# the whole document unparseable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# react-srv3 (through fast-xml-parser) turns a lone <p> into an object rather than a list and
# then fails to iterate it; a <p> without text sends it down its <s> branch, which fails
# too. Padding events therefore carry a zero-width space and last 0 ms: never shown.
_PADDING_TEXT = "\u200b"


@dataclass(frozen=True, slots=True)
class Cue:
    start_ms: int
    end_ms: int
    text: str  # plain text, unescaped


def _ms(hours: str | None, minutes: str, seconds: str, frac: str) -> int:
    millis = int(frac.ljust(3, "0")[:3])
    return ((int(hours or 0) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + millis


def plain_text(markup: str) -> str:
    """Cue markup (WebVTT tags and entities) as the text a viewer reads."""
    return html.unescape(_TAG.sub("", markup))


def parse_vtt(text: str) -> list[Cue]:
    """The cues of a WebVTT file; header, NOTE, STYLE and REGION blocks are skipped."""
    cues: list[Cue] = []
    normalised = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    for block in re.split(r"\n[ \t]*\n", normalised):
        lines = block.strip("\n").split("\n")
        if not lines or lines[0].startswith(("WEBVTT", "NOTE", "STYLE", "REGION")):
            continue
        for i, line in enumerate(lines):
            match = _VTT_TIMING.search(line)
            if match:
                g = match.groups()
                body = "\n".join(lines[i + 1 :])
                cues.append(Cue(_ms(*g[0:4]), _ms(*g[4:8]), plain_text(body)))
                break
    return cues


def read_cues(text: str, fmt: str) -> list[Cue] | None:
    """Plain cues of a caption file in ``fmt``; ``None`` for a format not read."""
    if fmt == "vtt":
        return parse_vtt(text)
    if fmt == "srt":
        parsed = captions_vtt.parse_srt(text)
    elif fmt in ("srv3", "srv2", "srv1"):
        parsed = captions_vtt.parse_timedtext(text)
    else:
        return None
    # Those parsers escape for WebVTT (keeping <i>/<b>/<u>); undo that to get plain text.
    return [Cue(c.start_ms, c.end_ms, plain_text(c.text)) for c in parsed]


def _xml_text(text: str) -> str:
    text = _NOT_XML.sub("", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_srv3(cues: Iterable[Cue]) -> str:
    """``cues`` as srv3; empty and zero-length cues are left out.

    The frontend's renderer needs at least two ``<p>`` (see ``_PADDING_TEXT``), so a
    caption of one cue or none is padded with invisible events after its last cue.
    """
    events: list[str] = []
    last_end = 0
    for cue in cues:
        lines = [line.strip() for line in cue.text.split("\n")]
        body = "\n".join(line for line in lines if line)
        if not body or cue.end_ms <= cue.start_ms or cue.start_ms < 0:
            continue
        events.append(
            f'<p t="{cue.start_ms}" d="{cue.end_ms - cue.start_ms}">{_xml_text(body)}</p>'
        )
        last_end = max(last_end, cue.end_ms)
    while len(events) < MIN_EVENTS:
        events.append(f'<p t="{last_end}" d="0">{_PADDING_TEXT}</p>')
    return (
        '<?xml version="1.0" encoding="utf-8"?><timedtext format="3"><body>'
        + "".join(events)
        + "</body></timedtext>"
    )


def convert(text: str, source: str, target: str) -> str | None:
    """``text`` (a caption file in ``source``) in ``target``; ``None`` if not possible."""
    if target == "vtt":
        return captions_vtt.to_webvtt(text, source)
    if target == "srv3":
        cues = read_cues(text, source)
        return render_srv3(cues) if cues is not None else None
    return None
