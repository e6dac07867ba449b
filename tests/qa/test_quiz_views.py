"""The quiz page and its actions, as a learner (alice) and an outsider (bob)."""

from __future__ import annotations

import re
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from qa.models import Question, Quiz, Review, StudyState
from qa.services import study as services
from tests.factories import NoteFactory, QuestionFactory, SectionFactory
from tests.qa.studying import current_item as current

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _no_fuzz(settings):
    settings.FSRS_ENABLE_FUZZING = False


@pytest.fixture
def section(db):
    return SectionFactory(title="基础篇")


@pytest.fixture
def questions(section):
    return [
        QuestionFactory(section=section, number=i, prompt=f"问题{i}：什么是 RoPE？",
                        answer=f"答案{i}：旋转位置编码，**相对**位置。")
        for i in range(1, 4)
    ]


@pytest.fixture
def quiz(alice, section, questions):
    return services.start_quiz(user=alice, mode="section", section=section)


def url(name, quiz):
    return reverse(name, kwargs={"pk": quiz.pk})


def token_in(html: str) -> str:
    match = re.search(r'name="token" value="([0-9a-f]{32})"', html)
    assert match, "no token in the grade form"
    return match.group(1)


def reveal(client, quiz, **extra):
    return client.post(url("qa:quiz-reveal", quiz), {"item": current(quiz).pk}, **extra)


# --- who may see it -------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_log_in(client, quiz):
    response = client.get(url("qa:quiz", quiz))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_outsider_gets_404_for_someone_elses_quiz(client, bob, alice, quiz):
    client.force_login(bob)
    assert client.get(url("qa:quiz", quiz)).status_code == 404
    assert client.post(url("qa:quiz-reveal", quiz), {"item": current(quiz).pk}).status_code == 404
    response = client.post(url("qa:quiz-grade", quiz),
                           {"item": current(quiz).pk, "rating": 3, "token": uuid.uuid4().hex})
    assert response.status_code == 404
    assert client.post(url("qa:quiz-finish", quiz)).status_code == 404
    assert not Review.objects.exists()
    quiz.refresh_from_db()
    assert quiz.finished_at is None and current(quiz).revealed_at is None
    client.force_login(alice)
    assert client.get(url("qa:quiz", quiz)).status_code == 200


# --- the card -------------------------------------------------------------------------------


def test_the_card_shows_the_question_but_not_the_answer(alice_client, quiz):
    response = alice_client.get(url("qa:quiz", quiz))
    html = response.content.decode()
    assert response.status_code == 200
    assert "问题1：什么是 RoPE？" in html and "答案1" not in html
    assert 'data-key="reveal"' in html and 'name="rating"' not in html
    assert "js/quiz.js" in html and "<kbd>B</kbd>" in html
    assert current(quiz).shown_at is not None


def test_the_card_offers_its_keys_to_screen_readers_and_says_where_it_is(alice_client, quiz):
    html = alice_client.get(url("qa:quiz", quiz)).content.decode()
    assert 'data-shortcuts="on"' in html and "Turn off single-key shortcuts" in html
    assert 'aria-keyshortcuts="Space Enter"' in html and 'aria-keyshortcuts="B"' in html
    assert '<kbd aria-hidden="true">Space</kbd>' in html  # the name is "Show answer"
    # Not a live region (each action replaces it): its short message goes to #quiz-status.
    assert "aria-live" not in html and '<div id="quiz-status" class="sr-only" role="status">' \
        in html
    assert 'data-status="Question 1 of 3"' in html
    revealed = reveal(alice_client, quiz, **HTMX).content.decode()
    assert 'data-status="Answer shown"' in revealed
    assert 'aria-keyshortcuts="3"' in revealed and 'data-status="Graded: Good."' in revealed
    assert 'role="group" aria-labelledby="grades-label-' in revealed


