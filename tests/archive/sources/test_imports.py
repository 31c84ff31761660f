"""Reading source lists: YouTube Takeout CSV, OPML, plain lines; bad files refused whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from patchwork.archive.queue.records import Actor
from patchwork.archive.sources import catalog
from patchwork.archive.sources.catalog import SourceExists, SourceSpec
from patchwork.archive.sources.imports import (
    ImportedSource,
    InvalidSourceFile,
    parse_sources,
    read_sources_file,
)
from patchwork.db import Database
from patchwork.errors import InvalidInput

ALPHA = "UCaaaaaaaaaaaaaaaaaaaaaa"
BRAVO = "UCbbbbbbbbbbbbbbbbbbbbbb"
CHARLIE = "UCcccccccccccccccccccccc"
ACTOR = Actor(None, "test")

TAKEOUT = (
    "Channel Id,Channel Url,Channel Title\n"
    f"{ALPHA},http://www.youtube.com/channel/{ALPHA},Alpha Films\n"
    f'{BRAVO},http://www.youtube.com/channel/{BRAVO},"Bravo, the ""Band"""\n'
    "\n"
)
OPML = f"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.1">
  <body>
    <outline text="YouTube Subscriptions" title="YouTube Subscriptions">
      <outline text="Bravo" title="Bravo" type="rss"
               xmlUrl="https://www.youtube.com/feeds/videos.xml?channel_id={BRAVO}"/>
      <outline text="Folder">
        <outline text="Charlie" type="rss"
                 xmlUrl="https://www.youtube.com/feeds/videos.xml?channel_id={CHARLIE}"/>
        <outline text="A blog" htmlUrl="https://blog.example/videos"/>
      </outline>
    </outline>
  </body>
