"""Password rules with their messages in the project's own catalog."""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.utils.translation import ngettext


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's, saying the same: Django 5.2.19 reworded this message, and the Chinese catalog
    Django ships does not have the new wording yet, so it appeared in English."""

    def get_error_message(self) -> str:
        return ngettext(
            "This password is too short. It must contain at least %d character.",
            "This password is too short. It must contain at least %d characters.",
            self.min_length,
        ) % self.min_length