def test_single_key_shortcuts_turned_off_are_neither_offered_nor_announced(alice_client, alice,
                                                                          quiz):
    alice.keyboard_shortcuts = False
    alice.save(update_fields=["keyboard_shortcuts"])
    html = alice_client.get(url("qa:quiz", quiz)).content.decode()
    assert 'data-shortcuts="off"' in html
    assert "Single-key shortcuts are off." in html and "Turn them on in Settings" in html
    assert "aria-keyshortcuts" not in html and "<kbd aria-hidden" not in html
    revealed = reveal(alice_client, quiz, **HTMX).content.decode()
    assert "aria-keyshortcuts" not in revealed and "<kbd" not in revealed
    assert '<span class="sr-only">comes back in 10m</span>' in revealed  # the rest stays


def test_reveal_without_js_redirects_back_to_the_revealed_card(alice_client, quiz):
    response = alice_client.post(url("qa:quiz-reveal", quiz),
                                 {"item": current(quiz).pk, "typed_answer": "我觉得是位置编码"})
    assert response.status_code == 302 and response["Location"] == url("qa:quiz", quiz)
    html = alice_client.get(url("qa:quiz", quiz)).content.decode()
    assert "<strong>相对</strong>" in html  # the answer, rendered as Markdown
    assert "我觉得是位置编码" in html  # what the learner typed, beside it
    assert html.count('name="rating"') == 4
    for label in ("1m", "6m", "10m"):
        # Shown as "10m", read out as "comes back in 10m" (not only in a title).
        assert f'<span class="grade-interval" aria-hidden="true">{label}</span>' in html
        assert f'<span class="sr-only">comes back in {label}</span>' in html