</opml>
"""


def channel(channel_id: str) -> str:
    return f"https://www.youtube.com/channel/{channel_id}"


def test_a_takeout_csv_gives_each_channel_with_its_title() -> None:
    assert parse_sources(("\ufeff" + TAKEOUT).encode()) == [
        ImportedSource(f"http://www.youtube.com/channel/{ALPHA}", "Alpha Films"),
        ImportedSource(f"http://www.youtube.com/channel/{BRAVO}", 'Bravo, the "Band"'),
    ]


def test_a_translated_takeout_header_is_read_by_column_position() -> None:
    french = (
        "ID des chaînes,URL des chaînes,Titres des chaînes\n"
        f"{ALPHA},http://www.youtube.com/channel/{ALPHA},Alpha\n"
        f"{BRAVO},,Bravo sans URL\n"
    )
    assert parse_sources(french.encode()) == [
        ImportedSource(f"http://www.youtube.com/channel/{ALPHA}", "Alpha"),
        ImportedSource(channel(BRAVO), "Bravo sans URL"),
    ]


def test_an_opml_file_gives_every_outline_with_a_url_nested_ones_too() -> None:
    assert parse_sources(OPML.encode()) == [
        ImportedSource(f"https://www.youtube.com/feeds/videos.xml?channel_id={BRAVO}", "Bravo"),
        ImportedSource(f"https://www.youtube.com/feeds/videos.xml?channel_id={CHARLIE}", "Charlie"),
        ImportedSource("https://blog.example/videos", "A blog"),
    ]


def test_plain_lines_skip_blanks_and_comments_and_repeats_appear_once() -> None:
    text = (
        "# my channels\n"
        "\n"
        "https://www.youtube.com/@Someone  # the first one\n"
        "  https://www.youtube.com/@someone/videos\n"
        f"https://youtube.com/channel/{ALPHA}\n"
        f"http://www.youtube.com/feeds/videos.xml?channel_id={ALPHA}\n"
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ\n"
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ\n"
    )
    # @someone/videos is its own source (a tab), not a repeat of @Someone.
    assert [s.url for s in parse_sources(text.encode())] == [
        "https://www.youtube.com/@Someone",
        "https://www.youtube.com/@someone/videos",
        f"https://youtube.com/channel/{ALPHA}",
        # A video is not a source: kept (once) so that the caller can say so.
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    ]


def test_a_later_mention_lends_its_name_to_an_unnamed_first_one() -> None:
    opml = (
        "<opml><body>"
        f'<outline xmlUrl="https://www.youtube.com/feeds/videos.xml?channel_id={ALPHA}"/>'
        f'<outline title="Alpha" htmlUrl="{channel(ALPHA)}/"/>'
        f'<outline title="Alpha again" htmlUrl="{channel(ALPHA)}"/>'
        "</body></opml>"
    )
    (only,) = parse_sources(opml.encode())
    assert only.name == "Alpha" and "channel_id" in only.url


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("https://a.example/x\nnot a url\n", "line 2: 'not a url' is not an http"),
        ("", "is empty"),
        ("# only a comment\n\n", "names no sources"),
        ("<opml><body><outline xmlUrl='https://a.example/f'></body></opml>", "not valid XML"),
        ("<rss><channel><title>t</title></channel></rss>", "not an OPML file"),
        ("<opml><body><outline text='no url'/></body></opml>", "names no sources"),
        ("<opml><body><outline xmlUrl='&foo;'/></body></opml>", "undefined entity"),
        (f"Channel Id,Channel Url,Channel Title\n{ALPHA},x\nnot-an-id,,\n", "line 3: no channel"),
    ],
)
def test_a_file_that_is_not_a_source_list_is_refused_with_where_and_why(
    content: str, message: str
) -> None:
    with pytest.raises(InvalidSourceFile, match=message) as refused:
        parse_sources(content.encode(), origin="subs")
    assert str(refused.value).startswith("subs")
    assert isinstance(refused.value, InvalidInput)  # a 400, never a 500


def test_entity_declarations_are_refused_before_any_expansion() -> None:
    laughs = (
        '<?xml version="1.0"?>\n<!DOCTYPE opml [\n <!ENTITY a "ha">\n'
        + "".join(
            f' <!ENTITY {n} "{("&" + p + ";") * 10}">\n'
            for p, n in zip("abcdefgh", "bcdefghi", strict=True)
        )
        + ']>\n<opml><body><outline title="&i;" xmlUrl="https://a.example/f"/></body></opml>'
    )
    with pytest.raises(InvalidSourceFile, match="DOCTYPE and entity declarations"):
        parse_sources(laughs.encode())
    external = (
        '<?xml version="1.0"?><!DOCTYPE opml SYSTEM "file:///etc/passwd">'
        '<opml><body><outline xmlUrl="https://a.example/f"/></body></opml>'
    )
    with pytest.raises(InvalidSourceFile, match="line 1: DOCTYPE"):
        parse_sources(external.encode())


def test_an_opml_file_in_another_encoding_is_read_as_it_declares() -> None:
    opml = (
        '<?xml version="1.0" encoding="ISO-8859-1"?>'
        '<opml><body><outline title="Café" xmlUrl="https://a.example/f"/></body></opml>'
    )
    assert parse_sources(opml.encode("latin-1")) == [ImportedSource("https://a.example/f", "Café")]


def test_unreadable_and_non_utf8_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidSourceFile, match="cannot read it"):
        read_sources_file(tmp_path / "missing.txt")
    binary = tmp_path / "subs.bin"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    with pytest.raises(InvalidSourceFile, match="not UTF-8 text"):
        read_sources_file(binary)


def test_takeout_and_opml_add_each_channel_once_and_twice_adds_nothing(
    db: Database, tmp_path: Path
) -> None:
    (tmp_path / "subscriptions.csv").write_text(TAKEOUT)
    (tmp_path / "feeds.opml").write_text(OPML)

    def import_all() -> tuple[list[str], int]:
        added, known = [], 0
        for name in ("subscriptions.csv", "feeds.opml"):
            for entry in read_sources_file(tmp_path / name):
                spec = SourceSpec(url=entry.url, name=entry.name)
                try:
                    added.append(catalog.add_source(db, spec, ACTOR).url)
                except SourceExists:
                    known += 1
        return added, known

    # Bravo is in both files, once as a channel URL and once as its feed.
    assert import_all() == (
        [channel(ALPHA), channel(BRAVO), channel(CHARLIE), "https://blog.example/videos"],
        1,
    )
    assert import_all() == ([], 5)
    names = {info.url: info.name for info in catalog.list_sources(db)}
    assert names[channel(BRAVO)] == 'Bravo, the "Band"' and names[channel(CHARLIE)] == "Charlie"
