"""Database expressions Django does not ship, written for PostgreSQL and SQLite alike."""

from __future__ import annotations

from datetime import datetime

from django.db.models import DateTimeField, F, Func, IntegerField, Value


class WholeDaysSince(Func):
    """The whole days from a datetime column to `moment`, rounded down as Python's
    `(moment - value).days` rounds them (negative when the column is the later)."""

    output_field = IntegerField()

    def __init__(self, column: str, moment: datetime) -> None:
        super().__init__(Value(moment, output_field=DateTimeField()), F(column))

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, arg_joiner=" - ",
            template="FLOOR(EXTRACT(EPOCH FROM (%(expressions)s)) / 86400)", **extra,
        )

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, arg_joiner=") - JULIANDAY(",
            template="FLOOR(JULIANDAY(%(expressions)s))", **extra,
        )
