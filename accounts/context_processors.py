from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict:
    context = {"SITE_NAME": settings.SITE_NAME}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        # Unread outcomes of the user's error reports: one cheap indexed count.
        from qa.models import ErrorReport

        context["unseen_report_outcomes"] = (
            ErrorReport.objects.filter(reporter=user, reporter_seen_at__isnull=True)
            .exclude(status=ErrorReport.Status.OPEN)
            .count()
        )
    return context
