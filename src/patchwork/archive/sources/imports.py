"""Reading a list of sources from a file: plain lines, OPML, or YouTube Takeout's CSV.

The format is told by the content, not the file's name: an export is often renamed, and the
same list travels as ``subscriptions.csv``, ``subs.txt`` or ``feeds.opml``.

- YouTube Takeout's ``subscriptions.csv``: the header is ``Channel Id,Channel Url,Channel
  Title`` in English, translated in other account languages; a header that is not the English
  one is accepted when the rows' first column is a channel id (``UC…``), and the columns are
  then taken by position.
- OPML (feed readers, YouTube's old subscription export): every ``<outline>`` with an
  ``xmlUrl`` (preferred: the feed is what lists the videos) or ``htmlUrl``, nested ones too.
  The file is parsed by expat with any DOCTYPE or entity declaration refused, so an entity
  expansion (billion laughs) or an external entity never gets as far as being expanded.
- Otherwise one URL a line; blank lines and ``#`` comments are ignored.

What is read is not checked to be a source here: the caller adds each one and reports those
that are not (a video's URL, say) while adding the rest. A file that is not a list of sources
at all is refused as a whole with :class:`InvalidSourceFile`.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final, NoReturn
from xml.parsers import expat

from patchwork.archive.ingest.targets import TargetError
from patchwork.archive.sources.catalog import MAX_NAME_LENGTH
from patchwork.archive.sources.urls import normalise_source_url
from patchwork.errors import InvalidInput

#: Far above any real subscription list (a Takeout CSV of 5,000 channels is ~500 kB).
MAX_FILE_BYTES: Final = 16 * 1024 * 1024
TAKEOUT_HEADER: Final = ("channel id", "channel url", "channel title")
_CHANNEL_ID = re.compile(r"UC[A-Za-z0-9_-]{22}")
_URL_LINE = re.compile(r"https?://\S+", re.IGNORECASE)
_TRAILING_COMMENT = re.compile(r"\s+#.*$")
_BOM: Final = b"\xef\xbb\xbf"


class InvalidSourceFile(InvalidInput):
    """The file cannot be read as a list of sources; the message says where and why: 400."""


@dataclass(frozen=True)
class ImportedSource:
    """One source a file names: its URL as written there, and the name it gives, if any."""

    url: str
    name: str | None = None


def read_sources_file(path: Path) -> list[ImportedSource]:
    """The sources the file at ``path`` names, each once, in the file's order."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise InvalidSourceFile(f"{path}: cannot read it: {exc.strerror or exc}") from None
    return parse_sources(data, origin=str(path))


def parse_sources(data: bytes, *, origin: str = "the file") -> list[ImportedSource]:
    """The sources ``data`` names, each once (by normalised URL), in order of appearance."""
    if len(data) > MAX_FILE_BYTES:
        raise InvalidSourceFile(f"{origin} is larger than {MAX_FILE_BYTES // 2**20} MiB")
    head = data.removeprefix(_BOM).lstrip()
    if not head:
        raise InvalidSourceFile(f"{origin} is empty")
    if head.startswith(b"<"):
        # Bytes, not text: expat honours the encoding the XML declaration names.
        found = _opml(data, origin)
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidSourceFile(
                f"{origin} is not UTF-8 text (byte {exc.start}): expected one URL a line, "
                "an OPML file or a YouTube Takeout subscriptions.csv"
            ) from None
        rows = _takeout_rows(text)
        found = _takeout(rows, origin) if rows is not None else _lines(text, origin)
    unique = _once(found)
    if not unique:
        raise InvalidSourceFile(f"{origin} names no sources")
    return unique


