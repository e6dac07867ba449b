"""qa.markdown: the Markdown the bank's answers and the learners' notes are written in, and
what never gets through."""

from __future__ import annotations

import pytest

import qa.markdown
from qa.markdown import render_markdown


@pytest.fixture(params=["rust", "python"], autouse=True)
def parser(request, monkeypatch):
    """Every case through both parsers qa.markdown may use (the Rust port where it is
    installed, markdown-it-py otherwise): they must give the same HTML."""
    make = qa.markdown.rust_parser if request.param == "rust" else qa.markdown.python_parser
    try:
        monkeypatch.setattr(qa.markdown, "_md", make())
    except ImportError:
        pytest.skip("markdown-it-pyrs has no wheel for this Python")
    # Renderings the other parser made must not answer for this one.
    qa.markdown._cached_rendering.cache_clear()
    yield
    qa.markdown._cached_rendering.cache_clear()


@pytest.mark.parametrize(("source", "html"), [
    ("**粗体** and *em* and `code`",
     "<p><strong>粗体</strong> and <em>em</em> and <code>code</code></p>\n"),
    ("- a\n- b", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n"),
    ("3. c\n4. d", '<ol start="3">\n<li>c</li>\n<li>d</li>\n</ol>\n'),
    ("## 标题\n\n> 引用", "<h2>标题</h2>\n<blockquote>\n<p>引用</p>\n</blockquote>\n"),
    ("```python\nif a < b:\n    pass\n```",
     "<pre><code>if a &lt; b:\n    pass\n</code></pre>\n"),
    ("line  \nbreak", "<p>line<br>\nbreak</p>\n"),
    ("~~old~~ new", "<p><s>old</s> new</p>\n"),
    # A column's alignment is a class of the stylesheet (the policy applies no style
    # attribute).
    ("| 模型 | 参数 |\n|---|---:|\n| A | 7B |",
     "<table>\n<thead>\n<tr>\n<th>模型</th>\n<th class=\"align-right\">参数</th>\n</tr>\n"
     "</thead>\n<tbody>\n<tr>\n<td>A</td>\n<td class=\"align-right\">7B</td>\n</tr>\n"
     "</tbody>\n</table>\n"),
    # The Rust port panics on a "[" before a "`" never closed: the text is still shown.
    ("[`", "<p>[`</p>\n"),
    ("数组 [0, 1` 维度", "<p>数组 [0, 1` 维度</p>\n"),
    ("x[`b\n\n**再**", "<p>x[`b</p>\n<p><strong>再</strong></p>\n"),
    ("[docs](https://example.com/a?b=1&c=2 \"t\")",
     '<p><a href="https://example.com/a?b=1&amp;c=2" title="t" '
     'rel="noopener noreferrer nofollow">docs</a></p>\n'),
    ("<https://example.com>",
     '<p><a href="https://example.com" rel="noopener noreferrer nofollow">'
     "https://example.com</a></p>\n"),
    # Images are links to them: the policy loads none from elsewhere, and one from the site
    # would be a request every reader makes on the writer's behalf.
    ("![图](https://example.com/p.png)",
     '<p><a href="https://example.com/p.png" rel="noopener noreferrer nofollow">图</a></p>\n'),
    ("![](/reports/)",
     '<p><a href="/reports/" rel="noopener noreferrer nofollow">/reports/</a></p>\n'),
    ('![a<b "c"](u "t")',
     '<p><a href="u" title="t" rel="noopener noreferrer nofollow">a&lt;b "c"</a></p>\n'),
    ("![x](javascript:alert(1))", "<p>![x](javascript:alert(1))</p>\n"),
    # An image that is a link (a badge, a diagram to click): the link, named by the image.
    ("[![图](https://example.com/p.png)](https://example.com/page)",
     '<p><a href="https://example.com/page" rel="noopener noreferrer nofollow">图</a></p>\n'),
    ("[![](/p.png) more](https://example.com/page)",
     '<p><a href="https://example.com/page" rel="noopener noreferrer nofollow">/p.png more'
     "</a></p>\n"),
    ("&copy; \\*not em\\*", "<p>© *not em*</p>\n"),
    ("", ""),
])
def test_markdown_renders_commonmark_with_tables_and_strikethrough(source, html):
    assert render_markdown(source) == html


@pytest.mark.parametrize(("source", "html"), [
    # Raw HTML is text, never markup: LLM answers quote tokens such as <think> or <|im_end|>.
    ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"),
    ("用 <think> 和 <|im_end|> 分隔", "<p>用 &lt;think&gt; 和 &lt;|im_end|&gt; 分隔</p>\n"),
    ("<div onclick=\"x()\">\nblock\n</div>",
     "<p>&lt;div onclick=\"x()\"&gt;\nblock\n&lt;/div&gt;</p>\n"),
    # Links only to http(s) and mailto.
    ("[x](javascript:alert(1))", "<p>[x](javascript:alert(1))</p>\n"),
    ("[x](data:text/html,hi)", "<p>[x](data:text/html,hi)</p>\n"),
    ("[x](ftp://example.com/f)", "<p><a rel=\"noopener noreferrer nofollow\">x</a></p>\n"),
    # No typography: quotes and dashes stay as written (answers quote code).
    ("\"quoted\" -- (c)", "<p>\"quoted\" -- (c)</p>\n"),
])
def test_markdown_keeps_raw_html_as_text_and_only_safe_links(source, html):
    assert render_markdown(source) == html


@pytest.mark.parametrize(("source", "opening"), [
    (">" * 19990 + " x", "<blockquote>"),
    ("> " * 8000 + "x", "<blockquote>"),
    ("- " * 9990 + "x", "<li>"),
    ("1. " * 6000 + "x", "<li>"),
    ("\n".join("  " * level + "- x" for level in range(60)), "<li>"),
    # Each level indented two columns more, by tabs where four columns add up to one.
    ("\n".join("\t" * (level // 2) + "  " * (level % 2) + "- x" for level in range(60)),
     "<li>"),
])
def test_blocks_nest_at_most_twenty_deep(source, opening):
    # A note or a set's description of 20,000 nested quotes would take a second to clean on
    # every view and break the page's layout.
    assert render_markdown(source).count(opening) <= 20


def test_ordinary_nesting_is_rendered_in_full():
    source = "> quote\n>> deeper\n\n- a\n  - b\n    - c\n"
    html = render_markdown(source)
    assert html.count("<blockquote>") == 2 and html.count("<li>") == 3


def test_a_rendering_is_kept_for_a_text_seen_again_and_not_for_a_long_one():
    short = "**粗体** " * 10
    long = "段落 " * (qa.markdown._CACHED_MAX_CHARS // 3 + 1)
    first = render_markdown(short)
    assert render_markdown(short) is first
    assert qa.markdown._cached_rendering.cache_info().hits == 1
    assert render_markdown(long) == render_markdown(long)
    assert qa.markdown._cached_rendering.cache_info().currsize == 1
