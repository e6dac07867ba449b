"""Writes for studying: starting quizzes, grading (exactly once), bookmarks, notes, mistakes.

Every function takes keyword arguments and raises a `StudyError` subclass with a message the
learner can read when the request cannot be honoured; nothing is written in that case.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from qa import scheduling
from qa.models import (
    Bookmark,
    Note,
    Question,
    Quiz,
    QuizItem,
    Review,
    Section,
    SetItem,
    StudySet,
    StudyState,
)
from qa.selectors import cards
from qa.selectors import study as study_selectors
from qa.services import statements

if TYPE_CHECKING:
    from accounts.models import User

PUBLISHED = Question.Status.PUBLISHED
MAX_QUIZ_ITEMS = 200
MOCK_DEFAULT_COUNT = 5
MOCK_MAX_COUNT = 50
MAX_TIME_LIMIT_SECONDS = 4 * 3600
# A mock answer that arrives this long after the time limit is still kept (network latency,
# the countdown's own auto-submit).
TIME_LIMIT_GRACE = timedelta(seconds=30)
MAX_TYPED_ANSWER = 20000
MAX_NOTE = 20000
# A grade longer than this is someone who walked away; it says nothing about recall effort.
MAX_DURATION_MS = 30 * 60 * 1000
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")

# Modes whose selection depends on the day: an unfinished quiz of one of these resumes only on
# the day it was started; after that it is superseded by a fresh selection.
DAILY_MODES = {Quiz.Mode.DUE, Quiz.Mode.NEW, Quiz.Mode.MISTAKES}


class StudyError(Exception):
    """A request that cannot be carried out; `message` is for the learner."""

    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(StudyError):
    status_code = 400


class NothingToStudy(StudyError):
    status_code = 400


class NotFound(StudyError):
    status_code = 404


class Conflict(StudyError):
    status_code = 409


class AlreadyGraded(Conflict):
    pass


class QuizFinished(Conflict):
    pass


# --- Starting a quiz ------------------------------------------------------------------------


def start_quiz(
    *,
    user: User,
    mode: str,
    section: Section | None = None,
    study_set: StudySet | None = None,
    count: int | None = None,
    time_limit_seconds: int | None = None,
    now: datetime | None = None,
) -> Quiz:
    """Start (or resume an identical unfinished) quiz. Raises NothingToStudy when empty.

    For mode="set" the caller has already checked that `user` may study `study_set`.
    """
    now = now or timezone.now()
    try:
        mode = Quiz.Mode(mode)
    except ValueError:
        raise InvalidInput(_("Unknown kind of quiz.")) from None
    if mode == Quiz.Mode.SECTION and section is None:
        raise InvalidInput(_("Choose a section to study."))
    if mode == Quiz.Mode.SET and study_set is None:
        raise InvalidInput(_("Choose a study set."))
    if mode != Quiz.Mode.SET:
        study_set = None
    limit = MOCK_MAX_COUNT if mode == Quiz.Mode.MOCK else MAX_QUIZ_ITEMS
    if count is not None and not 1 <= int(count) <= limit:
        raise InvalidInput(
            _("The number of questions must be between 1 and %(max)d.") % {"max": limit}
        )
    if mode != Quiz.Mode.MOCK:
        time_limit_seconds = None
    elif time_limit_seconds is not None and not 60 <= time_limit_seconds <= MAX_TIME_LIMIT_SECONDS:
        raise InvalidInput(_("The time limit must be between 1 and 240 minutes."))

    with transaction.atomic():
        # Serialises starts per learner, so a double-clicked "Start" resumes rather than
        # creating two quizzes.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        resumed = _resumable_quiz(
            user=user,
            mode=mode,
            section=section,
            study_set=study_set,
            count=count,
            time_limit_seconds=time_limit_seconds,
            now=now,
        )
        if resumed is not None:
            return resumed
        question_ids = _select_questions(
            user=user, mode=mode, section=section, study_set=study_set, count=count, now=now
        )
        if not question_ids:
            raise NothingToStudy(_empty_message(mode))
        quiz = Quiz.objects.create(
            user=user,
            mode=mode,
            section=section,
            study_set=study_set,
            time_limit_seconds=time_limit_seconds,
            started_at=now,
        )
        QuizItem.objects.bulk_create(
            QuizItem(quiz=quiz, question_id=qid, position=i)
            for i, qid in enumerate(question_ids)
        )
    return quiz


def _resumable_quiz(
    *,
    user: User,
    mode: str,
    section: Section | None,
    study_set: StudySet | None,
    count: int | None,
    time_limit_seconds: int | None,
    now: datetime,
) -> Quiz | None:
    candidates = Quiz.objects.filter(
        user=user, mode=mode, section=section, study_set=study_set, finished_at__isnull=True
    ).order_by("-started_at")
    if mode == Quiz.Mode.MOCK:
        # A mock interview is a fresh random draw each time; only one not yet begun (a
        # double-submitted start form) is taken up again.
        quiz = candidates.filter(
            position=0, time_limit_seconds=time_limit_seconds, started_at__gte=now - timedelta(
                minutes=10)
        ).first()
        if quiz is not None and (count is None or quiz.items.count() == count):
            return quiz
        return None
    day_start, _day_end = study_selectors.local_day_bounds(now)
    for quiz in candidates[:5]:
        stale = mode in DAILY_MODES and quiz.started_at < day_start
        if not stale and study_selectors.quiz_remaining_items(quiz=quiz).exists():
            return quiz
        # Superseded: a new quiz of the same kind replaces it.
        Quiz.objects.filter(pk=quiz.pk, finished_at__isnull=True).update(finished_at=now)
    return None


def _select_questions(
    *,
    user: User,
    mode: str,
    section: Section | None,
    study_set: StudySet | None,
    count: int | None,
    now: datetime,
) -> list[int]:
    limit = count or MAX_QUIZ_ITEMS
    published = Question.objects.published()
    if section is not None:
        published = published.filter(section=section)

    if mode == Quiz.Mode.DUE:
        states = StudyState.objects.filter(user=user, due__lte=now, question__status=PUBLISHED)
        if section is not None:
            states = states.filter(question__section=section)
        return list(states.order_by("due", "pk").values_list("question_id", flat=True)[:limit])

    if mode == Quiz.Mode.NEW:
        quota = study_selectors.new_quota(user=user, now=now)["remaining"]
        if quota <= 0:
            raise NothingToStudy(
                _("You have met your limit of %(n)d new questions for today. Come back "
                  "tomorrow, or raise the limit in your settings.") % {"n": user.daily_new_limit}
            )
        new = published.exclude(
            pk__in=StudyState.objects.filter(user=user).values("question_id")
        ).order_by("section__position", "number", "pk")
        return list(new.values_list("pk", flat=True)[: min(quota, limit)])

    if mode == Quiz.Mode.SECTION:
        ordered = published.order_by("number", "pk")
        return list(ordered.values_list("pk", flat=True)[:MAX_QUIZ_ITEMS])

    if mode == Quiz.Mode.BOOKMARKS:
        marks = Bookmark.objects.filter(user=user, question__status=PUBLISHED)
        if section is not None:
            marks = marks.filter(question__section=section)
        marks = marks.order_by("question__section__position", "question__number", "pk")
        return list(marks.values_list("question_id", flat=True)[:limit])

    if mode == Quiz.Mode.MISTAKES:
        mistakes = study_selectors.mistakes(user=user, now=now, section=section)
        return list(mistakes.values_list("question_id", flat=True)[:limit])

    if mode == Quiz.Mode.MOCK:
        ids = list(published.values_list("pk", flat=True))
        return random.sample(ids, min(count or MOCK_DEFAULT_COUNT, len(ids)))

    if mode == Quiz.Mode.SET:
        items = SetItem.objects.filter(study_set=study_set, question__status=PUBLISHED)
        return list(items.order_by("position", "pk").values_list("question_id", flat=True)[
            :MAX_QUIZ_ITEMS])
    return []


def _empty_message(mode: str) -> str:
    return {
        Quiz.Mode.DUE: _("Nothing is due right now. Well done!"),
        Quiz.Mode.NEW: _("There are no new questions left here."),
        Quiz.Mode.SECTION: _("This section has no questions yet."),
        Quiz.Mode.BOOKMARKS: _("You have no bookmarked questions here yet."),
        Quiz.Mode.MISTAKES: _("You have no mistakes to study. Nice!"),
        Quiz.Mode.MOCK: _("There are no questions to draw from."),
        Quiz.Mode.SET: _("This set has no questions yet."),
    }.get(mode, _("There is nothing to study."))


def finish_quiz(*, user: User, quiz: Quiz, now: datetime | None = None) -> Quiz:
    """Stop a quiz early. A mock interview first moves from answering to self-grading."""
    now = now or timezone.now()
    with transaction.atomic():
        quiz = Quiz.objects.select_for_update().get(pk=quiz.pk, user=user)
        if quiz.finished_at is not None:
            return quiz
        if quiz.mode == Quiz.Mode.MOCK:
            total = quiz.items.count()
            if quiz.position < total:
                quiz.position = total
                quiz.save(update_fields=["position"])
                return quiz
        quiz.finished_at = now
        quiz.save(update_fields=["finished_at"])
    return quiz


def finish_if_done(*, quiz: Quiz, now: datetime | None = None) -> Quiz:
    """Mark a quiz finished when nothing is left in it (e.g. its last question was retired)."""
    if quiz.finished_at is not None:
        return quiz
    now = now or timezone.now()
    if quiz.mode == Quiz.Mode.MOCK:
        if not study_selectors.mock_answering_over(quiz=quiz, now=now):
            return quiz
        left = quiz.items.filter(question__status=PUBLISHED, review__isnull=True)
    else:
        left = study_selectors.quiz_remaining_items(quiz=quiz)
    if not left.exists():
        Quiz.objects.filter(pk=quiz.pk, finished_at__isnull=True).update(finished_at=now)
        quiz.finished_at = now
    return quiz


# --- Within a quiz --------------------------------------------------------------------------


def _locked_item(*, user: User, quiz_item: QuizItem) -> QuizItem:
    item = (
        QuizItem.objects.select_for_update(of=("self",))
        .select_related("quiz", "question")
        .filter(pk=quiz_item.pk, quiz__user=user)
        .first()
    )
    if item is None:
        raise NotFound(_("That question is not part of your quiz."))
    return item


def _one(queryset):
    """The first row of an unordered query, or None (first() would add an ORDER BY)."""
    return next(iter(queryset.order_by()[:1]), None)


def _clean_typed_answer(typed_answer: str | None) -> str:
    text = (typed_answer or "").replace("\r\n", "\n")
    if len(text) > MAX_TYPED_ANSWER:
        raise InvalidInput(
            _("Your answer is too long (at most %(n)d characters).") % {"n": MAX_TYPED_ANSWER}
        )
    return text


def reveal(
    *, user: User, quiz_item: QuizItem, typed_answer: str = "", now: datetime | None = None
) -> QuizItem:
    """Show the reference answer; keeps what the learner typed before revealing."""
    return reveal_item(
        user=user, quiz_id=quiz_item.quiz_id, item_id=quiz_item.pk, typed_answer=typed_answer,
        now=now,
    )


def reveal_item(
    *,
    user: User,
    quiz_id: int,
    item_id: int,
    typed_answer: str = "",
    shown_at: datetime | None = None,
    now: datetime | None = None,
) -> QuizItem:
    """Show the reference answer of one of the learner's quiz items; keeps what they typed
    before revealing. Idempotent: the first reveal wins.

    `shown_at` is when the card was put in front of the learner, as the page knows it (the
    card carries the time it was rendered, so showing a card costs no write). It is kept unless
    the item already has one; outside [start of the quiz, now] it is replaced by now.

    Returns the item loaded by selectors.cards.quiz_item, as revealed. Two statements, no
    transaction: the read (which checks whose it is) and a conditional UPDATE.
    """
    now = now or timezone.now()
    typed_answer = _clean_typed_answer(typed_answer)
    item = cards.quiz_item(user_id=user.pk, quiz_id=quiz_id, item_id=item_id)
    if item is None:
        raise NotFound(_("That question is not part of your quiz."))
    quiz = item.quiz
    if quiz.mode == Quiz.Mode.MOCK:
        raise Conflict(_("In a mock interview the answers are shown at the end."))
    if item.revealed_at is not None:
        return item
    if quiz.finished_at is not None:
        raise QuizFinished(_("This quiz is already finished."))
    if shown_at is None or not quiz.started_at <= shown_at <= now:
        shown_at = now
    shown_at = item.shown_at or shown_at
    if statements.reveal(item_id=item.pk, now=now, typed_answer=typed_answer, shown_at=shown_at):
        item.revealed_at, item.typed_answer, item.shown_at = now, typed_answer, shown_at
    else:
        # Revealed at this very moment from another tab: show what that reveal kept.
        item.refresh_from_db(fields=["revealed_at", "typed_answer", "shown_at"])
    return item


def save_mock_answer(
    *, user: User, quiz_item: QuizItem, typed_answer: str = "", now: datetime | None = None
) -> QuizItem:
    """Keep a mock-interview answer and move to the next question. Idempotent."""
    now = now or timezone.now()
    typed_answer = _clean_typed_answer(typed_answer)
    with transaction.atomic():
        item = _locked_item(user=user, quiz_item=quiz_item)
        quiz = Quiz.objects.select_for_update().get(pk=item.quiz_id)
        if quiz.mode != Quiz.Mode.MOCK:
            raise InvalidInput(_("This quiz is not a mock interview."))
        if quiz.finished_at is not None:
            raise QuizFinished(_("This mock interview is already finished."))
        if item.position < quiz.position:
            return item  # already answered: a replayed submit
        if item.position > quiz.position:
            raise Conflict(_("Answer the questions in order."))
        deadline = study_selectors.mock_deadline(quiz=quiz)
        if deadline is not None and now > deadline + TIME_LIMIT_GRACE:
            raise Conflict(_("Time is up: this answer arrived after the time limit."))
        item.typed_answer = typed_answer
        item.shown_at = item.shown_at or now
        item.save(update_fields=["typed_answer", "shown_at"])
        quiz.position = item.position + 1
        quiz.save(update_fields=["position"])
    return item


@dataclass
class Graded:
    """What grade() did. `quiz` is the quiz as the grade left it; `next_item` is the next card
    (loaded by selectors.cards.card_item) when the grade already looked it up."""

    review: Review
    quiz: Quiz | None = None
    next_item: QuizItem | None = None


# A grade writes the learner's StudyState as it read it, or not at all: if the same question
# was graded in another quiz at the same moment (the insert of a first grade fails, or the
# update of a later one finds the row changed), the grade starts over, building on that one.
# A second attempt practically always succeeds.
GRADE_ATTEMPTS = 3


class _StateMoved(Exception):
    """The learner's StudyState changed after this grade read it."""