def _opml(data: bytes, origin: str) -> list[ImportedSource]:
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    roots: list[str] = []
    found: list[ImportedSource] = []

    def refuse_declaration(*_: object) -> NoReturn:
        raise InvalidSourceFile(
            f"{origin}: line {parser.CurrentLineNumber}: DOCTYPE and entity declarations "
            "are not accepted in an OPML file"
        )

    def start(tag: str, attributes: dict[str, str]) -> None:
        if not roots:
            roots.append(tag)
        if _local(tag) != "outline":
            return
        by_name = {key.lower(): value for key, value in attributes.items()}
        url = (by_name.get("xmlurl") or by_name.get("htmlurl") or "").strip()
        if url:
            found.append(ImportedSource(url, _name(by_name.get("title") or by_name.get("text"))))

    parser.StartDoctypeDeclHandler = refuse_declaration
    parser.EntityDeclHandler = refuse_declaration
    parser.ExternalEntityRefHandler = refuse_declaration
    parser.StartElementHandler = start
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        reason = expat.ErrorString(exc.code)
        raise InvalidSourceFile(
            f"{origin} is not valid XML: {reason} (line {exc.lineno})"
        ) from None
    if not roots or _local(roots[0]).lower() != "opml":
        root = _local(roots[0]) if roots else "nothing"
        raise InvalidSourceFile(f"{origin} is XML but not an OPML file (its root is <{root}>)")
    return found


def _local(tag: str) -> str:
    return tag.rsplit(":", 1)[-1]


def _takeout_rows(text: str) -> list[tuple[int, list[str]]] | None:
    """The CSV's non-blank rows with their line numbers if it is a Takeout list, else None."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    if "," not in first:
        return None
    reader = csv.reader(io.StringIO(text))
    rows: list[tuple[int, list[str]]] = []
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append((reader.line_num, [cell.strip() for cell in row]))
    except csv.Error:
        return None  # not CSV after all: read as lines, which says which line is wrong
    header = [cell.lower() for cell in rows[0][1][:3]]
    if tuple(header) == TAKEOUT_HEADER:
        return rows
    # A translated header: the rows after it (or a file without one) start with a channel id.
    starts = [cells[0] for _, cells in rows[:2]]
    if any(_CHANNEL_ID.fullmatch(cell) for cell in starts):
        return rows
    return None


def _takeout(rows: list[tuple[int, list[str]]], origin: str) -> list[ImportedSource]:
    id_at, url_at, title_at = 0, 1, 2
    header = [cell.lower() for cell in rows[0][1]]
    if set(TAKEOUT_HEADER) <= set(header):
        id_at, url_at, title_at = (header.index(column) for column in TAKEOUT_HEADER)
    if not _CHANNEL_ID.fullmatch(rows[0][1][0]):
        rows = rows[1:]  # the header, in whatever language
    found: list[ImportedSource] = []
    for line, cells in rows:
        channel, url, title = (
            cells[i] if i < len(cells) else "" for i in (id_at, url_at, title_at)
        )
        if not url and _CHANNEL_ID.fullmatch(channel):
            url = f"https://www.youtube.com/channel/{channel}"
        if not url:
            raise InvalidSourceFile(f"{origin}: line {line}: no channel URL or channel id")
        found.append(ImportedSource(url, _name(title)))
    return found


def _lines(text: str, origin: str) -> list[ImportedSource]:
    found: list[ImportedSource] = []
    for number, line in enumerate(text.splitlines(), start=1):
        url = _TRAILING_COMMENT.sub("", line).strip()
        if not url or url.startswith("#"):
            continue
        if not _URL_LINE.fullmatch(url):
            raise InvalidSourceFile(
                f"{origin}: line {number}: {url[:80]!r} is not an http(s) URL "
                "(expected one URL a line, # for comments, an OPML file or a Takeout CSV)"
            )
        found.append(ImportedSource(url))
    return found


def _name(text: str | None) -> str | None:
    name = " ".join((text or "").split())
    return name[:MAX_NAME_LENGTH] or None


def _once(found: list[ImportedSource]) -> list[ImportedSource]:
    """First of each normalised URL; a later mention lends its name to one without."""
    by_key: dict[str, ImportedSource] = {}
    for source in found:
        try:
            key = normalise_source_url(source.url).key
        except TargetError:
            key = source.url  # not a source: the caller reports it, once
        kept = by_key.get(key)
        if kept is None:
            by_key[key] = source
        elif kept.name is None and source.name is not None:
            by_key[key] = ImportedSource(kept.url, source.name)
    return list(by_key.values())
