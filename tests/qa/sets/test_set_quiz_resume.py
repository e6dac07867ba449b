"""A set quiz taken up again ("Study this set" on a set whose quiz is unfinished) takes in the
questions added to the set since it began, after its last card and in the set's order; never
a question it already holds, nor one a new quiz of the set would not ask."""

from __future__ import annotations

import pytest

from qa.models import Question, QuizItem
from qa.selectors import quizzes
from qa.services import answering
from qa.services.sets import add_questions, create_set, remove_question
from qa.services.study import MAX_QUIZ_ITEMS, start_quiz
from tests.factories import QuestionFactory, SectionFactory, bulk_questions
from tests.qa.sets import order
from tests.qa.studying import current_item, token

pytestmark = pytest.mark.django_db


def _studying(user, study_set):
    return start_quiz(user=user, mode="set", study_set=study_set)


def _asked(quiz) -> list[int]:
    """The quiz's question ids in its order."""
    return list(quiz.items.order_by("position").values_list("question_id", flat=True))


def _grade_current(user, quiz) -> None:
    answering.grade(user=user, quiz_id=quiz.pk, item_id=current_item(quiz).pk, rating=3,
                    token=token())


def test_a_member_who_stopped_midway_is_asked_what_a_curator_added_since(alice, bob,
                                                                          questions):
    from accounts.models import Membership
    from accounts.services import create_team

    team = create_team(user=alice, name="Readers")
    Membership.objects.create(user=bob, team=team)
    study_set = create_set(user=alice, title="Plan", team=team, visibility="team")
    add_questions(study_set=study_set, questions=questions)
    quiz = _studying(bob, study_set)
    _grade_current(bob, quiz)  # stopped after the first card
    added = [QuestionFactory(), QuestionFactory()]
    add_questions(study_set=study_set, questions=added)

    resumed = _studying(bob, study_set)

    assert resumed.pk == quiz.pk
    assert _asked(resumed) == order(study_set) == [q.pk for q in questions + added]
    assert list(resumed.items.order_by("position").values_list("position", flat=True)) == [
        0, 1, 2, 3, 4]
    assert current_item(resumed).question_id == questions[1].pk  # goes on where it stopped
    progress = quizzes.quiz_progress(quiz=resumed)
    assert (progress["done"], progress["total"]) == (1, 5)


def test_starting_again_and_again_takes_in_what_was_added_once(alice, my_set, questions):
    quiz = _studying(alice, my_set)
    added = [QuestionFactory(), QuestionFactory()]
    add_questions(study_set=my_set, questions=added)

    assert _studying(alice, my_set).pk == quiz.pk
    assert _studying(alice, my_set).pk == quiz.pk

    assert _asked(quiz) == [q.pk for q in questions + added]


@pytest.mark.parametrize("status", [Question.Status.RETIRED, Question.Status.DRAFT])
def test_a_question_added_then_withdrawn_is_not_taken_in(alice, my_set, questions, status):
    kept, withdrawn = QuestionFactory(), QuestionFactory()
    quiz = _studying(alice, my_set)
    add_questions(study_set=my_set, questions=[withdrawn, kept])
    Question.objects.filter(pk=withdrawn.pk).update(status=status)

    _studying(alice, my_set)

    assert _asked(quiz) == [q.pk for q in questions] + [kept.pk]


def test_a_graded_question_taken_out_of_the_set_and_put_back_is_not_asked_again(
    alice, my_set, questions
):
    """Its graded card stays in the quiz (see sets._leave_running_quizzes): the quiz holds
    it, so putting it back in the set does not ask it twice; what else was added comes."""
    quiz = _studying(alice, my_set)
    _grade_current(alice, quiz)
    new = QuestionFactory()
    remove_question(study_set=my_set, question=questions[0])
    add_questions(study_set=my_set, questions=[questions[0], new])

    _studying(alice, my_set)

    assert _asked(quiz) == [q.pk for q in questions] + [new.pk]


def test_a_card_taken_out_before_it_came_and_put_back_comes_after_the_last(alice, my_set,
                                                                           questions):
    """Taking its question out of the set took the card out of the quiz, unasked; put back,
    it is at the end of the set, and of the quiz."""
    quiz = _studying(alice, my_set)
    remove_question(study_set=my_set, question=questions[1])
    add_questions(study_set=my_set, questions=[questions[1]])

    _studying(alice, my_set)

    assert _asked(quiz) == [questions[0].pk, questions[2].pk, questions[1].pk]
    assert QuizItem.objects.filter(quiz=quiz, question=questions[1]).count() == 1


def test_a_quiz_taking_in_added_questions_holds_no_more_than_a_quiz_may(alice):
    section = SectionFactory()
    study_set = create_set(user=alice, title="Long")
    add_questions(study_set=study_set, questions=bulk_questions(section, MAX_QUIZ_ITEMS - 1))
    quiz = _studying(alice, study_set)
    # Graded, they are settled: a new quiz of the set would take all three added ones first.
    _grade_current(alice, quiz)
    _grade_current(alice, quiz)
    added = bulk_questions(section, 3, start=MAX_QUIZ_ITEMS)
    add_questions(study_set=study_set, questions=added)

    _studying(alice, study_set)

    asked = _asked(quiz)
    assert len(asked) == MAX_QUIZ_ITEMS
    assert asked[-1] == added[0].pk  # the first one added; the other two wait
