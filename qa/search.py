"""Search tokenisation: the one place that knows how text becomes searchable words.

Chinese has no spaces, so PostgreSQL's 'simple' text-search configuration would see a whole
sentence as one word. We store a `search_text` column of space-separated, lower-cased tokens in
text order, and PostgreSQL indexes `to_tsvector('simple', ...)` of it, and of its first line,
the prompt's tokens (migration 0005):

- Latin words and numbers as they are (`lora`, `layer`), a word joined by `-`, `_` or `.` as its
  parts (`gpt-3.5` → gpt 3 5): PostgreSQL's parser would read `gpt-3` as `gpt` and the number
  `-3`, which a search for `gpt 3` never finds;
- every run of Chinese characters as its overlapping character pairs plus its last character
  (注意力 → 注意 意力 力), as Lucene's CJK analyser does.

A run of characters a learner types is then found exactly where it occurs in the text: the query
is the phrase of its pairs (注意 <-> 意力), a single character is a prefix query ('大':*) that the
pairs and the run-final characters answer. A Latin word of two or more characters (not a number)
is a prefix query too (`llm` finds `LLMs`, `token` finds `tokenizer`), as a substring search
would. There is no dictionary to load or to miss a new word, and tokenising a question takes
microseconds.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_LATIN = r"[a-z0-9]+"
_HAN = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+"
_TERM = re.compile(f"(?P<latin>{_LATIN})|(?P<han>{_HAN})")


def fold(text: str) -> str:
    """`text` as it is indexed and searched: NFKC-normalised (full-width Latin and digits as
    their usual forms, compatibility ideographs as the unified ones) and lower-cased."""
    return unicodedata.normalize("NFKC", text).lower()


def _han_tokens(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i:i + 2] for i in range(len(run) - 1)] + [run[-1]]


def tokens(text: str) -> list[str]:
    """The index tokens of `text`, folded, in order (phrase queries rely on positions)."""
    found: list[str] = []
    for match in _TERM.finditer(fold(text)):
        if match.lastgroup == "latin":
            found.append(match.group())
        else:
            found.extend(_han_tokens(match.group()))
    return found


def build_search_text(prompt: str, *rest: str) -> str:
    """`search_text` for a question's prompt, answer and tag names: the prompt's tokens on the
    first line (PostgreSQL indexes that line on its own, to rank prompt hits first), then the
    tokens of the rest."""
    return " ".join(tokens(prompt)) + "\n" + " ".join(tokens("\n".join(p for p in rest if p)))


@dataclass(frozen=True)
class Term:
    """One thing a query asks for: a Latin word, or a run of Chinese characters."""

    text: str
    chinese: bool

    def tsquery(self) -> tuple[str, str]:
        """(text, search type) for Django's SearchQuery with the 'simple' configuration."""
        if not self.chinese:
            # The text is letters and digits only: nothing to escape. A number is a number
            # (2024 does not find 20240101).
            if len(self.text) > 1 and not self.text.isdigit():
                return f"{self.text}:*", "raw"
            return self.text, "plain"
        if len(self.text) == 1:
            return f"{self.text}:*", "raw"  # the text is one Han character: nothing to escape
        return " ".join(_han_tokens(self.text)[:-1]), "phrase"

    def regex(self, *, prompt_only: bool = False) -> str:
        """What `tsquery` asks of the index, as a regular expression over `search_text`, for
        SQLite, so that both databases find the same questions: a Latin word where a token
        begins (`lm` is not in `llm`, `former` not in `transformer`), a number or a single
        letter as a whole token, a run of characters as its pairs in a row (a pair is never
        cut: every Chinese token is one or two characters). `prompt_only`: on the first line,
        the prompt's tokens."""
        # The text is letters and digits, or Han characters: nothing to escape.
        if self.chinese:
            needle = " ".join(_han_tokens(self.text)[:-1]) or self.text
            return rf"^[^\n]*{needle}" if prompt_only else needle
        start = r"^(?:[^\n]* )?" if prompt_only else r"(?:^|\s)"
        end = "" if self.tsquery()[1] == "raw" else r"(?:\s|$)"
        return f"{start}{self.text}{end}"


def query_terms(query: str) -> list[Term]:
    """The terms of `query`, folded, de-duplicated, in order. Punctuation, kana and other
    scripts are not indexed and are left out."""
    seen: dict[Term, None] = {}
    for match in _TERM.finditer(fold(query)):
        seen.setdefault(Term(match.group(), chinese=match.lastgroup == "han"), None)
    return list(seen)


# How a question is asked rather than what it asks about, left out of a near search
# (`near_units`): Chinese question wording (cut out of a run before it is paired, so that the
# pairs beside it, 有什 or 么区, go too) and the commonest English words.
_QUESTION_WORDING = re.compile("|".join(sorted((
    "有哪些", "是什么", "为什么", "有什么", "是不是", "怎么样", "什么", "怎么", "怎样", "如何",
    "哪些", "是否", "区别", "优缺点", "优点", "缺点", "介绍", "简述", "请问", "解释", "一下",
    "问题", "以及", "还有", "中的",
    "的", "和", "与", "及", "或", "是", "吗", "呢", "了", "在", "有",
), key=len, reverse=True)))
_ENGLISH_STOP = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "between", "by", "can", "could", "do", "does",
    "for", "from", "how", "i", "in", "is", "it", "its", "of", "on", "or", "should", "that",
    "the", "their", "this", "to", "vs", "was", "what", "when", "where", "which", "who", "why",
    "will", "with", "would", "you", "your", "difference", "differences", "explain", "describe",
    "pros", "cons", "advantages", "disadvantages",
))
NEAR_UNITS = 12  # a pasted paragraph is matched on its beginning


def near_units(query: str) -> list[Term]:
    """What a query that no question contains as typed may share with one: the character
    pairs of its Chinese, without the question wording, and its Latin words, without the
    commonest English ones; at most NEAR_UNITS of them. A sentence typed without spaces
    (大模型幻觉) then meets the question it means (模型幻觉是什么) in most of its pairs, and
    区块链有什么优缺点 does not meet every question that asks for 优缺点."""
    units: dict[Term, None] = {}
    for term in query_terms(query):
        if not term.chinese:
            if term.text not in _ENGLISH_STOP:
                units.setdefault(term, None)
            continue
        for piece in _QUESTION_WORDING.split(term.text):
            if len(piece) > 1:  # a character left alone says too little
                for pair in _han_tokens(piece)[:-1]:
                    units.setdefault(Term(pair, chinese=True), None)
    return list(units)[:NEAR_UNITS]
