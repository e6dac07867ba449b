"""Inserting many rows at once: COPY on PostgreSQL (psycopg 3), bulk_create elsewhere.

A row is a tuple of values for the fields the caller names, already in the form the column
stores (ids, text, aware datetimes). Like bulk_create, fields the caller leaves out get their
default, except generated columns and columns with a database default, which the database
fills; so does any column that is not a model field at all (a column kept only for the
database's own use is never named here).

COPY streams the rows as the caller's generator makes them, so whatever work goes into a
row (tokenising, hashing) runs while the server is still busy with the rows before it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from django.db import NotSupportedError, connections, models, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.fields import NOT_PROVIDED

# Rows per statement where bulk_create/bulk_update are used; Django lowers it where the
# database needs.
BULK_CREATE_BATCH = 2000


def insert_rows(model: type[models.Model], fields: Sequence[str],
                rows: Iterable[Sequence[Any]], *, copy: bool = True) -> int:
    """Insert `rows` (values of `fields`, attnames) into `model`'s table; how many there were.

    `copy`: use COPY where the database has it (False: bulk_create everywhere).
    """
    connection = _connection(model)
    if copy and uses_copy(connection):
        return _copy(connection, model, fields, rows)
    return len(_bulk_create(model, fields, rows))


def insert_rows_returning_pks(model: type[models.Model], fields: Sequence[str],
                              rows: Iterable[Sequence[Any]], *, count: int,
                              copy: bool = True) -> list[Any]:
    """Insert `count` rows like `insert_rows`; return their primary keys, in row order."""
    connection = _connection(model)
    if not (copy and uses_copy(connection)):
        return [obj.pk for obj in _bulk_create(model, fields, rows, returning=True)]
    pks = _reserve_pks(connection, model, count)
    pk_rows = ((pk, *row) for pk, row in zip(pks, rows, strict=True))
    _copy(connection, model, [model._meta.pk.attname, *fields], pk_rows)
    return pks


def update_rows(model: type[models.Model], fields: Sequence[str],
                rows: Iterable[Sequence[Any]], *, copy: bool = True) -> None:
    """Set `fields` (attnames) of existing rows of `model`; each row is (pk, *values).

    On PostgreSQL the values go by COPY into a temporary table and one UPDATE joins it:
    Django's bulk_update builds a CASE expression per row and field, which at 100,000 rows
    costs minutes of Python.
    """
    connection = _connection(model)
    if not (copy and uses_copy(connection)):
        manager = model._default_manager
        for batch in _batches(rows):
            manager.bulk_update([model(**dict(zip(["pk", *fields], row, strict=True)))
                                 for row in batch], fields, batch_size=BULK_CREATE_BATCH)
        return
    quote = connection.ops.quote_name
    opts = model._meta
    by_attname = {field.attname: field for field in opts.concrete_fields}
    pk_column = quote(opts.pk.column)
    columns = [quote(by_attname[name].column) for name in fields]
    table, staging = quote(opts.db_table), quote(f"update_{opts.db_table}")
    assignments = ", ".join(f"{column} = staged.{column}" for column in columns)
    # Only quoted names from the model's metadata go into the SQL; the values go by COPY.
    with connection.cursor() as cursor, connection.wrap_database_errors:
        cursor.execute(f"CREATE TEMPORARY TABLE {staging} AS SELECT {pk_column}, "  # noqa: S608
                       f"{', '.join(columns)} FROM {table} WITH NO DATA")
        with cursor.copy(f"COPY {staging} FROM STDIN") as stream:
            for row in rows:
                stream.write_row(row)
        cursor.execute(f"UPDATE {table} SET {assignments} FROM {staging} AS staged "  # noqa: S608
                       f"WHERE {table}.{pk_column} = staged.{pk_column}")
        cursor.execute(f"DROP TABLE {staging}")


def uses_copy(connection: BaseDatabaseWrapper) -> bool:
    if connection.vendor != "postgresql":
        return False
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    return is_psycopg3


def _connection(model: type[models.Model]) -> BaseDatabaseWrapper:
    return connections[router.db_for_write(model)]


def _defaulted(model: type[models.Model], fields: Sequence[str]) -> list[models.Field]:
    """The columns a COPY must fill with their field default: those not named by the caller,
    neither the automatic primary key nor generated or given a default by the database."""
    named = set(fields)
    return [
        field for field in model._meta.concrete_fields
        if field.attname not in named and not field.primary_key
        and not getattr(field, "generated", False) and field.db_default is NOT_PROVIDED
    ]


def _copy(connection: BaseDatabaseWrapper, model: type[models.Model], fields: Sequence[str],
          rows: Iterable[Sequence[Any]]) -> int:
    quote = connection.ops.quote_name
    by_attname = {field.attname: field for field in model._meta.concrete_fields}
    defaulted = _defaulted(model, fields)
    columns = [by_attname[name].column for name in fields] + [f.column for f in defaulted]
    defaults = tuple(field.get_db_prep_save(field.get_default(), connection)
                     for field in defaulted)
    sql = (f"COPY {quote(model._meta.db_table)} ({', '.join(map(quote, columns))}) "
           f"FROM STDIN")
    with connection.cursor() as cursor, connection.wrap_database_errors, \
            cursor.copy(sql) as copy:
        write = copy.write_row
        count = 0
        for row in rows:
            write((*row, *defaults) if defaults else row)
            count += 1
    return count


def _reserve_pks(connection: BaseDatabaseWrapper, model: type[models.Model],
                 count: int) -> list[int]:
    """`count` fresh values of the table's primary-key sequence, never handed out again."""
    if count <= 0:
        return []
    opts = model._meta
    with connection.cursor() as cursor:
        # Looked up once: calling pg_get_serial_sequence for every row costs ten times more.
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)",
                       [connection.ops.quote_name(opts.db_table), opts.pk.column])
        (sequence,) = cursor.fetchone()
        cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)",
                       [sequence, count])
        return sorted(pk for (pk,) in cursor.fetchall())


def _bulk_create(model: type[models.Model], fields: Sequence[str],
                 rows: Iterable[Sequence[Any]], *, returning: bool = False) -> list[Any]:
    connection = _connection(model)
    if returning and not connection.features.can_return_rows_from_bulk_insert:
        raise NotSupportedError(f"{connection.display_name} cannot return the ids of "
                                f"bulk-inserted rows")
    created: list[Any] = []
    for batch in _batches(rows):
        objs = [model(**dict(zip(fields, row, strict=True))) for row in batch]
        model._default_manager.bulk_create(objs, batch_size=BULK_CREATE_BATCH)
        created.extend(objs)
    return created


def _batches(rows: Iterable[Sequence[Any]]) -> Iterator[list[Sequence[Any]]]:
    rows = iter(rows)
    while batch := list(islice(rows, BULK_CREATE_BATCH)):
        yield batch
