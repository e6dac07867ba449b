"""Bookmark toggle, the bookmarks page, the mistakes page and clearing a mistake."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from qa.models import Bookmark, Note, Question, Quiz, Review, StudyState
from qa.views import study
from tests.factories import (
    BookmarkFactory,
    QuestionFactory,
    SectionFactory,
    StudyStateFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def question(db):
    return QuestionFactory(prompt="什么是 KV cache？")


def toggle(question):
    return reverse("qa:bookmark-toggle", kwargs={"question_id": question.pk})


def again(user, question, when=None):
    Review.objects.create(user=user, question=question, rating=1, answer_version=1,
                          token=uuid.uuid4().hex, reviewed_at=when or timezone.now())


# --- toggle ---------------------------------------------------------------------------------


def test_anonymous_visitor_cannot_bookmark(client, question):
    response = client.post(toggle(question), {"on": "1"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Bookmark.objects.exists()


def test_bookmarking_without_js_redirects_back(alice_client, alice, question):
    response = alice_client.post(toggle(question), {"on": "1", "next": "/bookmarks/"})
    assert response.status_code == 302 and response["Location"] == "/bookmarks/"
    assert Bookmark.objects.filter(user=alice, question=question).exists()


def test_bookmarking_with_htmx_returns_the_pressed_button(alice_client, alice, question):
    response = alice_client.post(toggle(question), {"on": "1"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and 'aria-pressed="true"' in html
    assert 'name="on" value="0"' in html and "<html" not in html
    response = alice_client.post(toggle(question), {"on": "0"}, **HTMX)
    assert 'aria-pressed="false"' in response.content.decode()
    assert not Bookmark.objects.exists()


@pytest.mark.parametrize(("next_url", "shortcuts", "said"), [
    ("/quiz/12/", True, True), ("/quiz/12/", False, False), (None, True, False)])
def test_the_toggled_button_names_its_key_on_a_quiz_card_only(alice_client, alice, question,
                                                              next_url, shortcuts, said):
    alice.keyboard_shortcuts = shortcuts
    alice.save(update_fields=["keyboard_shortcuts"])
    data = {"on": "1", **({"next": next_url} if next_url else {})}
    response = alice_client.post(reverse("qa:bookmark-toggle", args=[question.pk]), data,
                                 HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert ('aria-keyshortcuts="B"' in response.content.decode()) is said


def test_a_double_submitted_bookmark_stays_bookmarked(alice_client, alice, question):
    alice_client.post(toggle(question), {"on": "1"}, **HTMX)
    alice_client.post(toggle(question), {"on": "1"}, **HTMX)
    assert Bookmark.objects.filter(user=alice).count() == 1


def test_an_unsafe_next_is_ignored(alice_client, question):
    response = alice_client.post(toggle(question), {"on": "1", "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == question.get_absolute_url()


@pytest.mark.parametrize("value", ["", "yes", "2"])
def test_a_bad_toggle_value_is_a_400(alice_client, question, value):
    response = alice_client.post(toggle(question), {"on": value})
    assert response.status_code == 400
    assert not Bookmark.objects.exists()


def test_unpublished_or_missing_questions_are_not_found(alice_client, question):
    Question.objects.filter(pk=question.pk).update(status=Question.Status.DRAFT)
    assert alice_client.post(toggle(question), {"on": "1"}).status_code == 404
    missing = reverse("qa:bookmark-toggle", kwargs={"question_id": 999999})
    assert alice_client.post(missing, {"on": "1"}).status_code == 404
    assert alice_client.get(toggle(question)).status_code == 405
    assert not Bookmark.objects.exists()


def test_removing_a_bookmark_touches_only_your_own(client, alice, bob, question):
    BookmarkFactory(user=alice, question=question)
    client.force_login(bob)
    client.post(toggle(question), {"on": "0"})
    assert Bookmark.objects.filter(user=alice).exists()
    client.force_login(alice)
    client.post(toggle(question), {"on": "0"})
    assert not Bookmark.objects.filter(user=alice).exists()


# --- bookmarks page -------------------------------------------------------------------------


def test_bookmarks_page_lists_only_your_bookmarks(client, alice, bob, question):
    theirs = QuestionFactory(prompt="别人的收藏")
    BookmarkFactory(user=alice, question=question)
    BookmarkFactory(user=bob, question=theirs)
    client.force_login(bob)
    html = client.get(reverse("qa:bookmarks")).content.decode()
    assert "别人的收藏" in html and "KV cache" not in html
    client.force_login(alice)
    html = client.get(reverse("qa:bookmarks")).content.decode()
    assert "KV cache" in html and "别人的收藏" not in html
    assert "Study my bookmarks" in html


def test_bookmarks_page_filters_by_section(alice_client, alice):
    one, two = SectionFactory(title="基础篇"), SectionFactory(title="进阶篇")
    BookmarkFactory(user=alice, question=QuestionFactory(section=one, prompt="基础问题"))
    BookmarkFactory(user=alice, question=QuestionFactory(section=two, prompt="进阶问题"))
    html = alice_client.get(reverse("qa:bookmarks"), {"section": two.pk}).content.decode()
    assert "进阶问题" in html and "基础问题" not in html
    assert f'<option value="{two.pk}" selected>' in html
    assert f'name="section" value="{two.pk}"' in html  # "study my bookmarks" in this section


@pytest.mark.parametrize("value", ["abc", "999999"])
def test_bookmarks_page_with_a_bad_section_is_a_400(alice_client, value):
    assert alice_client.get(reverse("qa:bookmarks"), {"section": value}).status_code == 400


def test_bookmarks_page_hides_retired_questions(alice_client, alice, question):
    BookmarkFactory(user=alice, question=question)
    Question.objects.filter(pk=question.pk).update(status=Question.Status.RETIRED)
    assert "KV cache" not in alice_client.get(reverse("qa:bookmarks")).content.decode()


def test_study_my_bookmarks_starts_a_bookmark_quiz(alice_client, alice, question):
    BookmarkFactory(user=alice, question=question)
    response = alice_client.post(reverse("qa:quiz-start"), {"mode": "bookmarks"})
    quiz = Quiz.objects.get(user=alice)
    assert response["Location"] == reverse("qa:quiz", kwargs={"pk": quiz.pk})
    assert quiz.mode == "bookmarks" and quiz.items.get().question == question


# --- mistakes -------------------------------------------------------------------------------


def test_mistakes_page_lists_your_recent_agains(client, alice, bob, question):
    StudyStateFactory(user=alice, question=question)
    again(alice, question)
    client.force_login(bob)
    assert "KV cache" not in client.get(reverse("qa:mistakes")).content.decode()
    client.force_login(alice)
    html = client.get(reverse("qa:mistakes")).content.decode()
    assert "KV cache" in html and "graded Again 1 time" in html
    assert "Study my mistakes" in html


def test_leeches_are_marked(alice_client, alice, question):
    StudyStateFactory(user=alice, question=question, lapses=5)
    again(alice, question, timezone.now() - timedelta(days=60))
    assert "leech" in alice_client.get(reverse("qa:mistakes")).content.decode()


def test_clearing_a_mistake_with_htmx_removes_the_row(alice_client, alice, question):
    other = QuestionFactory(section=question.section, number=2, prompt="什么是 RoPE？")
    for q in (question, other):
        StudyStateFactory(user=alice, question=q)
        again(alice, q, timezone.now() - timedelta(minutes=1))
    clear = reverse("qa:mistake-clear", kwargs={"question_id": question.pk})
    response = alice_client.post(clear, **HTMX)
    assert response.status_code == 200 and response.content == b""
    assert StudyState.objects.get(user=alice, question=question).mistake_cleared_at is not None
    assert "KV cache" not in alice_client.get(reverse("qa:mistakes")).content.decode()


def test_clearing_the_last_mistake_with_htmx_shows_that_none_are_left(alice_client, alice,
                                                                      question):
    StudyStateFactory(user=alice, question=question)
    again(alice, question, timezone.now() - timedelta(minutes=1))
    clear = reverse("qa:mistake-clear", kwargs={"question_id": question.pk})
    response = alice_client.post(clear, {"next": reverse("qa:mistakes")}, **HTMX)
    body = response.content.decode()
    assert response["HX-Retarget"] == "#mistakes-page" and response["HX-Reswap"] == "outerHTML"
    assert body.lstrip().startswith('<div id="mistakes-page">')
    assert "No mistakes right now." in body and "Study my mistakes" not in body
    assert "<html" not in body


def test_clearing_the_last_mistake_of_a_section_keeps_to_that_section(alice_client, alice,
                                                                      question):
    elsewhere = QuestionFactory(prompt="另一章的问题")
    for q in (question, elsewhere):
        StudyStateFactory(user=alice, question=q)
        again(alice, q, timezone.now() - timedelta(minutes=1))
    clear = reverse("qa:mistake-clear", kwargs={"question_id": question.pk})
    response = alice_client.post(clear, {"section": question.section_id}, **HTMX)
    assert "No mistakes right now." in response.content.decode()
    response = alice_client.post(reverse("qa:mistake-clear",
                                         kwargs={"question_id": elsewhere.pk}), **HTMX)
    assert "No mistakes right now." in response.content.decode()


def test_clearing_the_last_mistake_of_a_later_page_shows_the_page_before(alice_client, alice):
    section = SectionFactory()
    now = timezone.now()
    questions = [QuestionFactory(section=section, number=n) for n in range(
        1, study.LIST_PAGE_SIZE + 2)]
    for n, question in enumerate(questions):
        StudyStateFactory(user=alice, question=question)
        again(alice, question, now - timedelta(minutes=n + 1))  # the last one is on page 2
    last = questions[-1]
    page = alice_client.get(reverse("qa:mistakes"), {"page": 2}).content.decode()
    assert f'id="mistake-{last.pk}"' in page and 'name="page" value="2"' in page
    response = alice_client.post(reverse("qa:mistake-clear", kwargs={"question_id": last.pk}),
                                 {"page": 2}, **HTMX)
    body = response.content.decode()
    assert response["HX-Retarget"] == "#mistakes-page"
    assert body.count('class="row between mistake-row"') == study.LIST_PAGE_SIZE
    assert "Study my mistakes" in body
    # A row cleared from a page that keeps others just goes.
    response = alice_client.post(
        reverse("qa:mistake-clear", kwargs={"question_id": questions[0].pk}), {"page": 1},
        **HTMX)
    assert response.content == b""


def test_clearing_a_mistake_without_js_redirects_to_the_list(alice_client, alice, question):
    StudyStateFactory(user=alice, question=question)
    again(alice, question, timezone.now() - timedelta(minutes=1))
    clear = reverse("qa:mistake-clear", kwargs={"question_id": question.pk})
    response = alice_client.post(clear)
    assert response.status_code == 302 and response["Location"] == reverse("qa:mistakes")


def test_clearing_touches_only_your_own_state(client, alice, bob, question):
    StudyStateFactory(user=alice, question=question)
    again(alice, question, timezone.now() - timedelta(minutes=1))
    clear = reverse("qa:mistake-clear", kwargs={"question_id": question.pk})
    client.force_login(bob)
    assert client.post(clear).status_code == 404
    assert StudyState.objects.get(user=alice).mistake_cleared_at is None
    client.force_login(alice)
    assert client.post(clear).status_code == 302
    assert StudyState.objects.get(user=alice).mistake_cleared_at is not None


def test_my_notes_lists_them_newest_first_and_finds_one_by_its_text_or_question(client, alice):
    first, second, retired = (QuestionFactory(prompt=p) for p in
                              ("什么是注意力机制？", "LayerNorm 放在哪里？", "已撤下的题"))
    now = timezone.now()
    for question, body, age in ((first, "口诀：**先查缓存**", 2),
                                (second, "区分 Pre-LN 与 Post-LN", 1), (retired, "旧笔记", 0)):
        note = Note.objects.create(user=alice, question=question, body=body)
        Note.objects.filter(pk=note.pk).update(updated_at=now - timedelta(days=age))
    Question.objects.filter(pk=retired.pk).update(status=Question.Status.RETIRED)
    Note.objects.create(user=UserFactory(), question=first, body="别人的笔记")
    client.force_login(alice)

    page = client.get(reverse("qa:notes"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert page.index("LayerNorm") < page.index("注意力机制")
    assert "<strong>先查缓存</strong>" in page
    assert "旧笔记" not in page and "别人的笔记" not in page
    found = client.get(reverse("qa:notes"), {"q": "  Pre-LN "}).content.decode()
    assert "LayerNorm" in found and "注意力机制" not in found
    assert "1 note contains “Pre-LN”" in found
    by_question = client.get(reverse("qa:notes"), {"q": "注意力"}).content.decode()
    assert "先查缓存" in by_question and "Pre-LN 与" not in by_question
    none = client.get(reverse("qa:notes"), {"q": "别人的"}).content.decode()
    assert "None of your notes, or their questions, contains “别人的”." in none


def test_my_notes_pages_keep_the_search(client, alice):
    for n in range(study.LIST_PAGE_SIZE + 1):
        Note.objects.create(user=alice, question=QuestionFactory(), body=f"缓存 {n}")
    client.force_login(alice)
    page = client.get(reverse("qa:notes"), {"q": "缓存"}).content.decode()
    assert 'href="?q=%E7%BC%93%E5%AD%98&amp;page=2"' in page


def test_bookmarks_and_mistakes_come_a_page_at_a_time_keeping_the_section(client, alice):
    section = SectionFactory()
    questions = [QuestionFactory(section=section, number=n, prompt=f"第{n:03d}题")
                 for n in range(1, study.LIST_PAGE_SIZE + 2)]
    now = timezone.now()
    for question in questions:
        BookmarkFactory(user=alice, question=question)
        StudyStateFactory(user=alice, question=question, lapses=1)
        Review.objects.create(user=alice, question=question, rating=1, answer_version=1,
                              token=uuid.uuid4().hex, reviewed_at=now)
    client.force_login(alice)
    for url in (reverse("qa:bookmarks"), reverse("qa:mistakes")):
        first = client.get(url, {"section": section.pk}).content.decode()
        assert first.count('class="row between') >= study.LIST_PAGE_SIZE
        assert f'href="?section={section.pk}&amp;page=2"' in first
        second = client.get(url, {"section": section.pk, "page": 2}).content.decode()
        shown = [q for q in questions if q.prompt in first or q.prompt in second]
        assert len(shown) == len(questions), url  # every one, on one page or the other
        assert not any(q.prompt in first and q.prompt in second for q in questions)
