"""Showing where a search matched: the query's words marked in a prompt, and a short excerpt
of the answer around the first match, marked too. The words are marked as the search finds
them (qa.search.Term): a Latin word where a word begins, Chinese wherever it occurs."""

from __future__ import annotations

import re
from functools import lru_cache

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from qa.search import query_terms

SNIPPET_BEFORE = 40
SNIPPET_LENGTH = 160


def pattern_for(words: list[str]) -> re.Pattern[str] | None:
    """A case-insensitive pattern for `words` (a query's), longest first."""
    terms = {t for t in words if t.strip()}
    if not terms:
        return None
    alternatives = sorted(terms, key=lambda t: (-len(t), t))
    return re.compile("|".join(_alternative(t) for t in alternatives), re.IGNORECASE)


_WORD_CHARACTER = re.compile("[a-z0-9]", re.IGNORECASE)


def _alternative(needle: str) -> str:
    """`needle` as the search finds it (Term.regex): a Latin word where a word begins (`lm`
    is not marked inside `LLM`), a number or a single letter as a whole word (`3` not inside
    `2023`); Chinese wherever it occurs."""
    source = re.escape(needle)
    if _WORD_CHARACTER.match(needle):
        source = rf"(?<![a-z0-9]){source}"
        terms = query_terms(needle)
        if len(terms) == 1 and terms[0].text == needle and terms[0].tsquery()[1] == "plain":
            source = rf"{source}(?![a-z0-9])"
    return source


def _marked(text: str, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    """Where `pattern` matches in `text` (overlapping matches too, by a lookahead), matches
    that overlap or touch made one: the character pairs of a near search (大模, 模型) mark
    the word they cover (大模型), not 大模 and a stray 型."""
    spans: list[tuple[int, int]] = []
    for match in _overlapping(pattern.pattern, pattern.flags).finditer(text):
        start, end = match.span(1)
        if end == start:
            continue
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((start, end))
    return spans


@lru_cache(maxsize=256)
def _overlapping(source: str, flags: int) -> re.Pattern[str]:
    return re.compile(f"(?=({source}))", flags)


def highlight(text: str, pattern: re.Pattern[str] | None) -> SafeString:
    """`text` with every match wrapped in <mark>; everything else HTML-escaped."""
    if pattern is None:
        return escape(text)
    pieces: list[str] = []
    last = 0
    for start, end in _marked(text, pattern):
        pieces.append(escape(text[last:start]))
        pieces.append(f"<mark>{escape(text[start:end])}</mark>")
        last = end
    pieces.append(escape(text[last:]))
    return mark_safe("".join(pieces))  # noqa: S308 - every piece of user text is escaped above


_MARKDOWN_NOISE = [
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # images → alt text
    (re.compile(r"\[([^\]]*)\]\([^)]*\)"), r"\1"),  # links → their text
    (re.compile(r"^\s{0,3}(?:[-*+]|\d+[.)]|#{1,6}|>)\s+", re.MULTILINE), ""),  # markers
    (re.compile(r"(\*\*|__|`+|~~)"), ""),  # emphasis and code marks
    (re.compile(r"\s+"), " "),
]


def plain_text(markdown_text: str) -> str:
    """Markdown reduced to the words a reader sees, on one line (for snippets)."""
    text = markdown_text or ""
    for regex, replacement in _MARKDOWN_NOISE:
        text = regex.sub(replacement, text)
    return text.strip()


_BOUNDARY = re.compile(r"[。！？；，：、.!?;,:\s]")


def _snippet_start(text: str, hit: int) -> int:
    """Where an excerpt leading up to `hit` should start: after a punctuation mark or space
    within SNIPPET_BEFORE characters, so it does not open in the middle of a word."""
    start = max(0, hit - SNIPPET_BEFORE)
    if start == 0:
        return 0
    boundary = _BOUNDARY.search(text, start, hit)
    return boundary.end() if boundary else start


def snippet(markdown_text: str, pattern: re.Pattern[str] | None) -> SafeString:
    """A short, highlighted excerpt of the answer around its first match (or its start)."""
    text = plain_text(markdown_text)
    match = pattern.search(text) if pattern else None
    start = _snippet_start(text, match.start()) if match else 0
    end = min(len(text), start + SNIPPET_LENGTH)
    excerpt = text[start:end]
    html = highlight(excerpt, pattern)
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    return mark_safe(f"{prefix}{html}{suffix}")  # noqa: S308 - html is escaped by highlight()
