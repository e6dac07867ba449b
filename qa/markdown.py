"""Markdown rendering for answers and notes: the one place that turns user text into HTML.

markdown-it with CommonMark's rules plus GFM tables and strikethrough, and without its raw-HTML
rules, so a `<script>` in the source stays text; then nh3 as a second line of defence: only a
small set of tags and attributes, and links limited to http(s)/mailto.

The parser is markdown-it's Rust port (markdown-it-pyrs) where a wheel of it exists for this
Python (up to 3.12), else markdown-it-py, the same parser in pure Python: same rules, same HTML
(tests/qa/test_markdown.py runs every case through both). With the Rust port, rendering is
cheap enough to run on every request rather than be cached: about 0.1 ms for the longest
answer of the shipped bank on a 2-core machine, less than a cache lookup.
"""

from __future__ import annotations

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

_ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "a", "img",
    "table", "thead", "tbody", "tr", "th", "td",
}
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
}


def render_markdown(text: str) -> SafeString:
    html = _md.render(text or "")
    clean = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(clean)  # noqa: S308 - sanitised by nh3 just above
