"""Studying (qa.services.study): starting quizzes, mistakes, bookmarks, notes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from qa.models import Bookmark, Note, Question, Quiz, Review, SetItem
from qa.selectors import quizzes
from qa.selectors import study as selectors
from qa.services import answering, daily, marks
from qa.services import study as services
from tests.factories import (
    BookmarkFactory,
    QuestionFactory,
    SectionFactory,
    SetItemFactory,
    StudySetFactory,
    StudyStateFactory,
    UserFactory,
)
from tests.qa.studying import current_item, first_item, section_quiz, token

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_fuzz")]


# --- start_quiz ---------------------------------------------------------------------------


def test_due_quiz_orders_by_due_date_and_skips_unpublished_and_future(alice, section):
    now = timezone.now()
    q1, q2, q3, q4, q5 = (QuestionFactory(section=section) for _ in range(5))
    StudyStateFactory(user=alice, question=q1, due=now - timedelta(hours=1))
    StudyStateFactory(user=alice, question=q2, due=now - timedelta(days=3))
    StudyStateFactory(user=alice, question=q3, due=now + timedelta(days=1))
    StudyStateFactory(user=alice, question=q4, due=now - timedelta(days=9))
    Question.objects.filter(pk=q4.pk).update(status=Question.Status.RETIRED)
    StudyStateFactory(question=q5, due=now - timedelta(days=5))  # someone else's
    quiz = services.start_quiz(user=alice, mode="due")
    assert [i.question_id for i in quiz.items.order_by("position")] == [q2.pk, q1.pk]


def test_nothing_due_starts_no_quiz(alice, questions):
    with pytest.raises(services.NothingToStudy):
        services.start_quiz(user=alice, mode="due")
    assert not Quiz.objects.exists()


def test_new_quiz_respects_the_daily_limit_minus_what_was_introduced_today(section):
    user = UserFactory(daily_new_limit=3)
    qs = [QuestionFactory(section=section, number=i) for i in range(1, 7)]
    first = services.start_quiz(user=user, mode="new", section=section)
    assert [i.question_id for i in first.items.order_by("position")] == [q.pk for q in qs[:3]]
    for item in first.items.order_by("position")[:2]:
        answering.record_review(user=user, quiz_item=item, rating=3, token=token())
    services.finish_quiz(user=user, quiz=first)
    second = services.start_quiz(user=user, mode="new", section=section)
    # Two were introduced today; one of the limit of three is left.
    assert second.items.count() == 1
    assert second.items.get().question_id == qs[2].pk
    # While that one waits in an unfinished quiz, it counts against the limit too.
    assert selectors.new_quota(user=user, now=timezone.now())["remaining"] == 0
    answering.record_review(user=user, quiz_item=second.items.get(), rating=3, token=token())
    with pytest.raises(services.NothingToStudy):
        services.start_quiz(user=user, mode="new", section=section)


def test_new_quiz_with_a_limit_of_zero_says_so(section, questions):
    user = UserFactory(daily_new_limit=0)
    with pytest.raises(services.NothingToStudy, match="limit"):
        services.start_quiz(user=user, mode="new", section=section)


def test_section_quiz_takes_every_published_question_in_order(alice, section, questions):
    Question.objects.filter(pk=questions[1].pk).update(status=Question.Status.DRAFT)
    quiz = section_quiz(alice, section)
    assert [i.question_id for i in quiz.items.order_by("position")] == [
        questions[0].pk, questions[2].pk]


def test_starting_the_same_quiz_again_resumes_it(alice, section, questions):
    quiz = section_quiz(alice, section)
    answering.record_review(user=alice, quiz_item=first_item(quiz), rating=3, token=token())
    again = section_quiz(alice, section)
    assert again.pk == quiz.pk and Quiz.objects.count() == 1


def test_a_daily_quiz_from_yesterday_is_superseded(alice, section, questions):
    StudyStateFactory(user=alice, question=questions[0], due=timezone.now() - timedelta(days=2))
    old = services.start_quiz(user=alice, mode="due", now=timezone.now() - timedelta(days=1))
    fresh = services.start_quiz(user=alice, mode="due")
    old.refresh_from_db()
    assert fresh.pk != old.pk and old.finished_at is not None


def test_bookmark_quiz_optionally_limited_to_a_section(alice, section, questions):
    other = QuestionFactory()
    BookmarkFactory(user=alice, question=questions[2])
    BookmarkFactory(user=alice, question=other)
    everything = services.start_quiz(user=alice, mode="bookmarks")
    assert everything.items.count() == 2
    only = services.start_quiz(user=alice, mode="bookmarks", section=section)
    assert [i.question_id for i in only.items.all()] == [questions[2].pk]


def test_mock_quiz_draws_n_random_published_questions(alice, section, questions):
    quiz = services.start_quiz(user=alice, mode="mock", count=2, time_limit_seconds=600)
    assert quiz.items.count() == 2 and quiz.time_limit_seconds == 600
    assert {i.question.section_id for i in quiz.items.all()} == {section.pk}


def test_mock_quiz_count_and_time_limit_are_checked(alice, questions):
    with pytest.raises(services.InvalidInput):
        services.start_quiz(user=alice, mode="mock", count=0)
    with pytest.raises(services.InvalidInput):
        services.start_quiz(user=alice, mode="mock", count=3, time_limit_seconds=5)
    with pytest.raises(services.InvalidInput):
        services.start_quiz(user=alice, mode="nonsense")
    assert not Quiz.objects.exists()


def test_set_quiz_follows_the_set_order_and_skips_retired(alice):
    study_set = StudySetFactory(owner=alice)
    a, b, c = (SetItemFactory(study_set=study_set, position=p) for p in (3, 1, 2))
    Question.objects.filter(pk=c.question_id).update(status=Question.Status.RETIRED)
    quiz = services.start_quiz(user=alice, mode="set", study_set=study_set)
    assert [i.question_id for i in quiz.items.order_by("position")] == [b.question_id,
                                                                         a.question_id]


# --- bookmarks, notes, mistakes -----------------------------------------------------------


def test_setting_a_bookmark_twice_keeps_one(alice, questions):
    marks.set_bookmark(user=alice, question=questions[0], on=True)
    marks.set_bookmark(user=alice, question=questions[0], on=True)
    assert Bookmark.objects.filter(user=alice).count() == 1
    marks.set_bookmark(user=alice, question=questions[0], on=False)
    marks.set_bookmark(user=alice, question=questions[0], on=False)
    assert not Bookmark.objects.exists()


def test_an_empty_note_deletes_it(alice, questions):
    marks.save_note(user=alice, question=questions[0], body="  先记下来 ")
    assert Note.objects.get(user=alice).body == "先记下来"
    marks.save_note(user=alice, question=questions[0], body="   ")
    assert not Note.objects.exists()


def test_a_note_that_is_too_long_is_refused(alice, questions):
    with pytest.raises(services.InvalidInput):
        marks.save_note(user=alice, question=questions[0], body="x" * 20001)
    assert not Note.objects.exists()


def test_mistakes_are_recent_agains_and_leeches_until_cleared(alice, section, questions):
    now = timezone.now()
    recent, leech, old = questions
    for q, lapses in ((recent, 0), (leech, 5), (old, 1)):
        StudyStateFactory(user=alice, question=q, lapses=lapses)
    Review.objects.create(user=alice, question=recent, rating=1, answer_version=1,
                          token=token(), reviewed_at=now - timedelta(days=2))
    Review.objects.create(user=alice, question=leech, rating=1, answer_version=1,
                          token=token(), reviewed_at=now - timedelta(days=40))
    Review.objects.create(user=alice, question=old, rating=1, answer_version=1,
                          token=token(), reviewed_at=now - timedelta(days=20))
    Review.objects.create(user=alice, question=old, rating=3, answer_version=1,
                          token=token(), reviewed_at=now - timedelta(days=1))
    found = {s.question_id for s in selectors.mistakes(user=alice, now=now)}
    assert found == {recent.pk, leech.pk}

    marks.clear_mistake(user=alice, question=leech, now=now)
    assert {s.question_id for s in selectors.mistakes(user=alice, now=now)} == {recent.pk}
    # Graded Again again: back on the list.
    Review.objects.create(user=alice, question=leech, rating=1, answer_version=1,
                          token=token(), reviewed_at=now + timedelta(minutes=1))
    later = now + timedelta(minutes=2)
    assert {s.question_id for s in selectors.mistakes(user=alice, now=later)} == {
        recent.pk, leech.pk}


def test_mistakes_quiz_studies_the_mistakes(alice, questions):
    StudyStateFactory(user=alice, question=questions[1])
    Review.objects.create(user=alice, question=questions[1], rating=1, answer_version=1,
                          token=token())
    quiz = services.start_quiz(user=alice, mode="mistakes")
    assert [i.question_id for i in quiz.items.all()] == [questions[1].pk]


def test_clearing_a_question_never_studied_is_not_found(alice, questions):
    with pytest.raises(services.NotFound):
        marks.clear_mistake(user=alice, question=questions[0])


# --- Resuming, finishing and counting: the edges ---------------------------------------------


def _review_state(user, question, due):
    return StudyStateFactory(user=user, question=question, due=due, state=2, stability=5,
                             difficulty=5, last_review=due - timedelta(days=5), step=None)


def test_a_due_quiz_whose_cards_were_graded_elsewhere_holds_what_is_due_now(alice):
    first, other = SectionFactory(), SectionFactory()
    reviewed = [QuestionFactory(section=first, number=i) for i in range(1, 4)]
    later = [QuestionFactory(section=other, number=i) for i in range(1, 3)]
    past = timezone.now() - timedelta(hours=1)
    for question in reviewed:
        _review_state(alice, question, past)
    left = services.start_quiz(user=alice, mode="due")  # started from the dashboard, left
    by_section = services.start_quiz(user=alice, mode="due", section=first)
    for _ in reviewed:
        item = current_item(by_section)
        answering.grade(user=alice, quiz_id=by_section.pk, item_id=item.pk, rating=3,
                        token=token())
    for question in later:
        _review_state(alice, question, past)
    resumed = services.start_quiz(user=alice, mode="due")
    assert resumed.pk == left.pk  # nothing was done in it, and it is today's
    assert set(quizzes.quiz_remaining_items(quiz=resumed).values_list(
        "question_id", flat=True)) == {q.pk for q in later}


def test_a_due_quiz_with_an_again_card_still_resumes(alice, section, questions):
    past = timezone.now() - timedelta(hours=1)
    for question in questions:
        _review_state(alice, question, past)
    quiz = services.start_quiz(user=alice, mode="due")
    item = current_item(quiz)
    answering.grade(user=alice, quiz_id=quiz.pk, item_id=item.pk, rating=1, token=token())
    assert services.start_quiz(user=alice, mode="due").pk == quiz.pk


def _due_this_morning(user, early, late=()):
    """Nine o'clock today in the learner's zone, with `early` due an hour before it and `late`
    at noon."""
    day_start, _ = selectors.local_day_bounds(timezone.now(), user.zone)
    morning = day_start + timedelta(hours=9)
    for question in early:
        _review_state(user, question, morning - timedelta(hours=1))
    for question in late:
        _review_state(user, question, morning + timedelta(hours=3))
    return morning


def test_a_due_quiz_taken_up_again_takes_in_what_came_due_since(alice, section):
    """The dashboard's "Review N due questions" opens a quiz holding those N."""
    questions = [QuestionFactory(section=section, number=i) for i in range(1, 9)]
    morning = _due_this_morning(alice, questions[:3], questions[3:])
    quiz = services.start_quiz(user=alice, mode="due", now=morning)
    answering.grade(user=alice, quiz_id=quiz.pk, item_id=current_item(quiz).pk, rating=3,
                    token=token(), now=morning + timedelta(minutes=1))

    afternoon = morning + timedelta(hours=4)
    again = services.start_quiz(user=alice, mode="due", now=afternoon)
    assert again.pk == quiz.pk
    waiting = list(quizzes.quiz_remaining_items(quiz=quiz).values_list("question_id", flat=True))
    assert waiting == [q.pk for q in questions[1:]]
    assert selectors.due_now_count(user=alice, now=afternoon) == len(waiting)
    # Taken up once more, nothing new has come due: nothing is added twice.
    services.start_quiz(user=alice, mode="due", now=afternoon)
    assert quiz.items.count() == len(questions)


