"""Bank text on English pages carries its bank's language (WCAG 3.1.2, language of parts).

Bank titles, section titles, prompts, answers, tags and what changed in them are in the bank's
language; a page in English marks the smallest element around each with `lang`, so screen
readers and fonts treat it right. The bank here is in zh-hant, which nothing else on a page
says (the language menu offers zh-hans).
"""

from __future__ import annotations

import re
import uuid

import pytest
from django.urls import reverse

from qa.models import Question, Review
from qa.services import study as study_services
from tests.factories import (
    BankFactory,
    BookmarkFactory,
    NoteFactory,
    QuestionFactory,
    SectionFactory,
    SetItemFactory,
    StudySetFactory,
    StudyStateFactory,
    TagFactory,
)
from tests.qa.editing import edit

pytestmark = pytest.mark.django_db

LANG = "zh-hant"
BANK, SECTION, SUBTOPIC, TAG = "大模型面试", "注意力机制", "自注意力", "缩放点积"
PROMPTS = ["第1题：什么是注意力？", "第2题：为什么要缩放？", "第3题：多头有什么用？"]
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}
HTMX = {"HTTP_HX_REQUEST": "true"}


def el(tag: str, inner: str) -> str:
    """A regex: a <tag> with the bank's lang around exactly `inner` (literal text)."""
    return rf'<{tag}\b[^>]*\blang="{LANG}"[^>]*>{re.escape(inner)}</{tag}>'


# What changed, as a diff: only the bank's text inside, marked <ins>/<del>.
DIFF = rf'<div class="diff-text" lang="{LANG}">(?:(?!</div>).)*<ins class="diff">'


@pytest.fixture
def section(db):
    bank = BankFactory(title=BANK, language=LANG)
    return SectionFactory(bank=bank, title=SECTION, subtopic=SUBTOPIC)


@pytest.fixture
def questions(section):
    made = [QuestionFactory(section=section, number=i, prompt=p)
            for i, p in enumerate(PROMPTS, start=1)]
    made[1].tags.add(TagFactory(name=TAG))
    return made


@pytest.fixture
def changed(alice, editor, questions):
    """Alice studied the first question; an editor has corrected its answer since."""
    question = questions[0]
    StudyStateFactory(user=alice, question=question, last_answer_version=1)
    return edit(question, editor, answer="注意力机制让模型**有选择地**看其他位置。")


def _question(client, alice, questions, changed):
    """The middle question (neighbours, tags) and the corrected one (what changed)."""
    return "".join(client.get(q.get_absolute_url(), **ENGLISH).content.decode()
                   for q in (questions[1], questions[0]))


def _report(client, alice, questions, changed):
    url = reverse("qa:report-create", kwargs={"key": questions[1].key})
    return client.get(url, **ENGLISH).content.decode()


def _change(client, alice, questions, changed):
    url = reverse("qa:question-change", kwargs={"key": questions[0].key,
                                                "history_id": changed.record.history_id})
    return client.get(url, **ENGLISH).content.decode()


def _notes(client, alice, questions, changed):
    NoteFactory(user=alice, question=questions[1])
    return client.get(reverse("qa:notes"), **ENGLISH).content.decode()


def _mistakes(client, alice, questions, changed):
    StudyStateFactory(user=alice, question=questions[1])
    Review.objects.create(user=alice, question=questions[1], rating=Review.Rating.AGAIN,
                          answer_version=1, token=uuid.uuid4().hex)
    return client.get(reverse("qa:mistakes"), **ENGLISH).content.decode()


def _bookmarks(client, alice, questions, changed):
    BookmarkFactory(user=alice, question=questions[1])
    return client.get(reverse("qa:bookmarks"), **ENGLISH).content.decode()


def _search(client, alice, questions, changed):
    return client.get(reverse("qa:search"), {"q": "缩放"}, **ENGLISH).content.decode()


def _section(client, alice, questions, changed):
    section = questions[0].section
    url = reverse("qa:section", kwargs={"slug": section.bank.slug, "section_key": section.key})
    return client.get(url, **ENGLISH).content.decode()


def _set(client, alice, questions, changed):
    item = SetItemFactory(study_set=StudySetFactory(owner=alice), question=questions[1])
    return client.get(reverse("qa:set", kwargs={"pk": item.study_set_id}),
                      **ENGLISH).content.decode()


