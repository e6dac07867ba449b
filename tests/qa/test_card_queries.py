"""The hand-written card reads (qa.selectors.cards) load what the same reads built with the ORM
load: every field of the item, its quiz and its question, and what a card shows besides them,
across the states a card can be in. Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.utils import timezone

from qa.models import (
    Bank,
    Bookmark,
    Note,
    Question,
    Quiz,
    QuizItem,
    Review,
    Section,
    SetItem,
    StudyState,
)
from qa.selectors import cards
from qa.selectors.sections import SectionName
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
PUBLISHED = Question.Status.PUBLISHED
LEFT = {"question__status": PUBLISHED, "review__isnull": True}
UNSHOWN = {"search_text", "import_hash"}


def orm_card_item(quiz: Quiz, start: int, *, left_to_grade: bool) -> QuizItem | None:
    mine = {"user_id": quiz.user_id, "question_id": OuterRef("question_id")}
    items = (
        QuizItem.objects.select_related("question")
        .defer(*(f"question__{name}" for name in UNSHOWN))
        .annotate(
            bookmarked=Exists(Bookmark.objects.filter(**mine)),
            state_changed=Subquery(
                StudyState.objects.filter(**mine).values("changed_since_review")[:1]
            ),
            repeat=Exists(QuizItem.objects.filter(
                quiz_id=OuterRef("quiz_id"), question_id=OuterRef("question_id"),
                position__lt=OuterRef("position"),
            )),
            set_note=Subquery(SetItem.objects.filter(
                study_set_id=quiz.study_set_id, question_id=OuterRef("question_id"),
            ).values("note")[:1]),
        )
        .filter(quiz=quiz, position__gte=start, **(LEFT if left_to_grade else {}))
        .order_by("position")
    )
    item = items.first()
    if item is not None:
        item.progress_counts = quiz.items.aggregate(
            total=Count("pk", filter=Q(question__status=PUBLISHED) | Q(review__isnull=False)),
            done=Count("review"),
            all_items=Count("pk"),
        )
    return item


def orm_quiz_item(user_id: int, quiz_id: int, item_id: int) -> QuizItem | None:
    return (
        QuizItem.objects.select_related("quiz", "question")
        .defer(*(f"question__{name}" for name in UNSHOWN))
        .annotate(note_body=Subquery(
            Note.objects.filter(user_id=OuterRef("quiz__user_id"),
                                question_id=OuterRef("question_id")).values("body")[:1]
        ))
        .filter(pk=item_id, quiz_id=quiz_id, quiz__user_id=user_id)
        .first()
    )


def orm_section_name(question: Question) -> SectionName:
    section = Section.objects.select_related("bank").get(pk=question.section_id)
    return SectionName(section.pk, section.title, section.bank.title, section.bank.slug,
                       section.bank.language)


def fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields
            if f.attname not in UNSHOWN}


def assert_same_card(mine: QuizItem | None, orm: QuizItem | None) -> None:
    assert (mine is None) == (orm is None)
    if orm is None:
        return
    assert fields(mine) == fields(orm)
    assert fields(mine.question) == fields(orm.question)
    assert mine.question.get_deferred_fields() == UNSHOWN
    assert (mine.bookmarked, mine.state_changed, mine.repeat, mine.set_note) == (
        orm.bookmarked, orm.state_changed, orm.repeat, orm.set_note or "")
    assert mine.progress_counts == orm.progress_counts
    assert mine.section_name == orm_section_name(orm.question)


@pytest.fixture
def quiz_in_every_state():
    """A section quiz of 8 questions: graded ones, retired questions (graded and not), a
    bookmarked one, one whose answer changed since it was studied, one already studied, new
    ones, and one graded Again that came back as a 9th card; and another learner's bookmark,
    state and note on the same questions (which must not show)."""
    user, other = UserFactory(), UserFactory()
    section = SectionFactory()
    questions = bulk_questions(section, 8)
    now = timezone.now()
    StudyStateFactory(user=user, question=questions[3], changed_since_review=True)
    StudyStateFactory(user=user, question=questions[4], changed_since_review=False)
    BookmarkFactory(user=user, question=questions[2])
    NoteFactory(user=user, question=questions[5], body="我的笔记")
    for question in questions:
        BookmarkFactory(user=other, question=question)
        StudyStateFactory(user=other, question=question, changed_since_review=True)
        NoteFactory(user=other, question=question, body="别人的")
    quiz = services.start_quiz(user=user, mode="section", section=section)
    items = list(quiz.items.order_by("position"))
    for item in items[:2]:
        Review.objects.create(user=user, question=item.question, quiz_item=item, rating=3,
                              answer_version=1, token=uuid.uuid4().hex, reviewed_at=now)
    for retired in (items[0], items[6]):  # one graded before it was retired, one not
        retired.question.status = Question.Status.RETIRED
        retired.question.save()
    # The second question, graded Again, came back at the end.
    items.append(QuizItem.objects.create(quiz=quiz, question=items[1].question, position=8))
    QuizItem.objects.filter(pk=items[2].pk).update(revealed_at=now, shown_at=now - timedelta(
        seconds=5), typed_answer="试一下")
    return user, other, quiz, items


def test_card_item_matches_the_orm_at_every_position(quiz_in_every_state):
    _user, _other, quiz, items = quiz_in_every_state
    seen = set()
    for start in range(len(items) + 2):
        for left_to_grade in (True, False):
            mine = cards.card_item(quiz=quiz, start=start, left_to_grade=left_to_grade)
            assert_same_card(mine, orm_card_item(quiz, start, left_to_grade=left_to_grade))
            if mine is not None:
                seen.add((mine.bookmarked, mine.state_changed, mine.repeat))
    # The states the fixture set up were all met: bookmarked, changed, studied, new, again.
    assert {(True, None, False), (False, True, False), (False, False, False),
            (False, None, False), (False, None, True)} <= seen


def test_a_set_quiz_card_carries_its_set_s_note_and_no_other(quiz_in_every_state):
    from qa.services.sets import add_questions, create_set

    user, other, _quiz, items = quiz_in_every_state
    questions = [item.question for item in items[2:6]]
    mine, theirs = create_set(user=user, title="我的"), create_set(user=other, title="别人的")
    for study_set in (mine, theirs):
        add_questions(study_set=study_set, questions=questions)
    SetItem.objects.filter(study_set=mine, question=questions[1]).update(note="我的题单备注")
    SetItem.objects.filter(study_set=theirs).update(note="别人的题单备注")
    quiz = services.start_quiz(user=user, mode="set", study_set=mine)
    notes = []
    for start in range(len(questions) + 1):
        card = cards.card_item(quiz=quiz, start=start)
        assert_same_card(card, orm_card_item(quiz, start, left_to_grade=True))
        notes.append(card.set_note if card else None)
    assert notes == ["", "我的题单备注", "", "", None]


def test_card_item_skips_graded_and_retired_cards(quiz_in_every_state):
    _user, _other, quiz, items = quiz_in_every_state
    assert cards.card_item(quiz=quiz, start=0).pk == items[2].pk
    assert cards.card_item(quiz=quiz, start=6).pk == items[7].pk  # 6 is retired
    assert cards.card_item(quiz=quiz, start=0, left_to_grade=False).pk == items[0].pk
    assert cards.card_item(quiz=quiz, start=8).repeat
    assert cards.card_item(quiz=quiz, start=9) is None
    card = cards.card_item(quiz=quiz, start=0)
    # 9 items, one retired before it was graded: 8 count; 2 graded.
    assert card.progress_counts == {"total": 8, "done": 2, "all_items": 9}
    assert card.typed_answer == "试一下" and card.revealed_at is not None
    assert card.quiz is quiz


def test_quiz_item_matches_the_orm(quiz_in_every_state):
    user, _other, quiz, items = quiz_in_every_state
    for item in items:
        mine = cards.quiz_item(user_id=user.pk, quiz_id=quiz.pk, item_id=item.pk)
        orm = orm_quiz_item(user.pk, quiz.pk, item.pk)
        assert fields(mine) == fields(orm)
        assert fields(mine.quiz) == fields(orm.quiz)
        assert fields(mine.question) == fields(orm.question)
        assert mine.note_body == orm.note_body
        assert mine.section_name == orm_section_name(orm.question)
    note_of = {item.pk: cards.quiz_item(user_id=user.pk, quiz_id=quiz.pk,
                                        item_id=item.pk).note_body for item in items}
    assert note_of[items[5].pk] == "我的笔记"
    assert sum(body is not None for body in note_of.values()) == 1


@pytest.mark.parametrize("lock", [False, True])
def test_quiz_item_is_only_the_learners_own(quiz_in_every_state, lock):
    user, other, quiz, items = quiz_in_every_state
    def load(user_id, quiz_id, item_id):
        with transaction.atomic():
            return cards.quiz_item(user_id=user_id, quiz_id=quiz_id, item_id=item_id, lock=lock)

    assert load(user.pk, quiz.pk, items[0].pk).pk == items[0].pk
    assert load(other.pk, quiz.pk, items[0].pk) is None
    other_quiz = services.start_quiz(user=other, mode="section", section=quiz.section)
    assert load(user.pk, other_quiz.pk, items[0].pk) is None
    assert load(user.pk, quiz.pk, 10**12) is None


def test_a_card_names_its_section_as_it_is_now(quiz_in_every_state):
    """The section's and bank's names come with the card's own read: a rename shows on the
    next card in every process, with no cache to forget."""
    user, _other, quiz, _items = quiz_in_every_state
    Section.objects.filter(pk=quiz.section_id).update(title="新的章节名")
    Bank.objects.filter(pk=quiz.section.bank_id).update(language="en")
    card = cards.card_item(quiz=quiz, start=0)
    assert (card.section_name.title, card.section_name.bank_language) == ("新的章节名", "en")
    item = cards.quiz_item(user_id=user.pk, quiz_id=quiz.pk, item_id=card.pk)
    assert item.section_name == card.section_name