def test_reveal_with_htmx_returns_only_what_the_reveal_adds(alice_client, quiz):
    response = reveal(alice_client, quiz, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    # It replaces the reveal form (hx-target="this"); the question above it stays.
    assert html.lstrip().startswith('<div class="revealed" ') and "<html" not in html
    assert "答案1" in html and "Again" in html and "问题1" not in html
    assert 'name="token"' in html and "HX-Retarget" not in response
    page = alice_client.get(url("qa:quiz", quiz)).content.decode()
    assert 'hx-target="this"' in page and "答案1" in page


def test_a_reveal_from_a_stale_page_is_refused_with_the_whole_current_card(alice_client, quiz):
    first = current(quiz)
    html = reveal(alice_client, quiz, **HTMX).content.decode()
    alice_client.post(url("qa:quiz-grade", quiz),
                      {"item": first.pk, "rating": 3, "token": token_in(html)}, **HTMX)
    # Another tab still shows the first card unrevealed and asks to reveal it: it gets the
    # quiz as it is now, with why (a conflict, as a stale grade gets), not a silent swap.
    response = alice_client.post(url("qa:quiz-reveal", quiz), {"item": first.pk}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 409
    assert response["HX-Retarget"] == "#quiz-card" and response["HX-Reswap"] == "outerHTML"
    assert body.lstrip().startswith('<section id="quiz-card"')
    assert '<p class="message error" role="alert">The quiz has moved on since this page was ' \
        "shown (perhaps in another tab). Here is where it is now.</p>" in body
    assert "问题2" in body and "1 / 3 graded" in body
    # The card's own reveal goes through as ever.
    response = reveal(alice_client, quiz, **HTMX)
    assert response.status_code == 200 and "答案2" in response.content.decode()


def test_the_revealed_card_shows_the_learners_own_note_only(alice_client, alice, bob, quiz,
                                                           questions):
    NoteFactory(user=alice, question=questions[0], body="我的**笔记**")
    NoteFactory(user=bob, question=questions[0], body="别人的笔记")
    html = reveal(alice_client, quiz, **HTMX).content.decode()
    assert "我的<strong>笔记</strong>" in html and "别人的笔记" not in html
    assert "Edit your note" in html
    page = alice_client.get(url("qa:quiz", quiz)).content.decode()
    assert "我的<strong>笔记</strong>" in page and "别人的笔记" not in page
    NoteFactory(user=bob, question=questions[1])
    first = current(quiz)
    alice_client.post(url("qa:quiz-grade", quiz),
                      {"item": first.pk, "rating": 3, "token": token_in(html)}, **HTMX)
    html = reveal(alice_client, quiz, **HTMX).content.decode()
    assert "Add a note" in html and '<h3 class="subhead">Your note</h3>' not in html


def test_grading_moves_to_the_next_card(alice_client, alice, quiz):
    reveal(alice_client, quiz)
    html = alice_client.get(url("qa:quiz", quiz)).content.decode()
    response = alice_client.post(url("qa:quiz-grade", quiz),
                                 {"item": current(quiz).pk, "rating": 3, "token": token_in(html)})
    assert response.status_code == 302
    assert Review.objects.filter(user=alice, rating=3).count() == 1
    html = alice_client.get(url("qa:quiz", quiz)).content.decode()
    assert "问题2" in html and "1 / 3 graded" in html


def test_grading_with_htmx_swaps_in_the_next_card(alice_client, quiz):
    html = reveal(alice_client, quiz, **HTMX).content.decode()
    item = current(quiz)
    response = alice_client.post(url("qa:quiz-grade", quiz),
                                 {"item": item.pk, "rating": 4, "token": token_in(html)}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200 and "问题2" in body and "<html" not in body
    review = Review.objects.get()
    assert review.duration_ms is not None and review.quiz_item == item


def test_the_next_card_skips_a_question_retired_meanwhile(alice_client, quiz, questions):
    html = reveal(alice_client, quiz, **HTMX).content.decode()
    item = current(quiz)
    questions[1].status = Question.Status.RETIRED
    questions[1].save()
    response = alice_client.post(url("qa:quiz-grade", quiz),
                                 {"item": item.pk, "rating": 3, "token": token_in(html)}, **HTMX)
    body = response.content.decode()
    assert "问题3" in body and "问题2" not in body and "1 / 2 graded" in body
    third = re.search(r'name="item" value="(\d+)"', body).group(1)
    response = alice_client.post(url("qa:quiz-reveal", quiz), {"item": third}, **HTMX)
    assert response.status_code == 200 and "答案3" in response.content.decode()


def test_a_typo_fix_shows_on_the_card_at_once(alice_client, quiz, questions):
    # Rendered answers are cached by their text, so a fix that keeps the answer version (a typo
    # fix) is never hidden behind the old rendering.
    assert "答案1" in reveal(alice_client, quiz, **HTMX).content.decode()
    questions[0].answer = "修正后的答案：旋转位置编码。"
    questions[0].save()
    page = alice_client.get(url("qa:quiz", quiz)).content.decode()
    assert "修正后的答案" in page and "答案1" not in page


def test_the_card_names_its_bank_and_section_even_after_a_rename(alice_client, quiz, section):
    page = alice_client.get(url("qa:quiz", quiz)).content.decode()
    assert f"{section.bank.title} · 基础篇 · #1" in page
    section.title = "入门篇"
    section.save()
    assert "· 入门篇 · #1" in alice_client.get(url("qa:quiz", quiz)).content.decode()


def test_a_double_submitted_grade_is_recorded_once(alice_client, alice, quiz):
    html = reveal(alice_client, quiz, **HTMX).content.decode()
    data = {"item": current(quiz).pk, "rating": 3, "token": token_in(html)}
    first = alice_client.post(url("qa:quiz-grade", quiz), data, **HTMX)
    second = alice_client.post(url("qa:quiz-grade", quiz), data, **HTMX)
    assert first.status_code == second.status_code == 200
    assert Review.objects.count() == 1
    assert StudyState.objects.get(user=alice).reps == 1
    quiz.refresh_from_db()
    assert quiz.position == 1


def test_grading_an_already_graded_card_from_another_tab_is_a_conflict(alice_client, quiz):
    html = reveal(alice_client, quiz, **HTMX).content.decode()
    item = current(quiz)
    alice_client.post(url("qa:quiz-grade", quiz),
                      {"item": item.pk, "rating": 3, "token": token_in(html)})
    response = alice_client.post(url("qa:quiz-grade", quiz),
                                 {"item": item.pk, "rating": 1, "token": uuid.uuid4().hex}, **HTMX)
    assert response.status_code == 409
    body = response.content.decode()
    assert "already graded" in body and "问题2" in body  # the message, and the current card
    assert Review.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"rating": "7"}, 400),
        ({"rating": "abc"}, 400),
        ({"rating": ""}, 400),
        ({"token": ""}, 400),
        ({"token": None}, 400),
        ({"item": "abc"}, 400),
        ({"item": None}, 400),
        ({"item": 999999}, 404),
        ({"answer_version": "0"}, 400),
        ({"answer_version": "abc"}, 400),
        ({"answer_version": "-1"}, 400),
    ],
)
def test_bad_grade_input_is_refused_and_nothing_is_written(alice_client, quiz, data, status):
    reveal(alice_client, quiz)
    form = {"item": current(quiz).pk, "rating": "3", "token": uuid.uuid4().hex, **data}
    form = {k: v for k, v in form.items() if v is not None}
    response = alice_client.post(url("qa:quiz-grade", quiz), form)
    assert response.status_code == status
    if status == 400:
        assert b'class="message error"' in response.content
    assert not Review.objects.exists() and not StudyState.objects.exists()


