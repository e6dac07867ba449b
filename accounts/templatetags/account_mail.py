from __future__ import annotations

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def confirmation_mail_minutes() -> int:
    """How long a new confirmation mail waits after the last one (settings.ACCOUNT_RATE_LIMITS)."""
    return settings.CONFIRMATION_MAIL_EVERY_MINUTES


@register.filter
def mail_unsent(messages) -> bool:
    """Whether the page's messages say its confirmation mail could not be sent (the page then
    does not say it was)."""
    from accounts.adapter import UNSENT_TAG

    return any(UNSENT_TAG in message.tags.split() for message in messages)
