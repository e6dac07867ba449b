"""The summary of a quiz stopped early: what was graded, once each, and how many were not."""

from __future__ import annotations

import pytest
from django.urls import reverse

from qa.services import answering
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
