"""A reveal that is its own transaction commits without waiting for the disk (PostgreSQL's
synchronous_commit off for that transaction only); nothing after it, and nothing it is part
of, loses its durability (qa.services.statements.reveal)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.utils import timezone

from qa.models import QuizItem
from qa.services import answering, statements
from tests.factories import QuestionFactory, SectionFactory, UserFactory
from tests.qa.studying import first_item, section_quiz, token

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("synchronous_commit is PostgreSQL's")


def synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('synchronous_commit')")
        return cursor.fetchone()[0]


@pytest.fixture
def item():
    section = SectionFactory()
    QuestionFactory.create_batch(2, section=section)
    return first_item(section_quiz(UserFactory(), section))


def reveal(item: QuizItem) -> bool:
    now = timezone.now()
    return statements.reveal(item_id=item.pk, now=now, typed_answer="", shown_at=now)


def test_a_reveal_turns_off_the_wait_for_its_own_transaction_only(item):
    with connection.cursor() as cursor:
        # A transaction Django does not know of: the reveal takes itself to be one.
        cursor.execute("BEGIN")
        try:
            revealed, inside = reveal(item), synchronous_commit()
        finally:
            cursor.execute("COMMIT")
    assert revealed
    assert inside == "off"
    assert synchronous_commit() == "on"
    item.refresh_from_db()
    assert item.revealed_at is not None


def test_a_reveal_on_its_own_is_stored_and_leaves_the_next_grade_durable(item):
    answering.reveal(user=item.quiz.user, quiz_item=item)
    assert synchronous_commit() == "on"
    review = answering.record_review(user=item.quiz.user, quiz_item=item, rating=3,
                                     token=token())
    assert review.quiz_item_id == item.pk
    assert QuizItem.objects.get(pk=item.pk).revealed_at is not None


def test_inside_a_larger_transaction_a_reveal_keeps_the_wait(item):
    with transaction.atomic():
        assert reveal(item)
        assert synchronous_commit() == "on"
    item.refresh_from_db()
    assert item.revealed_at is not None
