"""The summary of a quiz stopped early: what was graded, once each, and how many were not."""

from __future__ import annotations

import pytest
from django.urls import reverse

from qa.services import answering, interviews
from qa.services import study as services

pytestmark = pytest.mark.django_db


@pytest.fixture
def quiz(alice, section, questions):
    return services.start_quiz(user=alice, mode="section", section=section)


def summary(client, quiz) -> str:
    page = client.get(reverse("qa:quiz", args=[quiz.pk]), HTTP_ACCEPT_LANGUAGE="en")
    return page.content.decode()


def test_stopping_early_shows_the_summary(alice_client, quiz):
    response = alice_client.post(reverse("qa:quiz-finish", args=[quiz.pk]))
    assert response.status_code == 302
    quiz.refresh_from_db()
    assert quiz.finished_at is not None
    page = summary(alice_client, quiz)
    total = quiz.items.count()
    assert f"Stopped after 0 of {total} questions" in page
    assert f"The {total} questions you did not grade are left as they were." in page
    assert "not graded</span>" not in page  # not listed one by one


def test_a_stopped_quiz_lists_what_was_graded_once(alice_client, alice, quiz):
    first = quiz.items.order_by("position").first()
    answering.reveal(user=alice, quiz_item=first)
    answering.record_review(user=alice, quiz_item=first, rating=1, token="t" * 32)  # Again
    alice_client.post(reverse("qa:quiz-finish", args=[quiz.pk]))
    page = summary(alice_client, quiz)
    rows = page.split('<ol class="summary-rows list">', 1)[1].split("</ol>", 1)[0]
    assert rows.count('class="summary-row"') == 1  # not its Again copy, nor the others
    assert f"Stopped after 1 of {quiz.items.values('question').distinct().count()}" in page


def test_a_quiz_stopped_with_nothing_graded_shows_no_time_spent(alice_client, alice, quiz):
    from datetime import timedelta

    from qa.models import Quiz

    # Left open for a day, then stopped: the day is not time spent studying.
    Quiz.objects.filter(pk=quiz.pk).update(started_at=quiz.started_at - timedelta(days=1))
    alice_client.post(reverse("qa:quiz-finish", args=[quiz.pk]))
    page = summary(alice_client, quiz)
    assert '<span class="value">—</span><span class="label">time spent</span>' in page


def test_a_question_due_again_by_now_is_not_said_to_come_back_in_a_minute(alice_client, alice,
                                                                            quiz):
    from datetime import timedelta

    from django.utils import timezone

    from qa.models import StudyState

    first = quiz.items.order_by("position").first()
    answering.reveal(user=alice, quiz_item=first)
    answering.record_review(user=alice, quiz_item=first, rating=3, token="t" * 32)
    alice_client.post(reverse("qa:quiz-finish", args=[quiz.pk]))
    StudyState.objects.filter(user=alice).update(due=timezone.now() - timedelta(days=2))
    page = summary(alice_client, quiz)
    assert "due again now" in page and "less than a minute" not in page
    assert ('<span class="value">due now</span><span class="label">until the first of these '
            'comes back</span>') in page


def test_a_mock_interview_finished_without_grading_says_it_stopped(alice_client, alice,
                                                                   questions):
    mock = services.start_quiz(user=alice, mode="mock", count=2)
    for item in mock.items.order_by("position"):
        interviews.save_mock_answer(user=alice, quiz_item=item, typed_answer="我的回答")
    alice_client.post(reverse("qa:quiz-finish", args=[mock.pk]))
    page = summary(alice_client, mock)
    assert "Stopped after 0 of 2 questions" in page and "Done!" not in page


def test_a_question_taken_back_into_draft_shows_as_it_was_last_published(alice_client, alice,
                                                                           questions):
    """An editor's draft is the editors' own until published: a summary that lists the
    question (graded before) shows the text it was graded on, and no link to a page that
    learners cannot open."""
    from qa.models import Question

    mock = services.start_quiz(user=alice, mode="mock", count=2)
    items = list(mock.items.order_by("position").select_related("question"))
    for item in items:
        interviews.save_mock_answer(user=alice, quiz_item=item, typed_answer="我的回答")
    answering.record_review(user=alice, quiz_item=items[0], rating=3, token="d" * 32)
    question = items[0].question
    published = (question.prompt, question.answer)
    question.status = Question.Status.DRAFT
    question.prompt, question.answer = "编辑中的草稿题目", "编辑中的草稿答案，尚未发布"
    question.save()
    page = summary(alice_client, mock)
    assert "草稿" not in page
    assert published[0][:12] in page and published[1][:12] in page
    assert question.get_absolute_url() not in page
    assert items[1].question.get_absolute_url() in page
