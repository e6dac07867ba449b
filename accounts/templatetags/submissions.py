from __future__ import annotations

from django import template
from django.template.defaulttags import CsrfTokenNode
from django.utils.html import format_html

from accounts.submissions import FIELD, new_token

register = template.Library()


@register.simple_tag
def submission_token() -> str:
    """The one-time token of a create form (see accounts.submissions)."""
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, new_token())


@register.simple_tag(takes_context=True)
def csrf_field(context: template.Context) -> str:
    """`{% csrf_token %}` for a form htmx sends (hx-post), left out of an HTMX fragment.

    htmx sends the token with every request it makes (hx-headers on <body>, base.html), and a
    fragment only ever lands in a page where htmx runs, so its forms need no field of their
    own; the same form in a whole page (no JavaScript) carries it. Leaving it out spares each
    HTMX answer the token's masking and the renewal of the CSRF cookie, which on the quiz's
    hot path is about a twentieth of a request."""
    request = context.get("request")
    # The header django-htmx's request.htmx reads, looked up directly: this runs per form.
    if request is not None and request.META.get("HTTP_HX_REQUEST") == "true":
        return ""
    return CsrfTokenNode().render(context)
