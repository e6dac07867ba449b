"""Search across prompts, answers and tags, in Chinese and English, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qa.models import Question, Section, Tag
from qa.search import build_search_text, tokens
from qa.selectors.search import search_questions
from tests.factories import BookmarkFactory, QuestionFactory, SectionFactory, bulk_questions


def keys(query: str, **kwargs) -> list[str]:
    return [r.question.key for r in search_questions(query=query, **kwargs).results]


# --- the shipped bank ------------------------------------------------------------------------


def test_chinese_word_finds_the_question_about_it_first(shipped):
    found = keys("注意力")
    assert found[0] == "llm-zh/basics/13"  # 多查询注意力与群查询注意力是否了解？
    assert len(found) > 1  # answers that mention attention come after


def test_two_character_chinese_query_finds_the_hallucination_question(shipped):
    assert keys("幻觉")[0] == "llm-zh/basics/08"


def test_latin_acronym_finds_every_sft_question(shipped):
    assert set(keys("SFT")[:3]) == {"llm-zh/advanced/09", "llm-zh/advanced/10",
                                    "llm-zh/advanced/14"}
    assert keys("sft") == keys("SFT")


def test_multi_word_query_needs_every_word(shipped):
    assert keys("layer normalization")[0] == "llm-zh/basics/11"
    assert keys("Layer Normalization") == keys("layer normalization")
    assert keys("layer banana") == []


@pytest.mark.parametrize(("query", "marked"), [
    ("注意力", "<mark>注意力</mark>"),
    ("幻觉", "<mark>幻觉</mark>"),
    ("SFT", "<mark>SFT</mark>"),
    ("layer normalization", "<mark>Layer</mark> <mark>Normalization</mark>"),
])
def test_the_match_is_highlighted_in_prompt_and_snippet(shipped, query, marked):
    first = search_questions(query=query).results[0]
    assert marked in first.prompt_html
    assert "<mark>" in first.snippet_html


def test_prompt_hits_rank_above_answer_only_hits(shipped):
    results = search_questions(query="注意力").results
    in_prompt = ["注意力" in r.question.prompt for r in results]
    assert in_prompt == sorted(in_prompt, reverse=True)
    assert in_prompt[0] and not in_prompt[-1]


def test_tags_are_searchable(shipped):
    # 显存 is a tag of advanced/08 and also occurs in its answer; 评测 is only a tag somewhere.
    tagged = set(Question.objects.filter(tags__name="评测").values_list("key", flat=True))
    assert tagged
    assert tagged <= set(keys("评测"))


def test_single_character_query_works(shipped):
    assert "llm-zh/basics/04" in keys("大")


def test_drafts_and_retired_questions_are_never_found(shipped):
    Question.objects.filter(key="llm-zh/basics/08").update(status=Question.Status.DRAFT)
    assert keys("幻觉") == []
    Question.objects.filter(key="llm-zh/basics/11").update(status=Question.Status.RETIRED)
    assert keys("layer normalization") == []


def test_an_empty_or_blank_query_finds_nothing(shipped):
    assert keys("") == []
    assert keys("   ") == []


def test_results_are_limited_and_say_there_are_more(db):
    for _ in range(5):
        QuestionFactory(prompt="什么是 SFT？")
    found = search_questions(query="SFT", limit=3)
    assert len(found.results) == 3
    assert found.has_more


def test_bookmarks_are_marked_for_the_signed_in_user_only(db, alice, bob):
    question = QuestionFactory(prompt="SFT 是什么？")
    BookmarkFactory(user=alice, question=question)
    assert [r.bookmarked for r in search_questions(query="SFT", user=alice).results] == [True]
    assert [r.bookmarked for r in search_questions(query="SFT", user=bob).results] == [False]
    assert [r.bookmarked for r in search_questions(query="SFT").results] == [False]


def test_any_run_of_characters_is_found_where_it_occurs(db):
    question = QuestionFactory(prompt="什么是自注意力机制？", answer="它让每个位置看到整个序列。")
    # No dictionary decides where words end: the middle of a word is found too.
    assert question.key in keys("意力机")
    assert question.key in keys("位置看")
    assert question.key in keys("制")  # a character that ends a run
    assert question.key in keys("自")  # and one that starts it


def test_characters_apart_are_not_a_phrase(db):
    QuestionFactory(prompt="注意事项", answer="意力不是一个词；力也不是。")
    assert keys("注意力") == []


def test_mixed_latin_and_chinese_words(db):
    question = QuestionFactory(prompt="LoRA 微调为什么省显存？", answer="只训练低秩矩阵。")
    assert keys("lora微调") == [question.key]
    assert keys("LoRA 显存") == [question.key]
    assert keys("lora 全参") == []
    first = search_questions(query="lora微调").results[0]
    assert "<mark>LoRA</mark> <mark>微调</mark>" in first.prompt_html


def test_multi_character_chinese_tags_are_searchable(db):
    question = QuestionFactory(prompt="一道题", answer="一个答案")
    question.tags.add(Tag.objects.create(name="分布式训练"))
    question.save()  # search_text is rebuilt with the tags on save
    assert keys("分布式") == [question.key]


def test_a_query_of_punctuation_only_finds_what_contains_it(db):
    question = QuestionFactory(prompt="为什么？？", answer="因为。")
    QuestionFactory(prompt="没有问号", answer="句号。")
    assert keys("？？") == [question.key]


@pytest.mark.parametrize(("query", "plain"), [
    ("注意力？", "注意力"),
    ("“幻觉”", "幻觉"),
    ("SFT,", "SFT"),
    ("(SFT)", "SFT"),
    ("ＳＦＴ", "SFT"),  # full-width Latin, as Chinese input methods type it
    ("Layer， normalization。", "layer normalization"),
])
def test_punctuation_around_a_word_and_full_width_letters_change_nothing(shipped, query, plain):
    assert keys(plain)
    assert keys(query) == keys(plain)
    assert "<mark>" in search_questions(query=query).results[0].prompt_html


def test_every_shipped_prompt_pasted_whole_finds_its_question_first(shipped):
    """A prompt copied from the page, its full-width punctuation and all."""
    for question in Question.objects.all():
        assert keys(question.prompt)[:1] == [question.key], question.prompt


@pytest.mark.parametrize(("query", "wanted", "unwanted"), [
    ("gpt-4", "GPT-4 的上下文长度是多少？", "GPT-3 用了 2048 个 token，24 层"),
    ("3.5", "GPT-3.5 与 GPT-4 的区别", "BERT 有 3 种变体，dropout 是 0.5"),
    ("node.js", "Node.js 的事件循环", "Node 和 JSON 的关系"),
    ("c++11", "C++11 的移动语义", "C++ 与 C 的 11 个区别"),
])
def test_a_word_joined_by_a_dot_dash_or_plus_finds_only_itself(db, query, wanted, unwanted):
    match = QuestionFactory(prompt=wanted, answer="略。")
    QuestionFactory(prompt=unwanted, answer="略。")
    assert keys(query) == [match.key]


@pytest.mark.parametrize(("query", "plain"), [
    ("注意力 ?", "注意力"),  # a stray mark after a word
    ("SFT ，", "SFT"),
    ("LLM（Large Language Model）", "LLM Large Language Model"),
])
def test_a_word_of_punctuation_beside_others_changes_nothing(db, query, plain):
    QuestionFactory(prompt="什么是注意力？LLM（Large Language Model）如何 SFT？", answer="略。")
    assert keys(plain)
    assert keys(query) == keys(plain)


def test_full_width_letters_in_a_question_are_found_by_plain_ones(db):
    question = QuestionFactory(prompt="什么是ＲＬＨＦ？", answer="基于人类反馈的强化学习。")
    assert keys("rlhf") == [question.key]
    assert keys("ＲＬＨＦ") == [question.key]


def test_a_word_with_plus_or_hash_keeps_them(db):
    cpp = QuestionFactory(prompt="C++ 与 Python 的区别", answer="编译型与解释型。")
    QuestionFactory(prompt="C 语言指针", answer="地址。")
    assert keys("c++") == [cpp.key]


@pytest.mark.parametrize(("query", "text"), [
    ("LLM", "什么是LLMs复读机问题？"),
    ("token", "Tokenizer 是怎么工作的？"),
    ("norm", "Layer Normalization 的作用"),
    ("GPT 3", "GPT-3 有多少参数？"),
    ("gpt-3", "GPT-3 有多少参数？"),
    ("llama 2", "LLaMA-2-7B 的结构"),
    ("v1.5", "Vicuna v1.5 的训练数据"),
])
def test_a_latin_word_is_found_at_the_start_of_longer_words_and_of_joined_ones(db, query,
                                                                              text):
    question = QuestionFactory(prompt=text, answer="略。")
    QuestionFactory(prompt="不相关的问题", answer="无关。")
    assert keys(query) == [question.key]


@pytest.mark.parametrize("query", [
    "SFT\u200b", "\ufeffSFT", "SFT\u00ad", "**SFT**", "`SFT`", "SFT-", "-SFT", "SFT/",
    "SFT–", "SFT|", "**注意力**", "注意力/",
])
def test_invisible_characters_and_marks_around_a_word_change_nothing(shipped, query):
    plain = "注意力" if "注意力" in query else "SFT"
    assert keys(plain)
    assert keys(query) == keys(plain)


def test_a_renamed_or_deleted_tag_is_searched_by_what_it_is_now(db):
    question = QuestionFactory(prompt="什么是 BPE？", answer="字节对编码。")
    tag = Tag.objects.create(name="分词")
    question.tags.add(tag)
    question.save()
    assert keys("分词") == [question.key]
    tag.name = "tokenisation"
    tag.save()
    assert keys("tokenisation") == [question.key]
    assert keys("分词") == []
    tag.delete()
    assert keys("tokenisation") == []
    question.refresh_from_db()
    assert question.search_text == build_search_text("什么是 BPE？", "字节对编码。")


@pytest.mark.parametrize(("query", "found", "not_found"), [
    (".net", "What is .NET used for?", "Explain a neural network"),
    ("2024", "The 2024 release", "Build 20240101"),
])
def test_a_name_with_a_dot_and_a_number_are_found_as_typed(db, query, found, not_found):
    match = QuestionFactory(prompt=found, answer="略。")
    QuestionFactory(prompt=not_found, answer="略。")
    assert keys(query) == [match.key]


def test_tokens_fold_full_width_forms():
    assert tokens("ＧＰＴ－４ 與 ＬｏＲＡ") == ["gpt", "4", "與", "lora"]
    assert tokens("\uf900") == ["\u8c48"]  # a compatibility ideograph is its unified form


def test_tokens_are_latin_words_and_character_pairs_in_order():
    assert tokens("LoRA 微调：注意力") == ["lora", "微调", "调", "注意", "意力", "力"]
    assert tokens("GPT-3.5 与 大") == ["gpt", "3", "5", "与", "大"]
    assert build_search_text("自注意", "", "Transformer") == "自注 注意 意\ntransformer"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_past_the_candidate_cap_prompt_matches_still_come_first(db, monkeypatch):
    from qa.selectors import search

    monkeypatch.setattr(search, "CANDIDATES", 3)
    section = SectionFactory()
    for n in range(8):
        QuestionFactory(section=section, number=n, prompt=f"第{n}题", answer="讲一讲梯度裁剪。")
    late = [QuestionFactory(section=section, number=100 + n, prompt=f"梯度裁剪 {n}？",
                            answer="略。") for n in range(2)]

    found = search_questions(query="梯度裁剪", limit=4)

    assert [r.question.pk for r in found.results[:2]] == [q.pk for q in late]
    assert len(found.results) == 4 and found.has_more


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_a_word_with_symbols_is_found_past_the_candidate_cap(db, monkeypatch):
    from qa.selectors import search

    monkeypatch.setattr(search, "CANDIDATES", 3)
    section = SectionFactory()
    for n in range(8):
        QuestionFactory(section=section, number=n, prompt=f"C 语言 {n}", answer="指针。")
    cpp = QuestionFactory(section=section, number=100, prompt="C++ 的虚函数", answer="略。")
    assert keys("c++") == [cpp.key]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
@pytest.mark.parametrize("query", ["大", "幻觉", "注意力", "多头注意力", "SFT", "LoRA微调"])
def test_postgres_search_of_every_length_uses_the_stored_vector_index(shipped, query):
    bulk_questions(Section.objects.get(key="advanced"), 3000, start=100)
    with CaptureQueriesContext(connection) as ctx:
        search_questions(query=query)
    sql = ctx.captured_queries[0]["sql"]
    with connection.cursor() as cursor:
        # Rows inserted in this transaction sit in the GIN index's pending list, which the
        # planner prices as a scan; move them into the index proper, as autovacuum would.
        cursor.execute("SELECT gin_clean_pending_list('qa_question_search_vector'::regclass)")
        cursor.execute("ANALYZE qa_question")
        cursor.execute("EXPLAIN " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "qa_question_search_vector" in plan, plan
    assert "to_tsvector" not in plan, plan  # ranking reads the stored vector


# --- migration 0005 ---------------------------------------------------------------------------


def test_the_migration_rebuilds_every_search_text_with_its_tags(db):
    import importlib
    from types import SimpleNamespace

    from django.db.migrations.executor import MigrationExecutor

    migration = importlib.import_module("qa.migrations.0005_search_vector")
    question = QuestionFactory(prompt="多头注意力", answer="并行的几组注意力。")
    question.tags.add(Tag.objects.create(name="Transformer"))
    Question.objects.filter(pk=question.pk).update(search_text="多头 注意力 多头注意力")
    state = MigrationExecutor(connection).loader.project_state(
        ("qa", "0004_merge_20261130_0021"), at_end=True
    )

    migration.rebuild_search_text(state.apps, SimpleNamespace(connection=connection))

    question.refresh_from_db()
    assert question.search_text == build_search_text("多头注意力", "并行的几组注意力。",
                                                     "Transformer")
    assert question.key in keys("头注") and question.key in keys("transformer")


def test_the_nfkc_migration_rebuilds_search_text(db):
    import importlib
    from types import SimpleNamespace

    from django.db.migrations.executor import MigrationExecutor

    migration = importlib.import_module("qa.migrations.0010_search_text_nfkc")
    question = QuestionFactory(prompt="ＲＬＨＦ 是什么", answer="强化学习。")
    Question.objects.filter(pk=question.pk).update(search_text="是什 什么 么\n强化 化学 学习 习")
    state = MigrationExecutor(connection).loader.project_state(
        ("qa", "0009_set_visibility_before_link"), at_end=True
    )

    migration.rebuild_search_text(state.apps, SimpleNamespace(connection=connection))

    question.refresh_from_db()
    assert question.search_text.startswith("rlhf 是什 什么 么\n")


def test_the_word_parts_migration_rebuilds_search_text(db):
    import importlib
    from types import SimpleNamespace

    from django.db.migrations.executor import MigrationExecutor

    migration = importlib.import_module("qa.migrations.0013_search_text_word_parts")
    question = QuestionFactory(prompt="GPT-3 有多少参数", answer="1750 亿。")
    Question.objects.filter(pk=question.pk).update(
        search_text="gpt-3 有多 多少 少参 参数 数\n1750 亿")
    state = MigrationExecutor(connection).loader.project_state(
        ("qa", "0012_studystate_previous"), at_end=True
    )

    migration.rebuild_search_text(state.apps, SimpleNamespace(connection=connection))

    question.refresh_from_db()
    assert question.search_text.startswith("gpt 3 有多 ")
    assert keys("gpt 3") == [question.key]
