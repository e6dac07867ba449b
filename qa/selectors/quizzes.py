"""Reads for quizzes, always scoped to one learner: the quiz, its progress, the card it shows
(loaded by qa.selectors.cards), what a revealed card adds, and the summary at the end.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from qa import scheduling
from qa.markdown import render_markdown
from qa.models import Note, Question, Quiz, QuizItem, Review, StudyState
from qa.selectors import cards, study
from qa.selectors.editorial import card_editorial_context, last_published

if TYPE_CHECKING:
    from accounts.models import User

PUBLISHED = Question.Status.PUBLISHED


def _one(queryset):
    """The first row of an unordered query, or None (first() would add an ORDER BY)."""
    return next(iter(queryset.order_by()[:1]), None)


def quiz_for_user(*, user: User, pk: int) -> Quiz | None:
    return Quiz.objects.select_related("section", "study_set").filter(pk=pk, user=user).first()


# A quiz item still to grade: retired questions leave a quiz; graded ones are done.
LEFT_TO_GRADE = {"question__status": PUBLISHED, "review__isnull": True}


def quiz_remaining_items(*, quiz: Quiz) -> QuerySet[QuizItem]:
    """Items still to grade, in order. Retired questions leave the quiz."""
    return quiz.items.filter(position__gte=quiz.position, **LEFT_TO_GRADE).order_by("position")


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


def quiz_progress(*, quiz: Quiz) -> dict:
    return progress_from(quiz.items.aggregate(**study.progress_counts()))


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


# A grade can be taken back for this long (qa.services.undoing.undo_grade): a slip noticed
# at once, not a rewrite of past days (streaks, heatmaps and team dashboards are read from the
# reviews).
UNDO_WITHIN = timedelta(hours=1)


def last_grade_token(*, quiz: Quiz, now: datetime | None = None) -> str:
    """The token of the grade that moved a quiz (not a mock interview) to where it is, if
    undoing.undo_grade would take it back ('' if not): the quiz is running or that grade
    finished it, it was given within UNDO_WITHIN, and it is still its card's latest."""
    if quiz.mode == Quiz.Mode.MOCK or quiz.position == 0:
        return ""
    now = now or timezone.now()
    still_latest = StudyState.objects.filter(
        user_id=quiz.user_id, question_id=OuterRef("question_id"),
        last_review=OuterRef("reviewed_at"), previous__isnull=False, changed_since_review=False,
    )
    last = (Review.objects.filter(quiz_item__quiz_id=quiz.pk,
                                  quiz_item__position=quiz.position - 1,
                                  reviewed_at__gte=now - UNDO_WITHIN,
                                  question__status=PUBLISHED)
            .filter(Exists(still_latest))
            .values_list("token", "reviewed_at").first())
    if last is None or quiz.finished_at not in (None, last[1]):
        return ""
    return last[0]


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


def grade_choices(labels: dict[int, str]) -> list[dict]:
    """The grade buttons: each grade's value, name, when the question comes back after it
    (`labels`, from scheduling.preview_labels) and what is said of it. The texts are made here,
    once per button, rather than by the template's translation tags: a card is on the quiz's
    hot path, and a tag costs ten times a call."""
    names = dict(Review.Rating.choices)
    choices = []
    for value in scheduling.RATINGS:
        name, interval = str(names[value]), labels.get(value, "")
        choices.append({
            "value": value,
            "name": name,
            "interval": interval,
            "status": _("Graded: %(grade)s.") % {"grade": name},  # quiz.js says it when graded
            "comes_back": _("comes back in %(when)s") % {"when": interval},  # read out
        })
    return choices


def card_context(*, quiz: Quiz, item: QuizItem) -> dict:
    """What a quiz card shows above its answer, for `item` loaded by cards.card_item, without
    queries."""
    question = item.question
    context = {
        "quiz": quiz,
        "item": item,
        "question": question,
        "section": item.section_name,
        "progress": progress_from(item.progress_counts),
        "bookmarked": item.bookmarked,
        "is_new": item.state_changed is None,
        "again": item.repeat,
        "answer_changed": bool(item.state_changed),
        "set_note": item.set_note,
    }
    if quiz.mode == Quiz.Mode.MOCK:
        context["deadline"] = mock_deadline(quiz=quiz)
        context["answered"] = quiz.position
    return context


