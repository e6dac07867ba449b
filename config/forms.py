"""Form fields shared by the apps' forms."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_noop

from qa.importer.files import normal_text

# Django's forms end a label with gettext(":"), which its own Chinese catalog leaves half-width.
# Ours gives the full-width colon; naming the string here keeps it in our catalog.
LABEL_SUFFIX = gettext_noop(":")


class TextareaField(forms.CharField):
    """A textarea's text, kept with LF line breaks and counted that way against `max_length`.

    A browser counts a line break as one character against the textarea's maxlength and sends
    it as two (CRLF): counted as sent, text the browser allowed would be refused."""

    widget = forms.Textarea

    def to_python(self, value):
        return normal_text(super().to_python(value))
