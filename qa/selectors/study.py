"""Reads for studying, always scoped to one learner, each a fixed number of queries.

Days (streak, heatmap, "due today", the daily new limit) are local dates in settings.TIME_ZONE.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
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
from django.urls import reverse
from django.utils import timezone

from qa import scheduling
from qa.markdown_cache import cached_markdown
from qa.models import Bookmark, Note, Question, Quiz, QuizItem, Review, Section, StudyState
from qa.selectors import cards, sections
from qa.selectors.editorial import card_editorial_context

if TYPE_CHECKING:
    from accounts.models import User

PUBLISHED = Question.Status.PUBLISHED
MISTAKE_WINDOW = timedelta(days=14)
LEECH_LAPSES = 4
HEATMAP_WEEKS = 53


# --- Days -----------------------------------------------------------------------------------


def local_date(moment: datetime) -> date:
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def local_day_bounds(now: datetime) -> tuple[datetime, datetime]:
    """Start of the local day containing `now` and the start of the next one."""
    tz = timezone.get_default_timezone()
    today = local_date(now)
    start = datetime.combine(today, time.min, tzinfo=tz)
    end = datetime.combine(today + timedelta(days=1), time.min, tzinfo=tz)
    return start, end


# --- Quizzes --------------------------------------------------------------------------------


def _one(queryset):
    """The first row of an unordered query, or None (first() would add an ORDER BY)."""
    return next(iter(queryset.order_by()[:1]), None)


def quiz_for_user(*, user: User, pk: int) -> Quiz | None:
    return Quiz.objects.select_related("section", "study_set").filter(pk=pk, user=user).first()


# Retired questions leave a quiz; graded ones are done.
_LEFT_TO_GRADE = {"question__status": PUBLISHED, "review__isnull": True}


def quiz_remaining_items(*, quiz: Quiz) -> QuerySet[QuizItem]:
    """Items still to grade, in order. Retired questions leave the quiz."""
    return quiz.items.filter(position__gte=quiz.position, **_LEFT_TO_GRADE).order_by("position")


def mock_deadline(*, quiz: Quiz) -> datetime | None:
    if not quiz.time_limit_seconds:
        return None
    return quiz.started_at + timedelta(seconds=quiz.time_limit_seconds)


def mock_answering_over(*, quiz: Quiz, now: datetime, total: int | None = None) -> bool:
    """A mock interview's answering part ends after the last question or at the time limit."""
    deadline = mock_deadline(quiz=quiz)
    if deadline is not None and now >= deadline:
        return True
    if total is None:
        total = quiz.items.count()
    return quiz.position >= total


def progress_from(counts: dict | None) -> dict:
    """The progress bar's numbers from raw counts {total, done, all_items}."""
    counts = counts or {}
    total = counts.get("total") or 0
    done = counts.get("done") or 0
    return {
        "total": total,
        "done": done,
        "all_items": counts.get("all_items") or 0,
        "percent": round(100 * done / total) if total else 100,
    }


def _progress_counts_expression() -> dict:
    # Retired questions leave the quiz unless they were graded before they were retired.
    return {
        "total": Count("pk", filter=Q(question__status=PUBLISHED) | Q(review__isnull=False)),
        "done": Count("review"),
        "all_items": Count("pk"),
    }


def quiz_progress(*, quiz: Quiz) -> dict:
    return progress_from(quiz.items.aggregate(**_progress_counts_expression()))


def current_card_item(*, quiz: Quiz) -> QuizItem | None:
    """The card a quiz shows now, loaded by cards.card_item; None when nothing is left to show
    (in a mock interview: nothing left to answer)."""
    return cards.card_item(
        quiz=quiz, start=quiz.position, left_to_grade=quiz.mode != Quiz.Mode.MOCK
    )


def next_card_item(*, quiz: Quiz, after: int) -> QuizItem | None:
    """The card after position `after` of a quiz (not a mock interview), loaded by
    cards.card_item."""
    return cards.card_item(quiz=quiz, start=after + 1)


def is_current_card(*, quiz: Quiz, item: QuizItem) -> bool:
    """Whether `item` (with its question) is the card a running quiz (not a mock interview)
    shows now, without a query: grading moves the quiz's position past the graded item, so the
    current card is the one at the position, unless the question was retired. A False here
    only means "look it up" (quiz_remaining_items), e.g. after a retirement."""
    return (
        quiz.finished_at is None
        and item.position == quiz.position
        and item.question.status == PUBLISHED
    )


def grade_choices(labels: dict[int, str] | None) -> list[dict]:
    names = dict(Review.Rating.choices)
    return [
        {"value": value, "name": names[value], "interval": (labels or {}).get(value, "")}
        for value in scheduling.RATINGS
    ]


