"""The fast run finder (one regex) against the plain definition (``char_class`` per char)."""

from __future__ import annotations

import sys

from hypothesis import given
from hypothesis import strategies as st

from patchwork.archive.search.terms import MARK, char_class, marked, runs


def runs_by_char_class(text: str) -> list[tuple[str, int, int]]:
    found: list[tuple[str, int, int]] = []
    start, current = 0, "o"
    for i, char in enumerate(text):
        cls = char_class(char)
        if cls != current:
            if current != "o":
                found.append((current, start, i))
            start, current = i, cls
    if current != "o":
        found.append((current, start, len(text)))
    return found


def test_every_code_point_gets_the_class_char_class_gives() -> None:
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        expected = [] if char_class(char) == "o" else [(char_class(char), 0, 1)]
        assert runs(char) == expected, hex(code)


# Latin, digits, kana, kanji, Hangul, punctuation, emoji, combining marks, the class boundary.
mixed = st.text(
    alphabet=st.sampled_from(list("aZ09_ -.'%") + list("ⷿ⺀ぁアー夜駆한") + ["🎤", "\u0301", "\x01"])
)


@given(mixed)
def test_runs_and_marks_follow_the_character_classes(text: str) -> None:
    expected = runs_by_char_class(text)
    assert runs(text) == expected
    starts = {start for _, start, _ in expected}
    assert marked(text) == "".join(MARK + c if i in starts else c for i, c in enumerate(text))