def _set_hidden(client, alice, questions, changed):
    """A question of the set that an editor retired since."""
    item = SetItemFactory(study_set=StudySetFactory(owner=alice), question=questions[2])
    Question.objects.filter(pk=questions[2].pk).update(status=Question.Status.RETIRED)
    return client.get(reverse("qa:set", kwargs={"pk": item.study_set_id}),
                      **ENGLISH).content.decode()


def _quiz(client, alice, questions, changed):
    """The card of the corrected question, before and after its answer is revealed."""
    quiz = study_services.start_quiz(user=alice, mode="section",
                                     section=questions[0].section)
    url = reverse("qa:quiz", kwargs={"pk": quiz.pk})
    page = client.get(url, **ENGLISH).content.decode()
    item = quiz.items.get(question=questions[0])
    revealed = client.post(reverse("qa:quiz-reveal", kwargs={"pk": quiz.pk}),
                           {"item": item.pk}, **HTMX, **ENGLISH).content.decode()
    return page + revealed


def _mock(client, alice, questions, changed):
    quiz = study_services.start_quiz(user=alice, mode="mock", count=2)
    return client.get(reverse("qa:quiz", kwargs={"pk": quiz.pk}), **ENGLISH).content.decode()


PAGES = {
    "question": _question, "report": _report, "change": _change, "notes": _notes,
    "mistakes": _mistakes, "bookmarks": _bookmarks, "search": _search, "section": _section,
    "set": _set, "set (hidden)": _set_hidden, "quiz": _quiz, "mock": _mock,
}

CASES = [
    ("question", "bank in the breadcrumbs", el("a", BANK)),
    ("question", "section in the breadcrumbs", el("a", SECTION)),
    ("question", "section in the label",
     r'<p class="muted small question-label">' + el("span", SECTION) + " · question 2</p>"),
    ("question", "tags", rf'<p class="question-tags" lang="{LANG}"><a class="tag"[^>]*>{TAG}</a>'),
    ("question", "previous prompt", el("span", PROMPTS[0])),
    ("question", "next prompt", el("span", PROMPTS[2])),
    ("question", "what changed since studied", DIFF),
    ("report", "section", el("p", f"{SECTION} · #2")),
    ("report", "answer", rf'<div class="prose" lang="{LANG}"><p>注意力机制让模型在每个位置'),
    ("change", "section", el("a", f"{SECTION} · #1")),  # the number: no language of its own
    ("change", "diff", DIFF),
    ("notes", "bank · section", el("span", f"{BANK} · {SECTION}")),
    ("mistakes", "bank · section", el("span", f"{BANK} · {SECTION}")),
    ("bookmarks", "bank · section", el("span", f"{BANK} · {SECTION}")),
    ("search", "bank · section and tags", rf'<p class="row small result-meta" lang="{LANG}">'
     rf'\s*<a [^>]*>{BANK} · {SECTION}</a>\s*<span class="tag">{TAG}</span>'),
    ("section", "tags", el("span", TAG)),
    ("section", "subtopic", " · " + el("span", SUBTOPIC) + "</p>"),
    ("set", "section", el("span", SECTION)),
    ("set (hidden)", "section of a retired question",
     rf'<span id="hidden-item-\d+"><span lang="{LANG}">.*?{SECTION} · #3'),
    ("quiz", "section in the heading",
     r'<span class="muted">· ' + el("span", SECTION) + "</span></h1>"),
    ("quiz", "bank · section on the card",
     r'<span class="muted small">' + el("span", f"{BANK} · {SECTION} · #1")),
    ("quiz", "what changed, on the revealed card", DIFF),
    ("mock", "section on the card", "Question 1 of 2 · " + el("span", SECTION) + "</span>"),
]


@pytest.mark.parametrize(("page", "what", "pattern"), CASES,
                         ids=[f"{page}: {what}" for page, what, _ in CASES])
def test_bank_text_carries_the_bank_language(alice_client, alice, questions, changed, page,
                                             what, pattern):
    html = PAGES[page](alice_client, alice, questions, changed)

    assert '<html lang="en"' in html or "<html" not in html  # an English page (or fragment)
    assert re.search(pattern, html, re.S), f"{what}: no {pattern!r} on the {page} page"
