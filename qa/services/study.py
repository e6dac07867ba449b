"""Writes for studying: starting and finishing quizzes. What happens within a running quiz
(revealing, mock answers, grading) is in qa.services.answering; bookmarks, notes and mistakes
in qa.services.marks.

Every function takes keyword arguments and raises a `StudyError` subclass with a message the
learner can read when the request cannot be honoured; nothing is written in that case.
"""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, Max, Min, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from qa import scheduling
from qa.models import (
    Bookmark,
    Question,
    Quiz,
    QuizItem,
    Section,
    SetItem,
    StudySet,
    StudyState,
)
from qa.selectors import quizzes
from qa.selectors import study as study_selectors
from qa.services.daily import out_of_date, take_out_graded_elsewhere

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

# A second "Start" of the same mock interview within this time resumes the first (a double
# click); later, a new interview begins.
MOCK_RESUME_WITHIN = timedelta(seconds=30)


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
        # NO KEY UPDATE: a grade's inserts (their foreign keys to the learner) go on meanwhile.
        get_user_model().objects.select_for_update(no_key=True).filter(pk=user.pk).first()
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
        refusal = None
        try:
            question_ids = _select_questions(
                user=user, mode=mode, section=section, study_set=study_set, count=count, now=now
            )
        except NothingToStudy as exc:  # the daily limit of new questions is met
            question_ids, refusal = [], exc
        if not question_ids:
            waiting = _new_quiz_holding(user=user, section=section, now=now) if (
                mode == Quiz.Mode.NEW) else None
            if waiting is not None:
                return waiting
            if refusal is None and mode == Quiz.Mode.DUE:
                refusal = NothingToStudy(_nothing_due(user=user, section=section, now=now))
            raise refusal or NothingToStudy(_empty_message(mode))
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
        # A mock interview is a fresh random draw each time; only one just started and not
        # yet answered (a double-submitted start form) is taken up again, never one whose
        # clock has been running for the learner.
        quiz = candidates.filter(
            position=0, time_limit_seconds=time_limit_seconds,
            started_at__gte=now - MOCK_RESUME_WITHIN,
        ).first()
        if quiz is not None and (
            count is None or quiz.items.count() == min(count, _published_in(section).count())
        ):
            return quiz
        return None
    for quiz in candidates[:5]:
        if out_of_date(user=user, quiz=quiz, now=now) is None:
            take_out_graded_elsewhere(user=user, quiz=quiz, now=now)
            # Before asking what is left: a quiz with nothing left to ask goes on with what
            # has come due, or what the set has gained, rather than a new one starting over.
            if mode == Quiz.Mode.DUE:
                _take_in_newly_due(user=user, quiz=quiz, count=count, now=now)
            elif mode == Quiz.Mode.SET:
                _take_in_added_to_set(user=user, quiz=quiz, study_set=study_set, now=now)
            if quizzes.quiz_remaining_items(quiz=quiz).exists():
                return quiz
        # Superseded: a new quiz of the same kind replaces it.
        Quiz.objects.filter(pk=quiz.pk, finished_at__isnull=True).update(finished_at=now)
    return None


def _take_in_newly_due(*, user: User, quiz: Quiz, count: int | None, now: datetime) -> None:
    """A due-review quiz taken up again takes in the questions that have come due since it
    began, so it holds what the dashboard counts as due; up to `count` (MAX_QUIZ_ITEMS)
    questions in all (a question graded Again in another quiz meanwhile too, once it is due
    again)."""
    _take_in(quiz=quiz, limit=count or MAX_QUIZ_ITEMS, select=lambda: _select_questions(
        user=user, mode=Quiz.Mode.DUE, section=quiz.section, study_set=None, count=None,
        now=now))


def _take_in_added_to_set(*, user: User, quiz: Quiz, study_set: StudySet, now: datetime) -> int:
    """A set quiz taken up again takes in the set's questions it does not hold yet (added to
    the set since it began, or taken out of it and put back before their card came), in the
    set's order: a set quiz never goes out of date, so without this a member who stopped
    midway would never be asked what a curator has added since. Only what a new quiz of the
    set would select now (published questions). Returns how many were taken in."""
    return _take_in(quiz=quiz, limit=MAX_QUIZ_ITEMS, select=lambda: _select_questions(
        user=user, mode=Quiz.Mode.SET, section=None, study_set=study_set, count=None,
        now=now))


