"""Reads for studying, always scoped to one learner, each a fixed number of queries: bookmarks,
notes, mistakes, the dashboard. Quizzes are read by qa.selectors.quizzes.

Days (streak, heatmap, "due today", the daily new limit) are local dates in the learner's time
zone (User.zone: theirs, else settings.TIME_ZONE).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING

from django.db.models import (
    Count,
    Exists,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import TruncDate
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone

from qa import scheduling
from qa.expressions import WholeDaysSince
from qa.models import Bookmark, Note, Question, Quiz, QuizItem, Review, Section, StudyState
from qa.selectors import sections
from qa.selectors import sets as study_sets

if TYPE_CHECKING:
    from accounts.models import User

PUBLISHED = Question.Status.PUBLISHED
MISTAKE_WINDOW = timedelta(days=14)
LEECH_LAPSES = 4
HEATMAP_WEEKS = 53
UNFINISHED_SHOWN = 3  # quizzes on the dashboard to pick up, the latest of each kind
UNFINISHED_READ = 20  # the latest unfinished quizzes read to find them


# --- Days -----------------------------------------------------------------------------------


def local_date(moment: datetime, zone: tzinfo) -> date:
    return timezone.localtime(moment, zone).date()


def local_day_bounds(now: datetime, zone: tzinfo) -> tuple[datetime, datetime]:
    """Start of the day in `zone` containing `now` and the start of the next one."""
    today = local_date(now, zone)
    start = datetime.combine(today, time.min, tzinfo=zone)
    end = datetime.combine(today + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


# --- Bookmarks, notes -----------------------------------------------------------------------


def question_study_context(*, user: User, question: Question) -> dict:
    """Bookmark, note and FSRS state of one question for one learner (three small queries)."""
    if not getattr(user, "is_authenticated", False):
        return {"bookmarked": False, "note": None, "study_state": None}
    return {
        "bookmarked": Bookmark.objects.filter(user=user, question=question).exists(),
        "note": Note.objects.filter(user=user, question=question).first(),
        "study_state": StudyState.objects.filter(user=user, question=question).first(),
    }


def bookmarked_ids(*, user: User, question_ids) -> set[int]:
    """Which of these questions the learner bookmarked, in one query (for result lists)."""
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(
        Bookmark.objects.filter(user=user, question_id__in=list(question_ids)).values_list(
            "question_id", flat=True
        )
    )


# What a list of questions (bookmarks, mistakes) does not show: the answer and the search
# text are most of a question row's size, and a long list sorted with them spills to disk.
LISTED_WITHOUT = ("question__answer", "question__search_text", "question__import_hash")


def bookmarks(*, user: User, section: Section | None = None) -> QuerySet[Bookmark]:
    marks = Bookmark.objects.filter(user=user, question__status=PUBLISHED).select_related(
        "question__section__bank"
    ).defer(*LISTED_WITHOUT)
    if section is not None:
        marks = marks.filter(question__section=section)
    return marks.annotate(
        has_note=Exists(Note.objects.filter(user=user, question=OuterRef("question_id")))
    ).order_by("question__section__bank__title", "question__section__position",
               "question__number", "pk")


def notes(*, user: User, query: str = "") -> QuerySet[Note]:
    """The learner's notes on published questions, the latest written first; with `query`,
    those whose text or question contains it."""
    found = Note.objects.filter(user=user, question__status=PUBLISHED).select_related(
        "question__section__bank")
    if query:
        found = found.filter(Q(body__icontains=query) | Q(question__prompt__icontains=query))
    return found.order_by("-updated_at", "-pk")


def sections_with_bookmarks(*, user: User) -> QuerySet[Section]:
    return (
        Section.objects.filter(
            questions__bookmarks__user=user, questions__status=PUBLISHED
        )
        .select_related("bank")
        .annotate(bookmark_count=Count("questions__bookmarks"))
        .order_by("bank__title", "position", "pk")
    )


# --- Mistakes -------------------------------------------------------------------------------


def mistakes(
    *, user: User, now: datetime, section: Section | None = None
) -> QuerySet[StudyState]:
    """Questions graded Again in the last 14 days, or lapsed 4+ times (leeches).

    Clearing one sets StudyState.mistake_cleared_at: Again grades up to then no longer count,
    so it comes back only when graded Again again.
    """
    # rating__is: the Again grades through their partial index under any plan (RatingIs).
    again = Review.objects.filter(
        user=user, question=OuterRef("question_id"), rating__is=Review.Rating.AGAIN
    )
    last_again = again.order_by("-reviewed_at").values("reviewed_at")[:1]
    again_count = (
        again.order_by().values("question").annotate(n=Count("pk")).values("n")[:1]
    )
    states = (
        StudyState.objects.filter(user=user, question__status=PUBLISHED)
        # Only questions ever graded Again, named up front so the database picks them from
        # the learner's reviews instead of looking up the Again grades of every question they
        # studied (and last_again is never NULL below).
        .filter(question_id__in=Review.objects.filter(
            user=user, rating__is=Review.Rating.AGAIN
        ).values("question_id"))
        .annotate(last_again=Subquery(last_again), again_count=Subquery(again_count))
        .filter(Q(mistake_cleared_at__isnull=True) | Q(last_again__gt=F("mistake_cleared_at")))
        .filter(Q(last_again__gte=now - MISTAKE_WINDOW) | Q(lapses__gte=LEECH_LAPSES))
        .select_related("question__section__bank")
        .defer(*LISTED_WITHOUT)
        .order_by("-last_again", "pk")
    )
    if section is not None:
        states = states.filter(question__section=section)
    return states


# --- Dashboard ------------------------------------------------------------------------------


def due_now_count(*, user: User, now: datetime) -> int:
    """How many of the learner's questions are due for review now, in every bank."""
    return StudyState.objects.filter(user=user, due__lte=now, question__status=PUBLISHED).count()


