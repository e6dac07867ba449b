"""The bank and set the export and set-import tests share (its `questions` is not the one of
tests/qa/conftest.py: two published questions with tags, Markdown and formula-like text, and a
draft)."""

from __future__ import annotations

import pytest

from qa.models import Question, SetItem, Tag
from qa.services.sets import add_questions, create_set, set_item_note
from tests.factories import QuestionFactory, SectionFactory


@pytest.fixture
def questions():
    section = SectionFactory(key="basics", title="基础篇")
    attention = Tag.objects.create(name="attention")
    deep = Tag.objects.create(name="deep learning")
    first = QuestionFactory(section=section, key=f"{section.bank.slug}/basics/01",
                            prompt="什么是注意力？", answer="加权求和。\n\n- **Q**\n- K")
    first.tags.add(attention, deep)
    second = QuestionFactory(section=section, key=f"{section.bank.slug}/basics/02",
                             prompt="=HYPERLINK(\"x\")", answer="<script>alert(1)</script>")
    QuestionFactory(section=section, key=f"{section.bank.slug}/basics/03",
                    status=Question.Status.DRAFT)
    return [first, second]


@pytest.fixture
def study_set(alice, questions):
    study_set = create_set(user=alice, title="Attention 注意力")
    add_questions(study_set=study_set, questions=[questions[1], questions[0]])
    set_item_note(item=SetItem.objects.get(study_set=study_set, question=questions[0]),
                  note="Remember the softmax.")
    return study_set
