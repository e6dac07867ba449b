"""Give a user the editor role (staff in the Editors group), or take it away with --remove."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from qa.editorial import make_editor, remove_editor


class Command(BaseCommand):
    help = "Make the user with this email address an editor (or, with --remove, no longer one)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("email", help="email address of an existing account")
        parser.add_argument(
            "--remove", action="store_true", help="remove the editor role instead of granting it"
        )

    def handle(self, *args, email: str, remove: bool, **options) -> None:
        # Addresses are stored lower-cased (an account left with capitals, as typed); no
        # case-insensitive lookup, which in PostgreSQL takes "ı" for "i".
        User = get_user_model()
        typed = email.strip()
        users = list(User.objects.filter(email__in={User.objects.normalize_email(typed), typed}))
        if len(users) != 1:
            raise CommandError(f"No account with the email address {email!r}." if not users
                               else f"Several accounts answer to {email!r}: type it exactly.")
        user = users[0]
        if remove:
            remove_editor(user)
            note = " (still staff: superuser)" if user.is_superuser else ""
            self.stdout.write(self.style.SUCCESS(f"{user.email} is no longer an editor{note}."))
        else:
            make_editor(user)
            self.stdout.write(self.style.SUCCESS(f"{user.email} is now an editor."))
