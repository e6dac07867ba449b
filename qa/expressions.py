"""Database expressions Django does not ship, written for PostgreSQL and SQLite alike."""

from __future__ import annotations

from datetime import datetime

from django.db.models import (
    Case,
    DateTimeField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
    Value,
    When,
)
from django.db.models.functions import Greatest, Power

from qa import scheduling


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


def recall_probability(now: datetime) -> Case:
    """scheduling.recall_probability() of a StudyState row at `now`, as a database expression
    (0 without a last review)."""
    factor, decay = scheduling.forgetting_curve()
    # GREATEST skips NULLs on PostgreSQL (not on SQLite): rows without a last review are
    # answered before it is reached.
    days = Greatest(WholeDaysSince("last_review", now), Value(0))
    base = ExpressionWrapper(
        Value(1.0) + Value(factor) * days / F("stability"), output_field=FloatField()
    )
    return Case(
        When(Q(last_review__isnull=True) | Q(stability__isnull=True), then=Value(0.0)),
        default=Power(base, Value(decay)),
        output_field=FloatField(),
    )
