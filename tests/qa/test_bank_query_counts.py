"""Browsing and search pages run the same number of queries at 30 and at 3,000 questions."""

from __future__ import annotations

import pytest
from django.urls import reverse_lazy
from django.utils import timezone

from qa.models import Question
from tests.factories import BankFactory, SectionFactory, StudyStateFactory, bulk_questions

SIZES = (30, 3000)


def build(user=None):
    bank = BankFactory(slug="big")
    section = SectionFactory(bank=bank, key="main", position=0)
    SectionFactory(bank=bank, key="other", position=1)
    bulk_questions(section, SIZES[0])
    for question in Question.objects.filter(section=section).order_by("number")[:5]:
        question.tags.create(name=f"tag-{question.number}")
        if user is not None:
            StudyStateFactory(user=user, question=question, due=timezone.now())
    return section


def grow(section) -> None:
    bulk_questions(section, SIZES[1] - SIZES[0], start=SIZES[0] + 1)
    assert Question.objects.filter(section=section).count() == SIZES[1]


def measure(client, count_queries, url: str, params: dict):
    client.get(url, params)  # warm up anything cached per process
    with count_queries() as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return queries


PAGES = [
    ("overview", reverse_lazy("qa:bank", kwargs={"slug": "big"}), {}),
    ("section", reverse_lazy("qa:section", kwargs={"slug": "big", "section_key": "main"}), {}),
    ("section-page-2",
     reverse_lazy("qa:section", kwargs={"slug": "big", "section_key": "main"}), {"page": 2}),
    ("search-words", reverse_lazy("qa:search"), {"q": "layer normalization"}),
    ("search-short", reverse_lazy("qa:search"), {"q": "归一"}),
    ("search-chinese", reverse_lazy("qa:search"), {"q": "层归一化"}),
    ("bank-list", reverse_lazy("qa:bank-list"), {}),
]


@pytest.mark.parametrize(("url", "params"), [p[1:] for p in PAGES], ids=[p[0] for p in PAGES])
@pytest.mark.parametrize("signed_in", [False, True], ids=["visitor", "learner"])
def test_query_count_does_not_grow_with_the_bank(client, alice, count_queries, url, params,
                                                  signed_in):
    section = build(alice if signed_in else None)
    if signed_in:
        client.force_login(alice)
    small = measure(client, count_queries, str(url), params)
    grow(section)
    large = measure(client, count_queries, str(url), params)
    assert len(small) == len(large), f"{SIZES[0]}: {small!r}\n{SIZES[1]}: {large!r}"
