"""The next-card read counts the quiz's progress once, whatever PostgreSQL's planner expects of
the quiz's items (qa.selectors.cards.card_item).

The read runs as a prepared statement, and after a few runs PostgreSQL keeps a generic plan
for it. Planned while the statistics still said the quiz items' table was empty (as on a new
site, before autovacuum's first ANALYZE), a plan could count the progress once for every item
left to grade: 40-50 ms a grade at 200 items, against under 1 ms. PostgreSQL only.
"""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection

from qa.models import Quiz
from qa.selectors import cards
from qa.services import study as services
from tests.factories import SectionFactory, UserFactory, bulk_questions

pytestmark = pytest.mark.django_db

ITEMS = 120


@pytest.fixture(autouse=True)
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("the plan is PostgreSQL's")


def analyzed_while_empty() -> None:
    with connection.cursor() as cursor:
        for table in ("qa_quizitem", "qa_review", "qa_quiz"):
            cursor.execute(f"ANALYZE {table}")


def generic_plan(quiz: Quiz, *, left_to_grade: bool) -> dict:
    """EXPLAIN ANALYZE of the card read for `quiz` at its position, under the generic plan
    PostgreSQL keeps for a statement it has run often."""
    sql = cards._card_sql(left_to_grade=left_to_grade, vendor=connection.vendor)
    numbers = iter(range(1, 100))
    prepared = re.sub(r"%s", lambda _match: f"${next(numbers)}", sql)
    params = cards._card_params(quiz=quiz, start=quiz.position, left_to_grade=left_to_grade)
    literals = ", ".join("NULL" if p is None else f"'{p}'" for p in params)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute(f"PREPARE card_read AS {prepared}")
        try:
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE card_read({literals})")
            plan = cursor.fetchone()[0]
        finally:
            cursor.execute("DEALLOCATE card_read")
    return (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]


def nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


@pytest.fixture
def quiz():
    section = SectionFactory()
    bulk_questions(section, ITEMS)
    analyzed_while_empty()
    return services.start_quiz(user=UserFactory(), mode="section", section=section,
                               count=ITEMS)


@pytest.mark.parametrize("left_to_grade", [True, False])
def test_the_progress_is_counted_once_under_a_generic_plan(quiz, left_to_grade):
    assert quiz.items.count() == ITEMS
    plan = generic_plan(quiz, left_to_grade=left_to_grade)
    counts = [node for node in nodes(plan) if node["Node Type"] == "Aggregate"]
    assert counts, "the read counts the progress"
    assert [node["Actual Loops"] for node in counts] == [1] * len(counts)
    # Each item's question is looked up at most twice (by the search for the card, which under
    # such a plan reads the whole quiz, and by the count), not once for every item left.
    question_lookups = sum(node["Actual Loops"] for node in nodes(plan)
                           if node.get("Relation Name") == "qa_question")
    assert question_lookups <= 2 * ITEMS + 5


def test_the_read_under_that_plan_finds_the_same_card(quiz):
    item = cards.card_item(quiz=quiz, start=0)
    assert item is not None
    assert item.position == 0
    assert item.progress_counts == {"total": ITEMS, "done": 0, "all_items": ITEMS}
