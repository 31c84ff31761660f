"""Caption conversion to srv3 (for the original frontend's react-srv3) and WebVTT parsing."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from patchwork.archive.media.captions_srv3 import (
    MIN_EVENTS,
    Cue,
    convert,
    parse_vtt,
    read_cues,
    render_srv3,
)
from patchwork.archive.media.captions_vtt import parse_timedtext

HEAD = '<?xml version="1.0" encoding="utf-8"?><timedtext format="3"><body>'


def events(srv3: str) -> list[tuple[str | None, str | None, str | None]]:
    return [(p.get("t"), p.get("d"), p.text) for p in ET.fromstring(srv3).iter("p")]


def test_the_exact_document_shape() -> None:
    out = render_srv3([Cue(0, 1000, "one"), Cue(1000, 2500, "two")])
    assert out == f'{HEAD}<p t="0" d="1000">one</p><p t="1000" d="1500">two</p></body></timedtext>'


def test_text_is_xml_escaped_and_unencodable_characters_dropped() -> None:
    out = render_srv3([Cue(0, 10, "<script>&\x00\x1b\ufffe ok</script>"), Cue(10, 20, "b")])
    assert "<script>" not in out
    assert "&lt;script&gt;&amp; ok&lt;/script&gt;" in out
    assert events(out)[0][2] == "<script>& ok</script>"  # parses: the document is well-formed


@pytest.mark.parametrize("cues", [[], [Cue(500, 1500, "only")]])
def test_fewer_than_two_cues_are_padded_with_invisible_events(cues: list[Cue]) -> None:
    found = events(render_srv3(cues))
    assert len(found) == MIN_EVENTS
    real = [(str(c.start_ms), str(c.end_ms - c.start_ms), c.text) for c in cues]
    assert found[: len(cues)] == real
    for _, duration, text in found[len(cues) :]:
        # react-srv3 fails on a <p> without text; 0 ms means it is never shown.
        assert duration == "0" and text == "\u200b"
    # The watch page's WebVTT (through the srv3 reader) leaves the padding out.
    assert [c.text for c in parse_timedtext(render_srv3(cues)) if c.end_ms > c.start_ms] == [
        c.text for c in cues
    ]


def test_empty_and_backwards_cues_are_left_out() -> None:
    out = render_srv3([Cue(0, 0, "zero"), Cue(5, 1, "back"), Cue(0, 9, " \n "), Cue(1, 2, "a")])
    assert [e[2] for e in events(out)] == ["a", "\u200b"]


def test_webvtt_parsing() -> None:
    text = (
        "\ufeffWEBVTT - title\r\nKind: captions\r\n\r\n"
        "STYLE\n::cue { color: red }\n\n"
        "NOTE 00:00.000 --> 00:01.000 is not a cue here\n\n"
        "intro\n00:01.250 --> 00:02.000 position:10% align:start\n"
        "<v Bob>Hi</v> &amp; <b>bye</b>\n\n"
        "01:00:00.000 --> 01:00:01.5\nlate &lt;3\nsecond line\n"
    )
    assert parse_vtt(text) == [
        Cue(1250, 2000, "Hi & bye"),
        Cue(3_600_000, 3_601_500, "late <3\nsecond line"),
    ]


def test_every_readable_format_converts_to_srv3() -> None:
    srt = "1\n00:00:01,000 --> 00:00:02,000\n<i>a</i> & b\n"
    srv1 = '<transcript><text start="1" dur="1">a &amp; b</text></transcript>'
    srv2 = '<timedtext><body><text t="1000" d="1000">a &amp; b</text></body></timedtext>'
    vtt = "WEBVTT\n\n00:01.000 --> 00:02.000\na &amp; b\n"
    for fmt, text in (("srt", srt), ("srv1", srv1), ("srv2", srv2), ("vtt", vtt)):
        out = convert(text, fmt, "srv3")
        assert out is not None
        assert events(out)[0] == ("1000", "1000", "a & b"), fmt


def test_unknown_formats_are_not_converted() -> None:
    assert read_cues("{}", "json3") is None
    assert convert("{}", "json3", "srv3") is None
    assert convert("WEBVTT\n", "vtt", "ttml") is None
    assert convert("<timedtext/>", "srv3", "vtt") == "WEBVTT\n"
