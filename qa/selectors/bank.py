"""Reads for browsing the bank (searching it: qa/selectors/search.py).

Learners see published questions only; staff (editors) may also open drafts and retired
questions to preview them. Every function here runs a fixed number of queries, whatever the
size of the bank.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import (
    Count,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from qa.models import Bank, Question, Section, StudyState
from qa.selectors.sections import sections_with_totals

SECTION_PAGE_SIZE = 100


def can_preview(user: Any) -> bool:
    """Editors (and superusers) may open draft and retired questions; learners, and staff
    who may not see the bank in the admin, may not."""
    return bool(user is not None and user.is_authenticated and user.is_staff
                and user.has_perm("qa.view_question"))


def visible_questions(user: Any) -> QuerySet[Question]:
    if can_preview(user):
        return Question.objects.all()
    return Question.objects.published()


# --- browsing -------------------------------------------------------------------------------


def banks_with_counts() -> QuerySet[Bank]:
    """All banks with their number of sections and of published questions (one query)."""
    published = (
        Question.objects.published().filter(bank=OuterRef("pk")).order_by()
        .values("bank").annotate(n=Count("pk")).values("n")
    )
    sections = (
        Section.objects.filter(bank=OuterRef("pk")).order_by()
        .values("bank").annotate(n=Count("pk")).values("n")
    )
    return Bank.objects.annotate(
        question_count=Coalesce(Subquery(published, output_field=IntegerField()), 0),
        section_count=Coalesce(Subquery(sections, output_field=IntegerField()), 0),
    )


def sections_with_progress(*, bank: Bank, user: Any) -> list[Section]:
    """The bank's sections in order, each with `total` published questions and, for a
    signed-in learner, how many of them they have `studied` and how many are `due` now.

    As on the dashboard, the totals come from the cache (sections.sections_with_totals) and
    the rest from the learner's own rows, so the page costs the same whatever the size of the
    bank: counted over the bank's questions, 100,000 of them took 85 ms a page."""
    totals = {section.pk: section.total for section in sections_with_totals()}
    listed = list(Section.objects.filter(bank=bank).order_by("position", "pk"))
    mine: dict[int, dict] = {}
    if user is not None and user.is_authenticated:
        counts = (
            StudyState.objects.filter(user=user, question__bank=bank,
                                      question__status=Question.Status.PUBLISHED)
            .values("question__section_id")
            .annotate(studied=Count("pk"), due=Count("pk", filter=Q(due__lte=timezone.now())))
            .order_by()
        )
        mine = {row["question__section_id"]: row for row in counts}
    for section in listed:
        row = mine.get(section.pk, {})
        section.total = totals.get(section.pk, 0)
        section.studied, section.due = row.get("studied", 0), row.get("due", 0)
    return listed


def section_page(*, section: Section, user: Any, page: Any = 1) -> Page:
    """One page of the section's questions in order, with tags and, for a signed-in learner,
    their `my_due` (None: never studied). Three queries: count, page, tags."""
    questions = (
        visible_questions(user).filter(section=section)
        .order_by("number", "pk").prefetch_related("tags")
    )
    if user is not None and user.is_authenticated:
        questions = questions.annotate(my_due=Subquery(
            StudyState.objects.filter(user=user, question=OuterRef("pk")).values("due")[:1]
        ))
    return Paginator(questions, SECTION_PAGE_SIZE).get_page(page)


def neighbours(*, question: Question, user: Any) -> tuple[Question | None, Question | None]:
    """The previous and next question in the same section (in the order learners see)."""
    siblings = visible_questions(user).filter(section_id=question.section_id).only(
        "key", "prompt", "number", "section_id"
    )
    # Each with its bound on number besides (lte, gte): the index (section, status, number)
    # starts there. From the OR alone, the plan PostgreSQL keeps for any values walked the
    # section from its far end (5,000 rows for the first question of a 5,000-question section).
    before = Q(number__lte=question.number) & (
        Q(number__lt=question.number) | Q(number=question.number, pk__lt=question.pk))
    after = Q(number__gte=question.number) & (
        Q(number__gt=question.number) | Q(number=question.number, pk__gt=question.pk))
    previous = siblings.filter(before).order_by("-number", "-pk").first()
    following = siblings.filter(after).order_by("number", "pk").first()
    return previous, following


def tag_names(question_ids: list[int]) -> dict[int, list[str]]:
    """{question id: its tag names, sorted}, in one query (a prefetch would build a manager
    and a queryset for every result)."""
    names: dict[int, list[str]] = {}
    pairs = (Question.tags.through.objects.filter(question_id__in=question_ids)
             .order_by("tag__name").values_list("question_id", "tag__name"))
    for question_id, name in pairs:
        names.setdefault(question_id, []).append(name)
    return names