def record_review(
    *,
    user: User,
    quiz_item: QuizItem,
    rating: int,
    token: str,
    typed_answer: str = "",
    duration_ms: int | None = None,
    now: datetime | None = None,
) -> Review:
    """Grade one quiz item, exactly once (see grade())."""
    return grade(
        user=user, quiz_id=quiz_item.quiz_id, item_id=quiz_item.pk, rating=rating, token=token,
        typed_answer=typed_answer, duration_ms=duration_ms, now=now,
    ).review


def grade(
    *,
    user: User,
    quiz_id: int,
    item_id: int,
    rating: int | str,
    token: str,
    typed_answer: str = "",
    duration_ms: int | None = None,
    now: datetime | None = None,
) -> Graded:
    """Grade one of the learner's quiz items, exactly once.

    A replay with the same token returns the Review already written and writes nothing; a
    different token for an item that already has a grade raises AlreadyGraded. The quiz item
    row lock serialises concurrent submissions for the same item (two tabs, a retry racing the
    original); the grade is checked again after taking it, and the unique token and the unique
    quiz item of a Review are the last line of defence.
    """
    now = now or timezone.now()
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        raise InvalidInput(_("Choose Again, Hard, Good or Easy.")) from None
    if rating not in scheduling.RATINGS:
        raise InvalidInput(_("Choose Again, Hard, Good or Easy."))
    if not isinstance(token, str) or not TOKEN_RE.match(token):
        raise InvalidInput(_("This form is missing its submission token; reload the page."))
    typed_answer = _clean_typed_answer(typed_answer)
    if duration_ms is not None:
        duration_ms = max(0, min(int(duration_ms), MAX_DURATION_MS))

    grading = _Grading(user=user, quiz_id=quiz_id, item_id=item_id, rating=rating, token=token,
                       typed_answer=typed_answer, duration_ms=duration_ms, now=now)
    for _attempt in range(GRADE_ATTEMPTS):
        try:
            with transaction.atomic():
                return grading.run()
        except _StateMoved:
            continue  # graded in another quiz meanwhile: build on that grade
        except IntegrityError:
            # Between our checks and our inserts another transaction wrote this token or
            # graded this item, or graded this question for the first time in another quiz
            # (and created the StudyState): then start again, building on that grade.
            existing = _existing_grade(user=user, item_id=item_id, token=token)
            if existing is not None:
                return Graded(review=existing)
    raise Conflict(_("This question is being graded elsewhere at this moment; try again."))


