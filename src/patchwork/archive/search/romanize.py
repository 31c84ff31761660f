"""Romaji for Japanese titles and names, made the way the original worker made them.

The original ran ``cutlet.Cutlet().romaji(title)`` (Hepburn, foreign spellings on), so the
same call here keeps romaji identical to what existing archives hold.
"""

from __future__ import annotations

import threading
import unicodedata
from functools import lru_cache
from typing import Any

_lock = threading.Lock()


@lru_cache(maxsize=1)
def _katsu() -> Any:
    import cutlet  # MeCab's dictionary loads in ~1 s; only pay for it when romanizing

    return cutlet.Cutlet()


def needs_romanizing(text: str) -> bool:
    """Whether ``text`` holds Japanese script (kana or CJK ideographs)."""
    for char in text:
        if ord(char) < 0x3000:
            continue
        name = unicodedata.name(char, "")
        if name.startswith(("CJK", "HIRAGANA", "KATAKANA", "HALFWIDTH KATAKANA")):
            return True
    return False


def romanize(text: str | None) -> str | None:
    """Romaji of ``text``, or ``None`` when it has nothing Japanese to romanize."""
    if not text or not needs_romanizing(text):
        return None
    with _lock:  # the MeCab tagger is not safe to share between threads
        result = _katsu().romaji(text)
    return str(result).strip() or None
