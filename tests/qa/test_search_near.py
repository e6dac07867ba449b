"""A query no question contains as typed (a sentence without spaces, a pasted English
question) finds the questions that share most of its words, best first, and says so."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qa.search import near_units
from qa.selectors.search import search_questions
from tests.factories import QuestionFactory, SectionFactory


def found(query: str):
    return search_questions(query=query)


@pytest.mark.parametrize(("query", "first"), [
    ("大模型幻觉", "llm-zh/basics/08"),            # 模型幻觉是什么？
    ("什么是涌现能力", "llm-zh/basics/03"),         # 涌现能力是啥原因？
    ("全参数微调需要多少显存", "llm-zh/advanced/08"),
    ("What is the difference between prefix LM and causal LM?", "llm-zh/basics/02"),
    ("what is SFT", None),  # only the stop words kept it from the exact search
])
def test_a_natural_query_finds_the_question_it_means(shipped, query, first):
    results = found(query)
    assert results.near
    assert results.results
    if first:
        assert results.results[0].question.key == first


def test_near_results_need_most_of_the_query_and_rank_by_how_much(shipped):
    results = found("复读机问题怎么解决")
    keys = [r.question.key for r in results.results]
    assert set(keys[:3]) == {"llm-zh/advanced/02", "llm-zh/advanced/03", "llm-zh/advanced/04"}
    # A question sharing only 问题 is not offered for a query of seven pairs.
    assert "llm-zh/basics/01" not in keys


def test_an_exact_match_is_not_mixed_with_near_ones(shipped):
    results = found("模型幻觉")
    assert not results.near
    assert results.results[0].question.key == "llm-zh/basics/08"


def test_nothing_shared_is_still_nothing(shipped):
    results = found("量子计算机的纠错码")
    assert results.results == [] and not results.near
    assert found("what is the").results == []  # stop words only


def test_the_page_says_the_results_are_near_and_marks_what_they_share(client, shipped):
    page = client.get("/search/", {"q": "大模型幻觉"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No question contains “大模型幻觉” as typed" in page
    assert "<mark>模型幻觉</mark>是什么" in page
    zh = client.get("/search/", {"q": "大模型幻觉"},
                    HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "没有题目完整包含“大模型幻觉”" in zh


def test_the_units_leave_out_question_words_and_english_stop_words():
    assert [u.text for u in near_units("什么是涌现能力")] == ["涌现", "现能", "能力"]
    assert [u.text for u in near_units("区块链有什么优缺点")] == ["区块", "块链"]
    assert [u.text for u in near_units("What is the LoRA rank?")] == ["lora", "rank"]
    assert near_units("what is the") == [] and near_units("有什么区别") == []
    # A question asked in a full sentence: 请, 问题 and 以及 are how, not what.
    assert [u.text for u in near_units("请解释一下大模型的幻觉问题是什么，以及如何缓解？")] == [
        "大模", "模型", "幻觉", "缓解"]
    assert len(near_units("大模型" * 30)) <= 12


@pytest.mark.parametrize("query", ["区块链有什么优缺点", "Kubernetes有哪些优缺点",
                                   "kubernetes 和 docker 有什么区别"])
def test_sharing_only_the_way_a_question_is_asked_is_not_near(shipped, query):
    """"有什么优缺点" is in two of the bank's prompts; neither is about blockchains."""
    assert found(query).results == []


def test_adding_search_results_to_a_set_takes_exact_matches_only(alice_client, shipped):
    """The results come ticked: near ones would be added with one click, unannounced."""
    from django.urls import reverse

    from qa.models import Question

    url = reverse("qa:set-add-from-search")
    hallucination = Question.objects.get(key="llm-zh/basics/08").pk
    assert f'value="{hallucination}"' in alice_client.get(url, {"q": "模型幻觉"}).content.decode()
    page = alice_client.get(url, {"q": "大模型幻觉"}).content.decode()
    assert f'value="{hallucination}"' not in page
    # So near results do not offer to be added: the page it leads to would find none.
    exact = alice_client.get("/search/", {"q": "模型幻觉"}).content.decode()
    near = alice_client.get("/search/", {"q": "大模型幻觉"}).content.decode()
    assert url in exact and url not in near


def test_a_near_search_is_two_queries_more_at_most(shipped):
    """The failed search, then the prompts counted by the units they share (which weighs the
    units), then the near ones: the weights must be known before the rows can be chosen."""
    with CaptureQueriesContext(connection) as exact:
        found("模型幻觉")
    with CaptureQueriesContext(connection) as near:
        found("大模型幻觉")
    assert len(near) <= len(exact) + 2


@pytest.mark.parametrize(("query", "expected"), [
    ("大模型幻觉", ["llm-zh/basics/08"]),
    ("大模型的幻觉问题怎么解决", ["llm-zh/basics/08"]),
    ("如何解决大模型幻觉", ["llm-zh/basics/08"]),
    # 如何缓解模型遗忘通用能力 shares 缓解 as well as 模型: it is near, after the one meant.
    ("请解释一下大模型的幻觉问题是什么，以及如何缓解？",
     ["llm-zh/basics/08", "llm-zh/advanced/12"]),
    ("大模型的激活函数", ["llm-zh/basics/12"]),
    ("微调需要多少显存", ["llm-zh/advanced/08"]),
    ("LLM复读机怎么办", ["llm-zh/advanced/02", "llm-zh/advanced/03", "llm-zh/advanced/04"]),
])
def test_sharing_only_common_words_is_not_near(shipped, query, expected):
    """大模 and 模型 are in a third of the bank's prompts: sharing them and nothing else of
    大模型幻觉 does not make a prompt about 大模型 near it (it did: ten of eleven results)."""
    results = found(query)
    assert results.near
    assert [r.question.key for r in results.results] == expected


def test_a_rare_unit_weighs_more_than_common_ones(db):
    section = SectionFactory()
    common = [QuestionFactory(section=section, number=n, prompt=f"大模型的第{n}个组件是什么？",
                              answer="略。") for n in range(6)]
    meant = QuestionFactory(section=section, number=10, prompt="模型为什么会产生幻觉？",
                            answer="略。")
    keys = [r.question.key for r in found("大模型幻觉").results]
    assert keys == [meant.key]
    # Without the question it means, the prompts sharing most of it are still offered.
    meant.delete()
    assert sorted(r.question.key for r in found("大模型幻觉").results) == sorted(
        q.key for q in common)


def test_near_results_mark_whole_runs_not_half_words(shipped):
    first = found("大模型的激活函数").results[0]
    assert "<mark>大模型</mark>常用的<mark>激活函数</mark>有哪些" in first.prompt_html


def test_many_combinations_are_checked_without_the_index_alike(shipped, monkeypatch):
    from qa.selectors import search

    query = "What is the difference between prefix LM and causal LM?"
    indexed = [r.question.key for r in found(query).results]
    monkeypatch.setattr(search, "NEAR_COMBINATIONS", 0)
    assert [r.question.key for r in found(query).results] == indexed
    assert [r.question.key for r in found("大模型幻觉").results] == ["llm-zh/basics/08"]