def card_context(*, quiz: Quiz, item: QuizItem) -> dict:
    """What a quiz card shows above its answer, for `item` loaded by cards.card_item, without
    queries."""
    question = item.question
    context = {
        "quiz": quiz,
        "item": item,
        "question": question,
        "section": sections.section_name(question.section_id),
        "progress": progress_from(item.progress_counts),
        "bookmarked": item.bookmarked,
        "is_new": item.state_changed is None,
        "again": item.repeat,
        "answer_changed": bool(item.state_changed),
        "prompt_html": cached_markdown(question.prompt),
    }
    if quiz.mode == Quiz.Mode.MOCK:
        context["deadline"] = mock_deadline(quiz=quiz)
        context["answered"] = quiz.position
    return context


def revealed_context(*, user: User, item: QuizItem, now: datetime) -> dict:
    """What a revealed card shows below its question (the reference answer, what the learner
    typed, their note, the editorial notice and report link, the grade buttons), for `item`
    with its question: no query when the item was loaded by cards.quiz_item (with the
    learner's StudyState and note), else two (those two)."""
    question = item.question
    mine = {"user_id": user.pk, "question_id": question.pk}
    if hasattr(item, "note_body"):
        state = item.study_state
        note = Note(body=item.note_body, **mine) if item.note_body is not None else None
    else:
        state = _one(StudyState.objects.filter(**mine))
        note = _one(Note.objects.filter(**mine))
    return {
        "item": item,
        "question": question,
        "study_state": state,
        "note": note,
        "answer_html": cached_markdown(question.answer),
        "grades": grade_choices(scheduling.preview_labels(state, now, user.desired_retention)),
        "editorial": card_editorial(user=user, question=question, state=state),
    }


def card_editorial(*, user: User, question: Question, state: StudyState | None) -> dict:
    """The card's editorial context (qa/_card_editorial.html) from the StudyState already at
    hand: only the rare "answer changed since you studied it" notice costs queries."""
    if state is not None and state.changed_since_review:
        return card_editorial_context(user=user, question=question)
    return {
        "question": question,
        "report_url": reverse("qa:report-create", kwargs={"key": question.key}),
        "changed": False,
    }


@dataclass
class SummaryRow:
    item: QuizItem
    review: Review | None
    state: StudyState | None
    grades: list[dict] = field(default_factory=list)
    token: str = ""


def quiz_summary(*, quiz: Quiz, user: User, now: datetime) -> dict:
    """Counts per grade, time spent, and when each question comes back."""
    items = list(
        quiz.items.select_related("question__section", "review")
        .defer("question__search_text", "question__import_hash")
        .filter(Q(question__status=PUBLISHED) | Q(review__isnull=False))
        .order_by("position")
    )
    states = {
        s.question_id: s
        for s in StudyState.objects.filter(
            user=user, question_id__in=[i.question_id for i in items]
        )
    }
    rows = []
    counts: Counter[int] = Counter()
    spent_ms = 0
    # A question graded Again came back as a later item: when it is due again belongs to its
    # last showing only.
    last_showing = {item.question_id: item.pk for item in items}
    for item in items:
        review = getattr(item, "review", None)
        state = states.get(item.question_id) if last_showing[item.question_id] == item.pk else None
        row = SummaryRow(item=item, review=review, state=state)
        if review is not None:
            counts[review.rating] += 1
            spent_ms += review.duration_ms or 0
        elif quiz.mode == Quiz.Mode.MOCK and quiz.finished_at is None:
            row.grades = grade_choices(
                scheduling.preview_labels(state, now, user.desired_retention)
            )
        rows.append(row)
    graded = sum(counts.values())
    names = dict(Review.Rating.choices)
    upcoming = sorted(
        (r.state.due for r in rows if r.review is not None and r.state is not None),
    )
    due_now = StudyState.objects.filter(
        user=user, due__lte=now, question__status=PUBLISHED
    ).count()
    end = quiz.finished_at or now
    return {
        "rows": rows,
        "graded": graded,
        "ungraded": len(rows) - graded,
        "counts": [
            {"value": v, "name": names[v], "count": counts[v],
             "percent": round(100 * counts[v] / graded) if graded else 0}
            for v in scheduling.RATINGS
        ],
        "time_spent": timedelta(milliseconds=spent_ms) if spent_ms else end - quiz.started_at,
        "wall_time": end - quiz.started_at,
        "next_due": upcoming[0] if upcoming else None,
        "due_within_day": sum(1 for d in upcoming if d <= now + timedelta(days=1)),
        "due_now": due_now,
    }


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


