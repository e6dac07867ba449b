"""Within a running quiz: revealing a card and grading it (exactly once). A mock interview's
answering is in qa.services.interviews.

Like qa.services.study, every function takes keyword arguments and raises a StudyError subclass
with a message the learner can read when the request cannot be honoured; nothing is written in
that case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from qa import scheduling
from qa.models import Question, Quiz, QuizItem, Review, StudyState
from qa.selectors import cards, editorial, quizzes
from qa.services import statements
from qa.services.daily import take_out_graded_elsewhere
from qa.services.study import (
    MAX_DURATION_MS,
    MAX_TYPED_ANSWER,
    TOKEN_RE,
    AlreadyGraded,
    Conflict,
    InvalidInput,
    NotFound,
    QuizFinished,
    finish_if_done,
)
from qa.services.undoing import card_as_it_was

if TYPE_CHECKING:
    from accounts.models import User


def locked_item(*, user: User, quiz_item: QuizItem) -> QuizItem:
    item = (
        QuizItem.objects.select_for_update(of=("self",))
        .select_related("quiz", "question")
        .filter(pk=quiz_item.pk, quiz__user=user)
        .first()
    )
    if item is None:
        raise NotFound(_("That question is not part of your quiz."))
    return item


def clean_typed_answer(typed_answer: str | None) -> str:
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
    typed_answer = clean_typed_answer(typed_answer)
    item = cards.quiz_item(user_id=user.pk, quiz_id=quiz_id, item_id=item_id)
    if item is None:
        raise NotFound(_("That question is not part of your quiz."))
    quiz = item.quiz
    if quiz.mode == Quiz.Mode.MOCK:
        raise Conflict(_("In a mock interview the answers are shown at the end."))
    if item.revealed_at is not None:
        return item
    if quiz.finished_at is not None:
        raise QuizFinished(quiz.finished_message())
    if shown_at is None or not quiz.started_at <= shown_at <= now:
        shown_at = now
    shown_at = item.shown_at or shown_at
    if statements.reveal(item_id=item.pk, now=now, typed_answer=typed_answer, shown_at=shown_at):
        item.revealed_at, item.typed_answer, item.shown_at = now, typed_answer, shown_at
    else:
        # Revealed at this very moment from another tab: show what that reveal kept.
        item.refresh_from_db(fields=["revealed_at", "typed_answer", "shown_at"])
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


# A question graded Again comes back later in the same quiz (not a mock interview): after
# AGAIN_AFTER other cards, or at the end if fewer are left; up to AGAIN_SHOWINGS showings in
# all, so a quiz ends on what the learner could recall.
AGAIN_AFTER = 5
AGAIN_SHOWINGS = 3


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
    shown_version: int | str | None = None,
    now: datetime | None = None,
) -> Graded:
    """Grade one of the learner's quiz items, exactly once.

    `shown_version` is the question's answer_version the card showed (the grade form carries
    it; None: the current one). A correction saved after the card showed the answer leaves
    the grade recorded against the answer the learner saw, and the card due now, to show the
    correction.

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
    typed_answer = clean_typed_answer(typed_answer)
    if duration_ms is not None:
        duration_ms = max(0, min(int(duration_ms), MAX_DURATION_MS))
    if shown_version in (None, ""):
        shown_version = None
    else:
        try:
            shown_version = int(shown_version)
        except (TypeError, ValueError):
            shown_version = 0
        if shown_version < 1:
            raise InvalidInput(_("This form is out of date; reload the page."))

    grading = _Grading(user=user, quiz_id=quiz_id, item_id=item_id, rating=rating, token=token,
                       typed_answer=typed_answer, duration_ms=duration_ms,
                       shown_version=shown_version, now=now)
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
    shown_version: int | None
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
        if quiz.mode == Quiz.Mode.MOCK or not quizzes.is_current_card(
            quiz=quiz, item=item
        ):
            return self._checked(item, quiz)
        review = self._write(item)
        self._again_later(item, quiz)
        take_out_graded_elsewhere(user=self.user, quiz=quiz, after=item.position, now=self.now)
        next_item = quizzes.next_card_item(quiz=quiz, after=item.position)
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
            raise QuizFinished(quiz.finished_message())
        if quiz.mode == Quiz.Mode.MOCK:
            if not quizzes.mock_answering_over(quiz=quiz, now=self.now):
                raise Conflict(_("In a mock interview you grade yourself at the end."))
        elif item.question.status != Question.Status.PUBLISHED:
            raise Conflict(_("An editor withdrew this question while it was on your screen, "
                             "so it has left the quiz (ungraded). Here is the next one."))
        elif quizzes.quiz_remaining_items(quiz=quiz).values_list(
            "pk", flat=True
        ).first() != item.pk:
            raise Conflict(_("That is not the current question of this quiz; reload the page."))
        review = self._write(item)
        if quiz.mode != Quiz.Mode.MOCK:
            self._again_later(item, quiz)
            quiz.position = item.position + 1
            quiz.save(update_fields=["position"])
        finish_if_done(quiz=quiz, now=self.now)
        return Graded(review=review, quiz=quiz)

    def _again_later(self, item: QuizItem, quiz: Quiz) -> None:
        """After an Again grade, the question once more AGAIN_AFTER cards later (or at the
        end), unless it was shown AGAIN_SHOWINGS times already. The quiz row is locked, so one
        grade at a time renumbers its items."""
        if self.rating != scheduling.AGAIN:
            return
        seen = quiz.items.aggregate(
            last=Max("position"), showings=Count("pk", filter=Q(question_id=item.question_id))
        )
        if seen["showings"] >= AGAIN_SHOWINGS:
            return
        last = seen["last"]
        position = min(item.position + 1 + AGAIN_AFTER, last + 1)
        if position <= last:
            # Make room: the later items move one place down. They go out of the way first
            # (past the last position) so no two items ever share a position, which the unique
            # (quiz, position) constraint checks row by row.
            shift = last + 1
            quiz.items.filter(position__gte=position).update(position=F("position") + shift)
            quiz.items.filter(position__gt=last).update(position=F("position") - shift + 1)
        QuizItem.objects.create(quiz=quiz, question_id=item.question_id, position=position)

    def _version_shown(self, question, state: StudyState | None) -> int:
        """The answer version this grade counts against: the one its card showed (never past
        the current one, nor behind what the learner has studied since, in another tab),
        unless its text is the current text again (a correction reverted): then the current
        one, as editorial.requeue_learners counts it."""
        current = question.answer_version
        shown = min(self.shown_version or current, current)
        if state is not None:
            shown = max(shown, min(state.last_answer_version, current))
        if shown < current:
            seen = editorial.latest_revision_of_version(question=question, answer_version=shown)
            if seen is not None and (seen.prompt, seen.answer) == (question.prompt,
                                                                   question.answer):
                return current
        return shown

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
        shown = self._version_shown(question, state)
        values.update(
            reps=(state.reps if state else 0) + 1,
            lapses=(state.lapses if state else 0) + int(lapsed),
            last_answer_version=shown,
            changed_since_review=False,
            previous=card_as_it_was(state),
        )
        if shown < question.answer_version:
            # Corrected after the card showed the answer: due now, to show what changed, as
            # the correction made it (editorial.requeue_learners), and past taking back.
            values.update(due=self.now, changed_since_review=True, previous=None)
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
        # A card's time runs from its showing to its grade; a mock interview's question's, to
        # the answer handed in (none, for a question the time limit cut short).
        end = item.revealed_at if item.quiz.mode == Quiz.Mode.MOCK else self.now
        if duration_ms is None and item.shown_at is not None and end is not None:
            elapsed = int((end - item.shown_at).total_seconds() * 1000)
            duration_ms = max(0, min(elapsed, MAX_DURATION_MS))
        review = statements.insert(Review, {
            "user_id": self.user.pk,
            "question_id": item.question_id,
            "quiz_item_id": item.pk,
            "rating": self.rating,
            "reviewed_at": self.now,
            "duration_ms": duration_ms,
            "answer_version": shown,
            "typed_answer": self.typed_answer or item.typed_answer,
            "token": self.token,
        })
        if self.typed_answer and not item.typed_answer:
            statements.update(QuizItem, item.pk, {"typed_answer": self.typed_answer})
            item.typed_answer = self.typed_answer
        return review