def _existing_grade(*, user: User, item_id: int, token: str) -> Review | None:
    """The Review a replay of this submission must return; raises when the item was graded
    with another token, or the token used for another answer. None: no grade yet."""
    reviews = list(Review.objects.filter(Q(token=token) | Q(quiz_item_id=item_id)))
    for review in reviews:
        if review.token == token:
            if review.user_id != user.pk or review.quiz_item_id != item_id:
                raise InvalidInput(
                    _("This submission token was already used for another answer.")
                )
            return review
    if reviews:
        raise AlreadyGraded(_("This question was already graded (perhaps in another tab)."))
    return None


@dataclass
class _Grading:
    user: User
    quiz_id: int
    item_id: int
    rating: int
    token: str
    typed_answer: str
    duration_ms: int | None
    now: datetime

    def run(self) -> Graded:
        """One attempt, inside a transaction.

        The usual case, the current card of a running quiz: lock the item and its quiz (with
        the question), read and write the learner's StudyState, insert the Review, look up the
        next card (with what it shows) and move the quiz on. Anything else takes the explicit
        path (_checked).
        """
        item = cards.quiz_item(
            user_id=self.user.pk, quiz_id=self.quiz_id, item_id=self.item_id, lock=True
        )
        if item is None:
            raise NotFound(_("That question is not part of your quiz."))
        quiz = item.quiz
        # The quiz row is locked, so its position is the committed one: a twin submission that
        # got here first has moved it past this item, and this one takes the explicit path.
        if quiz.mode == Quiz.Mode.MOCK or not study_selectors.is_current_card(
            quiz=quiz, item=item
        ):
            return self._checked(item, quiz)
        review = self._write(item)
        next_item = study_selectors.next_card_item(quiz=quiz, after=item.position)
        quiz.position = item.position + 1
        changes = {"position": quiz.position}
        if next_item is None:
            quiz.finished_at = changes["finished_at"] = self.now
        statements.update(Quiz, quiz.pk, changes)
        return Graded(review=review, quiz=quiz, next_item=next_item)

    def _checked(self, item: QuizItem, quiz: Quiz) -> Graded:
        """The explicit path: replays, second grades, finished quizzes, stale pages, retired
        questions, mock interviews."""
        existing = _existing_grade(user=self.user, item_id=item.pk, token=self.token)
        if existing is not None:
            return Graded(review=existing, quiz=quiz)
        if quiz.finished_at is not None:
            raise QuizFinished(_("This quiz is already finished."))
        if quiz.mode == Quiz.Mode.MOCK:
            if not study_selectors.mock_answering_over(quiz=quiz, now=self.now):
                raise Conflict(_("In a mock interview you grade yourself at the end."))
        elif study_selectors.quiz_remaining_items(quiz=quiz).values_list(
            "pk", flat=True
        ).first() != item.pk:
            raise Conflict(_("That is not the current question of this quiz; reload the page."))
        review = self._write(item)
        if quiz.mode != Quiz.Mode.MOCK:
            quiz.position = item.position + 1
            quiz.save(update_fields=["position"])
        finish_if_done(quiz=quiz, now=self.now)
        return Graded(review=review, quiz=quiz)

    def _write(self, item: QuizItem) -> Review:
        """The StudyState (FSRS) and the Review of this grade. `item` comes from
        cards.quiz_item, with the learner's StudyState as read (unlocked): the update is
        conditional on what was read, so a write to it that committed in between (a grade of
        the same question in another quiz, a correction) is never overwritten (_StateMoved:
        start over)."""
        question = item.question
        state = item.study_state
        fields = scheduling.apply(state, self.rating, self.now, self.user.desired_retention)
        values = fields.as_dict()
        lapsed = (
            state is not None and state.state == scheduling.REVIEW
            and self.rating == scheduling.AGAIN
        )
        values.update(
            reps=(state.reps if state else 0) + 1,
            lapses=(state.lapses if state else 0) + int(lapsed),
            last_answer_version=question.answer_version,
            changed_since_review=False,
        )
        if state is None:
            # A concurrent first grade of this question (another quiz) makes this insert fail
            # on the unique (user, question): grade() then starts over and builds on it.
            statements.insert(StudyState, {"user_id": self.user.pk,
                                           "question_id": item.question_id, **values})
        elif not statements.update(
            StudyState, state.pk, values,
            # What this grade read and a concurrent write changes: another grade (reps) or a
            # correction re-queueing the card (due, changed_since_review).
            reps=state.reps, due=state.due, changed_since_review=state.changed_since_review,
        ):
            raise _StateMoved

        duration_ms = self.duration_ms
        if duration_ms is None and item.shown_at is not None:
            elapsed = int((self.now - item.shown_at).total_seconds() * 1000)
            duration_ms = max(0, min(elapsed, MAX_DURATION_MS))
        review = statements.insert(Review, {
            "user_id": self.user.pk,
            "question_id": item.question_id,
            "quiz_item_id": item.pk,
            "rating": self.rating,
            "reviewed_at": self.now,
            "duration_ms": duration_ms,
            "answer_version": question.answer_version,
            "typed_answer": self.typed_answer or item.typed_answer,
            "token": self.token,
        })
        if self.typed_answer and not item.typed_answer:
            statements.update(QuizItem, item.pk, {"typed_answer": self.typed_answer})
            item.typed_answer = self.typed_answer
        return review


