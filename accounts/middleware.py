from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.utils import timezone
from django_htmx.http import HttpResponseClientRedirect

from config.middleware import cache_away, database_away


class HtmxLoginRedirectMiddleware:
    """An HTMX request whose session expired must not swap a login page into a fragment.

    `login_required` answers with a 302 to the login page; htmx would follow it and insert the
    whole login page where a card or button was. Turn that into a full-page client redirect,
    returning to the page the user was on (not the fragment URL) after login.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not getattr(request, "htmx", False) or response.status_code != 302:
            return response
        login_path = urlsplit(resolve_url(settings.LOGIN_URL)).path
        if urlsplit(response["Location"]).path != login_path:
            return response
        current = request.htmx.current_url_abs_path or "/"
        return HttpResponseClientRedirect(f"{login_path}?{urlencode({'next': current})}")


class UserTimeZoneMiddleware:
    """A signed-in learner's pages show times in their own time zone (User.zone)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            user = request.user
            zone = user.zone if user.is_authenticated and user.time_zone else None
        except Exception as exc:
            if not (database_away(exc) or cache_away(exc)):
                raise
            # The view meets the outage too, where it is answered with a 503 page.
            zone = None
        if zone is None:
            return self.get_response(request)
        with timezone.override(zone):
            return self.get_response(request)