def test_a_due_quiz_takes_in_a_question_graded_again_elsewhere_once_it_is_due(alice, section):
    """Graded Again in another quiz, a question is due again minutes later: the due quiz taken
    up again holds it, as the dashboard counts it, and keeps what was done in it."""
    q1, q2, q3 = (QuestionFactory(section=section, number=i) for i in range(1, 4))
    morning = _due_this_morning(alice, [q1, q2])
    due_quiz = services.start_quiz(user=alice, mode="due", now=morning)
    answering.grade(user=alice, quiz_id=due_quiz.pk, item_id=current_item(due_quiz).pk,
                    rating=3, token=token(), now=morning + timedelta(minutes=1))
    new_quiz = services.start_quiz(user=alice, mode="new", now=morning + timedelta(minutes=5))
    item = current_item(new_quiz)
    assert item.question_id == q3.pk
    answering.grade(user=alice, quiz_id=new_quiz.pk, item_id=item.pk, rating=1, token=token(),
                    now=morning + timedelta(minutes=6))  # comes due again minutes later

    later = morning + timedelta(hours=1)
    resumed = services.start_quiz(user=alice, mode="due", now=later)
    assert resumed.pk == due_quiz.pk
    waiting = set(quizzes.quiz_remaining_items(quiz=resumed).values_list("question_id",
                                                                           flat=True))
    assert q3.pk in waiting and len(waiting) == selectors.due_now_count(user=alice, now=later)
    assert Review.objects.filter(quiz_item__quiz=resumed).count() == 1
    assert daily.out_of_date(user=alice, quiz=resumed, now=later) is None


