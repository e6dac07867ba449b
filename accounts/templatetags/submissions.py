from __future__ import annotations

from django import template
from django.utils.html import format_html

from accounts.submissions import FIELD, new_token

register = template.Library()


@register.simple_tag
def submission_token() -> str:
    """The one-time token of a create form (see accounts.submissions)."""
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, new_token())
