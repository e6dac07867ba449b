"""Reads that PostgreSQL runs as prepared statements stay cheap under the generic plan it keeps
for them, whatever its statistics say. PostgreSQL only.

psycopg prepares a statement once a connection has run it a few times (DB_PREPARE_THRESHOLD),
and after a few runs PostgreSQL plans it once for any parameters: a generic plan, made from the
statistics of the moment. Those can be far behind the rows (a new site before autovacuum's
first ANALYZE, a learner whose history grew in one evening), and a generic plan cannot see the
values, so each read here is written so that no plan can make it read far more than it needs:
- the next card (qa.selectors.cards.card_item): 25-50 ms a grade on a fresh 200-card quiz
  when the plan counted the progress again for every item left;
- a learner's mistakes (qa.selectors.study.mistakes): 130-170 ms for 1,400 studied questions
  when `rating = $1` kept the plan off the Again grades' partial index;
- a question page's previous and next question (qa.selectors.bank.neighbours): 2.5 ms for the
  first question of a 5,000-question section, read from the section's far end.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from psycopg import sql

from accounts.models import User
from qa.models import Review, StudyState
from qa.selectors import cards
from qa.selectors.bank import neighbours
from qa.selectors.study import mistakes
from qa.services import study as services
from tests.factories import SectionFactory, UserFactory, bulk_questions

pytestmark = pytest.mark.django_db

ITEMS = 120


@pytest.fixture(autouse=True)
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("the plans are PostgreSQL's")


def analyze(*tables: str) -> None:
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {table}")


def generic_plan(query: str, params: list) -> dict:
    """EXPLAIN ANALYZE of `query` (with %s placeholders) under the generic plan PostgreSQL keeps
    for a statement it has run often."""
    numbers = iter(range(1, 1000))
    prepared = re.sub(r"%s", lambda _match: f"${next(numbers)}", query)
    raw = connection.connection  # psycopg's, to write each value as a literal
    values = ", ".join(sql.Literal(value).as_string(raw) for value in params)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute(f"PREPARE generic_read AS {prepared}")
        try:
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE generic_read({values})")
            plan = cursor.fetchone()[0]
        finally:
            cursor.execute("DEALLOCATE generic_read")
    return (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]


def nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


def rows_read(plan: dict, table: str) -> int:
    """How many of `table`'s rows the plan looked at, over all its loops."""
    return sum(
        (node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)) * node["Actual Loops"]
        for node in nodes(plan) if node.get("Relation Name") == table
    )


# --- The next card --------------------------------------------------------------------------


@pytest.fixture
def quiz():
    section = SectionFactory()
    bulk_questions(section, ITEMS)
    analyze("qa_question", "qa_quizitem", "qa_review", "qa_quiz")  # no quiz has begun yet
    return services.start_quiz(user=UserFactory(), mode="section", section=section,
                               count=ITEMS)


def card_plan(quiz, *, left_to_grade: bool) -> dict:
    return generic_plan(
        cards._card_sql(left_to_grade=left_to_grade, vendor=connection.vendor),
        cards._card_params(quiz=quiz, start=quiz.position, left_to_grade=left_to_grade),
    )


@pytest.mark.parametrize("left_to_grade", [True, False])
def test_the_next_card_counts_the_progress_once(quiz, left_to_grade):
    assert quiz.items.count() == ITEMS
    plan = card_plan(quiz, left_to_grade=left_to_grade)
    counts = [node for node in nodes(plan) if node["Node Type"] == "Aggregate"]
    assert counts, "the read counts the progress"
    assert [node["Actual Loops"] for node in counts] == [1] * len(counts)
    # Each item's question is looked up at most twice (by the search for the card, which under
    # such a plan reads the whole quiz, and by the count), not once for every item left.
    assert rows_read(plan, "qa_question") <= 2 * ITEMS + 5


def test_the_next_card_read_finds_the_first_card(quiz):
    item = cards.card_item(quiz=quiz, start=0)
    assert item is not None
    assert item.position == 0
    assert item.progress_counts == {"total": ITEMS, "done": 0, "all_items": ITEMS}


# --- A learner's mistakes -------------------------------------------------------------------

STUDIED = 150
AGAIN = 3
OTHERS = 300  # learners, with OTHER_GRADES grades each: the statistics' idea of a learner
OTHER_GRADES = 10


def grade_rows(user, questions, now, *, again: int = 0) -> tuple[list, list]:
    states = [StudyState(user=user, question=question, due=now + timedelta(days=3),
                         last_review=now - timedelta(days=1), reps=1) for question in questions]
    reviews = [Review(user=user, question=question, answer_version=question.answer_version,
                      rating=Review.Rating.AGAIN if n < again else Review.Rating.GOOD,
                      reviewed_at=now - timedelta(days=1), token=f"{user.pk}-{n}")
               for n, question in enumerate(questions)]
    return states, reviews


@pytest.fixture
def learner():
    """A learner who studied STUDIED questions, graded Good but for AGAIN of them (Again,
    yesterday), on a site whose statistics were taken when learners had OTHER_GRADES grades."""
    now = timezone.now()
    questions = bulk_questions(SectionFactory(), STUDIED)
    others = User.objects.bulk_create(User(email=f"other{n}@example.com", password="!")
                                      for n in range(OTHERS))
    states, reviews = [], []
    for n, other in enumerate(others):
        start = n % (STUDIED - OTHER_GRADES)
        more = grade_rows(other, questions[start:start + OTHER_GRADES], now, again=1)
        states += more[0]
        reviews += more[1]
    StudyState.objects.bulk_create(states)
    Review.objects.bulk_create(reviews)
    analyze("qa_question", "qa_review", "qa_studystate")
    user = UserFactory()
    states, reviews = grade_rows(user, questions, now, again=AGAIN)
    StudyState.objects.bulk_create(states)
    Review.objects.bulk_create(reviews)
    return user


def test_the_mistakes_read_only_the_again_grades(learner):
    listed = mistakes(user=learner, now=timezone.now())
    assert listed.count() == AGAIN
    query, params = listed.query.sql_with_params()
    plan = generic_plan(query, list(params))
    # The learner's Again grades, each a few times over (which questions, then each one's
    # latest and count), not the rest of their history.
    assert rows_read(plan, "qa_review") <= 10 * AGAIN


# --- A question's neighbours ----------------------------------------------------------------

SECTION = 400


def test_a_question_page_finds_its_neighbours_where_the_index_starts():
    questions = bulk_questions(SectionFactory(), SECTION)
    analyze("qa_question")
    learner = UserFactory()
    statements = []

    def capture(execute, query, params, many, context):
        statements.append((query, params))
        return execute(query, params, many, context)

    for question, expected in ((questions[0], (None, questions[1])),
                               (questions[-1], (questions[-2], None))):
        statements.clear()
        with connection.execute_wrapper(capture):
            assert neighbours(question=question, user=learner) == expected
        assert len(statements) == 2
        for query, params in statements:
            # The neighbour and the row beside it, not the rest of the section.
            assert rows_read(generic_plan(query, list(params)), "qa_question") <= 3