def test_a_due_quiz_takes_in_no_more_than_was_asked_for(alice, section):
    questions = [QuestionFactory(section=section, number=i) for i in range(1, 6)]
    morning = _due_this_morning(alice, questions[:2], questions[2:])
    quiz = services.start_quiz(user=alice, mode="due", count=2, now=morning)
    again = services.start_quiz(user=alice, mode="due", count=3, now=morning + timedelta(hours=4))
    assert again.pk == quiz.pk and quiz.items.count() == 3


def test_a_double_submitted_mock_start_resumes_when_the_bank_is_smaller(alice, questions):
    first = services.start_quiz(user=alice, mode="mock", count=5)
    again = services.start_quiz(user=alice, mode="mock", count=5)
    assert again.pk == first.pk and first.items.count() == len(questions)


def test_finishing_a_timed_out_mock_interview_takes_one_click(alice, questions):
    started = timezone.now() - timedelta(minutes=5)
    quiz = services.start_quiz(user=alice, mode="mock", count=3, time_limit_seconds=60,
                               now=started)
    quiz = services.finish_quiz(user=alice, quiz=quiz)
    assert quiz.finished_at is not None


def test_finishing_a_mock_interview_still_answering_moves_to_grading(alice, questions):
    quiz = services.start_quiz(user=alice, mode="mock", count=3, time_limit_seconds=600)
    quiz = services.finish_quiz(user=alice, quiz=quiz)
    assert quiz.finished_at is None and quiz.position == 3


