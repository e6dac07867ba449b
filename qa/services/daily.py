"""Whether a running due, new or mistakes quiz (DAILY_MODES) is still what starting it again
would give: begun on an earlier day it is out of date; cards whose question was studied
elsewhere since it began leave it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef
from django.utils import timezone

from qa.models import Quiz, QuizItem, Review, StudyState
from qa.selectors import study as study_selectors

if TYPE_CHECKING:
    from accounts.models import User

# Modes whose selection depends on the day: an unfinished quiz of one of these resumes only on
# the day it was started; after that it is superseded by a fresh selection.
DAILY_MODES = {Quiz.Mode.DUE, Quiz.Mode.NEW, Quiz.Mode.MISTAKES}


EARLIER_DAY = "earlier day"


def out_of_date(*, user: User, quiz: Quiz, now: datetime | None = None) -> str | None:
    """Why a running due, new or mistakes quiz is out of date, as starting the same quiz again
    would replace it: EARLIER_DAY (begun before the learner's today: what is due, new or a
    mistake is today's); None when it is not."""
    if quiz.mode not in DAILY_MODES or quiz.finished_at is not None:
        return None
    day_start, _day_end = study_selectors.local_day_bounds(now or timezone.now(), user.zone)
    if quiz.started_at < day_start:
        return EARLIER_DAY
    return None


def take_out_graded_elsewhere(*, user: User, quiz: Quiz, after: int | None = None,
                              now: datetime | None = None) -> int:
    """Take out of a running due, new or mistakes quiz the cards waiting in it (not revealed)
    whose question was graded in another quiz since it began (another tab, a section quiz),
    and so is no longer what the quiz is of: it is not due now (graded Again, it may be due
    again, and stays), it is not new, or it is a mistake practised; and it is not graded
    twice. What was done in the quiz stays, and so does the card of a question graded in it
    (its Again card). `after`: only cards past this position (the grade of the card at it is
    picking the next). Returns how many cards were taken out."""
    if quiz.mode not in DAILY_MODES or quiz.finished_at is not None:
        return 0
    question = OuterRef("question_id")
    done = quiz.items.filter(
        Exists(Review.objects.filter(user=user, question_id=question,
                                     reviewed_at__gte=quiz.started_at)
               .exclude(quiz_item__quiz=quiz)),
        position__gte=quiz.position if after is None else after + 1,
        revealed_at__isnull=True, review__isnull=True,
    ).exclude(Exists(Review.objects.filter(quiz_item__quiz=quiz, question_id=question)))
    if quiz.mode == Quiz.Mode.DUE:
        done = done.exclude(Exists(StudyState.objects.filter(
            user=user, question_id=question, due__lte=now or timezone.now())))
    return QuizItem.objects.filter(pk__in=list(done.values_list("pk", flat=True))).delete()[0]


def keep_within_new_limit(*, user: User, now: datetime | None = None) -> int:
    """After the learner lowers their daily new-question limit, today's unfinished
    new-question quizzes give up the new questions waiting in them (not yet revealed) past
    what the limit leaves for today, the last drawn first: the limit holds today, not from
    tomorrow. Returns how many questions left."""
    now = now or timezone.now()
    quota = study_selectors.new_quota(user=user, now=now)
    over = quota["introduced"] + quota["pending"] - quota["limit"]
    if over <= 0:
        return 0
    waiting = study_selectors.waiting_new_items(user=user, now=now).filter(
        revealed_at__isnull=True)
    last_first = waiting.order_by("-quiz__started_at", "-position").values_list(
        "question_id", flat=True)
    leaving = list(dict.fromkeys(last_first))[:over]
    QuizItem.objects.filter(pk__in=list(waiting.filter(question_id__in=leaving)
                                        .values_list("pk", flat=True))).delete()
    return len(leaving)
