from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

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


def _spoken(delta: timedelta) -> str:
    """"10 minutes", "5 days", "3 months": the largest unit, rounded to the nearest, on the
    grade buttons' scale (qa.scheduling.humanize_interval: days up to a month, then months,
    then years), so a page says what the button that scheduled the card said."""
    minutes = max(delta.total_seconds(), 0) / 60
    if round(minutes) < 60:
        n = max(round(minutes), 1)
        return ngettext("%(n)d minute", "%(n)d minutes", n) % {"n": n}
    hours = minutes / 60
    if hours < 24:
        n = round(hours)
        return ngettext("%(n)d hour", "%(n)d hours", n) % {"n": n}
    days = hours / 24
    if days < 30:
        n = round(days)
        return ngettext("%(n)d day", "%(n)d days", n) % {"n": n}
    if days < 365:
        n = round(days / 30)
        return ngettext("%(n)d month", "%(n)d months", n) % {"n": n}
    n = round(days / 365)
    return ngettext("%(n)d year", "%(n)d years", n) % {"n": n}


@register.filter
def until_short(value: datetime | None) -> str:
    """`{{ due|until_short }}` → "5 days", "less than a minute" (never "0 minutes", which
    reads as a mistake)."""
    if not value:
        return ""
    delta = value - timezone.now()
    if delta < timedelta(minutes=1):
        return _("less than a minute")
    return _spoken(delta)


@register.filter
def ago(value: datetime | None) -> str:
    """`{{ when|ago }}` → "3 days ago", "just now"."""
    if not value:
        return ""
    now = timezone.now()
    if now - value < timedelta(minutes=1):
        return _("just now")
    return _("%(when)s ago") % {"when": _spoken(now - value)}
