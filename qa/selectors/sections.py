"""Sections with their banks and published-question totals, kept in Django's cache.

The dashboard shows each section with its total ("12 of 140 mastered", "128 new"). Counting a
bank of 100,000 questions costs more than the rest of the dashboard together, and these facts
are the same for every learner and change only when editors or imports change the bank. So they
are read once and cached: a save or delete through the ORM (admin, editorial services) and an
import forget them at once (in a shared cache such as Redis; another process's local-memory
cache shows an import within `CACHE_SECONDS`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Q
from django.db.models.signals import post_delete, post_save

from qa.models import Bank, Question, Section

PUBLISHED = Question.Status.PUBLISHED
CACHE_SECONDS = 300
_TOTALS_KEY = "qa:section-totals:v1"


def sections_with_totals() -> list[Section]:
    """Sections with at least one published question, each with `total` and its bank loaded,
    ordered by bank title and position."""
    sections = cache.get(_TOTALS_KEY)
    if sections is None:
        sections = list(
            Section.objects.select_related("bank")
            .annotate(total=Count("questions", filter=Q(questions__status=PUBLISHED)))
            .filter(total__gt=0)
            .order_by("bank__title", "position", "pk")
        )
        cache.set(_TOTALS_KEY, sections, CACHE_SECONDS)
    return sections


@dataclass(frozen=True)
class SectionName:
    """What a page needs to name a section ("Bank · Section"), and the language its questions
    are written in (for the `lang` of what shows them). Quiz cards read it with the card
    (selectors.cards)."""

    pk: int
    title: str
    bank_title: str
    bank_slug: str
    bank_language: str


def forget_sections(**kwargs) -> None:
    """Drop the cached sections now, and again once the change commits: a page that read them
    in between, before the change was visible, cached what it was about to replace."""
    keys = [_TOTALS_KEY]
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys), using=kwargs.get("using"))


for _model in (Bank, Section, Question):
    post_save.connect(forget_sections, sender=_model,
                      dispatch_uid=f"qa-sections-save-{_model.__name__}")
    post_delete.connect(forget_sections, sender=_model,
                        dispatch_uid=f"qa-sections-delete-{_model.__name__}")
