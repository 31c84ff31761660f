"""The fast run finder (one regex) against the plain definition (``char_class`` per char)."""

from __future__ import annotations

import sys

from hypothesis import given
from hypothesis import strategies as st

from patchwork.archive.search.terms import (
    MARK,
    Requirement,
    char_class,
    marked,
    plan_word,
    runs,
    terms_of,
)


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


def test_a_cjk_run_posts_every_character_and_every_bigram() -> None:
    characters = {"夜", "に", "駆", "け", "る"}
    assert terms_of("夜に駆ける mv") == characters | {"夜に", "に駆", "駆け", "ける", "mv"}


def test_a_cjk_word_of_one_or_two_characters_is_one_exact_term() -> None:
    for word in ("桜", "千本"):
        planned = plan_word(word)
        assert planned.exact and planned.requirements == [Requirement(word, prefix=False)]
