"""Study-set pages: what both their test modules use (the fixtures are in conftest.py)."""

from __future__ import annotations

from qa.models import SetItem

HTMX = {"HTTP_HX_REQUEST": "true"}


def order(study_set) -> list[int]:
    """The set's question ids in its order."""
    return list(SetItem.objects.filter(study_set=study_set).order_by("position", "pk")
                .values_list("question_id", flat=True))
