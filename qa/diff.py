"""Text diffs for revisions: the one place that knows how two texts are compared and shown.

Chinese has no spaces, so a word diff would see a whole sentence as one word and a line diff
would flag a paragraph for one changed character. The texts are cut into tokens (each Han
character and each punctuation mark on its own, runs of Latin letters/digits as one word,
runs of whitespace as one token), compared with difflib.SequenceMatcher (line by line first,
then token by token within the lines that differ), and every token is
HTML-escaped before it is wrapped in `<ins class="diff">` / `<del class="diff">`. Escaping
token by token (rather than escaping the whole text and diffing the entities) means no
highlight can ever cut an `&lt;` in two, and nothing in either text can become markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_TOKEN = re.compile(r"[A-Za-z0-9_]+|\s+|.", re.DOTALL)


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text or "")


@dataclass(frozen=True)
class TextDiff:
    html: SafeString
    inserted: int  # characters added
    deleted: int  # characters removed

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.deleted)


# Comparing token by token costs up to the product of the two lengths when the same tokens
# recur (Chinese characters do): texts are compared line by line first, then the lines that
# differ token by token (line against line where as many lines were changed as replaced),
# up to this product; a longer changed block is shown whole, as removed and added.
MAX_TOKEN_PRODUCT = 4_000_000


def _matcher(a: list[str], b: list[str]) -> SequenceMatcher:
    # autojunk off: in a long Chinese answer common characters (的, 。) pass the 1% threshold
    # and would otherwise be ignored as junk, producing a diff that replaces whole paragraphs.
    return SequenceMatcher(None, a, b, autojunk=False)


def diff_text(old: str, new: str) -> TextDiff:
    """Character-level (Latin: word-level) diff of `old` → `new` as safe, highlighted HTML."""
    old_lines = (old or "").splitlines(keepends=True)
    new_lines = (new or "").splitlines(keepends=True)
    parts: list[str] = []
    inserted = deleted = 0

    def removed(text: str) -> None:
        nonlocal deleted
        deleted += len(text)
        parts.append(f'<del class="diff">{escape(text)}</del>')

    def added(text: str) -> None:
        nonlocal inserted
        inserted += len(text)
        parts.append(f'<ins class="diff">{escape(text)}</ins>')

    def compared(before: str, after: str) -> None:
        a, b = tokens(before), tokens(after)
        if len(a) * len(b) > MAX_TOKEN_PRODUCT:
            removed(before)
            added(after)
            return
        for op, k1, k2, m1, m2 in _matcher(a, b).get_opcodes():
            if op == "equal":
                parts.append(escape("".join(a[k1:k2])))
                continue
            if op in ("delete", "replace"):
                removed("".join(a[k1:k2]))
            if op in ("insert", "replace"):
                added("".join(b[m1:m2]))

    for op, i1, i2, j1, j2 in _matcher(old_lines, new_lines).get_opcodes():
        if op == "equal":
            parts.append(escape("".join(old_lines[i1:i2])))
        elif op == "delete":
            removed("".join(old_lines[i1:i2]))
        elif op == "insert":
            added("".join(new_lines[j1:j2]))
        elif i2 - i1 == j2 - j1:  # lines edited in place
            for before, after in zip(old_lines[i1:i2], new_lines[j1:j2], strict=True):
                compared(before, after)
        else:
            compared("".join(old_lines[i1:i2]), "".join(new_lines[j1:j2]))
    return TextDiff(mark_safe("".join(parts)), inserted, deleted)  # noqa: S308 - escaped above


def diff_html(old: str, new: str) -> SafeString:
    return diff_text(old, new).html
