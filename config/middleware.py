"""Request hygiene that every view relies on."""

from __future__ import annotations

import logging

import psycopg
import redis
from django.core.exceptions import BadRequest
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)


class RejectNullCharactersMiddleware:
    """Answer 400 to a request whose path, query string or form fields hold a NUL character.

    PostgreSQL cannot store NUL in text, so such a value would otherwise fail deep inside a
    view (a 500) wherever text is saved or searched; no legitimate form sends one. Uploaded
    files are not inspected: they are bytes.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or _has_nul(request.GET) or (
            request.method == "POST" and _has_nul(request.POST)
        ):
            raise BadRequest("NUL character in the request")
        return self.get_response(request)


def _has_nul(query_dict) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values)
               for key, values in query_dict.lists())


# SQLSTATEs of failures that are the database being away or busy, not the request being wrong:
# connection exceptions (class 08), too many connections, shutdowns and restarts, and the
# rolled-back victims of a serialization failure or a deadlock. A psycopg error without a
# SQLSTATE is a connection that failed or broke (or the pool timing out).
_TRANSIENT_STATES = {"53300", "57P01", "57P02", "57P03", "40001", "40P01"}


def database_away(exception: BaseException) -> bool:
    """Whether `exception` (raised by Django's database layer) says the database is away or
    briefly busy: an outage to wait out and retry, not a bug. A statement timeout, a limit
    exceeded or a schema error is not."""
    if isinstance(exception, InterfaceError):
        return True  # the connection is already closed
    if not isinstance(exception, OperationalError):
        return False
    cause = exception.__cause__
    if isinstance(cause, psycopg.Error):
        state = cause.sqlstate
        return state is None or state.startswith("08") or state in _TRANSIENT_STATES
    # SQLite: another writer held the database for longer than the timeout.
    return cause is not None and "database is locked" in str(cause)


def cache_away(exception: BaseException) -> bool:
    """Whether `exception` says the shared cache (Redis, which also holds sessions and the
    login rate limits) cannot be reached or did not answer in time."""
    return isinstance(exception, (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError))


class DatabaseUnavailableMiddleware:
    """Answer 503 (Retry-After), not 500, when a view fails because the database or the
    shared cache is away (connection refused or cut, restarting) or the database turned the
    request away for now (a deadlock): an outage the person can wait out, and load balancers
    and clients retry a 503. Every other database error stays a 500, a bug. Listed last, so it
    sees the view's exception first."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if not (database_away(exception) or cache_away(exception)):
            return None
        return unavailable(request, exception)


RETRY_AFTER_SECONDS = 5


def unavailable(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The 503 page, for `exception`, an outage of the database or the shared cache."""
    logger.warning("%s unavailable for %s %s",
                   "cache" if cache_away(exception) else "database", request.method,
                   request.path, exc_info=exception)
    # No request context: the context processors would query the database again.
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
