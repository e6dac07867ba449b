from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from config.routes import id_url
from qa.scheduling import describe_interval

register = template.Library()


@register.filter
def duration_short(value: timedelta | None) -> str:
    """`{{ delta|duration_short }}`: "45s", "4m 20s", "1h 05m"."""
    if not value:
        return _("%(s)ds") % {"s": 0}
    seconds = max(int(value.total_seconds()), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return _("%(h)dh %(m)02dm") % {"h": hours, "m": minutes}
    if minutes:
        return _("%(m)dm %(s)02ds") % {"m": minutes, "s": seconds}
    return _("%(s)ds") % {"s": seconds}


@register.filter
def clock(seconds: int | None) -> str:
    """`{{ 125|clock }}` → "2:05" (a countdown)."""
    seconds = max(int(seconds or 0), 0)
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes}:{seconds:02d}"


@register.filter
def until_short(value: datetime | None) -> str:
    """`{{ due|until_short }}` → "5 days", "less than a minute" (never "0 minutes", which
    reads as a mistake)."""
    if not value:
        return ""
    delta = value - timezone.now()
    if delta < timedelta(minutes=1):
        return _("less than a minute")
    return describe_interval(delta)


@register.filter
def ago(value: datetime | None) -> str:
    """`{{ when|ago }}` → "3 days ago", "just now"."""
    if not value:
        return ""
    now = timezone.now()
    if now - value < timedelta(minutes=1):
        return _("just now")
    return _("%(when)s ago") % {"when": describe_interval(now - value)}


@register.simple_tag(name="id_url")
def id_url_tag(viewname: str, pk: int) -> str:
    """`{% id_url 'qa:quiz-grade' quiz.pk as grade_url %}`: `{% url %}` for a route whose one
    argument is an int id, without Django's matching each time (config.routes.id_url)."""
    return id_url(viewname, pk)
