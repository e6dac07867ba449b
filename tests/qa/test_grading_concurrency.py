"""Grades that race (qa.services.answering): the same card twice at once, the same question
from two quizzes at once (real concurrent transactions: PostgreSQL), and the conditional
StudyState write that keeps a racing grade from being lost."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.utils import timezone

from qa.models import Quiz, QuizItem, Review, StudyState
from qa.services import answering, statements
from qa.services import study as services
from tests.factories import (
    BookmarkFactory,
    QuestionFactory,
    SectionFactory,
    StudyStateFactory,
    UserFactory,
)
from tests.qa.studying import first_item, section_quiz, token

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_fuzz")]


def at_once(*calls) -> list:
    """Run `calls` in threads that start together, each on its own database connection; what
    each returned or raised, in order."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(n, call):
        try:
            barrier.wait(timeout=5)
            outcomes[n] = call()
        except Exception as exc:  # returned to the test
            outcomes[n] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n, call)) for n, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    return outcomes


def grading(user, item, *, rating=3, with_token=None):
    return lambda: answering.record_review(user=user, quiz_item=item, rating=rating,
                                           token=with_token or token())


def one_card_quiz():
    """A new learner in a quiz of one card, and that card."""
    alice = UserFactory()
    section = SectionFactory()
    QuestionFactory(section=section)
    return alice, first_item(section_quiz(alice, section))


@pytest.mark.django_db(transaction=True)
def test_two_threads_grading_the_same_card_with_one_token_write_one_review():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    alice, item = one_card_quiz()
    shared = token()
    first, second = at_once(grading(alice, item, with_token=shared),
                            grading(alice, item, with_token=shared))
    assert isinstance(first, Review) and isinstance(second, Review), (first, second)
    assert first.pk == second.pk
    assert Review.objects.filter(quiz_item=item).count() == 1
    assert StudyState.objects.get(user=alice, question=item.question).reps == 1


@pytest.mark.django_db(transaction=True)
def test_two_threads_grading_the_same_card_with_different_tokens_write_one_review():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    alice, item = one_card_quiz()
    outcomes = at_once(grading(alice, item), grading(alice, item))
    assert sorted(type(o).__name__ for o in outcomes) == ["AlreadyGraded", "Review"], outcomes
    assert Review.objects.filter(quiz_item=item).count() == 1
    assert StudyState.objects.get(user=alice, question=item.question).reps == 1


def two_tabs_on_one_question(*, studied: bool):
    """alice with the same question as the current card of two quizzes (two tabs)."""
    alice = UserFactory()
    section = SectionFactory()
    question = QuestionFactory(section=section)
    BookmarkFactory(user=alice, question=question)
    if studied:
        StudyStateFactory(user=alice, question=question, reps=4, due=timezone.now())
    items = [
        first_item(section_quiz(alice, section)),
        first_item(services.start_quiz(user=alice, mode="bookmarks")),
    ]
    return alice, question, items


@pytest.mark.django_db(transaction=True)
def test_two_quizzes_grading_the_same_new_question_at_once_both_count():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent transactions need PostgreSQL")
    alice, question, items = two_tabs_on_one_question(studied=False)
    outcomes = at_once(*(grading(alice, item) for item in items))
    assert all(isinstance(o, Review) for o in outcomes), outcomes
    # One StudyState, built on both grades: the second started over on the first's row.
    assert StudyState.objects.get(user=alice, question=question).reps == 2
    assert Review.objects.filter(user=alice, question=question).count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_quizzes_grading_the_same_studied_question_at_once_both_count():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent transactions need PostgreSQL")
    alice, question, items = two_tabs_on_one_question(studied=True)
    for _round in range(3):  # a race shows itself only sometimes: give it a few chances
        outcomes = at_once(*(grading(alice, item) for item in items))
        assert all(isinstance(o, Review) for o in outcomes), outcomes
        Review.objects.filter(quiz_item__in=items).update(quiz_item=None)  # grade them again
        QuizItem.objects.filter(pk__in=[i.pk for i in items]).update(revealed_at=None)
        Quiz.objects.filter(items__in=items).update(position=0, finished_at=None)
    # Every grade built on the one before it: none was lost to a concurrent one.
    assert StudyState.objects.get(user=alice, question=question).reps == 4 + 6
    assert Review.objects.filter(user=alice, question=question).count() == 6


def test_a_grade_never_overwrites_a_study_state_changed_after_it_was_read(alice, section,
                                                                         questions):
    """The StudyState write is conditional on what the grade read (statements.update)."""
    state = StudyStateFactory(user=alice, question=questions[0], reps=2)
    assert statements.update(StudyState, state.pk, {"reps": 3}, reps=1) == 0
    assert statements.update(StudyState, state.pk, {"reps": 3}, reps=2,
                             changed_since_review=state.changed_since_review) == 1
    state.refresh_from_db()
    assert state.reps == 3


@pytest.mark.django_db(transaction=True)
def test_taking_up_a_due_quiz_while_it_is_being_graded_waits_without_a_deadlock():
    """The start locks the learner, then (taking in what came due) the quiz; a grade holds the
    quiz and then needs the learner's row for its inserts' foreign keys (FOR KEY SHARE). The
    start's lock on the learner must not block that."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent transactions need PostgreSQL")
    import time
    from datetime import timedelta

    import psycopg
    from django.db import connections

    alice = UserFactory()
    section = SectionFactory()
    now = timezone.now()
    for number in (1, 2):
        StudyStateFactory(user=alice, question=QuestionFactory(section=section, number=number),
                          due=now - timedelta(minutes=5))
    quiz = services.start_quiz(user=alice, mode="due", now=now - timedelta(minutes=2))
    db = connection.settings_dict
    grade = psycopg.connect(dbname=db["NAME"], host=db["HOST"] or None,
                            port=db["PORT"] or None, user=db["USER"] or None,
                            password=db["PASSWORD"] or None)
    outcome: list = []

    def start():
        try:
            outcome.append(services.start_quiz(user=alice, mode="due"))
        except Exception as exc:  # returned to the test
            outcome.append(exc)
        finally:
            connections.close_all()

    try:
        # What a grade holds while it writes: its quiz, locked.
        grade.execute("SELECT 1 FROM qa_quiz WHERE id = %s FOR UPDATE", [quiz.pk])
        starting = threading.Thread(target=start)
        starting.start()
        time.sleep(0.5)  # the start has the learner's row and waits for the quiz
        # The grade's inserts check their foreign key to the learner.
        grade.execute("SELECT 1 FROM accounts_user WHERE id = %s FOR KEY SHARE", [alice.pk])
        grade.commit()
        starting.join(10)
    finally:
        grade.close()
    assert [getattr(o, "pk", o) for o in outcome] == [quiz.pk]
