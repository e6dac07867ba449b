"""The reads every quiz card makes, written out as SQL.

Showing, revealing and grading a card are the quiz's hot path: each runs once per card for
every learner. Built with the ORM, compiling these joined, annotated queries costs more than
running them, so here they are written once, as plain SQL both PostgreSQL and SQLite run
(cached per database vendor), and their rows are loaded into model instances with
Model.from_db (the columns come from the models' fields, so they follow the models).
tests/qa/test_card_queries.py checks them against the same reads built with the ORM.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.db import connection
from django.db.models import Field, Model

from qa.models import Question, Quiz, QuizItem, StudyState
from qa.selectors.sections import SectionName

# The largest id a row can have (a PostgreSQL bigint): a larger one names nothing, and is
# answered as such rather than sent to the database, which would refuse it.
MAX_ID = 2**63 - 1


def id_from(raw: str) -> int | None:
    """The id a form or a URL's query gives as text; None unless it is one (ASCII digits: "²"
    is a digit to str.isdigit, not to int, and no larger than MAX_ID)."""
    if raw.isascii() and raw.isdigit() and int(raw) <= MAX_ID:
        return int(raw)
    return None

# Never shown on a card: left deferred (loaded only if something asks for them).
_QUESTION_UNSHOWN = {"search_text", "import_hash"}
PUBLISHED = Question.Status.PUBLISHED


@dataclass(frozen=True)
class _Part:
    """One model's columns in a hand-written SELECT, under a table alias."""

    model: type[Model]
    alias: str
    exclude: frozenset[str] = frozenset()

    @functools.cached_property
    def fields(self) -> tuple[Field, ...]:
        return tuple(
            f for f in self.model._meta.concrete_fields if f.attname not in self.exclude
        )

    def columns(self) -> str:
        quote = connection.ops.quote_name
        return ", ".join(f"{self.alias}.{quote(f.column)}" for f in self.fields)

    @functools.cached_property
    def _names(self) -> list[str]:
        return [f.attname for f in self.fields]

    def _converters(self) -> list[tuple]:
        """(position, column, converters) of the fields whose values the ORM's compiler
        converts on the connection's database (on PostgreSQL, hardly any)."""
        cached = self.__dict__.setdefault("_converters_by_vendor", {})
        if connection.vendor not in cached:
            found = []
            for n, field in enumerate(self.fields):
                col = field.get_col(self.alias)
                converters = (connection.ops.get_db_converters(col)
                              + col.get_db_converters(connection))
                if converters:
                    found.append((n, col, converters))
            cached[connection.vendor] = found
        return cached[connection.vendor]

    def load(self, values: tuple) -> Model:
        """An instance from this part's values, converted as the ORM converts them."""
        converted = list(values)
        for n, col, converters in self._converters():
            for converter in converters:
                converted[n] = converter(converted[n], col, connection)
        return self.model.from_db(connection.alias, self._names, converted)


_ITEM = _Part(QuizItem, "i")
_CANDIDATE = _Part(QuizItem, "c")  # the item a card query looks for, before the joins
_QUIZ = _Part(Quiz, "z")
_QUESTION = _Part(Question, "q", frozenset(_QUESTION_UNSHOWN))
_STATE = _Part(StudyState, "s")


def _split(row: tuple, *parts: _Part) -> list[tuple]:
    chunks, start = [], 0
    for part in parts:
        end = start + len(part.fields)
        chunks.append(row[start:end])
        start = end
    chunks.append(row[start:])
    return chunks


# How a card names its question's section ("Bank · Section") and the language of its bank,
# read with the card: columns after the models' ones, from the joins in _NAMING_JOINS.
_NAMING = "sec.title, b.title, b.slug, b.language"
_NAMING_JOINS = """
        JOIN qa_section sec ON sec.id = q.section_id
        JOIN qa_bank b ON b.id = sec.bank_id"""


def _section_name(question: Question, values: tuple) -> SectionName:
    return SectionName(question.section_id, *values)


def _fetch_one(sql: str, params: list) -> tuple | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


# A quiz's progress counts (as selectors.quizzes.quiz_progress counts them); parameters: the
# published status, the quiz's id. Every card reads them; bench/bench_card_parts.py runs them
# alone, to show their share of a card's cost.
PROGRESS_SQL = """
            SELECT COUNT(*) AS all_items,
                   COUNT(pr.id) AS done,
                   COALESCE(SUM(CASE WHEN pq.status = %s OR pr.id IS NOT NULL
                                THEN 1 ELSE 0 END), 0) AS total
            FROM qa_quizitem pi
            JOIN qa_question pq ON pq.id = pi.question_id
            LEFT JOIN qa_review pr ON pr.quiz_item_id = pi.id
            WHERE pi.quiz_id = %s
        """


