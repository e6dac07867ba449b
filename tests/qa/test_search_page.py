"""The search page, and how a result shows its match: highlighted prompt, snippet, tags."""

from __future__ import annotations

from django.urls import reverse

from qa.models import Tag
from qa.selectors.highlighting import highlight, snippet
from qa.selectors.search import highlight_pattern, search_questions
from tests.factories import QuestionFactory

# --- highlighting ----------------------------------------------------------------------------


def test_highlight_escapes_the_text_around_matches():
    html = highlight('<b onclick="x()">SFT</b> & co', highlight_pattern("sft"))
    assert html == "&lt;b onclick=&quot;x()&quot;&gt;<mark>SFT</mark>&lt;/b&gt; &amp; co"


def test_highlight_never_matches_inside_an_entity():
    assert highlight("a & b", highlight_pattern("amp")) == "a &amp; b"


def test_highlight_prefers_the_longest_term():
    html = highlight("自注意力机制", highlight_pattern("注意力"))
    assert html == "自<mark>注意力</mark>机制"


def test_highlight_treats_the_query_as_text_not_a_pattern():
    assert highlight("c++ and c", highlight_pattern("c++")) == "<mark>c++</mark> and c"


def test_highlight_marks_a_latin_word_where_a_word_begins_as_the_search_finds_it():
    assert highlight("LLM 与 LM", highlight_pattern("lm")) == "LLM 与 <mark>LM</mark>"
    assert highlight("LLMs 和大LLM", highlight_pattern("llm")) == (
        "<mark>LLM</mark>s 和大<mark>LLM</mark>")
    assert highlight("Transformer 的 former", highlight_pattern("former")) == (
        "Transformer 的 <mark>former</mark>")


def test_highlight_marks_a_number_or_a_letter_as_a_whole_word():
    assert highlight("2023 年的 3 个模型", highlight_pattern("3")) == (
        "2023 年的 <mark>3</mark> 个模型")
    assert highlight("a b abc", highlight_pattern("b")) == "a <mark>b</mark> abc"


def test_snippet_is_plain_text_around_the_first_hit():
    answer = "- **开头**：" + "无关内容。" * 40 + "这里讲**幻觉**问题。" + "结尾。" * 40
    html = snippet(answer, highlight_pattern("幻觉"))
    assert html.startswith("… ")
    assert html.endswith(" …")
    assert "<mark>幻觉</mark>" in html
    assert "**" not in html


def test_snippet_without_a_hit_in_the_answer_starts_at_the_beginning():
    assert snippet("短答案。", highlight_pattern("幻觉")) == "短答案。"


# --- the page --------------------------------------------------------------------------------


def test_search_page_without_a_query_explains_what_to_do(client, db):
    response = client.get(reverse("qa:search"))
    assert response.status_code == 200
    assert "Search in Chinese or English" in response.content.decode()


def test_search_page_lists_highlighted_results_with_section_and_tags(client, shipped):
    response = client.get(reverse("qa:search"), {"q": "幻觉"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "模型<mark>幻觉</mark>是什么" in body
    assert reverse("qa:question", kwargs={"key": "llm-zh/basics/08"}) in body
    assert "基础篇" in body
    assert '<span class="tag">幻觉</span>' in body


def test_search_page_with_no_results_says_so_kindly(client, shipped):
    response = client.get(reverse("qa:search"), {"q": "区块链"})
    assert response.status_code == 200
    assert "Nothing found for “区块链”" in response.content.decode()


def test_search_page_escapes_a_malicious_query(client, shipped):
    attack = '"><script>alert(1)</script>'
    response = client.get(reverse("qa:search"), {"q": attack})
    body = response.content.decode()
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_htmx_search_returns_only_the_results(client, shipped):
    response = client.get(reverse("qa:search"), {"q": "SFT"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    # What goes inside the page's live region, with the page's new title.
    assert body.lstrip().startswith("<title>“SFT” — search · ")
    assert 'id="results"' not in body and "<html" not in body
    assert "<mark>SFT</mark>" in body


def test_signed_in_results_carry_the_bookmark_toggle(alice_client, shipped):
    response = alice_client.get(reverse("qa:search"), {"q": "幻觉"})
    assert "bookmark-toggle" in response.content.decode()


def test_every_page_has_a_search_box_in_the_navigation(client, db):
    body = client.get(reverse("qa:bank-list")).content.decode()
    assert f'action="{reverse("qa:search")}"' in body


def test_search_results_show_their_tags_in_order(client, db):
    question = QuestionFactory(prompt="什么是 KV cache？", answer="缓存键和值。")
    question.tags.add(Tag.objects.create(name="推理"), Tag.objects.create(name="显存"))
    QuestionFactory(prompt="KV cache 多大？", answer="看层数。")

    found = search_questions(query="kv cache").results
    assert [r.tags for r in found] == [["推理", "显存"], []]
    html = client.get(reverse("qa:search"), {"q": "kv cache"}).content.decode()
    assert '<span class="tag">推理</span><span class="tag">显存</span>' in html
