"""An answer corrected while its card is open: the grade counts against the answer the learner
saw, and the card comes back at once to show the correction (design invariant 5)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from qa.models import Review, StudyState
from qa.services import study as services
from tests.factories import QuestionFactory, SectionFactory, StudyStateFactory
from tests.qa.editing import Kind, edit
from tests.qa.studying import current_item

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def question(db):
    return QuestionFactory(section=SectionFactory(), answer="旧答案：O(n)。")


def reveal(client, quiz) -> dict:
    """The grade form as the revealed card renders it, rated Easy."""
    html = client.post(reverse("qa:quiz-reveal", kwargs={"pk": quiz.pk}),
                       {"item": current_item(quiz).pk}, **HTMX).content.decode()
    form = dict(re.findall(r'<input type="hidden" name="(item|token|answer_version)" '
                           r'value="([^"]*)"', html))
    return {**form, "rating": "4"}


def grade(client, quiz, form):
    return client.post(reverse("qa:quiz-grade", kwargs={"pk": quiz.pk}), form, **HTMX)


def test_a_correction_after_the_reveal_leaves_the_card_due_with_the_change_to_show(
        alice, alice_client, editor, question):
    before = StudyStateFactory(user=alice, question=question, last_answer_version=1,
                               due=timezone.now())
    quiz = services.start_quiz(user=alice, mode="due")
    form = reveal(alice_client, quiz)
    assert form["answer_version"] == "1"
    assert edit(question, editor, answer="新答案：O(log n)。").requeued == 1

    assert grade(alice_client, quiz, form).status_code == 200
    review = Review.objects.get(user=alice)
    state = StudyState.objects.get(user=alice, question=question)
    assert review.answer_version == 1  # what the learner saw
    assert (state.last_answer_version, state.changed_since_review) == (1, True)
    assert state.due <= timezone.now()
    assert state.reps == before.reps + 1  # the grade itself counts
    # The card comes back in the next due quiz and shows what changed since the answer graded.
    again = services.start_quiz(user=alice, mode="due")
    assert current_item(again).question_id == question.pk
    html = alice_client.post(reverse("qa:quiz-reveal", kwargs={"pk": again.pk}),
                             {"item": current_item(again).pk}, **HTMX).content.decode()
    assert "You studied version 1; this is version 2" in html


def test_a_first_grade_of_a_question_corrected_after_its_reveal_shows_the_change_next(
        alice, alice_client, editor, question):
    quiz = services.start_quiz(user=alice, mode="section", section=question.section)
    form = reveal(alice_client, quiz)
    edit(question, editor, answer="新答案：O(log n)。")

    assert grade(alice_client, quiz, form).status_code == 200
    state = StudyState.objects.get(user=alice, question=question)
    assert (state.last_answer_version, state.changed_since_review) == (1, True)
    assert state.due <= timezone.now()
    assert Review.objects.get(user=alice).answer_version == 1


def test_a_typo_fix_after_the_reveal_changes_nothing_for_the_grade(alice, alice_client, editor,
                                                                   question):
    quiz = services.start_quiz(user=alice, mode="section", section=question.section)
    form = reveal(alice_client, quiz)
    edit(question, editor, kind=Kind.TYPO, answer="旧答案：O(n)。 ")

    assert grade(alice_client, quiz, form).status_code == 200
    state = StudyState.objects.get(user=alice, question=question)
    assert (state.last_answer_version, state.changed_since_review) == (1, False)
    assert state.due > timezone.now()


def test_a_version_past_the_current_one_counts_as_the_current_one(alice, alice_client,
                                                                  question):
    quiz = services.start_quiz(user=alice, mode="section", section=question.section)
    form = {**reveal(alice_client, quiz), "answer_version": "99"}

    assert grade(alice_client, quiz, form).status_code == 200
    state = StudyState.objects.get(user=alice, question=question)
    assert (state.last_answer_version, state.changed_since_review) == (1, False)
    assert Review.objects.get(user=alice).answer_version == 1


def test_a_mock_interviews_answers_graded_after_a_correction_count_against_what_was_shown(
        alice, alice_client, editor, question):
    alice_client.post(reverse("qa:quiz-start"), {"mode": "mock", "count": "1", "minutes": "10"})
    quiz = alice.quizzes.get(mode="mock")
    body = alice_client.post(reverse("qa:quiz-answer", kwargs={"pk": quiz.pk}),
                             {"item": current_item(quiz).pk, "typed_answer": "O(n)"},
                             **HTMX).content.decode()
    form = dict(re.findall(r'<input type="hidden" name="(item|token|answer_version)" '
                           r'value="([^"]*)"', body))
    assert form["answer_version"] == "1"
    edit(question, editor, answer="新答案：O(log n)。")

    assert grade(alice_client, quiz, {**form, "rating": "3"}).status_code == 200
    state = StudyState.objects.get(user=alice, question=question)
    assert (state.last_answer_version, state.changed_since_review) == (1, True)


def test_a_correction_reverted_before_the_grade_changes_nothing_for_it(alice, alice_client,
                                                                       editor, question):
    """The card showed version 1's text; version 3 is that text again: nothing to relearn,
    as the revert itself decided (editorial.requeue_learners)."""
    from qa.services import editorial

    original = question.history.get()
    quiz = services.start_quiz(user=alice, mode="section", section=question.section)
    form = reveal(alice_client, quiz)
    edit(question, editor, answer="新答案：O(log n)。")
    editorial.revert_question(question=question, editor=editor,
                              history_id=original.history_id, reason="撤回", expected_revision=2)

    assert grade(alice_client, quiz, form).status_code == 200
    state = StudyState.objects.get(user=alice, question=question)
    assert (state.last_answer_version, state.changed_since_review) == (3, False)
    assert state.due > timezone.now()


def test_a_stale_tab_never_takes_back_the_version_studied_since(alice, alice_client, editor,
                                                                question):
    quiz = services.start_quiz(user=alice, mode="section", section=question.section)
    stale = reveal(alice_client, quiz)  # version 1, left open in a tab
    edit(question, editor, answer="新答案：O(log n)。")
    StudyState.objects.create(user=alice, question=question, last_answer_version=2,
                              due=timezone.now(), reps=1)  # studied version 2 elsewhere
    assert grade(alice_client, quiz, stale).status_code == 200
    state = StudyState.objects.get(user=alice, question=question)
    assert (state.last_answer_version, state.changed_since_review) == (2, False)