@functools.cache
def _card_sql(*, left_to_grade: bool, vendor: str) -> str:
    # The first item at or after a position (by the unique (quiz, position) index) that is
    # still to show, found first (LIMIT 1); then what its card shows: whether the learner
    # bookmarked the question, their StudyState's changed_since_review (NULL: no state, a new
    # question), whether the question was shown earlier in this quiz (graded Again, it came
    # back), the note the set a set quiz studies has on the question (NULL: none, or not a set
    # quiz), the quiz's progress counts (as selectors.quizzes.quiz_progress counts them), and
    # how to name its section. Joined to that one row, the counts run once whatever the
    # planner expects: joined to the search itself, a plan made while the statistics still
    # took the quiz items' table for empty (a new site) counted them again for every item
    # left (tests/qa/test_generic_plans.py).
    left = (
        "JOIN qa_question cq ON cq.id = c.question_id AND cq.status = %s "
        "WHERE NOT EXISTS (SELECT 1 FROM qa_review r WHERE r.quiz_item_id = c.id) AND"
        if left_to_grade else "WHERE"
    )
    # Only column names from the models and fixed text are formatted in; values are parameters.
    return f"""
        SELECT {_ITEM.columns()}, {_QUESTION.columns()},
            EXISTS (SELECT 1 FROM qa_bookmark b
                    WHERE b.user_id = %s AND b.question_id = i.question_id),
            (SELECT s.changed_since_review FROM qa_studystate s
             WHERE s.user_id = %s AND s.question_id = i.question_id),
            EXISTS (SELECT 1 FROM qa_quizitem e WHERE e.quiz_id = i.quiz_id
                    AND e.question_id = i.question_id AND e.position < i.position),
            (SELECT si.note FROM qa_setitem si
             WHERE si.study_set_id = %s AND si.question_id = i.question_id),
            p.total, p.done, p.all_items, {_NAMING}
        FROM (
            SELECT {_CANDIDATE.columns()} FROM qa_quizitem c {left}
                c.quiz_id = %s AND c.position >= %s
            ORDER BY c.position
            LIMIT 1
        ) i
        JOIN qa_question q ON q.id = i.question_id{_NAMING_JOINS}
        CROSS JOIN ({PROGRESS_SQL}) p
    """  # noqa: S608


def _card_params(*, quiz: Quiz, start: int, left_to_grade: bool) -> list:
    params: list = [quiz.user_id, quiz.user_id, quiz.study_set_id]
    if left_to_grade:
        params.append(PUBLISHED)
    return [*params, quiz.pk, start, PUBLISHED, quiz.pk]


def card_item(*, quiz: Quiz, start: int, left_to_grade: bool = True) -> QuizItem | None:
    """The first item of `quiz` at position `start` or later still to show, with its question
    and what its card shows besides it: `bookmarked`, `state_changed`, `repeat`, `set_note`,
    `progress_counts` and `section_name` (see selectors.quizzes.card_context).
    `left_to_grade`: skip graded items and retired questions (every quiz but a mock interview,
    whose answering part shows each in turn)."""
    row = _fetch_one(_card_sql(left_to_grade=left_to_grade, vendor=connection.vendor),
                     _card_params(quiz=quiz, start=start, left_to_grade=left_to_grade))
    if row is None:
        return None
    item_values, question_values, (
        bookmarked, state_changed, repeat, set_note, total, done, all_items, *naming
    ) = _split(row, _ITEM, _QUESTION)
    item = _ITEM.load(item_values)
    item.quiz = quiz
    item.question = _QUESTION.load(question_values)
    item.bookmarked = bool(bookmarked)
    item.state_changed = None if state_changed is None else bool(state_changed)
    item.repeat = bool(repeat)
    item.set_note = set_note or ""
    item.progress_counts = {"total": total, "done": done, "all_items": all_items}
    item.section_name = _section_name(item.question, naming)
    return item


@functools.cache
def _item_sql(*, lock: bool, vendor: str) -> str:
    # With `lock`, the item and its quiz rows stay locked until the transaction ends (on
    # SQLite, whose writes take the whole database, there are no row locks to take).
    locking = "FOR UPDATE OF i, z" if lock and connection.features.has_select_for_update_of else ""
    return f"""
        SELECT {_ITEM.columns()}, {_QUIZ.columns()}, {_QUESTION.columns()}, {_STATE.columns()},
            (SELECT n.body FROM qa_note n WHERE n.user_id = z.user_id
             AND n.question_id = i.question_id), {_NAMING}
        FROM qa_quizitem i
        JOIN qa_quiz z ON z.id = i.quiz_id
        JOIN qa_question q ON q.id = i.question_id{_NAMING_JOINS}
        LEFT JOIN qa_studystate s ON s.user_id = z.user_id AND s.question_id = i.question_id
        WHERE i.id = %s AND i.quiz_id = %s AND z.user_id = %s
        {locking}
    """  # noqa: S608


def quiz_item(*, user_id: int, quiz_id: int, item_id: int, lock: bool = False) -> QuizItem | None:
    """One of the learner's quiz items with its quiz and question, their StudyState of the
    question (`study_state`, None: the question is new to them) and the body of their note on
    it (`note_body`, None: no note) and how to name its section (`section_name`): what
    revealing or grading a card needs. None: no such
    item of theirs. `lock`: lock the item and its quiz (not the StudyState) until the
    transaction ends."""
    if item_id > MAX_ID or quiz_id > MAX_ID:
        return None
    sql = _item_sql(lock=lock, vendor=connection.vendor)
    row = _fetch_one(sql, [item_id, quiz_id, user_id])
    if row is None:
        return None
    item_values, quiz_values, question_values, state_values, (note_body, *naming) = _split(
        row, _ITEM, _QUIZ, _QUESTION, _STATE
    )
    item = _ITEM.load(item_values)
    item.quiz = _QUIZ.load(quiz_values)
    item.question = _QUESTION.load(question_values)
    item.study_state = _STATE.load(state_values) if state_values[0] is not None else None
    item.note_body = note_body
    item.section_name = _section_name(item.question, naming)
    return item
