"""Taking back a quiz's last grade: the learner's card as it was before it, the review gone,
the quiz back at that question. Grading (qa.services.answering) keeps what this puts back on
the card, in StudyState.previous (card_as_it_was).

The review is deleted, not kept as undone: a grade taken back was never meant, as in Anki's
undo, and every reader of the reviews (streaks, heatmaps, mistakes, team dashboards, exports)
stays right without a filter.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from qa import scheduling
from qa.models import Question, Quiz, QuizItem, Review, StudyState
from qa.selectors import quizzes
from qa.selectors.cards import MAX_ID
from qa.services.study import TOKEN_RE, Conflict, NotFound

if TYPE_CHECKING:
    from accounts.models import User


# What a grade changes on a StudyState, and undoing it puts back.
_GRADED_FIELDS = ("state", "step", "stability", "difficulty", "due", "last_review", "reps",
                  "lapses", "last_answer_version", "changed_since_review")
_TIME_FIELDS = ("due", "last_review")


def card_as_it_was(state: StudyState | None) -> dict:
    """StudyState.previous: the fields a grade changes, as JSON ({}: there was no card)."""
    if state is None:
        return {}
    values = {name: getattr(state, name) for name in _GRADED_FIELDS}
    for name in _TIME_FIELDS:
        if values[name] is not None:
            values[name] = values[name].isoformat()
    return values


class CannotUndo(Conflict):
    pass


@transaction.atomic
def undo_grade(*, user: User, quiz_id: int, token: str, now: datetime | None = None) -> Quiz:
    """Take back the grade submitted with `token`, the last one of a running quiz (or of the
    grade that finished it), within quizzes.UNDO_WITHIN: the learner's card as it was before
    it, the review gone, the quiz back at that question, revealed, and the card an Again grade
    added later in the quiz removed. Returns the quiz.

    Only while that grade is the card's latest: not after the same question was graded again
    (later in this quiz, or in another), nor after a correction re-queued it. A grade already
    taken back (a double click, a replay) changes nothing.

    Locks are taken as grading takes them, quiz items before their quiz, so an undo and a
    grade of the card after it wait for each other instead of deadlocking.
    """
    now = now or timezone.now()
    if quiz_id > MAX_ID:  # SQLite cannot compare past 64 bits
        raise NotFound(_("No such quiz."))
    found = (Review.objects.filter(token=token, user=user, quiz_item__quiz_id=quiz_id)
             .values_list("quiz_item__position", flat=True).first()
             if isinstance(token, str) and TOKEN_RE.match(token) else None)
    if found is not None:
        list(QuizItem.objects.select_for_update().filter(quiz_id=quiz_id, position__gte=found)
             .order_by("position").values_list("pk", flat=True))
    quiz = Quiz.objects.select_for_update().filter(pk=quiz_id, user=user).first()
    if quiz is None:
        raise NotFound(_("No such quiz."))
    review = (Review.objects.select_related("quiz_item", "question")
              .filter(token=token, user=user, quiz_item__quiz=quiz).first()
              if found is not None else None)
    if review is None:
        return quiz  # taken back already, or never given here
    item = review.quiz_item
    if quiz.mode == Quiz.Mode.MOCK:
        raise CannotUndo(_("The grades of a mock interview cannot be taken back."))
    if quiz.position != item.position + 1 or (
        quiz.finished_at is not None and quiz.finished_at != review.reviewed_at
    ):
        raise CannotUndo(_("Only the last grade of a running quiz can be taken back."))
    if review.reviewed_at < now - quizzes.UNDO_WITHIN:
        raise CannotUndo(_("Grades can be taken back for an hour; this one stays."))
    if review.question.status != Question.Status.PUBLISHED:
        # The quiz would skip it: the card could not come back to be graded again.
        raise CannotUndo(_("This question is no longer in the bank, so its grade stays."))
    state = (StudyState.objects.select_for_update()
             .filter(user=user, question_id=review.question_id).first())
    if (state is None or state.previous is None or state.changed_since_review
            or state.last_review != review.reviewed_at):
        raise CannotUndo(_("That grade can no longer be taken back: the question's schedule "
                           "has changed since (a later grade of it, or a correction of its "
                           "answer)."))
    if state.previous:
        values = dict(state.previous)
        for name in _TIME_FIELDS:
            if values[name] is not None:
                values[name] = datetime.fromisoformat(values[name])
        StudyState.objects.filter(pk=state.pk).update(previous=None, **values)
    else:
        state.delete()  # the question is new again
    review.delete()
    # Graded again, the card's time is the time it took before plus the time it takes now.
    QuizItem.objects.filter(pk=item.pk).update(
        shown_at=now - timedelta(milliseconds=review.duration_ms or 0))
    if review.rating == scheduling.AGAIN:
        _remove_again_copy(quiz=quiz, item=item)
    quiz.position = item.position
    quiz.finished_at = None
    quiz.save(update_fields=["position", "finished_at"])
    return quiz


def _remove_again_copy(*, quiz: Quiz, item: QuizItem) -> None:
    """Remove the later showing an Again grade of `item` added (see _Grading._again_later):
    the question's only item after it, if any; the items after that move up one place."""
    copy = quiz.items.filter(question_id=item.question_id, position__gt=item.position).first()
    if copy is None:
        return  # shown AGAIN_SHOWINGS times already: none was added
    copy.delete()
    later = quiz.items.filter(position__gt=copy.position)
    last = quiz.items.aggregate(last=Max("position"))["last"] or 0
    shift = last + 1  # out of the way first, as _again_later does, for the unique positions
    later.update(position=F("position") + shift)
    quiz.items.filter(position__gt=last).update(position=F("position") - shift - 1)