def test_new_quota_counts_each_waiting_question_once(section):
    user = UserFactory(daily_new_limit=10)
    [QuestionFactory(section=section, number=i) for i in range(1, 4)]
    by_section = services.start_quiz(user=user, mode="new", section=section)
    # The dashboard's: every new question waits in the section's quiz, which it resumes.
    assert services.start_quiz(user=user, mode="new") == by_section
    item = current_item(by_section)
    answering.grade(user=user, quiz_id=by_section.pk, item_id=item.pk, rating=1, token=token())
    quota = selectors.new_quota(user=user, now=timezone.now())
    assert (quota["introduced"], quota["pending"], quota["remaining"]) == (1, 2, 7)


def test_two_open_new_question_quizzes_never_share_a_question(section):
    user = UserFactory(daily_new_limit=10)
    other = SectionFactory(bank=section.bank, position=section.position + 1)
    here = [QuestionFactory(section=section, number=i) for i in (1, 2)]
    there = [QuestionFactory(section=other, number=i) for i in (1, 2)]
    by_section = services.start_quiz(user=user, mode="new", section=section)
    everywhere = services.start_quiz(user=user, mode="new")
    assert [i.question_id for i in by_section.items.order_by("position")] == [q.pk for q in here]
    assert [i.question_id for i in everywhere.items.order_by("position")] == [
        q.pk for q in there]
    quota = selectors.new_quota(user=user, now=timezone.now())
    assert (quota["pending"], quota["remaining"]) == (4, 6)


