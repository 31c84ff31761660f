"""The caption converter: SubRip and YouTube timed text to WebVTT."""

from __future__ import annotations

from patchwork.archive.media.captions_vtt import parse_srt, parse_timedtext, timestamp, to_webvtt
from patchwork.web.filters import duration, filesize, linkify


def test_timestamps() -> None:
    assert timestamp(0) == "00:00:00.000"
    assert timestamp(3_723_004) == "01:02:03.004"
    assert timestamp(-5) == "00:00:00.000"


def test_srt_with_crlf_styles_and_hostile_text() -> None:
    srt = "1\r\n00:00:01,5 --> 00:00:03,250\r\n<b>Hi</b> <font color=red>x</font>\r\n\r\n2\r\n"
    srt += "00:01:00,000 --> 00:01:02,000\r\nline one\r\nline --> two\r\n"
    cues = parse_srt(srt)
    assert [(c.start_ms, c.end_ms) for c in cues] == [(1500, 3250), (60000, 62000)]
    assert cues[0].text == "<b>Hi</b> &lt;font color=red&gt;x&lt;/font&gt;"
    assert cues[1].text == "line one\nline --&gt; two"
    out = to_webvtt(srt, "srt")
    assert out is not None and out.startswith("WEBVTT\n\n00:00:01.500 --> 00:00:03.250\n")


def test_srv3_srv1_and_broken_xml() -> None:
    srv3 = (
        '<timedtext format="3"><body><p t="10" d="990">a<br/>b <s>c</s></p>'
        '<p t="5"/></body></timedtext>'
    )
    cues = parse_timedtext(srv3)
    assert cues[0].start_ms == 10 and cues[0].end_ms == 1000 and cues[0].text == "a\nb c"
    srv1 = '<transcript><text start="1.25" dur="2">it&#39;s &lt;ok&gt;</text></transcript>'
    assert parse_timedtext(srv1)[0].text == "it's &lt;ok&gt;"
    assert to_webvtt(srv1, "srv1") == "WEBVTT\n\n00:00:01.250 --> 00:00:03.250\nit's &lt;ok&gt;\n"
    assert to_webvtt("<not xml", "srv3") == "WEBVTT\n"
    assert to_webvtt("x", "ass") is None


def test_vtt_is_normalised() -> None:
    assert to_webvtt("\ufeffWEBVTT\r\n\r\n00:01.000 --> 00:02.000\r\nhi", "vtt") == (
        "WEBVTT\n\n00:01.000 --> 00:02.000\nhi\n"
    )
    assert to_webvtt("00:01.000 --> 00:02.000\nhi\n", "vtt") == (
        "WEBVTT\n\n00:01.000 --> 00:02.000\nhi\n"
    )


def test_linkify() -> None:
    assert str(linkify("see https://a.example/x?y=1&z=2.\nnext")) == (
        'see <a href="https://a.example/x?y=1&amp;z=2" rel="nofollow noopener noreferrer">'
        "https://a.example/x?y=1&amp;z=2</a>.<br>\nnext"
    )
    assert str(linkify('<a href="javascript:x">https://e.example/"onmouseover=x</a>')) == (
        "&lt;a href=&#34;javascript:x&#34;&gt;"
        '<a href="https://e.example/" rel="nofollow noopener noreferrer">https://e.example/</a>'
        "&#34;onmouseover=x&lt;/a&gt;"
    )
    assert str(linkify("(https://w.example/wiki/A_(b))")) == (
        '(<a href="https://w.example/wiki/A_(b)" rel="nofollow noopener noreferrer">'
        "https://w.example/wiki/A_(b)</a>)"
    )
    assert str(linkify("old \\n style")) == "old<br>\n style"
    assert str(linkify(None)) == ""


def test_sizes_and_durations() -> None:
    assert filesize(512) == "512 bytes"
    assert filesize(1536) == "1.5 KB"
    assert filesize(3 * 1024**3) == "3.0 GB"
    assert duration(65) == "1:05" and duration(3700) == "1:01:40" and duration(None) == ""