def test_an_item_of_another_quiz_is_not_found(alice_client, alice, quiz):
    other = services.start_quiz(user=alice, mode="mock", count=1)
    response = alice_client.post(url("qa:quiz-grade", quiz),
                                 {"item": other.items.get().pk, "rating": 3,
                                  "token": uuid.uuid4().hex})
    assert response.status_code == 404
    response = alice_client.post(url("qa:quiz-reveal", quiz), {"item": other.items.get().pk})
    assert response.status_code == 404
    assert not Review.objects.exists() and other.items.get().revealed_at is None


@pytest.mark.parametrize("action", ["qa:quiz-reveal", "qa:quiz-grade"])
def test_a_quiz_id_past_any_row_is_not_found(alice_client, quiz, action):
    response = alice_client.post(reverse(action, kwargs={"pk": 2**64}),
                                 {"item": current(quiz).pk, "rating": 3,
                                  "token": uuid.uuid4().hex})
    assert response.status_code == 404
    assert not Review.objects.exists() and current(quiz).revealed_at is None


def test_a_shown_time_past_the_year_9999_is_ignored(alice_client, quiz):
    item = current(quiz)
    response = alice_client.post(url("qa:quiz-reveal", quiz),
                                 {"item": item.pk, "shown": "999999999999999"}, **HTMX)
    assert response.status_code == 200
    item.refresh_from_db()
    assert item.revealed_at is not None and item.shown_at <= timezone.now()


def test_grading_in_a_finished_quiz_is_a_conflict(alice_client, quiz):
    item = current(quiz)
    alice_client.post(url("qa:quiz-finish", quiz))
    response = alice_client.post(url("qa:quiz-grade", quiz),
                                 {"item": item.pk, "rating": 3, "token": uuid.uuid4().hex})
    assert response.status_code == 409
    assert "already finished" in response.content.decode()
    assert not Review.objects.exists()


def test_grading_in_a_quiz_that_ended_on_its_own_says_how_once(alice_client, quiz):
    item = current(quiz)
    alice_client.post(url("qa:quiz-reveal", quiz), {"item": item.pk})
    Quiz.objects.filter(pk=quiz.pk).update(finished_at=timezone.now(),
                                           ended=Quiz.Ended.SET_DELETED)
    response = alice_client.post(url("qa:quiz-grade", quiz),
                                 {"item": item.pk, "rating": 3, "token": uuid.uuid4().hex},
                                 **HTMX)
    assert response.status_code == 409
    assert response.content.decode().count("its study set was deleted") == 1
    assert not Review.objects.exists()


def test_the_quiz_page_only_answers_get(alice_client, quiz):
    assert alice_client.post(url("qa:quiz", quiz)).status_code == 405
    assert alice_client.get(url("qa:quiz-grade", quiz)).status_code == 405


# --- resuming -------------------------------------------------------------------------------


def test_refresh_and_a_new_login_resume_at_the_same_card(client, alice, quiz):
    client.force_login(alice)
    reveal(client, quiz)
    client.logout()
    client.force_login(alice)
    html = client.get(url("qa:quiz", quiz)).content.decode()
    assert "答案1" in html and 'name="rating"' in html  # still revealed, still card 1
    client.post(url("qa:quiz-grade", quiz),
                {"item": current(quiz).pk, "rating": 3, "token": token_in(html)})
    html = client.get(url("qa:quiz", quiz)).content.decode()
    assert "问题2" in html and "答案2" not in html


