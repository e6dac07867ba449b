"""No index that another index of the same table already covers.

Every write to a table updates each of its indexes (a grade inserts one Review row), and an
index on (a) is redundant next to one on (a, b): the database reads the second by its first
column. Django adds an index to every foreign key and a LIKE-pattern index to every unique
CharField on PostgreSQL, so such indexes creep in unless a model says otherwise.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection

PROJECT_APPS = ("qa", "accounts")


def _indexes(table: str) -> list[tuple[str, tuple[str, ...], bool]]:
    """(name, columns, unique) of the btree indexes of `table` on plain columns, the primary
    key left out."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return [
        (name, tuple(info["columns"]), info["unique"])
        for name, info in constraints.items()
        if (info["index"] or info["unique"]) and not info["primary_key"]
        and info.get("type") in (None, "btree", "idx") and all(info["columns"])
    ]


def _special(table: str, name: str) -> bool:
    """A partial index (it covers only some rows) or a pattern-operator index (it answers LIKE
    'prefix%', which a plain index does not): each has a purpose of its own."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s AND indexname = %s",
                       [table, name])
        row = cursor.fetchone()
    return bool(row) and (" WHERE " in row[0] or "_pattern_ops" in row[0])


@pytest.mark.django_db
def test_no_index_is_covered_by_another_of_the_same_table():
    redundant = []
    for model in apps.get_models():
        if model._meta.app_label not in PROJECT_APPS or not model._meta.managed:
            continue
        table = model._meta.db_table
        indexes = [i for i in _indexes(table) if not _special(table, i[0])]
        for name, columns, unique in indexes:
            if unique:
                continue  # a unique index is a constraint, not only a way in
            for other, other_columns, _unique in indexes:
                if other != name and other_columns[:len(columns)] == columns and (
                    len(other_columns) > len(columns) or other < name
                ):
                    redundant.append(f"{table}.{name} {columns} is covered by {other} "
                                     f"{other_columns}")
                    break
    assert redundant == [], "\n".join(redundant)


@pytest.mark.django_db
def test_a_grade_writes_six_indexes():
    # Every grade inserts a Review row. Its indexes: the primary key, the unique token and quiz
    # item, the learner's history, the question's ratings and the learner's Again grades.
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "qa_review")
    indexed = {
        tuple(info["columns"]) for info in constraints.values()
        if info["index"] or info["unique"] or info["primary_key"]
    }
    assert indexed == {
        ("id",), ("token",), ("quiz_item_id",), ("user_id", "reviewed_at"),
        ("question_id", "rating"), ("user_id", "question_id", "reviewed_at"),
    }
