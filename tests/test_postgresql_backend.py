"""config.postgresql: Django's PostgreSQL backend with psycopg's own timestamptz parser. Every
datetime it reads is the one Django's loader would read, in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import register_tzloader
from psycopg import adapters
from psycopg.pq import Format

from config.postgresql.base import TIMESTAMPTZ_OID, TimestamptzLoader
from qa.models import StudyState
from tests.factories import StudyStateFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only"),
]

VALUES = [
    "2024-03-01 12:34:56.789012+08",
    "1999-12-31 23:59:59+00",
    "2024-02-29 00:00:00-03:30",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
]
SQL = "SELECT " + ", ".join(f"'{v}'::timestamptz" for v in VALUES) + ", NULL::timestamptz"


def test_connections_read_timestamps_with_psycopgs_own_parser():
    connection.ensure_connection()
    loader = connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
    assert issubclass(loader, TimestamptzLoader)
    assert loader.timezone is connection.timezone
    assert loader.parser is adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)


def test_it_reads_what_djangos_loader_reads():
    with connection.cursor() as cursor:
        cursor.execute(SQL)
        ours = cursor.fetchone()
    with connection.connection.cursor() as raw:
        register_tzloader(connection.timezone, raw)  # Django's own, on this cursor only
        raw.execute(SQL)
        djangos = raw.fetchone()
    assert ours == djangos
    assert [v.utcoffset() for v in ours[:-1]] == [timedelta(0)] * len(VALUES)
    assert all(v.tzinfo is UTC for v in ours[:-1])
    assert ours[0] == datetime(2024, 3, 1, 4, 34, 56, 789012, tzinfo=UTC)
    assert ours[-1] is None


def test_models_round_trip_their_datetimes():
    when = datetime(2025, 6, 30, 23, 59, 58, 123456, tzinfo=UTC)
    state = StudyStateFactory(due=when, last_review=when - timedelta(days=3))
    loaded = StudyState.objects.get(pk=state.pk)
    assert (loaded.due, loaded.last_review) == (when, when - timedelta(days=3))
    assert loaded.due.tzinfo is UTC
