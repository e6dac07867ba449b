"""Single-row writes of the quiz's hot path, as plain SQL statements.

Revealing and grading a card run once per card for every learner. Through the ORM, building an
UPDATE or an INSERT costs more than running it, so these few are written directly: the column
names come from the models' fields and every value is prepared by its field as the ORM
prepares it (get_db_prep_save), so SQLite and PostgreSQL store exactly what save() would.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Model

from qa.models import QuizItem


def _assignments(model: type[Model], values: dict[str, Any]) -> tuple[list[str], list[Any]]:
    quote = connection.ops.quote_name
    columns, params = [], []
    for name, value in values.items():
        field = model._meta.get_field(name)
        columns.append(quote(field.column))
        params.append(field.get_db_prep_save(value, connection))
    return columns, params


def update(model: type[Model], pk: int, values: dict[str, Any], **expected: Any) -> int:
    """UPDATE one row of `model` by primary key, only while its `expected` columns still hold
    those values (None: IS NULL). The number of rows changed: 0 or 1."""
    columns, params = _assignments(model, values)
    conditions, where_params = _assignments(model, {model._meta.pk.attname: pk, **expected})
    where = []
    for column, value in zip(conditions, where_params, strict=True):
        if value is None:
            where.append(f"{column} IS NULL")
        else:
            where.append(f"{column} = %s")
            params.append(value)
    sql = (f"UPDATE {connection.ops.quote_name(model._meta.db_table)} "  # noqa: S608
           f"SET {', '.join(f'{c} = %s' for c in columns)} WHERE {' AND '.join(where)}")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def insert(model: type[Model], values: dict[str, Any]) -> Model:
    """INSERT one row of `model`; the instance, as create() would return it."""
    columns, params = _assignments(model, values)
    quote = connection.ops.quote_name
    pk = model._meta.pk
    returning = connection.features.can_return_columns_from_insert
    sql = (f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(columns)}) "  # noqa: S608
           f"VALUES ({', '.join(['%s'] * len(columns))})"
           + (f" RETURNING {quote(pk.column)}" if returning else ""))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        new_pk = cursor.fetchone()[0] if returning else cursor.lastrowid
    instance = model(**{pk.attname: new_pk}, **values)
    instance._state.adding = False
    instance._state.db = connection.alias
    return instance


# On PostgreSQL, a reveal that is its own transaction commits without waiting for the disk
# (synchronous_commit off for that transaction only, set by the UPDATE itself, so it costs no
# extra round trip). Only a crash of the database itself, in the fraction of a second before
# the log reaches the disk, can lose a reveal (its time and what was typed before it: the card
# shows unrevealed again). The grade that follows commits synchronously, and the write-ahead
# log is flushed in order, so a grade acknowledged has its reveal stored too. Inside a larger
# transaction it is left as it is: the transaction's other writes keep their durability.
_ASYNC_COMMIT = " AND set_config('synchronous_commit', 'off', true) = 'off'"


def reveal(*, item_id: int, now: datetime, typed_answer: str, shown_at: datetime) -> bool:
    """Mark a quiz item revealed, unless it already is; keeps the time it was first shown.
    Whether this call revealed it."""
    table = connection.ops.quote_name(QuizItem._meta.db_table)
    field = QuizItem._meta.get_field("revealed_at")
    sql = (f"UPDATE {table} SET revealed_at = %s, typed_answer = %s, "  # noqa: S608
           f"shown_at = COALESCE(shown_at, %s) WHERE id = %s AND revealed_at IS NULL")
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        sql += _ASYNC_COMMIT
    with connection.cursor() as cursor:
        cursor.execute(sql, [field.get_db_prep_save(now, connection), typed_answer,
                             field.get_db_prep_save(shown_at, connection), item_id])
        return cursor.rowcount == 1
