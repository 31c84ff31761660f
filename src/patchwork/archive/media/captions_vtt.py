"""Caption files to WebVTT, the only format browsers' ``<track>`` plays.

Handles WebVTT itself (normalised: header, line endings), SubRip (``.srt``) and YouTube's
timed text (``.srv3``, ``.srv2``, ``.srv1``). Cue text is escaped so that a caption can only
ever be text (plus the ``<i>``, ``<b>``, ``<u>`` styling SubRip uses).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass

#: Formats :func:`to_webvtt` understands, most faithful first.
CONVERTIBLE = ("vtt", "srt", "srv3", "srv2", "srv1")
#: Caption files bigger than this are not converted (a real track is a few hundred KB), by
#: the watch page's WebVTT and the media routes' srv3/VTT alike.
MAX_CONVERT_BYTES = 8 * 1024 * 1024

_SRT_TIME = re.compile(
    r"(\d{1,3}):(\d{1,2}):(\d{1,2})(?:[,.](\d{1,3}))?\s*-->\s*"
    r"(\d{1,3}):(\d{1,2}):(\d{1,2})(?:[,.](\d{1,3}))?"
)
_STYLE_TAG = re.compile(r"&lt;(/?)([ibu])&gt;", re.IGNORECASE)


@dataclass(frozen=True)
class Cue:
    start_ms: int
    end_ms: int
    text: str  # already escaped for WebVTT


def timestamp(ms: int) -> str:
    ms = max(ms, 0)
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def escape_cue_text(text: str, *, keep_styles: bool = False) -> str:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if keep_styles:
        escaped = _STYLE_TAG.sub(lambda m: f"<{m.group(1)}{m.group(2).lower()}>", escaped)
    lines = [line.strip() for line in escaped.splitlines()]
    return "\n".join(line for line in lines if line)


def render(cues: Iterable[Cue]) -> str:
    parts = ["WEBVTT", ""]
    for cue in cues:
        if not cue.text or cue.end_ms <= cue.start_ms:
            continue
        parts += [f"{timestamp(cue.start_ms)} --> {timestamp(cue.end_ms)}", cue.text, ""]
    return "\n".join(parts)


def _ms(h: str, m: str, s: str, frac: str | None) -> int:
    millis = int((frac or "0").ljust(3, "0")[:3])
    return ((int(h) * 60 + int(m)) * 60 + int(s)) * 1000 + millis


def parse_srt(text: str) -> list[Cue]:
    cues: list[Cue] = []
    blocks = re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n").replace("\r", "\n"))
    for block in blocks:
        lines = block.strip("\n").split("\n")
        for i, line in enumerate(lines):
            match = _SRT_TIME.search(line)
            if match:
                g = match.groups()
                body = "\n".join(lines[i + 1 :])
                cues.append(
                    Cue(_ms(*g[0:4]), _ms(*g[4:8]), escape_cue_text(body, keep_styles=True))
                )
                break
    return cues


def _number(value: str | None, scale: float) -> int | None:
    try:
        return round(float(value) * scale) if value is not None else None
    except ValueError:
        return None


def parse_timedtext(text: str) -> list[Cue]:
    """YouTube timed text: srv3/srv2 (``<p t= d=>`` / ``<text t= d=>`` in ms) and srv1
    (``<text start= dur=>`` in seconds)."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return []
    cues: list[Cue] = []
    for element in root.iter():
        if element.tag not in ("p", "text"):
            continue
        start = _number(element.get("t"), 1)
        length = _number(element.get("d"), 1)
        if start is None:
            start = _number(element.get("start"), 1000)
            length = _number(element.get("dur"), 1000)
        if start is None:
            continue
        body = _element_text(element)
        cues.append(Cue(start, start + (length or 0), escape_cue_text(body)))
    return cues


def _element_text(element: ET.Element) -> str:
    parts = [element.text or ""]
    for child in element:
        parts.append("\n" if child.tag == "br" else _element_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def normalise_vtt(text: str) -> str:
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.startswith("WEBVTT"):
        text = "WEBVTT\n\n" + text
    return text if text.endswith("\n") else text + "\n"


def to_webvtt(text: str, fmt: str) -> str | None:
    """``text`` (a caption file in ``fmt``) as WebVTT; ``None`` for a format not handled."""
    if fmt == "vtt":
        return normalise_vtt(text)
    if fmt == "srt":
        return render(parse_srt(text))
    if fmt in ("srv3", "srv2", "srv1"):
        return render(parse_timedtext(text))
    return None