def test_new_questions_over_the_limit_but_waiting_in_a_quiz_resume_it(section):
    user = UserFactory(daily_new_limit=2)
    other = SectionFactory(bank=section.bank, position=section.position + 1)
    [QuestionFactory(section=section, number=i) for i in (1, 2)]
    QuestionFactory(section=other, number=1)
    everywhere = services.start_quiz(user=user, mode="new")
    assert everywhere.items.count() == 2  # the limit
    assert services.start_quiz(user=user, mode="new", section=section) == everywhere
    with pytest.raises(services.NothingToStudy, match="limit"):
        services.start_quiz(user=user, mode="new", section=other)
    assert Quiz.objects.count() == 1


def test_a_section_quiz_takes_the_count_asked_for(alice, section, questions):
    quiz = services.start_quiz(user=alice, mode="section", section=section, count=2)
    assert [i.question_id for i in quiz.items.order_by("position")] == [
        q.pk for q in questions[:2]]


def _quiz_question_ids(quiz) -> list[int]:
    return list(quiz.items.order_by("position").values_list("question_id", flat=True))


def test_a_set_longer_than_a_quiz_goes_on_where_the_last_quiz_left_off(alice, section):
    from tests.factories import bulk_questions

    questions = bulk_questions(section, services.MAX_QUIZ_ITEMS + 50)
    study_set = StudySetFactory(owner=alice)
    SetItem.objects.bulk_create(SetItem(study_set=study_set, question=q, position=i)
                                for i, q in enumerate(questions))
    later = timezone.now() + timedelta(days=3)
    for question in questions[:services.MAX_QUIZ_ITEMS]:  # studied, not due yet
        StudyStateFactory(user=alice, question=question, due=later)

    quiz = services.start_quiz(user=alice, mode="set", study_set=study_set)

    ids = _quiz_question_ids(quiz)
    assert len(ids) == services.MAX_QUIZ_ITEMS
    assert {q.pk for q in questions[services.MAX_QUIZ_ITEMS:]} <= set(ids)  # the 50 left
    positions = {q.pk: i for i, q in enumerate(questions)}
    assert ids == sorted(ids, key=positions.get)  # still in the set's order


def test_a_long_section_quiz_takes_what_is_due_or_unstudied_first(alice, section):
    from tests.factories import bulk_questions

    questions = bulk_questions(section, services.MAX_QUIZ_ITEMS + 10)
    later = timezone.now() + timedelta(days=3)
    for question in questions[:20]:
        StudyStateFactory(user=alice, question=question, due=later)
    StudyStateFactory(user=alice, question=questions[20], due=timezone.now())  # due now

    ids = _quiz_question_ids(section_quiz(alice, section))

    # All 190 due or unstudied ones, then the first 10 settled ones to fill the quiz, in the
    # section's order; the other 10 settled ones wait.
    assert ids == [q.pk for q in questions[:10] + questions[20:]]
