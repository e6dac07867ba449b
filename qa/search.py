"""Search tokenisation: the one place that knows how text becomes searchable words.

Chinese has no spaces, so PostgreSQL's 'simple' text-search configuration would see a whole
sentence as one word. We store a `search_text` column of space-separated, lower-cased tokens:
jieba's `cut_for_search` words for Chinese plus Latin words, and search that.
"""

from __future__ import annotations

import logging
import re

import jieba

jieba.setLogLevel(logging.WARNING)

_LATIN = re.compile(r"[a-z0-9]+(?:[-_.][a-z0-9]+)*")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")


def tokens(text: str) -> list[str]:
    """Words of `text` for indexing and querying, in order, lower-cased, de-duplicated."""
    lowered = text.lower()
    seen: dict[str, None] = {}
    for word in _LATIN.findall(lowered):
        seen.setdefault(word, None)
    for run in _HAN.findall(lowered):
        for word in jieba.cut_for_search(run):
            word = word.strip()
            if word:
                seen.setdefault(word, None)
    return list(seen)


def build_search_text(*parts: str) -> str:
    return " ".join(tokens(" ".join(p for p in parts if p)))