def bookmarks(*, user: User, section: Section | None = None) -> QuerySet[Bookmark]:
    marks = Bookmark.objects.filter(user=user, question__status=PUBLISHED).select_related(
        "question__section__bank"
    )
    if section is not None:
        marks = marks.filter(question__section=section)
    return marks.annotate(
        has_note=Exists(Note.objects.filter(user=user, question=OuterRef("question_id")))
    ).order_by("question__section__bank__title", "question__section__position",
               "question__number", "pk")


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
    again = Review.objects.filter(
        user=user, question=OuterRef("question_id"), rating=Review.Rating.AGAIN
    )
    last_again = again.order_by("-reviewed_at").values("reviewed_at")[:1]
    again_count = (
        again.order_by().values("question").annotate(n=Count("pk")).values("n")[:1]
    )
    states = (
        StudyState.objects.filter(user=user, question__status=PUBLISHED)
        .annotate(last_again=Subquery(last_again), again_count=Subquery(again_count))
        .filter(last_again__isnull=False)
        .filter(Q(mistake_cleared_at__isnull=True) | Q(last_again__gt=F("mistake_cleared_at")))
        .filter(Q(last_again__gte=now - MISTAKE_WINDOW) | Q(lapses__gte=LEECH_LAPSES))
        .select_related("question__section__bank")
        .order_by("-last_again", "pk")
    )
    if section is not None:
        states = states.filter(question__section=section)
    return states


# --- Dashboard ------------------------------------------------------------------------------


def new_quota(*, user: User, now: datetime) -> dict:
    """The daily new-question budget: limit, introduced today, waiting in today's quizzes."""
    day_start, _end = local_day_bounds(now)
    introduced = (
        Review.objects.filter(user=user)
        .order_by()
        .values("question")
        .annotate(first=Min("reviewed_at"))
        .filter(first__gte=day_start)
        .count()
    )
    pending = QuizItem.objects.filter(
        quiz__user=user,
        quiz__mode=Quiz.Mode.NEW,
        quiz__finished_at__isnull=True,
        quiz__started_at__gte=day_start,
        review__isnull=True,
        question__status=PUBLISHED,
    ).count()
    limit = user.daily_new_limit
    return {
        "limit": limit,
        "introduced": introduced,
        "pending": pending,
        "remaining": max(0, limit - introduced - pending),
    }


def review_days(*, user: User, since: date) -> dict[date, int]:
    """Reviews per local day from `since` on, in one aggregated query."""
    tz = timezone.get_default_timezone()
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
    today = local_date(now)
    _day_start, day_end = local_day_bounds(now)
    retention = user.desired_retention

    # Bank-wide totals come from the cache; everything else on the page from the learner's own
    # rows, so the page costs the same whatever the size of the bank.
    section_totals = sections.sections_with_totals()
    progress = {s.pk: SectionProgress(section=s, total=s.total) for s in section_totals}
    states = StudyState.objects.filter(user=user, question__status=PUBLISHED).annotate(
        section_id=F("question__section_id")
    ).only("state", "step", "stability", "difficulty", "due", "last_review", "question_id")
    due_now = due_today = 0
    for state in states:
        row = progress.get(state.section_id)
        if state.due <= now:
            due_now += 1
        if state.due < day_end:
            due_today += 1
        if row is not None and state.due <= now:
            row.due += 1
        if row is None:
            continue
        row.studied += 1
        if (
            state.state == scheduling.REVIEW
            and scheduling.retrievability(state, now, retention) >= retention
        ):
            row.mastered += 1

    by_bank: dict[int, dict] = defaultdict(dict)
    for row in progress.values():
        bank = row.section.bank
        entry = by_bank[bank.pk]
        entry.setdefault("bank", bank)
        entry.setdefault("sections", []).append(row)

    quota = new_quota(user=user, now=now)
    counts = review_days(
        user=user, since=today - timedelta(days=today.weekday(), weeks=HEATMAP_WEEKS - 1)
    )
    unfinished = list(
        Quiz.objects.filter(user=user, finished_at__isnull=True)
        .select_related("section", "study_set")
        .annotate(total=Count("items"), done=Count("items__review"))
        .order_by("-started_at")[:3]
    )
    total_new = sum(r.new for r in progress.values())
    return {
        "due_now": due_now,
        "due_today": due_today,
        "new_total": total_new,
        "new_today": min(quota["remaining"], total_new),
        "quota": quota,
        "streak": streak(counts, today),
        "reviewed_today": counts.get(today, 0),
        "bank_progress": list(by_bank.values()),
        "heatmap": heatmap(counts, today),
        "unfinished": unfinished,
        "mistake_count": mistakes(user=user, now=now).count(),
        "bookmark_count": Bookmark.objects.filter(user=user, question__status=PUBLISHED).count(),
        "mock_sections": section_totals,
    }