def revealed_context(*, user: User, item: QuizItem, now: datetime) -> dict:
    """What a revealed card shows below its question (the reference answer, what the learner
    typed, their note, the editorial notice and report link, and when each grade brings it
    back: `grade_labels`, for the grade buttons), for `item`
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
        "answer_html": render_markdown(question.answer),
        "content_lang": item.section_name.bank_language,
        "grade_labels": scheduling.preview_labels(state, now, user.desired_retention),
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


def _as_last_published(rows: list[SummaryRow]) -> None:
    """Show `rows` (of questions no longer published) with their text as last published."""
    if not rows:
        return
    published = {
        pk: (prompt, answer) for pk, prompt, answer in
        Question.objects.filter(pk__in={row.item.question_id for row in rows})
        .annotate(last_prompt=last_published("prompt", question="pk"),
                  last_answer=last_published("answer", question="pk"))
        .values_list("pk", "last_prompt", "last_answer")
    }
    for row in rows:
        row.prompt, row.answer = published.get(row.item.question_id) or ("", "")


@dataclass
class SummaryRow:
    item: QuizItem
    review: Review | None
    state: StudyState | None
    grades: list[dict] = field(default_factory=list)
    token: str = ""
    due_now: bool = False  # its state is due again (overdue) by now
    first_to_grade: bool = False  # a mock interview's first answer left to grade: focused
    # The prompt and answer to show: the question's own, or, once an editor took it back into
    # draft or retired it, as it was last published (a draft's text is the editors' own).
    prompt: str = ""
    answer: str = ""

    @property
    def published(self) -> bool:
        return self.item.question.status == PUBLISHED


def quiz_summary(*, quiz: Quiz, user: User, now: datetime) -> dict:
    """Counts per grade, time spent, and when each question comes back."""
    items = list(
        quiz.items.select_related("question__section", "question__bank", "review")
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
    # last graded showing only (an Again copy left ungraded by a stop has no say), or to its
    # last showing if none was graded (a mock interview's rows before grading).
    last_showing = {item.question_id: item.pk for item in items}
    last_showing.update({item.question_id: item.pk for item in items
                         if getattr(item, "review", None) is not None})
    graded_questions = {item.question_id for item in items
                        if getattr(item, "review", None) is not None}
    # A quiz stopped early lists what was graded; a mock interview lists every answer given.
    not_graded = set()
    for item in items:
        review = getattr(item, "review", None)
        if review is None and quiz.mode != Quiz.Mode.MOCK:
            if item.question_id not in graded_questions:
                not_graded.add(item.question_id)
            continue
        if review is None and quiz.finished_at is not None:
            not_graded.add(item.question_id)  # a mock interview finished with it ungraded
        state = states.get(item.question_id) if last_showing[item.question_id] == item.pk else None
        row = SummaryRow(item=item, review=review, state=state,
                         due_now=state is not None and state.due <= now,
                         prompt=item.question.prompt, answer=item.question.answer)
        if review is not None:
            counts[review.rating] += 1
            if quiz.mode != Quiz.Mode.MOCK:
                spent_ms += review.duration_ms or 0
        elif quiz.mode == Quiz.Mode.MOCK and quiz.finished_at is None:
            row.grades = grade_choices(
                scheduling.preview_labels(state, now, user.desired_retention)
            )
        if quiz.mode == Quiz.Mode.MOCK and item.shown_at and item.revealed_at:
            # The answering, the same before the grading as after it.
            spent_ms += int((item.revealed_at - item.shown_at).total_seconds() * 1000)
        rows.append(row)
    _as_last_published([row for row in rows if not row.published])
    to_grade = [row for row in rows if row.grades]
    if to_grade:
        to_grade[0].first_to_grade = True
    graded = sum(counts.values())
    names = dict(Review.Rating.choices)
    upcoming = sorted(
        (r.state.due for r in rows if r.review is not None and r.state is not None),
    )
    due_now = study.due_now_count(user=user, now=now)
    return {
        "rows": rows,
        "graded": graded,
        "questions": len(graded_questions | not_graded),
        "graded_questions": len(graded_questions),
        "not_graded": len(not_graded),
        "counts": [
            {"value": v, "name": names[v], "count": counts[v],
             "percent": round(100 * counts[v] / graded) if graded else 0}
            for v in scheduling.RATINGS
        ],
        # None: no time measured (nothing graded nor answered), rather than the hours a quiz
        # left open lasted.
        "time_spent": timedelta(milliseconds=spent_ms) if spent_ms else None,
        "next_due": upcoming[0] if upcoming else None,
        "next_due_now": bool(upcoming) and upcoming[0] <= now,
        "due_within_day": sum(1 for d in upcoming if d <= now + timedelta(days=1)),
        "due_now": due_now,
    }
