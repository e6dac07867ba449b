"""Django's PostgreSQL backend, reading timestamptz values with psycopg's own loader.

To hand back datetimes in UTC, Django 5.2 registers a timestamptz loader that subclasses
psycopg's pure-Python one, so even with psycopg's C extension installed every datetime read
from the database is parsed in Python, at about ten times the cost of the C loader (Django
ticket #36960). A page that weighs a learner's study states reads thousands of them. This
backend registers a loader that returns what Django's returns, parsed by whichever loader
psycopg itself would use (the C one with psycopg[binary]). The rest is Django's backend.
"""

from __future__ import annotations

import functools
from datetime import tzinfo

from django.conf import settings
from django.db.backends.postgresql import base
from django.db.backends.postgresql.psycopg_any import get_adapters_template
from psycopg import adapt, adapters
from psycopg.pq import Format

TIMESTAMPTZ_OID = adapters.types["timestamptz"].oid


class TimestamptzLoader(adapt.Loader):
    """The value with its tzinfo set to `timezone`, as Django's loader returns it."""

    timezone: tzinfo | None = None
    # psycopg's default for timestamptz: its C loader when the binary package is installed.
    parser = adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)

    def __init__(self, oid: int, context: adapt.AdaptContext | None = None) -> None:
        super().__init__(oid, context)
        self._parse = self.parser(oid, context).load

    def load(self, data):
        return self._parse(data).replace(tzinfo=self.timezone)


@functools.lru_cache
def adapters_template(use_tz: bool, timezone: tzinfo | None) -> adapt.AdaptersMap:
    """Django's adapters for a new connection, with the loader above for `timezone`."""

    class Loader(TimestamptzLoader):
        pass

    Loader.timezone = timezone
    context = adapt.AdaptersMap(get_adapters_template(use_tz, timezone))
    context.register_loader("timestamptz", Loader)
    return context


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self):
        params = super().get_connection_params()
        if "context" in params:
            params["context"] = adapters_template(settings.USE_TZ, self.timezone)
        return params
