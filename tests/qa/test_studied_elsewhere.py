"""A due, new or mistakes quiz whose questions are studied in another quiz meanwhile (another
tab, a section quiz): those questions leave it, so none is served to be graded twice, and what
was done in it stays."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from qa.models import Quiz, Review
from qa.selectors import quizzes
from qa.services import answering, daily, undoing
from qa.services import study as services
from tests.factories import QuestionFactory, SectionFactory, StudyStateFactory
from tests.qa.studying import current_item, token

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_fuzz")]


def _grade(user, quiz):
    item = current_item(quiz)
    answering.reveal(user=user, quiz_item=item)
    answering.record_review(user=user, quiz_item=item, rating=3, token=token())
    return item


def _grade_elsewhere(user, section, question_id):
    """Grade `question_id` Good in a section quiz, as another tab would."""
    other = services.start_quiz(user=user, mode="section", section=section)
    item = other.items.get(question_id=question_id)
    Quiz.objects.filter(pk=other.pk).update(position=item.position)
    answering.reveal(user=user, quiz_item=item)
    answering.record_review(user=user, quiz_item=item, rating=3, token=token())


def _waiting(quiz):
    return list(quizzes.quiz_remaining_items(quiz=quiz).values_list("question_id", flat=True))


def test_the_next_card_after_a_grade_is_not_one_graded_elsewhere(alice, alice_client):
    section = SectionFactory()
    for number in range(1, 4):
        StudyStateFactory(user=alice, question=QuestionFactory(section=section, number=number),
                          due=timezone.now() - timedelta(hours=1))
    due = services.start_quiz(user=alice, mode="due")
    _first, second, third = _waiting(due)
    _grade_elsewhere(alice, section, second)

    item = current_item(due)
    alice_client.post(reverse("qa:quiz-reveal", args=[due.pk]), {"item": item.pk},
                      HTTP_HX_REQUEST="true")
    response = alice_client.post(reverse("qa:quiz-grade", args=[due.pk]),
                                 {"item": item.pk, "rating": "3", "token": token()},
                                 HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert current_item(due).question_id == third
    assert f'name="item" value="{current_item(due).pk}"' in response.content.decode()
    assert "1 / 2 graded" in response.content.decode()
    assert Review.objects.filter(user=alice, question_id=second).count() == 1


def test_a_mistakes_quiz_keeps_what_was_done_in_it(alice, alice_client):
    """Grading a mistake leaves it a mistake (an Again grade of the last 14 days): a quiz
    started afresh would hold the ones graded in it again."""
    section = SectionFactory()
    now = timezone.now()
    for number in range(1, 5):
        question = QuestionFactory(section=section, number=number)
        StudyStateFactory(user=alice, question=question, due=now + timedelta(days=3), lapses=1)
        Review.objects.create(user=alice, question=question, rating=1, answer_version=1,
                              reviewed_at=now - timedelta(days=2), token=token())
    mistakes = services.start_quiz(user=alice, mode="mistakes")
    order = _waiting(mistakes)
    _grade(alice, mistakes)
    _grade(alice, mistakes)
    _grade_elsewhere(alice, section, order[2])

    page = alice_client.get(reverse("qa:quiz", args=[mistakes.pk]))
    assert page.status_code == 200
    assert _waiting(mistakes) == [order[3]]
    assert "2 / 3 graded" in page.content.decode()
    assert services.start_quiz(user=alice, mode="mistakes").pk == mistakes.pk


def test_a_card_revealed_before_it_was_graded_elsewhere_stays(alice):
    """The learner has its answer in front of them (and perhaps typed one)."""
    section = SectionFactory()
    for number in range(1, 3):
        StudyStateFactory(user=alice, question=QuestionFactory(section=section, number=number),
                          due=timezone.now() - timedelta(hours=1))
    due = services.start_quiz(user=alice, mode="due")
    item = current_item(due)
    answering.reveal(user=alice, quiz_item=item, typed_answer="我的回答")
    _grade_elsewhere(alice, section, item.question_id)
    assert daily.take_out_graded_elsewhere(user=alice, quiz=due) == 0
    assert _waiting(due)[0] == item.question_id


def test_a_section_quiz_keeps_its_cards_graded_elsewhere(alice):
    """Studying a whole section is asked for as such; it is not today's due, new or mistakes."""
    section = SectionFactory()
    questions = [QuestionFactory(section=section, number=n) for n in range(1, 4)]
    quiz = services.start_quiz(user=alice, mode="section", section=section)
    new = services.start_quiz(user=alice, mode="new")
    _grade(alice, new)
    assert daily.take_out_graded_elsewhere(user=alice, quiz=quiz) == 0
    assert len(_waiting(quiz)) == len(questions)


def test_a_grade_taken_back_times_the_card_from_its_first_showing_less_the_time_since(alice):
    """Graded again after an undo, the card's time is what it took at first plus the time it
    takes now, not everything since it was first shown."""
    section = SectionFactory()
    for number in range(1, 3):
        QuestionFactory(section=section, number=number)
    start = timezone.now() - timedelta(minutes=30)
    quiz = services.start_quiz(user=alice, mode="section", section=section, now=start)
    item = current_item(quiz)
    answering.reveal_item(user=alice, quiz_id=quiz.pk, item_id=item.pk, shown_at=start,
                          now=start + timedelta(seconds=5))
    graded = answering.grade(user=alice, quiz_id=quiz.pk, item_id=item.pk, rating=3,
                             token=token(), now=start + timedelta(seconds=10)).review
    assert graded.duration_ms == 10_000
    undone_at = start + timedelta(minutes=10)
    undoing.undo_grade(user=alice, quiz_id=quiz.pk, token=graded.token, now=undone_at)
    again = answering.grade(user=alice, quiz_id=quiz.pk, item_id=item.pk, rating=4,
                            token=token(), now=undone_at + timedelta(seconds=2)).review
    assert again.duration_ms == 12_000


def _due_quiz(user, section, n=3):
    for number in range(1, n + 1):
        StudyStateFactory(user=user, question=QuestionFactory(section=section, number=number),
                          due=timezone.now() - timedelta(hours=1))
    return services.start_quiz(user=user, mode="due")


def test_a_page_still_showing_a_card_that_left_gets_the_quiz_as_it_is(alice, alice_client):
    section = SectionFactory()
    due = _due_quiz(alice, section)
    shown = current_item(due)
    _grade_elsewhere(alice, section, shown.question_id)
    alice_client.get(reverse("qa:quiz", args=[due.pk]))  # another tab: the card leaves

    response = alice_client.post(reverse("qa:quiz-reveal", args=[due.pk]), {"item": shown.pk},
                                 HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 409
    page = response.content.decode()
    assert "That question is no longer in this quiz" in page
    assert f'name="item" value="{current_item(due).pk}"' in page


def test_the_again_card_of_a_question_graded_elsewhere_too_stays(alice):
    """Graded Good in another tab, then Again here: the Again card is this quiz's own."""
    section = SectionFactory()
    due = _due_quiz(alice, section, n=2)
    item = current_item(due)
    answering.reveal(user=alice, quiz_item=item)
    _grade_elsewhere(alice, section, item.question_id)
    answering.grade(user=alice, quiz_id=due.pk, item_id=item.pk, rating=1, token=token())
    assert due.items.filter(question_id=item.question_id).count() == 2
