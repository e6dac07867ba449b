"""qa.diff: character-level diffs for Chinese, escaped and highlighted."""

from __future__ import annotations

from qa.diff import diff_html, diff_text, tokens


def test_chinese_is_compared_character_by_character():
    html = diff_html("注意力机制的复杂度是线性的。", "注意力机制的复杂度是平方级的。")

    assert html == (
        '注意力机制的复杂度是<del class="diff">线性</del><ins class="diff">平方级</ins>的。'
    )


def test_latin_words_are_compared_as_words():
    assert tokens("GPT-3 模型") == ["GPT", "-", "3", " ", "模", "型"]
    html = diff_html("uses LayerNorm here", "uses RMSNorm here")
    assert '<del class="diff">LayerNorm</del><ins class="diff">RMSNorm</ins>' in html


def test_markup_in_either_text_is_escaped_never_rendered():
    html = diff_html("答案<b>旧</b>", "答案。<script>alert('x')</script> & 新")

    assert "<script>" not in html
    assert "<b>" not in html
    assert "&lt;" in html and "&gt;" in html
    assert "alert(&#x27;x&#x27;)" in html
    assert "&amp;" in html
    # Only the highlight tags are markup.
    stripped = html.replace('<ins class="diff">', "").replace('<del class="diff">', "")
    stripped = stripped.replace("</ins>", "").replace("</del>", "")
    assert "<" not in stripped


def test_highlights_never_split_an_escaped_entity():
    html = diff_html("a < b", "a <= b")
    assert "&lt;" in html
    assert "&l<" not in html and "&lt<" not in html


def test_equal_texts_have_no_highlight_and_count_no_change():
    diff = diff_text("同一个答案", "同一个答案")
    assert not diff.changed
    assert "<ins" not in diff.html and "<del" not in diff.html


def test_long_texts_with_common_characters_diff_precisely():
    # With difflib's autojunk, 的 and 。 (frequent in long texts) would be treated as junk and
    # the diff would replace whole paragraphs.
    base = "大模型的训练需要大量的数据和算力。" * 30
    changed = base.replace("算力", "显存", 1)

    diff = diff_text(base, changed)

    assert (diff.deleted, diff.inserted) == (2, 2)


def test_lines_edited_in_place_are_compared_line_against_line():
    old = "\n".join(f"第{i}段：注意力机制的计算复杂度。" for i in range(200))
    new = (old.replace("第7段：注意力", "第7段：自注意力")
           .replace("第150段：注意力", "第150段：多头注意力"))
    result = diff_text(old, new)
    assert (result.inserted, result.deleted) == (3, 0)
    assert result.html.count('<ins class="diff">') == 2


def test_a_changed_block_too_long_to_compare_token_by_token_is_shown_whole(monkeypatch):
    import qa.diff

    monkeypatch.setattr(qa.diff, "MAX_TOKEN_PRODUCT", 100)
    result = diff_text("一二三四五六七八九十一二", "一二三四五六七八九十一三")
    assert result.html == ('<del class="diff">一二三四五六七八九十一二</del>'
                           '<ins class="diff">一二三四五六七八九十一三</ins>')
    assert (result.inserted, result.deleted) == (12, 12)


def test_a_paragraph_split_in_two_is_one_inserted_line_break():
    result = diff_text("第一段。\n第二段。", "第一段。\n\n第二段。")
    assert result.html == '第一段。\n<ins class="diff">\n</ins>第二段。'
