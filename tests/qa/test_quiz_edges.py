"""The quiz at its edges: odd form values, mock interviews' clock and time, an Again card
left ungraded by a stop, and a due quiz resumed after its questions were studied elsewhere."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from qa.models import Quiz, QuizItem, Review
from qa.selectors import quizzes as quiz_selectors
from qa.services import answering, interviews
from qa.services import study as services
from tests.factories import StudyStateFactory
from tests.qa.studying import current_item, section_quiz, token

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_fuzz")]


@pytest.mark.parametrize("action", ["qa:quiz-reveal", "qa:quiz-grade", "qa:quiz-answer"])
@pytest.mark.parametrize("value", ["²", "١٢x", "³4"])
def test_an_item_id_of_other_digits_is_refused_not_a_server_error(alice_client, alice,
                                                                  section, questions,
                                                                  action, value):
    quiz = section_quiz(alice, section)
    response = alice_client.post(reverse(action, args=[quiz.pk]),
                                 {"item": value, "rating": "3", "token": token()})
    assert response.status_code == 400
    assert not Review.objects.exists()


def test_undoing_in_a_quiz_id_past_64_bits_is_not_found(alice_client):
    response = alice_client.post(reverse("qa:quiz-undo", args=[2**64]), {"grade": token()})
    assert response.status_code == 404


def test_a_stopped_quiz_s_summary_keeps_when_an_again_card_comes_back(alice, section,
                                                                       questions):
    quiz = section_quiz(alice, section)
    first = current_item(quiz)
    answering.reveal(user=alice, quiz_item=first)
    answering.record_review(user=alice, quiz_item=first, rating=1, token=token())
    second = current_item(quiz)
    answering.reveal(user=alice, quiz_item=second)
    answering.record_review(user=alice, quiz_item=second, rating=4, token=token())
    quiz = services.finish_quiz(user=alice, quiz=quiz)  # the Again copy is never shown

    summary = quiz_selectors.quiz_summary(quiz=quiz, user=alice, now=timezone.now())
    rows = {row.item.pk: row for row in summary["rows"]}
    again_due = rows[first.pk].state.due
    assert again_due < rows[second.pk].state.due
    assert summary["next_due"] == again_due  # minutes away, not the Easy card's days


def test_a_second_start_of_a_mock_interview_minutes_later_is_a_new_one(alice, questions):
    started = timezone.now() - timedelta(minutes=9)
    old = services.start_quiz(user=alice, mode="mock", count=2, time_limit_seconds=600,
                              now=started)
    new = services.start_quiz(user=alice, mode="mock", count=2, time_limit_seconds=600)
    assert new.pk != old.pk
    assert quiz_selectors.mock_deadline(quiz=new) > timezone.now() + timedelta(minutes=9)
    # A double click is still one interview.
    assert services.start_quiz(user=alice, mode="mock", count=2,
                               time_limit_seconds=600).pk == new.pk


def test_a_mock_interview_counts_each_question_s_time_until_its_answer(alice, questions):
    t0 = timezone.now() - timedelta(minutes=10)
    quiz = services.start_quiz(user=alice, mode="mock", count=3, now=t0)
    items = list(quiz.items.order_by("position"))
    for n, item in enumerate(items):
        QuizItem.objects.filter(pk=item.pk).update(shown_at=t0 + timedelta(minutes=n))
        item.refresh_from_db()
        interviews.save_mock_answer(user=alice, quiz_item=item, typed_answer=f"answer {n}",
                                   now=t0 + timedelta(minutes=n + 1))
    graded_at = t0 + timedelta(minutes=8)  # grading at the end takes a while
    for item in items:
        answering.record_review(user=alice, quiz_item=item, rating=3, token=token(),
                                now=graded_at)
    assert sorted(Review.objects.values_list("duration_ms", flat=True)) == [60_000] * 3
    summary = quiz_selectors.quiz_summary(quiz=Quiz.objects.get(pk=quiz.pk), user=alice,
                                          now=graded_at)
    assert summary["time_spent"] == timedelta(minutes=3)


def end_interview(client, quiz, item, typed_answer):
    """ "End the interview now", with what is typed in the answer box."""
    response = client.post(reverse("qa:quiz-answer", args=[quiz.pk]), {
        "item": item.pk, "typed_answer": typed_answer, "finish": "1",
    }, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response


def test_ending_a_mock_interview_keeps_the_answer_being_typed(alice_client, alice, questions):
    quiz = services.start_quiz(user=alice, mode="mock", count=3, time_limit_seconds=600)
    item = current_item(quiz)
    response = end_interview(alice_client, quiz, item, "what I had so far")
    item.refresh_from_db()
    quiz.refresh_from_db()
    assert item.typed_answer == "what I had so far"
    assert quiz.position == 3 and quiz.finished_at is None  # on to grading
    assert "Interview over: grade yourself" in response.content.decode()
    assert "what I had so far" in response.content.decode()


@pytest.mark.parametrize("late", [False, True])
def test_ending_a_mock_interview_on_its_last_question_goes_to_grading(alice_client, alice,
                                                                     questions, late):
    """Also when the answer comes in the grace after the time limit."""
    t0 = timezone.now() - timedelta(minutes=10, seconds=10 if late else 0)
    quiz = services.start_quiz(user=alice, mode="mock", count=2, time_limit_seconds=600,
                               now=t0)
    first = current_item(quiz)
    interviews.save_mock_answer(user=alice, quiz_item=first, typed_answer="one",
                               now=t0 + timedelta(minutes=1))
    response = end_interview(alice_client, quiz, current_item(quiz), "two")
    quiz.refresh_from_db()
    assert quiz.position == 2 and quiz.finished_at is None
    body = response.content.decode()
    assert "Interview over: grade yourself" in body
    assert body.count('name="rating" value="3"') == 2


def _due(user, questions):
    for question in questions:
        StudyStateFactory(user=user, question=question,
                          due=timezone.now() - timedelta(hours=1))


def test_continuing_a_due_quiz_whose_questions_were_all_studied_elsewhere_ends_it(
    alice_client, alice, section, questions
):
    _due(alice, questions)
    due = services.start_quiz(user=alice, mode="due")
    other = section_quiz(alice, section)
    while (item := current_item(other)) is not None:
        answering.reveal(user=alice, quiz_item=item)
        answering.record_review(user=alice, quiz_item=item, rating=3, token=token())

    response = alice_client.get(reverse("qa:quiz", args=[due.pk]), follow=True)
    assert response.redirect_chain[0] == (reverse("home"), 302)
    assert "Nothing is due right now." in response.content.decode()
    due.refresh_from_db()
    assert due.finished_at is not None


@pytest.mark.parametrize("htmx", [False, True])
def test_continuing_a_due_quiz_partly_studied_elsewhere_takes_those_out(
    alice_client, alice, section, questions, htmx
):
    """The quiz goes on where it was (what was done in it stays); the question studied in
    another quiz since it began has left it, and is not served to be graded twice."""
    _due(alice, questions)
    due = services.start_quiz(user=alice, mode="due")
    first = current_item(due)
    answering.reveal(user=alice, quiz_item=first)
    answering.record_review(user=alice, quiz_item=first, rating=3, token=token())
    waiting = set(quiz_selectors.quiz_remaining_items(quiz=due)
                  .values_list("question_id", flat=True))
    other = section_quiz(alice, section)
    while True:  # the section quiz, up to a question still waiting in the due quiz
        studied = current_item(other)
        answering.reveal(user=alice, quiz_item=studied)
        answering.record_review(user=alice, quiz_item=studied, rating=3, token=token())
        if studied.question_id in waiting:
            break

    response = alice_client.get(reverse("qa:quiz", args=[due.pk]),
                                **({"HTTP_HX_REQUEST": "true"} if htmx else {}))
    assert response.status_code == 200
    assert Quiz.objects.get(user=alice, mode="due", finished_at__isnull=True).pk == due.pk
    assert set(quiz_selectors.quiz_remaining_items(quiz=due)
               .values_list("question_id", flat=True)) == waiting - {studied.question_id}
    page = response.content.decode()
    assert f'name="item" value="{current_item(due).pk}"' in page
    assert "1 / 2 graded" in page
    said = "A question of this quiz was studied elsewhere since it began, so it has left"
    assert (said in page) is not htmx


def test_a_due_quiz_up_to_date_is_shown_as_it_is(alice_client, alice, questions):
    _due(alice, questions)
    due = services.start_quiz(user=alice, mode="due")
    response = alice_client.get(reverse("qa:quiz", args=[due.pk]))
    assert response.status_code == 200
    assert Quiz.objects.filter(user=alice, finished_at__isnull=True).get().pk == due.pk


def test_the_card_marks_the_bank_s_text_with_its_language(alice_client, alice, section,
                                                           questions):
    quiz = section_quiz(alice, section)
    lang = f'lang="{section.bank.language}"'
    page = alice_client.get(reverse("qa:quiz", args=[quiz.pk]),
                            HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'<h2 class="prompt prose" {lang}>' in page and '<html lang="en"' in page
    revealed = alice_client.post(reverse("qa:quiz-reveal", args=[quiz.pk]),
                                 {"item": current_item(quiz).pk}, HTTP_HX_REQUEST="true")
    assert f'<div class="prose" {lang}>' in revealed.content.decode()


def test_continuing_yesterday_s_due_quiz_says_so(alice_client, alice, questions):
    yesterday = timezone.now() - timedelta(days=1)
    for question in questions:
        StudyStateFactory(user=alice, question=question, due=yesterday - timedelta(hours=1))
    old = services.start_quiz(user=alice, mode="due", now=yesterday)
    response = alice_client.get(reverse("qa:quiz", args=[old.pk]), follow=True)
    body = response.content.decode()
    assert "That quiz began on an earlier day; here is today&#x27;s." in body
    assert "studied elsewhere" not in body
    assert response.redirect_chain[-1][0] != reverse("qa:quiz", args=[old.pk])
