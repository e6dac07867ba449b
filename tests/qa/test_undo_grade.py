"""Taking back the last grade of a quiz (qa.services.undoing.undo_grade), and its button."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from qa import scheduling
from qa.models import Question, Quiz, Review, StudyState
from qa.services import answering, interviews, undoing
from qa.services.editorial import requeue_learners
from tests.factories import StudyStateFactory
from tests.qa.studying import current_item, section_quiz, token

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_fuzz")]

CARD = ("state", "step", "stability", "difficulty", "due", "last_review", "reps", "lapses",
        "last_answer_version", "changed_since_review")


def card_of(user, question) -> dict | None:
    state = StudyState.objects.filter(user=user, question=question).first()
    return None if state is None else {name: getattr(state, name) for name in CARD}


def grade(user, quiz, rating: int) -> Review:
    item = current_item(quiz)
    answering.reveal(user=user, quiz_item=item)
    return answering.record_review(user=user, quiz_item=item, rating=rating, token=token())


def positions(quiz) -> list[tuple[int, int]]:
    return list(quiz.items.order_by("position").values_list("position", "question_id"))


def test_it_puts_the_card_back_as_it_was_before_the_grade(alice, section, questions):
    question = questions[0]
    StudyStateFactory(user=alice, question=question, state=scheduling.REVIEW, reps=4,
                      lapses=1, stability=12.5, difficulty=5.1, step=None)
    before = card_of(alice, question)
    quiz = section_quiz(alice, section)
    review = grade(alice, quiz, 4)
    assert card_of(alice, question) != before

    undoing.undo_grade(user=alice, quiz_id=quiz.pk, token=review.token)

    assert card_of(alice, question) == before
    assert not Review.objects.filter(pk=review.pk).exists()
    quiz.refresh_from_db()
    item = current_item(quiz)
    assert (quiz.position, item.question_id) == (0, question.pk)
    assert item.revealed_at is not None  # back to its answer, to be graded again
    again = answering.record_review(user=alice, quiz_item=item, rating=3, token=token())
    assert again.quiz_item_id == item.pk
    assert StudyState.objects.get(user=alice, question=question).reps == 5


def test_a_first_grade_taken_back_leaves_the_question_new(alice, section, questions):
    quiz = section_quiz(alice, section)
    review = grade(alice, quiz, 3)
    undoing.undo_grade(user=alice, quiz_id=quiz.pk, token=review.token)
    assert card_of(alice, questions[0]) is None


def test_an_again_grade_taken_back_takes_its_later_showing_with_it(alice, section, questions):
    quiz = section_quiz(alice, section)
    grade(alice, quiz, 3)
    before = positions(quiz)
    review = grade(alice, quiz, scheduling.AGAIN)
    assert len(positions(quiz)) == len(before) + 1

    undoing.undo_grade(user=alice, quiz_id=quiz.pk, token=review.token)

    assert positions(quiz) == before


def test_an_again_copy_in_the_middle_of_a_long_quiz_closes_its_gap(alice, section):
    from tests.factories import QuestionFactory

    for number in range(1, 10):
        QuestionFactory(section=section, number=number)
    quiz = section_quiz(alice, section)
    before = positions(quiz)
    review = grade(alice, quiz, scheduling.AGAIN)
    assert positions(quiz)[6][1] == before[0][1]  # shown again five cards later

    undoing.undo_grade(user=alice, quiz_id=quiz.pk, token=review.token)

    assert positions(quiz) == before


def test_the_grade_that_finished_the_quiz_can_be_taken_back(alice, section, questions):
    quiz = section_quiz(alice, section)
    for _ in questions[:-1]:
        grade(alice, quiz, 3)
    review = grade(alice, quiz, 3)
    quiz.refresh_from_db()
    assert quiz.finished_at is not None
    undoing.undo_grade(user=alice, quiz_id=quiz.pk, token=review.token)
    quiz.refresh_from_db()
    assert quiz.finished_at is None and current_item(quiz).question_id == questions[-1].pk


def test_only_the_last_grade_can_be_taken_back(alice, section, questions):
    quiz = section_quiz(alice, section)
    first = grade(alice, quiz, 3)
    grade(alice, quiz, 3)
    with pytest.raises(undoing.CannotUndo, match="Only the last grade"):
        undoing.undo_grade(user=alice, quiz_id=quiz.pk, token=first.token)
    assert Review.objects.filter(pk=first.pk).exists()


def test_a_quiz_stopped_by_the_learner_keeps_its_last_grade(alice, section, questions):
    from qa.services import study as services

    quiz = section_quiz(alice, section)
    review = grade(alice, quiz, 3)
    services.finish_quiz(user=alice, quiz=quiz)
    with pytest.raises(undoing.CannotUndo):
        undoing.undo_grade(user=alice, quiz_id=quiz.pk, token=review.token)


def test_a_card_graded_again_in_another_quiz_keeps_that_grade(alice, section, questions):
    quiz = section_quiz(alice, section)
    review = grade(alice, quiz, 3)
    other = Quiz.objects.create(user=alice, mode=Quiz.Mode.SECTION, section=section)
    item = other.items.create(question=questions[0], position=0)
    answering.reveal(user=alice, quiz_item=item)
    answering.record_review(user=alice, quiz_item=item, rating=4, token=token())
    after_second = card_of(alice, questions[0])
    with pytest.raises(undoing.CannotUndo, match="schedule has changed since"):
        undoing.undo_grade(user=alice, quiz_id=quiz.pk, token=review.token)
    assert card_of(alice, questions[0]) == after_second
    assert Review.objects.filter(pk=review.pk).exists()


def test_a_correction_after_the_grade_keeps_it(alice, section, questions):
    quiz = section_quiz(alice, section)
    review = grade(alice, quiz, 3)
    question = questions[0]
    Question.objects.filter(pk=question.pk).update(answer="corrected",
                                                   answer_version=question.answer_version + 1)
    question.refresh_from_db()
    assert requeue_learners(question=question, answer_version=question.answer_version) == 1
    with pytest.raises(undoing.CannotUndo):
        undoing.undo_grade(user=alice, quiz_id=quiz.pk, token=review.token)
    assert StudyState.objects.get(user=alice, question=question).changed_since_review


def test_taking_back_twice_or_with_a_made_up_token_changes_nothing(alice, section, questions):
    quiz = section_quiz(alice, section)
    grade(alice, quiz, 3)
    review = grade(alice, quiz, 3)
    undoing.undo_grade(user=alice, quiz_id=quiz.pk, token=review.token)
    state = card_of(alice, questions[1])
    for forged in (review.token, token(), "not-a-token", ""):
        undoing.undo_grade(user=alice, quiz_id=quiz.pk, token=forged)
    assert card_of(alice, questions[1]) == state
    assert Review.objects.filter(user=alice).count() == 1
    quiz.refresh_from_db()
    assert quiz.position == 1


def test_someone_else_s_quiz_is_not_found(alice, bob, section, questions):
    quiz = section_quiz(alice, section)
    review = grade(alice, quiz, 3)
    with pytest.raises(undoing.NotFound):
        undoing.undo_grade(user=bob, quiz_id=quiz.pk, token=review.token)
    bob_quiz = section_quiz(bob, section)
    undoing.undo_grade(user=bob, quiz_id=bob_quiz.pk, token=review.token)
    assert Review.objects.filter(pk=review.pk).exists()


# --- the button -----------------------------------------------------------------------------

HTMX = {"HTTP_HX_REQUEST": "true"}


def grade_through_the_page(client, quiz, rating):
    item = current_item(quiz)
    html = client.post(reverse("qa:quiz-reveal", args=[quiz.pk]), {"item": item.pk},
                       **HTMX).content.decode()
    grade_token = re.search(r'name="token" value="([0-9a-f]{32})"', html).group(1)
    return grade_token, client.post(reverse("qa:quiz-grade", args=[quiz.pk]),
                                    {"item": item.pk, "rating": rating, "token": grade_token},
                                    **HTMX).content.decode()


def test_the_next_card_offers_to_undo_the_grade_and_undoing_shows_the_answer_again(
        alice_client, alice, section, questions):
    quiz = section_quiz(alice, section)
    grade_token, html = grade_through_the_page(alice_client, quiz, 1)
    assert f'name="grade" value="{grade_token}"' in html and 'data-key="undo"' in html

    response = alice_client.post(reverse("qa:quiz-undo", args=[quiz.pk]),
                                 {"grade": grade_token}, **HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="rating"' in html  # the first card, revealed, with its grade buttons
    assert 'data-key="undo"' not in html
    assert not Review.objects.filter(user=alice).exists()


def test_the_summary_offers_to_undo_the_grade_that_finished_the_quiz(alice_client, alice,
                                                                      section, questions):
    quiz = section_quiz(alice, section)
    for _ in questions:
        grade_token, html = grade_through_the_page(alice_client, quiz, 3)
    assert "Here is how it went" in html and f'value="{grade_token}"' in html


def test_a_refused_undo_says_why(alice_client, alice, section, questions):
    quiz = section_quiz(alice, section)
    first, _html = grade_through_the_page(alice_client, quiz, 3)
    grade_through_the_page(alice_client, quiz, 3)
    response = alice_client.post(reverse("qa:quiz-undo", args=[quiz.pk]), {"grade": first},
                                 **HTMX)
    assert response.status_code == 409
    assert "Only the last grade of a running quiz can be taken back." in response.content.decode()


def test_without_htmx_it_goes_back_to_the_quiz_page(alice_client, alice, section, questions):
    quiz = section_quiz(alice, section)
    grade_token, _html = grade_through_the_page(alice_client, quiz, 3)
    response = alice_client.post(reverse("qa:quiz-undo", args=[quiz.pk]), {"grade": grade_token})
    assert response.status_code == 302 and response["Location"] == f"/quiz/{quiz.pk}/"
    assert not Review.objects.filter(user=alice).exists()


def test_the_quiz_page_offers_the_last_grade_after_a_refresh(alice_client, alice, section,
                                                            questions):
    quiz = section_quiz(alice, section)
    review = grade(alice, quiz, 3)
    html = alice_client.get(reverse("qa:quiz", args=[quiz.pk])).content.decode()
    assert f'name="grade" value="{review.token}"' in html


def test_a_quiz_the_learner_stopped_offers_no_undo(alice_client, alice, section, questions):
    from qa.services import study as services

    quiz = section_quiz(alice, section)
    grade(alice, quiz, 3)
    services.finish_quiz(user=alice, quiz=quiz)
    html = alice_client.get(reverse("qa:quiz", args=[quiz.pk])).content.decode()
    assert "Stopped after 1 of" in html and 'data-key="undo"' not in html


def test_grades_can_be_taken_back_one_after_another(alice_client, alice, section, questions):
    quiz = section_quiz(alice, section)
    grade(alice, quiz, 3)
    grade(alice, quiz, 4)
    for _ in range(2):
        html = alice_client.get(reverse("qa:quiz", args=[quiz.pk])).content.decode()
        last = re.search(r'name="grade" value="([0-9a-f]{32})"', html).group(1)
        alice_client.post(reverse("qa:quiz-undo", args=[quiz.pk]), {"grade": last})
    assert not Review.objects.filter(user=alice).exists()
    assert not StudyState.objects.filter(user=alice).exists()
    html = alice_client.get(reverse("qa:quiz", args=[quiz.pk])).content.decode()
    assert 'data-key="undo"' not in html


def test_a_mock_interview_s_summary_offers_no_undo(alice_client, alice, section, questions):
    from qa.services import study as services

    quiz = services.start_quiz(user=alice, mode="mock", section=section, count=3)
    for item in quiz.items.order_by("position"):
        interviews.save_mock_answer(user=alice, quiz_item=item, typed_answer="…")
    item = quiz.items.order_by("position").first()
    html = alice_client.post(reverse("qa:quiz-grade", args=[quiz.pk]),
                             {"item": item.pk, "rating": 3, "token": token()},
                             **HTMX).content.decode()
    assert "grade-pill" in html and 'data-key="undo"' not in html


def test_a_grade_that_cannot_be_taken_back_is_not_offered(alice_client, alice, section):
    from tests.factories import QuestionFactory

    QuestionFactory(section=section)
    quiz = section_quiz(alice, section)
    grade(alice, quiz, scheduling.AGAIN)  # comes back at once: the quiz's only other card
    again = grade(alice, quiz, 3)
    undoing.undo_grade(user=alice, quiz_id=quiz.pk, token=again.token)
    # The first grade is the quiz's last again, but its card's earlier state is gone with the
    # undo of the later one: it is not offered, and taking it back says why.
    html = alice_client.get(reverse("qa:quiz", args=[quiz.pk])).content.decode()
    assert 'data-key="undo"' not in html
    first = Review.objects.get(user=alice)
    with pytest.raises(undoing.CannotUndo, match="a later grade of it"):
        undoing.undo_grade(user=alice, quiz_id=quiz.pk, token=first.token)


def test_a_grade_older_than_an_hour_stays(alice_client, alice, section, questions):
    from datetime import timedelta

    quiz = section_quiz(alice, section)
    review = grade(alice, quiz, 3)
    earlier = review.reviewed_at - timedelta(minutes=61)
    Review.objects.filter(pk=review.pk).update(reviewed_at=earlier)
    StudyState.objects.filter(user=alice).update(last_review=earlier)
    html = alice_client.get(reverse("qa:quiz", args=[quiz.pk])).content.decode()
    assert 'data-key="undo"' not in html
    with pytest.raises(undoing.CannotUndo, match="for an hour"):
        undoing.undo_grade(user=alice, quiz_id=quiz.pk, token=review.token)
    assert Review.objects.filter(pk=review.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_an_undo_waits_for_a_grade_of_the_card_after_it_before_locking_the_quiz(
        alice, section, questions):
    """Grading locks the quiz item, then the quiz; an undo must take them in that order too,
    or an undo and a grade of the card after it lock each other out."""
    import threading

    from django.db import connection, transaction

    from qa.models import QuizItem

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    quiz = section_quiz(alice, section)
    review = grade(alice, quiz, 3)
    outcome: list = []

    def undo():
        try:
            outcome.append(undoing.undo_grade(user=alice, quiz_id=quiz.pk, token=review.token))
        except Exception as exc:  # returned to the test
            outcome.append(exc)
        finally:
            connection.close()

    with transaction.atomic():
        # As a grade of the next card does first: lock that card.
        QuizItem.objects.select_for_update().get(quiz=quiz, position=1)
        thread = threading.Thread(target=undo)
        thread.start()
        thread.join(timeout=1)
        assert thread.is_alive()  # waiting for the card
        # ...and the quiz row is still free for the grade to take next.
        Quiz.objects.select_for_update(nowait=True).get(pk=quiz.pk)
    thread.join(timeout=10)
    assert isinstance(outcome[0], Quiz)


def test_a_grade_of_a_question_retired_since_stays(alice_client, alice, section, questions):
    quiz = section_quiz(alice, section)
    review = grade(alice, quiz, 3)
    Question.objects.filter(pk=questions[0].pk).update(status=Question.Status.RETIRED)
    html = alice_client.get(reverse("qa:quiz", args=[quiz.pk])).content.decode()
    assert 'data-key="undo"' not in html
    with pytest.raises(undoing.CannotUndo, match="no longer in the bank"):
        undoing.undo_grade(user=alice, quiz_id=quiz.pk, token=review.token)
    assert Review.objects.filter(pk=review.pk).exists()
