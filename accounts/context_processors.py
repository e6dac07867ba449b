from __future__ import annotations

from functools import cache

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict:
    context = {"SITE_NAME": settings.SITE_NAME}
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
