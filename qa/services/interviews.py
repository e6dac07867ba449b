"""A mock interview's answering: each answer handed in, in order, against the clock, until the
learner goes on to grade themselves (grading is qa.services.answering's, as for any quiz).

Like qa.services.study, every function takes keyword arguments and raises a StudyError subclass
with a message the learner can read when the request cannot be honoured; nothing is written in
that case.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qa.models import Quiz, QuizItem
from qa.selectors import quizzes
from qa.services.answering import clean_typed_answer, locked_item
from qa.services.study import TIME_LIMIT_GRACE, Conflict, InvalidInput, QuizFinished

if TYPE_CHECKING:
    from accounts.models import User


def save_mock_answer(
    *, user: User, quiz_item: QuizItem, typed_answer: str = "", end: bool = False,
    now: datetime | None = None,
) -> QuizItem:
    """Keep a mock-interview answer and move to the next question; with `end` (the "End the
    interview now" button), on to grading oneself, whichever question it was. Idempotent."""
    now = now or timezone.now()
    typed_answer = clean_typed_answer(typed_answer)
    with transaction.atomic():
        item = locked_item(user=user, quiz_item=quiz_item)
        quiz = Quiz.objects.select_for_update().get(pk=item.quiz_id)
        if quiz.mode != Quiz.Mode.MOCK:
            raise InvalidInput(_("This quiz is not a mock interview."))
        if quiz.finished_at is not None:
            raise QuizFinished(_("This mock interview is already finished."))
        if item.position < quiz.position:
            if typed_answer.strip() and typed_answer != item.typed_answer:
                # Not a replay: another tab or window handed in this question's answer first.
                raise Conflict(
                    _("An answer to this question was already handed in (in another tab or "
                      "window?), so this one was not kept. What you wrote, to copy: "
                      "%(text)s") % {"text": typed_answer}
                )
            if end:
                _end_answering(quiz)
            return item  # already answered: a replayed submit
        if item.position > quiz.position:
            raise Conflict(_("Answer the questions in order."))
        deadline = quizzes.mock_deadline(quiz=quiz)
        if deadline is not None and now > deadline + TIME_LIMIT_GRACE:
            if typed_answer.strip():
                raise Conflict(
                    _("Time is up: this answer arrived after the time limit, so it was not "
                      "kept. What you wrote, to copy: %(text)s") % {"text": typed_answer}
                )
            raise Conflict(_("Time is up: this answer arrived after the time limit."))
        item.typed_answer = typed_answer
        item.shown_at = item.shown_at or now
        # In a mock interview, when the answer was handed in: the time spent on the question
        # ends there, not at the self-grading after the last one (see _Grading._write).
        item.revealed_at = now
        item.save(update_fields=["typed_answer", "shown_at", "revealed_at"])
        quiz.position = item.position + 1
        quiz.save(update_fields=["position"])
        if end:
            _end_answering(quiz)
    return item


def _end_answering(quiz: Quiz) -> None:
    """A locked mock interview, on to grading oneself: the questions not answered stay
    unanswered."""
    quiz.position = quiz.items.count()
    quiz.save(update_fields=["position"])
