"""The same query finds the same questions on SQLite (development, the default test run) and
PostgreSQL (production, CI): SQLite reads the stored tokens as the index does (Term.regex), a
Latin word where a word begins, a run of characters where it occurs. These cases differed:
SQLite found `lm` inside `LLM`, `former` inside `Transformer`, `3` inside `GPT3`."""

from __future__ import annotations

import pytest

from qa.selectors.search import search_questions
from tests.factories import QuestionFactory

BASICS = "llm-zh/basics/"
ADVANCED = "llm-zh/advanced/"


def keys(query: str) -> set[str]:
    return {r.question.key for r in search_questions(query=query).results}


@pytest.mark.parametrize(("query", "expected"), [
    ("LM", {BASICS + "02", BASICS + "07"}),  # prefix LM, causal LM; not LLM
    ("lm", {BASICS + "02", BASICS + "07"}),
    ("llm", {BASICS + "04", ADVANCED + "02", ADVANCED + "03", ADVANCED + "04",
             ADVANCED + "09"}),  # LLMs too
    ("former", set()),  # not inside Transformer
    ("ERT", set()),  # not inside BERT
    ("bert", {ADVANCED + "05", BASICS + "01", BASICS + "05", BASICS + "06"}),
    ("glm", set()),  # not inside ChatGLM
    ("chat", {BASICS + "10", BASICS + "11", ADVANCED + "05", ADVANCED + "14"}),
    ("ama", set()),  # not inside LLaMA
    ("3", {BASICS + "05", BASICS + "14", ADVANCED + "08"}),  # a number is a whole word
    ("a", set()),  # so is a single letter
    ("token", {BASICS + "09", BASICS + "02", BASICS + "07"}),
    ("gpt", {BASICS + "01", BASICS + "05", BASICS + "06", BASICS + "11", BASICS + "14",
             ADVANCED + "08"}),
    ("layer normalization", {BASICS + "11"}),
    ("幻觉", {BASICS + "08"}),
])
def test_a_query_finds_the_same_questions_on_either_database(shipped, query, expected):
    assert keys(query) == expected


@pytest.mark.parametrize(("query", "expected"), [
    ("C++", set()),  # c is no word of a shipped prompt: nothing near either
    ("大模型幻觉", {BASICS + "08"}),
    ("What is the difference between prefix LM and causal LM?", {BASICS + "02", BASICS + "07"}),
    ("LLM复读机怎么办", {ADVANCED + "02", ADVANCED + "03", ADVANCED + "04"}),
])
def test_a_near_search_finds_the_same_questions_on_either_database(shipped, query, expected):
    assert keys(query) == expected


def test_full_width_letters_in_a_prompt_are_found_by_plain_ones(db):
    question = QuestionFactory(prompt="ＧＰＴ－３ 与 ＲＬＨＦ 的关系", answer="略。")
    QuestionFactory(prompt="GPT3 的参数量", answer="略。")
    assert keys("rlhf") == {question.key}
    assert keys("gpt 3") == {question.key}
    assert keys("ＲＬＨＦ") == {question.key}
