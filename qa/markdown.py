"""Markdown rendering for answers and notes: the one place that turns user text into HTML.

markdown-it with CommonMark's rules plus GFM tables and strikethrough, and without its raw-HTML
rules, so a `<script>` in the source stays text; images become links to them; then nh3 as a
second line of defence: only a small set of tags and attributes, and links limited to
http(s)/mailto.

The parser is markdown-it's Rust port (markdown-it-pyrs) where a wheel of it exists for this
Python (up to 3.12), else markdown-it-py, the same parser in pure Python: same rules, same HTML
(tests/qa/test_markdown.py runs every case through both). With the Rust port, rendering takes
about 0.1 ms for the longest answer of the shipped bank on a 2-core machine: less than a
lookup in the shared cache, so the only cache is each process's own (render_markdown).
"""

from __future__ import annotations

import functools
import re

import nh3
from django.utils.safestring import SafeString, mark_safe

# CommonMark's block and inline rules, then GFM's tables and strikethrough. Left out: the raw
# HTML rules (html_block, html_inline) and typography (linkify, replacements, smartquotes).
RULES = [
    "blockquote", "code", "fence", "heading", "hr", "lheading", "list", "paragraph",
    "reference", "autolink", "backticks", "emphasis", "entity", "escape", "image", "link",
    "newline", "table", "strikethrough",
]


def rust_parser():
    from markdown_it_pyrs import MarkdownIt

    return MarkdownIt("zero").enable_many(RULES)


def python_parser():
    from markdown_it import MarkdownIt

    options = {"html": False, "linkify": False, "typographer": False}
    return MarkdownIt("zero", options).enable(RULES)


try:
    _md = rust_parser()
except ImportError:  # no wheel of the Rust port for this Python
    _md = python_parser()
_capped_md = python_parser()

# Block containers (quotes, list items) nest as deep as the text says in the Rust port, while
# markdown-it-py stops at 20 levels (its maxNesting), as a page must: 20,000 nested quotes in a
# note or a set's description take a second to clean and break the layout. Text that could
# nest that deep (20 markers opening a line, or a line indented 40 columns) goes to the
# Python parser; inline nesting costs the Rust port nothing.
_DEEP_NESTING = re.compile(
    r"^(?:[ \t]*(?:>|(?:[-+*]|\d{1,9}[.)])(?=[ \t]))){20}"  # 20 markers opening a line
    r"|^(?:\t| {1,3}\t| {4}){10}",  # 40 columns of indentation (a tab stops every 4)
    re.MULTILINE,
)

# Images are shown as links to them. The site's Content-Security-Policy loads images from the
# site itself only, so an image from elsewhere would be a broken box, and one from the site
# would be a request made by every reader's browser on the writer's behalf (a shared set's
# description could make them all open a page).
# An image inside a link (a badge, a diagram to click) becomes that link's text instead.
_LINK_OR_IMAGE = re.compile(
    r'<a [^>]*>|</a>|<img src="([^"]*)" alt="([^"]*)"(?: title="([^"]*)")? ?/?>'
)


def _images_as_links(html: str) -> str:
    depth = 0  # how many links the parser's output has open here (0 or 1)

    def replace(match: re.Match) -> str:
        nonlocal depth
        tag = match.group(0)
        if tag.startswith("<a "):
            depth += 1
            return tag
        if tag == "</a>":
            depth -= 1
            return tag
        src, alt, title = match.groups()
        text = alt or src
        if depth:
            return text
        title_attribute = f' title="{title}"' if title else ""
        return f'<a href="{src}"{title_attribute}>{text}</a>'

    return _LINK_OR_IMAGE.sub(replace, html)


_ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "a",
    "table", "thead", "tbody", "tr", "th", "td",
}
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "ol": {"start"},
}
# A table column's alignment (`|---:|`) comes out of the parser as a style attribute, which
# the Content-Security-Policy would not apply: it becomes one of the stylesheet's classes.
_ALIGNMENTS = {"align-left", "align-center", "align-right"}
_ALLOWED_CLASSES = {"th": _ALIGNMENTS, "td": _ALIGNMENTS}
_CELL_ALIGNMENT = re.compile(r'<(th|td) style="text-align:(left|center|right)">')


# The Rust port panics on some text (a "[" before a "`" that is never closed, as in
# "数组 [0, 1` 维度"): pyo3 raises that as its PanicException, a BaseException, after printing
# the panic to stderr. Such text goes to markdown-it-py, and is remembered (by hash, a bounded
# number) so a page shown again does not print the panic again.
_PANICKED: set[int] = set()
_PANICKED_MAX = 10_000


def _render(text: str) -> str:
    if _md is _capped_md or _DEEP_NESTING.search(text) or hash(text) in _PANICKED:
        return _capped_md.render(text)
    try:
        return _md.render(text)
    except BaseException as exc:
        if type(exc).__name__ != "PanicException":
            raise
        if len(_PANICKED) < _PANICKED_MAX:
            _PANICKED.add(hash(text))
        return _capped_md.render(text)


# Answers are rendered again on every reveal and question page, mostly the same few hundred
# texts: each process keeps its latest renderings of texts up to this length (a few megabytes
# at most), which saves the parse and the clean-up (0.1-0.2 ms for a long answer).
_CACHED_MAX_CHARS = 8_000


def render_markdown(text: str) -> SafeString:
    text = text or ""
    if len(text) <= _CACHED_MAX_CHARS:
        return _cached_rendering(text)
    return _rendering(text)


@functools.lru_cache(maxsize=512)
def _cached_rendering(text: str) -> SafeString:
    return _rendering(text)


def _rendering(text: str) -> SafeString:
    html = _images_as_links(_render(text))
    html = _CELL_ALIGNMENT.sub(r'<\1 class="align-\2">', html)
    clean = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        allowed_classes=_ALLOWED_CLASSES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(clean)  # noqa: S308 - sanitised by nh3 just above
