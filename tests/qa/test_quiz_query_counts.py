"""The quiz round trip (reveal, then grade → next card) and the dashboard run a fixed number of
queries, the same with a handful of rows as with many: a small bank and an empty history against
a large bank, a long quiz and a learner with hundreds of reviews, states, bookmarks and notes."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from qa.models import Review
from qa.services import study as services
from tests.factories import (
    BookmarkFactory,
    NoteFactory,
    SectionFactory,
    StudyStateFactory,
    UserFactory,
    bulk_questions,
)

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}

# Every request: the session and the user. (The count of unread report outcomes runs only
# where the navigation is drawn, not for these HTMX fragments.)
PER_REQUEST = 2
# The reveal: the item with its quiz, question and the learner's StudyState and note; the
# UPDATE.
REVEAL = PER_REQUEST + 2
# The grade: the locked item with its quiz, question and the learner's StudyState; the
# StudyState written; the Review; the next card (with its bookmark, "new" state and the quiz's
# progress); the quiz moved on; and the transaction (a savepoint here, BEGIN/COMMIT in
# production).
GRADE = PER_REQUEST + 5 + 2


def learner_with_history(*, size: int):
    """A learner in a section quiz (the first card shown), with a bank and history of `size`."""
    user = UserFactory()
    now = timezone.now()
    section = SectionFactory(title="基础篇")
    questions = bulk_questions(section, 3 * size, start=1)
    for other in range(size):  # more of the bank, never studied
        bulk_questions(SectionFactory(title=f"其他{other}"), 3 * size, start=1)
    for i, question in enumerate(questions[1:], start=1):
        if i % 2:
            continue  # some studied, some new
        StudyStateFactory(user=user, question=question, due=now - timedelta(hours=1))
        Review.objects.create(user=user, question=question, rating=1 + i % 4, answer_version=1,
                              token=uuid.uuid4().hex, reviewed_at=now - timedelta(days=i % 30))
        if i % 3 == 0:
            BookmarkFactory(user=user, question=question)
            NoteFactory(user=user, question=question)
    quiz = services.start_quiz(user=user, mode="section", section=section)
    return user, quiz


def grade_form(html: str) -> dict:
    return {
        "item": re.search(r'name="item" value="(\d+)"', html).group(1),
        "token": re.search(r'name="token" value="([0-9a-f]{32})"', html).group(1),
        "rating": "3",
    }


@pytest.mark.parametrize("size", [1, 12])
def test_reveal_then_grade_run_a_fixed_number_of_queries(client, count_queries, size):
    user, quiz = learner_with_history(size=size)
    client.force_login(user)
    page = client.get(reverse("qa:quiz", kwargs={"pk": quiz.pk})).content.decode()
    item = re.search(r'name="item" value="(\d+)"', page).group(1)
    for card in range(2):  # the first card, then the one the grade brought
        with count_queries() as reveal:
            response = client.post(reverse("qa:quiz-reveal", kwargs={"pk": quiz.pk}),
                                   {"item": item}, **HTMX)
        assert response.status_code == 200 and "grade-row" in response.content.decode()
        assert len(reveal) == REVEAL, reveal
        with count_queries() as grade:
            response = client.post(reverse("qa:quiz-grade", kwargs={"pk": quiz.pk}),
                                   grade_form(response.content.decode()), **HTMX)
        body = response.content.decode()
        assert response.status_code == 200
        assert f"{card + 1} / {3 * size} graded" in body
        assert len(grade) == GRADE, grade
        item = re.search(r'name="item" value="(\d+)"', body).group(1)
    assert Review.objects.filter(quiz_item__quiz=quiz).count() == 2


@pytest.mark.parametrize("size", [1, 12])
def test_the_dashboard_does_not_grow_with_the_bank(client, count_queries, size):
    user, _quiz = learner_with_history(size=size)
    client.force_login(user)
    with count_queries() as first:
        assert client.get("/").status_code == 200
    with count_queries() as again:
        assert client.get("/").status_code == 200
    # The bank's section totals are counted once, then come from the cache.
    assert len(first) == len(again) + 1, (first, again)
    # + the navigation's report count; 8: the dashboard's own, the sets tile's count among them
    assert len(again) == PER_REQUEST + 1 + 8, again