def waiting_new_items(*, user: User, now: datetime) -> QuerySet[QuizItem]:
    """The items of today's unfinished new-question quizzes whose questions are still new to
    the learner: part of today's budget already, and not drawn again for another new-question
    quiz. Two items may hold the same question (two quizzes; a card graded Again and shown
    once more is already introduced, so it is not one of them)."""
    day_start, _end = local_day_bounds(now, user.zone)
    return (
        QuizItem.objects.filter(
            quiz__user=user,
            quiz__mode=Quiz.Mode.NEW,
            quiz__finished_at__isnull=True,
            quiz__started_at__gte=day_start,
            review__isnull=True,
            question__status=PUBLISHED,
        )
        .exclude(question_id__in=StudyState.objects.filter(user=user).values("question_id"))
    )


def new_quota(*, user: User, now: datetime) -> dict:
    """The daily new-question budget: limit, introduced today, waiting in today's quizzes."""
    day_start, _end = local_day_bounds(now, user.zone)
    # Questions first reviewed today: reviewed today and never before. Each question is looked
    # up once, not once per review today: a long day of reviews is thousands of rows, its
    # questions a few hundred.
    introduced = (
        Question.objects.filter(pk__in=Review.objects.filter(
            user=user, reviewed_at__gte=day_start).values("question_id"))
        .exclude(Exists(Review.objects.filter(
            user=user, question=OuterRef("pk"), reviewed_at__lt=day_start
        )))
        .count()
    )
    pending = waiting_new_items(user=user, now=now).values("question_id").distinct().count()
    limit = user.daily_new_limit
    return {
        "limit": limit,
        "introduced": introduced,
        "pending": pending,
        "remaining": max(0, limit - introduced - pending),
    }