# --- Bookmarks, notes, mistakes -------------------------------------------------------------


def set_bookmark(*, user: User, question: Question, on: bool) -> bool:
    """Bookmark or un-bookmark. Setting the state (not toggling) makes a double submit harmless."""
    if on:
        Bookmark.objects.get_or_create(user=user, question=question)
    else:
        Bookmark.objects.filter(user=user, question=question).delete()
    return on


def save_note(*, user: User, question: Question, body: str) -> Note | None:
    """Write the learner's note on a question; an empty note deletes it."""
    body = (body or "").replace("\r\n", "\n").strip()
    if len(body) > MAX_NOTE:
        raise InvalidInput(_("Your note is too long (at most %(n)d characters).") % {"n": MAX_NOTE})
    if not body:
        delete_note(user=user, question=question)
        return None
    note, _created = Note.objects.update_or_create(
        user=user, question=question, defaults={"body": body}
    )
    return note


def delete_note(*, user: User, question: Question) -> None:
    Note.objects.filter(user=user, question=question).delete()


def clear_mistake(*, user: User, question: Question, now: datetime | None = None) -> None:
    """Take a question off the mistakes list until it is graded Again again."""
    now = now or timezone.now()
    updated = StudyState.objects.filter(user=user, question=question).filter(
        Q(mistake_cleared_at__isnull=True) | Q(mistake_cleared_at__lt=now)
    ).update(mistake_cleared_at=now)
    if not updated and not StudyState.objects.filter(user=user, question=question).exists():
        raise NotFound(_("You have not studied this question yet."))