def _take_in(*, quiz: Quiz, limit: int, select) -> int:
    """Cards for the questions `select()` gives (in order) that the quiz does not hold
    anywhere, graded or not, after its last card and never behind the learner (cards before
    its position are not shown again); up to `limit` questions in all. The quiz row is locked:
    one change of its items at a time. Returns how many were taken in."""
    quiz = Quiz.objects.select_for_update().get(pk=quiz.pk)
    held = set(quiz.items.values_list("question_id", flat=True))
    room = limit - len(held)
    if room <= 0:
        return 0
    added = [question_id for question_id in select() if question_id not in held][:room]
    if not added:
        return 0
    last = quiz.items.aggregate(last=Max("position"))["last"]
    first = quiz.position if last is None else max(last + 1, quiz.position)
    QuizItem.objects.bulk_create(
        QuizItem(quiz=quiz, question_id=question_id, position=first + i)
        for i, question_id in enumerate(added)
    )
    return len(added)


def replace_quiz(*, user: User, quiz: Quiz, now: datetime | None = None) -> Quiz:
    """The quiz that replaces `quiz` (out of date: see out_of_date), as starting the same
    quiz again makes it. Raises NothingToStudy, with `quiz` ended, when nothing of its kind is
    left to study."""
    now = now or timezone.now()
    try:
        return start_quiz(user=user, mode=quiz.mode, section=quiz.section, now=now)
    except NothingToStudy:
        Quiz.objects.filter(pk=quiz.pk, finished_at__isnull=True).update(finished_at=now)
        raise


def _new_quiz_holding(*, user: User, section: Section | None, now: datetime) -> Quiz | None:
    """Today's unfinished new-question quiz (another section's, or all banks') where new
    questions of `section` (of any section, when None) wait: a learner who asks for new
    questions when every one left is waiting there is taken to it."""
    waiting = study_selectors.waiting_new_items(user=user, now=now)
    if section is not None:
        waiting = waiting.filter(question__section=section)
    quiz_id = waiting.order_by("-quiz__started_at").values_list("quiz_id", flat=True).first()
    return Quiz.objects.filter(pk=quiz_id).first() if quiz_id is not None else None


def _published_in(section: Section | None):
    """Published questions, of `section` when given."""
    published = Question.objects.published()
    return published.filter(section=section) if section is not None else published


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
    published = _published_in(section)

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
        ).exclude(
            # Waiting in another of today's new-question quizzes (another section's, or all
            # banks'): two open quizzes never show the same new question.
            pk__in=study_selectors.waiting_new_items(user=user, now=now).values("question_id")
        ).order_by("section__position", "number", "pk")
        return list(new.values_list("pk", flat=True)[: min(quota, limit)])

    if mode == Quiz.Mode.SECTION:
        picked = (published.annotate(settled=_settled(user=user, now=now, question="pk"))
                  .order_by("settled", "number", "pk").values_list("pk", "number")[:limit])
        return [pk for pk, _number in sorted(picked, key=lambda row: (row[1], row[0]))]

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
        picked = (items.annotate(settled=_settled(user=user, now=now, question="question_id"))
                  .order_by("settled", "position", "pk")
                  .values_list("question_id", "position")[:MAX_QUIZ_ITEMS])
        return [question_id for question_id, _position in sorted(picked, key=lambda row: row[1])]
    return []


def _settled(*, user: User, now: datetime, question: str) -> Exists:
    """Whether the learner has studied the row's question and it is not due yet. A section or
    set longer than a quiz takes its other questions first (in their own order), so each new
    quiz goes on where the last left off instead of starting over at the top."""
    return Exists(StudyState.objects.filter(user=user, question_id=OuterRef(question),
                                            due__gt=now))


def _nothing_due(*, user: User, section: Section | None, now: datetime) -> str:
    """Why a due quiz is empty: nothing studied yet (here), or when the next comes due."""
    states = StudyState.objects.filter(user=user, question__status=PUBLISHED)
    if section is not None:
        states = states.filter(question__section=section)
    next_due = states.aggregate(next_due=Min("due"))["next_due"]
    if next_due is None:
        return _("Nothing is due here yet: a question comes due once you have studied it. "
                 "Start with new questions.")
    return _("Nothing is due right now. The next question comes due in %(when)s.") % {
        "when": scheduling.describe_interval(next_due - now)}


def _empty_message(mode: str) -> str:
    return {
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
            # Still answering: on to self-grading first (after the time limit it already is).
            if not quizzes.mock_answering_over(quiz=quiz, now=now, total=total):
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
        if not quizzes.mock_answering_over(quiz=quiz, now=now):
            return quiz
        left = quiz.items.filter(question__status=PUBLISHED, review__isnull=True)
    else:
        left = quizzes.quiz_remaining_items(quiz=quiz)
    if not left.exists():
        Quiz.objects.filter(pk=quiz.pk, finished_at__isnull=True).update(finished_at=now)
        quiz.finished_at = now
    return quiz