def review_days(*, user: User, since: date) -> dict[date, int]:
    """Reviews per local day from `since` on, in one aggregated query."""
    tz = user.zone
    start = datetime.combine(since, time.min, tzinfo=tz)
    rows = (
        Review.objects.filter(user=user, reviewed_at__gte=start)
        .order_by()
        .annotate(day=TruncDate("reviewed_at", tzinfo=tz))
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    return dict(rows)


def progress_counts(items: str = "") -> dict:
    """A quiz's progress as aggregates of its items (`items`: the path to them, e.g. "items"
    from Quiz): total, graded ("done") and all items. Retired questions leave the quiz unless
    they were graded before they were retired."""
    path = f"{items}__" if items else ""
    return {
        "total": Count(path + "pk", filter=Q(**{f"{path}question__status": PUBLISHED})
                       | Q(**{f"{path}review__isnull": False})),
        "done": Count(path + "review"),
        "all_items": Count(path + "pk"),
    }


def learner_streak(*, user: User, counts: dict[date, int], since: date, today: date) -> int:
    """streak() over `counts`, the learner's reviews per day from `since` on; a streak that
    reaches back to `since` goes on being counted a year further back at a time."""
    while True:
        days = streak(counts, today)
        first = (today if counts.get(today) else today - timedelta(days=1)) - timedelta(
            days=days - 1)
        if not days or first > since:
            return days
        since -= timedelta(days=366)
        counts = review_days(user=user, since=since)


def streak(counts: dict[date, int], today: date) -> int:
    """Consecutive days with a review, ending today (or yesterday, if today has none yet)."""
    day = today if counts.get(today) else today - timedelta(days=1)
    days = 0
    while counts.get(day):
        days += 1
        day -= timedelta(days=1)
    return days


def heatmap(counts: dict[date, int], today: date) -> dict:
    """Geometry of a year heatmap: 53 weeks (columns, Monday first) × 7 days (rows)."""
    cell, gap, left, top = 11, 3, 30, 16
    step = cell + gap
    first_monday = today - timedelta(days=today.weekday()) - timedelta(weeks=HEATMAP_WEEKS - 1)
    peak = max((n for d, n in counts.items() if d >= first_monday), default=0)
    cells, months = [], []
    for week in range(HEATMAP_WEEKS):
        monday = first_monday + timedelta(weeks=week)
        new_month = monday.month != (monday - timedelta(weeks=1)).month or (
            week == 0 and (monday + timedelta(weeks=3)).month == monday.month
        )
        # No label in the last two columns: it would run off the right edge.
        if new_month and week < HEATMAP_WEEKS - 2:
            months.append({"x": left + week * step, "date": monday})
        for weekday in range(7):
            day = monday + timedelta(days=weekday)
            if day > today:
                break
            n = counts.get(day, 0)
            cells.append({
                "x": left + week * step,
                "y": top + weekday * step,
                "date": day,
                "count": n,
                "level": 0 if not n else min(4, max(1, math.ceil(4 * n / peak))),
            })
    return {
        "cells": cells,
        "months": months,
        "weekdays": [
            {"y": top + i * step + cell - 1, "date": first_monday + timedelta(days=i)}
            for i in (0, 2, 4)
        ],
        "width": left + HEATMAP_WEEKS * step,
        "height": top + 7 * step,
        "cell": cell,
        "total": sum(c["count"] for c in cells),
        "legend": [{"level": level, "x": level * step} for level in range(5)],
    }


@dataclass
class SectionProgress:
    section: Section
    total: int
    studied: int = 0
    mastered: int = 0
    due: int = 0

    @property
    def new(self) -> int:
        return max(0, self.total - self.studied)

    @property
    def mastery_percent(self) -> int:
        return round(100 * self.mastered / self.total) if self.total else 0


def dashboard(*, user: User, now: datetime | None = None) -> dict:
    """Everything the learner's home page shows, in a fixed number of queries."""
    now = now or timezone.now()
    today = local_date(now, user.zone)
    _day_start, day_end = local_day_bounds(now, user.zone)
    retention = user.desired_retention

    # Bank-wide totals come from the cache; everything else on the page from the learner's own
    # rows, so the page costs the same whatever the size of the bank.
    section_totals = sections.sections_with_totals()
    progress = {s.pk: SectionProgress(section=s, total=s.total) for s in section_totals}
    # A learner who studied much of a big bank has thousands of StudyStates: the database
    # counts them per section. Mastered: in review, an interval (stability × the mastery
    # horizon) of at least MASTERED_INTERVAL_DAYS, and recall_probability() >= retention, which
    # is the days since the last review within that interval.
    horizon = scheduling.mastery_horizon(retention)
    mastered = Q(state=scheduling.REVIEW,
                 stability__gte=scheduling.MASTERED_INTERVAL_DAYS / horizon) & Q(
        LessThanOrEqual(
            WholeDaysSince("last_review", now),
            F("stability") * horizon,
        )
    )
    counts = (
        StudyState.objects.filter(user=user, question__status=PUBLISHED)
        .values("question__section_id")
        .annotate(
            studied=Count("pk"),
            due_now=Count("pk", filter=Q(due__lte=now)),
            due_today=Count("pk", filter=Q(due__lt=day_end)),
            next_due=Min("due", filter=Q(due__gt=now, due__lt=day_end)),
            mastered=Count("pk", filter=mastered),
        )
        .order_by()
    )
    due_now = due_today = 0
    next_due = None  # the next card to come due later today
    for count in counts:
        due_now += count["due_now"]
        due_today += count["due_today"]
        if count["next_due"] is not None and (next_due is None or count["next_due"] < next_due):
            next_due = count["next_due"]
        row = progress.get(count["question__section_id"])
        if row is not None:
            row.studied, row.due, row.mastered = (
                count["studied"], count["due_now"], count["mastered"]
            )

    by_bank: dict[int, dict] = defaultdict(dict)
    for row in progress.values():
        bank = row.section.bank
        entry = by_bank[bank.pk]
        entry.setdefault("bank", bank)
        entry.setdefault("sections", []).append(row)

    quota = new_quota(user=user, now=now)
    since = today - timedelta(days=today.weekday(), weeks=HEATMAP_WEEKS - 1)
    counts = review_days(user=user, since=since)
    progress_of = progress_counts("items")
    # The latest of each kind (mode, section, set): two mock interviews left open read as the
    # same row twice, and would push the others off the list. A mock interview with answers
    # handed in is a row of its own: those answers are reached only through it.
    unfinished: dict[tuple, Quiz] = {}
    for quiz in (Quiz.objects.filter(user=user, finished_at__isnull=True)
                 .select_related("section__bank", "study_set")
                 .annotate(total=progress_of["total"], done=progress_of["done"])
                 .filter(total__gt=F("done"))  # else opening it only finishes it
                 .order_by("-started_at")[:UNFINISHED_READ]):
        answered = quiz.pk if quiz.mode == Quiz.Mode.MOCK and quiz.position else None
        unfinished.setdefault((quiz.mode, quiz.section_id, quiz.study_set_id, answered), quiz)
    total_new = sum(r.new for r in progress.values())
    return {
        "due_now": due_now,
        "due_today": due_today,
        "later_today": due_today - due_now,
        "next_due": next_due,
        "new_total": total_new,
        "new_today": min(quota["remaining"], total_new),
        "quota": quota,
        "streak": learner_streak(user=user, counts=counts, since=since, today=today),
        "reviewed_today": counts.get(today, 0),
        "bank_progress": list(by_bank.values()),
        # Anything studied, in the last year or before: "welcome back", not "welcome".
        "returning": bool(counts) or any(p.studied for p in progress.values()),
        "heatmap": heatmap(counts, today),
        "unfinished": list(unfinished.values())[:UNFINISHED_SHOWN],
        "mistake_count": mistakes(user=user, now=now).count(),
        "bookmark_count": Bookmark.objects.filter(user=user, question__status=PUBLISHED).count(),
        "mock_sections": section_totals,
        "set_count": study_sets.readable_set_count(user=user),
        "mastered_days": scheduling.MASTERED_INTERVAL_DAYS,
    }
