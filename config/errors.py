"""The 404 and 403 pages. They are drawn with the site's navigation, which reads the signed-in
user, so they need the database and the shared cache: while either is away, the 503 page
answers instead, as for any other page (an exception raised while drawing an error page would
otherwise be a 500)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views import defaults

from config.middleware import cache_away, database_away, unavailable


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _or_unavailable(defaults.page_not_found, request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _or_unavailable(defaults.permission_denied, request, exception)


def _or_unavailable(view, request: HttpRequest, exception: Exception) -> HttpResponse:
    try:
        return view(request, exception)
    except Exception as away:
        if database_away(away) or cache_away(away):
            return unavailable(request, away)
        raise