def grade_current(client, quiz, rating):
    html = reveal(client, quiz, **HTMX).content.decode()
    return client.post(url("qa:quiz-grade", quiz),
                       {"item": current(quiz).pk, "rating": rating, "token": token_in(html)},
                       **HTMX)


def test_finishing_shows_a_summary(alice_client, quiz):
    for rating in (1, 3, 4, 3):  # the first question, graded Again, comes back last
        response = grade_current(alice_client, quiz, rating)
    body = response.content.decode()
    assert "Here is how it went" in body
    assert body.count('class="pill grade-pill') == 4
    # When each question comes back: once per question, at its last showing.
    assert body.count("comes back in") == 3
    quiz.refresh_from_db()
    assert quiz.finished_at is not None
    page = alice_client.get(url("qa:quiz", quiz)).content.decode()
    assert "Here is how it went" in page and "<html" in page


def test_a_card_graded_again_comes_back_at_the_end_of_the_quiz(alice_client, alice, quiz):
    body = grade_current(alice_client, quiz, 1).content.decode()
    assert "问题2" in body and "once more" not in body
    assert "0 / 3 graded" not in body and "1 / 4 graded" in body  # one more card to go
    grade_current(alice_client, quiz, 3)
    body = grade_current(alice_client, quiz, 3).content.decode()
    assert "问题1" in body and "once more" in body and "3 / 4 graded" in body
    quiz.refresh_from_db()
    assert quiz.finished_at is None
    # Once more Again, once more at the end; Good, and the quiz is done.
    assert "问题1" in grade_current(alice_client, quiz, 1).content.decode()
    assert "Here is how it went" in grade_current(alice_client, quiz, 3).content.decode()
    assert list(Review.objects.filter(user=alice).order_by("reviewed_at", "pk")
                .values_list("question__number", "rating")) == [
        (1, 1), (2, 3), (3, 3), (1, 1), (1, 3)]


# --- starting -------------------------------------------------------------------------------


def test_a_mock_interview_hides_answers_until_the_end(alice_client, alice, questions):
    alice_client.post(reverse("qa:quiz-start"), {"mode": "mock", "count": "2", "minutes": "10"})
    quiz = Quiz.objects.get(user=alice, mode="mock")
    html = alice_client.get(url("qa:quiz", quiz)).content.decode()
    assert "答案" not in html and 'name="rating"' not in html
    assert 'data-remaining-ms="' in html and "Question 1 of 2" in html
    assert alice_client.post(url("qa:quiz-reveal", quiz),
                             {"item": current(quiz).pk}).status_code == 409
    for text in ("第一个回答", "第二个回答"):
        response = alice_client.post(url("qa:quiz-answer", quiz),
                                     {"item": current(quiz).pk, "typed_answer": text}, **HTMX)
        assert response.status_code == 200
    body = response.content.decode()
    assert "grade yourself" in body and "第一个回答" in body and "答案" in body
    tokens = re.findall(r'name="token" value="([0-9a-f]{32})"', body)
    items = list(quiz.items.order_by("position"))
    assert len(tokens) == 2
    for item, tok in zip(items, tokens, strict=True):
        alice_client.post(url("qa:quiz-grade", quiz),
                          {"item": item.pk, "rating": 3, "token": tok}, **HTMX)
    quiz.refresh_from_db()
    assert quiz.finished_at is not None
    assert Review.objects.filter(user=alice).count() == 2
    assert StudyState.objects.filter(user=alice).count() == 2


def test_a_prompt_is_plain_text_on_the_card_as_on_its_page(alice_client, alice, section):
    prompt = "Python 中 __init__ 和 __new__ 的区别？ # 号呢？"
    question = QuestionFactory(section=section, number=1, prompt=prompt)
    quiz = services.start_quiz(user=alice, mode="section", section=section)
    page = alice_client.get(reverse("qa:quiz", args=[quiz.pk])).content.decode()
    assert "__init__ 和 __new__" in page and "<strong>init" not in page
    for url in (question.get_absolute_url(),
                reverse("qa:report-create", kwargs={"key": question.key})):
        assert "__init__ 和 __new__" in alice_client.get(url).content.decode()
