"""Within a quiz (qa.services.answering): revealing, mock answers, exactly-once grading, cards
graded Again coming back. Concurrent grades: test_grading_concurrency.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from qa import scheduling
from qa.models import Question, Review, StudyState
from qa.selectors import quizzes
from qa.services import answering, interviews
from qa.services import study as services
from tests.factories import (
    QuestionFactory,
    StudyStateFactory,
    UserFactory,
)
from tests.qa.studying import current_item, first_item, section_quiz, token

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_fuzz")]


# --- record_review: exactly once ----------------------------------------------------------


def test_first_grade_creates_the_study_state_and_one_review(alice, section, questions):
    quiz = section_quiz(alice, section)
    item = first_item(quiz)
    review = answering.record_review(user=alice, quiz_item=item, rating=3, token=token())
    state = StudyState.objects.get(user=alice, question=item.question)
    assert review.rating == 3 and review.quiz_item == item
    assert state.reps == 1 and state.state == scheduling.LEARNING and state.step == 1
    assert state.due > review.reviewed_at
    quiz.refresh_from_db()
    assert quiz.position == 1 and quiz.finished_at is None


def test_a_question_graded_again_comes_back_at_most_again_showings_times(
    alice, section, questions
):
    quiz = section_quiz(alice, section)
    answering.record_review(user=alice, quiz_item=first_item(quiz), rating=1, token=token())
    items = list(quiz.items.order_by("position").values_list("question__number", "position"))
    assert items == [(1, 0), (2, 1), (3, 2), (1, 3)]
    for _ in range(2):
        answering.record_review(user=alice, quiz_item=current_item(quiz), rating=3, token=token())
    # The question keeps coming back while it is graded Again, AGAIN_SHOWINGS times in all.
    for _ in range(answering.AGAIN_SHOWINGS + 1):
        item = current_item(quiz)
        if item is None:
            break
        assert item.question.number == 1
        answering.record_review(user=alice, quiz_item=item, rating=1, token=token())
    quiz.refresh_from_db()
    assert quiz.finished_at is not None
    assert quiz.items.filter(question__number=1).count() == answering.AGAIN_SHOWINGS
    assert Review.objects.filter(user=alice, question__number=1).count() == (
        answering.AGAIN_SHOWINGS)
    assert StudyState.objects.get(user=alice, question__number=1).reps == (
        answering.AGAIN_SHOWINGS)


def test_a_question_graded_again_comes_back_after_again_after_other_cards(alice, section):
    questions = [QuestionFactory(section=section, number=i) for i in range(1, 11)]
    quiz = section_quiz(alice, section)
    answering.record_review(user=alice, quiz_item=current_item(quiz), rating=3, token=token())
    answering.record_review(user=alice, quiz_item=current_item(quiz), rating=1, token=token())
    order = list(quiz.items.order_by("position").values_list("position", "question__number"))
    assert [p for p, _n in order] == list(range(len(questions) + 1))  # still one per position
    after = answering.AGAIN_AFTER
    assert [n for _p, n in order] == [1, 2, *range(3, 3 + after), 2, *range(3 + after, 11)]
    # The cards in between, then the question again (with the rest after it).
    for number in range(3, 3 + after):
        item = current_item(quiz)
        assert item.question.number == number
        answering.record_review(user=alice, quiz_item=item, rating=3, token=token())
    assert current_item(quiz).question.number == 2


def test_a_replayed_again_grade_brings_the_question_back_once(alice, section, questions):
    quiz = section_quiz(alice, section)
    item, t = first_item(quiz), token()
    for _ in range(2):
        answering.record_review(user=alice, quiz_item=item, rating=1, token=t)
    assert quiz.items.count() == len(questions) + 1


def test_again_in_a_mock_interview_brings_nothing_back(alice, section, questions):
    quiz = services.start_quiz(user=alice, mode="mock", section=section, count=3)
    for item in quiz.items.order_by("position"):
        interviews.save_mock_answer(user=alice, quiz_item=item, typed_answer="…")
    for item in quiz.items.order_by("position"):
        answering.record_review(user=alice, quiz_item=item, rating=1, token=token())
    assert quiz.items.count() == 3
    quiz.refresh_from_db()
    assert quiz.finished_at is not None


def test_replaying_the_same_token_returns_the_same_review_and_writes_nothing(
    alice, section, questions
):
    quiz = section_quiz(alice, section)
    item = first_item(quiz)
    t = token()
    first = answering.record_review(user=alice, quiz_item=item, rating=3, token=t)
    # A retried request may even carry another rating (double-click on two buttons).
    again = answering.record_review(user=alice, quiz_item=item, rating=1, token=t)
    assert again.pk == first.pk and again.rating == 3
    assert Review.objects.count() == 1
    assert StudyState.objects.get(user=alice, question=item.question).reps == 1
    quiz.refresh_from_db()
    assert quiz.position == 1


def test_a_second_grade_with_another_token_is_refused(alice, section, questions):
    quiz = section_quiz(alice, section)
    item = first_item(quiz)
    answering.record_review(user=alice, quiz_item=item, rating=3, token=token())
    with pytest.raises(services.AlreadyGraded):
        answering.record_review(user=alice, quiz_item=item, rating=4, token=token())
    assert Review.objects.count() == 1
    assert StudyState.objects.get(user=alice, question=item.question).reps == 1


def test_a_token_reused_for_another_item_is_refused(alice, section, questions):
    quiz = section_quiz(alice, section)
    items = list(quiz.items.order_by("position"))
    t = token()
    answering.record_review(user=alice, quiz_item=items[0], rating=3, token=t)
    with pytest.raises(services.InvalidInput):
        answering.record_review(user=alice, quiz_item=items[1], rating=3, token=t)
    assert Review.objects.count() == 1


@pytest.mark.parametrize("rating", [0, 5, 7, "abc", "", None, "3.5"])
def test_invalid_ratings_are_refused_and_nothing_is_written(alice, section, questions, rating):
    item = first_item(section_quiz(alice, section))
    with pytest.raises(services.InvalidInput):
        answering.record_review(user=alice, quiz_item=item, rating=rating, token=token())
    assert not Review.objects.exists() and not StudyState.objects.exists()


@pytest.mark.parametrize("bad_token", ["", "short", "x" * 65, "has space in it", None])
def test_missing_or_malformed_tokens_are_refused(alice, section, questions, bad_token):
    item = first_item(section_quiz(alice, section))
    with pytest.raises(services.InvalidInput):
        answering.record_review(user=alice, quiz_item=item, rating=3, token=bad_token)
    assert not Review.objects.exists()


def test_someone_elses_quiz_item_is_not_found(alice, bob, section, questions):
    item = first_item(section_quiz(alice, section))
    with pytest.raises(services.NotFound):
        answering.record_review(user=bob, quiz_item=item, rating=3, token=token())
    assert not Review.objects.exists()
    answering.record_review(user=alice, quiz_item=item, rating=3, token=token())
    assert Review.objects.count() == 1


def test_grading_in_a_finished_quiz_is_refused(alice, section, questions):
    quiz = section_quiz(alice, section)
    services.finish_quiz(user=alice, quiz=quiz)
    with pytest.raises(services.QuizFinished):
        answering.record_review(user=alice, quiz_item=first_item(quiz), rating=3, token=token())
    assert not Review.objects.exists()


def test_only_the_current_card_can_be_graded(alice, section, questions):
    quiz = section_quiz(alice, section)
    later = quiz.items.get(position=2)
    with pytest.raises(services.Conflict):
        answering.record_review(user=alice, quiz_item=later, rating=3, token=token())
    assert not Review.objects.exists()


def test_grading_the_last_card_finishes_the_quiz(alice, section, questions):
    quiz = section_quiz(alice, section)
    for item in quiz.items.order_by("position"):
        answering.record_review(user=alice, quiz_item=item, rating=3, token=token())
    quiz.refresh_from_db()
    assert quiz.finished_at is not None and quiz.position == 3
    assert Review.objects.filter(user=alice).count() == 3


def test_a_retired_question_leaves_the_quiz(alice, section, questions):
    quiz = section_quiz(alice, section)
    Question.objects.filter(pk=questions[1].pk).update(status=Question.Status.RETIRED)
    answering.record_review(user=alice, quiz_item=first_item(quiz), rating=3, token=token())
    quiz.refresh_from_db()
    current = quizzes.quiz_remaining_items(quiz=quiz).first()
    assert current.question == questions[2]
    answering.record_review(user=alice, quiz_item=current, rating=3, token=token())
    quiz.refresh_from_db()
    assert quiz.finished_at is not None


def test_a_question_withdrawn_while_on_screen_is_refused_with_why(alice, section, questions):
    quiz = section_quiz(alice, section)
    Question.objects.filter(pk=questions[0].pk).update(status=Question.Status.RETIRED)
    with pytest.raises(services.Conflict) as refused:
        answering.record_review(user=alice, quiz_item=first_item(quiz), rating=3, token=token())
    assert "An editor withdrew this question" in refused.value.message
    assert not Review.objects.filter(user=alice).exists()
    assert quizzes.quiz_remaining_items(quiz=quiz).first().question == questions[1]


def test_review_state_graded_again_counts_a_lapse(alice, section, questions):
    StudyStateFactory(user=alice, question=questions[0], due=timezone.now() - timedelta(hours=1))
    quiz = services.start_quiz(user=alice, mode="due")
    answering.record_review(user=alice, quiz_item=first_item(quiz), rating=1, token=token())
    state = StudyState.objects.get(user=alice, question=questions[0])
    assert state.lapses == 1 and state.state == scheduling.RELEARNING and state.reps == 4


def test_learning_state_graded_again_is_not_a_lapse(alice, section, questions):
    quiz = section_quiz(alice, section)
    answering.record_review(user=alice, quiz_item=first_item(quiz), rating=1, token=token())
    assert StudyState.objects.get(user=alice, question=questions[0]).lapses == 0


def test_grading_records_the_answer_version_and_clears_the_changed_flag(
    alice, section, questions
):
    Question.objects.filter(pk=questions[0].pk).update(answer_version=3)
    StudyStateFactory(user=alice, question=questions[0], last_answer_version=2,
                      changed_since_review=True, due=timezone.now())
    quiz = services.start_quiz(user=alice, mode="due")
    review = answering.record_review(
        user=alice, quiz_item=first_item(quiz), rating=3, token=token(), typed_answer="我的答案"
    )
    state = StudyState.objects.get(user=alice, question=questions[0])
    assert review.answer_version == 3 and review.typed_answer == "我的答案"
    assert state.last_answer_version == 3 and state.changed_since_review is False


def test_desired_retention_changes_the_next_interval(section, questions):
    strict = UserFactory(desired_retention=0.97)
    relaxed = UserFactory(desired_retention=0.75)
    dues = {}
    for user in (strict, relaxed):
        StudyStateFactory(user=user, question=questions[0], stability=30.0,
                          last_review=timezone.now() - timedelta(days=30))
        quiz = services.start_quiz(user=user, mode="due")
        answering.record_review(user=user, quiz_item=first_item(quiz), rating=3, token=token())
        dues[user.pk] = StudyState.objects.get(user=user, question=questions[0]).due
    assert dues[strict.pk] < dues[relaxed.pk]


def test_the_reveal_keeps_when_the_card_was_shown_and_the_grade_times_from_it(
    alice, section, questions
):
    start = timezone.now() - timedelta(minutes=10)
    quiz = services.start_quiz(user=alice, mode="section", section=section, now=start)
    item = first_item(quiz)
    shown = start + timedelta(minutes=2)
    answering.reveal_item(user=alice, quiz_id=quiz.pk, item_id=item.pk, shown_at=shown,
                         now=start + timedelta(minutes=3))
    item.refresh_from_db()
    assert item.shown_at == shown and item.revealed_at == start + timedelta(minutes=3)
    review = answering.record_review(user=alice, quiz_item=item, rating=3, token=token(),
                                    now=start + timedelta(minutes=4))
    assert review.duration_ms == 2 * 60 * 1000


@pytest.mark.parametrize("offset", [timedelta(minutes=-30), timedelta(minutes=30)])
def test_a_shown_time_outside_the_quiz_is_replaced_by_the_reveal_time(
    alice, section, questions, offset
):
    start = timezone.now() - timedelta(minutes=10)
    quiz = services.start_quiz(user=alice, mode="section", section=section, now=start)
    item = first_item(quiz)
    now = start + timedelta(minutes=1)
    answering.reveal_item(user=alice, quiz_id=quiz.pk, item_id=item.pk, shown_at=now + offset,
                         now=now)
    item.refresh_from_db()
    assert item.shown_at == now


def test_a_card_already_shown_keeps_its_first_shown_time(alice, section, questions):
    quiz = section_quiz(alice, section)
    item = first_item(quiz)
    first = timezone.now() - timedelta(minutes=5)
    item.shown_at = first
    item.save(update_fields=["shown_at"])
    answering.reveal_item(user=alice, quiz_id=quiz.pk, item_id=item.pk,
                         shown_at=timezone.now() - timedelta(minutes=1))
    item.refresh_from_db()
    assert item.shown_at == first


def test_revealing_twice_keeps_the_first_reveal(alice, section, questions):
    quiz = section_quiz(alice, section)
    item = first_item(quiz)
    answering.reveal(user=alice, quiz_item=item, typed_answer="第一次")
    again = answering.reveal(user=alice, quiz_item=item, typed_answer="第二次")
    item.refresh_from_db()
    assert item.typed_answer == again.typed_answer == "第一次"


def test_grading_returns_the_next_card_and_moves_the_quiz_on(alice, section, questions):
    quiz = section_quiz(alice, section)
    graded = answering.grade(user=alice, quiz_id=quiz.pk, item_id=first_item(quiz).pk,
                            rating=3, token=token())
    assert graded.next_item.question == questions[1]
    assert graded.quiz.position == 1 and graded.quiz.finished_at is None
    quiz.refresh_from_db()
    assert quiz.position == 1


# --- mock interviews ----------------------------------------------------------------------


def test_mock_grades_wait_for_the_end_then_feed_fsrs(alice, section, questions):
    quiz = services.start_quiz(user=alice, mode="mock", count=2)
    items = list(quiz.items.order_by("position"))
    with pytest.raises(services.Conflict):
        answering.record_review(user=alice, quiz_item=items[0], rating=3, token=token())
    with pytest.raises(services.Conflict):
        answering.reveal(user=alice, quiz_item=items[0])
    interviews.save_mock_answer(user=alice, quiz_item=items[0], typed_answer="一")
    interviews.save_mock_answer(user=alice, quiz_item=items[0], typed_answer="一")  # a replay
    # Another answer to a question passed (a second tab) is refused, and given back.
    with pytest.raises(services.Conflict) as refused:
        interviews.save_mock_answer(user=alice, quiz_item=items[0], typed_answer="另一个窗口")
    assert "was not kept" in refused.value.message and "另一个窗口" in refused.value.message
    interviews.save_mock_answer(user=alice, quiz_item=items[1], typed_answer="二")
    items[0].refresh_from_db()
    assert items[0].typed_answer == "一"
    # Grades on the summary, in any order.
    answering.record_review(user=alice, quiz_item=items[1], rating=1, token=token())
    quiz.refresh_from_db()
    assert quiz.finished_at is None
    review = answering.record_review(user=alice, quiz_item=items[0], rating=4, token=token())
    assert review.typed_answer == "一"
    quiz.refresh_from_db()
    assert quiz.finished_at is not None
    assert StudyState.objects.filter(user=alice).count() == 2


def test_mock_answers_after_the_time_limit_are_refused(alice, section, questions):
    start = timezone.now() - timedelta(minutes=5)
    quiz = services.start_quiz(user=alice, mode="mock", count=2, time_limit_seconds=60, now=start)
    with pytest.raises(services.Conflict) as refused:
        interviews.save_mock_answer(user=alice, quiz_item=first_item(quiz), typed_answer="late")
    # What was typed is given back to copy: it is not kept, and not lost either.
    assert refused.value.message.endswith("What you wrote, to copy: late")
    assert quizzes.mock_answering_over(quiz=quiz, now=timezone.now())
    answering.record_review(user=alice, quiz_item=first_item(quiz), rating=2, token=token())


