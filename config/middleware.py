"""Request hygiene that every view relies on."""

from __future__ import annotations

import logging

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


class DatabaseUnavailableMiddleware:
    """Answer 503 (Retry-After), not 500, when a view fails because the database is away:
    connection refused or cut, or a transient failure such as a deadlock (psycopg raises
    those as OperationalError). It is an outage the person can wait out, not a bug, and load
    balancers and clients retry a 503. Listed last, so it sees the view's exception first."""

    RETRY_AFTER_SECONDS = 5

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        logger.warning("database unavailable for %s %s: %s", request.method, request.path,
                       exception)
        # No request context: the context processors would query the database again.
        response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = str(self.RETRY_AFTER_SECONDS)
        return response
