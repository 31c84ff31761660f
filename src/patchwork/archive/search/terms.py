"""The one text normalisation of search, and what a text or a query word means to the index.

Indexed text and queries go through the same :func:`normalize` (NFKC, casefold, katakana to
hiragana, blanks and control characters to one space): ``ＡＢＣ`` = ``abc``, ``ヨル`` = ``よる``.

Characters fall into three classes: ``w`` (letters and digits of space-separated scripts),
``c`` (alphanumerics at or above U+2E80: kana, CJK ideographs, Hangul) and ``o`` (everything
else: punctuation, symbols, emoji, space). A *word start* is a ``w``/``c`` character whose
predecessor is of another class (or that begins the field).

Matching of one normalised query word ``q`` against one normalised field ``f``:

* ``q`` holds a ``c`` character or starts with an ``o`` character: ``q`` is a substring of ``f``;
* otherwise (a Latin word): ``q`` occurs in ``f`` at a word start (a word or a word prefix).

The index stores, per row, the words of its ``w`` runs (whole, cut to
:data:`MAX_TERM_LENGTH`) and, per ``c`` run, every character bigram and every character alone
(decision 0305): a CJK query word of one or two characters is then one exact term. Rows also keep a
*marked* text (:func:`marked`): the normalised fields with :data:`MARK` before every word
start, so a word-start test becomes a plain substring test (``LIKE``) on every database.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

MARK = "\x01"  # never in normalised text: control characters become spaces
FIELD_SEPARATOR = "\n"  # never in normalised text nor in a query word: no match spans fields
MAX_TERM_LENGTH = 64
CJK_START = 0x2E80
MAX_BIGRAMS_PER_WORD = 4  # more bigrams barely narrow candidates; LIKE checks the rest

_KATAKANA = {code: code - 0x60 for code in range(0x30A1, 0x30F7)}
# One match per maximal run: group 1 a ``w`` run, group 2 a ``c`` run. ``[^\W_]`` is exactly
# ``str.isalnum`` (re's \w is isalnum plus "_"), so runs agree with :func:`char_class`, which
# stays the plain definition (tests check the two agree on every code point); the regex does
# in C what a loop over the characters did in Python, on the index build's hot path.
_RUNS = re.compile(rf"([^\W_{chr(CJK_START)}-\U0010ffff]+)|([^\W_\x00-{chr(CJK_START - 1)}]+)")


def normalize(text: str) -> str:
    """NFKC + casefold (+ NFKC again, casefold can denormalise) + katakana to hiragana."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    folded = folded.translate(_KATAKANA)
    if not folded.isprintable():  # the common case skips this: only " " is printable and blank
        folded = "".join(c if c.isprintable() and not c.isspace() else " " for c in folded)
    return " ".join(folded.split())


def char_class(char: str) -> str:
    if not char.isalnum():
        return "o"
    return "c" if ord(char) >= CJK_START else "w"


def runs(text: str) -> list[tuple[str, int, int]]:
    """Maximal ``w``/``c`` runs of normalised ``text`` as ``(class, start, end)``."""
    return [("w" if m.group(1) else "c", m.start(), m.end()) for m in _RUNS.finditer(text)]


def marked(text: str) -> str:
    """Normalised ``text`` with :data:`MARK` before each word start."""
    out: list[str] = []
    last = 0
    for match in _RUNS.finditer(text):
        start = match.start()
        out += (text[last:start], MARK)
        last = start
    out.append(text[last:])
    return "".join(out)


def terms_of(text: str) -> set[str]:
    """Index postings of normalised ``text`` (see the module docstring)."""
    terms: set[str] = set()
    for cls, start, end in runs(text):
        run = text[start:end]
        if cls == "w":
            terms.add(run[:MAX_TERM_LENGTH])
        else:
            terms.update(run[i : i + 2] for i in range(len(run) - 1))
            terms.update(run)
    return terms


def field_index(*fields: str | None) -> tuple[str, set[str]]:
    """The marked text of several fields, kept apart by :data:`FIELD_SEPARATOR`, and their
    postings; each field is normalised once."""
    texts: list[str] = []
    terms: set[str] = set()
    for f in fields:
        if f:
            normalised = normalize(f)
            texts.append(marked(normalised))
            terms |= terms_of(normalised)
    return FIELD_SEPARATOR.join(texts), terms


@dataclass(frozen=True)
class Requirement:
    """A posting the row must have: ``term`` itself, or (``prefix``) any term starting so."""

    term: str
    prefix: bool


@dataclass(frozen=True)
class QueryWord:
    """One query word, planned: index requirements, and the substring to check on rows."""

    text: str
    pattern: str
    requirements: list[Requirement] = field(default_factory=list)
    exact: bool = False  # the requirements alone decide the match; no row check needed

    @property
    def indexed(self) -> bool:
        return bool(self.requirements)


def plan_query(q: str) -> list[QueryWord]:
    """Normalise the whole query, split it at blanks, plan each word (duplicates dropped)."""
    return [plan_word(w) for w in dict.fromkeys(normalize(q).split(" ")) if w]


def plan_word(text: str) -> QueryWord:
    """Plan one normalised, blank-free query word."""
    word_runs = runs(text)
    substring = any(cls == "c" for cls, _, _ in word_runs) or char_class(text[0]) == "o"
    pattern = marked(text)
    if substring and pattern.startswith(MARK):
        pattern = pattern[1:]
    requirements: list[Requirement] = []
    for cls, start, end in word_runs:
        run = text[start:end]
        if cls == "c":
            if len(run) == 1:
                requirements.append(Requirement(run, prefix=False))
            else:
                requirements.extend(Requirement(b, prefix=False) for b in _spread_bigrams(run))
        elif not (substring and start == 0):  # a leading run may end a longer text word
            whole = end < len(text) and len(run) <= MAX_TERM_LENGTH
            requirements.append(Requirement(run[:MAX_TERM_LENGTH], prefix=not whole))
    single = len(word_runs) == 1 and word_runs[0][1:] == (0, len(text))
    exact = single and (
        (word_runs[0][0] == "w" and len(text) <= MAX_TERM_LENGTH)
        or (word_runs[0][0] == "c" and len(text) <= 2)
    )
    return QueryWord(text=text, pattern=pattern, requirements=requirements, exact=exact)


def _spread_bigrams(run: str) -> list[str]:
    bigrams = list(dict.fromkeys(run[i : i + 2] for i in range(len(run) - 1)))
    if len(bigrams) <= MAX_BIGRAMS_PER_WORD:
        return bigrams
    step = (len(bigrams) - 1) / (MAX_BIGRAMS_PER_WORD - 1)
    return list(dict.fromkeys(bigrams[round(i * step)] for i in range(MAX_BIGRAMS_PER_WORD)))


def word_matches(word: QueryWord, normalised_field: str) -> bool:
    """Reference matcher on one normalised field (used for checks, not for searching)."""
    return word.pattern in marked(normalised_field)
