from __future__ import annotations

from functools import cache
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def language_next(request: HttpRequest) -> str:
    """Where the language switch comes back to: this page; for a page answering a form (a
    POST, at a URL that may take no GET) the page the form was sent from, or the start."""
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        parts = urlsplit(referer)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        # A path such as //elsewhere.example/ names another host: not one of this site's.
        if url_has_allowed_host_and_scheme(path, allowed_hosts={request.get_host()}):
            return path
    return "/"


def site(request: HttpRequest) -> dict:
    context = {"SITE_NAME": settings.SITE_NAME,
               "language_next": lambda: language_next(request)}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:

        @cache
        def unseen_report_outcomes() -> int:
            # Unread outcomes of the user's error reports: one cheap indexed count, run only
            # by a template that shows the navigation (not by HTMX fragments), and only once.
            from qa.models import ErrorReport

            return (
                ErrorReport.objects.filter(reporter=user, reporter_seen_at__isnull=True)
                .exclude(status=ErrorReport.Status.OPEN)
                .count()
            )

        context["unseen_report_outcomes"] = unseen_report_outcomes
    return context
